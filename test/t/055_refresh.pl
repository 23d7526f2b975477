# pgclone.refresh(): a new generation cloned beside the target, verified,
# post-steps run, then swapped in; failures leave the old one serving;
# refresh_rollback(); database properties survive; pg_cron schedules it.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use PgcloneTest;

my $pkglib = `pg_config --pkglibdir`;
chomp $pkglib;
my $have_cron = -e "$pkglib/pg_cron.so";

my ($src, $tgt) = start_pair(target_conf =>
	  "max_worker_processes = 24\n"
	  . ($have_cron
		? "shared_preload_libraries = 'pgclone,pg_cron'\ncron.database_name = 'postgres'\n"
		  . "cron.use_background_workers = on\n"
		: ''));

q_source($src, 'CREATE DATABASE prod');
q_source($src, q{
CREATE TABLE meta (gen int NOT NULL);
CREATE TABLE items (id int PRIMARY KEY, gen int NOT NULL, payload text);
CREATE TABLE customers (id int PRIMARY KEY, email text);
INSERT INTO customers SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 20) g;
INSERT INTO meta VALUES (1);
INSERT INTO items SELECT g, 1, md5(g::text) FROM generate_series(1, 100) g;
}, 'prod');
my $c = src_conninfo($src, 'prod');

# generation g of the source: 100 * g items, all marked g
sub source_gen
{
	my ($g) = @_;
	q_source($src, qq{
BEGIN;
TRUNCATE items;
INSERT INTO items SELECT i, $g, md5(i::text) FROM generate_series(1, 100 * $g) i;
UPDATE meta SET gen = $g;
COMMIT;
}, 'prod');
}

my $genq = 'SELECT m.gen, count(*), count(DISTINCT i.gen), min(i.gen) FROM meta m, items i GROUP BY m.gen';
sub target_gen { return (split /\|/, q_target($tgt, $genq, $_[0] // 'staging'))[0]; }

# generation 1, made by database_create(), then the properties a DBA sets
like(q_target($tgt, "SELECT pgclone.database_create('$c', 'staging')"), qr/^OK/, 'staging created');
q_target($tgt, q{
CREATE ROLE stg_owner LOGIN CREATEDB;
CREATE ROLE app LOGIN;
ALTER DATABASE staging OWNER TO stg_owner;
ALTER DATABASE staging SET work_mem = '7MB';
ALTER DATABASE staging SET search_path = "$user", public, extra;
ALTER ROLE app IN DATABASE staging SET statement_timeout = '5s';
REVOKE ALL ON DATABASE staging FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE staging TO app;
GRANT CREATE ON DATABASE staging TO app WITH GRANT OPTION;
COMMENT ON DATABASE staging IS 'staging, refreshed nightly';
ALTER DATABASE staging CONNECTION LIMIT 50;
});
my $propq = q{
SELECT d.datname IS NOT NULL, pg_get_userbyid(d.datdba), d.datconnlimit,
  shobj_description(d.oid, 'pg_database'),
  (SELECT string_agg(coalesce(pg_get_userbyid(NULLIF(a.grantee, 0)), 'PUBLIC') || ':' || a.privilege_type
     || ':' || a.is_grantable, ',' ORDER BY 1)
   FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a),
  (SELECT string_agg(coalesce(pg_get_userbyid(NULLIF(s.setrole, 0)), '*') || '=' || s.setconfig::text, ';' ORDER BY 1)
   FROM pg_db_role_setting s WHERE s.setdatabase = d.oid)
FROM pg_database d WHERE d.datname = 'staging'};
my $props = q_target($tgt, $propq);
like($props, qr/^t\|stg_owner\|50\|staging, refreshed nightly\|/, 'owner, limit, comment set on generation 1');
like($props, qr/app:CREATE:true.*app:TEMPORARY:false/, 'grants set on generation 1');
unlike($props, qr/PUBLIC/, 'PUBLIC revoked on generation 1');
like($props, qr/work_mem=7MB.*search_path.*extra.*app=\{statement_timeout=5s\}/, 'settings set on generation 1')
  or diag $props;

# ---- a client that keeps querying staging: every answer a whole generation ----
my $dir = PostgreSQL::Test::Utils::tempdir();
my $staging_conn = $tgt->connstr('staging');
my $client = IPC::Run::start(
	[ 'bash', '-c',
	  qq{while [ ! -f $dir/stop ]; do psql -XAtq -d "$staging_conn" -c "$genq" >> $dir/out 2>> $dir/err; sleep 0.05; done} ]);

sub client_saw
{
	my ($g) = @_;
	for (1 .. 300)
	{
		my $out = -e "$dir/out" ? PostgreSQL::Test::Utils::slurp_file("$dir/out") : '';
		return 1 if $out =~ /^$g\|/m;
		select(undef, undef, undef, 0.1);
	}
	return 0;
}
ok(client_saw(1), 'client sees generation 1');

sub refresh_ok
{
	my ($g, $opts, $name) = @_;
	my $o = defined $opts ? "'$opts'" : 'NULL';
	my $id = q_target($tgt, "SELECT pgclone.refresh('$c', 'staging', true, $o)");
	my $st = wait_job($tgt, $id, 120);
	is($st, 'completed', "$name: job completed")
	  or diag q_target($tgt, "SELECT error_message FROM pgclone.jobs_view WHERE job_id = $id");
	is(target_gen(), $g, "$name: staging serves generation $g");
	return $id;
}

# ---- three refreshes while the client queries ----
source_gen(2);
my $id2 = refresh_ok(2, '{"verify": "exact", "mask": {"customers": {"email": "email"}}}', 'refresh 1');
ok(client_saw(2), 'client sees generation 2');
is(q_target($tgt, "SELECT count(*) FROM customers WHERE email LIKE 'user%'", 'staging'), '0',
	'clone options apply: customers.email masked');
is(target_gen('staging__pgc_prev'), 1, 'previous generation kept as staging__pgc_prev');

source_gen(3);
refresh_ok(3, '{"post_sql": ["CREATE TABLE post_marker (x int)", "INSERT INTO post_marker VALUES (42)"]}',
	'refresh 2');
ok(client_saw(3), 'client sees generation 3');
is(q_target($tgt, 'SELECT x FROM post_marker', 'staging'), '42', 'post_sql ran in the new generation');

source_gen(4);
my $id4 = refresh_ok(4, undef, 'refresh 3');
ok(client_saw(4), 'client sees generation 4');

PostgreSQL::Test::Utils::append_to_file("$dir/stop", '');
$client->finish;
my @lines = split /\n/, PostgreSQL::Test::Utils::slurp_file("$dir/out");
my @bad = grep { my ($g, $n, $d, $m) = split /\|/; !($d == 1 && $m == $g && $n == 100 * $g) } @lines;
ok(@lines > 10, 'client answered ' . scalar(@lines) . ' times');
my %errs;
$errs{$_ =~ s/\d+/N/gr}++ for grep { /ERROR|FATAL|error/ } split /\n/, (-e "$dir/err" ? PostgreSQL::Test::Utils::slurp_file("$dir/err") : '');
note "client connection errors during the three swaps: " . join('; ', map { "$errs{$_} x $_" } sort keys %errs);
note 'refresh jobs (ms): ' . q_target($tgt, "SELECT string_agg(elapsed_ms::text, ' ' ORDER BY job_id) FROM pgclone.jobs_view WHERE op_type = 'refresh'");
is(scalar(@bad), 0, 'client only ever saw whole generations') or diag join("\n", @bad[0 .. 4]);

# ---- what survives, what is recorded ----
is(q_target($tgt, $propq), $props, 'owner, settings, privileges, comment, limit survive the swaps');
is(q_target($tgt, "SELECT extversion FROM pg_extension WHERE extname = 'pgclone'", 'staging'),
	'5.0', 'pgclone is installed in the new generation');
is($tgt->safe_psql('staging', 'SHOW work_mem', extra_params => [ '-U', 'app' ]), '7MB',
	'app connects to the new generation, with the database setting');
is(q_target($tgt, q{SELECT count(*), count(source_snapshot_at), count(*) FILTER (WHERE previous_name = 'staging__pgc_prev'),
	bool_and(source NOT LIKE '%password%') FROM pgclone.refresh_history WHERE action = 'refresh'}),
	'3|3|3|t', 'refresh_history: three generations, with snapshot times and the previous name');
is(q_target($tgt, "SELECT status, op_type, target_name, current_phase, tables_total, tables_completed, pct_complete,"
	  . " rows_copied FROM pgclone.jobs_view WHERE job_id = $id4"),
	'completed|refresh|staging|done|4|4|100|421', 'jobs_view shows the refresh job (rows: 400 items, 20 customers, meta)');
is(q_target($tgt, "SELECT count(*) FROM pg_database WHERE datname LIKE 'staging\\_\\_pgc\\_%' AND datname <> 'staging__pgc_prev'"),
	'0', 'no leftover databases');

# ---- failures leave the old generation serving ----
sub refresh_fails
{
	my ($opts, $state_re, $err_re, $name) = @_;
	my $id = q_target($tgt, "SELECT pgclone.refresh('$c', 'staging', true, '$opts')");
	is(wait_job($tgt, $id, 120), 'failed', "$name: job failed");
	like(q_target($tgt, "SELECT sqlstate || ' ' || error_message FROM pgclone.jobs_view WHERE job_id = $id"),
		qr/^$state_re .*$err_re/, "$name: error reported");
	is(target_gen(), 4, "$name: staging still serves generation 4");
	is(target_gen('staging__pgc_prev'), 3, "$name: previous generation untouched");
	is(q_target($tgt, "SELECT count(*) FROM pg_database WHERE datname = 'staging__pgc_new'"), '0',
		"$name: the half-built copy is dropped");
	return $id;
}
source_gen(5);
refresh_fails('{"mask": {"no_such_table": {"email": "email"}}}', '42P01', 'clone: ', 'failure during the clone');
refresh_fails('{"post_sql": ["SELECT 1", "UPDATE no_such_table SET x = 1"]}', '42P01',
	'post-steps: relation "no_such_table" does not exist', 'failure during the post-steps');
is(q_target($tgt, $propq), $props, 'properties untouched by the failures');

# a session holds the old target: "wait" gives up after its timeout
my $holder = $tgt->background_psql('staging');
$holder->query_safe('SELECT 1');
my $idw = q_target($tgt, "SELECT pgclone.refresh('$c', 'staging', true, '{\"sessions\": \"wait\", \"session_timeout\": 4}')");
my $seen = '';
for (1 .. 300)
{
	$seen = q_target($tgt, "SELECT current_phase || ' ' || tables_completed || ' ' || pct_complete FROM pgclone.jobs_view WHERE job_id = $idw");
	last if $seen =~ /^swap/;
	select(undef, undef, undef, 0.05);
}
is($seen, 'swap 3 75', 'jobs_view shows the swap phase while sessions are waited for');
like(target_error($tgt, "SELECT pgclone.refresh('$c', 'staging')"),
	qr/55006.*a refresh of database "staging" is already running/, 'a second refresh of the same target is refused');
like(target_error($tgt, "SELECT pgclone.refresh_rollback('staging')"),
	qr/55006.*a refresh of database "staging" is running/, 'rollback refused while a refresh runs');
is(wait_job($tgt, $idw, 60), 'failed', 'refresh waiting for sessions failed after its timeout');
like(q_target($tgt, "SELECT sqlstate || ' ' || error_message FROM pgclone.jobs_view WHERE job_id = $idw"),
	qr/^55006 database "staging" still has sessions after 4 seconds/, 'the timeout is reported');
is($holder->query_safe('SELECT gen FROM meta'), '4', 'the waiting session kept its generation and its connection');
is(q_target($tgt, "SELECT count(*) FROM pg_database WHERE datname = 'staging__pgc_new'"), '0',
	'half-built copy dropped after the timeout');

# cancel: while the swap waits for the held session
my $idc = q_target($tgt, "SELECT pgclone.refresh('$c', 'staging', true, '{\"sessions\": \"wait\", \"session_timeout\": 60}')");
for (1 .. 300)
{
	last if q_target($tgt, "SELECT current_phase FROM pgclone.jobs_view WHERE job_id = $idc") eq 'swap';
	select(undef, undef, undef, 0.05);
}
is(q_target($tgt, "SELECT pgclone.cancel($idc)"), 't', 'cancel a refresh waiting to swap');
is(wait_job($tgt, $idc, 20), 'cancelled', 'the refresh is cancelled at once');
is(target_gen(), 4, 'cancelled: staging still serves generation 4');
is(q_target($tgt, "SELECT count(*) FROM pg_database WHERE datname = 'staging__pgc_new'"), '0',
	'cancelled: the half-built copy is dropped');
like(target_error($tgt, "SELECT pgclone.resume($idc)"), qr/0A000.*is a refresh, which is not resumed/,
	'resume() refuses a refresh job');

# ---- rollback (it ends the sessions on both generations) ----
eval { $holder->quit };
like(q_target($tgt, "SELECT pgclone.refresh_rollback('staging')"), qr/^OK/, 'refresh_rollback');
is(target_gen(), 3, 'rollback restores the previous generation');
is(target_gen('staging__pgc_prev'), 4, 'the replaced generation becomes the previous one');
is(q_target($tgt, $propq), $props, 'properties of the rolled-back generation are the same');
like(q_target($tgt, "SELECT pgclone.refresh_rollback('staging')"), qr/^OK/, 'rollback again');
is(target_gen(), 4, 'a second rollback undoes the first');
is(q_target($tgt, "SELECT count(*) FROM pgclone.refresh_history WHERE action = 'rollback'"), '2', 'rollbacks recorded');

# ---- "terminate" (the default) ends the sessions on the old target ----
$holder = $tgt->background_psql('staging');
my $holder_pid = $holder->query_safe('SELECT pg_backend_pid()');
my $id5 = refresh_ok(5, '{"keep_previous": false}', 'refresh with a held session, keep_previous false');
is(q_target($tgt, "SELECT count(*) FROM pg_stat_activity WHERE pid = $holder_pid"), '0',
	'the session held on the old target was ended');
eval { $holder->quit };
is(q_target($tgt, "SELECT count(*) FROM pg_database WHERE datname LIKE 'staging\\_\\_pgc%'"), '0',
	'keep_previous false: no previous generation kept');
is(q_target($tgt, "SELECT previous_name IS NULL FROM pgclone.refresh_history WHERE job_id = $id5"), 't',
	'history says the previous generation was dropped');
like(target_error($tgt, "SELECT pgclone.refresh_rollback('staging')"),
	qr/55000.*has no previous generation/, 'rollback without a previous generation');
is(q_target($tgt, $propq), $props, 'properties survive a refresh that ended sessions');

# ---- bad input ----
q_target($tgt, 'GRANT USAGE ON SCHEMA pgclone TO stg_owner;'
	  . ' GRANT EXECUTE ON FUNCTION pgclone.refresh(text, text, boolean, text), pgclone.refresh_rollback(text) TO stg_owner');
my @bad_input = (
	[ "SELECT pgclone.refresh(NULL, 'staging')", qr/22004.*source_conninfo/, 'NULL conninfo' ],
	[ "SELECT pgclone.refresh('$c', NULL)", qr/22004.*target_db/, 'NULL target' ],
	[ "SELECT pgclone.refresh_rollback(NULL)", qr/22004.*target_db/, 'rollback: NULL target' ],
	[ "SELECT pgclone.refresh('$c', 'staging', true, '{\"bogus\": 1}')", qr/22023.*unknown pgclone option "bogus".*post_sql, sessions/s, 'unknown option' ],
	[ "SELECT pgclone.refresh('$c', 'staging', true, '{\"sessions\": \"maybe\"}')", qr/22023.*"sessions" must be/, 'bad sessions' ],
	[ "SELECT pgclone.refresh('$c', 'staging', true, '{\"session_timeout\": -1}')", qr/22023.*"session_timeout"/, 'bad timeout' ],
	[ "SELECT pgclone.refresh('$c', 'staging', true, '{\"post_sql\": \"SELECT 1\"}')", qr/22023.*"post_sql" must be/, 'post_sql not an array' ],
	[ "SELECT pgclone.refresh('$c', 'staging', true, '{\"post_sql\": [\"SELEC 1\"]}')", qr/42601/, 'post_sql syntax error' ],
	[ "SELECT pgclone.refresh('$c', 'staging', true, '{\"verify\": \"maybe\"}')", qr/22023.*"verify" must be/, 'bad verify' ],
	[ "SELECT pgclone.refresh('$c', 'staging', true, 'not json')", qr/22P02.*not valid JSON/, 'options not JSON' ],
	[ "SELECT pgclone.refresh('$c', 'postgres')", qr/22023.*cannot refresh the current database/, 'target is the current database' ],
	[ "SELECT pgclone.refresh('$c', 'no_such_db')", qr/3D000.*database "no_such_db" does not exist/, 'nonexistent target' ],
	[ "SELECT pgclone.refresh('$c', '')", qr/42602.*invalid target database name/, 'empty target' ],
	[ "SELECT pgclone.refresh('$c', '" . ('x' x 60) . "')", qr/42602.*invalid target database name/, 'target name too long' ],
	[ "SELECT pgclone.refresh('" . src_conninfo($src, 'no_such_source') . "', 'staging')", qr/does not exist/, 'nonexistent source database' ],
	[ "SELECT pgclone.refresh('host=/nonexistent port=1', 'staging')", qr/08001/, 'unreachable source' ],
	[ "SET ROLE stg_owner; SELECT pgclone.refresh('$c password=x', 'staging')", qr/42501.*must be run by a superuser/,
	  'a non-superuser, even the owner with EXECUTE' ],
	[ "SET ROLE stg_owner; SELECT pgclone.refresh_rollback('staging')", qr/42501.*must be run by a superuser/,
	  'rollback by a non-superuser' ],
);
for my $b (@bad_input)
{
	like(target_error($tgt, $b->[0]), $b->[1], "bad input: $b->[2]");
}
is(q_target($tgt, "SELECT count(*) FROM pgclone.jobs_view WHERE op_type = 'refresh'"), '8',
	'bad input starts no job');
is(target_gen(), 5, 'staging still serves generation 5');

# ---- pg_cron runs a scheduled refresh ----
SKIP:
{
	skip 'pg_cron is not installed (Debian: postgresql-15-cron)', 4 unless $have_cron;
	q_target($tgt, 'CREATE EXTENSION pg_cron');
	source_gen(6);
	my $jobid = q_target($tgt, "SELECT cron.schedule('pgclone-refresh-staging', '* * * * *',"
		  . " \$\$SELECT pgclone.refresh('$c', 'staging')\$\$)");
	like($jobid, qr/^\d+$/, 'cron.schedule accepted the refresh');
	my $done = 0;
	for (1 .. 1500)
	{
		$done = q_target($tgt, "SELECT count(*) FROM pgclone.jobs_view WHERE op_type = 'refresh' AND status = 'completed'");
		last if $done >= 5;
		select(undef, undef, undef, 0.1);
	}
	q_target($tgt, "SELECT cron.unschedule('pgclone-refresh-staging')");
	cmp_ok($done, '>=', 5, 'pg_cron ran the refresh, which completed');
	is(target_gen(), 6, 'staging serves the generation the scheduled refresh made');
	like(q_target($tgt, "SELECT status FROM cron.job_run_details ORDER BY runid LIMIT 1"), qr/succeeded/,
		'pg_cron recorded its run');
}

done_testing();
