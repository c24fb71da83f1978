#!/usr/bin/env bash
# seal.sh: what sealing time buckets buys, one command: qs-seal at S=1, D=31 (the
# December 2025 bucket full) into a results directory:
#   seal.txt       the table (qs-seal writes it; it also prints it)
#   progress.log   qs-seal's progress lines, with the time of each phase
#
#   bench/seal.sh [RESULTS_DIR] [qs-seal options ...]
#
# RESULTS_DIR defaults to build/bench-results/seal-<date-time>. Extra options go to
# qs-seal after the results directory, for example: bench/seal.sh /tmp/s --quick
set -euo pipefail
cd "$(dirname "$0")/.."

results=${1:-build/bench-results/seal-$(date -u +%Y%m%dT%H%M%SZ)}
[ $# -gt 0 ] && shift

scons -Q -j2 build/release/bench/qs-seal >/dev/null
mkdir -p "$results"
set +e
build/release/bench/qs-seal --out "$results" "$@" 2> >(tee "$results/progress.log" >&2)
status=$?
set -e
echo "seal.sh: results in $results"
exit "$status"
