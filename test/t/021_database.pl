# pgclone.database() and pgclone.database_create(): every user schema, one
# snapshot under concurrent writes, a new database through background workers.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use PgcloneTest;

my ($src, $tgt) = start_pair();
q_source($src, q{
  CREATE EXTENSION hstore;
  CREATE SCHEMA pgdata;
  CREATE TABLE pgdata.acct (id bigserial PRIMARY KEY, total int NOT NULL, h hstore);
  CREATE SCHEMA ledger;
  CREATE TABLE ledger.entry (id bigserial PRIMARY KEY, acct_id bigint NOT NULL REFERENCES pgdata.acct, amount int NOT NULL);
  CREATE INDEX ON ledger.entry (acct_id);
  CREATE VIEW ledger.balance AS SELECT a.id, a.total, sum(e.amount) AS booked
    FROM pgdata.acct a JOIN ledger.entry e ON e.acct_id = a.id GROUP BY a.id, a.total;
  CREATE TABLE public.plain (id int PRIMARY KEY, v text);
  INSERT INTO public.plain SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
  WITH a AS (INSERT INTO pgdata.acct (total, h) SELECT 10, 'a=>1' FROM generate_series(1, 20000) RETURNING id)
    INSERT INTO ledger.entry (acct_id, amount) SELECT id, 10 FROM a;
  CREATE SCHEMA pgclone; CREATE TABLE pgclone.not_me (id int);
  CREATE ROLE dbowner; CREATE ROLE reader;
  ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
  ALTER DEFAULT PRIVILEGES FOR ROLE dbowner GRANT SELECT ON TABLES TO reader;
  ALTER DEFAULT PRIVILEGES FOR ROLE dbowner REVOKE USAGE ON TYPES FROM PUBLIC;
  ALTER DEFAULT PRIVILEGES FOR ROLE dbowner IN SCHEMA ledger GRANT INSERT ON TABLES TO reader;
  SELECT lo_from_bytea(500001, convert_to(repeat('abc', 500000), 'UTF8'));
  SELECT lo_from_bytea(500002, '\x00ff'::bytea);
  COMMENT ON LARGE OBJECT 500002 IS 'tiny';
  GRANT SELECT ON LARGE OBJECT 500001 TO reader;
  ALTER LARGE OBJECT 500002 OWNER TO dbowner;
  CREATE FOREIGN DATA WRAPPER dummy OPTIONS (debug 'true');
  CREATE SERVER remote_hr TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER dummy OPTIONS (host 'hr.internal', dbname 'hr');
  COMMENT ON SERVER remote_hr IS 'HR system'; GRANT USAGE ON FOREIGN SERVER remote_hr TO reader;
  CREATE USER MAPPING FOR dbowner SERVER remote_hr OPTIONS (user 'app', password 'hr-secret-pw');
  CREATE FOREIGN TABLE public.staff (id int, name text) SERVER remote_hr OPTIONS (table_name 'staff');
  CREATE TYPE public.mood AS ENUM ('ok', 'bad');
  CREATE FUNCTION public.mood_of(int) RETURNS public.mood LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN $1 > 0 THEN 'ok'::public.mood ELSE 'bad' END $$;
  CREATE CAST (int AS public.mood) WITH FUNCTION public.mood_of(int) AS ASSIGNMENT;
  COMMENT ON CAST (int AS public.mood) IS 'sign to mood';
  CREATE CAST (public.mood AS text) WITH INOUT;
  CREATE TABLE public.feel (id int, m public.mood DEFAULT (1)::public.mood);
  INSERT INTO public.feel (id) VALUES (1);
  CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl %', tg_tag; END $$;
  CREATE EVENT TRIGGER log_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION public.log_ddl();
  ALTER EVENT TRIGGER log_ddl DISABLE;
  COMMENT ON EVENT TRIGGER log_ddl IS 'audits DDL';
});
q_target($tgt, 'CREATE ROLE dbowner; CREATE ROLE reader');
my $c = src_conninfo($src);
my $los = q{SELECT oid, md5(lo_get(oid)), pg_get_userbyid(lomowner) = current_user, lomacl::text LIKE '%reader=r/%',
  obj_description(oid, 'pg_largeobject') FROM pg_largeobject_metadata ORDER BY oid};
my $defacl = q{SELECT replace(pg_get_userbyid(defaclrole), current_user, 'me'), defaclobjtype,
  coalesce(defaclnamespace::regnamespace::text, '-'), replace(defaclacl::text, current_user, 'me')
  FROM pg_default_acl ORDER BY 1, 2, 3};

# writers: each transaction adds an account and its entry
my $dir = PostgreSQL::Test::Utils::tempdir();
my $script = "$dir/w.sql";
PostgreSQL::Test::Utils::append_to_file($script,
	"BEGIN;\nINSERT INTO pgdata.acct (total) VALUES (10) RETURNING id AS aid \\gset\n"
	  . "INSERT INTO ledger.entry (acct_id, amount) VALUES (:aid, 10);\nEND;\n");
# output to files: a pipe nobody reads would stall pgbench
my $bench = IPC::Run::start([ 'pgbench', '-n', '-c', '2', '-T', '5', '-f', $script, $src->connstr('postgres') ],
	'>', "$dir/bench.out", '2>', "$dir/bench.err");
sleep 1;
my ($rc, $res, $dberr) = $tgt->psql('postgres', "SELECT pgclone.database('$c')");
like($dberr, qr/NOTICE:  1 user mappings of the source were not cloned/, 'user mappings left out, with a NOTICE');
unlike($dberr, qr/hr-secret-pw/, 'the mapping password is nowhere');
my $srv = q{SELECT s.srvname, w.fdwname, w.fdwoptions, s.srvtype, s.srvversion, s.srvoptions, s.srvacl::text LIKE '%reader=U/%',
  obj_description(s.oid, 'pg_foreign_server') FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw};
is(q_target($tgt, $srv), q_source($src, $srv), 'foreign-data wrapper and server cloned (options, grant, comment)');
is(q_target($tgt, 'SELECT count(*) FROM pg_user_mappings'), '0', 'no user mapping on the target');
my $casts = q{SELECT castsource::regtype, casttarget::regtype, castmethod, castcontext, obj_description(oid, 'pg_cast')
  FROM pg_cast WHERE oid >= 16384 ORDER BY 1, 2};
is(q_target($tgt, $casts), q_source($src, $casts), 'user-defined casts cloned (function, inout; context; comment)');
is(q_target($tgt, 'SELECT m FROM public.feel'), 'ok', 'a column default written with a cast');
my $evt = q{SELECT evtname, evtevent, evtenabled, evttags, evtfoid::regproc, obj_description(oid, 'pg_event_trigger') FROM pg_event_trigger};
is(q_target($tgt, $evt), q_source($src, $evt), 'event trigger cloned (tags, disabled state, comment)');
is(q_target($tgt, $defacl), q_source($src, $defacl), 'database-wide and schema default privileges cloned');
is(q_target($tgt, $los), q_source($src, $los), 'large objects: OIDs, data (1.5 MB in pieces), owner, grant, comment');
like($res, qr/^OK: database cloned into "postgres" \(3 schemas, 4 tables, 1 views, 0 materialized views, 2 functions, 1 types, 2 sequences, 1 indexes, 4 constraints, 0 triggers, 1 foreign tables, 2 casts, 1 event triggers, 1 extensions, \d+ rows\)$/,
	"database clone under concurrent writes: $res");
is(q_target($tgt, q{SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'public.staff'::regclass}), '{table_name=staff}',
	'foreign table on the cloned server');
$bench->finish;
my $out = PostgreSQL::Test::Utils::slurp_file("$dir/bench.out");
like($out, qr/number of transactions actually processed: [1-9]/, 'pgbench wrote during the clone');
cmp_ok(q_source($src, 'SELECT count(*) FROM pgdata.acct'), '>', q_target($tgt, 'SELECT count(*) FROM pgdata.acct'),
	'source moved on after the snapshot');
is(q_target($tgt, 'SELECT (SELECT sum(total) FROM pgdata.acct) = (SELECT sum(amount) FROM ledger.entry)'), 't',
	'totals match: one snapshot');
is(q_target($tgt, q{SELECT convalidated FROM pg_constraint WHERE conname = 'entry_acct_id_fkey'}), 't',
	'cross-schema foreign key holds on the target');
is(q_target($tgt, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'pgclone'}), '1', 'pgclone schema itself untouched');
is(q_target($tgt, q{SELECT to_regclass('pgclone.not_me') IS NULL}), 't', 'source schema named pgclone skipped');
is(checksum($tgt, 'postgres', 'public.plain'), checksum($src, 'postgres', 'public.plain'), 'public schema data');
my @dump = ('--no-owner', '--no-privileges', '-n', 'pgdata', '-n', 'ledger', '-n', 'public');
is(dump_schema($tgt, 'postgres', @dump), dump_schema($src, 'postgres', @dump), 'database: pg_dump identical');

# a clone into a new database, through background workers
$res = q_target($tgt, "SELECT pgclone.database_create('$c', 'copy db')");
like($res, qr/^OK: database "copy db" created and cloned \(3 schemas, 4 tables, .* rows\)$/, "database_create: $res");
is(dump_schema($tgt, 'copy db', @dump), dump_schema($src, 'postgres', @dump), 'database_create: pg_dump identical');
is(checksum($tgt, 'copy db', 'public.plain'), checksum($src, 'postgres', 'public.plain'), 'database_create: data');
is(q_target($tgt, $los, 'copy db'), q_source($src, $los), 'database_create: large objects');
is(q_target($tgt, $srv, 'copy db'), q_source($src, $srv), 'database_create: wrapper and server');
is(q_target($tgt, q{SELECT extversion IS NOT NULL FROM pg_extension WHERE extname = 'pgclone'}, 'copy db'), 't',
	'pgclone installed in the new database');
like(q_target($tgt, "SELECT pgclone.database_create('$c', 'copy db', false, '{\"conflict\": \"skip\"}')"),
	qr/^OK: database "copy db" existed, cloned into it/, 'database_create into an existing database');
like(target_error($tgt, "SELECT pgclone.database_create('$c', 'copy db')"),
	qr/already exists/, 'inner clone error re-raised');
like(target_error($tgt, "BEGIN; SELECT pgclone.database_create('$c', 'other'); COMMIT;"),
	qr/25001: pgclone.database_create\(\) cannot run inside a transaction block/, 'refused inside a transaction block');
is(q_target($tgt, q{SELECT count(*) FROM pg_database WHERE datname = 'other'}), '0', 'nothing created then');
my $e = target_error($tgt, "SELECT pgclone.database_create('host=127.0.0.1 port=1 password=secret123 connect_timeout=2', 'bad')");
like($e, qr/could not clone into database "?bad"?/, 'connection failure re-raised');
unlike($e, qr/secret123/, 'password not shown');
like(target_error($tgt, "SELECT pgclone.database_create('$c', NULL)"), qr/22004/, 'NULL target database');
like(target_error($tgt, "SELECT pgclone.database_create('$c', 'x', true, '{\"bogus\": 1}')"), qr/bogus/, 'bad options before anything');
is(q_target($tgt, q{SELECT count(*) FROM pg_database WHERE datname = 'x'}), '0', 'bad options: no database');
like(target_error($tgt, "SELECT pgclone.database(NULL)"), qr/22004/, 'database(NULL)');
q_target($tgt, q{SELECT lo_put(500002, 0, '\x1111')});
like(q_target($tgt, "SELECT pgclone.database('$c', true, '{\"conflict\": \"replace\"}')"), qr/^OK: database cloned/,
	'database() again, replacing');
is(q_target($tgt, $los), q_source($src, $los), 'large objects replaced');
q_target($tgt, 'CREATE DATABASE lotest');
q_target($tgt, q{CREATE EXTENSION pgclone; SELECT lo_from_bytea(500001, 'x')}, 'lotest');
like(target_error($tgt, "SELECT pgclone.database('$c')", 'lotest'),
	qr/42710: target large object 500001 already exists.*HINT:  Large objects keep their OIDs/s, 'large object OID taken: clear error');
is(q_target($tgt, q{SELECT count(*) FROM pg_namespace WHERE nspname IN ('pgdata', 'ledger')}, 'lotest'), '0',
	'large object OID taken: nothing created');

# the every-object fixture, through a new database
q_source($src, 'CREATE DATABASE fx');
load_schema_fixture($src, 'fx', 'fixture loaded into a second source database');
my $cfx = src_conninfo($src, 'fx');
like(q_target($tgt, "SELECT pgclone.database_create('$cfx', 'fxcopy', true, '{\"triggers\": true}')"),
	qr/^OK: database "fxcopy" created and cloned \(2 schemas, 16 tables, 8 views, 2 materialized views, 17 functions, 6 types, 5 sequences, 10 indexes, 17 constraints, 2 triggers, 1 policies, 1 rules, 1 statistics objects, 2 collations, 1 conversions, 1 text search templates, 1 text search parsers, 3 text search dictionaries, 2 text search configurations, 3 operators, 2 operator families, 2 operator classes, 2 extensions, \d+ rows\)$/,
	'database_create of the fixture');
@dump = ('--no-owner', '--no-privileges', '-n', 'sales', '-n', 'public');
is(dump_schema($tgt, 'fxcopy', @dump), dump_schema($src, 'fx', @dump), 'fixture database: pg_dump identical');
is(checksum($tgt, 'fxcopy', 'sales.events'), checksum($src, 'fx', 'sales.events'), 'fixture database: data');

done_testing();
