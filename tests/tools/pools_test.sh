#!/bin/sh
# Tests `quizstore pools`, `quizstore index` and `quizstore get questions` on a generated
# bank: pools and listings against a model computed from the CSV files, reshuffling, and
# damage done to the store file with mdb_dump/mdb_load found by `verify` and repaired by
# `index rebuild`.
#
#   sh tests/tools/pools_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

STORE=$WORK/store
BANK=$WORK/bank
MODEL=$WORK/model.py
mkdir "$BANK"

# The model: generates the bank and answers (seeded), and checks the CLI's JSON against
# what the CSV files alone say.
cat >"$MODEL" <<'EOF'
import csv, json, random, sys

def generate(out):
    rnd = random.Random(7)
    systems = {'cardio': ['arr', 'hf', 'valve'], 'neuro': ['stroke', 'seizure'], 'renal': ['aki']}
    with open(out + '/questions.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'subject', 'system', 'topic', 'difficulty', 'active', 'created_at',
                    'correct_option', 'stem', 'option0', 'option1', 'option2'])
        for i in range(90):
            system = rnd.choice(sorted(systems)) if rnd.random() > 0.1 else ''
            topic = rnd.choice(systems[system]) if system and rnd.random() > 0.15 else ''
            subject = rnd.choice(['med', 'surg', '']) if rnd.random() > 0.05 else ''
            w.writerow(['q%02d' % i, subject, system, topic, rnd.randint(1, 3),
                        0 if rnd.random() < 0.2 else 1,
                        1760000000000 + rnd.randint(0, 20) * 86400000, rnd.randint(0, 2),
                        'Stem %d' % i, 'a', 'b', 'c'])
    with open(out + '/answers.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['test', 'question', 'user', 'correct', 'created_at'])
        for i in range(90):
            if rnd.random() < 0.35:
                continue
            for k in range(rnd.randint(1, 4)):
                w.writerow(['t%d' % k, 'q%02d' % i, 'u%d' % k, rnd.randint(0, 1),
                            1765000000000 + i * 1000 + k])

def load(bank):
    qs = {}
    with open(bank + '/questions.csv') as f:
        for r in csv.DictReader(f):
            qs[r['id']] = dict(subject=r['subject'], system=r['system'], topic=r['topic'],
                               difficulty=int(r['difficulty']), active=r['active'] == '1',
                               created_at=int(r['created_at']), attempts=0, correct=0)
    with open(bank + '/answers.csv') as f:
        for r in csv.DictReader(f):
            qs[r['question']]['attempts'] += 1
            qs[r['question']]['correct'] += int(r['correct'])
    for q in qs.values():
        q['band'] = min(9, 10000 * q['correct'] // q['attempts'] // 1000) if q['attempts'] else None
    return qs

def pools_of(q):
    if not q['active']:
        return []
    d = q['difficulty']
    p = [('all', d)]
    if q['system']:
        p.append(('system', q['system'], d))
        if q['topic']:
            p.append(('topic', q['system'], q['topic'], d))
        if q['band'] is not None:
            p.append(('band', q['system'], q['band']))
    if q['subject']:
        p.append(('subject', q['subject'], d))
    return p

def check_pools(bank, path):
    want = {}
    for q in load(bank).values():
        for p in pools_of(q):
            want[p] = want.get(p, 0) + 1
    d = json.load(open(path))
    got = {}
    for r in d['pools']:
        ext = lambda k: r[k]['ext_id']
        key = {'all': lambda: ('all', r['difficulty']),
               'system': lambda: ('system', ext('system'), r['difficulty']),
               'topic': lambda: ('topic', ext('system'), ext('topic'), r['difficulty']),
               'subject': lambda: ('subject', ext('subject'), r['difficulty']),
               'band': lambda: ('band', ext('system'), r['band'])}[r['kind']]()
        got[key] = r['size']
    errors = []
    if got != want:
        errors.append('pools differ: only listed %s; only expected %s; sizes %s' % (
            sorted(set(got) - set(want)), sorted(set(want) - set(got)),
            [(k, got[k], want[k]) for k in got if k in want and got[k] != want[k]]))
    total = d['total']
    if total != {'pools': len(want), 'entries': sum(want.values())}:
        errors.append('total %s, expected %d pools, %d entries' % (total, len(want), sum(want.values())))
    return errors

def check_list(bank, ids_path, listing_path, args):
    qs = load(bank)
    f = dict(zip(args[0::2], args[1::2]))
    ids = {r['ext_id']: r['id'] for r in json.load(open(ids_path))['questions']}
    def match(q):
        if 'subject' in f and q['subject'] != f['subject']: return False
        if 'system' in f and q['system'] != f['system']: return False
        if 'topic' in f and q['topic'] != f['topic']: return False
        if 'difficulty' in f and q['difficulty'] != int(f['difficulty']): return False
        if 'active' in f and q['active'] != (f['active'] == 'yes'): return False
        if 'band' in f:
            return q['band'] is None if f['band'] == 'none' else q['band'] == int(f['band'])
        return True
    hits = [e for e, q in qs.items() if match(q)]
    if 'newest' in f:
        hits.sort(key=lambda e: (-qs[e]['created_at'], -ids[e]))
    else:
        hits.sort(key=lambda e: ids[e])
    rows = []
    for path in listing_path.split(','):
        rows += json.load(open(path))['questions']
    got = [r['ext_id'] for r in rows]
    errors = []
    if got != hits:
        errors.append('listed %s, expected %s' % (got, hits))
    for r in rows:
        q = qs[r['ext_id']]
        if (r['id'], r['difficulty'], r['active'], r['created_at']) != (
                ids[r['ext_id']], q['difficulty'], q['active'], q['created_at']):
            errors.append('row %s does not match the bank' % r)
    return errors

cmd = sys.argv[1]
if cmd == 'generate':
    generate(sys.argv[2])
    sys.exit(0)
errors = check_pools(sys.argv[2], sys.argv[3]) if cmd == 'pools' else \
    check_list(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
print('\n'.join(errors))
sys.exit(1 if errors else 0)
EOF

# model NAME ARGS...: runs the model's check, a case.
model() {
    name=$1
    shift
    if detail=$(python3 "$MODEL" "$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "$detail"
    fi
}

if ! python3 "$MODEL" generate "$BANK" >"$WORK/gen.out" 2>&1; then
    fail "generate the bank" "$(cat "$WORK/gen.out")"
    finish
fi
expect_rc "import questions" 0 import -d "$STORE" -q --no-progress questions "$BANK/questions.csv"
expect_rc "import answers" 0 import -d "$STORE" -q --no-progress answers "$BANK/answers.csv"

# ---- pools list, verify, reshuffle --------------------------------------------------------

expect_rc "pools list --json" 0 pools -d "$STORE" list --json
cp "$WORK/out" "$WORK/pools.json"
model "pools list --json: every pool and size the bank calls for" pools "$BANK" "$WORK/pools.json"
expect_rc "pools list" 0 pools -d "$STORE" list
json_is "pools list: the table's totals" "$WORK/pools.json" \
    '"%d pools, %d entries" % (d["total"]["pools"], d["total"]["entries"])' \
    "\"$(tail -n 1 "$WORK/out")\""
contains "pools list: topic pools named by their coordinates" "$WORK/out" \
    '^topic  *system cardio, topic arr, difficulty [123]'
contains "pools list: band pools with their range" "$WORK/out" '^band  *system [a-z]*, band [0-9] ('

expect_rc "pools verify: exit 0" 0 pools -d "$STORE" verify
if [ "$(wc -l <"$WORK/out")" -eq 2 ] && grep -q '^pools  *[1-9][0-9]*  *0  *0$' "$WORK/out"; then
    pass "pools verify: the pools row only, clean"
else
    fail "pools verify: the pools row only, clean" "$(cat "$WORK/out")"
fi
expect_rc "index verify: exit 0" 0 index -d "$STORE" verify --json
json_is "index verify: every index and the pools, clean" "$WORK/out" \
    '[d["ok"], [r["name"] for r in d["indexes"]], sum(r["missing"] + r["extra"] for r in d["indexes"])]' \
    '[true, ["q_filter", "q_subject", "q_band", "q_created", "test_by_user", "test_answers", "lb_all_time", "lb_weekly", "lb_count", "pools"], 0]'

expect_rc "pools reshuffle --seed 9" 0 pools -d "$STORE" reshuffle --seed 9
contains "pools reshuffle: says what it did" "$WORK/out" '^reshuffled [0-9]* pools ([0-9]* entries) with seed 9$'
expect_rc "pools reshuffle: random seed" 0 pools -d "$STORE" reshuffle
expect_rc "pools list after reshuffling" 0 pools -d "$STORE" list --json
same_file "pools reshuffle: the same pools and sizes" "$WORK/out" "$WORK/pools.json"
expect_rc "pools verify after reshuffling" 0 pools -d "$STORE" verify

expect_rc "pools: unknown action exits 1" 1 pools -d "$STORE" sort
expect_rc "pools: no action exits 1" 1 pools -d "$STORE"
expect_rc "pools reshuffle: --json does not apply" 1 pools -d "$STORE" reshuffle --json
expect_rc "pools reshuffle: bad seed" 1 pools -d "$STORE" reshuffle --seed -3
expect_rc "index rebuild: --seed does not apply" 1 index -d "$STORE" rebuild --seed 1
expect_rc "index list is not an action" 1 index -d "$STORE" list
expect_rc "pools verify: no store exits 1" 1 pools -d "$WORK/nothing" verify
expect_rc "pools reshuffle: no store exits 1" 1 pools -d "$WORK/nothing" reshuffle
if [ ! -e "$WORK/nothing" ]; then
    pass "pools reshuffle: no store is created"
else
    fail "pools reshuffle: no store is created" "$WORK/nothing exists"
fi
expect_rc "help pools" 0 help pools
contains "help pools: the actions" "$WORK/out" 'reshuffle \[--seed N\]'

# ---- get questions ------------------------------------------------------------------------

expect_rc "get questions: everything" 0 get -d "$STORE" questions --limit 1000
cp "$WORK/out" "$WORK/all.json"
json_is "get questions: everything, no next" "$WORK/all.json" '[len(d["questions"]), d["next"]]' '[90, null]'

n=0
# list NAME ARGS...: `get questions ARGS` in one page, against the model.
list() {
    what="get questions $1"
    shift
    n=$((n + 1))
    expect_rc "$what" 0 get -d "$STORE" questions --limit 1000 "$@"
    if [ "$rc" -ne 0 ]; then
        fail "$what: the bank's matches in order" "no listing to compare"
        return
    fi
    cp "$WORK/out" "$WORK/list$n.json"
    filter=$(echo "$@" | sed 's/--newest/newest 1/; s/--//g')
    # shellcheck disable=SC2086
    model "$what: the bank's matches in order" list "$BANK" "$WORK/all.json" \
        "$WORK/list$n.json" $filter
}
list "by system" --system cardio
list "by system, newest" --system cardio --newest
list "by topic and difficulty" --topic arr --difficulty 2
list "by subject, active" --subject med --active yes
list "inactive" --active no --newest
list "by system and band" --system neuro --band 5
list "never answered" --band none --newest
list "by band" --band 9
list "by subject, system, topic, difficulty, active" --subject med --system cardio \
    --topic hf --difficulty 2 --active yes
list "topic of another system" --system neuro --topic arr

# pages: --limit 7 until next is null, concatenated
for order in id newest; do
    flag=""
    [ "$order" = newest ] && flag=--newest
    pages=""
    cursor=""
    for page in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
        # shellcheck disable=SC2086
        if [ -n "$cursor" ]; then
            qs get -d "$STORE" questions --system cardio --limit 7 $flag --cursor "$cursor"
        else
            qs get -d "$STORE" questions --system cardio --limit 7 $flag
        fi
        [ "$rc" -eq 0 ] || break
        cp "$WORK/out" "$WORK/page-$order-$page.json"
        pages="$pages${pages:+,}$WORK/page-$order-$page.json"
        cursor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"] or "")' "$WORK/out")
        [ -n "$cursor" ] || break
    done
    if [ "$rc" -eq 0 ] && [ -z "$cursor" ]; then
        pass "get questions --system cardio by $order: pages of 7 end"
    else
        fail "get questions --system cardio by $order: pages of 7 end" "rc $rc, cursor '$cursor'"
    fi
    # shellcheck disable=SC2086
    model "get questions --system cardio by $order: pages of 7 add up" list "$BANK" \
        "$WORK/all.json" "$pages" system cardio ${flag:+newest 1}
done
cursor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$WORK/page-newest-1.json")
case $cursor in
*[!0-9a-f]*) fail "get questions: the cursor is hex" "$cursor" ;;
*) [ ${#cursor} -eq 32 ] && pass "get questions: the cursor is 32 hex digits" ||
    fail "get questions: the cursor is 32 hex digits" "$cursor" ;;
esac
expect_rc "get questions: a newest-first cursor in id order exits 1" 1 get -d "$STORE" \
    questions --system cardio --cursor "$cursor"
expect_rc "get questions: a damaged cursor exits 1" 1 get -d "$STORE" questions \
    --newest --cursor "ff${cursor#??}"
expect_rc "get questions: a short cursor exits 1" 1 get -d "$STORE" questions --cursor abc
expect_rc "get questions: --band 10 exits 1" 1 get -d "$STORE" questions --band 10
expect_rc "get questions: --difficulty 4 exits 1" 1 get -d "$STORE" questions --difficulty 4
expect_rc "get questions: --active maybe exits 1" 1 get -d "$STORE" questions --active maybe
expect_rc "get questions: unknown system exits 1" 1 get -d "$STORE" questions --system lungs
expect_rc "get questions: positional argument exits 1" 1 get -d "$STORE" questions cardio
expect_rc "get history: --band does not apply" 1 get -d "$STORE" history u1 --band 1
expect_rc "get questions: internal ids" 0 get -d "$STORE" -i questions --system 1 --limit 1000
json_is "get questions -i: the system by internal id" "$WORK/out" \
    '[d["filter"]["system"]["id"], len(d["questions"]) > 0]' '[1, true]'

# ---- damage and rebuild -----------------------------------------------------------------

# an extra q_filter entry: a question id no record has
damage q_filter "$(first_key q_filter)" 00abcdef
expect_rc "index verify: a planted q_filter entry exits 1" 1 index -d "$STORE" verify
contains "index verify: names q_filter" "$WORK/err" 'q_filter: 0 missing, 1 extra'
contains "index verify: the table shows the finding" "$WORK/out" 'first finding: q_filter: entry'
expect_rc "pools verify: the pools are fine" 0 pools -d "$STORE" verify
expect_rc "index rebuild" 0 index -d "$STORE" rebuild
contains "index rebuild: says what it did" "$WORK/out" '^rebuilt 9 indexes and [0-9]* pools'
expect_rc "index verify after rebuild" 0 index -d "$STORE" verify

# a pool entry pointing at another question
key=$(first_key pool)
value=$(mdb_dump -s pool "$STORE" | sed -n '/^HEADER=END$/{n;n;s/^ //p;q}')
other=00000001
[ "$value" = 00000001 ] && other=00000002
damage pool "$key" "$other"
expect_rc "pools verify: an altered pool entry exits 1" 1 pools -d "$STORE" verify
contains "pools verify: names the pools" "$WORK/err" 'pools: [0-9]* missing, [0-9]* extra'
expect_rc "index verify: the altered pool entry exits 1" 1 index -d "$STORE" verify
contains "index verify: names the pools" "$WORK/err" 'pools: [1-9][0-9]* missing'
expect_rc "index rebuild repairs the pool" 0 index -d "$STORE" rebuild
expect_rc "pools verify after rebuild" 0 pools -d "$STORE" verify
expect_rc "pools list after rebuild" 0 pools -d "$STORE" list --json
same_file "pools list after rebuild: as before" "$WORK/out" "$WORK/pools.json"

# a test_by_user entry of no test
damage test_by_user 0000000101800001000000000000000000000fffff ''
expect_rc "index verify: a planted test_by_user entry exits 1" 1 index -d "$STORE" verify --json
json_is "index verify --json: test_by_user only" "$WORK/out" \
    '[d["ok"], [(r["name"], r["missing"], r["extra"]) for r in d["indexes"] if r["missing"] or r["extra"]]]' \
    '[false, [["test_by_user", 0, 1]]]'
json_is "index verify --json: the first finding names it" "$WORK/out" \
    '[r["first_finding"].startswith("test_by_user: entry") for r in d["indexes"] if r["name"] == "test_by_user"]' \
    '[true]'
expect_rc "pools verify ignores test_by_user" 0 pools -d "$STORE" verify
expect_rc "index rebuild repairs test_by_user" 0 index -d "$STORE" rebuild
expect_rc "index verify after the last rebuild" 0 index -d "$STORE" verify

finish
