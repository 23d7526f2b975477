# Async clones: table_async, schema_async (sequential and parallel pool),
# progress/jobs/jobs_view/progress_detail, failure honesty, resume, clear_jobs.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
q_source($src, q{
CREATE SCHEMA s1;
CREATE TABLE s1.parent (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE s1.child (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES s1.parent(id), v numeric);
CREATE INDEX child_parent_idx ON s1.child (parent_id);
CREATE TABLE s1."Odd ""name" (k text PRIMARY KEY, j jsonb);
CREATE TABLE s1.big (id bigint PRIMARY KEY, pad text, ts timestamptz DEFAULT now());
INSERT INTO s1.parent SELECT g, 'p' || g FROM generate_series(1, 200) g;
INSERT INTO s1.child (parent_id, v) SELECT 1 + g % 200, g / 7.0 FROM generate_series(1, 3000) g;
INSERT INTO s1."Odd ""name" SELECT 'k' || g, jsonb_build_object('g', g) FROM generate_series(1, 50) g;
INSERT INTO s1.big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g;
CREATE TABLE public.t (id int PRIMARY KEY, v text, secret text);
INSERT INTO public.t SELECT g, md5(g::text), 's' || g FROM generate_series(1, 100) g;
CREATE TABLE public.pt (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE public.pt_1 PARTITION OF public.pt FOR VALUES FROM (0) TO (50);
CREATE TABLE public.pt_2 PARTITION OF public.pt FOR VALUES FROM (50) TO (100);
INSERT INTO public.pt SELECT g, 'v' || g FROM generate_series(0, 99) g;
});
my $c = src_conninfo($src);

# ---- table_async ----
my $id = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 't')");
like($id, qr/^\d+$/, 'table_async returns a job id');
is(wait_job($tgt, $id), 'completed', 'table job completed');
is(checksum($tgt, 'postgres', 't'), checksum($src, 'postgres', 't'), 'table data identical');
my $p = decode_json(q_target($tgt, "SELECT pgclone.progress($id)"));
is($p->{rows_copied}, 100, 'progress counts rows');
ok($p->{bytes_copied} > 0, 'progress counts bytes');
is($p->{pct_complete}, 100, 'percent 100 when completed');
is($p->{tables}[0]{status}, 'done', 'per-table status');
is($p->{op_type}, 'table', 'op_type');
ok($p->{elapsed_ms} >= 0 && $p->{elapsed_time} =~ /^\d\d:\d\d:\d\d$/, 'elapsed reported');
ok($p->{end_time} ge $p->{start_time}, 'start and end time');

# a partitioned table: the job clones the tree
$id = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 'pt')");
is(wait_job($tgt, $id), 'completed', 'partitioned table job completed');
is(checksum($tgt, 'postgres', 'pt'), checksum($src, 'postgres', 'pt'), 'partitioned table data identical');
is(q_target($tgt, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'pt'::regclass"), '2', 'with its partitions');

# target name and options (columns, where) go through to the worker
$id = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 't', true, 't2',"
	. " '{\"columns\": [\"id\", \"secret\"], \"where\": \"id <= 10\"}')");
is(wait_job($tgt, $id), 'completed', 'table job with options completed');
is(q_target($tgt, "SELECT count(*), max(id) FROM t2"), '10|10', 'where applied');
is(q_target($tgt, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 't2'::regclass AND attnum > 0"),
	'id,secret', 'columns applied');

# masking reaches the workers: table job and parallel pool
$id = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 't', true, 't_masked',"
	. " '{\"mask\": {\"secret\": \"null\", \"v\": {\"type\": \"constant\", \"value\": \"X\"}}}')");
is(wait_job($tgt, $id), 'completed', 'table job with a mask completed');
is(q_target($tgt, "SELECT count(*), count(secret), min(v), max(v) FROM t_masked"), '100|0|X|X', 'mask applied by the worker');
q_source($src, "CREATE SCHEMA m; CREATE TABLE m.a (id int PRIMARY KEY, email text); CREATE TABLE m.b (id int PRIMARY KEY, email text);"
	. " INSERT INTO m.a SELECT g, 'a' || g || '\@example.com' FROM generate_series(1, 30) g;"
	. " INSERT INTO m.b SELECT g, 'b' || g || '\@example.com' FROM generate_series(1, 30) g;"
	. " CREATE VIEW m.v AS SELECT * FROM m.a; CREATE FUNCTION m.f() RETURNS int LANGUAGE sql AS 'SELECT 1'");
# schema clones name masks per table, as pgclone.schema() does
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'm', true, '{\"parallel\": 2, \"mask\": {\"zz\": {\"email\": \"null\"}}}')");
is(wait_job($tgt, $id), 'failed', 'a mask naming a table the clone does not create: failed');
like(q_target($tgt, "SELECT sqlstate || ' ' || error_message FROM pgclone.jobs_view WHERE job_id = $id"),
	qr/^42P01 mask names table "zz"/, 'the mask error');
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'm', true,"
	. " '{\"parallel\": 2, \"mask\": {\"a\": {\"email\": \"null\"}, \"b\": {\"email\": \"null\"}}}')");
is(wait_job($tgt, $id), 'completed', 'parallel schema job with per-table masks completed');
is(q_target($tgt, "SELECT (SELECT count(email) FROM m.a) + (SELECT count(email) FROM m.b), (SELECT count(*) FROM m.a)"),
	'0|30', 'mask applied in every pool worker');
is(q_target($tgt, "SELECT m.f(), (SELECT count(*) FROM m.v)"), '1|30', 'the view and the function are cloned too');

# structure only
$id = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 't', false, 't3')");
is(wait_job($tgt, $id), 'completed', 'structure-only job');
is(q_target($tgt, "SELECT count(*) FROM t3"), '0', 'no rows copied');

# ---- schema_async, parallel pool ----
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 's1', true, '{\"parallel\": 3}')");
is(wait_job($tgt, $id), 'completed', 'parallel schema job completed');
for my $t ('s1.parent', 's1.child', 's1."Odd ""name"', 's1.big')
{
	is(checksum($tgt, 'postgres', $t), checksum($src, 'postgres', $t), "$t identical");
}
is(dump_schema($tgt, 'postgres', '-n', 's1'), dump_schema($src, 'postgres', '-n', 's1'),
	'schema DDL identical (PKs, FKs, indexes, sequences)');
is(q_target($tgt, "SELECT nextval('s1.child_id_seq')"), '3001', 'sequence position restored');
$p = decode_json(q_target($tgt, "SELECT pgclone.progress($id)"));
is($p->{tables_total}, 4, 'four tables');
is($p->{tables_completed}, 4, 'four done');
is($p->{rows_copied}, 200 + 3000 + 50 + 20000, 'rows summed');
is($p->{parallel}, 3, 'parallel recorded');
q_target($tgt, "CREATE EXTENSION pg_visibility");
is(all_rows_frozen($tgt, 'postgres', 's1.big'), 't',
	'pool worker loaded with COPY FREEZE (created in the same transaction)');

# sequential schema job into a fresh schema name is not possible (same names):
# replace the tables instead, which also exercises the conflict option
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 's1', true, '{\"conflict\": \"replace\"}')");
is(wait_job($tgt, $id), 'completed', 'sequential schema job with conflict replace');
is(checksum($tgt, 'postgres', 's1.child'), checksum($src, 'postgres', 's1.child'), 'child identical after replace');

# ---- jobs(), jobs_view, progress_detail ----
my $jobs = decode_json(q_target($tgt, "SELECT pgclone.jobs()"));
is(scalar(@$jobs), 9, 'jobs() lists every job');
is(q_target($tgt, "SELECT count(*) FROM pgclone.progress_detail() WHERE status = 'completed'"), '8',
	'progress_detail rows');
like(q_target($tgt, "SELECT progress_bar FROM pgclone.jobs_view WHERE job_id = $id"),
	qr/^\[[^\]]+\] 100\.0% \| 23250 rows \| \d\d:\d\d:\d\d elapsed$/, 'jobs_view progress bar');
like(q_target($tgt, "SELECT elapsed_time FROM pgclone.jobs_view WHERE job_id = $id"),
	qr/^\d\d:\d\d:\d\d$/, 'jobs_view elapsed');
# the monitoring query of issue 12, unchanged
like(q_target($tgt, "SELECT job_id, status, op_type, pct_complete, progress_bar, elapsed_time, error_message"
	. " FROM pgclone.jobs_view WHERE job_id = $id"),
	qr/^$id\|completed\|schema\|100\|\[[^\]]+\] 100\.0% [^|]*\|[^|]*\|[^|]*\|\d\d:\d\d:\d\d\|$/, 'the original\'s monitoring query');
is(q_target($tgt, "SELECT count(*) FROM pgclone.jobs_view v JOIN json_array_elements(pgclone.jobs()) j"
	. " ON (j->>'job_id')::int = v.job_id WHERE j->>'status' = v.status AND j->>'op_type' = v.op_type"
	. " AND (j->>'tables_completed')::bigint = v.tables_completed AND j->>'progress_bar' = v.progress_bar"),
	'9', 'jobs() and jobs_view agree');

# ---- honest failure: one table fails, the others finish; resume redoes it ----
q_target($tgt, "CREATE SCHEMA s2");
q_source($src, "CREATE SCHEMA s2; CREATE TABLE s2.a (id int PRIMARY KEY); INSERT INTO s2.a VALUES (1),(2);"
	. " CREATE TABLE s2.b (id int PRIMARY KEY, a_id int REFERENCES s2.a); INSERT INTO s2.b VALUES (1, 1);"
	. " CREATE TABLE s2.c (x text); INSERT INTO s2.c VALUES ('c');");
# s2.b's own post-data (its primary key) fails once it has rows: an event trigger
q_target($tgt, q{CREATE FUNCTION public.fail_b() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity = 's2.b') THEN
    IF EXISTS (SELECT 1 FROM s2.b) THEN
      RAISE EXCEPTION USING ERRCODE = '55006', MESSAGE = 'injected failure';
    END IF;
  END IF;
END $$;
CREATE EVENT TRIGGER fail_b ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION public.fail_b();});
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 's2', true, '{\"parallel\": 2}')");
is(wait_job($tgt, $id), 'failed', 'a job with a failed table is failed, not completed');
$p = decode_json(q_target($tgt, "SELECT pgclone.progress($id)"));
is($p->{sqlstate}, '55006', 'job carries the SQLSTATE');
like($p->{error_message}, qr/table s2\.b: injected failure/, 'job error names the table');
my ($b) = grep { $_->{table_name} eq 'b' } @{ $p->{tables} };
is($b->{status}, 'failed', 'table b failed');
is($b->{sqlstate}, '55006', 'table b SQLSTATE');
is($p->{tables_completed}, 2, 'the other tables finished');
is(q_target($tgt, "SELECT count(*) FROM s2.a"), '2', 'a loaded');
is(q_target($tgt, "SELECT count(*) FROM s2.b"), '0', 'b rolled back to empty, never half-loaded');
q_target($tgt, "DROP EVENT TRIGGER fail_b");
my $rid = q_target($tgt, "SELECT pgclone.resume($id)");
isnt($rid, $id, 'resume starts a new job');
is(wait_job($tgt, $rid), 'completed', 'resumed job completed');
$p = decode_json(q_target($tgt, "SELECT pgclone.progress($rid)"));
is($p->{resumed_from}, $id, 'resumed_from');
is($p->{tables_completed}, 3, 'all tables done after resume');
is(dump_schema($tgt, 'postgres', '-n', 's2'), dump_schema($src, 'postgres', '-n', 's2'),
	'resumed schema identical, FK added');
is(checksum($tgt, 'postgres', 's2.b'), checksum($src, 'postgres', 's2.b'), 'b identical');
is(q_target($tgt, "SELECT rows_copied FROM pgclone.job_tables WHERE job_id = $rid AND table_name = 'a'"),
	'2', 'finished table carried over, not redone');

# ---- several pools at once ----
for my $sch ('p3', 'p4')
{
	q_source($src, "CREATE SCHEMA $sch;"
		. join('', map { "CREATE TABLE $sch.t$_ (id int PRIMARY KEY, v text);"
			  . " INSERT INTO $sch.t$_ SELECT g, md5(g::text) FROM generate_series(1, $_ * 10) g;" } (1 .. 15)));
}
my $j3 = q_target($tgt, "SELECT pgclone.schema_async('$c', 'p3', true, '{\"parallel\": 2}')");
my $j4 = q_target($tgt, "SELECT pgclone.schema_async('$c', 'p4', true, '{\"parallel\": 3, \"consistent\": false}')");
is(wait_job($tgt, $j3) . ',' . wait_job($tgt, $j4), 'completed,completed', 'two pools ran at once (one without a shared snapshot)');
is(q_target($tgt, "SELECT count(*), sum(id) FROM (SELECT id FROM p3.t15 UNION ALL SELECT id FROM p4.t7) x"),
	q_source($src, "SELECT count(*), sum(id) FROM (SELECT id FROM p3.t15 UNION ALL SELECT id FROM p4.t7) x"),
	'both pools loaded their tables');
my $tlog = slurp_file($tgt->logfile);
like($tlog, qr/pgclone job $j3: snapshot coordinator released snapshot \S+ after 3 importers/,
	'consistent pool: coordinator served the leader and two workers');
unlike($tlog, qr/pgclone job $j4: snapshot coordinator/, 'no coordinator with "consistent": false');
is(q_target($tgt, "SELECT string_agg(tables_completed::text, ',') FROM pgclone.progress_detail() WHERE job_id IN ($j3, $j4)"),
	'15,15', 'fifteen tables each');

# partitioned tables and their partitions: created by the pre-data phase, loaded by the pool
q_source($src, "CREATE SCHEMA s5; CREATE TABLE s5.plain (id int PRIMARY KEY); INSERT INTO s5.plain VALUES (1);"
	. " CREATE TABLE s5.parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);"
	. " CREATE INDEX parted_v ON s5.parted (v);"
	. " CREATE TABLE s5.parted_1 PARTITION OF s5.parted FOR VALUES FROM (0) TO (100);"
	. " CREATE TABLE s5.parted_2 PARTITION OF s5.parted FOR VALUES FROM (100) TO (200);"
	. " INSERT INTO s5.parted SELECT g, md5(g::text) FROM generate_series(0, 199) g");
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 's5', true, '{\"parallel\": 2}')");
is(wait_job($tgt, $id), 'completed', 'schema with a partitioned table: completed');
is(dump_schema($tgt, 'postgres', '-n', 's5'), dump_schema($src, 'postgres', '-n', 's5'),
	'partitioned table, partitions, attached indexes identical');
is(checksum($tgt, 'postgres', 's5.parted'), checksum($src, 'postgres', 's5.parted'), 'partitioned data identical');

# a table job on a missing table fails with the source's error
$id = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 'nope')");
is(wait_job($tgt, $id), 'failed', 'missing table: failed');
is(q_target($tgt, "SELECT sqlstate FROM pgclone.jobs_view WHERE job_id = $id"), '42P01', 'missing table SQLSTATE');
# a schema that does not exist
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'nope')");
is(wait_job($tgt, $id), 'failed', 'missing schema: failed');
is(q_target($tgt, "SELECT sqlstate FROM pgclone.jobs_view WHERE job_id = $id"), '3F000', 'missing schema SQLSTATE');
# a source that refuses connections
$id = q_target($tgt, "SELECT pgclone.table_async('host=/nonexistent dbname=x', 'public', 't')");
is(wait_job($tgt, $id), 'failed', 'unreachable source: failed');
is(q_target($tgt, "SELECT sqlstate FROM pgclone.jobs_view WHERE job_id = $id"), '08001', 'unreachable SQLSTATE');
$id = q_target($tgt, "SELECT pgclone.schema_async('host=/nonexistent dbname=x', 's1', true, '{\"parallel\": 2}')");
is(wait_job($tgt, $id), 'failed', 'unreachable source, parallel: failed');
$p = decode_json(q_target($tgt, "SELECT pgclone.progress($id)"));
is($p->{sqlstate}, '08001', 'the coordinator\'s SQLSTATE');
like($p->{error_message}, qr/^snapshot coordinator: could not connect to source server/, 'the coordinator\'s error');

# ---- bad input ----
like(target_error($tgt, "SELECT pgclone.table_async(NULL, 'public', 't')"), qr/22004/, 'NULL conninfo');
like(target_error($tgt, "SELECT pgclone.schema_async('$c', NULL)"), qr/22004/, 'NULL schema');
like(target_error($tgt, "SELECT pgclone.table_async('$c', 'public', 't', true, NULL, '{\"parallel\": 2}')"),
	qr/parallel/, 'parallel is not a table_async option');
like(target_error($tgt, "SELECT pgclone.schema_async('$c', 's1', true, '{\"parallel\": 50}')"),
	qr/max_workers/, 'parallel above pgclone.max_workers');
like(target_error($tgt, "SELECT pgclone.schema_async('$c', 's1', true, '{\"bogus\": 1}')"),
	qr/bogus/, 'unknown option');
like(target_error($tgt, "SELECT pgclone.table_async('host=''unterminated', 'public', 't')"),
	qr/invalid source connection string/, 'malformed conninfo');
like(target_error($tgt, "SELECT pgclone.progress(987654)"), qr/42704/, 'unknown job');
like(target_error($tgt, "SELECT pgclone.progress(NULL)"), qr/22004/, 'NULL job id');
is(q_target($tgt, "SELECT pgclone.cancel($rid)"), 'f', 'cancel of a finished job is false');
like(target_error($tgt, "SELECT pgclone.resume($rid)"), qr/nothing to resume/, 'resume of a completed job');

# ---- clear_jobs ----
my $n = q_target($tgt, "SELECT count(*) FROM pgclone.job_history");
is(q_target($tgt, "SELECT pgclone.clear_jobs()"), $n, 'clear_jobs returns the number cleared');
is(q_target($tgt, "SELECT pgclone.jobs()::text"), '[]', 'no jobs left');
is(q_target($tgt, "SELECT count(*) FROM pgclone.job_tables"), '0', 'per-table history cleared too');

done_testing();
