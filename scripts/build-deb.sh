#!/usr/bin/env bash
# Build the Debian package postgresql-NN-pgclone as Debian builds PostgreSQL
# extensions (debian/ with pg_buildext): one package for each major that
# debian/pgversions lists (15 17 18) and this machine's PostgreSQL serves —
# 15 on Debian 12, 17 and 18 in the roots of scripts/target-env.sh (where
# scripts/test.sh runs this script).  debian/control is generated for those
# majors in the build copy (pg_buildext updatecontrol).  When build
# dependencies are missing it installs them as root through
# scripts/bootstrap.sh --packages-only (missing ones only, nothing upgraded).
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

# missing build dependencies: on the host (Debian 12) bootstrap.sh installs
# them; a root of scripts/target-env.sh has them
if ! command -v dpkg-checkbuilddeps >/dev/null || ! command -v pg_buildext >/dev/null ||
	! dpkg-checkbuilddeps debian/control >/dev/null 2>&1; then
	if apt-cache show postgresql-server-dev-15 >/dev/null 2>&1; then
		bash scripts/bootstrap.sh --packages-only
	else
		dpkg-checkbuilddeps debian/control || true
		echo "build-deb: build dependencies missing (scripts/target-env.sh prepares the roots)" >&2
		exit 1
	fi
fi

# the version comes from debian/changelog: 1.1.0-1 -> pgclone-1.1.0
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
tree="$work/pgclone-${version%-*}"
rm -rf "$work" && mkdir -p "$work" "$tree"

# a copy of the tracked files, without build products of the work tree
if [ "$(git -c safe.directory='*' -C "$src" rev-parse --is-inside-work-tree 2>/dev/null)" = true ]; then
	git -c safe.directory='*' -C "$src" ls-files -z |
		(cd "$src" && tar --null --no-recursion -T - -cf -) | tar -xf - -C "$tree"
else
	tar -C "$src" --exclude-vcs --exclude=./dist --exclude=./tmp_check \
		--exclude=./test/log --exclude=./test/results --exclude=./test/tmp_check_regress \
		--exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude='./pgclone--*.sql' \
		-cf - . | tar -xf - -C "$tree"
fi

cd "$tree"
# debian/control lists a package for each major built here
pg_buildext updatecontrol >"$work/updatecontrol.log" 2>&1 ||
	{ cat "$work/updatecontrol.log"; echo "build-deb: pg_buildext updatecontrol failed" >&2; exit 1; }
majors=$(pg_buildext supported-versions | tr '\n' ' ')
[ -n "${majors// /}" ] || { echo "build-deb: no major of debian/pgversions ($(tr '\n' ' ' <debian/pgversions)) is installed here" >&2; exit 1; }
dpkg-checkbuilddeps || { echo "build-deb: build dependencies missing" >&2; exit 1; }

echo "== building$(for v in $majors; do printf ' postgresql-%s-pgclone' "$v"; done) $version in $tree"
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
