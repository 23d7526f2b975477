#!/usr/bin/env bash
# Prepare (cached) a root file system with PostgreSQL MAJOR and its headers,
# for building and testing pgclone inside a server of that major:
#     17 -> Debian trixie,  18 -> Debian sid   (bookworm, the host, has 15)
# The root is made with debootstrap and kept under
#     $PGCLONE_TARGETS_CACHE (default /var/cache/pgclone-targets)/pgMAJOR
# and reused while its stamp file is there: a fresh machine builds it (about
# a minute and 0.5 GB each), later runs find it.  The host is left alone: no
# sources list of the host changes, nothing is installed on the host but
# debootstrap itself (when missing).  Needs root.
# Prints the root's path as its last line.
# Usage: scripts/target-env.sh MAJOR
set -euo pipefail
major=${1:?usage: target-env.sh MAJOR (17 or 18) | all}
if [ "$major" = all ]; then
	# everything the tests use: the host's packages (15), then both roots
	bash "$(dirname "$0")/bootstrap.sh" --packages-only
	for m in 17 18; do bash "$0" "$m"; done
	exit 0
fi
case $major in
17) suite=trixie ;;
18) suite=sid ;;
*) echo "target-env: no Debian suite known for PostgreSQL $major (17: trixie, 18: sid)" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "target-env: needs root (debootstrap, chroot)" >&2; exit 1; }

cache=${PGCLONE_TARGETS_CACHE:-/var/cache/pgclone-targets}
root=$cache/pg$major
# What the root needs: the server and its headers (PGXS), the TAP test
# framework's Perl module, a compiler, git (test/t/090_upgrade.pl builds 1.0
# from the history) and the Debian package tools.  ONE list: a test that
# needs another package adds it here (a changed list is installed on the next
# run, into the existing root).
# Also: pg_cron (055_refresh schedules a refresh), iproute2 (013 reads the
# keepalive timers with ss), python3 and the two word lists of the fake_*
# masks.  Those lists are taken from bookworm, the suite of the host's 15
# (trixie has no ruby-faker), so the fakes are the same in every package.
PACKAGES="postgresql-$major postgresql-server-dev-$major postgresql-contrib libipc-run-perl
	make gcc git libpq-dev build-essential debhelper dpkg-dev fakeroot postgresql-server-dev-all locales-all
	postgresql-$major-cron iproute2 python3 ruby-faker/bookworm python3-fake-factory/bookworm"
stamp=$root/.pgclone-ready-$(printf %s "$PACKAGES" | md5sum | cut -c1-8)

if [ -f "$stamp" ]; then
	echo "$root"
	exit 0
fi

# one preparation at a time per root (another caller waits, then finds it ready)
mkdir -p "$cache"
exec 9>"$root.lock"
flock 9
if [ -f "$stamp" ]; then
	echo "$root"
	exit 0
fi

# debootstrap is in the host's list (scripts/bootstrap.sh): missing ones only
command -v debootstrap >/dev/null || bash "$(dirname "$0")/bootstrap.sh" --packages-only

# the host's Debian mirror (deb822 or one-line sources)
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

# whatever is mounted below the root (proc, tmpfs, bind mounts of host caches)
umount_all() { findmnt -rn -o TARGET | grep "^$root/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true; }
if [ ! -x "$root/usr/bin/apt-get" ] || [ ! -f "$root/.debootstrap-done" ]; then
	echo "== target-env: debootstrap $suite into $root (download about 30 MB)"
	umount_all
	rm -rf --one-file-system "$root" && mkdir -p "$root"
	debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$cache/debootstrap-$major.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap-$major.log"; echo "target-env: debootstrap failed" >&2; exit 1; }
	touch "$root/.debootstrap-done"
fi

echo "== target-env: installing PostgreSQL $major and the build tools into $root (download about 300 MB, 1.6-1.9 GB on disk)"
# a dated archive snapshot's Release file may have expired (sid here)
echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99pgclone-no-valid-until"
# no server may start inside the root: policy-rc.d denies it
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
if ! mountpoint -q "$root/proc"; then
	mount -t proc proc "$root/proc"
	trap 'umount "$root/proc" 2>/dev/null || true' EXIT
fi
# bookworm beside the root's own suite, for the word lists only (priority 100:
# nothing is taken from it unless named with /bookworm)
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list.d/pgclone-bookworm.list"
printf 'Package: *\nPin: release n=bookworm\nPin-Priority: 100\n' >"$root/etc/apt/preferences.d/pgclone-bookworm"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
# shellcheck disable=SC2086
chroot "$root" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends --allow-downgrades $PACKAGES >"$cache/install-$major.log" 2>&1 ||
	{ tail -20 "$cache/install-$major.log"; echo "target-env: package install failed" >&2; exit 1; }
sed -n 's/^\(Need to get\|After this operation\)/   &/p' "$cache/install-$major.log"
# the default cluster the package made is not used (tests make their own)
chroot "$root" sh -c "pg_dropcluster --stop $major main 2>/dev/null || true"
chroot "$root" apt-get clean
touch "$stamp"
echo "$root"
