# check.sh: the check helpers of the CLI test scripts; sourced, POSIX sh.
#
# A script sources this with the CLI path as $1, then runs named checks (each one a
# case), then calls finish, which prints "N passed, N failed" and sets the exit status.
#
#   CLI        the quizstore binary under test
#   DATA       tests/tools/data
#   WORK       a fresh temporary directory, removed on exit
#   qs ARGS    runs the CLI; stdout in $WORK/out, stderr in $WORK/err, status in $rc
#
# Set QS_VERBOSE=1 to print passing checks too.

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PATH/TO/quizstore" >&2
    exit 2
fi
CLI=$1
TOOLS_DIR=$(cd "$(dirname "$0")" && pwd)
DATA=$TOOLS_DIR/data
WORK=$(mktemp -d "${TMPDIR:-/tmp}/qs-cli-test-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
checks_passed=0
checks_failed=0
rc=0

qs() {
    "$CLI" "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
}

pass() {
    checks_passed=$((checks_passed + 1))
    [ -n "${QS_VERBOSE:-}" ] && echo "ok   $1"
    return 0
}

# fail NAME [DETAIL...]
fail() {
    checks_failed=$((checks_failed + 1))
    echo "FAIL $1"
    shift
    for line in "$@"; do
        printf '    %s\n' "$line"
    done
    return 0
}

# expect_rc NAME WANT ARGS...: runs the CLI with ARGS, checks its exit status.
expect_rc() {
    name=$1
    want=$2
    shift 2
    qs "$@"
    if [ "$rc" -eq "$want" ]; then
        pass "$name"
    else
        fail "$name" "quizstore $* exited $rc, expected $want" "$(tail -n 5 "$WORK/err")"
    fi
}

# same_file NAME GOT WANT: the two files are byte for byte equal.
same_file() {
    if cmp -s "$2" "$3"; then
        pass "$1"
    else
        fail "$1" "$(diff "$3" "$2" | head -n 20)"
    fi
}

# contains NAME FILE REGEX: FILE has a line matching the basic regex REGEX.
contains() {
    if grep -q -- "$3" "$2"; then
        pass "$1"
    else
        fail "$1" "no '$3' in: $(head -c 600 "$2")"
    fi
}

# json_is NAME FILE EXPR JSON: the Python expression EXPR over the parsed FILE (as d)
# equals the JSON value JSON.
json_is() {
    detail=$(python3 - "$2" "$3" "$4" <<'EOF' 2>&1
import json, sys
path, expr, want = sys.argv[1:4]
try:
    with open(path) as f:
        d = json.load(f)
    got = json.loads(json.dumps(eval(expr, {'d': d})))
except Exception as e:
    print('%s: %s' % (type(e).__name__, e))
    sys.exit(1)
want = json.loads(want)
if got != want:
    print('%s is %s, expected %s' % (expr, json.dumps(got), json.dumps(want)))
    sys.exit(1)
EOF
)
    if [ $? -eq 0 ]; then
        pass "$1"
    else
        fail "$1" "$detail"
    fi
}

finish() {
    echo "$checks_passed passed, $checks_failed failed"
    [ "$checks_failed" -eq 0 ]
    exit $?
}

# damage DB KEY VALUE: puts (KEY, VALUE), hex, into database DB of the closed store
# $STORE, through mdb_dump's header and mdb_load.
damage() {
    mdb_dump -s "$1" "$STORE" 2>/dev/null | sed '/^HEADER=END$/q' >"$WORK/damage.txt"
    printf ' %s\n %s\nDATA=END\n' "$2" "$3" >>"$WORK/damage.txt"
    if mdb_load -s "$1" "$STORE" <"$WORK/damage.txt" 2>"$WORK/damage.err"; then
        # mdb_load commits behind quizstore's back: with the redo log in place, the next
        # open would start again from the log's checkpoint and undo it
        rm -f "$STORE/redo.log"
        pass "damage $1"
    else
        fail "damage $1" "$(cat "$WORK/damage.err")"
    fi
}

# first_key DB: the hex of the first key of database DB of $STORE.
first_key() {
    mdb_dump -s "$1" "$STORE" 2>/dev/null | sed -n '/^HEADER=END$/{n;s/^ //p;q}'
}
