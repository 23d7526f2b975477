#!/usr/bin/env bash
# The whole test suite: bootstrap, then pg_regress and the TAP tests (real
# source and target clusters), run as the postgres user because initdb
# refuses root.  T=test/t/010_table.pl runs one TAP file.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

# includes follow the stages (remote -> catalog -> plan -> ddl -> clone)
bash scripts/check-layers.sh

if [ "$(id -u)" = 0 ]; then
	scripts/bootstrap.sh
	# initdb refuses root: the tests run as postgres, who must reach the tree
	if ! runuser -u postgres -- test -x "$(pwd)"; then
		work=/tmp/pgclone-test-tree
		echo "== $(pwd) is not reachable by postgres: testing a copy in $work"
		rm -rf "$work" && mkdir -p "$work" && cp -a . "$work/" && cd "$work"
	fi
	chown -R postgres: .
	run=(runuser -u postgres --)
else
	make -s PG_CONFIG="$PG_CONFIG" with_llvm=no >/dev/null
	run=()
fi

status=0
"${run[@]}" make PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck \
	${T:+T="$T"} || status=$?
if [ $status -ne 0 ]; then
	for f in test/regression.diffs; do [ -f "$f" ] && cat "$f"; done
	echo "TESTS FAILED"
fi
exit $status
