# pgclone.schema(): every object kind, pg_dump-identical DDL, data, options,
# conflicts, rollback on failure, hostile names, FREEZE.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair(target_conf => $ENV{PGC_DEBUG} ? "log_min_messages = debug1\n" : '');
load_schema_fixture($src, 'postgres', 'fixture loaded');
my $c = src_conninfo($src);

my @tables = schema_fixture_tables();

my $res = q_target($tgt, "SELECT pgclone.schema('$c', 'sales')");
like($res, qr/^OK: schema sales cloned \(16 tables, 8 views, 2 materialized views, 17 functions, 6 types, 5 sequences, 10 indexes, 17 constraints, 2 triggers, 1 policies, 1 rules, 1 statistics objects, 2 collations, 1 conversions, 1 text search templates, 1 text search parsers, 3 text search dictionaries, 2 text search configurations, 3 operators, 2 operator families, 2 operator classes, 2 extensions, \d+ rows\)$/,
	"schema clone result: $res");

sub dumps_equal { my ($db, $nsp, $name) = @_; schema_dumps_equal($src, $tgt, $db, $nsp, $name); }
dumps_equal('postgres', 'sales', 'pg_dump -s of source and target schema are identical');

for my $t (@tables)
{
	is(checksum($tgt, 'postgres', $t), checksum($src, 'postgres', $t), "data of $t");
}
is(q_target($tgt, "SELECT last_value || ',' || is_called FROM sales.ref_seq"),
	q_source($src, "SELECT last_value || ',' || is_called FROM sales.ref_seq"), 'standalone sequence position');
is(q_target($tgt, "SELECT nextval('sales.orders_id_seq')"),
	q_source($src, "SELECT nextval('sales.orders_id_seq')"), 'identity sequence position');
is(q_target($tgt, "SELECT tgenabled FROM pg_trigger WHERE tgname = 'orders_audit'"), 'D', 'disabled trigger stays disabled');
is(q_target($tgt, "SELECT count(*) FROM pg_extension WHERE extname IN ('citext', 'btree_gist')"), '2',
	'needed extensions created');
is(q_target($tgt, "SELECT sales.my_sum(amount) = (SELECT sum(amount) FROM sales.orders) FROM sales.orders"), 't',
	'aggregate works');

# data loaded with FREEZE into tables created by the clone
q_target($tgt, 'CREATE EXTENSION pg_visibility');
is(all_rows_frozen($tgt, 'postgres', 'sales.order_items'), 't', 'rows loaded frozen');

# cloning again: conflict handling
like(target_error($tgt, "SELECT pgclone.schema('$c', 'sales')"), qr/already exists/, 'second clone: conflict error');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'sales', true, '{\"conflict\": \"skip\"}')"),
	qr/^OK: schema sales cloned \(0 tables/, 'conflict skip');
q_target($tgt, 'CREATE DATABASE rep');
q_target($tgt, 'CREATE EXTENSION pgclone', 'rep');
q_target($tgt, "SELECT pgclone.schema('$c', 'sales')", 'rep');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'sales', true, '{\"conflict\": \"replace\"}')", 'rep'),
	qr/^OK: schema sales cloned \(\d+ tables/, 'conflict replace');
dumps_equal('rep', 'sales', 'after replace: pg_dump identical');
is(checksum($tgt, 'rep', 'sales.orders'), checksum($src, 'postgres', 'sales.orders'), 'after replace: data');

# options: no indexes, no triggers, no matviews, structure only
q_target($tgt, 'CREATE DATABASE opt');
q_target($tgt, 'CREATE EXTENSION pgclone', 'opt');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'sales', false, '{\"indexes\": false, \"triggers\": false, \"matviews\": false, \"consistent\": false}')", 'opt'),
	qr/0 materialized views, .* 0 rows\)$/, 'options clone');
is(q_target($tgt, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'sales' AND indexname IN ('customers_name_idx', 'events_kind_idx')", 'opt'),
	'0', 'indexes: false');
is(q_target($tgt, "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'sales'::regnamespace AND NOT tgisinternal", 'opt'),
	'0', 'triggers: false');
is(q_target($tgt, "SELECT count(*) FROM pg_matviews WHERE schemaname = 'sales'", 'opt'), '0', 'matviews: false');
is(q_target($tgt, "SELECT count(*) FROM sales.orders", 'opt'), '0', 'include_data false');
is(q_target($tgt, "SELECT count(*) FROM pg_constraint WHERE conname = 'customers_pkey'", 'opt'), '1', 'constraints kept');
q_target($tgt, 'DROP SCHEMA sales CASCADE', 'opt');
like(q_target($tgt, "SELECT pgclone.schema_ex('$c', 'sales', true, true, false, true)", 'opt'), qr/^OK: schema sales cloned/,
	'schema_ex');
# NOT NULL constraints (pg_constraint rows from 18 on) belong to the columns
is(q_target($tgt, "SELECT count(*) FROM pg_constraint WHERE connamespace = 'sales'::regnamespace AND conrelid <> 0 AND contype <> 'n'", 'opt'),
	'0', 'schema_ex: constraints false');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relname IN ('customer_totals', 'best_customer')", 'opt'),
	'0', 'a view relying on a left-out constraint is left out, with its dependents');

# functions only
q_target($tgt, 'CREATE DATABASE fn');
q_target($tgt, 'CREATE EXTENSION pgclone', 'fn');
like(q_target($tgt, "SELECT pgclone.functions('$c', 'sales')", 'fn'), qr/^OK: \d+ functions cloned from schema sales$/,
	'functions()');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relnamespace = 'sales'::regnamespace", 'fn'), '0',
	'functions(): no tables');
is(q_target($tgt, "SELECT sales.add_one(41)", 'fn'), '42', 'functions(): function works');

done_testing();
