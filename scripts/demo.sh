#!/usr/bin/env bash
# The demo: install what is missing, build and install pgclone, start
# throwaway source and target clusters on loopback, fill the source with a
# small shop, run real clones and show what happened.  Run as root on Debian 12.
#   scripts/demo.sh                 in the host's PostgreSQL 15: installs the
#                                   missing Debian packages (scripts/bootstrap.sh)
#                                   and pgclone into /usr/lib/postgresql/15
#   DEMO_TARGET=17 scripts/demo.sh  in PostgreSQL 17 (or 18), inside the root of
#                                   scripts/target-env.sh: the host's PostgreSQL
#                                   is not touched
# The clusters (data in DEMO_DIR, default /tmp/pgclone-demo) keep running on
# 127.0.0.1, ports 5701/5702 (15), 5771/5772 (17), 5781/5782 (18); the end of
# the output says how to connect to them and how to stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${DEMO_TARGET:-15}
if [ "$target" != 15 ] && [ -z "${DEMO_IN_ROOT:-}" ]; then
	# build and install pgclone in a copy of the root's PostgreSQL
	# (/build/pg-demo), then run this script there as its postgres user
	root=${PGCLONE_TARGETS_CACHE:-/var/cache/pgclone-targets}/pg$target
	exec env TREE_NAME=demo bash scripts/target-test.sh "$target" -- \
		env DEMO_IN_ROOT="$root" DEMO_TARGET="$target" bash scripts/demo.sh
fi
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
[ -n "${DEMO_IN_ROOT:-}" ] || scripts/bootstrap.sh
BIN=$("$PG_CONFIG" --bindir)
DIR=${DEMO_DIR:-/tmp/pgclone-demo}
case $target in
15) SRC=5701 TGT=5702 ;;
*) SRC=57${target: -1}1 TGT=57${target: -1}2 ;;
esac
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

for p in $SRC $TGT; do
	if [ -d "$DIR/d$p" ]; then as_pg "$BIN/pg_ctl" -D "$DIR/d$p" -m fast stop >/dev/null 2>&1 || true; fi
done
rm -rf "$DIR"; mkdir -p "$DIR"; [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
for p in $SRC $TGT; do
	as_pg "$BIN/initdb" -D "$DIR/d$p" -A trust -U postgres >/dev/null
	printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nshared_preload_libraries = 'pgclone'\n" \
		"$p" "$DIR" >> "$DIR/d$p/postgresql.conf"
	as_pg "$BIN/pg_ctl" -D "$DIR/d$p" -l "$DIR/log$p" -w start >/dev/null
done
echo "== PostgreSQL $("$PG_CONFIG" --version | sed 's/^PostgreSQL //'): source cluster on port $SRC, target cluster on port $TGT (data in ${DEMO_IN_ROOT:-}$DIR)"
src() { as_pg "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$DIR" -p "$SRC" -U postgres "$@" postgres; }
tgt() { as_pg "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$DIR" -p "$TGT" -U postgres "$@" postgres; }
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
stg() { as_pg "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$DIR" -p "$TGT" -U postgres "$@" staging; }
srun() { echo; echo "-- [staging] $1"; stg -c "$1"; }
srun "SELECT id, full_name, email, phone, status FROM shop.customers ORDER BY id LIMIT 3"
srun "SELECT * FROM pgclone.verify('$C', 'shop', '{\"exact\": true}')"
srun "SELECT pgclone.diff('$C', 'shop')::jsonb -> 'in_sync' AS in_sync"
srun "SELECT pgclone.preflight('$C', 'shop')::jsonb -> 'summary' AS preflight"

echo; echo "== an async clone in a background worker"
run "SELECT pgclone.table_async('$C', 'shop', 'orders', true, 'orders_async') AS job_id"
for _ in $(seq 1 50); do
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
echo "== done. The clusters keep running (user postgres, no password, 127.0.0.1 only). Connect:"
echo "   psql -h 127.0.0.1 -p $TGT -U postgres staging     # the target: the masked staging database"
echo "   psql -h 127.0.0.1 -p $TGT -U postgres postgres    # the target: the clones of the demo"
echo "   psql -h 127.0.0.1 -p $SRC -U postgres postgres    # the source: the shop"
if [ -n "${DEMO_IN_ROOT:-}" ]; then
	pre="chroot $DEMO_IN_ROOT runuser -u postgres --"
	echo "   (as root on the host: $pre $BIN/psql -h 127.0.0.1 -p $TGT staging)"
else
	pre="runuser -u postgres --"
fi
echo "Stop them:"
echo "   $pre $BIN/pg_ctl -D $DIR/d$SRC stop; $pre $BIN/pg_ctl -D $DIR/d$TGT stop"
