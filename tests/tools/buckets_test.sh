#!/bin/sh
# Tests `quizstore buckets` and `quizstore get interactions` on a generated workload in a
# store of daily buckets (--period day): the listing against the imported rows, reads
# byte-identical before and after sealing, sealing refused for hot, sealed and absent
# buckets, retention dropping exactly the interaction buckets it should, and the
# interaction day counts surviving it.
#
#   sh tests/tools/buckets_test.sh PATH/TO/quizstore      (qs-gen: $QS_GEN, or the build's)
. "$(dirname "$0")/lib/check.sh"

GEN=${QS_GEN:-$(dirname "$CLI")/../bench/qs-gen}
GEN_DATA=$WORK/gen
STORE=$WORK/store
CHECK=$WORK/check.py
NOW=2026-01-01T00:00:00Z # the end of the generated history: 2025-12-31 is hot
DAYS='["2025-12-29", "2025-12-30", "2025-12-31"]'

# The checks over JSON outputs and the generated CSV files.
cat >"$CHECK" <<'EOF'
import csv, datetime, json, re, sys

DAY = 86400000
ACTIONS = [None, 'view', 'bookmark', 'note', 'flag', 'hint', 'video', 'search', 'share']

def buckets(path):
    return [json.loads(line) for line in open(path)]

def by_table(rows, table):
    return [b for b in rows if b['table'] == table]

def check_raw(path, days, answers, interactions):
    """Every bucket raw, one per day, rows adding up to what the imports inserted."""
    rows, errors = buckets(path), []
    for table, prefix, want in (('answers', 'ans@', answers), ('interactions', 'ixn@', interactions)):
        mine = by_table(rows, table)
        if [b['period'] for b in mine] != days:
            errors.append('%s periods %s, expected %s' % (table, [b['period'] for b in mine], days))
        if sum(b['rows'] for b in mine) != want:
            errors.append('%s rows add up to %d, imported %d' % (table, sum(b['rows'] for b in mine), want))
        for b in mine:
            if b['sealed'] or b['raw_bytes'] != b['bytes'] or not b['name'].startswith(prefix):
                errors.append('not a raw bucket: %s' % b)
            if b['end'] - b['start'] != DAY or b['start'] % DAY:
                errors.append('not a UTC day: %s' % b)
    return errors

def check_sealed(before_path, after_path, sealed_periods):
    """The periods named are sealed, smaller than the raw database they replaced; the rest
    are as they were."""
    before, after, errors = buckets(before_path), buckets(after_path), []
    key = lambda b: (b['table'], b['period'])
    if [key(b) for b in before] != [key(b) for b in after]:
        return ['buckets %s, before %s' % ([key(b) for b in after], [key(b) for b in before])]
    for b, a in zip(before, after):
        want_sealed = '%s %s' % key(b) in sealed_periods or (b['sealed'] and a == b)
        if a['rows'] != b['rows']:
            errors.append('%s %s: %d rows, %d before' % (key(b) + (a['rows'], b['rows'])))
        if not want_sealed:
            if a != b:
                errors.append('changed: %s, before %s' % (a, b))
            continue
        if not a['sealed'] or not a['name'].endswith('.z'):
            errors.append('not sealed: %s' % a)
        elif not b['sealed'] and a['raw_bytes'] != b['bytes']:
            errors.append('%s %s: raw_bytes %d, the raw bucket had %d' % (key(b) + (a['raw_bytes'], b['bytes'])))
        if a['raw_bytes'] <= a['bytes']:
            errors.append('%s %s: ratio %d/%d is not above 1' % (key(b) + (a['raw_bytes'], a['bytes'])))
    return errors

def check_table(text_path, json_path):
    """The text table says what the JSON Lines say; sealed lines show their ratio."""
    rows, errors = buckets(json_path), []
    lines = open(text_path).read().splitlines()
    if lines[0].split() != ['table', 'period', 'state', 'rows', 'bytes', 'raw', 'bytes', 'ratio', 'bytes/row']:
        errors.append('header: %s' % lines[0])
    body = [l.split() for l in lines[1:-1]]
    buckets_lines = [f for f in body if f[1] != 'total']
    for f, b in zip(buckets_lines, rows):
        want = [b['table'], b['period'], 'sealed' if b['sealed'] else 'raw', str(b['rows']),
                str(b['bytes']), str(b['raw_bytes']),
                '%.1f' % (b['raw_bytes'] / b['bytes']) if b['sealed'] else '-',
                '%.1f' % (b['bytes'] / b['rows'])]
        if f != want:
            errors.append('line %s, expected %s' % (f, want))
    if len(buckets_lines) != len(rows):
        errors.append('%d bucket lines, %d buckets' % (len(buckets_lines), len(rows)))
    for table in ('answers', 'interactions'):
        mine = by_table(rows, table)
        total = [f for f in body if f[0] == table and f[1] == 'total']
        sealed = sum(b['sealed'] for b in mine)
        want = [table, 'total', '%d/%d' % (sealed, len(mine)), 'sealed',
                str(sum(b['rows'] for b in mine)), str(sum(b['bytes'] for b in mine)),
                str(sum(b['raw_bytes'] for b in mine))]
        if not total or total[0][:7] != want:
            errors.append('%s total %s, expected %s...' % (table, total, want))
    last = '%d buckets, %d sealed,' % (len(rows), sum(b['sealed'] for b in rows))
    if not lines[-1].startswith(last):
        errors.append('last line %r, expected %r...' % (lines[-1], last))
    return errors

def check_expire(before_path, after_path, now, days):
    """Exactly the interaction buckets whose period ended at or before now - days are gone."""
    before, after = buckets(before_path), buckets(after_path)
    cutoff = now - days * DAY
    want = [b for b in before if not (b['table'] == 'interactions' and b['end'] <= cutoff)]
    if after != want:
        return ['after expiring at %d (cutoff %d): %s; expected %s' % (now, cutoff, after, want)]
    if len(want) == len(before):
        return ['nothing expired: the check cannot tell']
    return []

def date_of(day):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()

def check_interactions(csv_path, out_dir, users):
    """Each user's day counts and events equal the generated file's."""
    events, errors = {}, []
    for r in csv.DictReader(open(csv_path)):
        events.setdefault(r['user'], set()).add((int(r['created_at']), r['action'], r['payload']))
    for user in users:
        d = json.load(open('%s/%s.json' % (out_dir, user)))
        mine = sorted(events.get(user, ()))
        counts = {}
        for t, action, _ in mine:
            k = (t // DAY, ACTIONS.index(action))
            counts[k] = counts.get(k, 0) + 1
        got = [(r['day'], r['action'], r['count']) for r in d['rows']]
        want = [(date_of(day), ACTIONS[a], n) for (day, a), n in sorted(counts.items())]
        if got != want:
            errors.append('user %s: rows %s, expected %s' % (user, got[:5], want[:5]))
        got_events = [(e['created_at'], e['action'], e['payload']) for e in d['events']]
        if got_events != mine:
            errors.append('user %s: events %s, expected %s' % (user, got_events[:3], mine[:3]))
        if len(errors) > 5:
            break
    return errors

def check_events_dropped(before_dir, after_dir, dropped_path, users):
    """Each user's events lose those of the dropped buckets; the day rows stay."""
    gone = [b for b in buckets(dropped_path) if b['table'] == 'interactions']
    errors = []
    for user in users:
        b = json.load(open('%s/%s.json' % (before_dir, user)))
        a = json.load(open('%s/%s.json' % (after_dir, user)))
        want = [e for e in b['events'] if not any(g['start'] <= e['created_at'] < g['end'] for g in gone)]
        if a['events'] != want:
            errors.append('user %s: %d events, expected %d' % (user, len(a['events']), len(want)))
        if a['rows'] != b['rows']:
            errors.append('user %s: day rows changed' % user)
    if not gone:
        errors.append('no interaction bucket was dropped: the check cannot tell')
    return errors

def check_expired_rejects(rejects_path, csv_path, dropped_path):
    """The rejects file lists exactly the events of the dropped periods, each as expired."""
    gone = [b for b in buckets(dropped_path) if b['table'] == 'interactions']
    header = next(csv.reader(open(csv_path, newline='')))
    at = header.index('created_at')
    want = sorted(int(r['created_at']) for r in csv.DictReader(open(csv_path, newline=''))
                  if any(g['start'] <= int(r['created_at']) < g['end'] for g in gone))
    rows = list(csv.DictReader(open(rejects_path, newline='')))
    got = sorted(int(next(csv.reader([r['record']]))[at]) for r in rows)
    reason = re.compile(r"expired: created_at '-?[0-9]+' falls in a period retention dropped$")
    errors = ['line %s: reason %s' % (r['line'], r['reason']) for r in rows
              if not reason.match(r['reason'])][:3]
    if got != want or not want:
        errors.append('%d expired lines, expected %d (not 0)' % (len(got), len(want)))
    return errors

def check_range(part_path, whole_path, first, last):
    """A range's day rows are the whole's rows of those days."""
    part, whole = json.load(open(part_path)), json.load(open(whole_path))
    want = [r for r in whole['rows'] if first <= r['day'] <= last]
    errors = []
    if [part['from'], part['to']] != [first, last]:
        errors.append('from %s to %s, expected %s to %s' % (part['from'], part['to'], first, last))
    if part['rows'] != want or not want:
        errors.append('rows %s, expected %s (not empty)' % (part['rows'], want))
    return errors

def dropped(before_path, after_path):
    """The buckets of before that after lacks, as JSON Lines."""
    after = {(b['table'], b['period']) for b in buckets(after_path)}
    for b in buckets(before_path):
        if (b['table'], b['period']) not in after:
            print(json.dumps(b))
    return []

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == 'raw':
    errors = check_raw(args[0], json.loads(args[1]), int(args[2]), int(args[3]))
elif cmd == 'sealed':
    errors = check_sealed(args[0], args[1], args[2:])
elif cmd == 'table':
    errors = check_table(args[0], args[1])
elif cmd == 'expire':
    errors = check_expire(args[0], args[1], int(args[2]), int(args[3]))
elif cmd == 'interactions':
    errors = check_interactions(args[0], args[1], args[2:])
elif cmd == 'events-dropped':
    errors = check_events_dropped(args[0], args[1], args[2], args[3:])
elif cmd == 'expired-rejects':
    errors = check_expired_rejects(*args)
elif cmd == 'range':
    errors = check_range(*args)
elif cmd == 'dropped':
    errors = dropped(args[0], args[1])
elif cmd == 'top-users':  # the N users with the most answers
    counts = {}
    for r in csv.DictReader(open(args[0])):
        counts[r['user']] = counts.get(r['user'], 0) + 1
    print(' '.join(sorted(counts, key=lambda u: (-counts[u], u))[:int(args[1])]))
    errors = []
if errors:
    print('\n'.join(errors), file=sys.stderr if cmd == 'dropped' else sys.stdout)
sys.exit(1 if errors else 0)
EOF

# check NAME ARGS...: runs one of check.py's checks, a case.
check() {
    name=$1
    shift
    if detail=$(python3 "$CHECK" "$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "$detail"
    fi
}

# lines NAME FILE REGEX N: FILE has N lines matching REGEX.
lines() {
    got=$(grep -c -- "$3" "$2")
    if [ "$got" -eq "$4" ]; then
        pass "$1"
    else
        fail "$1" "$got lines match '$3', expected $4" "$(head -n 12 "$2")"
    fi
}

# list NAME: `buckets list --json` into $WORK/NAME.jsonl.
list() {
    qs buckets -d "$STORE" list --json
    cp "$WORK/out" "$WORK/$1.jsonl"
    [ "$rc" -eq 0 ] || fail "buckets list --json ($1)" "exit $rc: $(cat "$WORK/err")"
}

# inserted: the `inserted` count of the last import's summary line.
inserted() {
    sed -n 's/.* read, \([0-9]*\) inserted,.*/\1/p' "$WORK/out"
}

# get_into DIR FILE ARGS...: `get ARGS` into DIR/FILE; failures are noted in DIR/errors.
get_into() {
    into_dir=$1
    into_file=$2
    shift 2
    "$CLI" get -d "$STORE" "$@" >"$into_dir/$into_file" 2>"$into_dir/err" ||
        echo "get $*: $(cat "$into_dir/err")" >>"$into_dir/errors"
}

# reads DIR: into DIR, each of USERS' whole history (history/), interaction day rows
# (days/) and day rows with events (events/), and the history of the busiest users in
# pages of 40 following the cursors (pages-USER).
reads() {
    mkdir -p "$1/history" "$1/days" "$1/events"
    for user in $USERS; do
        get_into "$1" "history/$user.json" history "$user" --limit 10000
        get_into "$1" "days/$user.json" interactions "$user" --now "$NOW"
        get_into "$1" "events/$user.json" interactions "$user" --now "$NOW" --events
    done
    for user in $PAGED; do
        cursor=""
        page=0
        while [ "$page" -lt 100 ]; do
            page=$((page + 1))
            "$CLI" get -d "$STORE" history "$user" --limit 40 ${cursor:+--cursor "$cursor"} \
                >"$1/page.json" 2>"$1/err" || { cat "$1/err" >>"$1/errors"; break; }
            cat "$1/page.json" >>"$1/pages-$user"
            cursor=$(sed -n 's/^ *"next": "\([^"]*\)".*/\1/p' "$1/page.json")
            [ -n "$cursor" ] || break
        done
        echo "$page pages" >>"$1/pages-$user"
    done
    rm -f "$1/page.json" "$1/err"
}

# same_reads NAME DIR [DIFF-OPTIONS]: DIR holds the same reads as $WORK/reads-raw, byte
# for byte.
same_reads() {
    name=$1
    dir=$2
    shift 2
    if [ -s "$dir/errors" ]; then
        fail "$name" "$(head -n 5 "$dir/errors")"
    elif diff -r "$@" "$WORK/reads-raw" "$dir" >"$WORK/reads.diff"; then
        pass "$name"
    else
        fail "$name" "$(head -n 20 "$WORK/reads.diff")"
    fi
}

# ---- a store of daily buckets --------------------------------------------------------------

if [ ! -x "$GEN" ]; then
    fail "qs-gen at $GEN" "not built"
    finish
fi
if "$GEN" -s 11 -S 0.01 -d 3 -o "$GEN_DATA" >"$WORK/gen.out" 2>&1; then
    pass "qs-gen -s 11 -S 0.01 -d 3"
else
    fail "qs-gen -s 11 -S 0.01 -d 3" "$(tail -n 3 "$WORK/gen.out")"
    finish
fi
for kind in subjects systems topics questions users tests answers interactions; do
    expect_rc "import generated $kind" 0 import -d "$STORE" --period day --no-progress \
        --periodic "$kind" "$GEN_DATA/$kind.csv"
    case $kind in
    answers) answers=$(inserted) ;;
    interactions) interactions=$(inserted) ;;
    esac
done
# the users whose reads are compared: one in four (every call opens the store)
USERS=$(sed '1d; s/,.*//' "$GEN_DATA/users.csv" | awk 'NR % 4 == 1')
PAGED=$(python3 "$CHECK" top-users "$GEN_DATA/answers.csv" 4)

expect_rc "buckets policy: the defaults" 0 buckets -d "$STORE" policy
cp "$WORK/out" "$WORK/policy-default"
contains "policy: 2 hot periods" "$WORK/policy-default" '^hot periods  *2$'
contains "policy: answers kept forever" "$WORK/policy-default" '^keep answers  *forever$'
contains "policy: interactions kept 90 days" "$WORK/policy-default" \
    '^keep interactions  *90 days$'

list raw
check "list --json: one raw bucket per day and table, rows add up to the imports" \
    raw "$WORK/raw.jsonl" "$DAYS" "${answers:-0}" "${interactions:-0}"
expect_rc "buckets list" 0 buckets -d "$STORE" list
cp "$WORK/out" "$WORK/raw.txt"
check "list: the table and its totals" table "$WORK/raw.txt" "$WORK/raw.jsonl"

reads "$WORK/reads-raw"
if [ -s "$WORK/reads-raw/errors" ]; then
    fail "reads of the raw store" "$(head -n 5 "$WORK/reads-raw/errors")"
else
    pass "reads of the raw store"
fi
# shellcheck disable=SC2086
check "get interactions: each user's day rows and events are the file's" \
    interactions "$GEN_DATA/interactions.csv" "$WORK/reads-raw/events" $USERS
for user in $PAGED; do
    pages=$(sed -n 's/^\([0-9]*\) pages$/\1/p' "$WORK/reads-raw/pages-$user")
    if [ "${pages:-0}" -ge 3 ]; then
        pass "history of user $user: read in $pages pages"
    else
        fail "history of user $user: read in several pages" "${pages:-no} pages"
    fi
done

# ---- sealing ------------------------------------------------------------------------------

expect_rc "seal a hot bucket: exit 1" 1 buckets -d "$STORE" seal --now "$NOW" --table answers \
    2025-12-31
contains "seal a hot bucket: names it and why" "$WORK/err" \
    '^quizstore: buckets seal 2025-12-31: ans@2025-12-31 is hot: '
expect_rc "seal both tables' hot buckets: exit 1" 1 buckets -d "$STORE" seal --now "$NOW" \
    2025-12-31T10:00:00Z
lines "seal both tables' hot buckets: one message each" "$WORK/err" '@2025-12-31 is hot' 2
expect_rc "seal a period with no bucket: exit 1" 1 buckets -d "$STORE" seal --now "$NOW" 2025-11
contains "seal a period with no bucket: says so" "$WORK/err" \
    '^quizstore: buckets seal 2025-11: no bucket holds 2025-11-01T00:00:00.000Z$'
expect_rc "seal a malformed period: exit 1" 1 buckets -d "$STORE" seal 2025-13
expect_rc "seal --table: unknown table" 1 buckets -d "$STORE" seal --table tests
list refused
same_file "refused seals change nothing" "$WORK/refused.jsonl" "$WORK/raw.jsonl"

expect_rc "buckets seal --now $NOW" 0 buckets -d "$STORE" seal --now "$NOW"
cp "$WORK/out" "$WORK/seal.out"
lines "seal: one line per sealed bucket" "$WORK/seal.out" \
    '^sealed [a-z]*@2025-12-[23][90]\.z: [0-9]* rows, [0-9]* -> [0-9]* bytes ([0-9.]*x) in [0-9.]* s$' 4
contains "seal: the summary counts the hot buckets" "$WORK/seal.out" \
    '^sealed 4 buckets, [0-9]* rows, [0-9]* -> [0-9]* bytes ([0-9.]*x) in [0-9.]* s; 2 hot left raw, 0 sealed already$'
list sealed
check "list after seal: the two old days sealed, smaller, same rows" \
    sealed "$WORK/raw.jsonl" "$WORK/sealed.jsonl" "answers 2025-12-29" "answers 2025-12-30" \
    "interactions 2025-12-29" "interactions 2025-12-30"
expect_rc "buckets list after seal" 0 buckets -d "$STORE" list
cp "$WORK/out" "$WORK/sealed.txt"
check "list after seal: the table shows them sealed with their ratio" \
    table "$WORK/sealed.txt" "$WORK/sealed.jsonl"
lines "list after seal: four sealed lines" "$WORK/sealed.txt" '^[a-z]*  *2025-12-[0-9]* sealed ' 4

reads "$WORK/reads-sealed"
same_reads "history and interactions read the same after sealing" "$WORK/reads-sealed"

expect_rc "seal again" 0 buckets -d "$STORE" seal --now "$NOW"
contains "seal again: nothing to do" "$WORK/out" \
    '^sealed 0 buckets; 2 hot left raw, 4 sealed already$'
list again
same_file "seal again: the buckets are unchanged" "$WORK/again.jsonl" "$WORK/sealed.jsonl"
expect_rc "seal a sealed bucket by name: exit 1" 1 buckets -d "$STORE" seal --now "$NOW" \
    --table interactions 2025-12-30
contains "seal a sealed bucket: says so" "$WORK/err" '@2025-12-30\.z is sealed already$'

# two days later 2025-12-31 is out of the hot window: seal the interactions' by name
expect_rc "seal --table interactions 2025-12-31 two days later" 0 buckets -d "$STORE" seal \
    --now 2026-01-03T00:00:00Z --table interactions 2025-12-31
lines "seal by name: one bucket" "$WORK/out" '^sealed ixn@2025-12-31\.z: ' 1
list named
check "seal by name: only that bucket changed" \
    sealed "$WORK/sealed.jsonl" "$WORK/named.jsonl" "interactions 2025-12-31"
reads "$WORK/reads-named"
same_reads "reads the same with a bucket sealed by name" "$WORK/reads-named"

# ---- retention ----------------------------------------------------------------------------

expect_rc "expire with the default policy" 0 buckets -d "$STORE" expire --now "$NOW"
contains "expire: 90 days keep everything" "$WORK/out" '^dropped 0 buckets (answers kept forever, interactions 90 days, at 2026-01-01T00:00:00.000Z)$'
list kept
same_file "expire with the default policy: nothing dropped" "$WORK/kept.jsonl" "$WORK/named.jsonl"

expect_rc "policy --keep-interactions 2" 0 buckets -d "$STORE" policy --keep-interactions 2
printf 'hot periods          2\nkeep answers         forever\nkeep interactions    2 days\n' \
    >"$WORK/policy-want"
same_file "policy --keep-interactions 2: that field only" "$WORK/out" "$WORK/policy-want"
expect_rc "policy: prints the stored policy" 0 buckets -d "$STORE" policy
same_file "policy: the change is stored" "$WORK/out" "$WORK/policy-want"

# at noon on 2026-01-01 the cutoff is 2025-12-30 12:00: 2025-12-29 ended before it
expect_rc "expire at 2026-01-01T12:00:00Z" 0 buckets -d "$STORE" expire --now 2026-01-01T12:00:00Z
cp "$WORK/out" "$WORK/expire1.out"
contains "expire: names the dropped bucket" "$WORK/expire1.out" '^dropped ixn@2025-12-29\.z$'
contains "expire: counts it" "$WORK/expire1.out" '^dropped 1 bucket (answers kept forever, interactions 2 days, at 2026-01-01T12:00:00.000Z)$'
list expired1
check "expire: exactly the interaction buckets ended 2 days before" \
    expire "$WORK/kept.jsonl" "$WORK/expired1.jsonl" 1767268800000 2
# at midnight on 2026-01-02 the cutoff is 2025-12-31 00:00, where 2025-12-30 ends
expect_rc "expire at 2026-01-02T00:00:00Z" 0 buckets -d "$STORE" expire --now 2026-01-02T00:00:00Z
contains "expire: a period ending at the cutoff goes" "$WORK/out" '^dropped ixn@2025-12-30\.z$'
list expired2
check "expire: the period ending at the cutoff, nothing else" \
    expire "$WORK/expired1.jsonl" "$WORK/expired2.jsonl" 1767312000000 2
python3 "$CHECK" dropped "$WORK/kept.jsonl" "$WORK/expired2.jsonl" >"$WORK/dropped.jsonl"

reads "$WORK/reads-expired"
# shellcheck disable=SC2086
check "expire: the events of dropped buckets are gone, the day rows stay" events-dropped \
    "$WORK/reads-raw/events" "$WORK/reads-expired/events" "$WORK/dropped.jsonl" $USERS
same_reads "expire: history and get interactions unchanged" "$WORK/reads-expired" -x events

# importing the whole log again counts nothing twice: rows of dropped periods are expired;
# they are not in the store, so the import exits 2 and writes them to the rejects file
expect_rc "re-import interactions after expire: exit 2" 2 import -d "$STORE" --no-progress \
    --rejects "$WORK/expired.csv" interactions "$GEN_DATA/interactions.csv"
contains "re-import: the dropped days' events are expired, the rest duplicates" "$WORK/out" \
    ' 0 inserted, .* [1-9][0-9]* duplicate, 0 rejected, [1-9][0-9]* expired '
contains "re-import: says where the expired lines are" "$WORK/err" \
    'lines expired (in periods retention dropped), written to .*expired\.csv$'
check "re-import: the rejects file lists every expired line, with its reason" expired-rejects \
    "$WORK/expired.csv" "$GEN_DATA/interactions.csv" "$WORK/dropped.jsonl"
reads "$WORK/reads-reimported"
same_reads "re-import: reads unchanged" "$WORK/reads-reimported" -x events

# ---- other periods, options, errors -------------------------------------------------------

for period in month week; do
    expect_rc "import interactions into a $period store" 0 import -d "$WORK/$period" -q \
        --no-progress --period "$period" interactions "$DATA/interactions.csv"
    qs buckets -d "$WORK/$period" list --json
    cp "$WORK/out" "$WORK/$period.jsonl"
done
json_is "a monthly store lists its period as YYYY-MM" "$WORK/month.jsonl" \
    '[(d["period"], d["end"] - d["start"])]' '[["2025-12", 2678400000]]'
json_is "a weekly store lists its period as its Monday" "$WORK/week.jsonl" \
    '[(d["period"], d["end"] - d["start"])]' '[["2025-12-01", 604800000]]'
expect_rc "--period fortnight: exit 1" 1 import -d "$WORK/fortnight" --period fortnight \
    interactions "$DATA/interactions.csv"

user=$(echo "$PAGED" | cut -d' ' -f1)
expect_rc "get interactions --from --to" 0 get -d "$STORE" interactions "$user" \
    --from 2025-12-30 --to 2025-12-31
check "get interactions --from --to: the rows of those days" range "$WORK/out" \
    "$WORK/reads-raw/days/$user.json" 2025-12-30 2025-12-31
expect_rc "get interactions: the 30 days up to --now" 0 get -d "$STORE" interactions "$user" \
    --now 2026-01-15T10:00:00Z
json_is "get interactions: the default range" "$WORK/out" '[d["from"], d["to"]]' \
    '["2025-12-17", "2026-01-15"]'
expect_rc "get interactions: --from after --to" 1 get -d "$STORE" interactions "$user" \
    --from 2026-01-05 --to 2026-01-01
expect_rc "get interactions: a date that is not YYYY-MM-DD" 1 get -d "$STORE" interactions \
    "$user" --from 2025-12-1
expect_rc "get interactions: unknown user" 1 get -d "$STORE" interactions nobody
contains "get interactions: unknown user says so" "$WORK/err" 'user not found'
expect_rc "get history: --events does not apply" 1 get -d "$STORE" history "$user" --events

expect_rc "buckets: no action" 1 buckets -d "$STORE"
expect_rc "buckets: unknown action" 1 buckets -d "$STORE" squash
expect_rc "buckets list: --now does not apply" 1 buckets -d "$STORE" list --now "$NOW"
expect_rc "buckets expire: --table does not apply" 1 buckets -d "$STORE" expire --table answers
expect_rc "buckets list: no PERIOD" 1 buckets -d "$STORE" list 2025-12
expect_rc "buckets policy --hot 0" 1 buckets -d "$STORE" policy --hot 0
expect_rc "buckets policy --keep-answers -1" 1 buckets -d "$STORE" policy --keep-answers -1
expect_rc "buckets seal: bad --now" 1 buckets -d "$STORE" seal --now yesterday
expect_rc "buckets seal: no store" 1 buckets -d "$WORK/nothing" seal
if [ ! -e "$WORK/nothing" ]; then
    pass "buckets seal: no store is created"
else
    fail "buckets seal: no store is created" "$WORK/nothing exists"
fi
expect_rc "help buckets" 0 help buckets
contains "help buckets: the actions" "$WORK/out" 'seal \[--now TIME\]'

finish
