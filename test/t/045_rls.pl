# A source role that row-level security filters.  pgclone reads with
# row_security = off (as pg_dump), so such a table cannot be cloned whole:
# preflight() reports it as an error naming the tables and the fix, and the
# clone's own error names the fix.  Exempt: BYPASSRLS roles, superusers, the
# table's owner unless the table forces row-level security.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
q_source($src, q{
  CREATE ROLE reader LOGIN PASSWORD 'reader secret';
  CREATE ROLE bypasser LOGIN PASSWORD 'bypass secret' BYPASSRLS;
  CREATE SCHEMA app;
  GRANT USAGE ON SCHEMA app TO reader, bypasser;
  CREATE TABLE app.accounts (id int PRIMARY KEY, owner_name text);
  INSERT INTO app.accounts SELECT g, CASE WHEN g % 2 = 0 THEN 'reader' ELSE 'other' END FROM generate_series(1, 10) g;
  ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
  CREATE POLICY mine ON app.accounts USING (owner_name = current_user);
  CREATE TABLE app.notes (id int PRIMARY KEY, body text);
  INSERT INTO app.notes VALUES (1, 'n');
  CREATE TABLE app.own (id int PRIMARY KEY);
  INSERT INTO app.own VALUES (1), (2);
  ALTER TABLE app.own ENABLE ROW LEVEL SECURITY;
  ALTER TABLE app.own OWNER TO reader;
  CREATE TABLE app.own_forced (id int PRIMARY KEY);
  ALTER TABLE app.own_forced ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
  ALTER TABLE app.own_forced OWNER TO reader;
  GRANT SELECT ON ALL TABLES IN SCHEMA app TO reader, bypasser;
});
my $reader = src_conninfo($src, 'postgres', 'user=reader password=readerpw');
my $bypass = src_conninfo($src, 'postgres', 'user=bypasser password=bypasspw');

# --- preflight ---------------------------------------------------------------
my $r = decode_json(q_target($tgt, "SELECT pgclone.preflight('$reader', 'app')"));
is($r->{ready}, JSON::PP::false, 'preflight as the filtered role: not ready');
is($r->{checks}{row_security}{status}, 'fail', 'row_security check fails');
is_deeply($r->{checks}{row_security}{items}, [ 'app.accounts', 'app.own_forced' ],
	'it names the filtered tables (not the one the role owns, nor one without RLS)');
my ($msg) = grep { /row-level security/ } @{ $r->{errors} };
like($msg // '', qr/row-level security on 2 table\(s\): app\.accounts, app\.own_forced .*BYPASSRLS.*owner.*\{"row_security": true\}/,
	'the error names the tables and what to do');

$r = decode_json(q_target($tgt, "SELECT pgclone.preflight('$bypass', 'app')"));
is($r->{checks}{row_security}{status}, 'pass', 'preflight as a BYPASSRLS role: row_security passes');
is($r->{ready}, JSON::PP::true, 'and it is ready') or diag(encode_json($r->{errors}));
$r = decode_json(q_target($tgt, "SELECT pgclone.preflight('" . src_conninfo($src) . "', 'app')"));
is($r->{checks}{row_security}{status}, 'pass', 'preflight as a superuser: row_security passes');

# --- the clone ---------------------------------------------------------------
my $err = target_error($tgt, "SELECT pgclone.schema('$reader', 'app', true)");
like($err, qr/ERROR:  42501: query would be affected by row-level security policy for table "(accounts|own_forced)"/,
	'schema() as the filtered role: the source\'s error') or diag($err);
like($err, qr/HINT:  Row-level security filters app\.\w+ for the source role: connect as a role with BYPASSRLS \(ALTER ROLE \.\.\. BYPASSRLS\) or as the table's owner.*\{"row_security": true\}; pgclone\.preflight\(\)/,
	'its hint names the fix') or diag($err);
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"), '0', 'nothing left behind');

$err = target_error($tgt, "SELECT pgclone.table('$reader', 'app', 'accounts', true)");
like($err, qr/42501.*\n(.*\n)*HINT:  Row-level security filters app\.accounts/, 'table() as the filtered role: the same hint') or diag($err);

$err = target_error($tgt, "SELECT pgclone.table('$reader', 'app', 'own', true)");
is($err, '', 'a table the role owns (RLS not forced) clones');
is(q_target($tgt, 'SELECT count(*) FROM app.own'), '2', 'all its rows');
q_target($tgt, 'DROP SCHEMA app CASCADE');

# "row_security": true clones what the role sees, as pg_dump --enable-row-security
$err = target_error($tgt, qq{SELECT pgclone.schema('$reader', 'app', true, '{"row_security": true}')});
is($err, '', 'schema() as the filtered role with {"row_security": true} succeeds');
is(q_target($tgt, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM app.accounts'), '2,4,6,8,10', 'only the rows the policy shows the role');
is(q_target($tgt, 'SELECT count(*) FROM app.notes'), '1', 'a table without RLS whole');
is(q_target($tgt, 'SELECT count(*) FROM app.own'), '2', 'the table it owns whole');
is(q_target($tgt, 'SELECT count(*) FROM app.own_forced'), '0', 'forced RLS without a policy: no row');
q_target($tgt, 'DROP SCHEMA app CASCADE');
$err = target_error($tgt, qq{SELECT pgclone.table('$reader', 'app', 'accounts', true, 'acc', '{"row_security": true}')});
is($err, '', 'table() with {"row_security": true}');
is(q_target($tgt, 'SELECT count(*) FROM app.acc'), '5', 'table(): the visible rows');
q_target($tgt, 'DROP SCHEMA app CASCADE');
my $id = q_target($tgt, qq{SELECT pgclone.schema_async('$reader', 'app', true, '{"parallel": 2, "row_security": true}')});
is(wait_job($tgt, $id), 'completed', 'schema_async with {"row_security": true} (the option reaches the workers)');
is(q_target($tgt, 'SELECT count(*) FROM app.accounts'), '5', 'async: the visible rows');
q_target($tgt, 'DROP SCHEMA app CASCADE');
like(target_error($tgt, qq{SELECT pgclone.schema('$reader', 'app', true, '{"row_security": "yes"}')}),
	qr/22023: pgclone option "row_security" must be a boolean/, 'row_security must be a boolean');

$err = target_error($tgt, "SELECT pgclone.schema('$bypass', 'app', true)");
is($err, '', 'schema() as a BYPASSRLS role succeeds');
is(checksum($tgt, 'postgres', 'app.accounts'), checksum($src, 'postgres', 'app.accounts'), 'every row, not only the visible ones');

done_testing();
