# Several async jobs at once on a server with few background workers: a job
# that does not fit waits as "queued" with its place, starts when workers
# free up (oldest first), can be cancelled while queued, survives a restart
# as an interrupted job that resume() restarts; a job that can never fit
# fails up front naming max_worker_processes and what it needs.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

# 9 slots: the logical replication launcher takes one, two parallel jobs
# (leader, snapshot coordinator, 2 pool workers: 4 each) the other eight
my ($src, $tgt) = start_pair(target_conf => "max_worker_processes = 9\n");
my $c = src_conninfo($src);
my $n = 8;
my $ddl = '';
for my $i (1 .. $n)
{
	$ddl .= "CREATE SCHEMA q$i; CREATE TABLE q$i.a (id int PRIMARY KEY, v text);"
	  . " CREATE TABLE q$i.b (id int PRIMARY KEY, a_id int REFERENCES q$i.a, w numeric);"
	  . " INSERT INTO q$i.a SELECT g, md5(g::text) FROM generate_series(1, 2000) g;"
	  . " INSERT INTO q$i.b SELECT g, 1 + g % 2000, g / 3.0 FROM generate_series(1, 3000) g;";
}
q_source($src, $ddl);

sub progress { return decode_json(q_target($tgt, "SELECT pgclone.progress($_[0])")); }

sub poll_until
{
	my ($cond, $secs) = @_;
	for (1 .. ($secs // 30) * 20)
	{
		return 1 if $cond->();
		select(undef, undef, undef, 0.05);
	}
	return 0;
}

# Hold an ACCESS EXCLUSIVE lock on the source tables of q1 and q2: their jobs
# start and then wait on the source, keeping their workers.
sub hold_locks
{
	my ($tag) = @_;
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start([ 'psql', '-X', '-d', $src->connstr('postgres'), '-c',
		"BEGIN; LOCK q1.a, q1.b, q2.a, q2.b IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600) /* $tag */;" ],
		\$in, \$out, \$err);
	poll_until(sub { q_source($src, "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'"
		. " AND relation = 'q1.a'::regclass AND granted") eq '1' }, 10)
	  or die "lock not taken: $err";
	return $h;
}

sub release_locks
{
	my ($h, $tag) = @_;
	q_source($src, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%/* $tag */%'"
		. " AND pid <> pg_backend_pid()");
	$h->finish;
}

# ---- a request that can never fit fails up front ----
my $err = target_error($tgt, "SELECT pgclone.schema_async('$c', 'q1', true, '{\"parallel\": 8}')");
like($err, qr/53400: this job needs 10 background workers at once, but max_worker_processes is 9/,
	'a job bigger than the server: error names max_worker_processes and what it needs');
like($err, qr/HINT:  Lower "parallel" to at most 7, or raise max_worker_processes to 10/, 'its hint');
is(q_target($tgt, "SELECT count(*) FROM pgclone.jobs_view"), '0', 'and no job was made');

# ---- the queue forms, in order, with places ----
my $lock = hold_locks('pgclone053a');
my @ids;
my $notices = '';
for my $i (1 .. $n)
{
	my ($ret, $out, $stderr) = $tgt->psql('postgres',
		"SELECT pgclone.schema_async('$c', 'q$i', true, '{\"parallel\": 2}')");
	is($ret, 0, "job for q$i accepted") or diag $stderr;
	push @ids, $out;
	$notices .= $stderr;
}
ok(poll_until(sub { progress($ids[0])->{status} eq 'running' && progress($ids[1])->{status} eq 'running' }),
	'the first two jobs run (blocked on the source)');
my $view = q_target($tgt, "SELECT string_agg(job_id || ':' || status || ':' || current_phase || ':'"
	. " || coalesce(queue_position::text, '-'), ',' ORDER BY job_id) FROM pgclone.jobs_view");
like($view, qr/^\Q$ids[0]\E:running:[^,:]*:-,\Q$ids[1]\E:running:[^,:]*:-,/, 'jobs 1 and 2 run, not queued')
  or diag $view;
my @queued = map { "$ids[$_]:queued:queued:" . ($_ - 1) } 2 .. $n - 1;
like($view, qr/\Q@{[join(',', @queued)]}\E$/, 'the other six are queued, places 1..6 in job order')
  or diag $view;
like($notices, qr/pgclone job $ids[2] is queued \(position 1\): it needs 4 background workers/,
	'schema_async says the job is queued and why');
my $p = progress($ids[4]);
is($p->{queue_position}, 3, 'progress() carries queue_position');
is($p->{workers}, undef, 'a queued job has no process');

# ---- cancel a queued job: at once, and the places behind it move up ----
is(q_target($tgt, "SELECT pgclone.cancel($ids[4])"), 't', 'cancel of a queued job returns true');
$p = progress($ids[4]);
is("$p->{status}:$p->{sqlstate}", 'cancelled:57014', 'the queued job is cancelled at once');
like($p->{error_message}, qr/while queued/, 'its message says it was queued');
is(q_target($tgt, "SELECT string_agg(queue_position::text, ',' ORDER BY job_id) FROM pgclone.jobs_view WHERE status = 'queued'"),
	'1,2,3,4,5', 'the places behind it move up');

# ---- workers free up: the queue drains, oldest first, while the source
# takes writes and two database_create() calls want a worker each ----
q_source($src, "CREATE TABLE public.w (id serial PRIMARY KEY, at timestamptz DEFAULT now())");
my @bg;
push @bg, IPC::Run::start([ 'psql', '-X', '-d', $src->connstr('postgres'), '-c',
	"DO \$\$ BEGIN FOR i IN 1..200 LOOP INSERT INTO public.w DEFAULT VALUES; COMMIT; PERFORM pg_sleep(0.01); END LOOP; END \$\$" ],
	\my $win, \my $wout, \my $werr);
# database_create() needs a background worker; database() (into a database
# of its own here) does not, but runs beside the jobs on the same source
q_target($tgt, "CREATE DATABASE copy2");
q_target($tgt, "CREATE EXTENSION pgclone", 'copy2');
my @dbout;
for my $call ([ 'postgres', "SELECT pgclone.database_create('$c', 'copy1', true)" ],
	[ 'copy2', "SELECT pgclone.database('$c', true)" ])
{
	my ($in, $out, $err) = ('', '', '');
	push @dbout, [ \$out, \$err ];
	push @bg, IPC::Run::start([ 'psql', '-XAt', '-d', $tgt->connstr($call->[0]), '-c', $call->[1] ],
		\$in, \$out, \$err);
}
release_locks($lock, 'pgclone053a');
for my $i (0 .. $n - 1)
{
	next if $i == 4;
	is(wait_job($tgt, $ids[$i], 120), 'completed', "job for q" . ($i + 1) . " completed");
}
my $bad = join(' ', grep { my $s = "q$_"; $_ != 5 && (checksum($tgt, 'postgres', "$s.a") ne checksum($src, 'postgres', "$s.a")
	|| checksum($tgt, 'postgres', "$s.b") ne checksum($src, 'postgres', "$s.b")) } 1 .. $n);
is($bad, '', 'every completed job cloned its schema exactly');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'q5'"), '0', 'the cancelled job cloned nothing');
$_->finish for @bg;
like(${ $dbout[0][0] }, qr/^OK: database "copy1"/, 'database_create() beside the queue succeeded')
  or diag ${ $dbout[0][1] };
like(${ $dbout[1][0] }, qr/^OK: database cloned into "copy2"/, 'database() beside the queue succeeded')
  or diag ${ $dbout[1][1] };
is(checksum($tgt, 'copy1', 'q8.b') . ' ' . checksum($tgt, 'copy2', 'q8.b'),
	checksum($src, 'postgres', 'q8.b') . ' ' . checksum($src, 'postgres', 'q8.b'), 'and both cloned the data');
# a job started only after one before it in the queue had started
my $order = q_target($tgt, "SELECT bool_and(s) FROM (SELECT start_time >= lag(start_time) OVER (ORDER BY job_id)"
	. " OR lag(start_time) OVER (ORDER BY job_id) IS NULL AS s FROM pgclone.jobs_view"
	. " WHERE job_id IN ($ids[2], $ids[3], $ids[6], $ids[7])) x");
is($order, 't', 'queued jobs started in queue order');
is(q_target($tgt, "SELECT count(*) FROM pgclone.jobs_view WHERE status = 'queued' OR queue_position IS NOT NULL"),
	'0', 'nothing left queued');

# ---- resume of the job cancelled in the queue ----
my $rid = q_target($tgt, "SELECT pgclone.resume($ids[4])");
is(wait_job($tgt, $rid, 60), 'completed', 'a job cancelled while queued resumes');
is(checksum($tgt, 'postgres', 'q5.b'), checksum($src, 'postgres', 'q5.b'), 'and clones its schema');

# ---- restart with a job in the queue: interrupted, then resumed ----
q_target($tgt, "DROP SCHEMA q1, q2, q3 CASCADE");
$lock = hold_locks('pgclone053b');
my @r = map { q_target($tgt, "SELECT pgclone.schema_async('$c', 'q$_', true, '{\"parallel\": 2}')") } 1 .. 3;
ok(poll_until(sub { progress($r[2])->{status} eq 'queued' }), 'third job queued before the restart');
$tgt->restart;
release_locks($lock, 'pgclone053b');
$p = progress($r[2]);
is("$p->{status}:$p->{sqlstate}", 'failed:57P01', 'after a restart the queued job shows as interrupted');
my @again = map { q_target($tgt, "SELECT pgclone.resume($_)") } @r;
is(join(',', map { wait_job($tgt, $_, 120) } @again), 'completed,completed,completed',
	'the running and the queued jobs resume and complete');
is(checksum($tgt, 'postgres', 'q3.b'), checksum($src, 'postgres', 'q3.b'), 'the queued one cloned its schema');

done_testing();
