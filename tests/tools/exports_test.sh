#!/bin/sh
# Tests the shared library's exported symbols: exactly the functions api/quizstore.h
# marks QS_API, as api/exports.txt lists them. A change to that list is a change of the
# library's binary interface (README, "Build and install").
#
#   sh tests/tools/exports_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

ROOT=$TOOLS_DIR/../..
LIB=$(dirname "$CLI")/../lib/libquizstore.so
LIST=$ROOT/api/exports.txt

if [ ! -f "$LIB" ]; then
    fail "the shared library is built" "no $LIB"
    finish
fi
nm -D --defined-only "$LIB" | awk '{ sub(/@.*/, "", $3); print $3 }' | sort >"$WORK/exported"
same_file "the library exports what api/exports.txt lists" "$WORK/exported" "$LIST"

# the header's declarations: QS_API, then the return type, then qs_name(
sed -n 's/^QS_API [^(]*[ *]\(qs_[a-z0-9_]*\)(.*/\1/p' "$ROOT/api/quizstore.h" | sort \
    >"$WORK/declared"
same_file "api/exports.txt lists every function the header marks QS_API" "$WORK/declared" \
    "$LIST"
if grep -Eq '^(int|void|const char|uint[0-9]+_t) \*?qs_[a-z0-9_]+\(' "$ROOT/api/quizstore.h"
then
    fail "every function of the header is marked QS_API" \
        "$(grep -En '^(int|void|const char|uint[0-9]+_t) \*?qs_[a-z0-9_]+\(' \
            "$ROOT/api/quizstore.h")"
else
    pass "every function of the header is marked QS_API"
fi
if grep -qv '^qs_' "$WORK/exported"; then
    fail "no symbol but qs_ functions is exported" "$(grep -v '^qs_' "$WORK/exported")"
else
    pass "no symbol but qs_ functions is exported"
fi

finish
