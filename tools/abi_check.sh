#!/bin/sh
# Compares the binary interface of the built libquizstore.so with the last release's,
# kept in api/quizstore.abi (libabigail's abidw; Debian: abigail-tools). Added
# functions and types are compatible; an incompatible change (a removed function, a
# changed signature, a struct whose layout moved) fails unless the SONAME changed too,
# which tells the applications built on the old one that they must be rebuilt.
#
#   tools/abi_check.sh [BUILD_DIR]            compare (default build/release)
#   tools/abi_check.sh --update [BUILD_DIR]   make the built library the new baseline,
#                                             at a release
set -eu
cd "$(dirname "$0")/.."

update=0
if [ "${1:-}" = "--update" ]; then
    update=1
    shift
fi
build=${1:-build/release}
lib=$(readlink -f "$build/lib/libquizstore.so")
baseline=api/quizstore.abi
if [ ! -f "$lib" ]; then
    echo "abi_check: no library at $build/lib/libquizstore.so: build it first" >&2
    exit 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Only what the public header declares counts; no paths, so that dumps of two
# checkouts compare equal.
abidw --headers-dir api --drop-private-types --no-show-locs --no-corpus-path \
    --out-file "$scratch/built.abi" "$lib"

if [ "$update" -eq 1 ]; then
    cp "$scratch/built.abi" "$baseline"
    echo "abi_check: $baseline is now the interface of $(basename "$lib")"
    exit 0
fi

soname_of() {
    sed -n "s/.*soname='\([^']*\)'.*/\1/p" "$1" | head -n 1
}
old=$(soname_of "$baseline")
new=$(soname_of "$scratch/built.abi")

status=0
abidiff --no-show-locs "$baseline" "$scratch/built.abi" >"$scratch/report" || status=$?
# abidiff's status is a bit set: 1 error, 2 usage error, 4 a change, 8 an incompatible
# change. A struct whose layout moved is only "a change" to it, reported as a changed
# function: anything but added functions and variables breaks the interface here.
if [ $((status & 3)) -ne 0 ]; then
    cat "$scratch/report" >&2
    echo "abi_check: abidiff failed (status $status)" >&2
    exit 2
fi
breaking=$(sed -n 's/^\(Functions\|Variables\) changes summary: \([0-9]*\) Removed[^,]*, \([0-9]*\) Changed.*/\2 \3/p' \
    "$scratch/report" | awk '{ n += $1 + $2 } END { print n + 0 }')
if [ $((status & 8)) -ne 0 ] || [ "$breaking" -gt 0 ]; then
    if [ "$old" = "$new" ]; then
        cat "$scratch/report"
        echo "abi_check: an incompatible change of the binary interface under the same" \
            "SONAME ($new): change the major version (api/quizstore.h, README) or keep" \
            "the layout" >&2
        exit 1
    fi
    echo "abi_check: incompatible with $old, as the new SONAME $new says"
elif [ $((status & 4)) -ne 0 ]; then
    echo "abi_check: compatible with the last release ($old); additions:"
    grep 'changes summary' "$scratch/report"
else
    echo "abi_check: the same binary interface as the last release ($old)"
fi
