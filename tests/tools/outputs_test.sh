#!/bin/sh
# Tests the files the CLI writes: an import's --rejects file that is its input (by name,
# symlink, hard link or standard input) or the store's own files is refused before
# anything is written; a rejects file or a standard output that cannot be written fails
# the command instead of claiming success.
#
#   sh tests/tools/outputs_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

CLI=$(cd "$(dirname "$CLI")" && pwd)/$(basename "$CLI") # the cases run in $WORK
STORE=$WORK/store
cp "$DATA/users.csv" "$WORK/users.csv"
expect_rc "a store to guard" 0 import -d "$STORE" -q --no-progress users "$WORK/users.csv"
cd "$WORK" || exit 1
ln -s users.csv link.csv
ln users.csv hard.csv
ln -s store/data.mdb data-link
cksum users.csv store/data.mdb >"$WORK/sums"

# refused NAME REJECTS WHAT [IMPORT-ARGS...]: import with --rejects REJECTS exits 1 naming
# WHAT, and leaves the input and the store as they were.
refused() {
    refused_case=$1 # expect_rc sets $name
    rejects=$2
    what=$3
    shift 3
    [ $# -gt 0 ] || set -- users users.csv
    expect_rc "$refused_case: exit 1" 1 import -d store -q --no-progress --rejects "$rejects" "$@"
    contains "$refused_case: says what it is" "$WORK/err" \
        "--rejects $rejects is $what: give another file"
    if cksum users.csv store/data.mdb | cmp -s - "$WORK/sums"; then
        pass "$refused_case: nothing written"
    else
        fail "$refused_case: nothing written" "$(cksum users.csv store/data.mdb)"
    fi
}

# ---- an output that is an input or the store ---------------------------------------------

refused "--rejects the input" users.csv "the input file users.csv"
refused "--rejects the input, spelled otherwise" ./store/../users.csv "the input file users.csv"
refused "--rejects a symlink to the input" link.csv "the input file users.csv"
refused "--rejects a hard link to the input" hard.csv "the input file users.csv"
refused "--rejects the store's data file" store/data.mdb "the store's data file store/data.mdb"
refused "--rejects the store's lock file" store/lock.mdb "the store's lock file store/lock.mdb"
refused "--rejects a symlink to the data file" data-link "the store's data file store/data.mdb"
refused "--rejects the store directory" store "the store directory store"

qs import -d store -q --no-progress --format csv --rejects hard.csv users - <users.csv
if [ "$rc" -eq 1 ] && grep -q -- '--rejects hard.csv is standard input' "$WORK/err" &&
    cksum users.csv store/data.mdb | cmp -s - "$WORK/sums"; then
    pass "--rejects the file on standard input: refused"
else
    fail "--rejects the file on standard input: refused" "exit $rc" "$(cat "$WORK/err")"
fi
if [ -e /dev/stdin ]; then
    # rejects written into the pipe would come back as input, without end (the timeout
    # only ends such a hang)
    printf 'id,created_at\nu9,never\n' | timeout 300 "$CLI" import -d store -q \
        --no-progress --format csv --rejects /dev/stdin users - >"$WORK/out" 2>"$WORK/err"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q -- '--rejects /dev/stdin is standard input' "$WORK/err"; then
        pass "--rejects the pipe on standard input: refused"
    else
        fail "--rejects the pipe on standard input: refused" "exit $rc" "$(cat "$WORK/err")"
    fi
fi

# a data file not there yet is the store's all the same, through a dangling symlink too
mkdir new-store
ln -s new-store/data.mdb dangling
refused "--rejects a new store's data file" new-store/data.mdb \
    "the store's data file new-store/data.mdb" -d new-store users users.csv
refused "--rejects a dangling symlink to it" dangling \
    "the store's data file new-store/data.mdb" -d new-store users users.csv
if [ -z "$(ls new-store)" ] && [ ! -e new-store/data.mdb ]; then
    pass "a new store refused: nothing created"
else
    fail "a new store refused: nothing created" "$(ls -l new-store)"
fi
refused "--rejects a store directory not there yet" not-yet "the store directory not-yet" \
    -d not-yet users users.csv
if [ ! -e not-yet ]; then
    pass "a store directory refused: not created"
else
    fail "a store directory refused: not created" "$(ls -ld not-yet)"
fi

expect_rc "--rejects elsewhere in the store directory is fine" 0 import -d store -q \
    --no-progress --rejects store/rejects.csv users users.csv

# ---- outputs that cannot be written --------------------------------------------------------

if [ -w /dev/full ]; then
    printf 'id,created_at\nu1,2025-01-01\nu2,yesterday\n' >bad-users.csv
    expect_rc "--rejects /dev/full: exit 1" 1 import -d store --no-progress \
        --rejects /dev/full users bad-users.csv
    contains "--rejects /dev/full: says so" "$WORK/err" \
        'could not write the rejects file /dev/full: No space left on device'
    if grep -q 'written to' "$WORK/err"; then
        fail "--rejects /dev/full: claims nothing written" "$(cat "$WORK/err")"
    else
        pass "--rejects /dev/full: claims nothing written"
    fi
    expect_rc "--rejects /dev/full: nothing imported" 1 get -d store user u1

    for args in "stats -d store" "check -d store" "help import" \
        "import -d store users users.csv" "backup -d store backup"; do
        # shellcheck disable=SC2086
        "$CLI" $args >/dev/full 2>"$WORK/err"
        rc=$?
        if [ "$rc" -eq 1 ] && grep -q 'cannot write the output: No space left' "$WORK/err"; then
            pass "$args >/dev/full: exit 1"
        else
            fail "$args >/dev/full: exit 1" "exit $rc" "$(cat "$WORK/err")"
        fi
    done
else
    echo "no writable /dev/full: unwritable outputs not tested"
fi

# A rejects file that fills up midway (a file size limit, SIGXFSZ ignored so that the
# write fails with EFBIG): the import stops there, rolling back its batch. Every line is
# rejected, so the store itself writes next to nothing and stays under the limit.
awk 'BEGIN { print "id,created_at"; for (i = 0; i < 20000; i++) print "user" i ",never" i }' \
    >never.csv
(
    trap '' XFSZ
    ulimit -f 400 # blocks of 512 or 1024 bytes: the rejects would take about 1.8 MB
    exec "$CLI" import -d store --no-progress --rejects full.csv users never.csv
) >"$WORK/out" 2>"$WORK/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'could not write the rejects file full.csv: File too large' \
    "$WORK/err" && grep -q 'rolled back the batch from line' "$WORK/err" &&
    ! grep -q 'written to' "$WORK/err"; then
    pass "--rejects full midway: exit 1, says so, claims nothing"
else
    fail "--rejects full midway: exit 1, says so, claims nothing" "exit $rc" \
        "$(tail -n 3 "$WORK/err")"
fi

finish
