#!/bin/sh
# Tests the layering of the code (tests/tools/layering.py): no call or include from a
# folder into a higher one (util/ < engine/ < index/ < api/ < tools/, bench/); tools/
# and bench/ call the library only through its qs_ functions, and not each other; no
# loop of includes anywhere; no loop of calls between the files of the library, of
# tools/ or of bench/.
#
#   sh tests/tools/layering_test.sh PATH/TO/quizstore
. "$(dirname "$0")/lib/check.sh"

ROOT=$TOOLS_DIR/../..
BUILD=$(dirname "$CLI")/..

# rule NAME RULE [FOLDER...]: the rule holds when layering.py finds no breach.
rule() {
    name=$1
    shift
    if ! python3 "$TOOLS_DIR/layering.py" "$BUILD" "$ROOT" "$@" >"$WORK/breaches"; then
        fail "$name" "layering.py failed"
    elif [ -s "$WORK/breaches" ]; then
        fail "$name" "$(head -n 5 "$WORK/breaches")"
    else
        pass "$name"
    fi
}

rule "no call or include from a folder into a higher one" upward
rule "tools/ and bench/ call the library only through qs_ functions" public
rule "no loop of includes" include-loops
rule "no loop of calls between the files of the library" call-loops util engine index api
rule "no loop of calls between the files of tools/" call-loops tools
rule "no loop of calls between the files of bench/" call-loops bench

# the checks can fail: a call from the engine into the index layer is found
mkdir -p "$WORK/build/engine" "$WORK/build/index"
printf 'int idx_probe(void);\nint eng_probe(void) { return idx_probe(); }\n' >"$WORK/e.c"
printf 'int idx_probe(void) { return 1; }\n' >"$WORK/i.c"
if cc -c -o "$WORK/build/engine/e.o" "$WORK/e.c" && cc -c -o "$WORK/build/index/i.o" "$WORK/i.c" &&
    python3 "$TOOLS_DIR/layering.py" "$WORK/build" "$WORK" upward | grep -q "engine/e.c calls idx_probe of index/i.c"
then
    pass "a call from engine/ into index/ is found"
else
    fail "a call from engine/ into index/ is found"
fi

finish
