# The lock budget: a synchronous clone that cannot fit in the shared lock
# table stops up front (53200, nothing created); preflight says so;
# schema_async() and database_create() commit in steps and clone it anyway;
# a failing database_create() drops the database it created and leaves an
# existing one as it was.
use strict;
use warnings;
use lib 'test/perl';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use PgcloneTest;
use Test::More;
use JSON::PP;

# A deliberately small lock table on the target: on 15, 10 * (10 connections +
# 3 autovacuum + 1 launcher + 16 workers) = 300 locks.
my ($src, $tgt) = start_pair(target_conf => "max_locks_per_transaction = 10\nmax_connections = 10\n");
# The server processes that count (MaxBackends) depend on the major: 17 adds
# the slot sync worker to the autovacuum launcher, 18 counts autovacuum's
# worker slots rather than its workers.
my $major = server_major($tgt);
my %set = map { $_ => q_target($tgt, "SHOW $_") }
  qw(max_connections max_worker_processes max_wal_senders max_prepared_transactions),
  $major >= 18 ? 'autovacuum_worker_slots' : 'autovacuum_max_workers';
my $procs = $set{max_connections} + $set{max_worker_processes} + $set{max_wal_senders}
  + ($set{autovacuum_worker_slots} // $set{autovacuum_max_workers}) + ($major >= 17 ? 2 : 1)
  + $set{max_prepared_transactions};
my $capacity = 10 * $procs;
note("lock table: 10 * $procs = $capacity locks");
my $N = $ENV{PGCLONE_MANY_N} // 200;

# N small tables: primary key (serial), a text column (TOAST), a secondary
# index, a foreign key to a parent, a comment, a few rows: about 6 locks each.
sub many_tables
{
	my ($db, $schema) = @_;
	q_source($src, qq{
		CREATE SCHEMA $schema;
		CREATE TABLE $schema.parent (id int PRIMARY KEY, name text);
		INSERT INTO $schema.parent SELECT g, 'p' || g FROM generate_series(1, 10) g;
		DO \$\$ BEGIN FOR i IN 1..$N LOOP
		  EXECUTE format('CREATE TABLE $schema.t%s (id serial PRIMARY KEY, parent_id int REFERENCES $schema.parent,'
		    ' v text DEFAULT ''x'', n int)', i);
		  EXECUTE format('CREATE INDEX ON $schema.t%s (n)', i);
		  EXECUTE format('COMMENT ON TABLE $schema.t%s IS ''table %s''', i, i);
		  EXECUTE format('INSERT INTO $schema.t%s (parent_id, v, n) SELECT 1 + g %% 10, md5(g::text), g'
		    ' FROM generate_series(1, 3) g', i);
		END LOOP; END \$\$;}, $db);
}
q_source($src, 'CREATE DATABASE many');
many_tables('many', 'many');
my $c = src_conninfo($src, 'many');

# ---- synchronous clones stop before anything is created ----
my $err = target_error($tgt, "SELECT pgclone.schema('$c', 'many')");
like($err, qr/ERROR:  53200: this clone needs about (\d+) locks in one transaction, more than the lock table holds \($capacity with max_locks_per_transaction = 10\)/,
	'schema(): 53200 with the numbers and the setting');
my ($needed) = $err =~ /needs about (\d+) locks/;
cmp_ok($needed, '>', 5 * $N, 'the estimate counts every relation');
like($err, qr/DETAIL:  The clone creates \d+ tables, views, sequences and the like, \d+ indexes, \d+ TOAST tables with their indexes and \d+ other objects/, 'detail: what is counted');
like($err, qr/HINT:  Raise max_locks_per_transaction to at least \d+ \(a restart is needed\), or clone with pgclone.schema_async\(\) or pgclone.database_create\(\), which commit in steps/,
	'hint: the setting and the unlimited functions');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'many'"), '0', 'nothing created');

$err = target_error($tgt, "SELECT pgclone.database('$c')");
like($err, qr/ERROR:  53200: this clone needs about \d+ locks/, 'database(): 53200 too');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'many'"), '0', 'database(): nothing created');

# ---- preflight ----
my $pf = decode_json(q_target($tgt, "SELECT pgclone.preflight('$c', 'many')"));
is($pf->{ready}, JSON::PP::false, 'preflight: not ready');
is($pf->{checks}{lock_budget}{status}, 'fail', 'preflight: lock_budget fails');
is($pf->{checks}{lock_budget}{capacity}, $capacity, 'preflight: capacity');
is($pf->{checks}{lock_budget}{max_locks_per_transaction}, 10, 'preflight: the setting');
is($pf->{checks}{lock_budget}{needed}, $needed, 'preflight: the same estimate as the clone');
like(join("\n", @{ $pf->{errors} }), qr/pgclone.schema\(\) would need about \d+ locks .* raise max_locks_per_transaction to at least \d+, or use pgclone.schema_async\(\)/,
	'preflight: error message');

# the estimate is an upper bound of what a clone really holds (the rich
# fixture; cloned within the source cluster, whose lock table is default)
q_source($src, 'CREATE DATABASE fix');
load_schema_fixture($src, 'fix', 'fixture loaded');
q_source($src, 'CREATE DATABASE fixclone');
q_source($src, 'CREATE EXTENSION pgclone', 'fixclone');
my $cf = src_conninfo($src, 'fix');
$pf = decode_json(q_source($src, "SELECT pgclone.preflight('$cf', 'sales')", 'fixclone'));
is($pf->{checks}{lock_budget}{status}, 'pass', 'fixture: lock_budget passes');
my $held = q_source($src, "BEGIN; SELECT pgclone.schema('$cf', 'sales') IS NOT NULL;"
	  . " SELECT count(DISTINCT (locktype, database, relation, classid, objid, objsubid))"
	  . " FROM pg_locks WHERE pid = pg_backend_pid(); ROLLBACK;", 'fixclone');
$held = (split /\n/, $held)[-1];
cmp_ok($pf->{checks}{lock_budget}{needed}, '>=', $held, "fixture: estimate $pf->{checks}{lock_budget}{needed} >= $held locks held");
cmp_ok($pf->{checks}{lock_budget}{needed}, '<', 1.5 * $held, 'fixture: and not far above');

# ---- schema_async: any N ----
my $job = q_target($tgt, "SELECT pgclone.schema_async('$c', 'many', true, '{\"parallel\": 2}')");
is(wait_job($tgt, $job, 300), 'completed', 'schema_async of the big schema completes')
  or diag q_target($tgt, "SELECT pgclone.progress($job)");
is(q_target($tgt, "SELECT count(*) FROM pg_tables WHERE schemaname = 'many'"), $N + 1, 'every table');
is(checksum($tgt, 'postgres', "many.t$N"), checksum($src, 'many', "many.t$N"), 'schema_async: data');
is(q_target($tgt, "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
	  . " WHERE n.nspname = 'many' AND contype = 'f' AND convalidated"), $N, 'schema_async: every foreign key');

# ---- database_create: a new database, in steps ----
my $res = q_target($tgt, "SELECT pgclone.database_create('$c', 'newmany')");
like($res, qr/^OK: database "?newmany"? created and cloned \(2 schemas, \d+ tables/, 'database_create of the big database');
is(checksum($tgt, 'newmany', 'many.t1'), checksum($src, 'many', 'many.t1'), 'database_create: data');
is(q_target($tgt, "SELECT sum(n) FROM pg_class c, LATERAL (SELECT 1 AS n) x WHERE relname LIKE 't%' AND relkind = 'r'"
	  . " AND relnamespace = 'many'::regnamespace", 'newmany'), $N, 'database_create: every table');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'many'::regnamespace"
	  . " AND relallvisible = relpages AND relpages > 0", 'newmany'), $N + 1, 'database_create: loaded with FREEZE (all visible)');

# ---- a failing database_create drops the database it created ----
# a domain constraint added NOT VALID over a row that violates it: the COPY
# of that table fails, after the steps before it committed
q_source($src, 'CREATE DATABASE bad');
many_tables('bad', 'bad');
q_source($src, q{CREATE DOMAIN bad.posint AS int; CREATE TABLE bad.zz (v bad.posint);
	INSERT INTO bad.zz VALUES (-1);
	ALTER DOMAIN bad.posint ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;}, 'bad');
my $cb = src_conninfo($src, 'bad');
my ($ret, $out, $stderr) = $tgt->psql('postgres', "\\set VERBOSITY verbose\nSELECT pgclone.database_create('$cb', 'newbad')");
isnt($ret, 0, 'failing database_create: ERROR');
like($stderr, qr/ERROR:  23514: pgclone: could not clone into database newbad: value for domain bad.posint violates check constraint "pos"/,
	'failing database_create: the clone error');
like($stderr, qr/NOTICE:  00000: dropped database newbad, which pgclone.database_create\(\) created, after the clone failed/,
	'failing database_create: NOTICE');
is(q_target($tgt, "SELECT count(*) FROM pg_database WHERE datname = 'newbad'"), '0', 'failing database_create: no database left');

# an existing database: one transaction, left as it was
q_source($src, q{CREATE DATABASE smallbad; }, 'postgres');
q_source($src, q{CREATE TABLE ok1 (id int PRIMARY KEY); INSERT INTO ok1 VALUES (1);
	CREATE DOMAIN posint AS int; CREATE TABLE zz (v posint); INSERT INTO zz VALUES (-1);
	ALTER DOMAIN posint ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;}, 'smallbad');
q_target($tgt, "CREATE DATABASE existing");
q_target($tgt, "CREATE TABLE mine (x int)", 'existing');
my $cs = src_conninfo($src, 'smallbad');
($ret, $out, $stderr) = $tgt->psql('postgres', "\\set VERBOSITY verbose\nSELECT pgclone.database_create('$cs', 'existing')");
isnt($ret, 0, 'existing database: ERROR');
like($stderr, qr/NOTICE:  00000: database existing existed before pgclone.database_create\(\) and is left as it was/,
	'existing database: NOTICE');
is(q_target($tgt, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relkind = 'r'"
	  . " AND relnamespace = 'public'::regnamespace", 'existing'), 'mine', 'existing database: as it was');
# and a big source into an existing database: the lock budget, up front
($ret, $out, $stderr) = $tgt->psql('postgres', "\\set VERBOSITY verbose\nSELECT pgclone.database_create('$c', 'existing')");
like($stderr, qr/53200: pgclone: could not clone into database existing: this clone needs about \d+ locks/,
	'existing database: lock budget checked');

# pg_dump locks every table it dumps: more than this lock table holds, so
# the dumps are compared after a restart with a larger one
$tgt->append_conf('postgresql.conf', "max_locks_per_transaction = 64\n");
$tgt->restart;
is(dump_schema($tgt, 'postgres', '-n', 'many', '--no-owner'), dump_schema($src, 'many', '-n', 'many', '--no-owner'),
	'schema_async: pg_dump -s identical');
# (pgclone itself is installed in the new database: leave the extensions out)
is(dump_schema($tgt, 'newmany', '--no-owner', '-N', 'pgclone', '-e', 'plpgsql'), dump_schema($src, 'many', '--no-owner', '-e', 'plpgsql'),
	'database_create: pg_dump -s identical');

done_testing();
