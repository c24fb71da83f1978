#!/bin/sh
# Tests the CLI on damaged store files and under a file size limit: a truncated store
# is refused by check, get and import with a message; a page overwritten in the middle
# of the file is named by check, every read exits with a status (no signal), and
# import refuses to write; an empty or foreign data file says what it is; backup and
# import under `ulimit -f` fail with EFBIG instead of being killed, and a backup cut
# short leaves nothing that stops the next one.
#
#   sh tests/tools/damage_test.sh PATH/TO/quizstore      (qs-gen: $QS_GEN, or the build's)
. "$(dirname "$0")/lib/check.sh"

GEN=${QS_GEN:-$(dirname "$CLI")/../bench/qs-gen}
STORE=$WORK/store
BUILT=$WORK/built

if ! "$GEN" -s 11 -S 0.01 -d 3 --next-day -o "$WORK/gen" >"$WORK/gen.out" 2>&1; then
    fail "qs-gen" "$(cat "$WORK/gen.out")"
    finish
fi
for kind in subjects systems topics questions users tests answers interactions; do
    expect_rc "import $kind" 0 import -d "$BUILT" -q --no-progress --periodic "$kind" \
        "$WORK/gen/$kind.csv"
done
# the store under test is restored from a backup, so that every page of its file is in
# use: a page overwritten below is one the store reads, and an import must grow it
expect_rc "backup the built store" 0 backup -d "$BUILT" "$WORK/built-bk"
expect_rc "restore it" 0 restore "$WORK/built-bk" "$STORE"
size=$(wc -c <"$STORE/data.mdb")
pages=$((size / 4096))

# copy_store NAME: a copy of the store's data file in $WORK/NAME.
copy_store() {
    rm -rf "${WORK:?}/$1"
    mkdir "$WORK/$1"
    cp "$STORE/data.mdb" "$WORK/$1/data.mdb"
}

# no_signal NAME: the last command exited with a status, not a signal (128 + N).
no_signal() {
    if [ "$rc" -lt 128 ]; then
        pass "$1"
    else
        fail "$1" "exited $rc" "$(tail -n 3 "$WORK/err")"
    fi
}

# ---- a truncated store
copy_store half
head -c $((size / 2)) "$STORE/data.mdb" >"$WORK/half/data.mdb"
expect_rc "check: a truncated store" 1 check -d "$WORK/half"
contains "check: says it was truncated" "$WORK/err" "truncated"
expect_rc "get: a truncated store" 1 get -d "$WORK/half" dashboard 1
contains "get: says it was truncated" "$WORK/err" "truncated"
expect_rc "import: a truncated store" 1 import -d "$WORK/half" -q users "$WORK/gen/users.csv"
contains "import: says it was truncated" "$WORK/err" "truncated"

# ---- a page in the middle overwritten
copy_store page
mid=$((pages / 2))
head -c 4096 /dev/zero | tr '\0' '\377' |
    dd of="$WORK/page/data.mdb" bs=4096 seek=$mid conv=notrunc 2>/dev/null
expect_rc "check: a page overwritten" 1 check -d "$WORK/page"
contains "check: names the page" "$WORK/out" "damaged page $mid "
contains "check: says to restore" "$WORK/out" "restore the store from a backup"
expect_rc "check --json: a page overwritten" 1 check -d "$WORK/page" --json
json_is "check --json: the pages part has the finding" "$WORK/out" \
    '[d["ok"], d["parts"][0]["name"], d["parts"][0]["findings"] > 0]' '[false, "pages", true]'
crashed=0
for user in $(seq 1 100); do
    for what in history dashboard progress tests; do
        qs get -d "$WORK/page" "$what" "$user"
        [ "$rc" -ge 128 ] && crashed=$((crashed + 1))
    done
done
if [ "$crashed" -eq 0 ]; then
    pass "get: 400 reads of the damaged store exit with a status"
else
    fail "get: 400 reads of the damaged store exit with a status" "$crashed died of a signal"
fi
expect_rc "import: refuses a damaged store" 1 import -d "$WORK/page" -q users \
    "$WORK/gen/users.csv"
contains "import: says the store opens read-only only" "$WORK/err" "read-only only"
expect_rc "backup: refuses a damaged store" 1 backup -d "$WORK/page" "$WORK/page-backup"
contains "backup: says why" "$WORK/err" "a backup of it would be too"

# ---- an empty data file, and one that is not LMDB's
mkdir "$WORK/empty" && : >"$WORK/empty/data.mdb"
expect_rc "get: an empty data file" 1 get -d "$WORK/empty" dashboard 1
contains "get: says it is empty" "$WORK/err" "is empty"
mkdir "$WORK/csv" && cp "$WORK/gen/answers.csv" "$WORK/csv/data.mdb"
expect_rc "get: a data file that is not LMDB's" 1 get -d "$WORK/csv" dashboard 1
contains "get: says it is not an LMDB file" "$WORK/err" "not an LMDB file"

# ---- the file size limit: EFBIG, not SIGXFSZ
limit=$((size / 2048))   # KiB: half the store
(ulimit -f "$limit" && "$CLI" backup -d "$STORE" "$WORK/bk") >"$WORK/out" 2>"$WORK/err"
rc=$?
if [ "$rc" -eq 1 ]; then
    pass "backup past ulimit -f: exits 1"
else
    fail "backup past ulimit -f: exits 1" "exited $rc" "$(tail -n 3 "$WORK/err")"
fi
contains "backup past ulimit -f: says the file may not grow" "$WORK/err" "File too large"
if [ -z "$(ls -A "$WORK/bk" 2>/dev/null)" ]; then
    pass "backup past ulimit -f: leaves no file"
else
    fail "backup past ulimit -f: leaves no file" "$(ls -A "$WORK/bk")"
fi
expect_rc "backup: the retry without the limit" 0 backup -d "$STORE" "$WORK/bk"
size=$(wc -c <"$STORE/data.mdb")
expect_rc "import the next day's tests" 0 import -d "$STORE" -q --no-progress tests \
    "$WORK/gen/next_tests.csv"
(ulimit -f $((size / 1024)) && "$CLI" import -d "$STORE" -q --no-progress --batch 100000 \
    answers "$WORK/gen/next_answers.csv") >"$WORK/out" 2>"$WORK/err"
rc=$?
if [ "$rc" -eq 1 ]; then
    pass "import past ulimit -f: exits 1"
else
    fail "import past ulimit -f: exits 1" "exited $rc" "$(tail -n 3 "$WORK/err")"
fi
contains "import past ulimit -f: names the limit" "$WORK/err" "RLIMIT_FSIZE"
expect_rc "check: the store is whole after the refused import" 0 check -d "$STORE"
expect_rc "import: the retry without the limit" 0 import -d "$STORE" -q --no-progress \
    answers "$WORK/gen/next_answers.csv"
finish
