# pgclone.preflight(): a ready target, then each failing check.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);
q_source($src, q{
CREATE SCHEMA app;
CREATE TABLE app.t (id int PRIMARY KEY, v text);
CREATE INDEX t_v ON app.t (v);
CREATE VIEW app.v AS SELECT id FROM app.t;
CREATE SEQUENCE app.s;
INSERT INTO app.t SELECT g, 'x' FROM generate_series(1, 1000) g;
});

sub pf
{
	my ($schema, $conninfo, $prefix) = @_;
	$conninfo //= $c;
	return decode_json(q_target($tgt, ($prefix // '') . "SELECT pgclone.preflight('$conninfo', '$schema')"));
}
my @all = qw(source_connection target_connection source_version target_version version_compat
  schema_exists_source schema_exists_target source_permissions target_permissions estimated_size
  target_database_size object_counts name_conflicts missing_extensions missing_roles missing_tablespaces lock_budget row_security);

my $r = pf('app');
is($r->{ready}, JSON::PP::true, 'ready') or diag explain $r;
is_deeply([ sort keys %{ $r->{checks} } ], [ sort @all ], 'the 18 checks');
is_deeply($r->{summary}, { errors => 0, warnings => 0, info => 1, checks_run => 18 }, 'summary');
is($r->{checks}{lock_budget}{status}, 'pass', 'lock_budget pass');
cmp_ok($r->{checks}{lock_budget}{needed}, '<', $r->{checks}{lock_budget}{capacity}, 'lock_budget numbers');
is_deeply([ sort keys %$r ], [ sort qw(schema ready summary errors warnings info checks) ], 'top-level keys');
is($r->{info}[0], 'schema "app" does not exist on target; the clone will create it', 'info message');
is($r->{checks}{schema_exists_target}{value}, JSON::PP::false, 'schema_exists_target false');
is_deeply($r->{checks}{object_counts}, { status => 'info', tables => 1, views => 1, sequences => 1, indexes => 2 }, 'object counts');
cmp_ok($r->{checks}{estimated_size}{bytes}, '>', 8192, 'estimated size');
cmp_ok($r->{checks}{target_database_size}{bytes}, '>', 1000000, 'target db size');
# source and target run the same server: the target's major
my $major = server_major($tgt);
is($r->{checks}{source_version}{major}, $major, 'source major');
like($r->{checks}{target_version}{value}, qr/^$major\./, 'target version');
is_deeply($r->{checks}{version_compat}, { status => 'pass' }, 'version compat');
is_deeply($r->{checks}{missing_extensions}, { status => 'pass', items => [], needed_unavailable => [], will_create => [], unused => [] }, 'no missing extension');

# warnings: conflicts, missing extension, roles, tablespace
my $dir = PostgreSQL::Test::Utils::tempdir();
q_source($src, qq{
CREATE EXTENSION citext;
CREATE ROLE owner_x; CREATE ROLE reader;
CREATE TABLE app.t2 (a int); ALTER TABLE app.t2 OWNER TO owner_x; GRANT SELECT ON app.t2 TO reader;
CREATE TABLESPACE ts1 LOCATION '$dir';
CREATE TABLE app.in_ts (a int) TABLESPACE ts1;
});
q_target($tgt, 'CREATE SCHEMA app; CREATE TABLE app.t (x int); CREATE VIEW app.s AS SELECT 1 AS one');
$r = pf('app');
is($r->{ready}, JSON::PP::true, 'warnings only: still ready');
is($r->{summary}{warnings}, 4, 'four warnings') or diag explain $r;
is_deeply($r->{checks}{name_conflicts}, { status => 'warn', count => 2, items => [ { name => 's', kind => 'S' }, { name => 't', kind => 'r' } ] }, 'name conflicts');
is_deeply($r->{checks}{missing_extensions}, { status => 'warn', count => 1, items => ['citext'], needed_unavailable => [], will_create => [], unused => ['citext'] }, 'missing extension');
is_deeply($r->{checks}{missing_roles}, { status => 'warn', count => 2, items => [ 'owner_x', 'reader' ] }, 'missing roles');
is_deeply($r->{checks}{missing_tablespaces}, { status => 'warn', count => 1, items => ['ts1'] }, 'missing tablespace');
my ($cw) = grep { /already exist/ } @{ $r->{warnings} };
is($cw, q{2 object name(s) already exist on target schema "app"; clone with the "conflict" option, e.g. '{"conflict": "skip"}' ("skip", "replace" or "rename")},
	'conflict warning text names the option as it is typed');
# the advice works as written: the example it gives is accepted
my ($example) = $cw =~ /e\.g\. '([^']+)'/;
is(q_target($tgt, "SELECT pgclone.table('$c', 'app', 't', false, NULL, '$example')"), 'SKIPPED: app.t already exists',
	'the advised option is one pgclone accepts, and does what it says');
like(join("\n", @{ $r->{warnings} }), qr/2 role\(s\) referenced by source schema do not exist on target/, 'roles warning text');
is($r->{checks}{schema_exists_target}{value}, JSON::PP::true, 'schema exists on target');

# issue 12: a schema of functions only, already on the target, is a conflict;
# every object kind the clone creates is checked, functions by signature
q_source($src, q{
CREATE SCHEMA fn;
CREATE FUNCTION fn.f(int) RETURNS int LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION fn.f(text) RETURNS text LANGUAGE sql AS 'SELECT $1';
CREATE PROCEDURE fn.p() LANGUAGE sql AS 'SELECT 1';
});
q_target($tgt, q{
CREATE SCHEMA fn;
CREATE FUNCTION fn.f(int) RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE PROCEDURE fn.p() LANGUAGE sql AS 'SELECT 2';
});
$r = pf('fn');
is_deeply($r->{checks}{name_conflicts}, { status => 'warn', count => 2,
	items => [ { name => 'f(integer)', kind => 'function' }, { name => 'p()', kind => 'procedure' } ] },
	'functions by signature: f(text) is no conflict') or diag explain $r->{checks}{name_conflicts};
like(target_error($tgt, "SELECT pgclone.schema('$c', 'fn')"), qr/42710/, 'and the clone does fail on them');
q_source($src, q{
CREATE SCHEMA kinds;
CREATE TYPE kinds.mood AS ENUM ('ok');
CREATE DOMAIN kinds.pos AS int CHECK (VALUE > 0);
CREATE TYPE kinds.pair AS (a int, b int);
CREATE SEQUENCE kinds.seq;
CREATE TABLE kinds.t (id serial PRIMARY KEY);
CREATE FUNCTION kinds.eq(kinds.pos, kinds.pos) RETURNS bool LANGUAGE sql AS 'SELECT $1::int = $2::int';
CREATE OPERATOR kinds.=== (FUNCTION = kinds.eq, LEFTARG = kinds.pos, RIGHTARG = kinds.pos);
CREATE TEXT SEARCH DICTIONARY kinds.dict (TEMPLATE = simple);
CREATE MATERIALIZED VIEW kinds.mv AS SELECT 1 AS one;
});
q_target($tgt, q{
CREATE SCHEMA kinds;
CREATE TYPE kinds.mood AS ENUM ('other');
CREATE DOMAIN kinds.pos AS int;
CREATE TYPE kinds.pair AS (x text);
CREATE TABLE kinds.seq (a int);
CREATE SEQUENCE kinds.t_id_seq;
CREATE FUNCTION kinds.eq(kinds.pos, kinds.pos) RETURNS bool LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR kinds.=== (FUNCTION = kinds.eq, LEFTARG = kinds.pos, RIGHTARG = kinds.pos);
CREATE TEXT SEARCH DICTIONARY kinds.dict (TEMPLATE = simple);
CREATE VIEW kinds.mv AS SELECT 2 AS two;
CREATE TABLE kinds.other (a int); CREATE INDEX t_pkey ON kinds.other (a);
});
$r = pf('kinds');
my %got = map { ("$_->{kind} $_->{name}" => 1) } @{ $r->{checks}{name_conflicts}{items} };
is_deeply([ sort keys %got ], [ sort('c pair', 'S seq', 'S t_id_seq', 'm mv', 'i t_pkey', 'enum mood',
	'domain pos', 'function eq(kinds.pos, kinds.pos)', 'operator ===', 'text search dictionary dict') ],
	'every kind the clone creates, with the kind it has on the source') or diag explain $r->{checks}{name_conflicts};
is($r->{checks}{name_conflicts}{count}, 10, 'count');
q_target($tgt, 'DROP SCHEMA kinds CASCADE; DROP SCHEMA fn CASCADE');
$r = pf('kinds');
is_deeply($r->{checks}{name_conflicts}, { status => 'pass', count => 0, items => [] }, 'no conflict once gone');

# missing schema on the source
$r = pf('nope');
is($r->{ready}, JSON::PP::false, 'missing schema: not ready');
is($r->{checks}{schema_exists_source}{status}, 'fail', 'schema_exists_source fail');
is_deeply($r->{errors}, ['schema "nope" does not exist on source'], 'error message');
is($r->{summary}{checks_run}, 10, 'dependent checks skipped');
is($r->{checks}{name_conflicts}{status}, 'skipped', 'skipped status');
is_deeply($r->{info}, ['schema "nope" does not exist on target'], 'a schema missing on the source: info does not promise to create it');
unlike(encode_json($r), qr/will be created|will create it/, 'no promise anywhere in the report');

# unreachable source: a report, not an ERROR; no password in it
my $bad = 'host=/nonexistent port=1 user=u password=topsecret';
my $raw = q_target($tgt, "SELECT pgclone.preflight('$bad', 'app')");
$r = decode_json($raw);
is($r->{ready}, JSON::PP::false, 'bad conninfo: not ready');
is($r->{checks}{source_connection}{status}, 'fail', 'source_connection fail');
like($r->{checks}{source_connection}{message}, qr/could not connect to source server/, 'remote error in the message');
unlike($raw, qr/topsecret/, 'no password in the report');
is($r->{summary}{checks_run}, 6, 'only target checks run');
is($r->{checks}{target_connection}{status}, 'pass', 'target_connection pass');
$r = pf('app', 'this is not a conninfo');
like($r->{checks}{source_connection}{message}, qr/invalid source connection string/, 'malformed conninfo reported');

# permissions, as a non-superuser with password authentication on the source
q_source($src, "CREATE ROLE pfuser LOGIN PASSWORD 'pw'");
my $hba = $src->data_dir . '/pg_hba.conf';
my $old = slurp_file($hba);
open my $fh, '>', $hba or die;
print $fh "local all pfuser scram-sha-256\n" . $old;
close $fh;
$src->reload;
q_target($tgt, "CREATE ROLE plain; GRANT USAGE ON SCHEMA pgclone TO plain; GRANT EXECUTE ON FUNCTION pgclone.preflight(text, text) TO plain");
my $pc = "$c user=pfuser password=pw";
$r = pf('app', $pc, 'SET ROLE plain;');
is($r->{checks}{source_connection}{status}, 'pass', 'non-superuser connects with a password') or diag explain $r;
is_deeply([ $r->{checks}{source_permissions}{message}, $r->{checks}{target_permissions}{message} ],
	[ 'source role lacks USAGE on schema "app"', 'target role lacks CREATE on schema "app"' ], 'permission failures');
is($r->{summary}{errors}, 2, 'two errors');
q_source($src, 'GRANT USAGE ON SCHEMA app TO pfuser; GRANT SELECT ON app.t TO pfuser');
q_target($tgt, 'GRANT CREATE ON SCHEMA app TO plain');
$r = pf('app', $pc, 'SET ROLE plain;');
is($r->{checks}{source_permissions}{message}, 'source role lacks SELECT on 4 relation(s) in schema "app"', 'SELECT missing on some relations');
is($r->{checks}{target_permissions}{status}, 'pass', 'CREATE on schema granted');
q_source($src, 'CREATE SCHEMA newschema; GRANT USAGE ON SCHEMA newschema TO pfuser');
$r = pf('newschema', $pc, 'SET ROLE plain;');
like($r->{checks}{target_permissions}{message}, qr/target role lacks CREATE on database "postgres"/, 'CREATE on database needed for a new schema');
is($r->{checks}{source_permissions}{status}, 'pass', 'source permissions pass');

# read-only, hostile names, bad input
is(q_target($tgt, "BEGIN READ ONLY; SELECT pgclone.preflight('$c', 'app')::jsonb->>'ready'; COMMIT"), 'true', 'works in a read-only transaction');
q_source($src, q{CREATE SCHEMA "x"";DROP SCHEMA app CASCADE;--"; CREATE TABLE "x"";DROP SCHEMA app CASCADE;--"."t';--" (a int)});
$r = decode_json(q_target($tgt, q{SELECT pgclone.preflight('} . $c . q{', 'x";DROP SCHEMA app CASCADE;--')}));
is($r->{checks}{object_counts}{tables}, 1, 'hostile schema inspected');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"), '1', 'hostile names changed nothing');
like(target_error($tgt, "SELECT pgclone.preflight(NULL, 'app')"), qr/22004/, 'NULL conninfo');
like(target_error($tgt, "SELECT pgclone.preflight('$c', NULL)"), qr/22004/, 'NULL schema');
done_testing();
