#!/usr/bin/env bash
# import.sh: the bulk-load figures in one run, one command:
#   d7/, d30/    the S=1 history at D=7 and at D=30 imported through the CLI into
#                quizstore, SQLite and PostgreSQL (bench/run.sh --import-only)
#   ednet.log    the EdNet answer log through `quizstore import`, with the README's
#                options, when the shared data is beside the checkout
#   seal/        bytes per answer and interaction as loaded, compacted and sealed
#                (bench/seal.sh -S 0.3)
#   summary.txt  the figures of all three, also printed
#
#   bench/import.sh [RESULTS_DIR] [--quick]
#
# RESULTS_DIR defaults to build/bench-results/import-<date-time>. --quick runs every
# part at a tiny scale (S=0.01, qs-seal --quick) to try the script. QS_EDNET_DIR names
# the EdNet directory (default ../shared/data/ednet).
set -euo pipefail
cd "$(dirname "$0")/.."

results=build/bench-results/import-$(date -u +%Y%m%dT%H%M%SZ)
quick=0
for arg in "$@"; do
    case $arg in
    --quick) quick=1 ;;
    -*) echo "import.sh: unknown option $arg" >&2; exit 2 ;;
    *) results=$arg ;;
    esac
done
mkdir -p "$results"
start=$(date +%s)

scale=(); seal_opts=(-S 0.3)
if [ $quick -eq 1 ]; then
    scale=(-S 0.01); seal_opts=(--quick)
fi
engines=quizstore,sqlite
if bench/pg.sh installed 2>/dev/null; then
    engines=$engines,postgres
fi
bench/run.sh "$results/d7" --import-only --engines "$engines" "${scale[@]}"
bench/run.sh "$results/d30" --import-only -d 30 --engines "$engines" "${scale[@]}"

# The EdNet answers, timed alone: the questions are imported first.
ednet=${QS_EDNET_DIR:-../shared/data/ednet}
if [ -f "$ednet/answers_kt1_all.csv" ]; then
    q=build/release/tools/quizstore
    store=$results/ednet-store
    rm -rf "$store"
    "$q" import -d "$store" -q --no-progress \
        --map id=question_id --map correct_option=correct_answer \
        --map topic=part --map created_at=deployed_at \
        --set subject=TOEIC --set system=TOEIC --set difficulty=2 --null -1 \
        questions "$ednet/contents/questions.csv"
    t0=$(date +%s.%N)
    set +e   # exit status 2: the log's conflicting rows are rejected, as documented
    "$q" import -d "$store" -q --no-progress \
        --map user=user_id --map test=user_id+solving_id --map question=question_id \
        --map chosen=user_answer --map time_spent_ms=elapsed_time --map created_at=timestamp \
        --rejects "$results/ednet-rejects.csv" answers "$ednet/answers_kt1_all.csv"
    status=$?
    set -e
    t1=$(date +%s.%N)
    [ $status -le 2 ] || { echo "import.sh: the EdNet import failed ($status)" >&2; exit 1; }
    rows=$(($(wc -l <"$ednet/answers_kt1_all.csv") - 1))
    echo "EdNet answers: $rows rows in $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s" |
        tee "$results/ednet.log"
    rm -rf "$store"
else
    echo "EdNet answers: not run ($ednet/answers_kt1_all.csv is not there)" |
        tee "$results/ednet.log"
fi

bench/seal.sh "$results/seal" "${seal_opts[@]}"

python3 - "$results" "$(($(date +%s) - start))" <<'EOF' | tee "$results/summary.txt"
import json, sys
results, seconds = sys.argv[1], sys.argv[2]
engines = ["quizstore", "sqlite", "postgres"]
print("bulk import through the CLI (quizstore: then compacted), one run, %s s in all" % seconds)
print("%-28s %12s %12s %12s %10s %12s" % ("figure", *engines, "qs/sqlite", "qs/postgres"))
for days, label_days in (("d7", "D=7"), ("d30", "D=30")):
    bench = json.load(open("%s/%s/bench.json" % (results, days)))
    runs = {e: bench["engines"][e]["bulk_import"] for e in engines if e in bench["engines"]}
    for key, label, lower_wins in (("seconds", "seconds", True),
                                   ("answers_per_s", "answers/s", False),
                                   ("size_bytes", "size on disk (MB)", True)):
        values = {e: r[key] / (1e6 if key == "size_bytes" else 1) for e, r in runs.items()}
        def ratio(peer):
            if peer not in values or not values[peer]:
                return "-"
            q, p = values["quizstore"], values[peer]
            return "%.2fx" % ((p / q) if lower_wins else (q / p))
        cells = ["%12.1f" % values[e] if e in values else "%12s" % "-" for e in engines]
        print("%-28s %s %10s %12s" % ("%s %s" % (label_days, label), " ".join(cells),
                                       ratio("sqlite"), ratio("postgres")))
print(open("%s/ednet.log" % results).read().strip())
seal = open("%s/seal/seal.txt" % results).read().splitlines()
print("bytes per row, as loaded, compacted and sealed (qs-seal: seal/seal.txt):")
head = next(line for line in seal if line.startswith("engine / state"))
cut = head.index("B/interaction") + len("B/interaction")
for line in seal:
    if line.startswith(("engine / state", "quizstore raw", "compacted ", "quizstore sealed",
                        "sqlite ")):
        print("  " + line[:cut])
EOF
