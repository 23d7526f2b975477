#!/usr/bin/env bash
# The suite of this tree against the PostgreSQL installation PG_CONFIG names,
# with pgclone installed there: pg_regress (test/sql), then the TAP tests
# (test/t; T=FILE runs one), each run even when the other failed.  Run as a
# user initdb accepts (not root); scripts/test.sh and scripts/target-test.sh
# call it.  Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
pgc=${PG_CONFIG:?PG_CONFIG must name the installation to test}
status=0
if ! make PG_CONFIG="$pgc" with_llvm=no installcheck TAP_TESTS=; then
	status=1
	[ -f test/regression.diffs ] && head -300 test/regression.diffs
fi
make PG_CONFIG="$pgc" with_llvm=no installcheck REGRESS= ${T:+T="$T"} || status=1
exit $status
