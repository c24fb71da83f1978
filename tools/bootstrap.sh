#!/bin/sh
# Installs what quizstore needs to build, test and bench on Debian.
# Does nothing when every package is already present. Needs root or sudo.
set -eu

PACKAGES="gcc pkg-config scons python3 \
liblmdb-dev lmdb-utils libzstd-dev libxxhash-dev libcsv-dev libcmocka-dev \
libsqlite3-dev sqlite3 libpq-dev postgresql gnuplot-nox \
clang libclang-rt-14-dev lld llvm valgrind abigail-tools"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "bootstrap: installing$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
