#!/usr/bin/env bash
# Make a private, relocated copy of the PostgreSQL MAJOR installation (default
# 15) at DIR, so that several work trees can install and test pgclone side by
# side without touching the system's installation (scripts/test.sh on the
# host, scripts/target-test.sh inside a root).  A copy already at DIR is
# replaced.  Prints the PG_CONFIG to use.  Usage: scripts/private-pg.sh DIR [MAJOR]
set -euo pipefail
dir=${1:?usage: private-pg.sh DIR [MAJOR]}
major=${2:-15}
rm -rf "$dir"
mkdir -p "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql" "$dir/usr/include"
cp -a "/usr/lib/postgresql/$major" "$dir/usr/lib/postgresql/"
cp -a "/usr/share/postgresql/$major" "$dir/usr/share/postgresql/"
cp -a /usr/include/postgresql "$dir/usr/include/"
chmod -R a+rX "$dir"
echo "$dir/usr/lib/postgresql/$major/bin/pg_config"
