#!/bin/sh
# Runs quizstore's test suite against one build: every test program under
# BUILD_DIR/tests, then every tests/tools/*.sh script with BUILD_DIR/tools/quizstore.
# Prints each program's result line, the output of whatever failed, and ends with one
# line "N passed, N failed" (cases, summed over programs). A program that crashes, hangs
# or prints no result line counts as one failed case more, named.
#
#   tests/run.sh build/release [-v]     -v prints every program's whole output
#
# Environment: QS_TEST_TIMEOUT (seconds per program, default 300); QS_TEST_WRAP, a
# command every test program and every CLI call run under (tests/valgrind.sh sets it);
# QS_TEST_SCRIPTS=0 runs the test programs only (the CLI scripts are not counted), and
# QS_TEST_SCRIPTS="get_test import_test" those scripts of tests/tools alone;
# the scripts get QS_GEN=BUILD_DIR/bench/qs-gen; QS_TEST_JOBS, how many programs run at
# once (default: one per processor).
set -u

usage() {
    echo "usage: $0 BUILD_DIR [-v]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
build=$1
verbose=0
[ "${2:-}" = "-v" ] && verbose=1
[ -d "$build/tests" ] || { echo "$0: no test programs in $build/tests" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
cli="$build/tools/quizstore"
QS_GEN="$build/bench/qs-gen"
export QS_GEN
limit=${QS_TEST_TIMEOUT:-300}
# Every program gets its own TMPDIR inside this run's directory, so whatever a crashed
# program leaves behind is removed with it.
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/qs-run-XXXXXX")
trap 'rm -rf "$run_dir"' EXIT
trap 'exit 130' INT TERM
wrap=${QS_TEST_WRAP:-}
if [ -n "$wrap" ] && [ -x "$cli" ]; then
    # the scripts take the CLI as a path: hand them one that runs it wrapped
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$wrap" "$(cd "$(dirname "$cli")" && pwd)/quizstore" \
        >"$run_dir/quizstore"
    chmod +x "$run_dir/quizstore"
    cli=$run_dir/quizstore
fi

total_pass=0
total_fail=0
broken=""
n_jobs=0

# quote ARG: ARG as one word of shell input.
quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# job NAME COMMAND...: queues COMMAND as job script $run_dir/job/NNN; it runs with its own
# TMPDIR under the time limit, its output in NNN.out and its exit status in NNN.rc.
job() {
    n_jobs=$((n_jobs + 1))
    id=$(printf '%04d' "$n_jobs")
    printf '%s\n' "$1" >"$run_dir/job/$id.name"
    shift
    cmd=""
    for arg in "$@"; do
        cmd="$cmd $(quote "$arg")"
    done
    cat >"$run_dir/job/$id" <<JOB
mkdir "$run_dir/tmp-$id"
TMPDIR="$run_dir/tmp-$id" timeout $limit $cmd >"$run_dir/job/$id.out" 2>&1
echo \$? >"$run_dir/job/$id.rc"
rm -rf "$run_dir/tmp-$id"
JOB
}

# report ID: the result line of job ID (its output too, when something failed); adds
# its counts to the totals.
report() {
    name=$(cat "$run_dir/job/$1.name")
    out=$run_dir/job/$1.out
    rc=$(cat "$run_dir/job/$1.rc" 2>/dev/null || echo 125)
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    if [ -n "$line" ]; then
        pass=${line%% passed*}
        fail=${line#* passed, }
        fail=${fail%% failed}
    else
        # No result line: count the cases that reported before the end.
        pass=$(grep -c '^ok ' "$out")
        fail=$(grep -c '^FAIL ' "$out")
    fi
    why=""
    if [ "$rc" -eq 124 ]; then
        why="timed out after ${limit}s"
    elif [ "$rc" -gt 128 ]; then
        why="killed by signal $((rc - 128))"
    elif [ -z "$line" ]; then
        why="exit status $rc without a result line"
    elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        why="exit status $rc with no failed case"
    fi
    if [ -n "$why" ]; then
        fail=$((fail + 1))
        broken="$broken $name"
        line="$pass passed, $fail failed ($why)"
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    if [ "$verbose" -eq 1 ] || [ "$fail" -ne 0 ]; then
        sed "s|^|    |" "$out"
    fi
    printf '%-32s %s\n' "$name" "$line"
}

mkdir "$run_dir/job"
for prog in $(find "$build/tests" -type f -perm -u+x -name '*_test' | sort); do
    # shellcheck disable=SC2086
    job "${prog#"$build"/tests/}" $wrap "$prog" -q
done

scripts=${QS_TEST_SCRIPTS:-1}
if [ "$scripts" = 0 ]; then
    echo "tools scripts not run (QS_TEST_SCRIPTS=0)"
elif [ -x "$cli" ]; then
    for script in "$here"/tools/*.sh; do
        [ -f "$script" ] || continue
        case " $scripts " in
        " 1 " | *" $(basename "$script" .sh) "*) ;;
        *) continue ;;
        esac
        job "tools/$(basename "$script")" sh "$script" "$cli"
    done
    [ "$scripts" = 1 ] || echo "tools scripts run: $scripts (QS_TEST_SCRIPTS)"
else
    echo "no CLI at $cli: tools scripts not run"
    total_fail=$((total_fail + 1))
    broken="$broken tools"
fi

# The jobs run $parallel at a time (QS_TEST_JOBS, default one per processor); their results
# print in the order they were queued.
parallel=${QS_TEST_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
echo "$n_jobs programs, $parallel at a time"
[ "$n_jobs" -eq 0 ] || ls "$run_dir/job" | grep -E '^[0-9]+$' |
    sed "s|^|$run_dir/job/|" | xargs -n 1 -P "$parallel" sh
for id in $(ls "$run_dir/job" | grep -E '^[0-9]+$'); do
    report "$id"
done

[ -n "$broken" ] && echo "broken:$broken"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
