# pgclone.schema(): rollback on failure, hostile names, owners and grants,
# missing extensions, bad input.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair(target_conf => $ENV{PGC_DEBUG} ? "log_min_messages = debug1\n" : '');
my $c = src_conninfo($src);

sub dumps_equal { my ($db, $nsp, $name) = @_; schema_dumps_equal($src, $tgt, $db, $nsp, $name); }

# a failure mid-way rolls everything back
q_source($src, q{
  CREATE SCHEMA helper; CREATE FUNCTION helper.h() RETURNS int LANGUAGE sql AS 'SELECT 1';
  CREATE SCHEMA bad; CREATE TABLE bad.t1 (id int PRIMARY KEY); INSERT INTO bad.t1 VALUES (1);
  CREATE VIEW bad.v AS SELECT helper.h() AS x;
  CREATE TABLE bad.t2 (id int);
});
like(target_error($tgt, "SELECT pgclone.schema('$c', 'bad')"), qr/helper/, 'hostile object fails the clone');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'bad'"), '0', 'nothing left after failure');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relname IN ('t1', 't2')"), '0', 'no table left after failure');

# hostile names are names
q_source($src, q{
  CREATE SCHEMA "Sch ""q""; DROP TABLE x; --";
  CREATE TYPE "Sch ""q""; DROP TABLE x; --"."E'n;um" AS ENUM ('a''b', 'c;d');
  CREATE FUNCTION "Sch ""q""; DROP TABLE x; --"."f(); SELECT 1; --"("a""rg" int) RETURNS int LANGUAGE sql AS 'SELECT 1';
  CREATE TABLE "Sch ""q""; DROP TABLE x; --"."Ta ble'; DELETE" (
    "Id" serial PRIMARY KEY, "co""l; DROP" text DEFAULT 'x''; --', e "Sch ""q""; DROP TABLE x; --"."E'n;um",
    CONSTRAINT "ch'k; --" CHECK ("co""l; DROP" <> ''));
  CREATE INDEX "i""dx; --" ON "Sch ""q""; DROP TABLE x; --"."Ta ble'; DELETE" (lower("co""l; DROP"));
  CREATE VIEW "Sch ""q""; DROP TABLE x; --"."v; DROP" AS SELECT * FROM "Sch ""q""; DROP TABLE x; --"."Ta ble'; DELETE";
  INSERT INTO "Sch ""q""; DROP TABLE x; --"."Ta ble'; DELETE" ("co""l; DROP", e) VALUES ('a', 'a''b'), ('b;', 'c;d');
  CREATE TEXT SEARCH DICTIONARY "Sch ""q""; DROP TABLE x; --"."d'); DROP; --" (TEMPLATE = simple, StopWords = english, Accept = false);
  CREATE TEXT SEARCH CONFIGURATION "Sch ""q""; DROP TABLE x; --"."c""fg" (PARSER = default);
  ALTER TEXT SEARCH CONFIGURATION "Sch ""q""; DROP TABLE x; --"."c""fg"
    ADD MAPPING FOR asciiword, "word" WITH "Sch ""q""; DROP TABLE x; --"."d'); DROP; --", simple;
  CREATE FUNCTION "Sch ""q""; DROP TABLE x; --"."cm'p"(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT btint4cmp($2, $1)';
  CREATE OPERATOR CLASS "Sch ""q""; DROP TABLE x; --"."o'pc; --" FOR TYPE int USING btree AS
    OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 4 <=, OPERATOR 5 <,
    FUNCTION 1 "Sch ""q""; DROP TABLE x; --"."cm'p"(int, int);
  CREATE CONVERSION "Sch ""q""; DROP TABLE x; --"."co""nv'; --" FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
  COMMENT ON CONVERSION "Sch ""q""; DROP TABLE x; --"."co""nv'; --" IS 'it''s; DROP TABLE x; --';
});
my $hs = q{Sch "q"; DROP TABLE x; --};
(my $hl = $hs) =~ s/'/''/g;
like(q_target($tgt, "SELECT pgclone.schema('$c', '$hl')"), qr/^OK: schema .* cloned \(1 tables, 1 views, 0 materialized views, 2 functions, 1 types, 1 sequences, 1 indexes, 2 constraints, 0 triggers, 1 conversions, 1 text search dictionaries, 1 text search configurations, 1 operator families, 1 operator classes, 2 rows\)$/,
	'hostile names cloned');
dumps_equal('postgres', '"' . ($hs =~ s/"/""/gr) . '"', 'hostile names: pg_dump identical');
is(checksum($tgt, 'postgres', q{"Sch ""q""; DROP TABLE x; --"."Ta ble'; DELETE"}),
	checksum($src, 'postgres', q{"Sch ""q""; DROP TABLE x; --"."Ta ble'; DELETE"}), 'hostile names: data');

# owners and grants: kept where the role exists on the target, else a NOTICE
q_source($src, q{
  CREATE ROLE alice; CREATE ROLE bob;
  CREATE SCHEMA own AUTHORIZATION alice;
  CREATE TABLE own.t (id int, secret text); ALTER TABLE own.t OWNER TO alice;
  GRANT SELECT ON own.t TO bob; GRANT UPDATE (secret) ON own.t TO bob;
  CREATE FUNCTION own.f() RETURNS int LANGUAGE sql AS 'SELECT 1'; ALTER FUNCTION own.f() OWNER TO alice;
  REVOKE ALL ON FUNCTION own.f() FROM PUBLIC; GRANT EXECUTE ON FUNCTION own.f() TO bob;
  CREATE VIEW own.v AS SELECT id FROM own.t; ALTER VIEW own.v OWNER TO alice; GRANT SELECT ON own.v TO PUBLIC;
  CREATE TYPE own.e AS ENUM ('x'); ALTER TYPE own.e OWNER TO alice;
  ALTER TABLE own.t ENABLE ROW LEVEL SECURITY;
  CREATE POLICY p_alice ON own.t TO alice USING (id > 0);
  CREATE POLICY p_bob ON own.t TO bob USING (id > 1);
  CREATE SEQUENCE own.s;
  ALTER DEFAULT PRIVILEGES FOR ROLE alice IN SCHEMA own GRANT SELECT ON TABLES TO PUBLIC;
  ALTER DEFAULT PRIVILEGES FOR ROLE alice IN SCHEMA own GRANT EXECUTE ON FUNCTIONS TO bob;
  ALTER DEFAULT PRIVILEGES IN SCHEMA own GRANT USAGE, SELECT ON SEQUENCES TO alice WITH GRANT OPTION;
});
q_target($tgt, 'CREATE ROLE alice');
my ($ret, $stdout, $stderr) = $tgt->psql('postgres', "SELECT pgclone.schema('$c', 'own')");
like($stdout, qr/^OK: schema own cloned/, 'schema with owners and grants');
like($stderr, qr/NOTICE:  skipping grant on own.t: role "bob" does not exist on the target/, 'NOTICE names the skipped grant');
like($stderr, qr/skipping policy p_bob: role "bob"/, 'NOTICE names the skipped policy');
is(q_target($tgt, q{SELECT string_agg(pg_get_userbyid(o), ',' ORDER BY o) FROM (
  SELECT nspowner AS o FROM pg_namespace WHERE nspname = 'own'
  UNION ALL SELECT relowner FROM pg_class WHERE relnamespace = 'own'::regnamespace AND relname IN ('t', 'v')
  UNION ALL SELECT proowner FROM pg_proc WHERE proname = 'f' AND pronamespace = 'own'::regnamespace
  UNION ALL SELECT typowner FROM pg_type WHERE typname = 'e' AND typnamespace = 'own'::regnamespace) s}),
	'alice,alice,alice,alice,alice', 'owners kept');
is(q_target($tgt, q{SELECT has_function_privilege('public', 'own.f()', 'EXECUTE')}), 'f', 'revoke from PUBLIC kept');
is(q_target($tgt, q{SELECT relacl::text LIKE '%=r/alice%' FROM pg_class WHERE oid = 'own.v'::regclass}), 't', 'grant to PUBLIC kept');
is(q_target($tgt, q{SELECT string_agg(polname, ',') FROM pg_policy WHERE polrelid = 'own.t'::regclass}), 'p_alice', 'policy for an existing role');
like($stderr, qr/skipping default privileges of role "alice" in schema own: role "bob" does not exist on the target/,
	'NOTICE names the skipped default privilege');
my $defacl = q{SELECT replace(pg_get_userbyid(defaclrole), current_user, 'me'), defaclobjtype,
  replace(defaclacl::text, current_user, 'me') FROM pg_default_acl WHERE defaclnamespace = 'own'::regnamespace ORDER BY 1, 2};
is(q_target($tgt, $defacl), "alice|r|{=r/alice}\nme|S|{alice=r*U*/me}", 'default privileges of the schema cloned');
is(q_target($tgt, q{SELECT count(*) FROM pg_class WHERE relnamespace = 'own'::regnamespace AND relacl::text LIKE '%alice=r*U*%'}),
	'0', 'the clone\'s own objects (a sequence) did not pick them up');

# an extension the target cannot install: clear error before anything is created
q_source($src, q{
  CREATE EXTENSION isn;
  UPDATE pg_extension SET extname = 'isn_not_here' WHERE extname = 'isn';
  CREATE SCHEMA needext; CREATE TABLE needext.t (id int, code isbn);
});
like(target_error($tgt, "SELECT pgclone.schema('$c', 'needext')"),
	qr/42704: the source objects need extensions that are not available on the target: isn_not_here/,
	'missing extension: clear error');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'needext'"), '0', 'missing extension: nothing created');

# foreign tables: definition only (server, options, column options, a
# foreign partition), pg_dump identical; a server missing on the target is
# a clear error before anything is created
q_source($src, q{
  CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER srv FOREIGN DATA WRAPPER dummy OPTIONS (host 'x');
  CREATE SCHEMA fx;
  CREATE FOREIGN TABLE fx.ft (id int OPTIONS (column_name 'ID') NOT NULL, "Na'me" text COLLATE "C" DEFAULT 'n',
    v numeric(8,2), CONSTRAINT ft_v CHECK (v > 0)) SERVER srv OPTIONS (schema_name 'remote', table_name 'T''x');
  COMMENT ON FOREIGN TABLE fx.ft IS 'remote data'; COMMENT ON COLUMN fx.ft.v IS 'value';
  GRANT SELECT ON fx.ft TO PUBLIC;
  CREATE TABLE fx.p (id int, at date) PARTITION BY RANGE (at);
  CREATE TABLE fx.p_local PARTITION OF fx.p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE FOREIGN TABLE fx.p_remote PARTITION OF fx.p FOR VALUES FROM ('2020-01-01') TO ('2024-01-01')
    SERVER srv OPTIONS (table_name 'old');
  ALTER FOREIGN TABLE fx.p_remote ALTER COLUMN at OPTIONS (ADD column_name 'when');
  CREATE VIEW fx.v AS SELECT id, "Na'me" FROM fx.ft;
  CREATE FUNCTION fx.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER ft_check BEFORE INSERT ON fx.ft FOR EACH ROW EXECUTE FUNCTION fx.trg();
  CREATE TRIGGER ft_audit AFTER UPDATE ON fx.ft FOR EACH STATEMENT EXECUTE FUNCTION fx.trg();
  ALTER FOREIGN TABLE fx.ft DISABLE TRIGGER ft_audit;
  COMMENT ON TRIGGER ft_check ON fx.ft IS 'checks rows';
  INSERT INTO fx.p_local VALUES (1, '2024-05-05');
});
like(target_error($tgt, "SELECT pgclone.schema('$c', 'fx')"),
	qr/42704: foreign table fx\.\w+ needs foreign server "srv", which does not exist on the target.*HINT:  Create the server/s,
	'missing foreign server: clear error');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'fx'"), '0', 'missing foreign server: nothing created');
q_target($tgt, "CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER srv FOREIGN DATA WRAPPER dummy OPTIONS (host 'y')");
like(q_target($tgt, "SELECT pgclone.schema('$c', 'fx')"), qr/^OK: schema fx cloned \(2 tables, 1 views/, 'schema with foreign tables');
is(q_target($tgt, q{SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'fx.ft'::regclass}),
	'ft_audit:D,ft_check:O', 'triggers of the foreign table, with their state');
dumps_equal('postgres', 'fx', 'foreign tables: pg_dump identical');
is(q_target($tgt, 'SELECT * FROM fx.p_local'), '1|2024-05-05', 'the local partition has its rows');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'fx', true, '{\"conflict\": \"replace\"}')"), qr/^OK: schema fx cloned/,
	'foreign tables: replace');
dumps_equal('postgres', 'fx', 'foreign tables after replace: pg_dump identical');

# an operator cannot be renamed: "rename" says so; "replace" re-creates it
q_source($src, q{
  CREATE SCHEMA ops;
  CREATE FUNCTION ops.twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 2 * $1';
  CREATE OPERATOR ops.!! (FUNCTION = ops.twice, RIGHTARG = int);
  CREATE FUNCTION ops.rev_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT btint4cmp($2, $1)';
  CREATE OPERATOR CLASS ops.int_rev FOR TYPE int USING btree AS
    OPERATOR 1 >, OPERATOR 2 >=, OPERATOR 3 =, OPERATOR 4 <=, OPERATOR 5 <, FUNCTION 1 ops.rev_cmp(int, int);
});
like(q_target($tgt, "SELECT pgclone.schema('$c', 'ops')"), qr/^OK: schema ops cloned/, 'schema with an operator');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'ops', true, '{\"conflict\": \"rename\"}')"),
	qr/0A000: target operator ops\."!!" already exists, and operators cannot be renamed/, 'operator rename: clear error');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'ops', true, '{\"conflict\": \"replace\"}')"), qr/^OK: schema ops cloned/,
	'operator replace');
is(q_target($tgt, 'SELECT OPERATOR(ops.!!) 21'), '42', 'the operator works on the target');
q_source($src, 'DROP OPERATOR ops.!! (NONE, int)');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'ops', true, '{\"conflict\": \"rename\"}')"), qr/^OK: schema ops cloned/,
	'operator class and family: rename');
is(q_target($tgt, q{SELECT string_agg(opcname, ',' ORDER BY opcname) || ' ' || (SELECT string_agg(opfname, ',' ORDER BY opfname)
  FROM pg_opfamily WHERE opfnamespace = 'ops'::regnamespace) FROM pg_opclass WHERE opcnamespace = 'ops'::regnamespace}),
	'int_rev,int_rev_old int_rev,int_rev_old', 'renamed class and family beside the new ones');
q_target($tgt, 'DROP SCHEMA ops CASCADE');
q_target($tgt, "SELECT pgclone.schema('$c', 'ops')");
dumps_equal('postgres', 'ops', 'operators: pg_dump identical');

# masks in a schema clone are named per table
q_source($src, q{
  CREATE SCHEMA m;
  CREATE TABLE m.people (id int PRIMARY KEY, email text, name text);
  CREATE TABLE m.other (id int PRIMARY KEY, email text);
  INSERT INTO m.people SELECT g, 'p' || g || '@real.org', 'n' || g FROM generate_series(1, 50) g;
  INSERT INTO m.other SELECT g, 'o' || g || '@real.org' FROM generate_series(1, 50) g;
});
like(target_error($tgt, "SELECT pgclone.schema('$c', 'm', true, '{\"mask\": {\"nope\": {\"email\": \"email\"}}}')"),
	qr/mask names table "nope"/, 'mask naming a table the clone lacks');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'm', true, '{\"mask\": {\"people\": {\"email\": \"email\"}}}')"),
	qr/^OK: schema m cloned \(2 tables/, 'schema clone with a per-table mask');
is(q_target($tgt, "SELECT count(*) FROM m.people WHERE email ~ '^p[0-9]+\@'"), '0', 'masked column masked');
is(q_target($tgt, "SELECT count(*) FROM m.people"), '50', 'masked table complete');
is(checksum($tgt, 'postgres', 'm.other'), checksum($src, 'postgres', 'm.other'), 'unmasked table identical');

# bad input
like(target_error($tgt, "SELECT pgclone.schema(NULL, 'sales')"), qr/22004/, 'NULL conninfo');
like(target_error($tgt, "SELECT pgclone.schema('$c', NULL)"), qr/22004/, 'NULL schema');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'nope')"), qr/3F000.*source schema nope does not exist/s, 'missing schema');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'sales', true, '{\"columns\": [\"a\"]}')"), qr/columns/, 'option not allowed');
like(target_error($tgt, "SELECT pgclone.schema_ex('$c', 'sales', true, NULL, true, true)"), qr/22004/, 'schema_ex NULL flag');
like(target_error($tgt, "SELECT pgclone.functions('$c', NULL)"), qr/22004/, 'functions NULL schema');

done_testing();
