#!/usr/bin/env bash
# Build pgclone and run its tests inside a PostgreSQL MAJOR server (17, 18),
# in the root that scripts/target-env.sh prepares (cached).  The work tree is
# copied into the root (scripts/copy-tree.sh: tracked and untracked files, not
# ignored ones, and the history), built and installed into a private copy of
# the root's PostgreSQL (/build/pg-TREE_NAME), and tested there as the root's
# postgres user; the host's PostgreSQL and the work tree are not touched.  The other majors' server
# binaries (scripts/pg-versions.sh) are bind-mounted for the version matrix.
#   scripts/target-test.sh MAJOR              the whole suite (scripts/suite.sh)
#   T=test/t/010_table.pl scripts/target-test.sh MAJOR
#   scripts/target-test.sh MAJOR -- CMD ...   run CMD in the built tree, as postgres
#                                             (PG_CONFIG names the installation)
# Environment:
#   TREE_NAME  the copy's directory, /build/TREE_NAME in the root (default
#              pgclone): one per caller, so that two runs in a root do not clash
#   PACKAGE=1  also build the Debian package postgresql-MAJOR-pgclone in the
#              root (scripts/build-deb.sh) and give it to test/t/091_package.pl
#              (PACKAGE=1 scripts/target-test.sh 18 -- true: the package only)
#   DIST=DIR   copy that package to DIR on the host
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:?usage: target-test.sh MAJOR [-- CMD ...]}
shift
root=$(bash scripts/target-env.sh "$major" | tail -1)
versions=${PGCLONE_VERSIONS_CACHE:-/var/cache/pgclone-versions}
tree=/build/${TREE_NAME:-pgclone}

# /proc, /dev/shm and the versions cache are mounted into the root while any
# run uses it: every run holds a shared lock, the last one out unmounts
exec 8>"$root.users"
flock -s 8
mounts=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	flock -x -n 8 || return 0
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		! mountpoint -q "${mounts[$i]}" || umount "${mounts[$i]}" 2>/dev/null || true
	done
}
trap cleanup EXIT
mnt() {
	local dst=${*: -1}
	mkdir -p "$dst"
	mounts+=("$dst")
	mountpoint -q "$dst" || mount "$@"
}
mnt -t proc proc "$root/proc"
mnt -t tmpfs -o size=256m,mode=1777 tmpfs "$root/dev/shm"
if [ -d "$versions" ]; then
	mnt --bind "$versions" "$root$versions"
fi

bash scripts/copy-tree.sh "$root$tree"
chroot "$root" chown -R postgres: "$tree"
# pgclone goes into a private copy of the root's PostgreSQL, one per tree
# (/build/pg-TREE_NAME, scripts/private-pg.sh): a run with another tree in the
# same root cannot replace its library, and the root's own stays clean
pgc=$(chroot "$root" bash "$tree/scripts/private-pg.sh" "/build/pg-${TREE_NAME:-pgclone}" "$major")

in_root() { chroot "$root" runuser -u postgres -- env -C "$tree" PATH=/usr/local/bin:/usr/bin:/bin PG_CONFIG="$pgc" "$@"; }
echo "== PostgreSQL $major: building pgclone in $root$tree"
if ! in_root make -s -j2 PG_CONFIG="$pgc" with_llvm=no >/dev/null ||
	! chroot "$root" env -C "$tree" make -s PG_CONFIG="$pgc" with_llvm=no install >/dev/null; then
	echo "STEP FAILED: build (PostgreSQL $major)"
	exit 1
fi

deb=()
if [ -n "${PACKAGE:-}" ]; then
	echo "== PostgreSQL $major: building the Debian package in $root"
	if out=$(chroot "$root" env -C "$tree" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		OUT="$tree/dist" WORK="$tree-deb" bash scripts/build-deb.sh 2>&1); then
		echo "$out"
		deb=(PGCLONE_DEB="$(tail -1 <<<"$out")")
		if [ -n "${DIST:-}" ]; then
			mkdir -p "$DIST" && cp "$root${deb[0]#PGCLONE_DEB=}" "$DIST/"
			echo "== package copied to $DIST/"
		fi
	else
		echo "$out"
		echo "PACKAGE BUILD FAILED (PostgreSQL $major)"
		deb=(PGCLONE_DEB=/nonexistent/package-build-failed.deb)
	fi
fi

if [ "${1:-}" = "--" ]; then
	shift
	in_root "$@"
	exit $?
fi

status=0
in_root env "${deb[@]}" PG_CONFIG="$pgc" ${T:+T="$T"} bash scripts/suite.sh || status=$?
if [ $status -ne 0 ]; then
	echo "TESTS FAILED in PostgreSQL $major (logs: $root$tree/tmp_check/log)"
fi
exit $status
