# pgclone.table(): fidelity (pg_dump oracle), data, every option, conflicts,
# transactions, hostile names, injection through "where", errors.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
$src->safe_psql('postgres', slurp_file('test/fixtures/table_fixture.sql'));
my $c = src_conninfo($src);

# objects a table clone does not bring (types, trigger functions)
q_target($tgt, <<'SQL');
CREATE EXTENSION pg_visibility;
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated := now(); RETURN NEW; END$$;
CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
SQL

sub clone
{
	my ($args) = @_;
	return q_target($tgt, "SELECT pgclone.table('$c', $args)");
}

# --- fidelity and data -------------------------------------------------------
is(clone("'public', 'customers'"), 'OK: cloned public.customers to public.customers (2000 rows)',
	'customers cloned');
is(clone("'public', 'orders'"), 'OK: cloned public.orders to public.orders (5000 rows)', 'orders cloned');
is(clone("'public', 'scratch'"), 'OK: cloned public.scratch to public.scratch (100 rows)', 'unlogged cloned');

for my $t (qw(public.customers public.orders public.scratch))
{
	is(checksum($tgt, 'postgres', $t), checksum($src, 'postgres', $t), "$t: data identical");
	is(dump_schema($tgt, 'postgres', '-t', $t), dump_schema($src, 'postgres', '-t', $t),
		"$t: pg_dump -s identical");
}

# identity and serial sequences continue from the source's position
for my $s (qw(orders_id_seq customers_id_seq))
{
	my $q = "SELECT last_value || '/' || is_called FROM public.$s";
	is(q_target($tgt, $q), q_source($src, $q), "$s position kept");
}
is(q_target($tgt, "INSERT INTO orders (customer_id, qty, price) VALUES (1, 1, 1) RETURNING id"),
	q_source($src, "SELECT last_value + 5 FROM orders_id_seq"), 'identity continues');

# loaded with FREEZE: no VACUUM needed
ok(q_target($tgt, "SELECT all_frozen > 0 FROM pg_visibility_map_summary('public.customers')") eq 't',
	'COPY FREEZE into the new table');

# the same table twice under other names: derived names do not collide
like(clone("'public', 'customers', true, 'customers_copy'"), qr/to public.customers_copy \(2000 rows\)/,
	'renamed clone');
like(clone("'public', 'customers', false, 'customers_copy2'"), qr/structure only/, 'second renamed clone');
(my $want = dump_schema($src, 'postgres', '-t', 'public.customers')) =~ s/customers/customers_copy/g;
is(dump_schema($tgt, 'postgres', '-t', 'public.customers_copy'), $want,
	'pg_dump of renamed clone matches modulo the name');
is(q_target($tgt, 'SELECT count(*) FROM customers_copy2'), '0', 'structure only: no rows');

# --- options ----------------------------------------------------------------
q_target($tgt, 'CREATE SCHEMA opt');
sub clone_opt
{
	my ($name, $opts, $data) = @_;
	$data //= 'true';
	return q_target($tgt,
		"SET search_path = opt, public; SELECT pgclone.table('$c', 'public', 'customers', $data, '$name', '$opts')");
}
sub count_of
{
	my ($sql) = @_;
	return q_target($tgt, $sql);
}
# target schema: clones go into the source schema name; use a fresh database per case instead
q_target($tgt, 'CREATE DATABASE o');
$tgt->safe_psql('o', <<'SQL');
CREATE EXTENSION pgclone;
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
SQL
sub o { my ($sql) = @_; return $tgt->safe_psql('o', $sql); }
sub cnt_idx { my ($t) = @_; return o("SELECT count(*) FROM pg_index WHERE indrelid = 'public.$t'::regclass"); }
# NOT NULL constraints (rows from 18 on) come with the columns, not with "constraints"
sub cnt_con { my ($t) = @_; return o("SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.$t'::regclass AND contype NOT IN ('t', 'n')"); }
sub cnt_trg { my ($t) = @_; return o("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.$t'::regclass AND NOT tgisinternal"); }

o("SELECT pgclone.table('$c', 'public', 'customers', true, 'c_noidx', '{\"indexes\": false}')");
is(cnt_idx('c_noidx'), '2', 'indexes=false: only constraint indexes (pkey, unique)');
is(cnt_con('c_noidx'), '4', 'indexes=false: constraints kept');
o("SELECT pgclone.table('$c', 'public', 'customers', true, 'c_nocon', '{\"constraints\": false}')");
is(cnt_con('c_nocon'), '0', 'constraints=false: no constraints');
is(cnt_idx('c_nocon'), '3', 'constraints=false: plain indexes kept');
o("SELECT pgclone.table('$c', 'public', 'customers', true, 'c_notrg', '{\"triggers\": false}')");
is(cnt_trg('c_notrg'), '0', 'triggers=false: no triggers');
is(cnt_trg('c_nocon'), '3', 'triggers kept by default (incl. a constraint trigger)');
is(o("SELECT tgenabled FROM pg_trigger WHERE tgname = 'c_nocon_audit'"), 'D', 'disabled trigger stays disabled');
o("SELECT pgclone.table_ex('$c', 'public', 'customers', true, 'c_ex', false, true, false)");
is(cnt_idx('c_ex') . '/' . cnt_con('c_ex') . '/' . cnt_trg('c_ex'), '2/4/0', 'table_ex flags');

# columns: constraints and indexes on left-out columns are left out
o("SELECT pgclone.table('$c', 'public', 'customers', true, 'c_cols', '{\"columns\": [\"id\", \"name\", \"email\"]}')");
is(o("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'c_cols'::regclass AND attnum > 0"),
	'id,name,email', 'columns: only listed columns');
is(o("SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'c_cols'::regclass AND contype NOT IN ('t', 'n')"),
	'c_cols_email_key,c_cols_pkey', 'columns: checks on dropped columns left out');
is(o("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'c_cols'::regclass)"),
	'c_cols_email_key,c_cols_pkey', 'columns: indexes on dropped columns left out');
is(o("SELECT md5(string_agg(id || name || email, '' ORDER BY id)) FROM c_cols"),
	q_source($src, "SELECT md5(string_agg(id || name || email, '' ORDER BY id)) FROM customers"), 'columns: data');

# where: any boolean expression, evaluated on the source
o(qq{SELECT pgclone.table('$c', 'public', 'customers', true, 'c_where', '{"where": "status <> ''reset'' AND id % 2 = 1"}')});
is(o('SELECT count(*) FROM c_where'), q_source($src, "SELECT count(*) FROM customers WHERE status <> 'reset' AND id % 2 = 1"),
	'where: filtered rows');
o(qq{SELECT pgclone.table('$c', 'public', 'orders', true, 'o_mix', '{"columns": ["id", "customer_id", "qty", "price"], "where": "qty > 3", "triggers": false}')});
is(o('SELECT count(*) FROM o_mix'), q_source($src, 'SELECT count(*) FROM orders WHERE qty > 3'), 'columns + where');
like(o("SELECT count(*) FROM pg_constraint WHERE conrelid = 'o_mix'::regclass AND contype = 'f'"), qr/^0$/,
	'FK to a table absent on the target is skipped');

# --- where: injection and read-only ------------------------------------------
q_source($src, "CREATE TABLE victim (x int); CREATE FUNCTION public.evil() RETURNS boolean LANGUAGE sql AS 'INSERT INTO public.victim VALUES (1) RETURNING true'");
my $err = target_error($tgt, qq{SELECT pgclone.table('$c', 'public', 'customers', true, 'c_evil', '{"where": "public.evil()"}')}, 'o');
like($err, qr/25006/, 'where: a writing function fails (read-only transaction)');
$err = target_error($tgt, qq{SELECT pgclone.table('$c', 'public', 'customers', true, 'c_evil', '{"where": "true) UNION (SELECT 1"}')}, 'o');
like($err, qr/42601: invalid "where" filter/, 'where: set operation rejected');
$err = target_error($tgt, qq{SELECT pgclone.table('$c', 'public', 'customers', true, 'c_evil', '{"where": "1=1; DELETE FROM victim"}')}, 'o');
like($err, qr/42601/, 'where: second statement rejected');
$err = target_error($tgt, qq{SELECT pgclone.table('$c', 'public', 'customers', true, 'c_evil', '{"where": "nosuchcol = 1"}')}, 'o');
like($err, qr/42703: column "nosuchcol" does not exist/, 'where: remote error relayed with its SQLSTATE');
like($err, qr/pgclone: cloning table public.customers/, 'where: error context names the source table');
is(q_source($src, 'SELECT count(*) FROM victim'), '0', 'source untouched');
is(o("SELECT count(*) FROM pg_class WHERE relname = 'c_evil'"), '0', 'nothing left behind');

# --- conflicts -----------------------------------------------------------------
o('CREATE TABLE public.conf (id int)');
q_source($src, 'CREATE TABLE public.conf (id int PRIMARY KEY, v text); INSERT INTO public.conf SELECT g, g::text FROM generate_series(1,10) g');
$err = target_error($tgt, "SELECT pgclone.table('$c', 'public', 'conf')", 'o');
like($err, qr/42P07: target table public.conf already exists/, 'conflict error (default)');
my ($ret, $out, $stderr) = $tgt->psql('o', "SELECT pgclone.table('$c', 'public', 'conf', true, NULL, '{\"conflict\": \"skip\"}')");
like($out, qr/^SKIPPED/, 'conflict skip: result');
like($stderr, qr/already exists, skipping/, 'conflict skip: notice');
is(o('SELECT count(*) FROM conf'), '0', 'conflict skip: table untouched');
o("SELECT pgclone.table('$c', 'public', 'conf', true, NULL, '{\"conflict\": \"replace\"}')");
is(o('SELECT count(*) FROM conf'), '10', 'conflict replace: new data');
o("SELECT pgclone.table('$c', 'public', 'conf', false, NULL, '{\"conflict\": \"rename\"}')");
is(o('SELECT count(*) FROM conf_old') . '/' . o('SELECT count(*) FROM conf'), '10/0', 'conflict rename (structure only)');
is(o("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname LIKE 'conf%' AND relkind = 'i'"),
	'conf_old_pkey,conf_pkey', 'conflict rename: old indexes renamed, new ones free');
$err = target_error($tgt, "SELECT pgclone.table('$c', 'public', 'conf', true, NULL, '{\"conflict\": \"rename\"}')", 'o');
like($err, qr/42P07: cannot rename public.conf to "conf_old"/, 'conflict rename: _old taken');

# --- transactions ----------------------------------------------------------------
o("BEGIN; SELECT pgclone.table('$c', 'public', 'customers', true, 'c_rb'); ROLLBACK;");
is(o("SELECT count(*) FROM pg_class WHERE relname LIKE 'c_rb%'"), '0', 'ROLLBACK leaves nothing');
$err = target_error($tgt,
	qq{SELECT pgclone.table('$c', 'public', 'customers', true, 'c_half', '{"where": "1 / (id - 1500) IS NOT NULL"}')}, 'o');
like($err, qr/22012/, 'error half-way through the copy');
is(o("SELECT count(*) FROM pg_class WHERE relname LIKE 'c_half%'"), '0', 'error half-way leaves nothing');

# --- consistent ----------------------------------------------------------------
o(qq{SELECT pgclone.table('$c', 'public', 'scratch', true, 'sc_nc', '{"consistent": false}')});
is(o('SELECT count(*) FROM sc_nc'), '100', 'consistent=false works');

# --- hostile names ---------------------------------------------------------------
my $ht = q{"We;ird ""Sch"."Tab'le; DROP TABLE x;--"};
my $lit_s = q{We;ird "Sch};
my $lit_t = q{Tab'le; DROP TABLE x;--};
(my $qs = $lit_s) =~ s/'/''/g;
(my $qt = $lit_t) =~ s/'/''/g;
like(q_target($tgt, "SELECT pgclone.table('$c', '$qs', '$qt')"), qr/\(10 rows\)/, 'hostile names cloned');
is(checksum($tgt, 'postgres', $ht), checksum($src, 'postgres', $ht), 'hostile names: data identical');
is(dump_schema($tgt, 'postgres', '-t', $ht), dump_schema($src, 'postgres', '-t', $ht), 'hostile names: pg_dump identical');
is(q_target($tgt, 'SELECT count(*) FROM public.customers'), '2000', 'hostile names: nothing dropped');

# --- missing objects -------------------------------------------------------------
$err = target_error($tgt, "SELECT pgclone.table('$c', 'public', 'nosuch')");
like($err, qr/42P01: source table public.nosuch does not exist/, 'unknown table');
$err = target_error($tgt, "SELECT pgclone.table('$c', 'nosuch', 't')");
like($err, qr/42P01/, 'unknown schema');
$err = target_error($tgt, qq{SELECT pgclone.table('$c', 'public', 'customers', true, 'cx', '{"columns": ["id", "nope"]}')});
like($err, qr/42703: column "nope" listed in "columns" does not exist/, 'unknown column in columns');

# --- a partition stands alone (a partitioned table: 012_partitioned.pl)
q_source($src, "CREATE TABLE pt (id int, k int) PARTITION BY RANGE (id); CREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (100); INSERT INTO pt SELECT g, g FROM generate_series(0, 99) g");
($ret, $out, $stderr) = $tgt->psql('postgres', "SELECT pgclone.table('$c', 'public', 'pt1')");
like($stderr, qr/cloned as a standalone table, without its parent public.pt/, 'partition: notice');
is(q_target($tgt, 'SELECT count(*) FROM pt1'), '100', 'partition: rows');

# --- cancel and timeout: within about a second, source connection closed -----------
q_source($src, 'CREATE TABLE slow AS SELECT g AS id FROM generate_series(1, 100000) g');
my $slow = qq{SELECT pgclone.table('$c', 'public', 'slow', true, 'slow_t', '{"where": "pg_sleep(0.0001) IS NOT NULL"}')};
my $t0 = time();
$err = target_error($tgt, "SET statement_timeout = '1s'; $slow");
like($err, qr/57014/, 'statement_timeout cancels the copy');
cmp_ok(time() - $t0, '<=', 4, 'timeout honoured promptly');
my $bg = $tgt->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, "\\echo started\n$slow;\n");
sleep 1;
$t0 = time();
q_target($tgt, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%slow_t%' AND pid <> pg_backend_pid()");
$bg->quit;
cmp_ok(time() - $t0, '<=', 3, 'pg_cancel_backend stops the copy promptly');
$src->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'pgclone'")
  or die 'source connection left open';
pass('source connections closed after cancel');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relname = 'slow_t'"), '0', 'cancelled clone left nothing');

done_testing();
