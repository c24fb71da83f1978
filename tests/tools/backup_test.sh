#!/bin/sh
# Tests `quizstore backup`, `quizstore restore` and `quizstore compact` on a generated
# workload: plain and compressed round trips whose reads (`get`) are byte-identical to
# the source's, a compaction that shrinks the file and keeps every read, refused while
# another process has the store open, a backup taken while an import writes, damaged
# backups refused before anything is written, and the refusals of directories that
# hold a backup or a store.
#
#   sh tests/tools/backup_test.sh PATH/TO/quizstore      (qs-gen: $QS_GEN, or the build's)
. "$(dirname "$0")/lib/check.sh"

GEN=${QS_GEN:-$(dirname "$CLI")/../bench/qs-gen}
GEN_DATA=$WORK/gen
STORE=$WORK/store
NOW=2026-01-01T00:00:00Z

# absent NAME PATH: nothing is at PATH.
absent() {
    if [ -e "$2" ]; then
        fail "$1" "$2 exists: $(ls -A "$2" 2>&1 | head -n 5)"
    else
        pass "$1"
    fi
}

# reads STORE DIR: the product's reads of STORE into DIR, one file each; failures are
# noted in DIR/errors.
reads() {
    mkdir -p "$2"
    for user in $USERS; do
        for what in dashboard progress history tests interactions; do
            case $what in
            dashboard | interactions) extra="--now $NOW" ;;
            history) extra="--limit 10000" ;;
            *) extra="" ;;
            esac
            # shellcheck disable=SC2086
            "$CLI" get -d "$1" "$what" "$user" $extra >"$2/$what-$user.json" 2>"$2/err" ||
                echo "get $what $user: $(cat "$2/err")" >>"$2/errors"
        done
    done
    for q in $QUESTIONS; do
        "$CLI" get -d "$1" question "$q" >"$2/question-$q.json" 2>"$2/err" ||
            echo "get question $q: $(cat "$2/err")" >>"$2/errors"
    done
    "$CLI" get -d "$1" leaderboard --top 50 >"$2/leaderboard.json" 2>"$2/err" ||
        echo "get leaderboard: $(cat "$2/err")" >>"$2/errors"
    "$CLI" buckets -d "$1" list --json >"$2/buckets.jsonl" 2>"$2/err" ||
        echo "buckets list: $(cat "$2/err")" >>"$2/errors"
    # Pages and bytes differ (the copy is compacted); names and entries do not.
    "$CLI" stats -d "$1" --json 2>"$2/err" |
        python3 -c 'import json, sys; [print(d["name"], d["entries"]) for d in json.load(sys.stdin)["databases"]]' \
            >"$2/entries" || echo "stats: $(cat "$2/err")" >>"$2/errors"
    rm -f "$2/err"
}

# same_reads NAME DIR: DIR holds the same reads as $WORK/reads-source, byte for byte.
same_reads() {
    if [ -s "$2/errors" ]; then
        fail "$1" "$(head -n 5 "$2/errors")"
    elif diff -r "$WORK/reads-source" "$2" >"$WORK/reads.diff"; then
        pass "$1"
    else
        fail "$1" "$(head -n 20 "$WORK/reads.diff")"
    fi
}

# clean NAME STORE: `index verify` and `check` find nothing in STORE.
clean() {
    expect_rc "$1: index verify" 0 index -d "$2" verify
    expect_rc "$1: check" 0 check -d "$2"
}

# answers_of STORE: the answers of STORE, from its bucket list.
answers_of() {
    "$CLI" buckets -d "$1" list --json |
        python3 -c 'import json, sys; print(sum(json.loads(l)["rows"] for l in sys.stdin if json.loads(l)["table"] == "answers"))'
}

# ---- a generated store ------------------------------------------------------------------

if [ ! -x "$GEN" ]; then
    fail "qs-gen at $GEN" "not built"
    finish
fi
if "$GEN" -s 7 -S 0.01 -d 3 --next-day -o "$GEN_DATA" >"$WORK/gen.out" 2>&1; then
    pass "qs-gen -s 7 -S 0.01 -d 3 --next-day"
else
    fail "qs-gen -s 7 -S 0.01 -d 3 --next-day" "$(tail -n 3 "$WORK/gen.out")"
    finish
fi
for kind in subjects systems topics questions users tests answers interactions; do
    expect_rc "import generated $kind" 0 import -d "$STORE" --no-progress --periodic -q \
        "$kind" "$GEN_DATA/$kind.csv"
done
expect_rc "seal the old buckets" 0 buckets -d "$STORE" seal --now "$NOW"
USERS=$(sed '1d; s/,.*//' "$GEN_DATA/users.csv" | head -n 20)
QUESTIONS=$(python3 -c 'import csv, sys; print(" ".join(r["id"] for r in list(csv.DictReader(open(sys.argv[1])))[:20]))' \
    "$GEN_DATA/questions.csv")
reads "$STORE" "$WORK/reads-source"
if [ -s "$WORK/reads-source/errors" ]; then
    fail "reads of the source store" "$(head -n 5 "$WORK/reads-source/errors")"
    finish
fi
ANSWERS=$(answers_of "$STORE")

# ---- round trips ------------------------------------------------------------------------

expect_rc "backup" 0 -d "$STORE" backup "$WORK/plain"
cp "$WORK/out" "$WORK/backup.out"
contains "backup: data.mdb line" "$WORK/backup.out" '^data\.mdb  *[0-9][0-9]* bytes .* xxh3 [0-9a-f]\{16\}$'
contains "backup: MANIFEST line" "$WORK/backup.out" '^MANIFEST  *[0-9][0-9]* bytes$'
contains "backup: summary" "$WORK/backup.out" "^backup $WORK/plain: [0-9]* bytes .* smaller, in [0-9.]* s$"
contains "backup: the manifest's format" "$WORK/plain/MANIFEST" '^quizstore-backup 1$'

expect_rc "backup --compress" 0 -d "$STORE" backup --compress "$WORK/zst"
cp "$WORK/out" "$WORK/backup-zst.out"
contains "backup --compress: data.mdb.zst line with its ratio" "$WORK/backup-zst.out" \
    '^data\.mdb\.zst .* bytes uncompressed, [0-9.]*x)$'
plain_size=$(wc -c <"$WORK/plain/data.mdb")
zst_size=$(wc -c <"$WORK/zst/data.mdb.zst")
if [ "$zst_size" -lt "$plain_size" ]; then
    pass "backup --compress: smaller than the plain copy"
else
    fail "backup --compress: smaller than the plain copy" "$zst_size >= $plain_size bytes"
fi

for kind in plain zst; do
    expect_rc "restore $kind" 0 restore "$WORK/$kind" "$WORK/restored-$kind"
    cp "$WORK/out" "$WORK/restore-$kind.out"
    contains "restore $kind: restored line" "$WORK/restore-$kind.out" \
        "^restored $WORK/$kind into $WORK/restored-$kind: [0-9]* bytes"
    contains "restore $kind: summary of the restored store" "$WORK/restore-$kind.out" \
        "^$WORK/restored-$kind: [0-9]* databases, 20000 questions, 100 users, $ANSWERS answers, "
    reads "$WORK/restored-$kind" "$WORK/reads-$kind"
    same_reads "restore $kind: every read as in the source" "$WORK/reads-$kind"
    clean "restore $kind" "$WORK/restored-$kind"
done

# ---- compaction in place ----------------------------------------------------------------

cp -r "$STORE" "$WORK/compacted"
expect_rc "compact" 0 -d "$WORK/compacted" compact
contains "compact: sizes before and after" "$WORK/out" \
    "^compacted $WORK/compacted: data.mdb [0-9]* bytes on disk (.* MiB) to [0-9]* bytes (.* MiB), [0-9.]*x smaller, in [0-9.]* s$"
store_size=$(wc -c <"$STORE/data.mdb")
compacted_size=$(wc -c <"$WORK/compacted/data.mdb")
if [ "$compacted_size" -lt "$plain_size" ] && [ "$plain_size" -le "$store_size" ]; then
    pass "compact: smaller than the store and than its backup's copy"
else
    fail "compact: smaller than the store and than its backup's copy" \
        "$compacted_size bytes, backup $plain_size, store $store_size"
fi
reads "$WORK/compacted" "$WORK/reads-compacted"
# The buckets' bytes shrink with the file; the rest of every read stays as it was.
sed 's/, "bytes": [0-9]*, "raw_bytes": [0-9]*//' "$WORK/reads-source/buckets.jsonl" \
    >"$WORK/buckets-source"
sed -i 's/, "bytes": [0-9]*, "raw_bytes": [0-9]*//' "$WORK/reads-compacted/buckets.jsonl"
same_file "compact: the same buckets" "$WORK/buckets-source" \
    "$WORK/reads-compacted/buckets.jsonl"
cp "$WORK/reads-source/buckets.jsonl" "$WORK/reads-compacted/buckets.jsonl"
same_reads "compact: every other read as in the source" "$WORK/reads-compacted"
clean "compact" "$WORK/compacted"
# An import that waits for input holds the store open: compact names its process.
sh -c '(head -n 1 "$1"; sleep 5) | "$2" import -d "$3" -q --no-progress --format csv answers -' \
    sh "$GEN_DATA/next_answers.csv" "$CLI" "$WORK/compacted" >/dev/null 2>&1 &
holder=$!
sleep 1
expect_rc "compact while another process has the store open exits 1" 1 \
    -d "$WORK/compacted" compact
contains "compact while open elsewhere: says so" "$WORK/err" 'store is open elsewhere'
wait "$holder"
expect_rc "compact without a store exits 1" 1 -d "$WORK/none" compact
contains "compact without a store: says so" "$WORK/err" 'holds no store'
expect_rc "compact with an argument: usage" 1 -d "$WORK/compacted" compact "$WORK/x"
expect_rc "help compact" 0 help compact

# ---- while an import writes -------------------------------------------------------------

# Small durable batches: the import runs for a while, one commit at a time.
"$CLI" import -d "$STORE" --no-progress --durable -q --batch 5 \
    answers "$GEN_DATA/next_answers.csv" >"$WORK/import.out" 2>&1 &
import_pid=$!
sleep 0.1
expect_rc "backup while an import writes" 0 -d "$STORE" backup --compress "$WORK/hot"
wait "$import_pid"
import_rc=$?
[ "$import_rc" -eq 0 ] && pass "the import beside the backup" ||
    fail "the import beside the backup" "exit $import_rc: $(tail -n 3 "$WORK/import.out")"
expect_rc "restore the hot backup" 0 restore "$WORK/hot" "$WORK/restored-hot"
clean "restore of a hot backup" "$WORK/restored-hot"
hot=$(answers_of "$WORK/restored-hot")
after=$(answers_of "$STORE")
if [ "$hot" -ge "$ANSWERS" ] && [ "$hot" -le "$after" ]; then
    pass "hot backup: answers between before and after"
    [ -n "${QS_VERBOSE:-}" ] && echo "     $hot answers, between $ANSWERS and $after"
else
    fail "hot backup: answers between before and after" "$hot, not in $ANSWERS..$after"
fi

# ---- refusals ---------------------------------------------------------------------------

expect_rc "backup into a backup exits 1" 1 -d "$STORE" backup "$WORK/plain"
contains "backup into a backup: says why" "$WORK/err" 'holds a backup already'
expect_rc "backup into the store itself exits 1" 1 -d "$STORE" backup "$STORE"
expect_rc "restore into a store exits 1" 1 restore "$WORK/plain" "$STORE"
contains "restore into a store: says why" "$WORK/err" 'holds a store already'
expect_rc "restore from no backup exits 1" 1 restore "$WORK/nothing" "$WORK/restored-none"
absent "restore from no backup: no target made" "$WORK/restored-none"

cp -r "$WORK/zst" "$WORK/damaged"
python3 - "$WORK/damaged/data.mdb.zst" <<'EOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(1000)
    b = f.read(1)
    f.seek(1000)
    f.write(bytes([b[0] ^ 1]))
EOF
expect_rc "restore a damaged backup exits 1" 1 restore "$WORK/damaged" "$WORK/restored-damaged"
contains "restore a damaged backup: names the file" "$WORK/err" 'data\.mdb\.zst: xxh3 .* the file is damaged'
absent "restore a damaged backup: nothing written" "$WORK/restored-damaged"

expect_rc "backup without a directory: usage" 1 -d "$STORE" backup
expect_rc "restore with one directory: usage" 1 restore "$WORK/plain"
expect_rc "restore -d: usage" 1 restore -d "$STORE" "$WORK/plain" "$WORK/x"
expect_rc "help backup" 0 help backup
expect_rc "help restore" 0 help restore

finish
