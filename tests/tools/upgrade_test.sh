#!/bin/sh
# Tests the upgrade of stores written by earlier formats (tests/data/format1 to
# format4, each built from the CSV files of tests/tools/data, format4 with the
# interactions of its own folder too): a read-only open is refused until the first
# writable one upgrades the store, and then every read equals that of a store this
# library builds from the same files, with `check` and `index verify` clean.
#
#   sh tests/tools/upgrade_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

# reads STORE OUT: everything the imported files hold, as `get` prints it
reads() {
    : >"$2"
    for user in alice bob carol dave; do
        for what in "tests $user" "dashboard $user --now 2025-12-10T00:00:00Z" \
            "progress $user" "history $user --limit 50" \
            "interactions $user --from 2025-11-01 --to 2025-12-31 --events"; do
            # shellcheck disable=SC2086
            "$CLI" get -d "$1" $what >>"$2" 2>&1
            echo "-- $what: $?" >>"$2"
        done
    done
    for test in t1 t2 t3 t4; do
        "$CLI" get -d "$1" test "$test" >>"$2" 2>&1
    done
    "$CLI" get -d "$1" leaderboard --top 10 >>"$2" 2>&1
}

for kind in subjects systems topics questions users tests answers interactions; do
    "$CLI" import -d "$WORK/fresh" -q --no-progress "$kind" "$DATA/$kind.csv" ||
        fail "import $kind into a new store"
done
reads "$WORK/fresh" "$WORK/want"
"$CLI" stats -d "$WORK/fresh" >"$WORK/fresh.stats" || fail "stats of a new store"
contains "a new store: a test list with each test's summary" "$WORK/want" \
    '"mode": "tutor", "n_questions": 4'
"$CLI" import -d "$WORK/fresh" -q --no-progress interactions \
    "$TOOLS_DIR/../data/format4/interactions.csv" || fail "import the format 4 interactions"
reads "$WORK/fresh" "$WORK/want4"
if [ "$(grep -c '"created_at": 1765271349000, .*same' "$WORK/want4")" -eq 2 ]; then
    pass "a new store: two users' events of one millisecond"
else
    fail "a new store: two users' events of one millisecond" "$(grep same "$WORK/want4")"
fi

for format in 1 2 3 4; do
    STORE=$WORK/format$format
    expected=$WORK/want
    [ "$format" = 4 ] && expected=$WORK/want4
    mkdir "$STORE"
    gzip -dc "$TOOLS_DIR/../data/format$format/data.mdb.gz" >"$STORE/data.mdb"
    gzip -dc "$TOOLS_DIR/../data/format$format/redo.log.gz" >"$STORE/redo.log"
    expect_rc "format $format: a read-only open is refused" 1 get -d "$STORE" tests alice
    contains "format $format: the refusal says how to upgrade" "$WORK/err" \
        "store format $format is older than this library's 5: open it once for writing"
    expect_rc "format $format: a writable open (an import that changes nothing) upgrades it" \
        0 import -d "$STORE" -q --no-progress users "$DATA/users.csv"
    reads "$STORE" "$WORK/got"
    same_file "format $format upgraded: every read as a new store's" "$WORK/got" "$expected"
    expect_rc "format $format upgraded: check finds nothing" 0 check -d "$STORE"
    expect_rc "format $format upgraded: index verify finds nothing" 0 index verify -d "$STORE"
    expect_rc "format $format upgraded: the database list" 0 stats -d "$STORE"
    if grep -Eq "^(ans_by_test|progress) " "$WORK/out"; then
        fail "format $format upgraded: ans_by_test and progress are deleted" \
            "$(cat "$WORK/out")"
    else
        pass "format $format upgraded: ans_by_test and progress are deleted"
    fi
    contains "format $format upgraded: test_answers holds every answer" "$WORK/out" \
        '^test_answers  *7 '
    contains "format $format upgraded: topic_progress holds each user's topics" \
        "$WORK/out" "$(grep '^topic_progress ' "$WORK/fresh.stats")"
    expect_rc "format $format upgraded: importing the answers again adds nothing" 0 import \
        -d "$STORE" -q --no-progress answers "$DATA/answers.csv"
    reads "$STORE" "$WORK/again"
    same_file "format $format upgraded: every read as before the re-import" "$WORK/again" \
        "$expected"
done

# Format 4 kept raw interaction buckets by user; format 5 keeps them in time order.
# The upgrade rewrote the raw one through a scratch database, since retired, and
# left the sealed one as it was.
STORE=$WORK/format4
expect_rc "format 4 upgraded: the interaction buckets" 0 buckets -d "$STORE" list
contains "format 4 upgraded: the sealed bucket stays sealed" "$WORK/out" \
    '^interactions 2025-11  *sealed  *1 '
contains "format 4 upgraded: the raw bucket keeps its rows" "$WORK/out" \
    '^interactions 2025-12  *raw  *45 '
expect_rc "format 4 upgraded: the database list" 0 stats -d "$STORE"
if grep -q '\.u ' "$WORK/out"; then
    fail "format 4 upgraded: the scratch database is gone" "$(cat "$WORK/out")"
else
    pass "format 4 upgraded: the scratch database is gone"
fi
expect_rc "format 4 upgraded: importing its interactions again adds nothing" 0 import \
    -d "$STORE" -q --no-progress interactions "$TOOLS_DIR/../data/format4/interactions.csv"
reads "$STORE" "$WORK/again"
same_file "format 4 upgraded: every read as before the re-import" "$WORK/again" \
    "$WORK/want4"

# Writable opens racing to upgrade one store: one upgrades, the others wait for it
# and find it done.
for round in 1 2 3 4 5; do
    STORE=$WORK/race$round
    mkdir "$STORE"
    gzip -dc "$TOOLS_DIR/../data/format2/data.mdb.gz" >"$STORE/data.mdb"
    gzip -dc "$TOOLS_DIR/../data/format2/redo.log.gz" >"$STORE/redo.log"
    pids=""
    for i in 1 2 3 4; do
        "$CLI" import -d "$STORE" -q --no-progress users "$DATA/users.csv" \
            >"$WORK/race.$i" 2>&1 &
        pids="$pids $!"
    done
    failed=0
    for pid in $pids; do
        wait "$pid" || failed=$((failed + 1))
    done
    reads "$STORE" "$WORK/got"
    if [ "$failed" -eq 0 ] && cmp -s "$WORK/got" "$WORK/want"; then
        pass "four writable opens at once, round $round: each upgrades or finds it done"
    else
        fail "four writable opens at once, round $round" "$failed failed" \
            "$(cat "$WORK"/race.*)" "$(diff "$WORK/want" "$WORK/got" | head -n 5)"
    fi
done
expect_rc "after the races: check finds nothing" 0 check -d "$STORE"
expect_rc "after the races: index verify finds nothing" 0 index verify -d "$STORE"

finish
