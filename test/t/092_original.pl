# Taking over an installed original pgclone (4.4.2, and 4.3.0 whose objects
# are the same) in place, as a DBA does it: the original's SQL objects are in
# the database (test/fixtures/original_4_4_2.sql, written from their facts,
# installed with the original's control file: no schema, so the extension
# lives in public and its script creates schema pgclone), users built on
# them (grants on its functions and jobs_view, a masking policy made as its
# create_masking_policy() makes them), then our files replace its files,
# the server restarts, ALTER EXTENSION pgclone UPDATE.  Afterwards: our
# current version, objects equal to a fresh install's (plus the users'
# grants), nothing of the original left, the policy still masks and our
# drop_masking_policy() removes it, every function works as ours, and
# pg_dump of the database restores.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;
use PgcloneRelease;

my $extversion = tree_version('extversion');
my $library = tree_version('library');
my $tmp = PostgreSQL::Test::Utils::tempdir();
my @ours = make_install_staged('.', "$tmp/stage");
my $inst = private_install("$tmp/pg");
remove_pgclone($inst);

# ---- the original installed: its control file and its 4.4.2 objects ----
# Its library is not ours to have: the objects name C symbols, which our
# library provides, so that a database with them can load it and update.
install_tree(@ours, $inst);
unlink glob("$inst->{extdir}/pgclone*");
PostgreSQL::Test::Utils::append_to_file("$inst->{extdir}/pgclone.control",
	"comment = 'the original pgclone'\ndefault_version = '4.4.2'\n"
	  . "module_pathname = '\$libdir/pgclone'\nrelocatable = false\nsuperuser = true\n");
my $fixture = slurp_file('test/fixtures/original_4_4_2.sql');
PostgreSQL::Test::Utils::append_to_file("$inst->{extdir}/pgclone--$_.sql", $fixture) for qw(4.4.2 4.3.0);

my $src = PostgreSQL::Test::Cluster->new('source');
$src->init;
$src->start;
q_source($src, q{
CREATE TABLE items (id int PRIMARY KEY, v text);
INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 300) g;
});
my $c = src_conninfo($src);

my $tgt = PostgreSQL::Test::Cluster->new('target', install_path => $inst->{install_path});
$tgt->init;
$tgt->append_conf('postgresql.conf', "shared_preload_libraries = 'pgclone'\nmax_worker_processes = 16\n");
$tgt->start;

q_target($tgt, 'CREATE EXTENSION pgclone');
q_target($tgt, 'CREATE DATABASE older');
q_target($tgt, "CREATE EXTENSION pgclone VERSION '4.3.0'", 'older');
is(q_target($tgt, "SELECT extversion, extnamespace::regnamespace FROM pg_extension WHERE extname = 'pgclone'"),
	'4.4.2|public', "the original's 4.4.2, in schema public as its control file puts it");
is(q_target($tgt, q{SELECT count(*) FROM pg_depend WHERE classid = 'pg_namespace'::regclass
  AND objid = 'pgclone'::regnamespace AND deptype = 'e'}), '1', "schema pgclone is a member, as its script made it");

# what users built on it: grants, and a masking policy as the original makes one
q_target($tgt, q{
CREATE ROLE monitor;
CREATE ROLE cloner;
CREATE ROLE data_admin;
CREATE ROLE reader;
GRANT USAGE ON SCHEMA pgclone TO monitor;
GRANT SELECT ON pgclone.jobs_view TO monitor;
GRANT EXECUTE ON FUNCTION pgclone.progress(int) TO monitor;
GRANT EXECUTE ON FUNCTION pgclone.table(text, text, text, boolean) TO cloner WITH GRANT OPTION;
GRANT EXECUTE ON FUNCTION pgclone.verify(text, text) TO cloner;
CREATE TABLE people (id int PRIMARY KEY, email text, ssn text, city text);
INSERT INTO people VALUES (1, 'ann@example.com', '123-45-6789', 'Oslo'), (2, 'bob@example.org', '987-65-4321', 'Rome');
CREATE VIEW people_masked AS SELECT id, left(email, 1) || '***@' || split_part(email, '@', 2) AS email,
  NULL::text AS ssn, city FROM people;
REVOKE SELECT ON people FROM PUBLIC;
GRANT SELECT ON people_masked TO PUBLIC;
GRANT SELECT ON people TO data_admin;
});
my $masked_sql = 'SET ROLE reader; SELECT * FROM people_masked ORDER BY id';
my $masked = q_target($tgt, $masked_sql);
is($masked, "1|a***\@example.com||Oslo\n2|b***\@example.org||Rome", 'the policy masks before the update');

# ---- our files over the original's, restart ----
$tgt->stop;
remove_pgclone($inst);
install_tree(@ours, $inst);
$tgt->start;
like(q_target($tgt, 'SELECT pgclone.version()'), qr/SQL 4\.4\.2 installed, library needs \Q$extversion\E: run ALTER EXTENSION pgclone UPDATE/,
	'our library with the original objects: version() says what to run');
like(target_error($tgt, 'SELECT * FROM pgclone.jobs_view'), qr/55000: .*version 4\.4\.2.*\n.*\n.*HINT:  Run ALTER EXTENSION pgclone UPDATE/,
	"the original's jobs_view: 55000 and the hint, not a missing symbol");

q_target($tgt, 'ALTER EXTENSION pgclone UPDATE');
is(q_target($tgt, "SELECT extversion, extnamespace::regnamespace FROM pg_extension WHERE extname = 'pgclone'"),
	"$extversion|pgclone", "ALTER EXTENSION UPDATE reaches $extversion, in schema pgclone");
is(q_target($tgt, 'SELECT pgclone.version()'), "pgclone $library (SQL $extversion)", 'version() after the update');

# ---- the same objects as a fresh install, given the users' grants ----
my $grants = q{
GRANT USAGE ON SCHEMA pgclone TO monitor;
GRANT SELECT ON pgclone.jobs_view TO monitor;
GRANT EXECUTE ON FUNCTION pgclone.progress_detail() TO monitor;
GRANT EXECUTE ON FUNCTION pgclone.progress(int) TO monitor;
GRANT EXECUTE ON FUNCTION pgclone.table(text, text, text, boolean, text, text) TO cloner WITH GRANT OPTION;
GRANT EXECUTE ON FUNCTION pgclone.verify(text), pgclone.verify(text, text), pgclone.verify(text, text, text) TO cloner;
};
q_target($tgt, 'CREATE DATABASE fresh');
q_target($tgt, "CREATE EXTENSION pgclone; $grants", 'fresh');
my $fresh = describe_extension($tgt, 'fresh');
text_equal(describe_extension($tgt, 'postgres'), $fresh,
	'updated 4.4.2 (+) = fresh install with the same grants (-): functions, relations, privileges, comments');
text_equal(extension_dump($tgt, 'postgres'), extension_dump($tgt, 'fresh'),
	'updated 4.4.2 (+) = fresh install (-): pg_dump -s of schema pgclone and the extension members');
is(q_target($tgt, q{SELECT count(*) FROM pg_proc WHERE prosrc = 'pgclone_progress_view'
  OR (pronamespace = 'pgclone'::regnamespace AND proname = 'table' AND pronargs < 6)}), '0',
	"nothing of the original is left (its progress_detail symbol, its table() overloads)");
is(q_target($tgt, q{SELECT has_function_privilege('cloner', 'pgclone.table(text, text, text, boolean, text, text)', 'EXECUTE WITH GRANT OPTION'),
  has_function_privilege('monitor', 'pgclone.progress(int)', 'EXECUTE'),
  has_table_privilege('monitor', 'pgclone.jobs_view', 'SELECT'),
  has_function_privilege('public', 'pgclone.table(text, text, text, boolean, text, text)', 'EXECUTE')}),
	't|t|t|f', "roles keep their grants; PUBLIC's default EXECUTE is not carried over");

# ---- the policy: still masks, known to ours, dropped by ours ----
is(q_target($tgt, $masked_sql), $masked, 'the policy still masks after the update');
like(target_error($tgt, 'SET ROLE reader; SELECT * FROM people'), qr/42501/, 'the raw table stays closed to them');
is(q_target($tgt, q{SELECT view_name, role_name, mask FROM pgclone.masking_policies}),
	'people_masked|data_admin|{"ssn": "masked by the original pgclone", "email": "masked by the original pgclone"}',
	'the policy is registered as ours, with its masked columns');
is(q_target($tgt, q{SELECT reloptions FROM pg_class WHERE relname = 'people_masked'}), '{security_barrier=true}',
	'its view is a security barrier now, as ours are');
is(q_target($tgt, q{SELECT column_name || ' ' || mask_status FROM pgclone.masking_report('public') ORDER BY 1}),
	"email MASKED (view)\nssn MASKED (view)", 'masking_report() sees it');
like(q_target($tgt, q{SELECT pgclone.drop_masking_policy('public', 'people')}), qr/^OK/, 'our drop_masking_policy() drops it');
is(q_target($tgt, q{SELECT to_regclass('people_masked') IS NULL, has_table_privilege('reader', 'people', 'SELECT'),
  has_table_privilege('data_admin', 'people', 'SELECT')}), 't|t|t', "dropped as the original's drop did: the view gone, SELECT for PUBLIC back");

# ---- every function works as ours ----
like(q_target($tgt, "SELECT pgclone.table('$c', 'public', 'items')"), qr/^OK/, 'table() clones');
is(checksum($tgt, 'postgres', 'items'), checksum($src, 'postgres', 'items'), 'the cloned rows');
my $job = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 'items', true, 'items2')");
is(wait_job($tgt, $job), 'completed', 'an async job completes');
is(q_target($tgt, "SELECT match FROM pgclone.verify('$c', 'public') WHERE table_name = 'items'"), '✓', 'verify()');
is(q_target($tgt, "SET ROLE monitor; SELECT count(*) FROM pgclone.jobs_view"), '0',
	"monitor still reads jobs_view (ours show a role only its own jobs)");

# ---- pg_dump of the updated database restores into a new one ----
my ($ret, $out, $err) = ('', '', '');
my $dump = dump_schema($tgt, 'postgres');
like($dump, qr/^CREATE EXTENSION IF NOT EXISTS pgclone WITH SCHEMA pgclone;$/m, 'pg_dump names schema pgclone');
q_target($tgt, 'CREATE DATABASE restored');
($ret, $out, $err) = $tgt->psql('restored', $dump, on_error_stop => 1);
is($ret, 0, 'the dump restores') or diag($err);

# ---- 4.3.0 (same objects) takes the no-op steps to 4.4.2, then ours ----
q_target($tgt, 'ALTER EXTENSION pgclone UPDATE', 'older');
is(q_target($tgt, "SELECT extversion FROM pg_extension WHERE extname = 'pgclone'", 'older'), $extversion,
	"4.3.0 updates to $extversion");
q_target($tgt, 'CREATE DATABASE fresh2');
q_target($tgt, 'CREATE EXTENSION pgclone', 'fresh2');
text_equal(describe_extension($tgt, 'older'), describe_extension($tgt, 'fresh2'), 'updated 4.3.0 (+) = fresh install (-)');

done_testing();
