#!/bin/sh
# Run the libFuzzer harnesses of tests/fuzz/ (built by `scons --variant=fuzz`).
#
#   tests/fuzz/run.sh SECONDS [TARGET...]    fuzz each target for SECONDS seconds
#   tests/fuzz/run.sh --merge [TARGET...]    minimise tests/fuzz/corpus/TARGET with the
#                                            inputs the last runs found
#
# Targets: fuzz_csv fuzz_jsonl fuzz_records fuzz_cursor fuzz_file (default: all). Each run reads
# tests/fuzz/corpus/TARGET and tests/fuzz/TARGET.dict; the inputs it finds go to
# build/fuzz/run/new/TARGET, never into the repository, until --merge keeps those that
# add coverage. A crash, hang, leak or sanitizer report stops that target; its input
# is saved under build/fuzz/run/crashes/. One line per target says how many inputs ran
# and whether it crashed; the exit status is 1 if any did.
#
# QS_FUZZ_VARIANT=fuzz-long runs the harnesses built without ASan (UBSan only; build/
# fuzz-long/), several times faster: for long runs.
set -eu
cd "$(dirname "$0")/../.."

usage() {
    echo "usage: tests/fuzz/run.sh SECONDS [TARGET...] | --merge [TARGET...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
mode=fuzz
case "$1" in
--merge) mode=merge ;;
*[!0-9]* | '') usage ;;
*) seconds=$1 ;;
esac
shift
targets=${*:-fuzz_csv fuzz_jsonl fuzz_records fuzz_cursor fuzz_file}

variant=${QS_FUZZ_VARIANT:-fuzz}
bin=build/$variant/tests/fuzz
out=build/$variant/run
scons -Q --variant="$variant" -j2 fuzz >/dev/null
mkdir -p "$out/crashes" "$out/logs" "$out/new"

# Every sanitizer report is fatal; the stores the harnesses build go under $out/tmp.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

symbolizer=$(command -v llvm-symbolizer || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
export TMPDIR="$PWD/$out/tmp"

# Options of one target: fuzz_file's reads cut short by a fault leave what they had
# allocated (the library documents it), so leaks are not findings there.
flags_of() {
    case $1 in
    fuzz_file) echo -detect_leaks=0 ;;
    *) echo "" ;;
    esac
}

dict_of() {
    case $1 in
    fuzz_csv) echo tests/fuzz/csv.dict ;;
    fuzz_jsonl) echo tests/fuzz/jsonl.dict ;;
    fuzz_records) echo tests/fuzz/records.dict ;;
    *) echo "" ;;
    esac
}

# The value of libFuzzer's final statistic $2 in log $1.
stat() {
    sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

merge() {
    t=$1
    fresh="$out/merged/$t"
    rm -rf "$fresh"
    mkdir -p "$fresh" "$out/new/$t"
    # -use_counters=0: an input stays when it reaches a new edge, not a new hit count
    "$bin/$t" -merge=1 -use_counters=0 "$fresh" "tests/fuzz/corpus/$t" "$out/new/$t" \
        >"$out/logs/$t.merge" 2>&1
    rm -rf "tests/fuzz/corpus/$t"
    mv "$fresh" "tests/fuzz/corpus/$t"
    echo "$t: corpus $(ls "tests/fuzz/corpus/$t" | wc -l) files," \
        "$(du -sk --apparent-size "tests/fuzz/corpus/$t" | cut -f1) KB"
}

fuzz() {
    t=$1
    log="$out/logs/$t.log"
    dict=$(dict_of "$t")
    rm -rf "$TMPDIR"
    mkdir -p "$TMPDIR" "$out/new/$t"
    rc=0
    QS_FUZZ_LAST="$out/crashes/$t-last-input" \
    "$bin/$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 $(flags_of "$t") \
        -artifact_prefix="$out/crashes/$t-" ${dict:+-dict="$dict"} \
        "$out/new/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    rm -rf "$TMPDIR"
    runs=$(stat "$log" number_of_executed_units)
    cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "$t: ${runs:-?} runs, ${cov:-no coverage line}, no crash"
        return 0
    fi
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "$t: ${runs:-?} runs, CRASH (exit $rc): input ${artifact:-not saved (the last one" \
        "run is $out/crashes/$t-last-input, if the harness keeps it)}, log $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: )|runtime error' "$log" | head -n 5 | sed 's/^/    /'
    return 1
}

status=0
for t in $targets; do
    [ -x "$bin/$t" ] || { echo "$t: no such harness" >&2; exit 2; }
    if [ "$mode" = merge ]; then
        merge "$t"
    else
        fuzz "$t" || status=1
    fi
done
exit $status
