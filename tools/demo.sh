#!/bin/sh
# demo.sh: quizstore end to end.
#
#   tools/demo.sh BUILD_DIR [STORE_DIR]      e.g. tools/demo.sh build/release
#
# Generates a small workload with qs-gen (seed 42, 100 users, 3 days), imports every
# file with `quizstore import` in dependency order into a fresh store (STORE_DIR, which
# must be new or empty, or a temporary directory removed at the end), seals the time
# buckets old enough by the wall clock and lists them, compacts the store's file, then
# prints `quizstore stats` and the reads of the most active user: dashboard, progress,
# leaderboard rank, two pages of history and the open tests.
set -eu

usage() {
    echo "usage: $0 BUILD_DIR [STORE_DIR]" >&2
    exit 1
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
build=$1
qs=$build/tools/quizstore
gen=$build/bench/qs-gen
for prog in "$qs" "$gen"; do
    [ -x "$prog" ] || { echo "demo: $prog is missing: run scons first" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/quizstore-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
data=$work/data
if [ $# -eq 2 ]; then
    store=$2
    if [ -d "$store" ] && [ -n "$(ls -A "$store")" ]; then
        echo "demo: $store is not empty; give a new directory" >&2
        exit 1
    fi
else
    store=$work/store
fi

step() {
    printf '\n== %s\n' "$*"
}

step "qs-gen -s 42 -S 0.01 -d 3 -o $data"
"$gen" -s 42 -S 0.01 -d 3 -o "$data"

for kind in subjects systems topics questions users tests answers interactions; do
    extra=
    [ "$kind" = questions ] && extra=--compress
    step "quizstore import -d $store --periodic${extra:+ $extra} $kind $kind.csv"
    "$qs" import -d "$store" --periodic $extra --rejects "$work/rejects-$kind.csv" \
        "$kind" "$data/$kind.csv"
done

step "quizstore import -d $store answers answers.csv   (again: nothing changes)"
"$qs" import -d "$store" --periodic answers "$data/answers.csv"

step "quizstore buckets -d $store seal; quizstore buckets -d $store list"
echo "Buckets older than the hot window (by the wall clock) are compressed per user;" \
    "list shows each bucket's rows, bytes before and after, and the ratio."
"$qs" buckets -d "$store" seal
"$qs" buckets -d "$store" list

step "quizstore compact -d $store"
echo "The file rewritten without the pages sealing freed, every page full."
"$qs" compact -d "$store"

step "quizstore stats -d $store"
"$qs" stats -d "$store"

# the user with the most answers (ties: the smaller id)
user=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "user") col = i; next }
                { n[$col]++ }
                END { for (u in n) print n[u], u }' "$data/answers.csv" |
       sort -k1,1nr -k2,2n | head -n 1 | cut -d' ' -f2)
[ -n "$user" ] || { echo "demo: no answers were generated" >&2; exit 1; }
now=2026-01-01T00:00:00Z

step "quizstore get dashboard $user --now $now"
"$qs" get -d "$store" dashboard "$user" --now "$now"

step "quizstore get progress $user"
"$qs" get -d "$store" progress "$user"

step "quizstore get leaderboard --top 5 --user $user"
"$qs" get -d "$store" leaderboard --top 5 --user "$user"

step "quizstore get history $user --limit 5"
page=$("$qs" get -d "$store" history "$user" --limit 5)
printf '%s\n' "$page"
cursor=$(printf '%s\n' "$page" | sed -n 's/^ *"next": "\([^"]*\)".*/\1/p')
if [ -n "$cursor" ]; then
    step "quizstore get history $user --limit 5 --cursor $cursor"
    "$qs" get -d "$store" history "$user" --limit 5 --cursor "$cursor"
fi

step "quizstore get tests $user"
"$qs" get -d "$store" tests "$user"

if [ $# -eq 2 ]; then
    step "done: the store is in $store"
else
    step "done"
fi
