# bench/lib.sh — shared helpers for the benchmark scripts (source it).
# shellcheck shell=bash disable=SC2034
# Starts throwaway source and target clusters as the postgres user.
set -euo pipefail
BIN=${BIN:-$(dirname "$(${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config} --bindir)/x")}
BENCH_DIR=${BENCH_DIR:-/tmp/pgclone-bench}
SRC_PORT=${SRC_PORT:-5611}
TGT_PORT=${TGT_PORT:-5612}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# what the benchmarks run besides PostgreSQL (bc for the figures, pgcopydb to
# compare with): as root, scripts/bootstrap.sh installs them
# (BENCH_NEEDS: what this benchmark needs of them, default both)
bench_deps() {
	local n ok=1
	for n in ${BENCH_NEEDS:-bc pgcopydb}; do command -v "$n" >/dev/null || ok=0; done
	[ $ok = 1 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "bench: bc and pgcopydb are needed: scripts/bootstrap.sh bc pgcopydb (as root)" >&2
		exit 1
	fi
	"$(dirname "${BASH_SOURCE[0]}")/../scripts/bootstrap.sh" bc pgcopydb
}
bench_deps

start_clusters() {
	stop_clusters || true
	rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"; chown postgres: "$BENCH_DIR" 2>/dev/null || true
	for p in $SRC_PORT $TGT_PORT; do
		as_pg "$BIN/initdb" -D "$BENCH_DIR/d$p" -A trust -U postgres >/dev/null
		cat >> "$BENCH_DIR/d$p/postgresql.conf" <<CONF
port = $p
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BENCH_DIR'
shared_buffers = 1GB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
wal_level = minimal
max_wal_senders = 0
fsync = on
synchronous_commit = off
shared_preload_libraries = 'pgclone'
max_worker_processes = 16
CONF
		as_pg "$BIN/pg_ctl" -D "$BENCH_DIR/d$p" -l "$BENCH_DIR/l$p" -w start >/dev/null
	done
	tpsql -c 'CREATE EXTENSION pgclone' >/dev/null
}
stop_clusters() {
	for p in $SRC_PORT $TGT_PORT; do
		[ -d "$BENCH_DIR/d$p" ] && as_pg "$BIN/pg_ctl" -D "$BENCH_DIR/d$p" -m fast stop >/dev/null 2>&1 || true
	done
}
spsql() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres "${@}" postgres; }
tpsql() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" -p "$TGT_PORT" -U postgres "${@}" postgres; }
SRC_CONNINFO="host=127.0.0.1 port=$SRC_PORT dbname=postgres user=postgres"

# seconds (float) a command takes
timeit() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { echo "scale=3; $1 / $2" | bc -l; }

# SQL creating and filling NAME with ROWS rows of 10 mixed-type columns
# (bigint id NOT NULL, int, numeric, text, timestamptz, boolean, float8, date,
# jsonb, varchar): the common data of the table and pool benchmarks.
mixed_table_sql() {
	local name=$1 rows=$2
	cat <<SQL
CREATE TABLE $name (
    id bigint NOT NULL, k int, price numeric(12,2), label text, created timestamptz,
    flag boolean, score float8, day date, doc jsonb, tag varchar(40)
);
INSERT INTO $name
SELECT g, g % 1000, (g % 10000) / 100.0, 'label ' || md5(g::text), now() - g * interval '1 second',
       g % 2 = 0, g / 7.0, date '2000-01-01' + g % 9000,
       jsonb_build_object('id', g, 'name', 'n' || g), 'tag-' || (g % 50)
FROM generate_series(1, $rows) g;
SQL
}
