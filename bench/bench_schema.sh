#!/usr/bin/env bash
# Benchmark: pgclone.database() against pg_dump | psql, pg_dump -Fc | pg_restore
# and pgcopydb clone, on the same generated database, interleaved, ROUNDS
# rounds; prints medians and ratios.  Every tool writes into a fresh, empty
# target database (created outside the timing).
#   SCALE   pgbench scale of the generated data (default 10, ~150 MB; 50 ~ 750 MB)
#   WIDE    rows of an extra wide mixed-type table with 2 secondary indexes (default 500000)
#   ROUNDS  default 3
# Run as root or postgres; as root, lib.sh installs bc and pgcopydb if missing.
cd "$(dirname "$0")" || exit 1
BENCH_DIR=${BENCH_DIR:-/tmp/pgclone-bench-schema}
SRC_PORT=${SRC_PORT:-5621}
TGT_PORT=${TGT_PORT:-5622}
source ./lib.sh
SCALE=${SCALE:-10}
WIDE=${WIDE:-500000}
ROUNDS=${ROUNDS:-3}
JOBS=${JOBS:-2}

start_clusters
trap stop_clusters EXIT
echo "== generating: pgbench scale $SCALE + wide table of $WIDE rows"
as_pg "$BIN/pgbench" -q -i -s "$SCALE" -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres postgres >/dev/null 2>&1
spsql <<SQL
CREATE SCHEMA shop;
CREATE TYPE shop.state AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE shop.wide (
    id bigint PRIMARY KEY, k int, price numeric(12,2), label text, created timestamptz,
    flag boolean, score float8, day date, doc jsonb, tag varchar(40), st shop.state
);
INSERT INTO shop.wide
SELECT g, g % 1000, (g % 10000) / 100.0, 'label ' || md5(g::text), now() - g * interval '1 second',
       g % 2 = 0, g / 7.0, date '2000-01-01' + g % 9000,
       jsonb_build_object('id', g, 'name', 'n' || g), 'tag-' || (g % 50),
       (ARRAY['new', 'paid', 'shipped'])[1 + g % 3]::shop.state
FROM generate_series(1, $WIDE) g;
CREATE INDEX ON shop.wide (k, day);
CREATE INDEX ON shop.wide (tag);
CREATE VIEW shop.paid AS SELECT id, price FROM shop.wide WHERE st = 'paid';
VACUUM ANALYZE;
SQL
echo "   size: $(spsql -Atc "SELECT pg_size_pretty(pg_database_size('postgres'))")"

SRC_URI="postgresql://postgres@127.0.0.1:$SRC_PORT/postgres"
TGT_URI="postgresql://postgres@127.0.0.1:$TGT_PORT/b"
fresh_target() {
	tpsql -c 'DROP DATABASE IF EXISTS b' -c 'CREATE DATABASE b' -c 'CHECKPOINT' >/dev/null
	rm -rf "$BENCH_DIR/copydb"
}
run_pgclone() {
	as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" -p "$TGT_PORT" -U postgres -d b \
		-c 'CREATE EXTENSION pgclone' -c "SELECT pgclone.database('$SRC_CONNINFO')"
}
run_dump_psql() {
	as_pg "$BIN/pg_dump" -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres postgres |
		as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" -p "$TGT_PORT" -U postgres -d b >/dev/null
}
run_dump_restore() {
	as_pg "$BIN/pg_dump" -Fc -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres postgres |
		as_pg "$BIN/pg_restore" -h "$BENCH_DIR" -p "$TGT_PORT" -U postgres -d b
}
run_pgcopydb() {
	as_pg env PATH="$BIN:$PATH" pgcopydb clone --source "$SRC_URI" --target "$TGT_URI" \
		--dir "$BENCH_DIR/copydb" --table-jobs "$JOBS" --index-jobs "$JOBS" >/dev/null 2>&1
}

# The clock stops when the copy is on disk: pgclone's commit syncs the files
# it loaded without WAL, while the others leave dirty pages behind; a
# CHECKPOINT inside the timing makes every tool pay for durability
# (DURABLE=0 leaves it out).
durable() { "$@"; [ "${DURABLE:-1}" = 0 ] || tpsql -c 'CHECKPOINT' >/dev/null; }

declare -a T_CLONE T_DUMP T_RESTORE T_COPYDB
for r in $(seq 1 "$ROUNDS"); do
	fresh_target; T_CLONE+=("$(timeit durable run_pgclone)")
	fresh_target; T_DUMP+=("$(timeit durable run_dump_psql)")
	fresh_target; T_RESTORE+=("$(timeit durable run_dump_restore)")
	fresh_target; T_COPYDB+=("$(timeit durable run_pgcopydb)")
	echo "round $r: pgclone ${T_CLONE[-1]}s  pg_dump|psql ${T_DUMP[-1]}s  pg_dump -Fc|pg_restore ${T_RESTORE[-1]}s  pgcopydb ${T_COPYDB[-1]}s"
done
# the last pgcopydb run left its copy in b: check the pgclone copy matches the source
fresh_target; run_pgclone >/dev/null
rows_src=$(spsql -Atc "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM shop.wide)")
rows_tgt=$(as_pg "$BIN/psql" -X -Atq -h "$BENCH_DIR" -p "$TGT_PORT" -U postgres -d b \
	-c "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM shop.wide)")
[ "$rows_src" = "$rows_tgt" ] || { echo "row counts differ: $rows_src vs $rows_tgt"; exit 1; }

mc=$(median "${T_CLONE[@]}"); md=$(median "${T_DUMP[@]}"); mr=$(median "${T_RESTORE[@]}"); mp=$(median "${T_COPYDB[@]}")
echo
echo "median seconds: pgclone.database $mc | pg_dump|psql $md | pg_dump -Fc|pg_restore $mr | pgcopydb clone (jobs $JOBS) $mp"
echo "ratio pgclone / pg_dump|psql:           $(ratio "$mc" "$md")"
echo "ratio pgclone / pg_dump -Fc|pg_restore: $(ratio "$mc" "$mr")"
echo "ratio pgclone / pgcopydb clone:         $(ratio "$mc" "$mp")"
