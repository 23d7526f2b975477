# Subset clones (issue 13): filters that propagate along foreign keys, so that
# every foreign key is created and valid on the target.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;
use SubsetFixture;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

# A 5-level chain (regions <- customers <- orders <- order_lines <- line_notes,
# the last one by a composite key), a FK to a UNIQUE constraint (products.sku),
# a self-reference (employees.manager_id) with an ON DELETE SET NULL one beside
# it (mentor_id), a cycle (teams <-> members), a partitioned child and a FK to
# the partitioned table, a hostile name, and a table filtered to nothing.
$src->safe_psql('postgres', subset_fixture_sql());

my $subset = q{{"subset": {"s.customers": "id % 3 = 0 AND created > date '2024-01-10'",
  "s.employees": "dept = 'eng'", "s.products": "sku <> 'P3'", "s.teams": "id <= 2",
  "s.audit": "false"},
  "mask": {"products": {"sku": {"type": "hash", "salt": "k"}},
           "order_lines": {"sku": {"type": "hash", "salt": "k"}}}}};
(my $subset_sql = $subset) =~ s/'/''/g;

my ($ret, $out, $err) = $tgt->psql('postgres',
	"SELECT pgclone.schema('$c', 's', true, '$subset_sql')");
is($ret, 0, 'subset schema clone succeeds') or diag($err);
like($out, qr/^OK: schema s cloned/, 'result message');
like($err, qr/NOTICE:  subset kept \d+ rows in \d+ tables/, 'NOTICE counts the kept rows');
like($err, qr/s\.orders: \d+/, 'NOTICE detail lists rows per table');

# Reference figures computed on the source by hand, following the README's rules.
my %ref = (
	regions => 'SELECT count(*) FROM s.regions',
	employees => q{WITH RECURSIVE k AS (SELECT id, manager_id FROM s.employees WHERE dept = 'eng'
		UNION SELECT e.id, e.manager_id FROM s.employees e JOIN k ON e.id = k.manager_id)
		SELECT count(*) FROM k},
	customers => q{SELECT count(*) FROM s.customers WHERE id % 3 = 0 AND created > date '2024-01-10'
		AND (account_manager IS NULL OR account_manager IN (SELECT id FROM s.employees WHERE dept = 'eng'))},
	orders => q{SELECT count(*) FROM s.orders WHERE customer_id IN (SELECT id FROM s.customers
		WHERE id % 3 = 0 AND created > date '2024-01-10'
		AND (account_manager IS NULL OR account_manager IN (SELECT id FROM s.employees WHERE dept = 'eng')))},
	products => q{SELECT count(*) FROM s.products WHERE sku <> 'P3'},
	teams => undef,
	members => undef,
	audit => 'SELECT 0',
);
my $dcust = q{(SELECT id FROM s.customers WHERE id % 3 = 0 AND created > date '2024-01-10'
	AND (account_manager IS NULL OR account_manager IN (SELECT id FROM s.employees WHERE dept = 'eng')))};
my $dlines = qq{(SELECT order_id, line_no FROM s.order_lines WHERE order_id IN
	(SELECT id FROM s.orders WHERE customer_id IN $dcust) AND (sku IS NULL OR sku <> 'P3'))};
$ref{order_lines} = "SELECT count(*) FROM $dlines x";
$ref{line_notes} = "SELECT count(*) FROM s.line_notes WHERE (order_id, line_no) IN $dlines";
$ref{events} = "SELECT count(*) FROM s.events WHERE customer_id IS NULL OR customer_id IN $dcust";
$ref{event_tags} = "SELECT count(*) FROM s.event_tags WHERE (event_id, event_at) IN
	(SELECT id, at FROM s.events WHERE customer_id IN $dcust)";
$ref{'"We""ird Tab"'} = qq{SELECT count(*) FROM s."We""ird Tab" WHERE "cust id" IN $dcust};
# the cycle: teams 1, 2 and their members; then every lead and team they reference
my $cycle = q{WITH RECURSIVE k(tab, id) AS (
	SELECT 't', id FROM s.teams WHERE id <= 2
	UNION ALL SELECT 'm', id FROM s.members WHERE team_id IN (1, 2)
	UNION SELECT n.tab, n.id FROM k, LATERAL (
		SELECT 'm' AS tab, t.lead_id AS id FROM s.teams t WHERE k.tab = 't' AND t.id = k.id AND t.lead_id IS NOT NULL
		UNION ALL SELECT 't', m.team_id FROM s.members m WHERE k.tab = 'm' AND m.id = k.id AND m.team_id IS NOT NULL) n)};
$ref{teams} = "$cycle SELECT count(*) FROM k WHERE tab = 't'";
$ref{members} = "$cycle SELECT count(*) FROM k WHERE tab = 'm'";

for my $t (sort keys %ref)
{
	my $want = $src->safe_psql('postgres', $ref{$t});
	my $got = $tgt->safe_psql('postgres', "SELECT count(*) FROM s.$t");
	is($got, $want, "rows of $t match the reference");
}
my $total_emp = $src->safe_psql('postgres', 'SELECT count(*) FROM s.employees');
cmp_ok($tgt->safe_psql('postgres', 'SELECT count(*) FROM s.employees'), '<', $total_emp,
	'employees is a real subset');
cmp_ok($tgt->safe_psql('postgres', "SELECT count(*) FROM s.employees WHERE dept <> 'eng'"), '>', 0,
	'managers outside the filter are pulled in by the closure');
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM s.employees e
	WHERE e.mentor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM s.employees m WHERE m.id = e.mentor_id)}),
	'0', 'ON DELETE SET NULL: mentors left out are NULL');
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM s.employees WHERE mentor_id IS NULL}),
	$src->safe_psql('postgres', q{WITH RECURSIVE k AS (SELECT id, manager_id FROM s.employees WHERE dept = 'eng'
		UNION SELECT e.id, e.manager_id FROM s.employees e JOIN k ON e.id = k.manager_id)
		SELECT count(*) FROM s.employees e JOIN k USING (id) WHERE e.mentor_id IS NULL OR e.mentor_id NOT IN (SELECT id FROM k)}),
	'ON DELETE SET NULL: exactly the references to rows left out are NULL');

# every FK of the source exists on the target, and is valid
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
	JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's' AND k.contype = 'f' AND k.conparentid = 0 AND k.convalidated}),
	$src->safe_psql('postgres', q{SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
	JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's' AND k.contype = 'f' AND k.conparentid = 0}),
	'every foreign key created and validated on the target');
my $integ = $tgt->safe_psql('postgres',
	q{SELECT count(*) FILTER (WHERE match <> '✓') || '/' || count(*) FROM pgclone.verify(NULL, 's', '{"mode": "integrity"}')});
is($integ, '0/13', 'verify integrity: every table of the subset is consistent');

# masks: the hashed sku still joins order_lines to products
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM s.order_lines l JOIN s.products p USING (sku)}),
	$tgt->safe_psql('postgres', q{SELECT count(*) FROM s.order_lines WHERE sku IS NOT NULL}),
	'hash mask on the key columns keeps the join');
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM s.products WHERE sku LIKE 'P%'}), '0',
	'sku is masked');

# verify integrity finds a broken key (dropped, a row orphaned, re-added NOT VALID)
$tgt->safe_psql('postgres', q{
	ALTER TABLE s.orders DROP CONSTRAINT orders_customer_id_fkey;
	INSERT INTO s.orders VALUES (100000, 999999), (100001, 999998);
	ALTER TABLE s.orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id)
	  REFERENCES s.customers NOT VALID;});
is($tgt->safe_psql('postgres',
	q{SELECT match FROM pgclone.verify(NULL, 's', '{"mode": "integrity"}') WHERE table_name = 'orders'}),
	'✗ (2 rows break orders_customer_id_fkey)', 'verify integrity reports orphans');
$tgt->safe_psql('postgres', 'DROP SCHEMA s CASCADE');

# database(): the same subset over the whole database
$tgt->safe_psql('postgres', 'CREATE DATABASE d2');
$tgt->safe_psql('d2', 'CREATE EXTENSION pgclone');
($ret, $out, $err) = $tgt->psql('d2', "SELECT pgclone.database('$c', true, '$subset_sql')");
is($ret, 0, 'subset database clone succeeds') or diag($err);
is($tgt->safe_psql('d2', 'SELECT count(*) FROM s.orders'),
	$src->safe_psql('postgres', $ref{orders}), 'database(): orders match the reference');
is($tgt->safe_psql('d2',
	q{SELECT count(*) FROM pgclone.verify(NULL, NULL, '{"mode": "integrity"}') WHERE match <> '✓'}),
	'0', 'database(): integrity holds');

# database_create(): the same subset into a new database
($ret, $out, $err) = $tgt->psql('postgres', "SELECT pgclone.database_create('$c', 'd3', true, '$subset_sql')");
is($ret, 0, 'subset database_create succeeds') or diag($err);
is($tgt->safe_psql('d3', 'SELECT count(*) FROM s.line_notes'),
	$src->safe_psql('postgres', $ref{line_notes}), 'database_create(): line_notes match the reference');
is($tgt->safe_psql('d3',
	q{SELECT count(*) FROM pgclone.verify(NULL, NULL, '{"mode": "integrity"}') WHERE match <> '✓'}),
	'0', 'database_create(): integrity holds');

# the closure limit: a cycle that cannot be closed within it is an error, nothing created
my $e = target_error($tgt, "SET pgclone.subset_closure_limit = 5;
	SELECT pgclone.schema('$c', 's', true, '$subset_sql')");
like($e, qr/54000: subset: the foreign-key cycles cannot be closed within 5 rows/, 'closure limit: 54000');
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM pg_namespace WHERE nspname = 's'}), '0',
	'closure limit: nothing created');

# bad filters, each with its SQLSTATE, nothing created
my %bad = (
	'{"subset": {"s.nope": "true"}}' => qr/42P01: subset names table "s.nope", which this clone does not copy/,
	'{"subset": {"s.orders": "id >"}}' => qr/42601: subset filter of table "s.orders": invalid "where" filter/,
	'{"subset": {"s.orders": "true) UNION SELECT 1 FROM pg_authid --"}}' => qr/42601: subset filter of table "s.orders"/,
	'{"subset": {"s.orders": "true; DROP TABLE s.orders"}}' => qr/42601: subset filter of table "s.orders"/,
	q{{"subset": {"s.orders": "nextval('s.line_notes_id_seq') > 0"}}} => qr/25006: cannot execute nextval\(\) in a read-only transaction/,
	'{"subset": {"s.orders": "no_such_col = 1"}}' => qr/42703: column "no_such_col" does not exist/,
	'{"subset": {"s.orders": 5}}' => qr/22023: subset filter of table "s.orders" must be a string/,
	'{"subset": ["s.orders"]}' => qr/22023: pgclone option "subset" must be an object/,
	'{"subset": {}}' => qr/22023: pgclone option "subset" must name at least one table/,
	'{"subset": {"a.b.c.d": "true"}}' => qr/42P01|42601|42602/,
);
for my $o (sort keys %bad)
{
	(my $q = $o) =~ s/'/''/g;
	$e = target_error($tgt, "SELECT pgclone.schema('$c', 's', true, '$q')");
	like($e, $bad{$o}, "bad subset $o");
}
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM pg_namespace WHERE nspname = 's'}), '0',
	'bad filters: nothing created');
$e = target_error($tgt, "SELECT pgclone.table('$c', 's', 'orders', true, 'o2', '{\"subset\": {\"s.orders\": \"true\"}}')");
like($e, qr/22023: pgclone option "subset" does not apply to this function/, 'table() has no subset');

# a hostile name as the filter's key, and in the filter
$e = q{{"subset": {"s.\"We\"\"ird Tab\"": "\"c\"\"ol\" <= 5 AND \"cust id\" IS NOT NULL"}}};
$e =~ s/'/''/g;
q_target($tgt, "SELECT pgclone.schema('$c', 's', true, '$e')");
is(q_target($tgt, 'SELECT count(*) FROM s."We""ird Tab"'), '5', 'hostile names: filter applied');
is(q_target($tgt, 'SELECT count(*) FROM s.customers'), q_source($src, 'SELECT count(*) FROM s.customers'),
	'hostile names: referenced table not restricted, every row');
q_target($tgt, 'DROP SCHEMA s CASCADE');

# schema_async with a pool: the same rows
my $async_opts = substr($subset_sql, 0, -1) . ', "parallel": 2}';
my $jid = $tgt->safe_psql('postgres', "SELECT pgclone.schema_async('$c', 's', true, '$async_opts')");
my $state = PgcloneTest::wait_job($tgt, $jid);
is($state, 'completed', 'schema_async subset job completes');
for my $t (qw(orders employees line_notes teams members events))
{
	is($tgt->safe_psql('postgres', "SELECT count(*) FROM s.$t"),
		$src->safe_psql('postgres', $ref{$t}), "async: rows of $t match the reference");
}
is($tgt->safe_psql('postgres',
	q{SELECT count(*) FROM pgclone.verify(NULL, 's', '{"mode": "integrity"}') WHERE match <> '✓'}),
	'0', 'async: integrity holds');

# The subset example, read from doc/subsets.md, runs and gives what it says
{
	open(my $fh, '<', 'doc/subsets.md') or die "doc/subsets.md: $!";
	my $readme = do { local $/; <$fh> };
	my ($exsrc) = $readme =~ /```sql\n-- subset example: source\n(.*?)```/s;
	my ($extgt) = $readme =~ /```sql\n-- subset example: target\n(.*?)```/s;
	ok($exsrc && $extgt, 'README has the subset example');
	my ($notice) = $extgt =~ /^-- (NOTICE:.*\n-- DETAIL:.*)$/m;
	$notice =~ s/\n-- /\n/;
	(my $craw = $src->connstr('postgres')) =~ s/'/''/g;
	$extgt =~ s/host=prod dbname=app/$craw/;
	$src->safe_psql('postgres', $exsrc);
	my ($r, $o, $er) = $tgt->psql('postgres', $extgt);
	is($r, 0, 'README example runs') or diag($er);
	like($er, qr/\Q$notice\E/, 'README example: the NOTICE it shows');
	my @lines = split /\n/, $o;
	is(join("\n", @lines[-4 .. -1]), "customers|10|✓\nemployees|4|✓\norder_lines|200|✓\norders|100|✓",
		'README example: verify integrity as shown');
	is($tgt->safe_psql('postgres', 'SELECT string_agg(name, \',\' ORDER BY id) FROM shop.employees'),
		'ceo,vp,rep a,rep b', 'README example: the reps and their managers');
}

done_testing();
