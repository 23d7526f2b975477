# Issue 12: "tables" / "exclude_tables" (anchored POSIX regexes on table
# names, schema.table in database clones) and "masks" (the original
# pgclone's spelling of per-table masks) in schema(), schema_ex(),
# database(), database_create() and schema_async().
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

q_source($src, q{
  CREATE SCHEMA shop;
  CREATE TABLE shop.customers (id int PRIMARY KEY, email text, name text);
  CREATE TABLE shop.orders (id serial PRIMARY KEY, customer_id int REFERENCES shop.customers, total numeric);
  CREATE TABLE shop.order_items (id int PRIMARY KEY, order_id int REFERENCES shop.orders, qty int);
  CREATE TABLE shop.orders_old (id int PRIMARY KEY, total numeric);
  CREATE TABLE shop.audit_log (id bigint PRIMARY KEY, what text);
  CREATE TABLE shop.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
  CREATE TABLE shop.events_2023 PARTITION OF shop.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
  CREATE TABLE shop.events_2024 PARTITION OF shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE VIEW shop.v_orders AS SELECT o.id, c.email, o.total FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id;
  CREATE VIEW shop.v_audit AS SELECT count(*) AS n FROM shop.audit_log;
  CREATE VIEW shop.v_audit2 AS SELECT n + 1 AS m FROM shop.v_audit;
  CREATE MATERIALIZED VIEW shop.mv_audit AS SELECT id FROM shop.audit_log;
  CREATE FUNCTION shop.audit_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM shop.audit_log; END;
  CREATE FUNCTION shop.plain(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
  INSERT INTO shop.customers SELECT g, 'user' || g || '@example.com', 'name ' || g FROM generate_series(1, 50) g;
  INSERT INTO shop.orders (customer_id, total) SELECT 1 + g % 50, g * 1.5 FROM generate_series(1, 300) g;
  INSERT INTO shop.order_items SELECT g, 1 + g % 300, g % 7 FROM generate_series(1, 900) g;
  INSERT INTO shop.orders_old SELECT g, g FROM generate_series(1, 10) g;
  INSERT INTO shop.audit_log SELECT g, 'x' FROM generate_series(1, 10) g;
  INSERT INTO shop.events SELECT g, date '2023-06-01' + g FROM generate_series(1, 300) g;
  CREATE SCHEMA hr;
  CREATE TABLE hr.employees (id int PRIMARY KEY, email text, salary int);
  CREATE TABLE hr.users (id int PRIMARY KEY, email text);
  CREATE TABLE public.users (id int PRIMARY KEY, email text);
  INSERT INTO hr.employees SELECT g, 'e' || g || '@corp.example', 1000 * g FROM generate_series(1, 20) g;
  INSERT INTO hr.users SELECT g, 'h' || g || '@corp.example' FROM generate_series(1, 5) g;
  INSERT INTO public.users SELECT g, 'p' || g || '@corp.example' FROM generate_series(1, 5) g;
});

sub newdb
{
	my ($db) = @_;
	q_target($tgt, "CREATE DATABASE $db");
	q_target($tgt, "CREATE EXTENSION pgclone", $db);
}

# run on the target, returning (ok, stderr with the NOTICEs)
sub run_target
{
	my ($db, $sql) = @_;
	my ($ret, $out, $err) = $tgt->psql($db, $sql);
	return ($ret == 0, $err, $out);
}

sub tables_of
{
	my ($node, $db, $nsp) = @_;
	return $node->safe_psql($db, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class"
		. " WHERE relnamespace = '$nsp'::regnamespace AND relkind IN ('r', 'p', 'v', 'm')");
}

# The expected result: a copy of the source without the left-out objects.
# pg_dump -s of it must equal pg_dump -s of the clone.
sub expect_db
{
	my ($name, $drop) = @_;
	q_source($src, "CREATE DATABASE $name TEMPLATE postgres");
	q_source($src, $drop, $name);
	return dump_schema($src, $name, '--no-owner', '--no-privileges', '-n', 'shop');
}

sub dumps_ok
{
	my ($want, $db, $name) = @_;
	my $got = dump_schema($tgt, $db, '--no-owner', '--no-privileges', '-n', 'shop');
	ok($want eq $got, $name) and return;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	PostgreSQL::Test::Utils::append_to_file("$dir/want.sql", $want);
	PostgreSQL::Test::Utils::append_to_file("$dir/got.sql", $got);
	my ($out, $err);
	IPC::Run::run([ 'diff', '-u', "$dir/want.sql", "$dir/got.sql" ], '>', \$out, '2>', \$err);
	diag($out);
}

# ---- the issue's example: tables order_.* and customers, _old excluded ----
newdb('sel1');
my ($ok, $err) = run_target('sel1',
	"SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"order.*\", \"customers\"], \"exclude_tables\": [\".*_old\"]}')");
ok($ok, 'schema() with tables/exclude_tables') or diag($err);
is(tables_of($tgt, 'sel1', 'shop'), 'customers,order_items,orders,v_orders', 'only the selected tables and the view over them');
like($err, qr/NOTICE:  skipping view shop\.v_audit: it depends on table shop\.audit_log, which is not cloned/, 'NOTICE names the view');
like($err, qr/NOTICE:  skipping view shop\.v_audit2: it depends on view shop\.v_audit, which is not cloned/, 'NOTICE names the view on the view');
like($err, qr/NOTICE:  skipping materialized view shop\.mv_audit: it depends on table shop\.audit_log/, 'NOTICE names the matview');
like($err, qr/NOTICE:  skipping function shop\.audit_count: it depends on table shop\.audit_log/, 'NOTICE names the function');
unlike($err, qr/skipping table shop\.events_20/, 'partitions of a left-out table leave silently');
is(q_target($tgt, "SELECT count(*) FROM pg_proc WHERE proname IN ('plain', 'audit_count')", 'sel1'), '1', 'unrelated function cloned, dependent one not');
for my $t (qw(shop.customers shop.orders shop.order_items))
{
	is(checksum($tgt, 'sel1', $t), checksum($src, 'postgres', $t), "$t data identical");
}
is(q_target($tgt, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace", 'sel1'), '2', 'both foreign keys among selected tables');
is(q_target($tgt, "SELECT nextval('shop.orders_id_seq')", 'sel1'), '301', 'owned sequence came with its table, position kept');
dumps_ok(expect_db('exp1', 'DROP TABLE shop.orders_old, shop.audit_log, shop.events CASCADE; DROP FUNCTION IF EXISTS shop.audit_count()'),
	'sel1', 'pg_dump -s equals the source without the left-out objects');

# ---- a foreign key to a left-out table is left out, even if the table exists ----
newdb('sel2');
q_target($tgt, "CREATE SCHEMA shop; CREATE TABLE shop.customers (id int PRIMARY KEY, email text, name text)", 'sel2');
($ok, $err) = run_target('sel2',
	"SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"orders\", \"order_items\"], \"conflict\": \"skip\"}')");
ok($ok, 'schema() with tables orders, order_items') or diag($err);
like($err, qr/NOTICE:  skipping foreign key "orders_customer_id_fkey" on shop\.orders: referenced table shop\.customers is not cloned/,
	'FK to the left-out table: NOTICE');
is(q_target($tgt, "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace", 'sel2'),
	'order_items_order_id_fkey', 'only the FK between selected tables');
is(q_target($tgt, "SELECT count(*) FROM shop.customers", 'sel2'), '0', 'the existing table is left alone');
like($err, qr/NOTICE:  skipping view shop\.v_orders: it depends on table shop\.customers/, 'view over a left-out table: NOTICE');

# ---- partitions follow their parent; exclude_tables can still drop one ----
newdb('sel3');
($ok, $err) = run_target('sel3',
	"SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"events\"], \"exclude_tables\": [\"events_2023\"]}')");
ok($ok, 'schema() with a partitioned table') or diag($err);
is(tables_of($tgt, 'sel3', 'shop'), 'events,events_2024', 'parent with the partitions not excluded');
is(checksum($tgt, 'sel3', 'shop.events_2024'), checksum($src, 'postgres', 'shop.events_2024'), 'partition data identical');
like($err, qr/NOTICE:  pgclone option "tables"|NOTICE:  skipping/, 'notices') if 0;

# ---- a pattern that matches nothing: NOTICE; anchored: "order" is not "orders" ----
newdb('sel4');
($ok, $err) = run_target('sel4',
	"SELECT pgclone.schema('$c', 'shop', false, '{\"tables\": [\"order\", \"Customers\", \"customers\"]}')");
ok($ok, 'schema() with patterns matching nothing') or diag($err);
like($err, qr/NOTICE:  pgclone option "tables": pattern "order" matches no table/, 'anchored: "order" matches nothing');
like($err, qr/NOTICE:  pgclone option "tables": pattern "Customers" matches no table/, 'case-sensitive');
is(tables_of($tgt, 'sel4', 'shop'), 'customers', 'only customers');

# ---- bad regex: 2201B before anything is created ----
newdb('sel5');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"orders(\"]}')", 'sel5'),
	qr/ERROR:  2201B: invalid regular expression "orders\(" in pgclone option "tables"/, 'bad regex: 2201B');
is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'", 'sel5'), '0', 'nothing created');
like(target_error($tgt, "SELECT pgclone.database('$c', true, '{\"exclude_tables\": [\"*\"]}')", 'sel5'),
	qr/ERROR:  2201B/, 'database(): bad regex');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": \"orders\"}')", 'sel5'),
	qr/ERROR:  22023: pgclone option "tables" must be an array of strings, not a string/, 'wrong JSON type');

# ---- schema_ex with options ----
newdb('sel6');
($ok, $err) = run_target('sel6',
	"SELECT pgclone.schema_ex('$c', 'shop', true, false, true, true, '{\"tables\": [\"customers\", \"orders\"], \"masks\": {\"customers\": {\"email\": \"email\"}}}')");
ok($ok, 'schema_ex() with options') or diag($err);
is(tables_of($tgt, 'sel6', 'shop'), 'customers,orders,v_orders', 'schema_ex: selected tables');
is(q_target($tgt, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'shop' AND indexname !~ 'pkey'", 'sel6'), '0', 'schema_ex: flags still apply');
is(q_target($tgt, "SELECT email FROM shop.customers WHERE id = 7", 'sel6'), 'u***@example.com', 'schema_ex: masks applied');

# ---- masks: the original's spelling, the same result as "mask" ----
newdb('sel7');
newdb('sel8');
q_target($tgt, "SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"customers\"], \"masks\": {\"customers\": {\"email\": \"email\", \"name\": \"name\"}}}')", 'sel7');
q_target($tgt, "SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"customers\"], \"mask\": {\"customers\": {\"email\": \"email\", \"name\": \"name\"}}}')", 'sel8');
is(checksum($tgt, 'sel7', 'shop.customers'), checksum($tgt, 'sel8', 'shop.customers'), '"masks" = "mask"');
is(q_target($tgt, "SELECT count(*) FROM shop.customers WHERE email !~ '^u\\*\\*\\*\@example\\.com\$' OR name <> 'XXXX'", 'sel7'), '0', 'every row masked');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'shop', true, '{\"masks\": {\"customers\": {\"nope\": \"email\"}}}')", 'sel5'),
	qr/ERROR:  42703/, 'masks: unknown column, as for "mask"');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'shop', true, '{\"masks\": {\"nosuch\": {\"email\": \"email\"}}}')", 'sel5'),
	qr/ERROR:  42P01: mask names table "nosuch"/, 'masks: unknown table');
like(target_error($tgt, "SELECT pgclone.schema('$c', 'shop', true, '{\"masks\": {\"customers\": {\"email\": \"email\"}}, \"mask\": {}}')", 'sel5'),
	qr/ERROR:  22023: pgclone options "mask" and "masks" are the same option/, 'both spellings: 22023');
# a mask for a table the selection leaves out is no error: there is nothing to mask
($ok, $err) = run_target('sel5', "SELECT pgclone.schema('$c', 'shop', true, '{\"tables\": [\"orders\"], \"masks\": {\"customers\": {\"email\": \"email\"}}}')");
ok($ok, 'mask of a left-out table accepted') or diag($err);

# ---- database(): schema.table patterns and schema.table mask keys ----
newdb('seldb');
($ok, $err) = run_target('seldb',
	"SELECT pgclone.database('$c', true, '{\"tables\": [\"hr\\\\..*\", \"public.users\"], \"exclude_tables\": [\"hr.users\"],"
	. " \"masks\": {\"hr.employees\": {\"email\": \"null\"}, \"users\": {\"email\": \"hash\"}}}')");
ok($ok, 'database() with schema.table patterns') or diag($err);
is(tables_of($tgt, 'seldb', 'hr'), 'employees', 'hr: employees only (hr.users excluded)');
is(tables_of($tgt, 'seldb', 'public'), 'users', 'public.users selected by schema.table');
is(tables_of($tgt, 'seldb', 'shop'), '', 'shop: no table');
is(q_target($tgt, "SELECT count(*) FROM hr.employees WHERE email IS NOT NULL", 'seldb'), '0', 'hr.employees masked by its qualified key');
is(q_target($tgt, "SELECT count(*) FROM public.users WHERE email !~ '^[0-9a-f]{32}\$'", 'seldb'), '0', 'public.users masked by its bare key');
is(q_target($tgt, "SELECT sum(salary) FROM hr.employees", 'seldb'), q_source($src, "SELECT sum(salary) FROM hr.employees"), 'unmasked column intact');

# ---- database_create(): the options reach the new database ----
($ok, $err) = run_target('postgres',
	"SELECT pgclone.database_create('$c', 'selcreate', true, '{\"exclude_tables\": [\"shop\\\\..*_old\", \"audit_log\", \"events\", \"hr\\\\..*\"]}')");
ok($ok, 'database_create() with exclude_tables') or diag($err);
is(tables_of($tgt, 'selcreate', 'shop'), 'customers,order_items,orders,v_orders', 'database_create: selection applied');
is(tables_of($tgt, 'selcreate', 'hr'), '', 'database_create: hr tables excluded');
like(target_error($tgt, "SELECT pgclone.database_create('$c', 'selnever', true, '{\"tables\": [\"(\"]}')"),
	qr/ERROR:  2201B/, 'database_create: bad regex');
is(q_target($tgt, "SELECT count(*) FROM pg_database WHERE datname = 'selnever'"), '0', 'no database created');

# ---- schema_async(): sequential and parallel ----
for my $par (1, 2)
{
	my $db = "selasync$par";
	newdb($db);
	my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'shop', true,"
		. " '{\"tables\": [\"order.*\", \"customers\"], \"exclude_tables\": [\".*_old\"], \"parallel\": $par,"
		. " \"masks\": {\"customers\": {\"email\": \"email\"}}}')", $db);
	my $st = '';
	for (1 .. 600)
	{
		$st = q_target($tgt, "SELECT pgclone.progress($id)->>'status'", $db);
		last if $st !~ /^(pending|running)$/;
		select(undef, undef, undef, 0.1);
	}
	is($st, 'completed', "schema_async parallel $par completed")
	  or diag(q_target($tgt, "SELECT pgclone.progress($id)", $db));
	is(tables_of($tgt, $db, 'shop'), 'customers,order_items,orders,v_orders', "schema_async parallel $par: selection");
	is(q_target($tgt, "SELECT tables_total FROM pgclone.jobs_view WHERE job_id = $id", $db), '3', "parallel $par: three tables to load");
	is(checksum($tgt, $db, 'shop.order_items'), checksum($src, 'postgres', 'shop.order_items'), "parallel $par: data identical");
	is(q_target($tgt, "SELECT count(*) FROM shop.customers WHERE email !~ '^u\\*\\*\\*'", $db), '0', "parallel $par: masks applied");
	is(q_target($tgt, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace", $db), '2', "parallel $par: foreign keys");
}

done_testing();
