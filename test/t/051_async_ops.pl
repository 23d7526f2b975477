# Async clones under stress: consistent parallel clone during concurrent
# writes, cancel mid-copy, target restart mid-job + resume, no password at
# rest, and the error without shared_preload_libraries.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use JSON::PP;
use PgcloneTest;

my $pw = 'S3cret-Pw_x9';
my ($src, $tgt) = start_pair();
# the source asks "cloner" for a password; everyone else keeps trust
$src->safe_psql('postgres', "CREATE ROLE cloner LOGIN SUPERUSER PASSWORD '$pw'");
my $hba = $src->data_dir . '/pg_hba.conf';
my $old = slurp_file($hba);
open(my $fh, '>', $hba) or die;
print $fh "local all cloner scram-sha-256\n$old";
close $fh;
$src->reload;
my $c = src_conninfo($src, 'postgres', "user=cloner password=$pw");
my $c_nopw = src_conninfo($src, 'postgres', 'user=cloner');

my $rows = $ENV{PGCLONE_TEST_BIG_ROWS} // 300000;
my $fat = $ENV{PGCLONE_TEST_FAT_ROWS} // 300;
q_source($src, "CREATE SCHEMA big; CREATE TABLE big.small (id int PRIMARY KEY);"
	. " INSERT INTO big.small SELECT generate_series(1, 10);"
	. " CREATE TABLE big.big (id bigint, pad text);"
	. " INSERT INTO big.big SELECT g, md5(g::text) FROM generate_series(1, $rows) g;"
	. " ALTER TABLE big.big ADD PRIMARY KEY (id);"
	# "fat": few rows of 1 MB that compress to almost nothing: cheap to make,
	# slow to copy (detoast, send, compress again): the copy that gets interrupted
	. " CREATE TABLE big.fat (id int PRIMARY KEY, doc text);"
	. " INSERT INTO big.fat SELECT g, repeat(md5(g::text), 32768) FROM generate_series(1, $fat) g");

# order-independent digest: cheap on big tables
sub digest
{
	my ($node, $table) = @_;
	return $node->safe_psql('postgres', "SELECT count(*) || ':' || sum(hashtext(t::text)::bigint) FROM $table t");
}

# poll_until(sub, seconds): true once sub returns true
sub poll_until
{
	my ($cond, $secs) = @_;
	for (1 .. ($secs // 10) * 20)
	{
		return 1 if $cond->();
		usleep(50_000);
	}
	return 0;
}

sub progress { return decode_json(q_target($tgt, "SELECT pgclone.progress($_[0])")); }

# wait until the job is copying big.fat (or $_[1])
sub wait_copying
{
	my ($id, $t) = @_;
	$t //= 'fat';
	for (1 .. 300)
	{
		my $p = progress($id);
		return $p if ($p->{current_table} // '') =~ /big\.$t/ && $p->{bytes_copied} > 0;
		usleep(50_000);
	}
	return progress($id);
}

# ---- cancel mid-copy (parallel pool) ----
my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'big', true, '{\"parallel\": 2}')");
my $p = wait_copying($id);
# one look at the live job, then cancel at once (the copy takes about a second)
my ($bt, $bar) = split(/\|/, q_target($tgt,
	"SELECT (SELECT string_agg(backend_type, ',' ORDER BY backend_type) FROM pg_stat_activity"
	. " WHERE backend_type LIKE 'pgclone:%') || '|' || (SELECT progress_bar FROM pgclone.jobs_view WHERE job_id = $id)"), 2);
my $t0 = time;
is(q_target($tgt, "SELECT pgclone.cancel($id)"), 't', 'cancel returns true');
my $st = wait_job($tgt, $id, 10);
my $dt = time - $t0;
like($p->{current_table}, qr/big\.fat/, 'fat table was being copied');
is($p->{status}, 'running', 'running while copying');
ok($p->{pct_complete} >= 0 && $p->{pct_complete} < 100, "percent while running ($p->{pct_complete})");
is($p->{current_phase}, 'copy', 'phase copy');
like($p->{workers}, qr/pgclone: pool worker \d \(pid \d+\)/, 'workers listed');
like($bt, qr/pgclone: job leader.*pgclone: pool worker/, 'leader and pool workers visible in pg_stat_activity');
like($bar, qr/^\[[^\]]+\] \d+\.\d% \| \d+ rows \| \d\d:\d\d:\d\d elapsed$/, 'progress bar while running');
unlike($bar, qr/100\.0%/, 'never 100% before the end');
is($st, 'cancelled', 'state cancelled');
cmp_ok($dt, '<', 2.5, "cancel took effect quickly ($dt s)");
# the coordinator released the snapshot once the leader and both workers were bound
ok(poll_until(sub { slurp_file($tgt->logfile) =~ /pgclone job $id: snapshot coordinator released snapshot \S+ after 3 importers/ }),
	'the coordinator held the snapshot for the leader and both pool workers');
ok(poll_until(sub { q_target($tgt, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgclone: snapshot coordinator'") eq '0' }),
	'the coordinator is gone');
is(q_target($tgt, "SELECT count(*) FROM big.fat"), '0', 'no half-loaded table left (created empty by pre-data)');
is(q_target($tgt, "SELECT state FROM pgclone.job_tables WHERE job_id = $id AND table_name = 'fat'"),
	'cancelled', 'table recorded as cancelled');

# ---- resume the cancelled job: same result as an uninterrupted clone ----
my $rid = q_target($tgt, "SELECT pgclone.resume($id, '$c')");
is(wait_job($tgt, $rid, 120), 'completed', 'resumed job completed');
is(digest($tgt, 'big.big'), digest($src, 'big.big'), 'big identical after resume');
my $fatsum = "SELECT count(*) || ':' || sum(hashtext(id || md5(doc))::bigint) FROM big.fat";
is(q_target($tgt, $fatsum), q_source($src, $fatsum), 'fat identical after resume');
is(dump_schema($tgt, 'postgres', '-n', 'big'), dump_schema($src, 'postgres', '-n', 'big'), 'DDL identical');

# ---- cancel a table job ----
# a filter that sleeps per row keeps the source sending slowly: cancel must
# interrupt the worker while it waits for the source
$id = q_target($tgt, "SELECT pgclone.table_async('$c', 'big', 'big', true, 'big_copy',"
	. " '{\"where\": \"pg_catalog.pg_sleep(0.0001) IS NOT NULL\"}')");
wait_copying($id, 'big');
$t0 = time;
q_target($tgt, "SELECT pgclone.cancel($id)");
is(wait_job($tgt, $id, 10), 'cancelled', 'table job cancelled');
cmp_ok(time - $t0, '<', 2.5, 'table job cancel quick');
is(q_target($tgt, "SELECT to_regclass('big.big_copy') IS NULL"), 't', 'no big_copy table left');

# ---- a pool worker terminated mid-copy: failed, honest, resumable ----
q_target($tgt, "DROP SCHEMA big CASCADE");
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'big', true, '{\"parallel\": 2}')");
wait_copying($id);
my $wpid = q_target($tgt, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgclone: pool worker'"
	. " AND query LIKE '%cloning big.fat'");
like($wpid, qr/^\d+$/, 'the pool worker copying big.fat is visible with its table');
q_target($tgt, "SELECT pg_terminate_backend($wpid)");
is(wait_job($tgt, $id), 'failed', 'a job whose worker was terminated is failed');
$p = progress($id);
like($p->{error_message}, qr/table big\.fat: interrupted/, 'error names the interrupted table');
is($p->{sqlstate}, '57P01', 'SQLSTATE 57P01');
is(q_target($tgt, "SELECT count(*) FROM big.fat"), '0', 'no half-loaded table after the worker died');
$rid = q_target($tgt, "SELECT pgclone.resume($id, '$c')");
is(wait_job($tgt, $rid, 120), 'completed', 'resume after a dead worker completes');
is(digest($tgt, 'big.big'), digest($src, 'big.big'), 'big identical');

# ---- target restart mid-job: interrupted, then resumed ----
q_target($tgt, "DROP SCHEMA big CASCADE");
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'big', true)");
wait_copying($id);
$tgt->restart;
my $v = q_target($tgt, "SELECT status || ':' || current_phase || ':' || error_message FROM pgclone.jobs_view WHERE job_id = $id");
like($v, qr/^failed:interrupted:interrupted/, 'after restart the job shows failed (interrupted)');
is(q_target($tgt, "SELECT count(*) FROM big.fat"), '0', 'no half-loaded table after restart');
# the password is gone with the restart: resume without it cannot log in
$rid = q_target($tgt, "SELECT pgclone.resume($id)");
is(wait_job($tgt, $rid), 'failed', 'resume without the password fails');
is(progress($rid)->{sqlstate}, '08001', 'connection error');
$rid = q_target($tgt, "SELECT pgclone.resume($rid, '$c')");
is(wait_job($tgt, $rid, 120), 'completed', 'resume with the conninfo completes');
is(digest($tgt, 'big.big'), digest($src, 'big.big'), 'big identical');
is(checksum($tgt, 'postgres', 'big.small'), checksum($src, 'postgres', 'big.small'), 'small identical');

# ---- consistent parallel clone while the source takes writes ----
$src->command_ok([ 'pgbench', '-i', '-q', '-s', '1', '--foreign-keys', $src->connstr('postgres') ],
	'pgbench -i');
my ($out, $err) = ('', '');
my $bench = IPC::Run::start([ 'pgbench', '-n', '-c', '3', '-T', '60', $src->connstr('postgres') ],
	'>', \$out, '2>', \$err);
usleep(1_500_000);
$id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'public', true, '{\"parallel\": 3}')");
is(wait_job($tgt, $id, 120), 'completed', 'parallel clone under writes completed');
$bench->kill_kill;
my $sums = q_target($tgt, "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ',' ||"
	. " (SELECT sum(tbalance) FROM pgbench_tellers) || ',' || (SELECT sum(bbalance) FROM pgbench_branches)"
	. " || ',' || (SELECT coalesce(sum(delta), 0) FROM pgbench_history)");
my @s = split /,/, $sums;
ok($s[0] == $s[1] && $s[1] == $s[2] && $s[2] == $s[3], "totals from one snapshot ($sums)");
isnt(q_target($tgt, "SELECT count(*) FROM pgbench_history"), '0', 'writes happened before the snapshot');
is(q_target($tgt, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"),
	q_source($src, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"),
	'foreign keys added after loading');
is(q_target($tgt, "SELECT count(*) FROM pgbench_history h LEFT JOIN pgbench_accounts a USING (aid) WHERE a.aid IS NULL"),
	'0', 'FKs hold');

# ---- no password at rest ----
# errors of calls that carry the password keep their statement out of the log
like(target_error($tgt, "SELECT pgclone.resume($id, '$c')"), qr/nothing to resume/, 'resume error');
like(target_error($tgt, "SELECT pgclone.schema_async('$c', 'public', true, '{\"bogus\": 1}')"), qr/bogus/,
	'schema_async error');
my $all = q_target($tgt, "SELECT pgclone.jobs()::text")
  . q_target($tgt, "SELECT string_agg(j::text, ' ') FROM pgclone.job_history j")
  . q_target($tgt, "SELECT string_agg(j::text, ' ') FROM pgclone.job_tables j")
  . q_target($tgt, "SELECT string_agg(v::text, ' ') FROM pgclone.jobs_view v")
  . q_target($tgt, "SELECT string_agg(pgclone.progress(job_id::int)::text, ' ') FROM pgclone.job_history");
like($all, qr/user=?'?cloner/, 'the source (without password) is recorded');
unlike($all, qr/\Q$pw\E/, 'no password in jobs(), tables, view, progress');
# the test harness sets log_statement = all: the caller's own statement text
# is logged by PostgreSQL itself; nothing pgclone logs may carry the password
my $log = join '', grep { !/LOG:  statement: / } split /^/, slurp_file($tgt->logfile);
like($log, qr/pgclone job \d+/, 'pgclone logged its jobs');
unlike($log, qr/\Q$pw\E/, 'no password in what pgclone logs');

# ---- a non-superuser granted the functions ----
q_target($tgt, "CREATE ROLE alice LOGIN; GRANT EXECUTE ON FUNCTION pgclone.table_async(text, text, text, boolean, text, text),"
	. " pgclone.progress(int), pgclone.jobs(), pgclone.progress_detail(), pgclone.cancel(int) TO alice;"
	. " GRANT USAGE ON SCHEMA pgclone TO alice; GRANT USAGE, CREATE ON SCHEMA big TO alice");
my $ca = $c_nopw;
my $aid = $tgt->safe_psql('postgres', "SET ROLE alice; SELECT pgclone.table_async('$c_nopw', 'big', 'small', true, 'alice_small')");
is(wait_job($tgt, $aid), 'failed', 'non-superuser without a password: failed');
like(progress($aid)->{error_message}, qr/password is required/, 'the dblink rule applies in the worker');
$aid = $tgt->safe_psql('postgres', "SET ROLE alice; SELECT pgclone.table_async('$c', 'big', 'small', true, 'alice_small')");
is(wait_job($tgt, $aid), 'completed', 'non-superuser with a password: completed');
is($tgt->safe_psql('postgres', "SET ROLE alice; SELECT json_array_length(pgclone.jobs())"), '2',
	'a non-superuser sees only their own jobs');
like(target_error($tgt, "SET ROLE alice; SELECT * FROM pgclone.job_history"), qr/permission denied/,
	'job tables are not readable by others');

# ---- without shared_preload_libraries ----
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION pgclone');
my $e = target_error($plain, "SELECT pgclone.table_async('$c', 'public', 't')");
like($e, qr/55000/, 'missing preload: SQLSTATE 55000');
like($e, qr/HINT:.*shared_preload_libraries = 'pgclone'/, 'hint says how to fix it');
like(target_error($plain, "SELECT pgclone.jobs()"), qr/shared_preload_libraries/, 'jobs() too');
$plain->stop;

done_testing();
