#!/usr/bin/env bash
# Benchmark: databases with many small tables (project issue 11).  For each N
# in NS, a source database holds a schema `app` with a parent table and N
# small tables (each: integer primary key, a foreign key to the parent, a
# text column with a default, a secondary index, a comment, 10 rows).  Tools,
# interleaved, ROUNDS rounds, medians, each into a fresh empty database:
#   pgclone.database()            synchronous, one transaction
#   pgclone.database_create()     background worker, commits in steps
#   pgclone.schema_async(parallel 2)  of schema app (timed until completed)
#   pg_dump | psql
#   pg_dump -Fd -j2, then pg_restore -j2
#   pgcopydb clone --table-jobs 2 --index-jobs 2
# Before the timed rounds, one run of each tool with log_statement = all on
# the source counts the statements it sends there (and how many are COPY);
# for pgclone the same run samples the peak private memory (RssAnon) of its
# cloning backends every 20 ms.
#   NS      default "1000 10000"
#   ROUNDS  default 3 (ROUNDS_<N> for one N, e.g. ROUNDS_10000=1)
#   SKIP_COUNT=1  no counting/memory run; COUNT_TOOLS (COUNT_TOOLS_<N>) the
#           tools it counts (default: all of TOOLS)
#   TOOLS   the tools, default all six (names as in TOOLS= below); TOOLS_<N>
#           for one N
#   SETTINGS  default: both clusters on PostgreSQL's shipped settings (the
#           issue's condition: synchronous_commit = on, wal_level = replica,
#           128MB shared_buffers), so that each tool pays for its own commits;
#           tuned: lib.sh's (synchronous_commit = off, wal_level = minimal,
#           1GB shared_buffers), which spare pg_dump | psql its per-statement
#           commit flushes
#   LOCKS_<N>   max_locks_per_transaction of the target for that N (default:
#           enough for database(), printed); the source gets SRC_LOCKS
#           (default 256: pg_dump, pgcopydb and pgclone all lock every table
#           on the source in one transaction)
# Run as root or postgres; as root, lib.sh installs bc and pgcopydb if missing.
cd "$(dirname "$0")" || exit 1
BENCH_DIR=${BENCH_DIR:-/tmp/pgclone-bench-many}
SRC_PORT=${SRC_PORT:-5751}
TGT_PORT=${TGT_PORT:-5752}
source ./lib.sh
NS=${NS:-1000 10000}
ROUNDS=${ROUNDS:-3}
SRC_LOCKS=${SRC_LOCKS:-256}
JOBS=2

SRC_URI="postgresql://postgres@127.0.0.1:$SRC_PORT/postgres"
# each run clones into a database of its own (b1, b2, ...), dropped only after
# the timed rounds of its N: see fresh_target
DB=b0
bpsql() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" -p "$TGT_PORT" -U postgres -d "$DB" "$@"; }

set_locks() {	# port value
	as_pg sh -c "echo 'max_locks_per_transaction = $2' >> '$BENCH_DIR/d$1/postgresql.conf'"
	as_pg "$BIN/pg_ctl" -D "$BENCH_DIR/d$1" -l "$BENCH_DIR/l$1" -w restart >/dev/null
}

generate() {	# N
	# an earlier N's tables go 500 to a transaction (the source's lock table)
	spsql <<'SQL'
DO $$ DECLARE r record; i int := 0;
BEGIN
  FOR r IN SELECT c.oid::regclass AS t FROM pg_class c
           WHERE c.relnamespace = to_regnamespace('app') AND c.relkind = 'r'
           ORDER BY c.relname = 'parent' LOOP
    EXECUTE 'DROP TABLE ' || r.t || ' CASCADE';
    i := i + 1;
    IF i % 500 = 0 THEN COMMIT; END IF;
  END LOOP;
END $$;
SQL
	spsql -c 'SET client_min_messages = warning' -c 'DROP SCHEMA IF EXISTS app CASCADE' >/dev/null
	spsql <<SQL
SET client_min_messages = warning;
CREATE SCHEMA app;
CREATE TABLE app.parent (id int PRIMARY KEY, name text);
INSERT INTO app.parent SELECT g, 'p' || g FROM generate_series(1, 10) g;
SQL
	# in batches of 500 tables per transaction (the source's own lock table)
	for start in $(seq 1 500 "$1"); do
		spsql <<SQL
DO \$\$ BEGIN FOR i IN $start..least($start + 499, $1) LOOP
  EXECUTE format('CREATE TABLE app.t%s (id int PRIMARY KEY, parent_id int REFERENCES app.parent,'
                 ' v text DEFAULT ''x'', n int)', i);
  EXECUTE format('CREATE INDEX ON app.t%s (n)', i);
  EXECUTE format('COMMENT ON TABLE app.t%s IS ''table %s''', i, i);
  EXECUTE format('INSERT INTO app.t%s SELECT g, 1 + g %% 10, md5(g::text), g FROM generate_series(1, 10) g', i);
END LOOP; END \$\$;
SQL
	done
	spsql -c 'VACUUM ANALYZE' >/dev/null
}

# A new database for every run, not b dropped and made again: on a file system
# such as this machine's ext4 without a journal, creating a file scans past
# every inode deleted in the last minutes (the kernel's recently_deleted()),
# so a clone that follows the DROP of 50,000 files pays seconds per thousand
# files it creates, whatever tool it is.  The databases go in drop_targets,
# and the timed rounds start SETTLE seconds after the last drop.
SETTLE=${SETTLE:-400}
last_drop=$(date +%s)
fresh_target() {	# [tool]: database_create() makes its database itself
	DB="b$(( ${DB#b} + 1 ))"
	TGT_URI="postgresql://postgres@127.0.0.1:$TGT_PORT/$DB"
	[ "${1:-}" = create ] || { tpsql -c "CREATE DATABASE $DB" >/dev/null; bpsql -c 'CREATE EXTENSION pgclone' >/dev/null; }
	tpsql -c 'CHECKPOINT' >/dev/null
}
run_database() { PGAPPNAME=pgclone_mem bpsql -c "SELECT pgclone.database('$SRC_CONNINFO')"; }
run_create() { tpsql -c "SELECT pgclone.database_create('$SRC_CONNINFO', '$DB')"; }
run_async() {
	local id
	id=$(bpsql -Atc "SELECT pgclone.schema_async('$SRC_CONNINFO', 'app', true, '{\"parallel\": 2}')")
	bpsql <<SQL
DO \$\$
DECLARE s text; e text;
BEGIN
  LOOP
    SELECT status, error_message INTO s, e FROM pgclone.jobs_view WHERE job_id = $id;
    EXIT WHEN s NOT IN ('pending', 'running');
    PERFORM pg_sleep(0.05);
  END LOOP;
  IF s IS DISTINCT FROM 'completed' THEN
    RAISE EXCEPTION 'job $id: % %', s, e;
  END IF;
END \$\$;
SQL
}
run_dump_psql() {
	as_pg "$BIN/pg_dump" -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres postgres |
		bpsql >/dev/null
}
run_dump_restore() {
	as_pg "$BIN/pg_dump" -Fd -j "$JOBS" -f "$BENCH_DIR/dump_$DB" -h "$BENCH_DIR" -p "$SRC_PORT" -U postgres postgres &&
		as_pg "$BIN/pg_restore" -j "$JOBS" -h "$BENCH_DIR" -p "$TGT_PORT" -U postgres -d "$DB" "$BENCH_DIR/dump_$DB"
}
run_pgcopydb() {
	as_pg env PATH="$BIN:$PATH" pgcopydb clone --source "$SRC_URI" --target "$TGT_URI" \
		--dir "$BENCH_DIR/copydb_$DB" --table-jobs "$JOBS" --index-jobs "$JOBS" >/dev/null 2>&1
}
drop_targets() {
	for d in $(tpsql -Atc "SELECT datname FROM pg_database WHERE datname ~ '^b[0-9]+$'"); do
		tpsql -c "DROP DATABASE $d" >/dev/null
	done
	rm -rf "$BENCH_DIR"/dump_b* "$BENCH_DIR"/copydb_b*
	last_drop=$(date +%s)
}
settle() {
	local wait=$(( last_drop + SETTLE - $(date +%s) ))
	[ "$wait" -gt 0 ] || return 0
	echo "   waiting $wait s: files deleted less than SETTLE = $SETTLE s ago slow down creating new ones"
	sleep "$wait"
}
durable() { "$@"; [ "${DURABLE:-1}" = 0 ] || tpsql -c 'CHECKPOINT' >/dev/null; }
TOOLS=${TOOLS:-database create async dump_psql dump_restore pgcopydb}
declare -A NAME=([database]="pgclone.database()" [create]="pgclone.database_create()"
	[async]="pgclone.schema_async(parallel 2)" [dump_psql]="pg_dump | psql"
	[dump_restore]="pg_dump -Fd -j2 + pg_restore -j2" [pgcopydb]="pgcopydb clone (2+2 jobs)")
declare -A FN=([database]=run_database [create]=run_create [async]=run_async
	[dump_psql]=run_dump_psql [dump_restore]=run_dump_restore [pgcopydb]=run_pgcopydb)

# statements the source logged while "$@" ran: "total copy"
count_source() {
	local log="$BENCH_DIR/l$SRC_PORT" before after
	spsql -c "ALTER SYSTEM SET log_statement = 'all'" -c 'SELECT pg_reload_conf()' >/dev/null
	sleep 0.5
	before=$(wc -l < "$log")
	out=$("$@")
	sleep 0.5
	after=$(wc -l < "$log")
	spsql -c "ALTER SYSTEM RESET log_statement" -c 'SELECT pg_reload_conf()' >/dev/null
	tail -n "+$((before + 1))" "$log" | head -n "$((after - before))" |
		grep -E 'LOG:  (statement|execute [^:]*): ' | grep -v -E 'log_statement|pg_reload_conf' |
		awk '{l = tolower($0)} l ~ /copy / && l ~ /to stdout/ {c++} {t++} END {printf "%d %d", t, c}'
	# what "$@" printed last (peak_memory's figure), if it is a number
	case ${out##*$'\n'} in ''|*[!0-9]*) ;; *) printf ' %s' "${out##*$'\n'}";; esac
}

# peak RssAnon (MB) of the target's pgclone backends (the caller's session
# for database(), the background workers otherwise) while "$@" runs
peak_memory() {
	"$@" >/dev/null &
	local job=$! peak=0 kb pid pids=""
	while kill -0 "$job" 2>/dev/null; do
		pids=$(tpsql -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgclone_mem'
			OR backend_type LIKE 'pgclone%'" 2>/dev/null || true)
		for _ in $(seq 1 10); do
			for pid in $pids; do
				kb=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
				[ "${kb:-0}" -gt "$peak" ] && peak=$kb
			done
			sleep 0.02
		done
	done
	wait "$job"
	echo $((peak / 1024))
}

start_clusters
trap stop_clusters EXIT
SETTINGS=${SETTINGS:-default}
if [ "$SETTINGS" = default ]; then
	for p in $SRC_PORT $TGT_PORT; do
		as_pg sh -c "cat >> '$BENCH_DIR/d$p/postgresql.conf'" <<CONF
shared_buffers = 128MB
maintenance_work_mem = 64MB
max_wal_size = 1GB
checkpoint_timeout = 5min
wal_level = replica
max_wal_senders = 10
synchronous_commit = on
CONF
		as_pg "$BIN/pg_ctl" -D "$BENCH_DIR/d$p" -l "$BENCH_DIR/l$p" -w restart >/dev/null
	done
fi
echo "== settings: $SETTINGS ($(tpsql -Atc "SELECT string_agg(name || ' = ' || current_setting(name), ', ' ORDER BY name)
	FROM pg_settings WHERE name IN ('synchronous_commit', 'wal_level', 'shared_buffers', 'fsync')"))"
set_locks "$SRC_PORT" "$SRC_LOCKS"
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for N in $NS; do
	# database() needs about 9 locks per table in one transaction
	procs=$(tpsql -Atc "SELECT current_setting('max_connections')::int + current_setting('autovacuum_max_workers')::int + 1
		+ current_setting('max_worker_processes')::int + current_setting('max_wal_senders')::int
		+ current_setting('max_prepared_transactions')::int")
	var="LOCKS_$N"
	locks=${!var:-$(( (9 * N + 500) / procs + 1 ))}
	[ "$locks" -lt 64 ] && locks=64
	set_locks "$TGT_PORT" "$locks"
	echo "== N = $N tables: target max_locks_per_transaction = $locks (default 64; lock table $((locks * procs)))," \
		"source max_locks_per_transaction = $SRC_LOCKS"
	t0=$(date +%s.%N); generate "$N"; last_drop=$(date +%s)
	echo "   generated in $(echo "$(date +%s.%N) - $t0" | bc -l | cut -c1-6) s, size $(spsql -Atc "SELECT pg_size_pretty(pg_database_size('postgres'))")"

	var="TOOLS_$N"; tools=${!var:-$TOOLS}
	var="COUNT_TOOLS_$N"
	for t in ${!var-${COUNT_TOOLS-$tools}}; do
		[ "${SKIP_COUNT:-0}" = 1 ] && break
		fresh_target "$t"
		case $t in
			database|create|async)
				read -r total copy mem <<< "$(count_source peak_memory "${FN[$t]}")"
				mem=", peak RssAnon of the cloning backends $mem MB";;
			*)	read -r total copy <<< "$(count_source "${FN[$t]}")"; mem="";;
		esac
		echo "   ${NAME[$t]}: $total source statements ($copy COPY TO STDOUT)$mem"
	done
	# the copy is checked: every table and every row of pgclone.database()
	fresh_target; run_database >/dev/null
	got=$(bpsql -Atc "SELECT count(*), sum((xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM app.' || quote_ident(relname), false, true, '')))[1]::text::int)
		FROM pg_class WHERE relnamespace = 'app'::regnamespace AND relkind = 'r'")
	[ "$got" = "$((N + 1))|$((10 * N + 10))" ] || { echo "pgclone copy incomplete: $got"; exit 1; }

	declare -A T=()
	settle
	var="ROUNDS_$N"
	for r in $(seq 1 "${!var:-$ROUNDS}"); do
		line="   round $r:"
		for t in $tools; do
			fresh_target "$t"
			s=$(timeit durable "${FN[$t]}")
			T[$t]="${T[$t]:-} $s"
			line="$line ${t} $(printf %.2f "$s")"
		done
		echo "$line   (load $(cut -d' ' -f1 /proc/loadavg))"
	done
	echo "   median seconds (N = $N), ratio to pg_dump | psql:"
	# shellcheck disable=SC2086
	base=$(median ${T[dump_psql]})
	for t in $tools; do
		# shellcheck disable=SC2086
		m=$(median ${T[$t]})
		printf '     %-36s %8.2f s  %5.2f\n' "${NAME[$t]}" "$m" "$(ratio "$m" "$base")"
	done
	drop_targets
done
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
