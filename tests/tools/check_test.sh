#!/bin/sh
# Tests `quizstore check` and `check --repair` on a generated store: clean when sound;
# a damaged summary record and a summary whose counts are wrong are found; --repair
# rebuilds them and the reads come back as they were; damage to a primary record is
# found and not "repaired"; a check that cannot run exits 1, as any fatal error.
#
#   sh tests/tools/check_test.sh PATH/TO/quizstore      (qs-gen: $QS_GEN, or the build's)
. "$(dirname "$0")/lib/check.sh"

GEN=${QS_GEN:-$(dirname "$CLI")/../bench/qs-gen}
STORE=$WORK/store

# reads DIR: the dashboards, progress and history of the first users, and a board.
reads() {
    mkdir -p "$1"
    for user in 1 2 3 5 8; do
        "$CLI" get -d "$STORE" dashboard "$user" --now 2026-01-01T00:00:00Z \
            >"$1/dashboard-$user.json" 2>>"$1/errors"
        for what in progress history; do
            "$CLI" get -d "$STORE" "$what" "$user" >"$1/$what-$user.json" 2>>"$1/errors"
        done
    done
    "$CLI" get -d "$STORE" leaderboard --top 20 >"$1/leaderboard.json" 2>>"$1/errors"
}

if ! "$GEN" -s 5 -S 0.01 -d 3 -o "$WORK/gen" >"$WORK/gen.out" 2>&1; then
    fail "qs-gen" "$(cat "$WORK/gen.out")"
    finish
fi
for kind in subjects systems topics questions users tests answers interactions; do
    expect_rc "import $kind" 0 import -d "$STORE" -q --no-progress --periodic "$kind" \
        "$WORK/gen/$kind.csv"
done

expect_rc "check a sound store" 0 check -d "$STORE"
contains "check: recomputes the summaries" "$WORK/out" '^aggregate:usum  *[1-9][0-9]*  *0$'
contains "check: checks the answer bucket" "$WORK/out" '^ans@2025-12  *[1-9][0-9]*  *0$'
expect_rc "check --json" 0 check -d "$STORE" --json
json_is "check --json: ok and every part" "$WORK/out" \
    '[d["ok"], len(d["parts"]) > 30, sum(p["findings"] for p in d["parts"])]' '[true, true, 0]'
reads "$WORK/before"

# a derived record damaged (its checksum fails)
usum_key=$(first_key usum)
damage usum "$usum_key" 01deadbeef
expect_rc "check finds the damage" 1 check -d "$STORE"
contains "check: the usum record is named" "$WORK/err" "usum: 1 findings"
contains "check: its key is named" "$WORK/err" "$usum_key"
expect_rc "check --repair" 0 check -d "$STORE" --repair
contains "check --repair: says it is clean" "$WORK/err" 'clean after repair'
expect_rc "check after repair" 0 check -d "$STORE"
reads "$WORK/after"
if [ -s "$WORK/after/errors" ]; then
    fail "reads after repair" "$(head -n 3 "$WORK/after/errors")"
elif diff -r "$WORK/before" "$WORK/after" >"$WORK/reads.diff"; then
    pass "reads after repair are the reads before the damage"
else
    fail "reads after repair are the reads before the damage" "$(head -n 20 "$WORK/reads.diff")"
fi

# primary data: a question record damaged is found and left for a restore
damage question "$(first_key question)" 01deadbeef
expect_rc "check finds a damaged question" 1 check -d "$STORE"
expect_rc "check --repair refuses to rebuild primary data" 1 check -d "$STORE" --repair
contains "check --repair: says why" "$WORK/err" 'primary data: restore it from a backup'

# the bucket registry damaged: the check cannot walk the buckets; exit 1, never 2
damage buckets "$(first_key buckets)" 01deadbeef
expect_rc "check on a damaged bucket registry exits 1" 1 check -d "$STORE"
contains "check on a damaged bucket registry: names it" "$WORK/err" "database 'buckets'"
expect_rc "check --repair on a damaged bucket registry exits 1" 1 check -d "$STORE" --repair

expect_rc "check: no store there" 1 check -d "$WORK/nothing"
expect_rc "check: an argument too many" 1 check -d "$STORE" extra

# A writer killed after a commit leaves a store that must be recovered before it is
# read: a read-only command recovers it first (opening it once for writing), then reads
# what was committed. The writer commits a row per batch from a pipe, and is killed
# while it waits for the next.
CRASHED=$WORK/crashed
mkfifo "$WORK/fifo.csv"
"$CLI" import -d "$CRASHED" -q --no-progress --batch 1 users "$WORK/fifo.csv" \
    >/dev/null 2>&1 &
writer=$!
exec 3>"$WORK/fifo.csv"
printf 'id,created_at\ncarol,2025-01-01T00:00:00Z\n' >&3
tries=0
until "$CLI" get -d "$CRASHED" user carol >/dev/null 2>&1 || [ "$tries" -ge 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -9 "$writer"
wait "$writer" 2>/dev/null
exec 3>&-
expect_rc "check of a store whose writer was killed (recovers it)" 0 check -d "$CRASHED"
expect_rc "get after that recovery" 0 get -d "$CRASHED" user carol
contains "get after that recovery: the committed user" "$WORK/out" '"carol"'
finish
