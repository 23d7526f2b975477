# "exclude_tables" naming partitions of a partitioned table that is cloned:
# the tree is cloned without them, as pg_dump -T does (their indexes are not
# attached, their rows not copied), for a leaf, a default partition and a
# sub-partitioned partition with its own partitions.  Oracle: pg_dump -s of
# the clone against a source database built without those partitions.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();

sub fixture
{
	my ($with_excluded) = @_;
	my $sql = q{
	  CREATE SCHEMA sales;
	  CREATE TABLE sales.customers (id int PRIMARY KEY, name text);
	  CREATE TABLE sales.orders (id int, customer_id int REFERENCES sales.customers, state text,
	    placed date NOT NULL, PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
	  CREATE INDEX orders_state_idx ON sales.orders (state);
	  CREATE INDEX orders_customer_idx ON sales.orders (customer_id);
	  CREATE TABLE sales.orders_2023 PARTITION OF sales.orders FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
	  CREATE TABLE sales.orders_2025 PARTITION OF sales.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
	};
	$sql .= q{
	  CREATE TABLE sales.orders_default PARTITION OF sales.orders DEFAULT;
	  CREATE TABLE sales.orders_2024 PARTITION OF sales.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
	    PARTITION BY RANGE (placed);
	  CREATE TABLE sales.orders_2024_open PARTITION OF sales.orders_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
	  CREATE TABLE sales.orders_2024_rest PARTITION OF sales.orders_2024 DEFAULT;
	} if $with_excluded;
	$sql .= q{
	  INSERT INTO sales.customers SELECT g, 'c' || g FROM generate_series(1, 20) g;
	  INSERT INTO sales.orders SELECT g, 1 + g % 20, CASE WHEN g % 3 = 0 THEN 'open' ELSE 'done' END,
	    '2023-01-01'::date + g FROM generate_series(1, 1200) g
	    WHERE '2023-01-01'::date + g < '2024-01-01'
	       OR '2023-01-01'::date + g BETWEEN '2025-01-01' AND '2025-12-31' OR } . ($with_excluded ? 'true' : 'false') . q{;
	};
	return $sql;
}

q_source($src, fixture(1));
$src->safe_psql('postgres', 'CREATE DATABASE expect');
q_source($src, fixture(0), 'expect');
my $c = src_conninfo($src);

my ($rc, $out, $err) = $tgt->psql('postgres',
	qq{SELECT pgclone.schema('$c', 'sales', true, '{"tables": ["orders.*", "customers"], "exclude_tables": ["orders_default", "orders_2024"]}')});
like($out, qr/^OK/, 'schema() with partitions excluded succeeds') or diag($err);
unlike($err, qr/ERROR/, 'no error');
is(q_target($tgt, q{SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'sales.orders'::regclass}), 'orders_2023,orders_2025', 'the tree without the excluded partitions');
is(q_target($tgt, q{SELECT count(*) FROM pg_class WHERE relname LIKE 'orders_2024%' OR relname LIKE 'orders_default%'}), '0',
	'excluded partitions (and the sub-partitions of one) not created');
is(checksum($tgt, 'postgres', 'sales.orders'), checksum($src, 'expect', 'sales.orders'), 'rows of the kept partitions only');
is(checksum($tgt, 'postgres', 'sales.customers'), checksum($src, 'expect', 'sales.customers'), 'customers');
is(q_target($tgt, q{SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sales' AND NOT i.indisvalid}), '0',
	'every partitioned index valid (all partitions attached)');
{
	my $a = dump_schema($src, 'expect', '--no-owner', '--no-privileges', '-n', 'sales');
	my $b = dump_schema($tgt, 'postgres', '--no-owner', '--no-privileges', '-n', 'sales');
	ok($a eq $b, 'pg_dump -s of the clone equals the source built without those partitions')
	  or diag("expected:\n$a\ngot:\n$b");
}

# a leaf only, by its qualified name, into another database; the async path too
$tgt->safe_psql('postgres', 'CREATE DATABASE t2');
$tgt->safe_psql('t2', 'CREATE EXTENSION pgclone');
($rc, $out, $err) = $tgt->psql('t2',
	qq{SELECT pgclone.schema('$c', 'sales', true, '{"exclude_tables": ["sales.orders_default"]}')});
like($out, qr/^OK/, 'schema() without the default partition only') or diag($err);
is(q_target($tgt, q{SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'sales.orders'::regclass}, 't2'), 'orders_2023,orders_2024,orders_2025', 'default partition left out');
is(q_target($tgt, q{SELECT count(*) FROM sales.orders}, 't2'),
	q_source($src, q{SELECT count(*) FROM sales.orders WHERE tableoid <> 'sales.orders_default'::regclass}), 'its rows left out');

# database_create(), with a schema-qualified pattern
($rc, $out, $err) = $tgt->psql('postgres',
	qq{SELECT pgclone.database_create('$c', 'dbx', true, '{"exclude_tables": ["sales\\\\.orders_2024", "sales.orders_default"]}')});
like($out, qr/^OK/, 'database_create() with partitions excluded') or diag($err);
is(checksum($tgt, 'dbx', 'sales.orders'), checksum($src, 'expect', 'sales.orders'), 'database_create(): rows of the kept partitions');
{
	my $a = dump_schema($src, 'expect', '--no-owner', '--no-privileges', '-n', 'sales');
	my $b = dump_schema($tgt, 'dbx', '--no-owner', '--no-privileges', '-n', 'sales');
	ok($a eq $b, 'database_create(): pg_dump -s equals the source built without them');
}

$tgt->safe_psql('postgres', 'CREATE DATABASE t3');
$tgt->safe_psql('t3', 'CREATE EXTENSION pgclone');
my $id = $tgt->safe_psql('t3',
	qq{SELECT pgclone.schema_async('$c', 'sales', true, '{"parallel": 2, "exclude_tables": ["orders_default", "orders_2024"]}')});
my $state = '';
for (my $i = 0; $i < 600; $i++)
{
	$state = $tgt->safe_psql('t3', "SELECT pgclone.progress($id)->>'status'");
	last if $state !~ /^(pending|running)$/;
	select(undef, undef, undef, 0.1);
}
is($state, 'completed', 'schema_async with partitions excluded completes')
  or diag($tgt->safe_psql('t3', "SELECT pgclone.progress($id)"));
is(checksum($tgt, 't3', 'sales.orders'), checksum($src, 'expect', 'sales.orders'), 'async: rows of the kept partitions');

done_testing();
