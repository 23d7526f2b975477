# Strict mode (issue 23): "require_masks" and pgclone.require_masks refuse a
# clone that leaves a sensitive-looking column unmasked, before anything is
# created, listing every such column; "allow_unmasked" lets named ones pass.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

q_source($src, q{
CREATE SCHEMA hr;
CREATE TABLE hr.employees (id int PRIMARY KEY, full_name text, email text, ssn text, salary int, team text);
INSERT INTO hr.employees VALUES (1, 'Ann Lee', 'ann@corp.test', '123-45-6789', 100, 'a');
CREATE TABLE hr.teams (id int PRIMARY KEY, title text);
});

my $tbl = sub { "SELECT pgclone.table('$c', 'hr', 'employees', true, 'employees', '$_[0]')" };

like(target_error($tgt, $tbl->('{"require_masks": true, "mask": {"full_name": "fake_name", "email": "fake_email", "salary": "random_int"}}')),
	qr/22023: require_masks: 1 sensitive column is neither masked nor allowed: hr\.employees\.ssn/,
	'an unmasked ssn is refused and named');
my $err = target_error($tgt, $tbl->('{"require_masks": true}'));
like($err, qr/4 sensitive columns are neither masked nor allowed: hr\.employees\.full_name, hr\.employees\.email, hr\.employees\.ssn, hr\.employees\.salary/,
	'every unmasked sensitive column is listed');
like($err, qr/HINT:.*allow_unmasked/, 'the hint names "allow_unmasked"');
is(q_target($tgt, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'hr'}), '0', 'nothing was created');

like(q_target($tgt, $tbl->('{"require_masks": true, "mask": {"full_name": "fake_name", "email": "fake_email", "salary": "random_int"},'
	  . ' "allow_unmasked": ["hr.employees.ssn"]}')),
	qr/^OK: cloned hr\.employees/, '"allow_unmasked" lets a named column through');
q_target($tgt, 'DROP SCHEMA hr CASCADE');
like(q_target($tgt, $tbl->('{"require_masks": true, "mask": {"full_name": "fake_name", "email": "fake_email", "salary": "random_int", "ssn": "null"}}')),
	qr/^OK:/, 'every sensitive column masked: cloned');
q_target($tgt, 'DROP SCHEMA hr CASCADE');
like(q_target($tgt, $tbl->('{"require_masks": true, "columns": ["id", "team"]}')),
	qr/^OK:/, 'columns left out by "columns" need no mask');
q_target($tgt, 'DROP SCHEMA hr CASCADE');

# the server-wide rule
q_target($tgt, 'ALTER SYSTEM SET pgclone.require_masks = on; SELECT pg_reload_conf()');
q_source($src, "ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf()");
my $logpos = -s $src->logfile;
like(target_error($tgt, "SELECT pgclone.schema('$c', 'hr', true)"),
	qr/22023: require_masks: 4 sensitive columns/, 'pgclone.require_masks = on refuses a schema clone');
unlike(substr(slurp_file($src->logfile), $logpos), qr/COPY \(SELECT/, 'refused before any row was read');
q_source($src, "ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf()");
like(target_error($tgt, "SELECT pgclone.schema('$c', 'hr', true, '{\"mask\": {\"employees\": {\"ssn\": \"null\"}}}')"),
	qr/3 sensitive columns are neither masked nor allowed: hr\.employees\.full_name, hr\.employees\.email, hr\.employees\.salary/,
	'masks of a schema clone count');
like(target_error($tgt, "SELECT pgclone.database_create('$c', 'copydb', true, '{\"mask\": {\"employees\": {\"ssn\": \"null\"}}}')", 'postgres'),
	qr/require_masks: 3 sensitive columns/, 'database_create() too');
is(q_target($tgt, q{SELECT count(*) FROM pg_database WHERE datname = 'copydb'}), '0', 'no database left behind');
q_target($tgt, q{CREATE ROLE alice LOGIN});
like(target_error($tgt, "SET ROLE alice; SET pgclone.require_masks = off"),
	qr/42501: permission denied to set parameter "pgclone.require_masks"/, 'a non-superuser cannot turn the rule off');
like(q_target($tgt, "SELECT pgclone.table('$c', 'hr', 'teams', true, 'teams', '{\"require_masks\": false}')"),
	qr/^OK:/, 'a superuser may turn it off for one call');
q_target($tgt, 'ALTER SYSTEM RESET pgclone.require_masks; SELECT pg_reload_conf()');

like(target_error($tgt, $tbl->('{"require_masks": "yes"}')), qr/22023: .*require_masks/, 'require_masks must be a boolean');
like(target_error($tgt, $tbl->('{"allow_unmasked": "hr.employees.ssn"}')), qr/22023: .*allow_unmasked/, 'allow_unmasked must be an array');

done_testing();
