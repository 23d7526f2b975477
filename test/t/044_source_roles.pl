# The whole function set run against a source as the roles production gives:
#  - a managed-service master role (RDS, Cloud SQL, Azure): owns the
#    database and its objects, CREATEDB CREATEROLE, no superuser;
#  - a SELECT-only role: CONNECT, USAGE on the schema, SELECT on its tables.
# What works, and what gives which clear error.  clone_roles() from the
# master role clones attributes, memberships, settings and grants without
# the password hashes (NOTICE, and said in the result); from a superuser with
# the hashes, or without them on purpose ({"passwords": false}).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
q_source($src, q{
  CREATE ROLE master LOGIN PASSWORD 'master pw' CREATEDB CREATEROLE;
  CREATE DATABASE appdb OWNER master;
});
# what the master role builds in its database, as on a managed service
$src->safe_psql('appdb', q{
  SET ROLE master;
  CREATE SCHEMA app;
  CREATE TABLE app.customers (id serial PRIMARY KEY, email text, full_name text);
  CREATE TABLE app.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id int REFERENCES app.customers, total numeric(10,2));
  CREATE INDEX ON app.orders (customer_id);
  CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 50;
  CREATE FUNCTION app.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM app.orders';
  INSERT INTO app.customers (email, full_name) SELECT 'u' || g || '@example.com', 'User ' || g FROM generate_series(1, 50) g;
  INSERT INTO app.orders (customer_id, total) SELECT 1 + g % 50, g FROM generate_series(1, 200) g;
  CREATE ROLE app_rw LOGIN PASSWORD 'rw pw' CONNECTION LIMIT 5;
  CREATE ROLE app_group NOLOGIN;
  GRANT app_group TO app_rw;
  ALTER ROLE app_rw SET work_mem = '16MB';
  GRANT USAGE ON SCHEMA app TO app_group;
  GRANT SELECT, INSERT ON app.orders TO app_rw;
  GRANT SELECT (email) ON app.customers TO app_group;
  CREATE ROLE reader LOGIN PASSWORD 'reader pw';
  GRANT CONNECT ON DATABASE appdb TO reader;
  GRANT USAGE ON SCHEMA app TO reader;
  GRANT SELECT ON ALL TABLES IN SCHEMA app TO reader;
});
is(q_source($src, "SELECT rolsuper FROM pg_roles WHERE rolname = 'master'"), 'f', 'the master role is no superuser');

my %conn = (
	master => src_conninfo($src, 'appdb', "user=master password='master pw'"),
	reader => src_conninfo($src, 'appdb', "user=reader password='reader pw'"),
);
my $super = src_conninfo($src, 'appdb');

# run SQL in a target database: (output, stderr)
sub run
{
	my ($db, $sql) = @_;
	my ($rc, $out, $err) = $tgt->psql($db, "\\set VERBOSITY verbose\n$sql");
	return ($out, $err);
}

# clone_roles() from a role that cannot read pg_authid: everything but the hashes
sub roles_without_hashes
{
	my ($who, $db) = @_;
	my $v = "[$who]";
	my ($out, $err) = run($db, "SELECT pgclone.clone_roles('$conn{$who}', 'master, app_rw, app_group, reader')");
	like($out, qr/^OK: \d+ roles created, \d+ roles updated, \d+ grants applied; passwords not cloned: the source role cannot read pg_authid/,
		"$v clone_roles(): without password hashes, said in the result") or diag($err);
	like($err, qr/NOTICE:  00000: pgclone.clone_roles\(\): password hashes not cloned/, "$v clone_roles(): NOTICE");
	is(q_target($tgt, "SELECT rolcanlogin::text || ' ' || rolconnlimit || ' ' || (rolpassword IS NULL)::text FROM pg_authid WHERE rolname = 'app_rw'"),
		'true 5 true', "$v clone_roles(): attributes, no password");
	is(q_target($tgt, "SELECT rolcreatedb::text || ' ' || rolcreaterole::text FROM pg_authid WHERE rolname = 'master'"),
		'true true', "$v clone_roles(): CREATEDB CREATEROLE of the master role");
	is(q_target($tgt, "SELECT pg_has_role('app_rw', 'app_group', 'MEMBER')"), 't', "$v clone_roles(): membership");
	is(q_target($tgt, "SELECT setconfig::text FROM pg_db_role_setting WHERE setrole = 'app_rw'::regrole"), '{work_mem=16MB}',
		"$v clone_roles(): settings");
}

# every other function, into target database $db
sub function_set
{
	my ($who, $db, $ddb) = @_;
	my $c = $conn{$who};
	my $v = "[$who]";
	my ($out, $err) = run($db, "SELECT pgclone.table('$c', 'app', 'customers', true, 'cust_copy')");
	like($out, qr/^OK/, "$v table()") or diag($err);
	is(checksum($tgt, $db, 'app.cust_copy'), checksum($src, 'appdb', 'app.customers'), "$v table(): rows");
	q_target($tgt, 'DROP SCHEMA app CASCADE', $db);

	($out, $err) = run($db, "SELECT pgclone.schema('$c', 'app', true)");
	like($out, qr/^OK/, "$v schema()") or diag($err);
	is(checksum($tgt, $db, 'app.orders'), checksum($src, 'appdb', 'app.orders'), "$v schema(): rows");
	is(q_target($tgt, "SELECT has_table_privilege('app_rw', 'app.orders', 'INSERT') AND has_column_privilege('app_group', 'app.customers', 'email', 'SELECT')", $db),
		't', "$v schema(): the grants to the cloned roles");
	is(q_target($tgt, "SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND tablename = 'orders'", $db), 'master',
		"$v schema(): owned by the master role");

	($out, $err) = run($db, qq{SELECT count(*) FILTER (WHERE match <> '\xe2\x9c\x93') FROM pgclone.verify('$c', 'app', '{"exact": true}')});
	is($out, '0', "$v verify(): every table matches") or diag($err);

	($out, $err) = run($db, "SELECT pgclone.diff('$c', 'app')");
	like($out, qr/"in_sync": true/, "$v diff(): in sync") or diag("$out $err");

	($out, $err) = run($db, "SELECT pgclone.preflight('$c', 'app')::jsonb->>'ready'");
	is($out, 'true', "$v preflight(): ready") or diag($err);

	($out, $err) = run($db, "SELECT pgclone.discover_sensitive('$c', 'app')");
	like($out, qr/email/, "$v discover_sensitive() finds the email column") or diag($err);

	($out, $err) = run($ddb, "SELECT pgclone.database('$c', true)");
	like($out, qr/^OK/, "$v database()") or diag($err);
	is(checksum($tgt, $ddb, 'app.customers'), checksum($src, 'appdb', 'app.customers'), "$v database(): rows");
}

for my $who ('master', 'reader')
{
	$tgt->safe_psql('postgres', "CREATE DATABASE t_$who; CREATE DATABASE d_$who");
	$tgt->safe_psql("t_$who", 'CREATE EXTENSION pgclone');
	$tgt->safe_psql("d_$who", 'CREATE EXTENSION pgclone');
}

# --- the managed-service master role: everything works, roles without hashes ---
roles_without_hashes('master', 't_master');
function_set('master', 't_master', 'd_master');

# --- the SELECT-only role: no SELECT on the sequences is a clear error ----------
{
	my $c = $conn{reader};
	my $pf = decode_json(q_target($tgt, "SELECT pgclone.preflight('$c', 'app')", 't_reader'));
	is($pf->{ready}, JSON::PP::false, '[reader] preflight(): not ready without SELECT on the sequences');
	like($pf->{checks}{source_permissions}{message}, qr/lacks SELECT on 2 relation\(s\) in schema "app"/,
		'[reader] preflight(): source_permissions says why');
	is_deeply($pf->{checks}{source_permissions}{items}, [ 'app.customers_id_seq', 'app.orders_id_seq' ],
		'[reader] preflight(): and names the sequences');
	for my $sql ("SELECT pgclone.table('$c', 'app', 'customers', true, 'cust_copy')",
		"SELECT pgclone.schema('$c', 'app', true)", "SELECT pgclone.database('$c', true)")
	{
		my ($name) = $sql =~ /pgclone\.(\w+)/;
		my $err = target_error($tgt, $sql, $name eq 'database' ? 'd_reader' : 't_reader');
		like($err, qr/ERROR:  42501: permission denied for sequence customers_id_seq/, "[reader] $name(): 42501 naming the sequence") or diag($err);
		like($err, qr/HINT:  .*GRANT SELECT ON ALL SEQUENCES IN SCHEMA .*pgclone\.preflight\(\)/, "[reader] $name(): the hint names the grant");
	}
	is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'", 't_reader'), '0', '[reader] nothing left behind');
}
q_source($src, 'GRANT SELECT ON ALL SEQUENCES IN SCHEMA app TO reader', 'appdb');
roles_without_hashes('reader', 't_reader');
function_set('reader', 't_reader', 'd_reader');
for my $db ('t_master', 'd_master', 't_reader', 'd_reader')
{
	q_target($tgt, 'DROP OWNED BY master, app_rw, app_group, reader CASCADE', $db);
}
q_target($tgt, 'DROP OWNED BY master, app_rw, app_group, reader CASCADE; DROP ROLE master, app_rw, app_group, reader');

# --- clone_roles() with the hashes, and without them on purpose -------------------
$tgt->safe_psql('postgres', 'CREATE SCHEMA app; CREATE TABLE app.orders (id int)');
my ($out, $err) = run('postgres', "SELECT pgclone.clone_roles('$super', 'app_rw')");
like($out, qr/^OK: 1 roles created, 0 roles updated, \d+ grants applied$/, 'superuser source: the hash is cloned, result says nothing missing') or diag($err);
is(q_target($tgt, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_rw'"),
	q_source($src, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_rw'"), 'the same hash');
($out, $err) = run('postgres', qq{SELECT pgclone.clone_roles('$super', 'app_rw', '{"passwords": false}')});
like($out, qr/^OK: 0 roles created, 1 roles updated, .*; passwords not cloned: the "passwords" option is false$/, '{"passwords": false}: said in the result') or diag($err);
is(q_target($tgt, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_rw'"),
	q_source($src, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_rw'"), 'an existing role keeps its password');
q_target($tgt, 'DROP OWNED BY app_rw; DROP ROLE app_rw');
($out, $err) = run('postgres', qq{SELECT pgclone.clone_roles('$super', NULL, '{"passwords": false}')});
like($out, qr/^OK: \d+ roles created/, 'every role (NULL role_names) without passwords') or diag($err);
is(q_target($tgt, "SELECT count(*) FROM pg_authid WHERE rolname IN ('app_rw', 'master', 'reader') AND rolpassword IS NULL"), '3',
	'none of them got a password');
unlike($err, qr/master pw|reader pw|rw pw/, 'no password in any message');

# a non-superuser that may read pg_authid (GRANT SELECT ON pg_authid): hashes
q_target($tgt, 'DROP OWNED BY app_rw; DROP ROLE app_rw');
q_source($src, 'GRANT SELECT ON pg_authid TO master', 'appdb');
($out, $err) = run('postgres', "SELECT pgclone.clone_roles('$conn{master}', 'app_rw')");
like($out, qr/^OK: 1 roles created, 0 roles updated, \d+ grants applied$/, 'master role granted SELECT on pg_authid: nothing left out') or diag($err);
is(q_target($tgt, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_rw'"),
	q_source($src, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_rw'"), 'and the hash is cloned');
q_source($src, 'REVOKE SELECT ON pg_authid FROM master', 'appdb');

# bad options
like(target_error($tgt, qq{SELECT pgclone.clone_roles('$super', NULL, '{"password": false}')}),
	qr/22023: unknown pgclone.clone_roles\(\) option "password"\nHINT:  Valid options are: passwords\./, 'unknown option');
like(target_error($tgt, qq{SELECT pgclone.clone_roles('$super', NULL, '{"passwords": "no"}')}),
	qr/22023: pgclone.clone_roles\(\) option "passwords" must be a boolean/, 'not a boolean');
like(target_error($tgt, qq{SELECT pgclone.clone_roles('$super', NULL, '[1]')}), qr/22023: .*must be a JSON object/, 'not an object');
like(target_error($tgt, qq{SELECT pgclone.clone_roles('$super', NULL, 'nope')}), qr/22P02/, 'not JSON');

done_testing();
