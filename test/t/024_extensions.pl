# Extensions a clone needs, found through pg_depend from every kind of
# object (issue 16): one schema per kind, each using a different extension
# the target does not have; preflight's extension check; database() creating
# every extension of the source (used or not, versions as on the source);
# the result message's counts.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

sub pf { return decode_json(q_target($tgt, "SELECT pgclone.preflight('$c', '$_[0]')")); }

# kind => [extension, SQL of a schema whose only link to the extension is that kind]
my @kinds = (
	[ 'ts_config', 'unaccent', q{
	  CREATE TEXT SEARCH CONFIGURATION s_ts_config.c (COPY = pg_catalog.simple);
	  ALTER TEXT SEARCH CONFIGURATION s_ts_config.c ALTER MAPPING FOR word WITH public.unaccent, pg_catalog.simple;} ],
	[ 'ts_dictionary', 'dict_int', q{
	  CREATE TEXT SEARCH DICTIONARY s_ts_dictionary.d (TEMPLATE = public.intdict_template, maxlen = 4);} ],
	[ 'operator', 'citext', q{
	  CREATE OPERATOR s_operator.=== (LEFTARG = public.citext, RIGHTARG = public.citext,
	    FUNCTION = public.citext_eq);} ],
	[ 'opclass', 'cube', q{
	  CREATE OPERATOR CLASS s_opclass.cube_ops2 FOR TYPE public.cube USING btree AS
	    OPERATOR 1 public.< , OPERATOR 2 public.<= , OPERATOR 3 public.= , OPERATOR 4 public.>= ,
	    OPERATOR 5 public.> , FUNCTION 1 public.cube_cmp(public.cube, public.cube);} ],
	[ 'policy', 'pg_trgm', q{
	  CREATE TABLE s_policy.t (id int, name text);
	  ALTER TABLE s_policy.t ENABLE ROW LEVEL SECURITY;
	  CREATE POLICY p ON s_policy.t USING (public.similarity(name, 'x') > 0.1);} ],
	[ 'index_opclass', 'btree_gist', q{
	  CREATE TABLE s_index_opclass.t (id int);
	  CREATE INDEX t_gist ON s_index_opclass.t USING gist (id public.gist_int4_ops);} ],
	[ 'statistics', 'fuzzystrmatch', q{
	  CREATE TABLE s_statistics.t (id int, name text);
	  CREATE STATISTICS s_statistics.st ON (public.soundex(name)), id FROM s_statistics.t;} ],
	[ 'domain_constraint', 'isn', q{
	  CREATE DOMAIN s_domain_constraint.d AS text CHECK (public.isn_weak(false));} ],
	[ 'view', 'hstore', q{
	  CREATE VIEW s_view.v AS SELECT (public.akeys(public.hstore('a', 'b')))[1] AS k;} ],
	[ 'trigger', 'tcn', q{
	  CREATE TABLE s_trigger.t (id int PRIMARY KEY);
	  CREATE TRIGGER tcn AFTER INSERT ON s_trigger.t FOR EACH ROW
	    EXECUTE FUNCTION public.triggered_change_notification();} ],
	[ 'column_default', 'pgcrypto', q{
	  CREATE TABLE s_column_default.t (id int, salt text DEFAULT public.gen_salt('md5'));} ],
);

for my $k (@kinds)
{
	my ($kind, $ext, $sql) = @$k;
	q_source($src, "CREATE EXTENSION IF NOT EXISTS $ext SCHEMA public; CREATE SCHEMA s_$kind; $sql");
}

for my $k (@kinds)
{
	my ($kind, $ext) = @$k;
	my $nsp = "s_$kind";
	my $r = pf($nsp);
	is($r->{ready}, JSON::PP::true, "$kind: preflight ready") or diag explain $r->{errors};
	ok((grep { $_ eq $ext } @{ $r->{checks}{missing_extensions}{will_create} }),
		"$kind: preflight says $ext will be created") or diag explain $r->{checks}{missing_extensions};
	is(q_target($tgt, "SELECT count(*) FROM pg_extension WHERE extname = '$ext'"), '0', "$kind: $ext not on the target yet");
	like(q_target($tgt, "SELECT pgclone.schema('$c', '$nsp')"), qr/^OK: schema $nsp cloned/, "$kind: schema clone");
	is(q_target($tgt, "SELECT extnamespace::regnamespace || ' ' || extversion FROM pg_extension WHERE extname = '$ext'"),
		q_source($src, "SELECT extnamespace::regnamespace || ' ' || extversion FROM pg_extension WHERE extname = '$ext'"),
		"$kind: $ext created, schema and version as on the source");
	schema_dumps_equal($src, $tgt, 'postgres', $nsp, "$kind: pg_dump -s identical");
}

# the smallest case of issue 16 with an extension the target cannot install
# (renamed on the source): preflight must not say ready, the clone fails
# before anything is created
q_source($src, q{
  CREATE EXTENSION dict_xsyn SCHEMA public;
  UPDATE pg_extension SET extname = 'dict_xsyn_not_here' WHERE extname = 'dict_xsyn';
  CREATE SCHEMA s_gone;
  CREATE TEXT SEARCH DICTIONARY s_gone.x (TEMPLATE = public.xsyn_template);
  CREATE TEXT SEARCH CONFIGURATION s_gone.c (COPY = pg_catalog.simple);
  ALTER TEXT SEARCH CONFIGURATION s_gone.c ALTER MAPPING FOR word WITH s_gone.x, pg_catalog.simple;
});
my $r = pf('s_gone');
is($r->{ready}, JSON::PP::false, 'needed extension unavailable: preflight not ready');
is($r->{checks}{missing_extensions}{status}, 'fail', 'missing_extensions fails');
is_deeply($r->{checks}{missing_extensions}{needed_unavailable}, ['dict_xsyn_not_here'], 'named as needed and unavailable');
like(join("\n", @{ $r->{errors} }),
	qr/schema "s_gone" needs 1 extension\(s\) that the target lacks and cannot install: dict_xsyn_not_here/,
	'error text');
like(target_error($tgt, "SELECT pgclone.schema('$c', 's_gone')"),
	qr/42704: the source objects need extensions that are not available on the target: dict_xsyn_not_here/,
	'the clone stops with 42704');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 's_gone'"), '0', 'nothing created');

# an extension only the source has, unused by the schema: a warning
q_source($src, 'CREATE SCHEMA s_plain; CREATE TABLE s_plain.t (id int)');
$r = pf('s_plain');
is($r->{checks}{missing_extensions}{status}, 'warn', 'unused missing extension: warn');
is_deeply($r->{checks}{missing_extensions}{unused}, ['dict_xsyn_not_here'], 'listed as unused');
is($r->{ready}, JSON::PP::true, 'unused missing extension: still ready');
like(join("\n", @{ $r->{warnings} }), qr/1 extension\(s\) installed on source are not installed on target \(not used by schema "s_plain"\): dict_xsyn_not_here/,
	'warning text');
q_source($src, q{UPDATE pg_extension SET extname = 'dict_xsyn' WHERE extname = 'dict_xsyn_not_here'});

# result counts: serial and identity sequences, indexes, constraints, triggers
q_source($src, q{
  CREATE SCHEMA s_counts;
  CREATE TABLE s_counts.a (id serial PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY, v text CHECK (v <> ''));
  CREATE TABLE s_counts.b (id bigserial PRIMARY KEY, a_id int REFERENCES s_counts.a);
  CREATE INDEX b_a ON s_counts.b (a_id);
  CREATE SEQUENCE s_counts.free;
  CREATE FUNCTION s_counts.tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
  CREATE TRIGGER tr BEFORE INSERT ON s_counts.b FOR EACH ROW EXECUTE FUNCTION s_counts.tf();
  CREATE TEXT SEARCH CONFIGURATION s_counts.c (COPY = pg_catalog.simple);
  INSERT INTO s_counts.a (v) VALUES ('x');
});
is(q_target($tgt, "SELECT pgclone.schema('$c', 's_counts')"),
	'OK: schema s_counts cloned (2 tables, 0 views, 0 materialized views, 1 functions, 0 types, '
	  . '4 sequences, 1 indexes, 4 constraints, 1 triggers, 1 text search configurations, 1 rows)',
	'result counts every kind');

# database(): every extension of the source, used or not, at the source's
# version when the target has it (hstore 1.4), else the default (NOTICE);
# pg_dump -s of the clone equals the source's
$src->safe_psql('postgres', 'CREATE DATABASE extdb');
$src->safe_psql('extdb', q{
  CREATE EXTENSION hstore VERSION '1.4';
  CREATE EXTENSION tablefunc;
  CREATE EXTENSION pgstattuple;
  CREATE EXTENSION fuzzystrmatch;
  UPDATE pg_extension SET extversion = '0.9' WHERE extname = 'fuzzystrmatch';
  CREATE TABLE public.t (id int PRIMARY KEY, h public.hstore);
  INSERT INTO public.t VALUES (1, 'a=>1');
});
my $ce = src_conninfo($src, 'extdb');
$tgt->safe_psql('postgres', 'CREATE DATABASE extcopy');
$tgt->safe_psql('extcopy', 'CREATE EXTENSION pgclone');
my ($ret, $out, $err) = $tgt->psql('extcopy', "SELECT pgclone.database('$ce')");
is($ret, 0, 'database() with unused extensions') or diag $err;
like($out, qr/^OK: database cloned into "extcopy" \(1 schemas, 1 tables, .* 4 extensions, 1 rows\)$/, "result: $out");
like($err, qr/NOTICE:  created extension fuzzystrmatch on the target at its default version/, 'default version NOTICE');
# the target's default version (1.1 in 15, 1.2 from 16 on)
my $fz_default = q_target($tgt, "SELECT default_version FROM pg_available_extensions WHERE name = 'fuzzystrmatch'");
is(q_target($tgt, "SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) FROM pg_extension WHERE extname <> 'pgclone'", 'extcopy'),
	q_source($src, "SELECT string_agg(extname || ' ' || CASE extname WHEN 'fuzzystrmatch' THEN '$fz_default' ELSE extversion END, ', ' ORDER BY extname) FROM pg_extension", 'extdb'),
	'every extension, versions as on the source (hstore 1.4), fuzzystrmatch at its default');
$tgt->safe_psql('extcopy', 'DROP EXTENSION pgclone; DROP SCHEMA IF EXISTS pgclone');
is(dump_schema($tgt, 'extcopy'), dump_schema($src, 'extdb'), 'database(): pg_dump -s identical, unused extensions included');

# an extension the target cannot install, even unused: database() stops
# before anything is created
$src->safe_psql('extdb', q{CREATE EXTENSION lo; UPDATE pg_extension SET extname = 'lo_not_here' WHERE extname = 'lo'});
$tgt->safe_psql('postgres', 'CREATE DATABASE extcopy2');
$tgt->safe_psql('extcopy2', 'CREATE EXTENSION pgclone');
like(target_error($tgt, "SELECT pgclone.database('$ce')", 'extcopy2'),
	qr/42704: the source objects need extensions that are not available on the target: lo_not_here/,
	'database(): missing extension is a clear error');
is(q_target($tgt, "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql' AND extname <> 'pgclone'", 'extcopy2'), '0',
	'nothing created');

done_testing();
