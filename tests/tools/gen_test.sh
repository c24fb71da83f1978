#!/bin/sh
# Tests the bench generator and the CLI together: a small qs-gen workload imports with
# no rejects, re-imports change nothing, and dashboards, progress and the leaderboard
# agree with tests/tools/gen_expect.py, which recomputes them from the CSV files.
#
#   sh tests/tools/gen_test.sh PATH/TO/quizstore      (qs-gen: $QS_GEN, or the build's)
. "$(dirname "$0")/lib/check.sh"

GEN=${QS_GEN:-$(dirname "$CLI")/../bench/qs-gen}
GEN_DATA=$WORK/gen
STORE=$WORK/store
EXPECT="python3 $TOOLS_DIR/gen_expect.py $GEN_DATA"
NOW=1767225600000 # 2026-01-01T00:00:00Z, the end of the generated history

if [ ! -x "$GEN" ]; then
    fail "qs-gen at $GEN" "not built"
    finish
fi
if "$GEN" -s 7 -S 0.01 -d 3 -o "$GEN_DATA" >"$WORK/gen.out" 2>&1; then
    pass "qs-gen -s 7 -S 0.01 -d 3"
else
    fail "qs-gen -s 7 -S 0.01 -d 3" "$(tail -n 3 "$WORK/gen.out")"
    finish
fi

for kind in subjects systems topics questions users tests answers interactions; do
    expect_rc "import generated $kind" 0 import -d "$STORE" -q --no-progress --periodic \
        "$kind" "$GEN_DATA/$kind.csv"
done

qs stats -d "$STORE"
cp "$WORK/out" "$WORK/stats-before"
for kind in tests answers; do
    expect_rc "re-import generated $kind" 0 import -d "$STORE" -q --no-progress --periodic \
        "$kind" "$GEN_DATA/$kind.csv"
done
qs stats -d "$STORE"
same_file "re-imports change nothing" "$WORK/out" "$WORK/stats-before"

# check_read NAME EXPECT-ARGS -- GET-ARGS: runs `get GET-ARGS`, checks it with gen_expect.py.
check_read() {
    name=$1
    shift
    args=""
    while [ "$1" != "--" ]; do
        args="$args $1"
        shift
    done
    shift
    qs get -d "$STORE" "$@"
    cp "$WORK/out" "$WORK/read.json"
    if [ "$rc" -ne 0 ]; then
        fail "$name" "get $* exited $rc" "$(cat "$WORK/err")"
    elif detail=$($EXPECT $args "$WORK/read.json"); then
        pass "$name"
    else
        fail "$name" "$detail"
    fi
}

for user in $($EXPECT users); do
    check_read "dashboard of user $user" dashboard "$user" "$NOW" -- dashboard "$user" --now "$NOW"
    check_read "progress of user $user" progress "$user" -- progress "$user"
done
check_read "leaderboard top 25" leaderboard -- leaderboard --top 25

finish
