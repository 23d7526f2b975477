#!/usr/bin/env bash
# Benchmark: a subset clone (1% of pgbench_accounts, the "subset" option)
# against the full clone of the same schema, both with pgclone.schema():
# time and size on the target.  Data: pgbench -i -s SCALE --foreign-keys,
# pgbench_history filled with HIST rows (its FKs to accounts, tellers and
# branches are pgbench's), and a chain of our own: statements -> accounts,
# statement_lines -> statements, line_checks -> statement_lines (composite).
# SCALE (default 10), HIST (default 500000), ROUNDS (default 3).
# MODE=sample: the sampling rules of issue 27 instead (bench_subset_sample,
# below): 10,000,000 orders of 100,000 customers.
# Run as root or postgres; PG_CONFIG selects the PostgreSQL with pgclone.
cd "$(dirname "$0")" || exit 1
BENCH_DIR=${BENCH_DIR:-/tmp/pgclone-bench-subset}
SRC_PORT=${SRC_PORT:-5631}
TGT_PORT=${TGT_PORT:-5632}
# shellcheck disable=SC2034  # read by lib.sh
BENCH_NEEDS="bc"
source ./lib.sh

# Sampling (issue 27): does a 1% sample cost 1% of a full clone?  The largest
# table, orders, has ORDERS rows (default 10,000,000) of CUSTOMERS customers
# (default 100,000), indexed on its key to customers as a real schema is.
# Each run is one schema() into an empty target; rows kept and integrity are
# checked.  One round: the machine is shared.
bench_subset_sample() {
	local orders=${ORDERS:-10000000} customers=${CUSTOMERS:-100000} t0 t
	start_clusters
	trap stop_clusters EXIT
	echo "== generating: $customers customers, $orders orders (index on customer_id)"
	t0=$(date +%s)
	spsql <<SQL
CREATE TABLE customers (id int PRIMARY KEY, created timestamptz NOT NULL, name text);
INSERT INTO customers SELECT g, timestamptz '2020-01-01' + g * interval '17 minutes', 'c' || g
FROM generate_series(1, $customers) g;
CREATE INDEX ON customers (created);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
  amount numeric(10,2), note text);
ALTER TABLE orders SET (autovacuum_enabled = off);
INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % $customers, (g % 10000) / 100.0, 'order ' || g
FROM generate_series(1, $orders) g;
CREATE INDEX ON orders (customer_id);
VACUUM ANALYZE;
SQL
	echo "   $(( $(date +%s) - t0 )) s; source size: $(spsql -Atc "SELECT pg_size_pretty(pg_database_size('postgres'))")"
	reset_t() { tpsql -c 'DROP TABLE IF EXISTS orders, customers CASCADE; CHECKPOINT' >/dev/null; }
	one() {
		local label=$1 opts=$2 secs kept bad
		reset_t
		secs=$(timeit tpsql -Atc "SET client_min_messages = warning; SELECT pgclone.schema('$SRC_CONNINFO', 'public', true, '$opts'); CHECKPOINT")
		kept=$(tpsql -Atc "SELECT (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM orders) || ' orders'")
		bad=$(tpsql -Atc "SELECT count(*) FROM pgclone.verify(NULL, 'public', '{\"mode\": \"integrity\"}') WHERE match <> '✓'")
		[ "$bad" = 0 ] || { echo "$label: foreign keys broken"; exit 1; }
		printf '%-44s %8.2f s   %s\n' "$label" "$secs" "$kept"
	}
	one "full clone" '{}'
	one "customers percent 1" '{"subset": {"public.customers": {"percent": 1}}, "seed": 1}'
	one "customers percent 10" '{"subset": {"public.customers": {"percent": 10}}, "seed": 1}'
	one "customers rows 1000 by created desc" '{"subset": {"public.customers": {"rows": 1000, "order_by": "created desc"}}}'
	one "orders percent 1 (the 10M table itself)" '{"subset": {"public.orders": {"percent": 1}}, "seed": 1}'
	t=$(timeit tpsql -Atc "SELECT count(*) FROM pgclone.subset_preview('$SRC_CONNINFO', 'public',
	  '{\"subset\": {\"public.customers\": {\"percent\": 1}}, \"seed\": 1}')")
	printf '%-44s %8.2f s\n' "subset_preview, customers percent 1" "$t"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
	exit 0
}
[ "${MODE:-}" = sample ] && bench_subset_sample
SCALE=${SCALE:-10}
HIST=${HIST:-500000}
ROUNDS=${ROUNDS:-3}
FILTER='aid % 100 = 0'

start_clusters
trap stop_clusters EXIT
echo "== generating: pgbench -i -s $SCALE --foreign-keys, history $HIST rows, a 3-table chain"
as_pg "$BIN/pgbench" -i -q -s "$SCALE" --foreign-keys -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres postgres >/dev/null 2>&1
spsql <<SQL
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
SELECT 1 + g % (10 * $SCALE), 1 + g % $SCALE, 1 + (g::bigint * 7919) % (100000 * $SCALE), g % 1000, now()
FROM generate_series(1, $HIST) g;
CREATE TABLE statements (sid bigint PRIMARY KEY, aid int NOT NULL REFERENCES pgbench_accounts,
  issued date NOT NULL);
CREATE TABLE statement_lines (sid bigint REFERENCES statements, n int, amount int,
  PRIMARY KEY (sid, n));
CREATE TABLE line_checks (id bigserial PRIMARY KEY, sid bigint, n int, ok boolean,
  FOREIGN KEY (sid, n) REFERENCES statement_lines);
INSERT INTO statements SELECT g, 1 + (g::bigint * 104729) % (100000 * $SCALE), date '2026-01-01' + g % 300
FROM generate_series(1, 50000 * $SCALE) g;
INSERT INTO statement_lines SELECT s, n, s % 977 FROM generate_series(1, 50000 * $SCALE) s,
  generate_series(1, 2) n;
INSERT INTO line_checks (sid, n, ok) SELECT s, 1 + s % 2, s % 3 = 0 FROM generate_series(1, 50000 * $SCALE, 2) s;
VACUUM ANALYZE;
SQL
echo "   source size: $(spsql -Atc "SELECT pg_size_pretty(pg_database_size('postgres'))")"

OPTS_SUBSET="{\"subset\": {\"public.pgbench_accounts\": \"$FILTER\"}}"
run_full() { tpsql -Atc "SELECT pgclone.schema('$SRC_CONNINFO', 'public', true); CHECKPOINT"; }
run_subset() { tpsql -Atc "SELECT pgclone.schema('$SRC_CONNINFO', 'public', true, '$OPTS_SUBSET'); CHECKPOINT"; }
reset_target() {
	tpsql -c 'DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history,
	  statements, statement_lines, line_checks CASCADE' 2>/dev/null
	tpsql -c 'CHECKPOINT'
}
target_size() {
	tpsql -Atc "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
	  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
}
target_rows() {
	tpsql -Atc "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM pgbench_history)
	  + (SELECT count(*) FROM statements) + (SELECT count(*) FROM statement_lines)
	  + (SELECT count(*) FROM line_checks) + (SELECT count(*) FROM pgbench_tellers)
	  + (SELECT count(*) FROM pgbench_branches)"
}
check_subset() {
	local a b bad
	a=$(spsql -Atc "SELECT count(*) FROM pgbench_accounts WHERE $FILTER")
	b=$(tpsql -Atc "SELECT count(*) FROM pgbench_accounts")
	[ "$a" = "$b" ] || { echo "subset accounts differ: $a vs $b"; exit 1; }
	a=$(spsql -Atc "SELECT count(*) FROM pgbench_history WHERE aid IN (SELECT aid FROM pgbench_accounts WHERE $FILTER)")
	b=$(tpsql -Atc "SELECT count(*) FROM pgbench_history")
	[ "$a" = "$b" ] || { echo "subset history differs: $a vs $b"; exit 1; }
	bad=$(tpsql -Atc "SELECT count(*) FROM pgclone.verify(NULL, 'public', '{\"mode\": \"integrity\"}') WHERE match <> '✓'")
	[ "$bad" = 0 ] || { echo "subset breaks foreign keys"; exit 1; }
}

declare -a TF TS
for r in $(seq 1 "$ROUNDS"); do
	reset_target; TF+=("$(timeit run_full)")
	[ "$r" = 1 ] && { SF=$(target_size); RF=$(target_rows); }
	reset_target; TS+=("$(timeit run_subset)"); check_subset
	[ "$r" = 1 ] && { SS=$(target_size); RS=$(target_rows); }
	echo "round $r: full ${TF[-1]}s  subset ${TS[-1]}s"
done
mf=$(median "${TF[@]}"); ms=$(median "${TS[@]}")
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
echo "full clone:   median ${mf}s, $RF rows, $(tpsql -Atc "SELECT pg_size_pretty($SF::bigint)")"
echo "subset (1%):  median ${ms}s, $RS rows, $(tpsql -Atc "SELECT pg_size_pretty($SS::bigint)")"
echo "ratio subset / full: time $(ratio "$ms" "$mf"), size $(ratio "$SS" "$SF")"
