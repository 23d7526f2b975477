#!/usr/bin/env bash
# Benchmark: pgclone.table() against the psql COPY pipe and pg_dump -t | psql,
# on the same generated table, interleaved, ROUNDS rounds; prints medians and
# ratios.  ROWS (default 2000000) sets the size.  Run as root or postgres.
cd "$(dirname "$0")" || exit 1
source ./lib.sh
ROWS=${ROWS:-2000000}
ROUNDS=${ROUNDS:-3}

start_clusters
trap stop_clusters EXIT
echo "== generating $ROWS rows"
{ mixed_table_sql bench_t "$ROWS"; echo 'VACUUM ANALYZE bench_t;'; } | spsql
echo "   size: $(spsql -Atc "SELECT pg_size_pretty(pg_table_size('bench_t'))")"
DDL=$(spsql -Atc "SELECT 'CREATE TABLE bench_t (' || string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) || ')' FROM pg_attribute WHERE attrelid = 'bench_t'::regclass AND attnum > 0")

run_pgclone() { tpsql -c "SELECT pgclone.table('$SRC_CONNINFO', 'public', 'bench_t')"; }
run_pipe() {
	tpsql -c "$DDL"
	spsql -c "COPY bench_t TO STDOUT (FORMAT binary)" | tpsql -c "COPY bench_t FROM STDIN (FORMAT binary)"
}
run_dump() {
	as_pg "$BIN/pg_dump" -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres -t bench_t postgres | tpsql >/dev/null
}
reset_target() { tpsql -c 'DROP TABLE IF EXISTS bench_t' ; tpsql -c 'CHECKPOINT'; }

declare -a T_CLONE T_PIPE T_DUMP
for r in $(seq 1 "$ROUNDS"); do
	reset_target; T_CLONE+=("$(timeit run_pgclone)")
	reset_target; T_PIPE+=("$(timeit run_pipe)")
	reset_target; T_DUMP+=("$(timeit run_dump)")
	echo "round $r: pgclone ${T_CLONE[-1]}s  psql-pipe ${T_PIPE[-1]}s  pg_dump|psql ${T_DUMP[-1]}s"
done
# memory: peak private (anonymous) RSS of the cloning backend, sampled every 20 ms
reset_target
PGAPPNAME=pgclone_mem tpsql -Atc "SELECT pg_sleep(1)" -c "SELECT pgclone.table('$SRC_CONNINFO', 'public', 'bench_t')" > /dev/null &
job=$!
sleep 0.5
pid=$(tpsql -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgclone_mem'")
peak=0
while kill -0 "$job" 2>/dev/null; do
	kb=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
	[ "${kb:-0}" -gt "$peak" ] && peak=$kb
	sleep 0.02
done
wait
echo "peak RssAnon of the cloning backend: $((peak / 1024)) MB (table: $(spsql -Atc "SELECT pg_size_pretty(pg_table_size('bench_t'))"))"

mc=$(median "${T_CLONE[@]}"); mp=$(median "${T_PIPE[@]}"); md=$(median "${T_DUMP[@]}")
echo
echo "median seconds: pgclone.table $mc | psql COPY binary pipe $mp | pg_dump -t | psql $md"
echo "ratio pgclone / psql pipe:     $(ratio "$mc" "$mp")"
echo "ratio pgclone / pg_dump|psql:  $(ratio "$mc" "$md")"
