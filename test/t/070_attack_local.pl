# Attack: a hostile local user (CVE-2018-1058 class).  An unprivileged role
# with CREATE on public (and on the schema being cloned into) plants
# functions, operators, aggregates and an implicit cast that match varchar,
# citext and text-domain arguments better than the built-ins.  A superuser
# then runs every function of pgclone; no attacker code may run.  The canary
# is public.canary_fire(): it inserts current_user into a table the attacker
# can read and raises a WARNING (which reaches the server log even when the
# statement rolls back).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

my $people = q{
CREATE TABLE %s.people (id int PRIMARY KEY, email varchar(100), full_name citext,
  ssn %s.ssn_t, phone varchar(20), note text);
CREATE INDEX ON %s.people (email);
CREATE INDEX ON %s.people (lower(full_name::text));
INSERT INTO %s.people SELECT g, 'user' || g || '@x.test', 'Name ' || g, lpad(g::text, 9, '0'),
  '+1-555-000-' || lpad(g::text, 4, '0'), 'n' || g FROM generate_series(1, 200) g;
CREATE VIEW %s.people_v AS SELECT id, email || '!' AS e, left(phone, 3) AS p FROM %s.people;
};
my $src_sql = "CREATE EXTENSION citext;\n";
for my $s ('app', 'app2')
{
	$src_sql .= "CREATE SCHEMA $s; CREATE DOMAIN $s.ssn_t AS text CHECK (VALUE ~ '^[0-9]+\$');\n";
	$src_sql .= sprintf($people, ($s) x 7);
}
# app3: an index on a function of a varchar column (deparsed without the
# implicit cast, so an overload on varchar would capture it); app4: a domain
$src_sql .= q{
CREATE SCHEMA app3;
CREATE FUNCTION app3.norm(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower($1)';
CREATE TABLE app3.t (id int, email varchar(50));
CREATE INDEX t_norm ON app3.t (app3.norm(email));
INSERT INTO app3.t SELECT g, 'E' || g FROM generate_series(1, 10) g;
CREATE SCHEMA app4;
CREATE DOMAIN app4.code AS text CHECK (VALUE <> '');
CREATE TABLE app4.t (id int, c app4.code);
INSERT INTO app4.t SELECT g, 'c' || g FROM generate_series(1, 10) g;
};
$src_sql .= "CREATE ROLE src_reader NOLOGIN; GRANT USAGE ON SCHEMA app TO src_reader;\n";
q_source($src, $src_sql);

# The attacker's kit: everything a better match than pg_catalog's for varchar,
# citext, name and unknown arguments.  Planted in postgres and in template1
# (so database_create's new database has it too).
my $kit = q{
CREATE FUNCTION public.canary_fire(w text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  INSERT INTO public.canary VALUES (current_user, w);
  RAISE WARNING 'CANARY fired: % as %', w, current_user;
END $f$;
CREATE FUNCTION public.md5(varchar) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('md5'); RETURN pg_catalog.md5($1::text); END $f$;
CREATE FUNCTION public.left(varchar, int) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('left'); RETURN pg_catalog.left($1::text, $2); END $f$;
CREATE FUNCTION public.left(citext, int) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('left citext'); RETURN pg_catalog.left($1::text, $2); END $f$;
CREATE FUNCTION public.quote_ident(varchar) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('quote_ident'); RETURN pg_catalog.quote_ident($1::text); END $f$;
CREATE FUNCTION public.quote_literal(varchar) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('quote_literal'); RETURN pg_catalog.quote_literal($1::text); END $f$;
CREATE FUNCTION public.length(varchar) RETURNS int LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('length'); RETURN pg_catalog.length($1::text); END $f$;
CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('lower'); RETURN pg_catalog.lower($1::text); END $f$;
CREATE FUNCTION public.strpos(varchar, text) RETURNS int LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('strpos'); RETURN 0; END $f$;
CREATE FUNCTION public.cat_vt(varchar, text) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('|| varchar,text'); RETURN $1::text || $2; END $f$;
CREATE FUNCTION public.cat_tv(text, varchar) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('|| text,varchar'); RETURN $1 || $2::text; END $f$;
CREATE FUNCTION public.cat_ct(citext, text) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('|| citext,text'); RETURN $1::text || $2; END $f$;
CREATE FUNCTION public.eq_nt(name, text) RETURNS boolean LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('= name,text'); RETURN $1::text = $2; END $f$;
CREATE FUNCTION public.eq_tn(text, name) RETURNS boolean LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('= text,name'); RETURN $1 = $2::text; END $f$;
CREATE FUNCTION public.eq_vt(varchar, text) RETURNS boolean LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('= varchar,text'); RETURN $1::text = $2; END $f$;
CREATE OPERATOR public.|| (LEFTARG = varchar, RIGHTARG = text, FUNCTION = public.cat_vt);
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = varchar, FUNCTION = public.cat_tv);
CREATE OPERATOR public.|| (LEFTARG = citext, RIGHTARG = text, FUNCTION = public.cat_ct);
CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = text, FUNCTION = public.eq_nt);
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = name, FUNCTION = public.eq_tn);
CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = text, FUNCTION = public.eq_vt);
CREATE FUNCTION public.cnt_sf(bigint, varchar) RETURNS bigint LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('count(varchar)'); RETURN $1 + 1; END $f$;
CREATE AGGREGATE public.count(varchar) (SFUNC = public.cnt_sf, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION public.sagg_sf(text, varchar, text) RETURNS text LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('string_agg(varchar)'); RETURN coalesce($1 || $3, '') || $2; END $f$;
CREATE AGGREGATE public.string_agg(varchar, text) (SFUNC = public.sagg_sf, STYPE = text);
CREATE TYPE public.evil AS (x text);
CREATE FUNCTION public.to_evil(varchar) RETURNS public.evil LANGUAGE plpgsql AS
  $f$ BEGIN PERFORM public.canary_fire('cast varchar->evil'); RETURN ROW($1::text); END $f$;
CREATE CAST (varchar AS public.evil) WITH FUNCTION public.to_evil(varchar) AS IMPLICIT;
};

my $prep = q{
CREATE EXTENSION IF NOT EXISTS citext;
CREATE ROLE mallory LOGIN;
CREATE TABLE public.canary (who text, what text);
GRANT INSERT, SELECT ON public.canary TO PUBLIC;
GRANT CREATE ON SCHEMA public TO mallory;
};
q_target($tgt, "CREATE ROLE mallory LOGIN; CREATE ROLE auditor NOLOGIN");
for my $db ('template1', 'postgres')
{
	(my $p = $prep) =~ s/CREATE ROLE mallory LOGIN;//;
	q_target($tgt, $p, $db);
	my ($ret, $out, $err) = $tgt->psql($db, "SET ROLE mallory;\n$kit", on_error_stop => 1);
	is($ret, 0, "$db: the attacker's kit is planted as an unprivileged role") or diag($err);
}
# casts from unknown cannot be made by a non-superuser: PostgreSQL refuses
my ($ret, $out, $err) = $tgt->psql('postgres',
	"SET ROLE mallory; CREATE FUNCTION public.unk_evil(text) RETURNS public.evil LANGUAGE sql AS 'SELECT ROW(\$1)::public.evil';"
	  . " CREATE CAST (unknown AS public.evil) WITH FUNCTION public.unk_evil(text) AS IMPLICIT");
isnt($ret, 0, 'an implicit cast from unknown is refused to the attacker');

# The kit is armed: the superuser's own unqualified SQL does fire it.
my (undef, $armed_out) = $tgt->psql('postgres',
	q{BEGIN; SELECT md5('x'::varchar); SELECT count(*) FROM public.canary; ROLLBACK});
like($armed_out, qr/^1$/m, 'the canary works: plain SQL under the default search_path fires it');

my $opts = '{"conflict": "skip"}';
my @calls = (
	[ 'schema', "SELECT pgclone.schema('$c', 'app')", qr/^OK/ ],
	[ 'table', "SELECT pgclone.table('$c', 'app', 'people', true, 'people_t')", qr/^OK/ ],
	[ 'table with mask', qq{SELECT pgclone.table('$c', 'app', 'people', true, 'people_m', '{"mask": {"email": "email", "full_name": "name", "phone": "phone", "note": {"type": "hash", "salt": "s"}}}')}, qr/^OK/ ],
	[ 'mask_in_place', qq{SELECT pgclone.mask_in_place('app', 'people_t', '{"email": "email", "full_name": "name", "phone": "phone", "ssn": "null", "note": {"type": "partial", "prefix": 1}}')}, qr/^OK/ ],
	[ 'create_masking_policy', qq{SELECT pgclone.create_masking_policy('app', 'people', '{"email": "email", "full_name": "name", "phone": {"type": "hash", "salt": "x"}, "ssn": "null"}', 'auditor')}, qr/^OK/ ],
	[ 'masked view read by the attacker', "GRANT USAGE ON SCHEMA app TO mallory; SET ROLE mallory; SELECT pg_catalog.count(*) FROM app.people_masked WHERE email IS NOT NULL", qr/^200$/ ],
	[ 'masking_report', "SELECT count(*) FROM pgclone.masking_report('app')", qr/^\d+$/ ],
	[ 'verify', "SELECT count(*) FROM pgclone.verify('$c', 'app')", qr/^\d+$/ ],
	[ 'verify checksum', qq{SELECT pg_catalog.count(*) FROM pgclone.verify('$c', 'app2', '{"checksum": true}')}, qr/./ ],
	[ 'diff', "SELECT pgclone.diff('$c', 'app2')", qr/./ ],
	[ 'preflight', "SELECT pgclone.preflight('$c', 'app')", qr/./ ],
	[ 'clone_roles', "SELECT pgclone.clone_roles('$c')", qr/^OK/ ],
	[ 'discover_sensitive', "SELECT pgclone.discover_sensitive('$c', 'app')", qr/email/ ],
	[ 'drop_masking_policy', "SELECT pgclone.drop_masking_policy('app', 'people')", qr/^OK/ ],
);
for my $call (@calls)
{
	my ($name, $sql, $want) = @$call;
	my ($r, $o, $e) = $tgt->psql('postgres', $sql);
	like($o, $want, "$name runs") or diag("$sql\n$e");
}

# The attacker holds CREATE on a schema being cloned into and plants an
# overload that captures a deparsed expression, or the domain the clone uses.
q_target($tgt, "DROP SCHEMA IF EXISTS app3, app4 CASCADE; CREATE SCHEMA app3; CREATE SCHEMA app4; GRANT USAGE, CREATE ON SCHEMA app3, app4 TO mallory");
q_target($tgt, q{SET ROLE mallory;
CREATE FUNCTION app3.norm(varchar) RETURNS text LANGUAGE plpgsql IMMUTABLE AS
  $f$ BEGIN PERFORM public.canary_fire('app3.norm(varchar)'); RETURN lower($1); END $f$;
CREATE FUNCTION public.code_ok(text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS
  $f$ BEGIN PERFORM public.canary_fire('domain check'); RETURN true; END $f$;
CREATE DOMAIN app4.code AS text CHECK (public.code_ok(VALUE));});
for my $case ([ 'app3', 'error' ], [ 'app4', 'skip' ], [ 'app3', 'replace' ])
{
	my ($nsp, $mode) = @$case;
	my ($r, $o, $e) = $tgt->psql('postgres',
		qq{\\set VERBOSITY verbose\nSELECT pgclone.schema('$c', '$nsp', true, '{"conflict": "$mode"}')});
	like($e, qr/42501: .*schema "$nsp".*mallory/s,
		"schema $nsp ($mode): refused, a role other than the caller may create in it") or diag($o);
}
my ($r3, $o3, $e3) = $tgt->psql('postgres', qq{\\set VERBOSITY verbose\nSELECT pgclone.table('$c', 'app4', 't')});
like($e3, qr/42501: .*schema "app4".*mallory/s, 'table() into that schema: refused too');
q_target($tgt, "DROP SCHEMA app4 CASCADE; CREATE SCHEMA app4; GRANT CREATE ON SCHEMA app4 TO PUBLIC");
($r3, $o3, $e3) = $tgt->psql('postgres', qq{\\set VERBOSITY verbose\nSELECT pgclone.table('$c', 'app4', 't')});
like($e3, qr/42501: target schema "app4" is writable by PUBLIC/, 'a schema PUBLIC may create in: refused');
q_target($tgt, "DROP SCHEMA app3, app4 CASCADE");

# database() and database_create() clone public, where mallory may create:
# refused; once that privilege is revoked (the kit stays), they run.
for my $sql ("SELECT pgclone.database('$c', true, '$opts')", "SELECT pgclone.database_create('$c', 'refused')")
{
	my ($r, $o, $e) = $tgt->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	like($e, qr/42501: .*target schema "public" is writable by role "mallory"/, "refused while public is open: $sql");
}
q_target($tgt, "REVOKE CREATE ON SCHEMA public FROM mallory", $_) for ('postgres', 'template1');
like(q_target($tgt, "SELECT pgclone.database('$c', true, '$opts')"), qr/^OK/, 'database() runs');
like(q_target($tgt, "SELECT pgclone.database_create('$c', 'copydb')"), qr/^OK/, 'database_create() runs');

# async: a table job and a schema job (workers run in their own sessions)
my $j1 = q_target($tgt, "SELECT pgclone.table_async('$c', 'app', 'people', true, 'people_async')");
is(wait_job($tgt, $j1), 'completed', 'table_async finishes');
q_target($tgt, "DROP SCHEMA app2 CASCADE");
my $j2 = q_target($tgt, "SELECT pgclone.schema_async('$c', 'app2', true, '{\"parallel\": 2}')");
is(wait_job($tgt, $j2), 'completed', 'schema_async finishes');
q_target($tgt, "SELECT pgclone.progress($j2), pgclone.jobs()");

for my $db ('postgres', 'copydb')
{
	is(q_target($tgt, "SELECT count(*) FROM public.canary", $db), '0', "$db: the canary table is empty");
}
is(q_target($tgt, "SELECT count(*) FROM public.canary", 'template1'), '0', 'template1: the canary table is empty');
my $log = slurp_file($tgt->logfile);
my @fired = $log =~ /(WARNING:  CANARY fired: [^\n]*)/g;
is(scalar(@fired), 1, 'the server log has only the arming check') or diag(join("\n", @fired));
done_testing();
