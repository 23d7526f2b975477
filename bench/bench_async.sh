#!/usr/bin/env bash
# Benchmark: pgclone.schema_async() with parallel 1, 2 and 4 against
# `pgcopydb clone --table-jobs 2 --index-jobs 2`, on the same generated data
# (pgbench -i -s SCALE plus a wide mixed-type table with secondary indexes),
# interleaved, ROUNDS rounds; prints medians and ratios.
# SCALE (default 10) and WIDE_ROWS (default 500000) set the size.
# Run as root or postgres.
cd "$(dirname "$0")" || exit 1
BENCH_DIR=${BENCH_DIR:-/tmp/pgclone-bench-async}
SRC_PORT=${SRC_PORT:-5621}
TGT_PORT=${TGT_PORT:-5622}
source ./lib.sh
SCALE=${SCALE:-10}
WIDE_ROWS=${WIDE_ROWS:-500000}
ROUNDS=${ROUNDS:-3}

start_clusters
trap stop_clusters EXIT
echo "== generating: pgbench -i -s $SCALE, wide table $WIDE_ROWS rows"
as_pg "$BIN/pgbench" -i -q -s "$SCALE" --foreign-keys -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres postgres >/dev/null 2>&1
{ mixed_table_sql wide "$WIDE_ROWS"; echo 'ALTER TABLE wide ADD PRIMARY KEY (id);'; } | spsql
spsql <<SQL
CREATE INDEX wide_k_idx ON wide (k);
CREATE INDEX wide_label_idx ON wide (label);
CREATE INDEX wide_created_idx ON wide (created);
VACUUM ANALYZE;
SQL
echo "   size: $(spsql -Atc "SELECT pg_size_pretty(pg_database_size('postgres'))")"

# time from the call to the job's end, polled inside one session
run_async() {
	local par=$1
	tpsql -Atc "DO \$\$DECLARE id int; s text; BEGIN
	  id := pgclone.schema_async('$SRC_CONNINFO', 'public', true, '{\"parallel\": $par}');
	  LOOP
	    s := pgclone.progress(id)->>'status';
	    EXIT WHEN s NOT IN ('pending', 'running');
	    PERFORM pg_sleep(0.02);
	  END LOOP;
	  IF s <> 'completed' THEN RAISE EXCEPTION 'job % ended %', id, s; END IF;
	END\$\$"
}
run_pgcopydb() {
	as_pg rm -rf "$BENCH_DIR/copydb"
	as_pg pgcopydb clone --dir "$BENCH_DIR/copydb" --table-jobs 2 --index-jobs 2 \
		--source "postgres://postgres@127.0.0.1:$SRC_PORT/postgres" \
		--target "postgres://postgres@127.0.0.1:$TGT_PORT/copydb" >"$BENCH_DIR/copydb.log" 2>&1
}
reset_target() {
	tpsql -c 'DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history, wide CASCADE' 2>/dev/null
	tpsql -c 'SELECT pgclone.clear_jobs()' >/dev/null
	tpsql -c 'DROP DATABASE IF EXISTS copydb' ; tpsql -c 'CREATE DATABASE copydb'
	tpsql -c 'CHECKPOINT'
}
check_target() {
	local a b
	a=$(spsql -Atc "SELECT count(*), sum(abalance) FROM pgbench_accounts")
	b=$(tpsql -Atc "SELECT count(*), sum(abalance) FROM pgbench_accounts")
	[ "$a" = "$b" ] || { echo "pgclone result differs: $a vs $b"; exit 1; }
}

declare -a T1 T2 T4 TC
for r in $(seq 1 "$ROUNDS"); do
	reset_target; T1+=("$(timeit run_async 1)"); check_target
	reset_target; T2+=("$(timeit run_async 2)"); check_target
	reset_target; T4+=("$(timeit run_async 4)"); check_target
	reset_target; TC+=("$(timeit run_pgcopydb)")
	echo "round $r: parallel1 ${T1[-1]}s  parallel2 ${T2[-1]}s  parallel4 ${T4[-1]}s  pgcopydb ${TC[-1]}s"
done
m1=$(median "${T1[@]}"); m2=$(median "${T2[@]}"); m4=$(median "${T4[@]}"); mc=$(median "${TC[@]}")
echo
echo "median seconds: parallel 1 $m1 | parallel 2 $m2 | parallel 4 $m4 | pgcopydb (2+2 jobs) $mc"
echo "ratio parallel 2 / pgcopydb:   $(ratio "$m2" "$mc")"
echo "ratio parallel 4 / pgcopydb:   $(ratio "$m4" "$mc")"
echo "ratio parallel 2 / parallel 1: $(ratio "$m2" "$m1")"
