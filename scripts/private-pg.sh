#!/usr/bin/env bash
# Make a private, relocated copy of the PostgreSQL 15 installation at DIR, so
# that several work trees can install and test pgclone side by side.
# Prints the PG_CONFIG to use.  Usage: scripts/private-pg.sh DIR
set -euo pipefail
dir=${1:?usage: private-pg.sh DIR}
mkdir -p "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql" "$dir/usr/include"
cp -a /usr/lib/postgresql/15 "$dir/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$dir/usr/share/postgresql/"
cp -a /usr/include/postgresql "$dir/usr/include/"
chmod -R a+rX "$dir"
echo "$dir/usr/lib/postgresql/15/bin/pg_config"
