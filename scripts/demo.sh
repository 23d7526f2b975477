#!/usr/bin/env bash
# The demo: install what is missing, build and install pgclone, start
# throwaway source and target clusters on loopback, fill the source with a
# small shop, run real clones and show what happened.  Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
scripts/bootstrap.sh
BIN=$("$PG_CONFIG" --bindir)
DIR=${DEMO_DIR:-/tmp/pgclone-demo}
SRC=5701 TGT=5702
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

for p in $SRC $TGT; do [ -d "$DIR/d$p" ] && as_pg "$BIN/pg_ctl" -D "$DIR/d$p" -m fast stop >/dev/null 2>&1 || true; done
rm -rf "$DIR"; mkdir -p "$DIR"; [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
for p in $SRC $TGT; do
	as_pg "$BIN/initdb" -D "$DIR/d$p" -A trust -U postgres >/dev/null
	printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nshared_preload_libraries = 'pgclone'\n" \
		"$p" "$DIR" >> "$DIR/d$p/postgresql.conf"
	as_pg "$BIN/pg_ctl" -D "$DIR/d$p" -l "$DIR/log$p" -w start >/dev/null
done
echo "== source cluster on port $SRC, target cluster on port $TGT (data in $DIR)"
src() { as_pg "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$DIR" -p $SRC -U postgres "$@" postgres; }
tgt() { as_pg "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$DIR" -p $TGT -U postgres "$@" postgres; }
src -q -f test/fixtures/demo_source.sql
tgt -q -c 'CREATE EXTENSION pgclone'
C="host=127.0.0.1 port=$SRC dbname=postgres user=postgres"

run() { echo; echo "-- $1"; tgt -c "$1"; }
run "SELECT pgclone.version()"
run "CREATE SCHEMA shop"
run "SELECT pgclone.table('$C', 'shop', 'customers')"
run "SELECT pgclone.table('$C', 'shop', 'orders', true, 'orders', '{\"where\": \"total > 400\"}')"
run "SELECT pgclone.table('$C', 'shop', 'customers', true, 'customers_lite', '{\"columns\": [\"id\", \"full_name\", \"status\"], \"where\": \"status <> ''closed''\"}')"
run "SELECT pgclone.table('$C', 'shop', 'customers', true, NULL, '{\"conflict\": \"rename\"}')"
run "SELECT pgclone.discover_sensitive('$C', 'shop')::jsonb"

echo; echo "== a masked staging database: created, pgclone installed, whole source cloned"
echo "   (the masks are what discover_sensitive() suggested, used as they are)"
run "SELECT pgclone.database_create('$C', 'staging', true, json_build_object('mask', pgclone.discover_sensitive('$C', 'shop')::json)::text)"
stg() { as_pg "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$DIR" -p $TGT -U postgres "$@" staging; }
srun() { echo; echo "-- [staging] $1"; stg -c "$1"; }
srun "SELECT id, full_name, email, phone, status FROM shop.customers ORDER BY id LIMIT 3"
srun "SELECT * FROM pgclone.verify('$C', 'shop', '{\"exact\": true}')"
srun "SELECT pgclone.diff('$C', 'shop')::jsonb -> 'in_sync' AS in_sync"
srun "SELECT pgclone.preflight('$C', 'shop')::jsonb -> 'summary' AS preflight"

echo; echo "== an async clone in a background worker"
run "SELECT pgclone.table_async('$C', 'shop', 'orders', true, 'orders_async') AS job_id"
for i in $(seq 1 50); do
	st=$(tgt -Atc "SELECT status FROM pgclone.jobs_view ORDER BY job_id DESC LIMIT 1")
	case "$st" in completed|failed|cancelled) break;; esac
	sleep 0.2
done
run "SELECT job_id, status, op_type, pct_complete, progress_bar, elapsed_time, error_message FROM pgclone.jobs_view"
run "\\d+ shop.customers"
echo
echo "== checksums (source vs target) of shop.customers:"
q="SELECT count(*) || ' rows, md5 ' || md5(string_agg(c::text, '' ORDER BY c.id)) FROM shop.customers c"
echo "   source: $(src -Atc "$q")"
echo "   target: $(tgt -Atc "$q")"
echo
echo "== done. Clusters keep running; stop them with:"
echo "   runuser -u postgres -- $BIN/pg_ctl -D $DIR/d$SRC stop; runuser -u postgres -- $BIN/pg_ctl -D $DIR/d$TGT stop"
