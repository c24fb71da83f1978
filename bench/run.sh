#!/usr/bin/env bash
# run.sh: the whole comparison, one command. S=1, D=7: quizstore, SQLite (ORDER BY
# random() draws and pool draws) and, when it is installed, PostgreSQL in a throwaway
# server (bench/pg.sh). Writes into a results directory:
#   table.txt      what qs-bench prints (machine, command, check, the table)
#   progress.log   its progress lines, with the time of each phase
#   bench.json     every figure (bench/README.md describes the fields)
#   latency.png    p50 and p99 of each op alone, by engine (with gnuplot)
#
#   bench/run.sh [RESULTS_DIR] [qs-bench options ...]
#
# RESULTS_DIR defaults to build/bench-results/<date-time>. Extra options go to qs-bench
# after the defaults (-S 1 -d 7), so they win: bench/run.sh /tmp/r -d 30
set -euo pipefail
cd "$(dirname "$0")/.."

results=${1:-build/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
[ $# -gt 0 ] && shift

start=$(date +%s)
scons -Q -j2 bench tools >/dev/null
bin=build/release/bench/qs-bench
mkdir -p "$results"
: >"$results/table.txt"

engines=quizstore,sqlite,sqlite-pools
# The server's socket directory must be short (pg.sh allows 90 bytes).
pgdir=$(mktemp -d /tmp/qs-pg.XXXXXX)
set +e
conninfo=$(bench/pg.sh start "$pgdir")
status=$?
set -e
if [ $status -eq 0 ]; then
    trap 'bench/pg.sh stop "$pgdir"' EXIT
    export QS_BENCH_PG="$conninfo"
    engines=$engines,postgres
elif [ $status -eq 3 ]; then
    rmdir "$pgdir"
    echo "run.sh: PostgreSQL is not installed: comparing without it" | tee -a "$results/table.txt"
else
    rm -rf "$pgdir"
    echo "run.sh: bench/pg.sh could not start a server (status $status)" >&2
    exit 1
fi

set +e
"$bin" -S 1 -d 7 --engines "$engines" --out "$results" "$@" \
    2> >(tee "$results/progress.log" >&2) | tee -a "$results/table.txt"
status=${PIPESTATUS[0]}
set -e
echo "run.sh: $((($(date +%s) - start))) s in all; results in $results" |
    tee -a "$results/table.txt"
exit "$status"
