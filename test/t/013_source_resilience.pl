# Production sources: what their guards and their networks do to a long clone.
#
# 1. transaction_timeout (PostgreSQL 17+) set on the source's database: every
#    source connection (the synchronous clone's, the snapshot keeper's, the
#    async workers') turns it off, as pg_dump does.  Sources 17 and 18 from
#    the embedded-postgres binaries (scripts/pg-versions.sh), as 080_versions.
# 2. TCP keepalives that probe within a minute on every source connection,
#    unless the conninfo sets its own: seen with ss on the target backend's
#    socket while a slow copy runs.
# 3. The source going away mid-copy (its backend terminated, the server
#    stopped): one ERROR naming the table, the source's message and SQLSTATE,
#    and nothing left behind.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $cache = $ENV{PGCLONE_VERSIONS_CACHE} // '/var/cache/pgclone-versions';
my $tmp = PostgreSQL::Test::Utils::tempdir();

# A server of another major: its binaries, 15's clients (as 080_versions.pl)
sub version_source
{
	my ($major) = @_;
	my $inst = version_install_dir($major, $tmp);
	return undef unless $inst;
	my $node = PostgreSQL::Test::Cluster->new("pg$major", install_path => $inst);
	$node->init;
	$node->append_conf('postgresql.conf', "max_connections = 40\n");
	$node->start;
	return $node;
}

# A copy that takes about $rows * 2 ms on the source
sub slow_opts
{
	return q{'{"where": "pg_sleep(0.002) IS NOT NULL"}'};
}

# --- 1. transaction_timeout on sources 17 and 18 -----------------------------
for my $major (17, 18)
{
	my $v = "[$major]";
	my $node = version_source($major);
	if (!defined $node)
	{
	  SKIP: { skip("PostgreSQL $major not in $cache (scripts/pg-versions.sh)", 6); }
		next;
	}
	$node->safe_psql('postgres', 'CREATE DATABASE big');
	$node->safe_psql('big', q{CREATE SCHEMA s;
	  CREATE TABLE s.t (id int PRIMARY KEY, v text);
	  INSERT INTO s.t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
	  CREATE TABLE s.u (id int PRIMARY KEY);
	  INSERT INTO s.u SELECT generate_series(1, 10)});
	$node->safe_psql('postgres', q{ALTER DATABASE big SET transaction_timeout = '1s'});
	is($node->safe_psql('big', 'SHOW transaction_timeout'), '1s', "$v the source's database has transaction_timeout = 1s");
	my $c = src_conninfo($node, 'big');

	# synchronous: one connection, its copy about two seconds long
	my $t0 = time;
	my ($rc, $out, $err) = $tgt->psql('postgres',
		"SELECT pgclone.table('$c', 's', 't', true, 't$major', " . slow_opts() . ")");
	like($out, qr/^OK/, "$v table() of a copy longer than transaction_timeout succeeds") or diag($err);
	cmp_ok(time - $t0, '>', 1.5, "$v the copy did outlast the timeout");
	is(q_target($tgt, "SELECT count(*) FROM s.t$major"), '1000', "$v every row copied");

	# async: the snapshot keeper idles in its transaction while workers copy
	$tgt->safe_psql('postgres', "CREATE DATABASE a$major");
	$tgt->safe_psql("a$major", 'CREATE EXTENSION pgclone');
	# a session of the source holds s.t for two seconds: the workers' COPY
	# waits, the keeper's transaction outlasts the timeout
	my $locker = $node->background_psql('big', on_error_stop => 0);
	$locker->query_safe("SET transaction_timeout = 0; BEGIN; LOCK s.t IN ACCESS EXCLUSIVE MODE");
	my $id = $tgt->safe_psql("a$major", qq{SELECT pgclone.schema_async('$c', 's', true, '{"parallel": 2}')});
	$node->poll_query_until('big', "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'pgclone' AND wait_event_type = 'Lock'")
	  or diag('no source connection of the job waited for the lock');
	sleep 2;
	$locker->query_safe('COMMIT');
	$locker->quit;
	my $state = '';
	for (my $i = 0; $i < 600; $i++)
	{
		$state = $tgt->safe_psql("a$major", "SELECT pgclone.progress($id)->>'status'");
		last if $state !~ /^(pending|running)$/;
		select(undef, undef, undef, 0.1);
	}
	is($state, 'completed', "$v schema_async (keeper and two workers) completes")
	  or diag($tgt->safe_psql("a$major", "SELECT pgclone.progress($id)"));
	is($tgt->safe_psql("a$major", 'SELECT count(*) FROM s.t'), '1000', "$v async: every row copied");
	$node->stop;
}

# --- 2. keepalives on the source connection ---------------------------------
$src->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'\n");
$src->restart;
my $port = $src->port;
$src->safe_psql('postgres', q{CREATE TABLE slow (id int PRIMARY KEY, v text);
  INSERT INTO slow SELECT g, md5(g::text) FROM generate_series(1, 2500) g});
my $tcp = "host=127.0.0.1 port=$port dbname=postgres";

# The keepalive timer of the TCP socket connected to the source's port, as ss
# prints it ("keepalive,29sec,0"), or "" when none shows in 30 samples over
# three seconds: while data is in flight ss shows the retransmission timer
# ("on,164ms,0") instead.
sub keepalive_timers
{
	my $seen = 0;
	for (1 .. 30)
	{
		my ($out, $err);
		IPC::Run::run([ 'ss', '-tnoH', 'state', 'established', "( dport = :$port )" ], '>', \$out, '2>', \$err);
		$seen ||= $out =~ /\S/;
		my @k = grep { /^keepalive,/ } $out =~ /timer:\(([^)]*)\)/g;
		return join(' ', @k) if @k;
		select(undef, undef, undef, 0.1);
	}
	return $seen ? '' : 'no connection';
}

# Start a slow clone in the background, wait until its COPY runs on the
# source; returns the background session
sub start_slow_clone
{
	my ($conninfo, $name, $db) = @_;
	my $bg = $tgt->background_psql($db // 'postgres', on_error_stop => 0);
	$bg->query_until(qr/started/,
		"\\set VERBOSITY verbose\n\\echo started\nSELECT pgclone.table('$conninfo', 'public', 'slow', true, '$name', "
		  . slow_opts() . ");\n");
	$src->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'pgclone' AND query LIKE 'COPY%'")
	  or die 'the clone did not start copying';
	return $bg;
}

sub stop_slow_clone
{
	my ($bg) = @_;
	$tgt->safe_psql('postgres',
		"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pgclone.table%' AND pid <> pg_backend_pid()");
	$bg->quit;
	$src->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'pgclone'");
}

my $bg = start_slow_clone($tcp, 'slow_k');
my $timers = keepalive_timers();
like($timers, qr/^keepalive,(\d+)sec,0$/, "a running clone's source connection has a keepalive timer ($timers)");
my ($secs) = $timers =~ /keepalive,(\d+)sec/;
cmp_ok($secs // 9999, '<=', 30, 'it probes within 30 seconds, not after the kernel default of two hours');
stop_slow_clone($bg);

# the conninfo's own settings win
$bg = start_slow_clone("$tcp keepalives=0", 'slow_k');
$timers = keepalive_timers();
is($timers, '', "keepalives=0 in the conninfo: no keepalive timer ($timers)");
stop_slow_clone($bg);
$bg = start_slow_clone("$tcp keepalives_idle=600", 'slow_k');
$timers = keepalive_timers();
like($timers, qr/^keepalive,(9|10)min(\d+sec)?,0$/, "keepalives_idle=600 in the conninfo is kept ($timers)");
stop_slow_clone($bg);

# --- 3. the source going away mid-copy ----------------------------------------
my $c = src_conninfo($src);

# its backend terminated: the source says why (57P01)
$bg = start_slow_clone($c, 'slow_t');
$src->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgclone' AND query LIKE 'COPY%'");
$bg->query_until(qr/done/, "\\echo done\n");
my $err = $bg->{stderr};
$bg->quit;
my @errors = $err =~ /ERROR:/g;
is(scalar @errors, 1, 'backend terminated: one ERROR') or diag($err);
like($err, qr/ERROR:  57P01: source server terminated the connection while copying public\.slow: terminating connection due to administrator command$/m,
	'backend terminated: the source\'s SQLSTATE and message, the table') or diag($err);
like($err, qr/^DETAIL:  .*[Nn]othing was kept/m, 'backend terminated: says nothing was kept') or diag($err);
unlike($err, qr/invalid socket|server closed the connection unexpectedly/, 'backend terminated: no libpq noise');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relname = 'slow_t'"), '0', 'backend terminated: nothing left behind');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgclone_stage'") =~ /^\d+$/ ? 1 : 0, 1, 'target still answers');

# an async job's worker loses its source backend: the job's error says the same
$src->safe_psql('postgres', q{CREATE SCHEMA fat; CREATE TABLE fat.fat (id int PRIMARY KEY, doc text);
  INSERT INTO fat.fat SELECT g, repeat(md5(g::text), 32768) FROM generate_series(1, 300) g});
my $id = q_target($tgt, qq{SELECT pgclone.schema_async('$c', 'fat', true, '{"parallel": 2}')});
$src->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'pgclone' AND query LIKE 'COPY%fat%'")
  or die 'the job did not start copying';
$src->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgclone' AND query LIKE 'COPY%fat%'");
is(wait_job($tgt, $id), 'failed', 'async: the job fails');
my $p = q_target($tgt, "SELECT pgclone.progress($id)->>'sqlstate' || ' ' || (pgclone.progress($id)->>'error_message')");
# a source backend blocked sending (the target is the slower end) cannot send
# its FATAL: then the connection is simply lost (08006)
like($p, qr/^(57P01 .*source server terminated the connection while copying fat\.fat: terminating connection due to administrator command|08006 .*lost the connection to the source server while copying fat\.fat)$/,
	"async: the job's error has the SQLSTATE, what happened and the table ($p)");
unlike($p, qr/invalid socket|server closed the connection unexpectedly/, 'async: no libpq noise');
is(q_target($tgt, "SELECT count(*) FROM fat.fat"), '0', 'async: no half-loaded table');

# the whole source stopped (immediate: no message from it)
$bg = start_slow_clone($c, 'slow_t');
$src->stop('immediate');
$bg->query_until(qr/done/, "\\echo done\n");
$err = $bg->{stderr};
$bg->quit;
@errors = $err =~ /ERROR:/g;
is(scalar @errors, 1, 'source stopped: one ERROR') or diag($err);
like($err, qr/ERROR:  08006: lost the connection to the source server while copying public\.slow$/m,
	'source stopped: 08006 and the table') or diag($err);
like($err, qr/^DETAIL:  (.*\n)?.*Nothing was kept: the clone's transaction on the target is rolled back/m, 'source stopped: says nothing was kept') or diag($err);
unlike($err, qr/invalid socket/, 'source stopped: no libpq noise');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relname = 'slow_t'"), '0', 'source stopped: nothing left behind');
$src->start;

done_testing();
