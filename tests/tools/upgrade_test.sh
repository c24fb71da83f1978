#!/bin/sh
# Tests the upgrade of a store written by the previous format (tests/data/format1): read
# as it is by read-only opens, upgraded by the first writable one, and every read the
# same before and after, with `check` and `index verify` clean throughout.
#
#   sh tests/tools/upgrade_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

OLD=$TOOLS_DIR/../data/format1
STORE=$WORK/store
mkdir "$STORE"
gzip -dc "$OLD/data.mdb.gz" >"$STORE/data.mdb"
gzip -dc "$OLD/redo.log.gz" >"$STORE/redo.log"

# reads OUT: everything the imported files hold, as `get` prints it
reads() {
    : >"$1"
    for user in alice bob carol dave; do
        for what in "tests $user" "dashboard $user --now 2025-12-10T00:00:00Z" \
            "progress $user" "history $user --limit 50"; do
            # shellcheck disable=SC2086
            "$CLI" get -d "$STORE" $what >>"$1" 2>&1
            echo "-- $what: $?" >>"$1"
        done
    done
    for test in t1 t2 t3 t4; do
        "$CLI" get -d "$STORE" test "$test" >>"$1" 2>&1
    done
    "$CLI" get -d "$STORE" leaderboard --top 10 >>"$1" 2>&1
}

reads "$WORK/before"
contains "format 1, read-only: a test list with each test's summary" "$WORK/before" \
    '"mode": "tutor", "n_questions": 4'
expect_rc "format 1, read-only: check finds nothing" 0 check -d "$STORE"
expect_rc "format 1, read-only: index verify finds nothing" 0 index verify -d "$STORE"

expect_rc "a writable open (an import that changes nothing) upgrades it" 0 import \
    -d "$STORE" -q --no-progress users "$DATA/users.csv"
reads "$WORK/after"
same_file "upgraded: every read the same" "$WORK/after" "$WORK/before"
expect_rc "upgraded: check finds nothing (summaries written)" 0 check -d "$STORE"
expect_rc "upgraded: index verify finds nothing" 0 index verify -d "$STORE"

finish
