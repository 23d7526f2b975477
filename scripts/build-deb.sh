#!/usr/bin/env bash
# Build the Debian package postgresql-15-pgclone as Debian builds PostgreSQL
# extensions (debian/ with pg_buildext), on Debian 12.  As root it first
# installs what the build needs (apt-get build-dep on debian/control).
#
# The work tree is left alone: the build runs in a copy of the tracked files
# (as they are in the work tree, uncommitted edits included) under $WORK, and
# the .deb ends up in $OUT.  Prints the .deb's path as its last line.
#   OUT   where the .deb goes      (default: dist/ in this tree; git-ignored)
#   WORK  scratch build directory  (default: /tmp/pgclone-deb-<hash of this tree's path>)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${OUT:-$src/dist}
work=${WORK:-/tmp/pgclone-deb-$(printf %s "$src" | md5sum | cut -c1-8)}
export DEBIAN_FRONTEND=noninteractive

updated=
as_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "build-deb: build dependencies are missing; run as root to install them" >&2
		exit 1
	fi
	[ -n "$updated" ] || { apt-get update -qq; updated=1; }
	"$@"
}

command -v dpkg-checkbuilddeps >/dev/null ||
	as_root apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null

# the version comes from debian/changelog: 1.1.0-1 -> pgclone-1.1.0
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
tree="$work/pgclone-${version%-*}"
rm -rf "$work" && mkdir -p "$work" "$tree"

# a copy of the tracked files, without build products of the work tree
if git -c safe.directory='*' -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -c safe.directory='*' -C "$src" ls-files -z |
		(cd "$src" && tar --null --no-recursion -T - -cf -) | tar -xf - -C "$tree"
else
	tar -C "$src" --exclude-vcs --exclude=./dist --exclude=./tmp_check \
		--exclude=./test/log --exclude=./test/results --exclude=./test/tmp_check_regress \
		--exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude='./pgclone--*.sql' \
		-cf - . | tar -xf - -C "$tree"
fi

cd "$tree"
if ! dpkg-checkbuilddeps >/dev/null 2>&1; then
	echo "== installing the build dependencies (debian/control)"
	as_root apt-get build-dep -y -qq --no-install-recommends ./ >/dev/null
fi

echo "== building postgresql-15-pgclone $version in $tree"
start=$(date +%s)
if ! dpkg-buildpackage -us -uc -b -j"$(nproc)" >"$work/build.log" 2>&1; then
	tail -40 "$work/build.log"
	echo "build-deb: dpkg-buildpackage failed (log: $work/build.log)" >&2
	exit 1
fi
echo "== built in $(( $(date +%s) - start )) s (log: $work/build.log)"

mkdir -p "$out"
debs=("$work"/postgresql-*-pgclone_"${version}"_*.deb)
cp "${debs[@]}" "$out/"
for d in "${debs[@]}"; do echo "$out/$(basename "$d")"; done
