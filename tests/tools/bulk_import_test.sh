#!/bin/sh
# Tests `import answers` in bulk batches (the default) against --row-by-row: the same
# files give the same counts, rejects and reads, and both stores pass `check`; a bulk
# import killed at any moment and run again ends in that same state. The same for
# `import interactions`, many per call (the default) against one call each. Data: a
# qs-gen history and the EdNet slice of tests/data/ednet.
#
#   sh tests/tools/bulk_import_test.sh PATH/TO/quizstore      (qs-gen: $QS_GEN)
. "$(dirname "$0")/lib/check.sh"

GEN=${QS_GEN:-$(dirname "$CLI")/../bench/qs-gen}
EDNET=$(cd "$TOOLS_DIR/../data/ednet" && pwd)
NOW=2026-01-01T00:00:00Z

# snapshot STORE USERS_CSV OUT: the reads of the first 40 users (tests/api/bulk_test.c
# compares every user's, call by call), the boards and every success band's questions,
# as `get` prints them.
snapshot() {
    : >"$3"
    for user in $(sed 1d "$2" | cut -d, -f1 | head -n 40); do
        for what in "dashboard $user --now $NOW" "progress $user" "tests $user" \
            "history $user --limit 10000"; do
            # shellcheck disable=SC2086
            "$CLI" get -d "$1" $what >>"$3" 2>&1
            echo "-- $what: $?" >>"$3"
        done
    done
    "$CLI" get -d "$1" leaderboard --top 10000 >>"$3" 2>&1
    for week in 2025-12-15 2025-12-22 2025-12-29; do
        "$CLI" get -d "$1" leaderboard --top 10000 --week "${week}T00:00:00Z" >>"$3" 2>&1
    done
    for band in 0 1 2 3 4 5 6 7 8 9 none; do
        "$CLI" get -d "$1" questions --band "$band" --limit 10000 >>"$3" 2>&1
    done
}

# sound NAME STORE: `check` (records, aggregates, indexes and pools) finds nothing.
sound() {
    expect_rc "$1: check" 0 check -d "$2"
}

# ---- a generated history -----------------------------------------------------------------

"$GEN" -s 7 -S 0.01 -d 3 -o "$WORK/gen" >/dev/null 2>&1 || fail "qs-gen" "exit status $?"
for kind in subjects systems topics questions users tests; do
    expect_rc "gen: import $kind" 0 import -d "$WORK/base" -q --no-progress "$kind" \
        "$WORK/gen/$kind.csv"
done
cp -r "$WORK/base" "$WORK/bulk"
cp -r "$WORK/base" "$WORK/rows"
expect_rc "gen: import answers in bulk" 0 import -d "$WORK/bulk" --no-progress answers \
    "$WORK/gen/answers.csv"
sed 's/ in [0-9.]* s (.*//' "$WORK/out" >"$WORK/bulk.summary"
expect_rc "gen: import answers row by row" 0 import -d "$WORK/rows" --no-progress \
    --row-by-row answers "$WORK/gen/answers.csv"
sed 's/ in [0-9.]* s (.*//' "$WORK/out" >"$WORK/rows.summary"
same_file "gen: the same counts" "$WORK/bulk.summary" "$WORK/rows.summary"
snapshot "$WORK/bulk" "$WORK/gen/users.csv" "$WORK/bulk.reads"
snapshot "$WORK/rows" "$WORK/gen/users.csv" "$WORK/rows.reads"
same_file "gen: the same reads" "$WORK/bulk.reads" "$WORK/rows.reads"
sound "gen bulk" "$WORK/bulk"
sound "gen row by row" "$WORK/rows"

expect_rc "gen: a bulk import again changes nothing" 0 import -d "$WORK/bulk" --no-progress \
    answers "$WORK/gen/answers.csv"
contains "gen: every row a duplicate" "$WORK/out" " 0 inserted, .* 0 rejected"

# Killed while it waits for more input, with ROWS rows read (batches of 1000: a batch
# gathered and not committed, or none), then run again to the end: the state of the
# uninterrupted imports. The answers the kill left are counted from `stats`.
for rows in 2500 3000; do
    rm -rf "$WORK/killed"
    cp -r "$WORK/base" "$WORK/killed"
    sh -c '(head -n "$1" "$2"; sleep 3) | timeout -s KILL 2 "$3" import -d "$4" -q \
        --no-progress --batch 1000 --format csv answers -' sh $((rows + 1)) \
        "$WORK/gen/answers.csv" "$CLI" "$WORK/killed" >/dev/null 2>&1
    qs stats -d "$WORK/killed" --json
    json_is "gen: killed with $rows rows read, the committed batches kept" "$WORK/out" \
        'sum(r["entries"] for r in d["databases"] if r["name"].startswith("ans@"))' \
        "$((rows / 1000 * 1000))"
    expect_rc "gen: killed with $rows rows read, run again" 0 import -d "$WORK/killed" -q \
        --no-progress answers "$WORK/gen/answers.csv"
    snapshot "$WORK/killed" "$WORK/gen/users.csv" "$WORK/killed.reads"
    same_file "gen: killed with $rows rows read, the same reads" "$WORK/killed.reads" \
        "$WORK/rows.reads"
done
sound "gen killed" "$WORK/killed"

# ---- interactions: many per call against one call each -----------------------------------

# events STORE USERS_CSV OUT: the events and daily counts of the first 40 users.
events() {
    : >"$3"
    for user in $(sed 1d "$2" | cut -d, -f1 | head -n 40) new-user-1 new-user-2; do
        for what in "--events" ""; do
            # shellcheck disable=SC2086
            "$CLI" get -d "$1" interactions "$user" --from 2025-12-01 --to 2026-01-02 $what \
                >>"$3" 2>&1
            echo "-- $user $what: $?" >>"$3"
        done
    done
}

# The generated log, then lines that are rejected, repeated, or name new users.
{
    cat "$WORK/gen/interactions.csv"
    sed -n '2,40p' "$WORK/gen/interactions.csv"
    first_user=$(sed -n 2p "$WORK/gen/users.csv" | cut -d, -f1)
    echo "$first_user,dance,2025-12-30T10:00:00Z,"
    echo "$first_user,view,99999999999999999,"
    echo "$first_user,view,not-a-time,"
    echo "new-user-1,view,2025-12-30T10:00:00Z,{}"
    echo "new-user-1,view,2025-12-30T10:00:00Z,{}"
    echo "new-user-2,note,2025-12-31T11:00:00Z,\"{\"\"text\"\":1}\""
    echo "$first_user,note,2025-12-31T11:00:00Z,\"{\"\"text\"\":1}\""
    echo "$first_user,note,2025-12-31T11:00:00Z,\"{\"\"text\"\":1}\""
} >"$WORK/events.csv"
expect_rc "events: import many per call" 2 import -d "$WORK/bulk" --no-progress \
    --batch 700 --rejects "$WORK/events-bulk.rejects" --rejects-duplicates interactions \
    "$WORK/events.csv"
sed 's/ in [0-9.]* s (.*//' "$WORK/out" | grep -v 'written to' >"$WORK/events-bulk.summary"
expect_rc "events: import one call each" 2 import -d "$WORK/rows" --no-progress \
    --batch 700 --row-by-row --rejects "$WORK/events-rows.rejects" --rejects-duplicates \
    interactions "$WORK/events.csv"
sed 's/ in [0-9.]* s (.*//' "$WORK/out" | grep -v 'written to' >"$WORK/events-rows.summary"
contains "events: repeats and rejects" "$WORK/events-bulk.summary" \
    " 4[0-9] duplicate, 3 rejected"
same_file "events: the same counts" "$WORK/events-bulk.summary" "$WORK/events-rows.summary"
same_file "events: the same rejects" "$WORK/events-bulk.rejects" "$WORK/events-rows.rejects"
contains "events: repeats named as events" "$WORK/events-bulk.rejects" \
    ',"duplicate: the same event is stored already",'
events "$WORK/bulk" "$WORK/gen/users.csv" "$WORK/events-bulk.reads"
events "$WORK/rows" "$WORK/gen/users.csv" "$WORK/events-rows.reads"
contains "events: new users' events read" "$WORK/events-bulk.reads" '"ext_id": "new-user-2"'
same_file "events: the same reads" "$WORK/events-bulk.reads" "$WORK/events-rows.reads"
sound "events many per call" "$WORK/bulk"

# Killed with part of the log read, then run again: the state of the uninterrupted import.
rm -rf "$WORK/killed"
cp -r "$WORK/base" "$WORK/killed"
qs import -d "$WORK/killed" -q --no-progress answers "$WORK/gen/answers.csv"
sh -c '(head -n 1500 "$1"; sleep 3) | timeout -s KILL 2 "$2" import -d "$3" -q \
    --no-progress --batch 700 --format csv interactions -' sh "$WORK/events.csv" "$CLI" \
    "$WORK/killed" >/dev/null 2>&1
expect_rc "events: killed, run again" 2 import -d "$WORK/killed" -q --no-progress \
    interactions "$WORK/events.csv"
events "$WORK/killed" "$WORK/gen/users.csv" "$WORK/events-killed.reads"
same_file "events: killed, the same reads" "$WORK/events-killed.reads" \
    "$WORK/events-rows.reads"
sound "events killed" "$WORK/killed"

# ---- EdNet: new users and tests on the fly, duplicates and conflicts ---------------------

import_ednet() { # import_ednet STORE REJECTS [OPTION]
    qs import -d "$1" --no-progress --rejects "$2" ${3:+"$3"} \
        --map user=user_id --map test=user_id+solving_id --map question=question_id \
        --map chosen=user_answer --map time_spent_ms=elapsed_time --map created_at=timestamp \
        answers "$EDNET/answers_kt1_slice.csv"
}
expect_rc "ednet: import questions" 0 import -d "$WORK/ed" -q --no-progress \
    --map id=question_id --map correct_option=correct_answer --map topic=part \
    --map created_at=deployed_at --set system=TOEIC --set subject=TOEIC --set difficulty=2 \
    --null -1 questions "$EDNET/contents/questions.csv"
cp -r "$WORK/ed" "$WORK/ed-rows"
import_ednet "$WORK/ed" "$WORK/ed.rejects"
grep '^import' "$WORK/out" | sed 's/ in [0-9.]* s (.*//' >"$WORK/ed.summary"
import_ednet "$WORK/ed-rows" "$WORK/ed-rows.rejects" --row-by-row
grep '^import' "$WORK/out" | sed 's/ in [0-9.]* s (.*//' >"$WORK/ed-rows.summary"
contains "ednet: some rows rejected" "$WORK/ed.summary" "[1-9][0-9]* rejected"
same_file "ednet: the same counts" "$WORK/ed.summary" "$WORK/ed-rows.summary"
same_file "ednet: the same rejects" "$WORK/ed.rejects" "$WORK/ed-rows.rejects"
printf 'id\n' >"$WORK/ed-users.csv"
sed 1d "$EDNET/answers_kt1_slice.csv" | cut -d, -f1 | sort -u >>"$WORK/ed-users.csv"
snapshot "$WORK/ed" "$WORK/ed-users.csv" "$WORK/ed.reads"
snapshot "$WORK/ed-rows" "$WORK/ed-users.csv" "$WORK/ed-rows.reads"
same_file "ednet: the same reads" "$WORK/ed.reads" "$WORK/ed-rows.reads"
sound "ednet bulk" "$WORK/ed"

finish
