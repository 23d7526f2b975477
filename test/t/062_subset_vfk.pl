# Virtual foreign keys (issue 27): the subset test schema without its
# REFERENCES clauses, plus "virtual_foreign_keys" naming those keys, gives the
# same subset as the schema with real keys; nothing is created for them on the
# target; bad keys are errors before anything is created; the dry run agrees.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;
use SubsetFixture;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

# s: the fixture with its keys (but the ON DELETE SET NULL one, which is soft
# and has no virtual equivalent); v: the same tables and rows, no foreign key
# (partitions become plain tables: LIKE copies columns, keys and indexes)
$src->safe_psql('postgres', subset_fixture_sql(without_mentor => 1));
$src->safe_psql('postgres', q{
CREATE SCHEMA v;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = 's'::regnamespace
    AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
    EXECUTE format('CREATE TABLE v.%I (LIKE s.%I INCLUDING ALL EXCLUDING DEFAULTS)', r.relname, r.relname);
    EXECUTE format('INSERT INTO v.%I SELECT * FROM s.%I', r.relname, r.relname);
  END LOOP; END $$;
});
is($src->safe_psql('postgres', q{SELECT count(*) FROM pg_constraint WHERE contype = 'f'
	AND connamespace = 'v'::regnamespace}), '0', 'v has no foreign key');

# every foreign key of s as a virtual key of v, in the documented string form
my $vfks = $src->safe_psql('postgres', q{
SELECT string_agg(format('{"from": "%s(%s)", "to": "%s(%s)"}',
    replace(format('v.%I', cl.relname), '"', '\"'),
    replace((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n), '"', '\"'),
    replace(format('v.%I', cr.relname), '"', '\"'),
    replace((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n), '"', '\"')), ', ' ORDER BY k.conname)
FROM pg_constraint k JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class cr ON cr.oid = k.confrelid
WHERE k.contype = 'f' AND k.connamespace = 's'::regnamespace AND k.conparentid = 0});
my $nvfk = () = $vfks =~ /"from"/g;
is($nvfk, 12, 'twelve virtual keys, one per foreign key of s');

my $filters = q{"%s.customers": "id % 3 = 0 AND created > date '2024-01-10'",
  "%s.employees": "dept = 'eng'", "%s.products": {"rows": 7, "order_by": "sku desc"},
  "%s.teams": "id <= 2", "%s.audit": "false", "%s.events": {"percent": 60}};
sub opts
{
	my ($nsp, $extra) = @_;
	(my $f = $filters) =~ s/%s/$nsp/g;
	my $o = qq({"subset": {$f}, "seed": 5) . ($extra // '') . '}';
	$o =~ s/'/''/g;
	return $o;
}
my @tables = (qw(regions employees customers orders products order_lines line_notes teams
  members events event_tags audit), '"We""ird Tab"');

my ($ret, $out, $err) = $tgt->psql('postgres', "SELECT pgclone.schema('$c', 's', true, '" . opts('s') . "')");
is($ret, 0, 'subset of s (real keys)') or diag($err);
my $vopts = opts('v', qq(, "virtual_foreign_keys": [$vfks]));
($ret, $out, $err) = $tgt->psql('postgres', "SELECT pgclone.schema('$c', 'v', true, '$vopts')");
is($ret, 0, 'subset of v (virtual keys)') or diag($err);
for my $t (@tables)
{
	is(checksum($tgt, 'postgres', "v.$t"), checksum($tgt, 'postgres', "s.$t"),
		"$t: the same rows with virtual keys as with real keys");
}
cmp_ok($tgt->safe_psql('postgres', 'SELECT count(*) FROM v.orders'), '<',
	$src->safe_psql('postgres', 'SELECT count(*) FROM v.orders'), 'orders is a real subset');
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM pg_constraint WHERE contype = 'f'
	AND connamespace = 'v'::regnamespace}), '0', 'no constraint created for a virtual key');

# the dry run with virtual keys: the counts the clone copied
my $prev = $tgt->safe_psql('postgres',
	"SELECT string_agg(table_name || '=' || rows, ',' ORDER BY table_name COLLATE \"C\")
	 FROM pgclone.subset_preview('$c', 'v', '$vopts')");
is($prev, join(',', map { "v.$_=" . $tgt->safe_psql('postgres', "SELECT count(*) FROM v.$_") }
	sort @tables), 'dry run with virtual keys: rows per table equal the clone');

# without the virtual keys the "subset" of v is nearly the whole database
$tgt->safe_psql('postgres', 'CREATE DATABASE w');
$tgt->safe_psql('w', 'CREATE EXTENSION pgclone');
$tgt->safe_psql('w', "SELECT pgclone.schema('$c', 'v', true, '" . opts('v') . "')");
is($tgt->safe_psql('w', 'SELECT count(*) FROM v.orders'),
	$src->safe_psql('postgres', 'SELECT count(*) FROM v.orders'),
	'without virtual keys every order is kept');

# a virtual key beside real ones: a key the schema lacks (line_notes.order_id
# -> orders) restricts what the real ones did not
$tgt->safe_psql('postgres', 'DROP SCHEMA s CASCADE');
my $extra = q{{"from": "s.line_notes(order_id)", "to": "s.orders(id)"}};
$tgt->safe_psql('postgres', "SELECT pgclone.schema('$c', 's', true, '"
	. q({"subset": {"s.orders": "id <= 10"}, "virtual_foreign_keys": [) . $extra . q(]}) . "')");
is($tgt->safe_psql('postgres', 'SELECT count(*) FROM s.line_notes WHERE order_id > 10'), '0',
	'a virtual key beside the real ones is followed');
$tgt->safe_psql('postgres', 'DROP SCHEMA s CASCADE; DROP SCHEMA v CASCADE');

# bad virtual keys: each an error with its SQLSTATE, nothing created
$src->safe_psql('postgres', q{CREATE TABLE v.tagged (id int PRIMARY KEY, label text, code int, note jsonb)});
my %bad = (
	'{"from": "v.orders(nope)", "to": "v.customers(id)"}' =>
	  qr/42703: virtual foreign key 1: column "nope" of table v.orders does not exist/,
	'{"from": "v.orders(customer_id)", "to": "v.customers(nope)"}' =>
	  qr/42703: virtual foreign key 1: column "nope" of table v.customers does not exist/,
	'{"from": "v.orders(customer_id)", "to": "v.customers(region_id)"}' =>
	  qr/42830: virtual foreign key 1: the referenced columns of v.customers are not unique/,
	'{"from": "v.orders(customer_id)", "to": "v.nope(id)"}' =>
	  qr/42P01: virtual foreign key 1: table v.nope is not a table this clone copies/,
	'{"from": "v.tagged(note)", "to": "v.customers(id)"}' =>
	  qr/42804: virtual foreign key 1: column "note" \(jsonb\) cannot be compared with "id" \(integer\)/,
	'{"from": "v.orders(customer_id, id)", "to": "v.customers(id)"}' =>
	  qr/22023: virtual foreign key 1: "from" and "to" must list as many columns/,
	'{"from": "v.orders customer_id", "to": "v.customers(id)"}' =>
	  qr/22023: virtual foreign key 1: "v.orders customer_id" must be a table name and its columns/,
	'{"from": "v.orders(customer_id)"}' => qr/22023: virtual foreign key 1: it needs "from" and "to"/,
	'{"from": "v.orders(customer_id)", "to": "v.customers(id)", "on": 1}' =>
	  qr/22023: virtual foreign key 1: unknown key "on"/,
	'{"from": "a.b.c.d(x)", "to": "v.customers(id)"}' => qr/42602: virtual foreign key 1: invalid table name/,
	'{"from": "v.orders(\"x)", "to": "v.customers(id)"}' => qr/22023|42602/,
	'"v.orders(customer_id)"' => qr/22023: virtual foreign key 1: each element must be an object/,
);
for my $k (sort keys %bad)
{
	(my $q = qq({"subset": {"v.customers": "id < 5"}, "virtual_foreign_keys": [$k]})) =~ s/'/''/g;
	like(target_error($tgt, "SELECT pgclone.schema('$c', 'v', true, '$q')"), $bad{$k}, "bad virtual key $k");
}
like(target_error($tgt, qq{SELECT pgclone.schema('$c', 'v', true, '{"virtual_foreign_keys": {}}')}),
	qr/22023: pgclone option "virtual_foreign_keys" must be an array/, 'virtual_foreign_keys not an array');
like(target_error($tgt, qq{SELECT pgclone.schema('$c', 'v', true, '{"virtual_foreign_keys": []}')}),
	qr/22023: pgclone option "virtual_foreign_keys" must list at least one key/, 'empty virtual_foreign_keys');
# checked even without "subset"
like(target_error($tgt, qq{SELECT pgclone.schema('$c', 'v', true,
	'{"virtual_foreign_keys": [{"from": "v.orders(x)", "to": "v.customers(id)"}]}')}),
	qr/42703: virtual foreign key 1: column "x"/, 'virtual keys are checked without a subset too');
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM pg_namespace WHERE nspname = 'v'}), '0',
	'bad virtual keys: nothing created');
# unqualified names, a unique index (not a constraint), a binary-coercible type
$src->safe_psql('postgres', q{CREATE TABLE v.codes (code bigint, label varchar(20));
	CREATE UNIQUE INDEX ON v.codes (label); INSERT INTO v.codes VALUES (1, 'a'), (2, 'b');
	INSERT INTO v.tagged VALUES (1, 'a', 1), (2, 'b', 2), (3, 'a', 1)});
($ret, $out, $err) = $tgt->psql('postgres', qq{SELECT pgclone.schema('$c', 'v', true,
	'{"subset": {"codes": "label = ''a''"},
	  "virtual_foreign_keys": [{"from": "tagged(label)", "to": "codes(label)"}]}')});
is($ret, 0, 'text -> varchar key to a unique index, unqualified names') or diag($err);
is($tgt->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM v.tagged'), '1,3',
	'tagged rows of the kept code only');

done_testing();
