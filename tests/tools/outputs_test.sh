#!/bin/sh
# Tests the files the CLI writes: an import's --rejects file that is its input (by name,
# symlink, hard link or standard input) or the store's own files is refused before
# anything is written.
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
if [ "$rc" -eq 1 ] && grep -q -- '--rejects hard.csv is the file on standard input' "$WORK/err" &&
    cksum users.csv store/data.mdb | cmp -s - "$WORK/sums"; then
    pass "--rejects the file on standard input: refused"
else
    fail "--rejects the file on standard input: refused" "exit $rc" "$(cat "$WORK/err")"
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

finish
