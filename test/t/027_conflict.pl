# "conflict": "replace" says what it drops besides what it replaces, and
# refuses to drop objects outside the clone unless "cascade": true;
# "conflict": "rename" says where the old object went; conflict notices
# spell kinds in lower case.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);
my $shop = q{
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int REFERENCES shop.customers, total numeric);
CREATE VIEW shop.customer_totals AS
  SELECT c.id, sum(o.total) AS total FROM shop.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id;
};
q_source($src, $shop . q{
INSERT INTO shop.customers SELECT g, 'c' || g FROM generate_series(1, 50) g;
INSERT INTO shop.orders SELECT g, 1 + g % 50, g FROM generate_series(1, 200) g;
});

# the target already has shop (older rows), and objects of other schemas on it
sub reset_target
{
	q_target($tgt, "DROP SCHEMA IF EXISTS shop, dev CASCADE");
	q_target($tgt, $shop . q{
INSERT INTO shop.customers VALUES (1, 'old');
CREATE SCHEMA dev;
CREATE TABLE dev.orders_dev (id int PRIMARY KEY, customer_id int REFERENCES shop.customers);
CREATE VIEW dev.customer_names AS SELECT name FROM shop.customers;
});
}

# psql with NOTICEs: (ret, stdout, stderr)
sub run { my ($sql) = @_; return $tgt->psql('postgres', $sql); }

my $fk_dev = q{SELECT count(*) FROM pg_constraint WHERE conrelid = 'dev.orders_dev'::regclass AND contype = 'f'};

# ---- table(): replace would drop foreign keys and views of other tables ----
# (table() re-creates the table only: shop.orders' key and shop's view count too)
reset_target();
my $err = target_error($tgt, qq{SELECT pgclone.table('$c', 'shop', 'customers', true, NULL, '{"conflict": "replace"}')});
like($err, qr/2BP01: replacing table shop.customers would also drop 4 objects that the clone does not create again/,
	'replace refuses to drop objects outside the clone');
like($err, qr/DETAIL:  constraint orders_customer_id_fkey on table shop.orders\nconstraint orders_dev_customer_id_fkey on table dev.orders_dev\nview dev.customer_names\nview shop.customer_totals\n/,
	'the error names each of them');
like($err, qr/HINT:  Add "cascade": true to the options to drop them too, or use "conflict": "rename"/,
	'the hint names options the user can type');
is(q_target($tgt, "SELECT name FROM shop.customers") . '/' . q_target($tgt, $fk_dev), 'old/1', 'nothing changed');

my ($ret, $out, $stderr) = run(qq{SELECT pgclone.table('$c', 'shop', 'customers', true, NULL, '{"conflict": "replace", "cascade": true}')});
is($ret, 0, 'replace with "cascade": true works') or diag $stderr;
is($out, 'OK: cloned shop.customers to shop.customers (50 rows); 4 dependent objects outside the clone dropped',
	'the result counts what went');
like($stderr, qr/NOTICE:  replacing table shop.customers drops constraint orders_dev_customer_id_fkey on table dev.orders_dev/,
	'a NOTICE names the dropped foreign key');
like($stderr, qr/NOTICE:  replacing table shop.customers drops view dev.customer_names/, 'and the dropped view');
is(q_target($tgt, $fk_dev), '0', 'the foreign key is gone');
is(checksum($tgt, 'postgres', 'shop.customers'), checksum($src, 'postgres', 'shop.customers'), 'new data');

# nothing outside: no error, no count
($ret, $out, $stderr) = run(qq{SELECT pgclone.table('$c', 'shop', 'customers', true, NULL, '{"conflict": "replace"}')});
is("$ret $out", '0 OK: cloned shop.customers to shop.customers (50 rows)', 'replace with no outside dependents: as before');

# ---- table(): rename says where the old table went; its foreign keys follow it ----
reset_target();
($ret, $out, $stderr) = run(qq{SELECT pgclone.table('$c', 'shop', 'customers', true, NULL, '{"conflict": "rename"}')});
is($out, 'OK: cloned shop.customers to shop.customers (50 rows); the existing table shop.customers is now customers_old',
	'rename: the result says where the old table is');
like($stderr, qr/NOTICE:  existing table shop.customers renamed to customers_old\nDETAIL:  Foreign keys, views and grants that referenced it follow it/,
	'rename: NOTICE with what follows it');
is(q_target($tgt, "SELECT confrelid::regclass FROM pg_constraint WHERE conrelid = 'dev.orders_dev'::regclass AND contype = 'f'"),
	'shop.customers_old', 'the other table\'s foreign key references the old table');

# ---- schema(): dependents inside the clone do not count, outside ones do ----
reset_target();
$err = target_error($tgt, qq{SELECT pgclone.schema('$c', 'shop', true, '{"conflict": "replace"}')});
like($err, qr/2BP01: replacing table shop.customers would also drop 2 objects/, 'schema replace: outside dependents are an error');
unlike($err, qr/shop.orders|customer_totals/, 'what the clone re-creates is not named');
($ret, $out, $stderr) = run(qq{SELECT pgclone.schema('$c', 'shop', true, '{"conflict": "replace", "cascade": true}')});
is($ret, 0, 'schema replace with cascade') or diag $stderr;
like($out, qr/^OK: schema shop cloned \(.*; 2 dependent objects outside the clone dropped\)$/, 'schema result counts them');
is(checksum($tgt, 'postgres', 'shop.orders'), checksum($src, 'postgres', 'shop.orders'), 'schema replaced');
# a schema where nothing outside depends: replace as before
($ret, $out, $stderr) = run(qq{SELECT pgclone.schema('$c', 'shop', true, '{"conflict": "replace"}')});
like("$ret $out", qr/^0 OK: schema shop cloned \([^;]*\)$/, 'schema replace without outside dependents');

# a type replaced: a column of another schema's table would go with it
q_source($src, "CREATE TYPE shop.mood AS ENUM ('ok', 'sad')");
q_target($tgt, "CREATE TYPE shop.mood AS ENUM ('ok'); CREATE TABLE dev.feelings (id int, m shop.mood)");
$err = target_error($tgt, qq{SELECT pgclone.schema('$c', 'shop', true, '{"conflict": "replace"}')});
like($err, qr/replacing type shop.mood would also drop 1 object .*\n.*DETAIL:  column m of table dev.feelings/s,
	'a type: the column of another table is named');
q_target($tgt, "DROP TABLE dev.feelings");

# ---- notices and errors spell kinds in lower case ----
($ret, $out, $stderr) = run(qq{SELECT pgclone.schema('$c', 'shop', true, '{"conflict": "skip"}')});
like($stderr, qr/NOTICE:  target view shop.customer_totals already exists, skipping/, 'skip notice: "view", lower case');
like($stderr, qr/NOTICE:  target table shop.customers already exists, skipping/, 'and "table"');
unlike($stderr, qr/target [A-Z]{2,}/, 'no upper-case kind in any notice');
$err = target_error($tgt, "DROP TABLE shop.orders CASCADE; SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"orders\"]}')");
like($err, qr/42710: target (view|type) shop.(customer_totals|mood) already exists/, 'conflict error: lower-case kind');
like($err, qr/HINT:  Use the "conflict" option/, 'with a hint that names the option');

# ---- bad input ----
like(target_error($tgt, qq{SELECT pgclone.table('$c', 'shop', 'customers', true, NULL, '{"cascade": "yes"}')}),
	qr/22023: .*"cascade"/, '"cascade" must be a boolean');

done_testing();
