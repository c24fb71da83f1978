#!/bin/sh
# Runs the whole test suite under valgrind memcheck: every test program and every call
# of the CLI that the scripts make. Any memory error, or a definite leak, makes the
# program exit 99, which the runner counts as a failure.
#
#   sh tests/valgrind.sh [BUILD_DIR]               (default build/release)
#   QS_TEST_SCRIPTS=0 sh tests/valgrind.sh ...      the test programs only (CI: the
#                                                   scripts make about 3,000 CLI calls)
#
# Stores are opened with a 1 GiB map: valgrind cannot reserve the default 64 GiB.
# tests/valgrind.supp lists the leaks the library documents (calls cut short by a fault).
set -u
build=${1:-build/release}
QS_TEST_MAP_SIZE=1073741824
QUIZSTORE_MAP_SIZE=1G
QS_TEST_WRAP="valgrind -q --error-exitcode=99 --num-callers=40 --leak-check=full --errors-for-leak-kinds=definite \
    --suppressions=$(cd "$(dirname "$0")" && pwd)/valgrind.supp"
QS_TEST_TIMEOUT=${QS_TEST_TIMEOUT:-1800}
export QS_TEST_MAP_SIZE QUIZSTORE_MAP_SIZE QS_TEST_WRAP QS_TEST_TIMEOUT
exec sh "$(dirname "$0")/run.sh" "$build"
