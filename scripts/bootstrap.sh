#!/usr/bin/env bash
# Install what is missing (Debian 12, as root), then build and install pgclone
# into the PostgreSQL that PG_CONFIG names (default: the system's 15).
#   scripts/bootstrap.sh [PKG ...]              missing packages, then build + install
#   scripts/bootstrap.sh --packages-only [PKG ...]   missing packages only
# Arguments name more Debian packages to install if missing (the benchmarks':
# bc pgcopydb).
#
# The machine changes only as it says: a package that is installed is never
# upgraded, and a missing one is installed only when that upgrades nothing
# (`apt-get -s` decides before anything is installed; a missing package whose
# dependencies pin an installed package's version, e.g. postgresql-server-dev-all
# on postgresql-common, is taken at the installed package's version).  What it
# installs, how much it downloads and where it goes are printed first; apt's
# own output goes to a log.  PGCLONE_ALLOW_UPGRADE=1 lets apt upgrade what it
# must (printed too).
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the build, the tests and the Debian package build need on the
# host (Debian 12; debootstrap makes the 17/18 roots, scripts/target-env.sh).
# ONE list: a test that needs another package adds it here.
PACKAGES="postgresql-15 postgresql-server-dev-15 postgresql-contrib libpq-dev libipc-run-perl
	make gcc git debhelper dpkg-dev fakeroot postgresql-server-dev-all debootstrap
	python3 ruby-faker python3-fake-factory postgresql-15-cron iproute2"

build=1
if [ "${1:-}" = "--packages-only" ]; then build=; shift; fi
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
log=${PGCLONE_APT_LOG:-/var/log/pgclone-bootstrap.log}
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confold)

installed_version() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }

# The newest version of a missing package whose exact-version dependencies
# ("pkg (= v)") agree with what is installed; the candidate when none pins.
pick_version() {
	local p=$1 v dep name want have ok
	while read -r v; do
		ok=1
		while read -r dep; do
			name=${dep%% *}; name=${name%:any}
			want=$(sed -n 's/.*(= \(.*\))/\1/p' <<<"$dep")
			have=$(installed_version "$name")
			if [ -n "$have" ] && [ "$have" != "$want" ]; then ok=; break; fi
		done < <(apt-cache show "$p=$v" 2>/dev/null | sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' | head -2 |
			tr ',' '\n' | sed 's/^ *//' | grep -E '^[^ |]+ \(= [^)]+\)$' || true)
		if [ -n "$ok" ]; then echo "$p=$v"; return; fi
	done < <(apt-cache madison "$p" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
	echo "$p"
}

need=()
# shellcheck disable=SC2086
for p in $PACKAGES "$@"; do
	[ -n "$(installed_version "$p")" ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bootstrap: missing Debian packages: ${need[*]} (run as root to install them)" >&2
		exit 1
	fi
	echo "== bootstrap: missing Debian packages: ${need[*]}"
	echo "   apt-get update (refreshes /var/lib/apt/lists; log: $log)"
	apt-get "${apt_opts[@]}" update >>"$log" 2>&1 || { tail -5 "$log"; exit 1; }
	sel=()
	for p in "${need[@]}"; do sel+=("$(pick_version "$p")"); done
	sim=$(apt-get -s "${apt_opts[@]}" install --no-upgrade --no-install-recommends "${sel[@]}" 2>&1) ||
		{ echo "$sim" | tail -20; echo "bootstrap: apt cannot install ${sel[*]}" >&2; exit 1; }
	upgrades=$(sed -n 's/^Inst \([^ ]*\) \[\([^]]*\)\] (\([^ ]*\).*/\1 \2 -> \3/p' <<<"$sim")
	if [ -n "$upgrades" ]; then
		echo "   installing ${sel[*]} would upgrade installed packages:"
		printf '     %s\n' "${upgrades//$'\n'/$'\n'     }"
		if [ -z "${PGCLONE_ALLOW_UPGRADE:-}" ]; then
			echo "bootstrap: refusing to upgrade what is installed; upgrade them yourself, or run with PGCLONE_ALLOW_UPGRADE=1" >&2
			exit 1
		fi
	fi
	new=$(sed -n 's/^Inst \([^ []*\) (.*/\1/p' <<<"$sim")
	echo "   installing ${sel[*]}: $(wc -w <<<"$new") new packages (with dependencies, no recommends):"
	tr '\n' ' ' <<<"$new" | fold -s -w 96 | sed 's/^/     /'; echo
	# "Need to get 12.3 MB of archives." / "After this operation, 45.6 MB of additional disk space ..."
	apt-get "${apt_opts[@]}" install --no-upgrade --no-install-recommends --assume-no "${sel[@]}" 2>/dev/null |
		grep -E '^(Need to get|After this operation)' | sed 's/^/   /' || true
	echo "   into /usr (Debian packages; archives kept in /var/cache/apt/archives; log: $log)"
	apt-get "${apt_opts[@]}" install -y --no-upgrade --no-install-recommends "${sel[@]}" >>"$log" 2>&1 ||
		{ tail -20 "$log"; echo "bootstrap: apt-get install failed (log: $log)" >&2; exit 1; }
fi

[ -n "$build" ] || exit 0
echo "== building pgclone"
make -s -j2 PG_CONFIG="$PG_CONFIG" with_llvm=no >/dev/null
make -s PG_CONFIG="$PG_CONFIG" with_llvm=no install >/dev/null
echo "== installed pgclone into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"
