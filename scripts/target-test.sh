#!/usr/bin/env bash
# Build pgclone and run its tests inside a PostgreSQL MAJOR server (17, 18),
# in the root that scripts/target-env.sh prepares (cached).  The work tree is
# copied into the root (tracked and untracked, not ignored files), built and
# installed into the root's PostgreSQL, and tested there as its postgres user;
# the host's PostgreSQL is not touched.  The other majors' server binaries
# (scripts/pg-versions.sh) are bind-mounted for the version matrix.
#   scripts/target-test.sh MAJOR              the whole suite
#   T=test/t/010_table.pl scripts/target-test.sh MAJOR
#   scripts/target-test.sh MAJOR -- CMD ...   run CMD in the built tree, as postgres
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:?usage: target-test.sh MAJOR [-- CMD ...]}
shift
root=$(bash scripts/target-env.sh "$major" | tail -1)
versions=${PGCLONE_VERSIONS_CACHE:-/var/cache/pgclone-versions}
# TREE_NAME: a tree of its own per caller, so two runs in one root do not clash
tree=/build/${TREE_NAME:-pgclone}
pgc=/usr/lib/postgresql/$major/bin/pg_config
# With TREE_NAME, pgclone is installed into a private copy of the root's
# PostgreSQL (/build/pg-TREE_NAME, as scripts/private-pg.sh does on the host):
# a run in the same root with another tree cannot replace its library.
if [ -n "${TREE_NAME:-}" ]; then
	priv=/build/pg-$TREE_NAME
	if [ ! -x "$root$priv/usr/lib/postgresql/$major/bin/pg_config" ]; then
		chroot "$root" bash -c "set -e; mkdir -p $priv/usr/lib/postgresql $priv/usr/share/postgresql $priv/usr/include
			cp -a /usr/lib/postgresql/$major $priv/usr/lib/postgresql/
			cp -a /usr/share/postgresql/$major $priv/usr/share/postgresql/
			cp -a /usr/include/postgresql $priv/usr/include/; chmod -R a+rX $priv"
	fi
	pgc=$priv/usr/lib/postgresql/$major/bin/pg_config
fi

mounted=()
cleanup() {
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mnt() {
	local dst=${*: -1}
	mkdir -p "$dst"
	mountpoint -q "$dst" || { mount "$@" && mounted+=("$dst"); }
}
mnt -t proc proc "$root/proc"
mnt -t tmpfs -o size=64m,mode=1777 tmpfs "$root/dev/shm"
if [ -d "$versions" ]; then
	mnt --bind "$versions" "$root$versions"
fi

# a copy of the tree: tracked files and untracked ones git does not ignore
rm -rf "$root$tree" && mkdir -p "$root$tree"
git -c safe.directory='*' ls-files -z --cached --others --exclude-standard |
	tar --null --no-recursion -T - -cf - 2>/dev/null | tar -xf - -C "$root$tree"
# 090_upgrade.pl builds released versions from the repository's history
# (a worktree's .git is a file naming a directory outside the root: clone it)
if [ -d .git ]; then cp -a .git "$root$tree/.git"
elif [ -f .git ]; then git -c safe.directory='*' clone -q --bare . "$root$tree/.git"; fi
chroot "$root" chown -R postgres: "$tree"

in_root() { chroot "$root" runuser -u postgres -- env -C "$tree" PATH=/usr/local/bin:/usr/bin:/bin "$@"; }
echo "== PostgreSQL $major: building pgclone in $root$tree"
in_root make -s -j2 PG_CONFIG="$pgc" with_llvm=no >/dev/null
chroot "$root" env -C "$tree" make -s PG_CONFIG="$pgc" with_llvm=no install >/dev/null

if [ "${1:-}" = "--" ]; then
	shift
	in_root "$@"
	exit $?
fi
status=0
in_root make PG_CONFIG="$pgc" with_llvm=no installcheck ${T:+T="$T"} || status=$?
if [ $status -ne 0 ]; then
	[ -f "$root$tree/test/regression.diffs" ] && cat "$root$tree/test/regression.diffs"
	echo "TESTS FAILED in PostgreSQL $major (logs: $root$tree/tmp_check/log)"
fi
exit $status
