#!/usr/bin/env bash
# Install what is missing (Debian 12, as root), then build and install pgclone.
# PG_CONFIG may point at another PostgreSQL installation; arguments name more
# Debian packages to install if missing (the benchmarks': bc pgcopydb).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
need=()
for p in postgresql-15 postgresql-server-dev-15 postgresql-contrib libpq-dev libipc-run-perl make gcc "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "== installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== building pgclone"
make -s PG_CONFIG="$PG_CONFIG" with_llvm=no >/dev/null
make -s PG_CONFIG="$PG_CONFIG" with_llvm=no install >/dev/null
echo "== installed pgclone into $("$PG_CONFIG" --pkglibdir)"
