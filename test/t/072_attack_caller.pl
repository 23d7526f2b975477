# Attack: a non-superuser caller granted EXECUTE.
# 1. conninfo options that make libpq read the server's files or reach the
#    server itself are refused (each tested).
# 2. async jobs: another role's jobs are invisible (jobs_view, progress(),
#    jobs(), progress_detail()), and cannot be cancelled or resumed.
# 3. masking policies: a role with SELECT on the masked view only reads
#    neither the rows of the base table nor its unmasked values (directly, via
#    a leaky function on the view, via a function of its own, via pg_stats).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair(
	source_conf => "listen_addresses = '127.0.0.1'\npassword_encryption = 'scram-sha-256'\n");
open(my $hba, '>', $src->data_dir . '/pg_hba.conf') or die;
print $hba "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
close $hba;
$src->reload;
my $pw = 'pw-of-alice';
q_source($src, qq{CREATE ROLE alice LOGIN PASSWORD '$pw';
CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;
GRANT SELECT ON t TO alice;});
my $sport = $src->port;
my $good = "host=127.0.0.1 port=$sport dbname=postgres user=alice password=$pw";

q_target($tgt, q{
CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN;
GRANT USAGE ON SCHEMA pgclone TO bob, carol;
GRANT CREATE ON SCHEMA public TO bob;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgclone TO bob, carol;
GRANT SELECT ON pgclone.jobs_view TO bob, carol;
});

# --- 1. conninfo options -------------------------------------------------
my $dd = $tgt->data_dir;
my $tport = $tgt->port;
my $tsock = $tgt->host;
my @refused = (
	"passfile=$dd/postgresql.conf",
	"sslkey=$dd/postgresql.conf sslmode=require",
	"sslcert=$dd/postgresql.conf sslmode=require",
	"sslrootcert=$dd/postgresql.conf sslmode=verify-ca",
	"sslcrl=$dd/postgresql.conf sslmode=require",
	"sslcrldir=$dd sslmode=require",
	"service=nosuch",
	"servicefile=$dd/postgresql.conf",
);
for my $opt (@refused)
{
	my $err = target_error($tgt, "SET ROLE bob; SELECT pgclone.table('$good $opt', 'public', 't', true, 'x')");
	(my $kw = $opt) =~ s/=.*//;
	# servicefile is not a libpq 15 option: refused as unknown
	like($err, qr/(42501: permission denied to set connection option "$kw"|08001: invalid source connection string\n.*"$kw")/,
		"non-superuser: $kw refused");
}
# the server itself: its unix socket (trust) and loopback are not lent out
for my $conn ("host=$tsock port=$tport dbname=postgres user=postgres password=x",
	"hostaddr=127.0.0.1 port=$tport dbname=postgres user=postgres password=x")
{
	my $err = target_error($tgt, "SET ROLE bob; SELECT pgclone.table('$conn', 'public', 't', true, 'x')");
	like($err, qr/(2F003: password is required|08001: could not connect)/, "non-superuser: $conn refused");
}
# the superuser still may (keys and service files are an administrator's tools)
like(target_error($tgt, "REVOKE CREATE ON SCHEMA public FROM bob; SELECT pgclone.table('$good sslrootcert=$dd/nosuch sslmode=disable', 'public', 't', true, 'su'); GRANT CREATE ON SCHEMA public TO bob"),
	qr/^$/, 'superuser: file options allowed');
like(q_target($tgt, "SET ROLE bob; SELECT pgclone.table('$good sslmode=disable', 'public', 't', true, 'mine')"),
	qr/^OK/, 'non-superuser with a password and ordinary options works');

# --- 2. async jobs of another role -----------------------------------------
my $job = q_target($tgt, "SET ROLE bob; SELECT pgclone.table_async('$good', 'public', 't', true, 'bobs')");
is(wait_job($tgt, $job), 'completed', 'bob\'s job completes');
is(q_target($tgt, "SET ROLE carol; SELECT count(*) FROM pgclone.jobs_view WHERE job_id = $job"), '0',
	'carol: jobs_view does not show bob\'s job');
is(q_target($tgt, "SET ROLE carol; SELECT count(*) FROM pgclone.progress_detail() WHERE job_id = $job"), '0',
	'carol: progress_detail() does not show it');
unlike(q_target($tgt, "SET ROLE carol; SELECT coalesce(pgclone.jobs()::text, '')"), qr/127\.0\.0\.1|alice/,
	'carol: jobs() shows no source host or user of bob');
my $p = target_error($tgt, "SET ROLE carol; SELECT pgclone.progress($job)");
my $pout = $p ? '' : q_target($tgt, "SET ROLE carol; SELECT coalesce(pgclone.progress($job)::text, '')");
unlike($pout, qr/127\.0\.0\.1|alice/, 'carol: progress(bob\'s job) shows nothing of it');
my $cancel = target_error($tgt, "SET ROLE carol; SELECT pgclone.cancel($job)");
my $cout = $cancel ? 'error' : q_target($tgt, "SET ROLE carol; SELECT pgclone.cancel($job)");
like($cout, qr/^(error|f)$/, 'carol cannot cancel bob\'s job');
like(target_error($tgt, "SET ROLE carol; SELECT pgclone.resume($job, '$good')"), qr/ERROR/,
	'carol cannot resume bob\'s job');
like(q_target($tgt, "SET ROLE bob; SELECT source FROM pgclone.jobs_view WHERE job_id = $job"), qr/127\.0\.0\.1/,
	'bob sees his own job');
unlike(q_target($tgt, "SELECT string_agg(source, ',') FROM pgclone.jobs_view"), qr/\Q$pw\E/,
	'no password in jobs_view');

# --- 3. masking policies -------------------------------------------------
q_target($tgt, q{
CREATE TABLE public.staff (id int PRIMARY KEY, email text, ssn text);
INSERT INTO public.staff SELECT g, 'person' || g || '@corp.test', lpad(g::text, 9, '7') FROM generate_series(1, 50) g;
ANALYZE public.staff;
CREATE ROLE eve LOGIN; CREATE ROLE auditor NOLOGIN; CREATE SCHEMA eve AUTHORIZATION eve;
});
like(q_target($tgt, q{SELECT pgclone.create_masking_policy('public', 'staff', '{"email": "email", "ssn": "null"}', 'auditor')}),
	qr/^OK/, 'masking policy created');
is(q_target($tgt, "SET ROLE eve; SELECT count(*) FROM public.staff_masked WHERE ssn IS NULL"), '50', 'eve reads the masked view');
like(target_error($tgt, "SET ROLE eve; SELECT * FROM public.staff"), qr/42501: permission denied for table staff/,
	'eve cannot read the base table');
my ($r, $o, $e) = $tgt->psql('postgres', q{SET ROLE eve;
CREATE FUNCTION eve.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
  $f$ BEGIN RAISE NOTICE 'LEAK %', $1; RETURN true; END $f$;
SELECT count(*) FROM public.staff_masked WHERE eve.leak(email) AND eve.leak(ssn);});
my @leaked = $e =~ /LEAK ([^\n]*)/g;
ok(@leaked > 0, 'the leaky function ran') or diag($e);
ok(!grep({ /person\d+\@|7{5}/ } @leaked), 'a leaky function on the view sees masked values only');
like(target_error($tgt, q{SET ROLE eve; CREATE FUNCTION eve.peek() RETURNS SETOF text LANGUAGE sql AS 'SELECT email FROM public.staff'; SELECT eve.peek()}),
	qr/42501: permission denied for table staff/, 'a function of eve\'s cannot read the base table');
is(q_target($tgt, "SET ROLE eve; SELECT count(*) FROM pg_stats WHERE tablename IN ('staff', 'staff_masked')"), '0',
	'pg_stats shows eve nothing of the masked columns');
like(target_error($tgt, "SET ROLE eve; EXPLAIN (ANALYZE, VERBOSE) SELECT * FROM public.staff"), qr/42501/,
	'EXPLAIN of the base table is refused');
is(q_target($tgt, "SET ROLE auditor; SELECT count(*) FROM public.staff WHERE email LIKE 'person%'"), '50',
	'the privileged role reads the raw table');
done_testing();
