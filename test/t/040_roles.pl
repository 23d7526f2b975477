# pgclone.clone_roles(): attributes, password hashes (real logins), memberships,
# settings and grants (overloads, columns, sequences); updates; bad input.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair(target_conf => "log_statement = 'all'\n");
my $c = src_conninfo($src);

my $objects = q{
CREATE SCHEMA app;
CREATE TABLE app.t (id int, v text, w text);
CREATE SEQUENCE app.s;
CREATE VIEW app.v AS SELECT id FROM app.t;
CREATE FUNCTION app.f(integer) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION app.f(text) RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE PROCEDURE app.p(int) LANGUAGE sql AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION app.f(integer), app.f(text) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE app.p(int) FROM PUBLIC;
};
q_source($src, $objects . q{
CREATE TABLE app.only_on_source (a int);
CREATE ROLE r_all WITH LOGIN SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS NOINHERIT
  CONNECTION LIMIT 7 VALID UNTIL '2099-01-01 00:00:00+00' PASSWORD 'secret one';
CREATE ROLE app_user LOGIN PASSWORD 'app pw';
SET password_encryption = 'md5';
CREATE ROLE md5_user LOGIN PASSWORD 'md5 pw';
RESET password_encryption;
CREATE ROLE grp NOLOGIN;
CREATE ROLE "evil""; DROP SCHEMA app CASCADE; --" NOLOGIN;
GRANT grp TO app_user WITH ADMIN OPTION;
GRANT grp TO md5_user;
GRANT pg_read_all_data TO app_user;
ALTER ROLE app_user SET search_path = app, "$user";
ALTER ROLE app_user SET work_mem = '8MB';
ALTER ROLE app_user IN DATABASE postgres SET statement_timeout = '5s';
ALTER ROLE app_user IN DATABASE template1 SET statement_timeout = '6s';
GRANT USAGE, CREATE ON SCHEMA app TO app_user;
GRANT SELECT, INSERT ON app.t TO app_user WITH GRANT OPTION;
GRANT SELECT ON app.v TO md5_user;
GRANT UPDATE (v) ON app.t TO grp;
GRANT USAGE ON SEQUENCE app.s TO app_user;
GRANT EXECUTE ON FUNCTION app.f(integer) TO app_user;
GRANT EXECUTE ON FUNCTION app.f(text) TO md5_user;
GRANT EXECUTE ON PROCEDURE app.p(int) TO grp;
GRANT SELECT ON app.t TO "evil""; DROP SCHEMA app CASCADE; --";
GRANT SELECT ON app.only_on_source TO app_user;
CREATE TYPE app.src_only_type AS (a int);
CREATE FUNCTION app.g(app.src_only_type) RETURNS int LANGUAGE sql AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION app.g(app.src_only_type) TO app_user;
});
q_target($tgt, $objects . q{
CREATE ROLE app_user CREATEDB CONNECTION LIMIT 1 VALID UNTIL '2000-01-01' PASSWORD 'old pw';
});

my ($ret, $out, $err) = $tgt->psql('postgres', "SELECT pgclone.clone_roles('$c')");
is($out, 'OK: 4 roles created, 1 roles updated, 14 grants applied', 'clone all roles') or diag $err;
like($err, qr/2 grant\(s\) skipped/, 'grants on missing objects (table; routine whose argument type is missing) skipped with a NOTICE');

my $authid = q{SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
  rolbypassrls, rolconnlimit, coalesce(rolvaliduntil, 'infinity'), rolpassword FROM pg_authid
  WHERE rolname NOT LIKE 'pg\_%' AND oid <> 10 ORDER BY rolname COLLATE "C"};
is(q_target($tgt, $authid), q_source($src, $authid), 'attributes and password hashes identical (no expiry = infinity)');
like(q_target($tgt, "SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_user'"), qr/^md5/, 'md5 hash kept as md5');
like(q_target($tgt, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_user'"), qr/^SCRAM-SHA-256\$/, 'scram hash kept');

my $members = q{SELECT r.rolname, m.rolname, am.admin_option FROM pg_auth_members am
  JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member ORDER BY 1, 2};
is(q_target($tgt, $members), q_source($src, $members), 'memberships with ADMIN OPTION');

my $settings = q{SELECT r.rolname, coalesce(d.datname, '-'), s.setconfig FROM pg_db_role_setting s
  JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase ORDER BY 1, 2};
is(q_target($tgt, $settings), q_source($src, $settings), 'role settings (incl. list-quoted search_path, IN DATABASE)');

my $acls = q{SELECT 'nsp', nspacl::text FROM pg_namespace WHERE nspname = 'app'
  UNION ALL SELECT relname, relacl::text FROM pg_class WHERE relnamespace = 'app'::regnamespace AND relname IN ('t', 's', 'v')
  UNION ALL SELECT 'col ' || attname, attacl::text FROM pg_attribute WHERE attrelid = 'app.t'::regclass AND attnum > 0
  UNION ALL SELECT oid::regprocedure::text, proacl::text FROM pg_proc WHERE pronamespace = 'app'::regnamespace AND proname <> 'g'
  ORDER BY 1, 2};
is(q_target($tgt, $acls), q_source($src, $acls), 'grants on schema, tables, columns, sequences, overloaded routines');
is(q_target($tgt, "SELECT has_function_privilege('app_user', 'app.f(text)', 'EXECUTE')"), 'f', 'overload not granted');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"), '1', 'hostile role name changed nothing');
is(q_target($tgt, q{SELECT has_table_privilege('evil"; DROP SCHEMA app CASCADE; --', 'app.t', 'SELECT')}), 't', 'hostile role cloned with its grant');

# real logins with the cloned passwords
my $hba = $tgt->data_dir . '/pg_hba.conf';
my $old = slurp_file($hba);
open my $fh, '>', $hba or die;
print $fh "local all app_user scram-sha-256\nlocal all md5_user md5\n" . $old;
close $fh;
$tgt->reload;
{
	local $ENV{PGPASSWORD} = 'app pw';
	my ($r, $o, $e) = $tgt->psql('postgres', 'SELECT current_user', extra_params => [ '-U', 'app_user' ]);
	is($o, 'app_user', 'scram login with the source password') or diag $e;
	$ENV{PGPASSWORD} = 'old pw';
	($r, $o, $e) = $tgt->psql('postgres', 'SELECT current_user', extra_params => [ '-U', 'app_user' ]);
	like($e, qr/password authentication failed/, 'old target password no longer works');
	$ENV{PGPASSWORD} = 'md5 pw';
	($r, $o, $e) = $tgt->psql('postgres', 'SELECT current_user', extra_params => [ '-U', 'md5_user' ]);
	is($o, 'md5_user', 'md5 login with the source password') or diag $e;
}

# no hash in the target's log (log_statement = all) nor in messages
my $log = slurp_file($tgt->logfile);
unlike($log, qr/SCRAM-SHA-256\$|md5[0-9a-f]{32}/, 'no password hash in the server log');
unlike($err, qr/SCRAM|md5[0-9a-f]/, 'no password hash in NOTICEs');

# run again: everything updated, grants re-applied idempotently
is(q_target($tgt, "SELECT pgclone.clone_roles('$c')"), 'OK: 0 roles created, 5 roles updated, 14 grants applied', 'second run updates');
is(q_target($tgt, $acls), q_source($src, $acls), 'grants unchanged by a second run');

# a list of roles, spaces trimmed; existing grants on target are never revoked
q_source($src, "CREATE ROLE late1; CREATE ROLE late2 LOGIN; CREATE ROLE late3; GRANT SELECT ON app.v TO late2");
q_target($tgt, "GRANT SELECT ON app.s TO app_user");
is(q_target($tgt, "SELECT pgclone.clone_roles('$c', ' late1 ,late2 ')"), 'OK: 2 roles created, 0 roles updated, 1 grants applied', 'role list');
is(q_target($tgt, "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'late%'"), 'late1,late2', 'only listed roles');
is(q_target($tgt, "SELECT pgclone.clone_roles('$c', 'app_user')"), 'OK: 0 roles created, 1 roles updated, 8 grants applied', 'single role');
is(q_target($tgt, "SELECT has_sequence_privilege('app_user', 'app.s', 'SELECT')"), 't', 'target-only grant kept');

# a grant the target rejects (circular membership) is skipped, the rest goes on
q_target($tgt, "CREATE ROLE cyc1; CREATE ROLE cyc2; GRANT cyc1 TO cyc2");
q_source($src, "CREATE ROLE cyc1; CREATE ROLE cyc2 LOGIN; GRANT cyc2 TO cyc1; GRANT SELECT ON app.t TO cyc2");
($ret, $out, $err) = $tgt->psql('postgres', "SELECT pgclone.clone_roles('$c', 'cyc1,cyc2')");
is($out, 'OK: 0 roles created, 2 roles updated, 1 grants applied', 'rejected grant skipped') or diag $err;
like($err, qr/skipped membership of "cyc1" in "cyc2"/, 'NOTICE names the skipped membership');
is(q_target($tgt, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'cyc2'"), 't', 'work before the failed grant kept');

# the current user is never altered
q_target($tgt, "CREATE ROLE admin2 SUPERUSER LOGIN");
q_source($src, "CREATE ROLE admin2 NOSUPERUSER NOLOGIN");
($ret, $out, $err) = $tgt->psql('postgres', "SELECT pgclone.clone_roles('$c', 'admin2')", extra_params => [ '-U', 'admin2' ]);
is($out, 'OK: 0 roles created, 0 roles updated, 0 grants applied', 'current user skipped');
like($err, qr/current user or the bootstrap superuser/, 'NOTICE for the current user');
is(q_target($tgt, "SELECT rolsuper AND rolcanlogin FROM pg_roles WHERE rolname = 'admin2'"), 't', 'current user unchanged');

# bad input
my $boot = q_source($src, 'SELECT rolname FROM pg_authid WHERE oid = 10');
like(target_error($tgt, "SELECT pgclone.clone_roles('$c', 'late1, nosuch')"), qr/42704.*role "nosuch" does not exist on the source/, 'unknown role named');
like(target_error($tgt, "SELECT pgclone.clone_roles('$c', 'pg_monitor')"), qr/22023.*system role/, 'pg_* role refused');
like(target_error($tgt, "SELECT pgclone.clone_roles('$c', '$boot')"), qr/22023.*system role/, 'bootstrap superuser refused');
like(target_error($tgt, "SELECT pgclone.clone_roles('$c', 'late1,,late2')"), qr/22023.*empty role name/, 'empty name');
like(target_error($tgt, "SELECT pgclone.clone_roles(NULL)"), qr/22004/, 'NULL conninfo');
like(target_error($tgt, "SELECT pgclone.clone_roles('$c', NULL)"), qr/22004/, 'NULL role list');
q_source($src, "CREATE ROLE plainsrc LOGIN");
# a source role that cannot read pg_authid: no hashes, said so (044_source_roles.pl)
($ret, $out, $err) = $tgt->psql('postgres', "SELECT pgclone.clone_roles('$c user=plainsrc')");
like($out, qr/^OK: .*; passwords not cloned: the source role cannot read pg_authid/, 'source not superuser: cloned without password hashes') or diag $err;
like($err, qr/NOTICE:  pgclone.clone_roles\(\): password hashes not cloned/, 'source not superuser: NOTICE');
q_target($tgt, "CREATE ROLE plaintgt LOGIN; GRANT USAGE ON SCHEMA pgclone TO plaintgt; GRANT EXECUTE ON FUNCTION pgclone.clone_roles(text) TO plaintgt");
like(target_error($tgt, "SET ROLE plaintgt; SELECT pgclone.clone_roles('$c password=x')"), qr/42501.*requires superuser on the target/, 'target not superuser');
like(target_error($tgt, "SELECT pgclone.clone_roles('host=/nonexistent port=1 password=topsecret')"), qr/08001/, 'bad conninfo');
unlike(target_error($tgt, "SELECT pgclone.clone_roles('host=/nonexistent port=1 password=topsecret')"), qr/topsecret/, 'conninfo password not echoed');
like(target_error($tgt, "BEGIN READ ONLY; SELECT pgclone.clone_roles('$c')"), qr/25006/, 'refused in a read-only transaction');
done_testing();
