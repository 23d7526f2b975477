# Masks follow virtual foreign keys (issues 23 and 27): a schema that declares
# no foreign key, plus "virtual_foreign_keys", gets the same mask at both ends
# of each virtual key, in every clone kind; a non-deterministic mask in a
# virtual family and a mask whose other end is not cloned are refused before
# anything is created.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

q_source($src, q{
CREATE SCHEMA app;
CREATE TABLE app.customers (code text PRIMARY KEY, email varchar(40) UNIQUE NOT NULL,
  num int UNIQUE, name text);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_code text, customer_email varchar(40),
  cust_num int, amount int);
CREATE TABLE app.regions (country text, region text, PRIMARY KEY (country, region));
CREATE TABLE app.stores (id int PRIMARY KEY, country text, region text);
CREATE TABLE app.events (id int, customer_code text) PARTITION BY RANGE (id);
CREATE TABLE app.events_1 PARTITION OF app.events FOR VALUES FROM (0) TO (20);
CREATE TABLE app.events_2 PARTITION OF app.events FOR VALUES FROM (20) TO (100);
INSERT INTO app.events SELECT g, 'C' || (g % 30 + 1) FROM generate_series(1, 40) g;
INSERT INTO app.customers SELECT 'C' || g, 'cust' || g || '@shop.test', g, 'Name ' || g
  FROM generate_series(1, 30) g;
INSERT INTO app.orders SELECT g, 'C' || (g % 30 + 1), 'cust' || (g % 30 + 1) || '@shop.test', g % 30 + 1, g
  FROM generate_series(1, 90) g;
INSERT INTO app.regions SELECT 'K' || (g % 3), 'R' || g FROM generate_series(1, 12) g;
INSERT INTO app.stores SELECT row_number() OVER (), country, region FROM app.regions, generate_series(1, 2);
});
is(q_source($src, q{SELECT count(*) FROM pg_constraint WHERE contype = 'f'}), '0', 'the source declares no foreign key');

# unqualified and qualified names, a composite key, a partitioned table
my $vfk = q{"virtual_foreign_keys": [
  {"from": "app.events(customer_code)", "to": "app.customers(code)"},
  {"from": "orders(customer_code)", "to": "app.customers(code)"},
  {"from": "app.orders(customer_email)", "to": "app.customers(email)"},
  {"from": "app.stores(country, region)", "to": "app.regions(country, region)"}]};
my $mask = q{"mask": {"app.customers": {"code": "hash", "email": "fake_email"},
  "app.regions": {"region": "hash"}}};
my $opts = "{$vfk, $mask, \"salt\": \"s1\"}";

my $join = q{SELECT (SELECT count(*) FROM app.orders o JOIN app.customers c
    ON c.code = o.customer_code AND c.email = o.customer_email),
  (SELECT count(*) FROM app.stores s JOIN app.regions r USING (country, region)),
  (SELECT count(*) FROM app.events e JOIN app.customers c ON c.code = e.customer_code)};
is(q_source($src, $join), '90|24|40', 'on the source every order and store joins');
my $masked = q{SELECT (SELECT count(*) FROM app.customers WHERE code LIKE 'C%' OR email LIKE 'cust%'),
  (SELECT count(*) FROM app.orders WHERE customer_code LIKE 'C%' OR customer_email LIKE 'cust%'),
  (SELECT count(*) FROM app.stores WHERE region LIKE 'R%'),
  (SELECT count(*) FROM app.events WHERE customer_code LIKE 'C%'),
  (SELECT count(DISTINCT customer_code) FROM app.orders), (SELECT count(DISTINCT email) FROM app.customers)};

sub check_clone
{
	my ($db, $what) = @_;
	is(q_target($tgt, $join, $db), '90|24|40', "$what: the referencing columns join the masked values");
	is(q_target($tgt, $masked, $db), '0|0|0|0|30|30', "$what: both ends masked, values kept distinct");
	is(q_target($tgt, q{SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'app'::regnamespace}, $db), '0',
		"$what: no constraint created for the virtual keys");
}

# schema()
like(q_target($tgt, "SELECT pgclone.schema('$c', 'app', true, '$opts')"), qr/^OK:/, 'schema() with masks on virtual keys');
check_clone('postgres', 'schema()');
my $sum = join('/', map { checksum($tgt, 'postgres', "app.$_") } qw(customers orders regions stores));

# a mask on the referencing end alone spreads to the referenced end too
q_target($tgt, 'DROP SCHEMA app CASCADE');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'app', true, '{$vfk, \"salt\": \"s1\", \"mask\": {\"orders\": {\"customer_code\": \"hash\", \"customer_email\": \"fake_email\"}, \"stores\": {\"region\": \"hash\"}}}')"),
	qr/^OK:/, 'masks on the referencing end');
is(join('/', map { checksum($tgt, 'postgres', "app.$_") } qw(customers orders regions stores)), $sum,
	'the same data as with the masks on the referenced end');

# database() and database_create()
q_target($tgt, 'CREATE DATABASE d1');
q_target($tgt, 'CREATE EXTENSION pgclone', 'd1');
like(q_target($tgt, "SELECT pgclone.database('$c', true, '$opts')", 'd1'), qr/^OK:/, 'database() with masks on virtual keys');
check_clone('d1', 'database()');
like(q_target($tgt, "SELECT pgclone.database_create('$c', 'd2', true, '$opts')"), qr/^OK:/,
	'database_create() with masks on virtual keys');
check_clone('d2', 'database_create()');
is(join('/', map { checksum($tgt, 'd2', "app.$_") } qw(customers orders regions stores)), $sum,
	'database_create() gives the same data as schema()');

# async, parallel: the extended masks reach the pool workers
q_target($tgt, 'DROP SCHEMA app CASCADE');
my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'app', true, '{$vfk, $mask, \"salt\": \"s1\", \"parallel\": 2}')");
is(wait_job($tgt, $id, 120), 'completed', 'schema_async() with masks on virtual keys');
check_clone('postgres', 'schema_async()');
is(join('/', map { checksum($tgt, 'postgres', "app.$_") } qw(customers orders regions stores)), $sum,
	'schema_async() gives the same data as schema()');
q_target($tgt, 'DROP SCHEMA app CASCADE');

# a subset along the virtual keys keeps the masked values joined
like(q_target($tgt, "SELECT pgclone.schema('$c', 'app', true, '{$vfk, $mask, \"salt\": \"s1\", \"subset\": {\"app.customers\": \"num <= 10\"}}')"),
	qr/^OK:/, 'subset with masks on virtual keys');
is(q_target($tgt, $join), '30|24|' . q_source($src, q{SELECT count(*) FROM app.events e JOIN app.customers c ON c.code = e.customer_code WHERE c.num <= 10}), 'subset: the kept orders join their masked customers');
q_target($tgt, 'DROP SCHEMA app CASCADE');

# random_int in a virtual family: refused up front, nothing created
my $e = target_error($tgt, "SELECT pgclone.schema('$c', 'app', true, '{\"virtual_foreign_keys\": [{\"from\": \"app.orders(cust_num)\", \"to\": \"app.customers(num)\"}], \"mask\": {\"orders\": {\"cust_num\": \"random_int\"}}}')");
like($e, qr/22023: mask on column app\.orders\.cust_num cannot be honoured: strategy "random_int" is not deterministic/,
	'random_int in a virtual family is refused');
like($e, qr/DETAIL:  The family includes virtual foreign key 1 of "virtual_foreign_keys"/, 'the error names the virtual key');
is(q_target($tgt, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'app'}), '0', 'random_int: nothing created');
$e = target_error($tgt, "SELECT pgclone.database_create('$c', 'd3', true, '{\"virtual_foreign_keys\": [{\"from\": \"app.orders(cust_num)\", \"to\": \"app.customers(num)\"}], \"mask\": {\"app.orders\": {\"cust_num\": {\"type\": \"random_int\", \"min\": 1, \"max\": 1000000}}}}')");
like($e, qr/22023: .*mask on column app\.orders\.cust_num cannot be honoured: strategy "random_int"/,
	'database_create(): random_int (object form) in a virtual family is refused');
is(q_target($tgt, q{SELECT count(*) FROM pg_database WHERE datname = 'd3'}), '0', 'database_create(): no database left');

# the other end is not cloned: a mask on the referencing end is refused
$e = target_error($tgt, "SELECT pgclone.schema('$c', 'app', true, '{$vfk, \"exclude_tables\": [\"app.customers\"], \"mask\": {\"orders\": {\"customer_email\": \"fake_email\"}}}')");
like($e, qr/22023: mask on column app\.orders\.customer_email cannot be honoured: virtual foreign key 3 references table app\.customers, which this clone does not copy/,
	'a mask on a virtual key whose other end is excluded');
like($e, qr/HINT:  .*"virtual_foreign_keys"/, 'the hint names the option');
is(q_target($tgt, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'app'}), '0', 'excluded end: nothing created');
# the referenced end alone: no referencing value to match, as with declared keys
like(q_target($tgt, "SELECT pgclone.schema('$c', 'app', true, '{$vfk, \"exclude_tables\": [\"app.orders\"], $mask}')"),
	qr/^OK:/, 'a mask on the referenced end while the referencing table is left out');
q_target($tgt, 'DROP SCHEMA app CASCADE');

# a virtual key naming a column the table lacks, in a clone that reads no data
$e = target_error($tgt, "SELECT pgclone.schema('$c', 'app', false, '{\"virtual_foreign_keys\": [{\"from\": \"app.orders(nope)\", \"to\": \"app.customers(code)\"}], $mask}')");
like($e, qr/42703: virtual foreign key 1: column "nope" of table app\.orders does not exist/, 'a missing column is an error');

done_testing();
