# pgclone.diff(): in sync after an identical build, then each kind of drift.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);
my $ddl = q{
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.posint AS int NOT NULL CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a int, b text);
CREATE TABLE app.customers (id serial PRIMARY KEY, email text UNIQUE, mood app.mood DEFAULT 'ok',
  created timestamptz DEFAULT '2024-01-01 00:00:00+00', score numeric(10,2) CHECK (score >= 0));
CREATE TABLE app.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id int REFERENCES app.customers(id), qty app.posint, note text);
CREATE INDEX orders_cust_idx ON app.orders (customer_id) WHERE note IS NOT NULL;
CREATE TABLE app.ev (id int, k int, CONSTRAINT ev_k EXCLUDE USING btree (k WITH =)) ;
CREATE TABLE app.parted (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE app.parted_1 PARTITION OF app.parted FOR VALUES FROM (0) TO (50);
CREATE SEQUENCE app.audit_seq;
CREATE VIEW app.v_orders AS SELECT o.id, c.email FROM app.orders o JOIN app.customers c ON c.id = o.customer_id;
CREATE MATERIALIZED VIEW app.mv AS SELECT count(*) AS n FROM app.orders;
CREATE FUNCTION app.f(x integer) RETURNS int LANGUAGE sql AS 'SELECT x + 1';
CREATE FUNCTION app.f(x text) RETURNS text LANGUAGE sql AS 'SELECT x';
CREATE FUNCTION app.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER orders_trg BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.trg();
CREATE AGGREGATE app.mysum(int) (SFUNC = int4pl, STYPE = int);
};
q_source($src, $ddl);
# the target was built differently (other search_path, other order) but is the same schema
q_target($tgt, "SET search_path = app, public; SET TimeZone = 'Asia/Tokyo';" . $ddl);

sub diff { return decode_json(q_target($tgt, "SELECT pgclone.diff('$c', 'app')")); }

my $d = diff();
is($d->{in_sync}, JSON::PP::true, 'identical schemas are in sync') or diag explain $d;
is($d->{diff_count}, 0, 'diff_count 0');
is($d->{schema}, 'app', 'schema key');
is_deeply([ sort keys %{ $d->{summary} } ], [ sort map {
			my $k = $_;
			(map {"${k}_$_"} qw(only_in_source only_in_target)),
			  ($k eq 'sequences' ? () : ("${k}_modified"))
		  } qw(tables indexes constraints triggers views sequences functions types) ],
	'summary counters');
is_deeply([ sort keys %$d ], [ sort qw(schema in_sync diff_count summary tables indexes constraints
	triggers views sequences functions types) ], 'top-level keys');

# drift on the target, one of each kind
q_target($tgt, q{
ALTER TABLE app.customers ADD COLUMN loyalty text;
ALTER TABLE app.customers ALTER COLUMN score TYPE numeric(12,2);
ALTER TABLE app.orders ALTER COLUMN note SET NOT NULL;
ALTER TABLE app.orders DROP CONSTRAINT orders_customer_id_fkey;
ALTER TABLE app.customers DROP CONSTRAINT customers_score_check;
ALTER TABLE app.customers ADD CONSTRAINT customers_score_check CHECK (score >= 1);
DROP INDEX app.orders_cust_idx;
CREATE INDEX orders_cust_idx ON app.orders (customer_id);
CREATE INDEX extra_idx ON app.orders (note);
DROP TRIGGER orders_trg ON app.orders;
CREATE TRIGGER orders_trg AFTER INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.trg();
CREATE OR REPLACE VIEW app.v_orders AS SELECT o.id, c.email FROM app.orders o JOIN app.customers c ON c.id = o.customer_id WHERE o.id > 0;
DROP SEQUENCE app.audit_seq;
CREATE SEQUENCE app.new_seq;
DROP TABLE app.ev;
CREATE TABLE app.tgt_only (a int);
CREATE OR REPLACE FUNCTION app.f(x integer) RETURNS int LANGUAGE sql AS 'SELECT x + 2';
DROP FUNCTION app.f(text);
ALTER TYPE app.mood ADD VALUE 'angry';
});
$d = diff();
my $s = $d->{summary};
is($d->{in_sync}, JSON::PP::false, 'drift detected');
is_deeply($d->{tables}{only_in_source}, ['ev'], 'table only in source');
is_deeply($d->{tables}{only_in_target}, ['tgt_only'], 'table only in target');
my %mod = map { $_->{name} => $_ } @{ $d->{tables}{modified} };
is_deeply([ sort keys %mod ], [qw(customers orders)], 'modified tables');
is_deeply($mod{customers}{columns_only_in_target}, [ { name => 'loyalty', type => 'text', not_null => JSON::PP::false, default => undef } ], 'column only in target');
is_deeply($mod{customers}{columns_drift}, [ { name => 'score', source_type => 'numeric(10,2)', target_type => 'numeric(12,2)',
	source_not_null => JSON::PP::false, target_not_null => JSON::PP::false, source_default => undef, target_default => undef } ], 'type drift');
is($mod{orders}{columns_drift}[0]{target_not_null}, JSON::PP::true, 'not null drift');
is_deeply($d->{indexes}{only_in_target}, ['extra_idx'], 'index only in target');
is($d->{indexes}{modified}[0]{name}, 'orders_cust_idx', 'index modified');
like($d->{indexes}{modified}[0]{source_definition}, qr/WHERE \(note IS NOT NULL\)/, 'index definitions shown');
is_deeply($d->{constraints}{only_in_source}, [ { table => 'ev', name => 'ev_k' }, { table => 'orders', name => 'orders_customer_id_fkey' } ], 'constraints only in source (incl. exclusion of dropped table)');
is_deeply([ map { "$_->{table}.$_->{name}" } @{ $d->{constraints}{modified} } ], ['customers.customers_score_check'], 'constraint modified');
is_deeply([ map { "$_->{table}.$_->{name}" } @{ $d->{triggers}{modified} } ], ['orders.orders_trg'], 'trigger modified');
is_deeply([ map { $_->{name} } @{ $d->{views}{modified} } ], ['v_orders'], 'view modified');
is_deeply($d->{sequences}, { only_in_source => ['audit_seq'], only_in_target => ['new_seq'] }, 'sequences');
is_deeply($d->{functions}{only_in_source}, ['f(x text)'], 'overload only in source');
is_deeply([ map { $_->{name} } @{ $d->{functions}{modified} } ], ['f(x integer)'], 'function modified');
is_deeply([ map { $_->{name} } @{ $d->{types}{modified} } ], ['mood'], 'enum modified');
is($s->{indexes_only_in_target}, 1, 'counter: indexes_only_in_target');
is($s->{constraints_only_in_source}, 2, 'counter: constraints_only_in_source');
is($s->{tables_modified}, 2, 'counter: tables_modified');
my $sum = 0;
$sum += $_ for values %$s;
is($d->{diff_count}, $sum, 'diff_count = sum of counters');

# after a real clone with pgclone.table(): in sync
q_source($src, q{CREATE SCHEMA cl; CREATE TABLE cl.a (id serial PRIMARY KEY, v text NOT NULL DEFAULT 'x' CHECK (v <> ''), n numeric(8,2));
  CREATE INDEX a_v ON cl.a (lower(v)); CREATE TABLE cl.b (id int REFERENCES cl.a, w text UNIQUE)});
q_target($tgt, "SELECT pgclone.table('$c', 'cl', 'a'); SELECT pgclone.table('$c', 'cl', 'b')");
my $dc = decode_json(q_target($tgt, "SELECT pgclone.diff('$c', 'cl')"));
is($dc->{in_sync}, JSON::PP::true, 'in sync after pgclone.table') or diag explain $dc;

# schema missing on the target: everything only in source
q_source($src, 'CREATE SCHEMA s2; CREATE TABLE s2.t (a int PRIMARY KEY); CREATE VIEW s2.v AS SELECT 1 AS x');
my $d2 = decode_json(q_target($tgt, "SELECT pgclone.diff('$c', 's2')"));
is_deeply([ $d2->{tables}{only_in_source}, $d2->{views}{only_in_source}, $d2->{constraints}{only_in_source}, $d2->{indexes}{only_in_source} ],
	[ ['t'], ['v'], [ { table => 't', name => 't_pkey' } ], [] ], 'schema absent on target; pkey index under constraints only');
is($d2->{diff_count}, 3, 'diff_count for absent schema');

# read-only: the function works in a read-only transaction
is(q_target($tgt, "BEGIN READ ONLY; SELECT (pgclone.diff('$c', 's2')::jsonb->>'in_sync'); COMMIT"), 'false', 'runs read-only');

# hostile names
q_source($src, q{CREATE SCHEMA "x"";DROP SCHEMA app CASCADE;--"; CREATE TABLE "x"";DROP SCHEMA app CASCADE;--"."a'b" (c int)});
my $d3 = decode_json(q_target($tgt, q{SELECT pgclone.diff('} . $c . q{', 'x";DROP SCHEMA app CASCADE;--')}));
is_deeply($d3->{tables}{only_in_source}, ["a'b"], 'hostile names reported');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"), '1', 'hostile names changed nothing');

# bad input
like(target_error($tgt, "SELECT pgclone.diff(NULL, 'app')"), qr/22004/, 'NULL conninfo');
like(target_error($tgt, "SELECT pgclone.diff('$c', NULL)"), qr/22004/, 'NULL schema');
like(target_error($tgt, "SELECT pgclone.diff('$c', 'nope')"), qr/3F000/, 'unknown schema');
like(target_error($tgt, "SELECT pgclone.diff('port=1 host=/nonexistent', 'app')"), qr/08001/, 'bad conninfo');
done_testing();
