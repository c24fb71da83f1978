#!/bin/sh
# Tests the CLI on real data: imports the EdNet slice of tests/data/ednet with generic
# mapping options only, then checks `get dashboard`, `get progress` and `get history` of
# every user against tests/tools/ednet_expect.py, which recomputes them from the CSV.
#
#   sh tests/tools/ednet_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

EDNET=$(cd "$TOOLS_DIR/../data/ednet" && pwd)
EXPECT="python3 $TOOLS_DIR/ednet_expect.py $EDNET"
STORE=$WORK/store

# One subject and one system, TOEIC; the seven parts are its topics.
printf 'id,name\nTOEIC,TOEIC\n' >"$WORK/taxon.csv"
{
    echo "id,system,name"
    for part in 1 2 3 4 5 6 7; do
        echo "$part,TOEIC,Part $part"
    done
} >"$WORK/topics.csv"
expect_rc "import subject" 0 import -d "$STORE" -q --no-progress subjects "$WORK/taxon.csv"
expect_rc "import system" 0 import -d "$STORE" -q --no-progress systems "$WORK/taxon.csv"
expect_rc "import parts as topics" 0 import -d "$STORE" -q --no-progress topics "$WORK/topics.csv"

expect_rc "import questions" 0 import -d "$STORE" -q --no-progress \
    --rejects "$WORK/questions.rejects.csv" \
    --map id=question_id --map correct_option=correct_answer --map topic=part \
    --map created_at=deployed_at --set system=TOEIC --set subject=TOEIC --set difficulty=2 \
    --null -1 questions "$EDNET/contents/questions.csv"

# Repeated (user, solving_id, question) rows after the first are duplicates or
# conflicts: the first row stays, so the import may end with status 2.
import_answers() {
    qs import -d "$STORE" -q --no-progress --rejects "$1" \
        --map user=user_id --map test=user_id+solving_id --map question=question_id \
        --map chosen=user_answer --map time_spent_ms=elapsed_time --map created_at=timestamp \
        answers "$EDNET/answers_kt1_slice.csv"
}
import_answers "$WORK/answers.rejects.csv"
if [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; then
    pass "import answers"
else
    fail "import answers" "exit status $rc" "$(tail -n 5 "$WORK/err")"
fi
# Every rejected line repeats a (user, solving_id, question) seen earlier in the file.
detail=$(python3 - "$EDNET/answers_kt1_slice.csv" "$WORK/answers.rejects.csv" <<'EOF'
import csv, sys
first = {}
with open(sys.argv[1], newline='') as f:
    for line, row in enumerate(csv.DictReader(f), start=2):
        first.setdefault((row['user_id'], row['solving_id'], row['question_id']), line)
with open(sys.argv[1], newline='') as f:
    rows = {line: row for line, row in enumerate(csv.DictReader(f), start=2)}
with open(sys.argv[2], newline='') as f:
    for rej in csv.DictReader(f):
        row = rows[int(rej['line'])]
        key = (row['user_id'], row['solving_id'], row['question_id'])
        if first[key] == int(rej['line']):
            print('line %s rejected but it is the first of %s: %s' % (rej['line'], key, rej['reason']))
EOF
)
if [ -z "$detail" ]; then
    pass "only repeated rows rejected"
else
    fail "only repeated rows rejected" "$detail"
fi

# check_history_page USER LIMIT SKIP CURSOR: the page after SKIP rows (CURSOR "" for
# the first); fails on a read error or a wrong row. The page is in $WORK/history.json.
check_history_page() {
    name="history $1 rows $3.. by $2"
    if [ -z "$4" ]; then
        qs get -d "$STORE" history "$1" --limit "$2"
    else
        qs get -d "$STORE" history "$1" --limit "$2" --cursor "$4"
    fi
    cp "$WORK/out" "$WORK/history.json"
    if [ "$rc" -ne 0 ]; then
        fail "$name" "exit status $rc" "$(cat "$WORK/err")"
        return 1
    fi
    if detail=$($EXPECT history "$1" "$3" "$2" "$WORK/history.json"); then
        pass "$name"
    else
        fail "$name" "$detail"
        return 1
    fi
}

for user in $($EXPECT users); do
    last=$($EXPECT last-time "$user")
    for now in "$last" $((last - 20 * 86400000)); do
        qs get -d "$STORE" dashboard "$user" --now "$now"
        cp "$WORK/out" "$WORK/dashboard.json"
        if [ "$rc" -ne 0 ]; then
            fail "dashboard $user at $now" "exit status $rc" "$(cat "$WORK/err")"
        elif detail=$($EXPECT dashboard "$user" "$now" "$WORK/dashboard.json"); then
            pass "dashboard $user at $now"
        else
            fail "dashboard $user at $now" "$detail"
        fi
    done

    qs get -d "$STORE" progress "$user"
    cp "$WORK/out" "$WORK/progress.json"
    if [ "$rc" -ne 0 ]; then
        fail "progress $user" "exit status $rc" "$(cat "$WORK/err")"
    elif detail=$($EXPECT progress "$user" "$WORK/progress.json"); then
        pass "progress $user"
    else
        fail "progress $user" "$detail"
    fi

    # The first page of 20, then the whole history in pages of 400 (equal timestamps
    # and several months included).
    check_history_page "$user" 20 0 ""
    cursor=""
    skip=0
    while :; do
        check_history_page "$user" 400 "$skip" "$cursor" || break
        cursor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"] or "")' \
            "$WORK/history.json")
        [ -n "$cursor" ] || break
        skip=$((skip + 400))
    done
done

# Importing the slice again changes nothing.
qs stats -d "$STORE"
cp "$WORK/out" "$WORK/stats-before"
import_answers "$WORK/again.rejects.csv"
qs stats -d "$STORE"
same_file "re-import of the slice changes nothing" "$WORK/out" "$WORK/stats-before"

finish
