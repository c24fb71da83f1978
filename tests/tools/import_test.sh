#!/bin/sh
# Tests `quizstore import`: CSV and JSON Lines files of every kind, broken files (exact
# rejects, exit status 2, valid rows kept), idempotent re-imports, --map, --set, --null.
#
#   sh tests/tools/import_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

STORE=$WORK/store
KINDS="subjects systems topics questions users tests answers interactions"

entries_of() { # entries_of DATABASE: its entries in the last `stats --json` output
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(r["entries"] for r in d["databases"]
          if r["name"] == sys.argv[2] or r["name"].startswith(sys.argv[2] + "@")))' \
        "$WORK/out" "$1"
}

# ---- good files of every kind, CSV then JSON Lines -------------------------------------

for kind in $KINDS; do
    for fmt in csv jsonl; do
        expect_rc "import $kind.$fmt" 0 import -d "$STORE" -q --no-progress \
            --rejects "$WORK/rejects-$kind-$fmt.csv" "$kind" "$DATA/$kind.$fmt"
    done
done

qs stats -d "$STORE" --json
for pair in subject:3 system:4 topic:5 question:6 user:4 test:4 ans:9 ixn:5; do
    db=${pair%%:*}
    want=${pair#*:}
    got=$(entries_of "$db")
    if [ "$got" = "$want" ]; then
        pass "stats: $db entries"
    else
        fail "stats: $db entries" "got $got, expected $want"
    fi
done

# ---- a snapshot of everything the reads show ---------------------------------------------

snapshot() {
    out=$1
    : >"$out"
    for args in "stats" \
        "get question q1" "get question q2" "get question q3" "get question q4" \
        "get question q5" "get question q6" \
        "get test t1" "get test t2" "get test t3" "get test t4" \
        "get stats q1" "get stats q2" "get stats q3" "get stats q5" \
        "get leaderboard --top 10" "get leaderboard --week 2025-12-03T00:00:00Z" \
        "get tests alice" "get tests carol" "get tests dave"; do
        # shellcheck disable=SC2086
        "$CLI" -d "$STORE" $args >>"$out" 2>&1
        echo "-- $args: $?" >>"$out"
    done
    for user in alice bob carol dave; do
        for what in "dashboard $user --now 2025-12-10T00:00:00Z" "progress $user" \
            "history $user --limit 50"; do
            # shellcheck disable=SC2086
            "$CLI" -d "$STORE" get $what >>"$out" 2>&1
            echo "-- get $what: $?" >>"$out"
        done
    done
}

snapshot "$WORK/before-bad"

# ---- broken files: exact rejects, status 2, the valid rows kept ---------------------------

expect_rc "broken answers.csv exits 2" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/answers_bad.rejects.csv" answers "$DATA/answers_bad.csv"
same_file "broken answers.csv: rejects file" "$WORK/answers_bad.rejects.csv" \
    "$DATA/answers_bad.rejects.csv"
qs get -d "$STORE" test t3
json_is "broken answers.csv: valid first row in" "$WORK/out" \
    '[(q["ext_id"], q["status"], q.get("correct"), q.get("score")) for q in d["questions"]]' \
    '[["q1", "answered", false, 10], ["q2", "answered", true, 60], ["q4", "unanswered", null, null]]'
qs get -d "$STORE" test t2
json_is "broken answers.csv: valid quoted last row in" "$WORK/out" \
    '[(q["status"], q.get("chosen"), q.get("correct"), q.get("score")) for q in d["questions"] if q["ext_id"] == "q4"]' \
    '[["answered", 3, true, 40]]'

expect_rc "broken questions.jsonl exits 2" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/questions_bad.rejects.csv" questions "$DATA/questions_bad.jsonl"
same_file "broken questions.jsonl: rejects file" "$WORK/questions_bad.rejects.csv" \
    "$DATA/questions_bad.rejects.csv"
expect_rc "broken questions.jsonl: valid row in" 0 get -d "$STORE" question q8
expect_rc "broken questions.jsonl: bad difficulty out" 1 get -d "$STORE" question q10
expect_rc "broken questions.jsonl: topic of another system out" 1 get -d "$STORE" question q11

# ---- re-importing everything changes nothing ----------------------------------------------

snapshot "$WORK/before"
for kind in $KINDS; do
    for fmt in csv jsonl; do
        expect_rc "re-import $kind.$fmt" 0 import -d "$STORE" -q --no-progress "$kind" \
            "$DATA/$kind.$fmt"
    done
done
expect_rc "re-import broken answers.csv still exits 2" 2 import -d "$STORE" -q \
    --no-progress --rejects "$WORK/again.rejects.csv" answers "$DATA/answers_bad.csv"
same_file "re-import broken answers.csv: same rejects" "$WORK/again.rejects.csv" \
    "$DATA/answers_bad.rejects.csv"
expect_rc "re-import broken questions.jsonl still exits 2" 2 import -d "$STORE" -q \
    --no-progress questions "$DATA/questions_bad.jsonl"
snapshot "$WORK/after"
same_file "re-import: stats and reads unchanged" "$WORK/after" "$WORK/before"
if cmp -s "$WORK/before-bad" "$WORK/before"; then
    fail "the broken files changed the store" "snapshots before and after are equal"
else
    pass "the broken files changed the store"
fi

# ---- --map, --set, --null -----------------------------------------------------------------

map_answers="--map test=session --map question=item --map user=learner --map chosen=picked
--map time_spent_ms=secs --map created_at=when --set score=80 --set status=flagged"
# shellcheck disable=SC2086
expect_rc "answers with --map and --set" 0 import -d "$STORE" -q --no-progress \
    $map_answers answers "$DATA/answers_mapped.csv"
qs get -d "$STORE" test t1
json_is "--map/--set: the answer as mapped" "$WORK/out" \
    '[(q["status"], q["chosen"], q["correct"], q["score"], q["time_spent_ms"], q["created_at"]) for q in d["questions"] if q["ext_id"] == "q4"]' \
    '[["flagged", 3, true, 80, 1500, 1764979200000]]'
json_is "--map/--set: the test's last activity moved" "$WORK/out" 'd["last_activity_at"]' \
    '1764979200000'
snapshot "$WORK/mapped-once"
# shellcheck disable=SC2086
expect_rc "answers with --map and --set again" 0 import -d "$STORE" -q --no-progress \
    $map_answers answers "$DATA/answers_mapped.csv"
snapshot "$WORK/mapped-twice"
same_file "--map/--set re-import changes nothing" "$WORK/mapped-twice" "$WORK/mapped-once"

expect_rc "questions with --map, --set, --null" 0 import -d "$STORE" -q --no-progress \
    --map id=qid --map stem=body --map correct_option=key --map topic=dept \
    --map created_at=deployed --set subject=med --set system=cardio --set difficulty=3 \
    --null NA questions "$DATA/questions_mapped.csv"
qs get -d "$STORE" question q7
json_is "--map/--set/--null: the question as mapped" "$WORK/out" \
    '[d["stem"], d["correct_option"], d["difficulty"], d["subject"]["ext_id"], d["system"]["ext_id"], d["topic"]["ext_id"], d["options"]]' \
    '["Mapped stem", 2, 3, "med", "cardio", "hf", []]'

# ---- text that is not UTF-8 ----------------------------------------------------------------

# A Latin-1 byte in an id, a name or a stem: the line is refused with the field and the
# byte, the UTF-8 lines go in, and JSON Lines refuses the same records. (The patterns
# match around the Latin-1 bytes: '.' matches no invalid byte in a UTF-8 locale.)
expect_lines() { # expect_lines NAME REJECTS WANT: the rejects file lists lines WANT
    got=$(tail -n +2 "$2" | cut -d, -f1 | tr '\n' ' ')
    if [ "$got" = "$3" ]; then
        pass "$1"
    else
        fail "$1" "rejected: $got"
    fi
}
printf 'id,created_at\nzo\303\253,2025-01-01T00:00:00Z\nzo\353,2025-01-01T00:00:00Z\nna\357ve,2025-01-01T00:00:00Z\nplain,2025-01-01T00:00:00Z\n' \
    >"$WORK/latin1_users.csv"
expect_rc "Latin-1 user ids exit 2" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/latin1_users.rejects.csv" users "$WORK/latin1_users.csv"
expect_lines "Latin-1 user ids: lines 3 and 4 rejected" "$WORK/latin1_users.rejects.csv" \
    "3 4 "
contains "Latin-1 user id: the reason" "$WORK/latin1_users.rejects.csv" \
    'invalid argument (user external id: invalid UTF-8 at byte 2 (0xeb))'
contains "Latin-1 user id: the reason of the second" "$WORK/latin1_users.rejects.csv" \
    'invalid argument (user external id: invalid UTF-8 at byte 2 (0xef))'
expect_rc "UTF-8 user id in" 0 get -d "$STORE" dashboard "$(printf 'zo\303\253')"
expect_rc "Latin-1 user id out" 1 get -d "$STORE" dashboard "$(printf 'zo\353')"
printf '{"id":"zo\303\253"}\n{"id":"zo\353"}\n{"id":"na\357ve"}\n{"id":"plain"}\n' \
    >"$WORK/latin1_users.jsonl"
expect_rc "Latin-1 user ids in JSON Lines exit 2" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/latin1_users_jsonl.rejects.csv" users "$WORK/latin1_users.jsonl"
expect_lines "Latin-1 user ids in JSON Lines: the same records rejected" \
    "$WORK/latin1_users_jsonl.rejects.csv" "2 3 "
contains "Latin-1 user id in JSON Lines: the reason" \
    "$WORK/latin1_users_jsonl.rejects.csv" '^2,"JSON column [0-9]*: invalid UTF-8"'

printf 'id,name\nsubj-utf8,Caf\303\251\nsubj-latin1,Caf\351\n' >"$WORK/latin1_subjects.csv"
expect_rc "Latin-1 subject name exits 2" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/latin1_subjects.rejects.csv" subjects "$WORK/latin1_subjects.csv"
contains "Latin-1 subject name: the reason" "$WORK/latin1_subjects.rejects.csv" \
    '^3,"subject .subj-latin1.: invalid argument (subject name: invalid UTF-8 at byte 3 (0xe9))'
printf 'id,difficulty,correct_option,stem\nq-latin1,1,0,Caf\351 au lait?\n' \
    >"$WORK/latin1_questions.csv"
expect_rc "Latin-1 stem exits 2" 2 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/latin1_questions.rejects.csv" questions "$WORK/latin1_questions.csv"
contains "Latin-1 stem: the reason" "$WORK/latin1_questions.rejects.csv" \
    '^2,"question .q-latin1.: invalid argument (question stem: invalid UTF-8 at byte 3 (0xe9))'
expect_rc "Latin-1 stem: the question is out" 1 get -d "$STORE" question q-latin1

# ---- fatal errors ---------------------------------------------------------------------------

expect_rc "missing file exits 1" 1 import -d "$STORE" -q --no-progress answers \
    "$WORK/no-such-file.csv"
expect_rc "unknown kind exits 1" 1 import -d "$STORE" -q --no-progress widgets \
    "$DATA/answers.csv"

# ---- NUL bytes: refused outside the texts, naming the byte ----------------------------------

# A parser of words, numbers, times or ids would stop at the NUL and take what precedes it.
{
    echo 'id,user,status,mode,created_at,last_activity_at,completed_at,questions'
    printf 'n1,alice,active,tutor,2025-12-01\000T07:00:00Z,,,q1\n'
    printf 'n2,alice,active\000x,tutor,2025-12-01T07:00:00Z,,,q1\n'
    printf 'n3,alice,active,tutor\000,2025-12-01T07:00:00Z,,,q1\n'
    printf 'n4,alice,active,tutor,2025-12-01T07:00:00Z,,,q1\000x;q2\n'
    printf 'n5,ali\000ce,active,tutor,2025-12-01T07:00:00Z,,,q1\n'
    printf 'n6,alice,active,tutor,1764572400000,,1\0003,q1\n'
} >"$WORK/nul.csv"
expect_rc "NUL bytes: every such row rejected" 2 import -d "$STORE" --no-progress \
    --rejects "$WORK/nul.rejects.csv" tests "$WORK/nul.csv"
for want in \
    "2,\"created_at: '2025-12-01\\x00T07:00:00Z' holds a NUL byte at byte 11\"" \
    "3,\"status: 'active\\x00x' holds a NUL byte at byte 7\"" \
    "4,\"mode: 'tutor\\x00' holds a NUL byte at byte 6\"" \
    "5,\"questions: 'q1\\x00x;q2' holds a NUL byte at byte 3\"" \
    "6,\"user: 'ali\\x00ce' holds a NUL byte at byte 4\"" \
    "7,\"completed_at: '1\\x003' holds a NUL byte at byte 2\""; do
    if grep -a -q -F -- "$want" "$WORK/nul.rejects.csv"; then
        pass "NUL bytes: ${want%%:*}"
    else
        fail "NUL bytes: ${want%%:*}" "no $want in:" "$(cat -v "$WORK/nul.rejects.csv")"
    fi
done
for id in n1 n2 n3 n4 n5 n6; do
    expect_rc "NUL bytes: test $id not stored" 1 get -d "$STORE" test "$id"
done

finish
