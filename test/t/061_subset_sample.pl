# Sampled subsets (issue 27): "percent" and "rows" rules in "subset", with a
# "seed"; followed along foreign keys like filters; the dry run
# pgclone.subset_preview(); bad rules; statements do not grow with rules.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;
use SubsetFixture;

my ($src, $tgt) = start_pair(source_conf => "log_statement = 'all'\nlog_line_prefix = '\@%d\@ '\n");
my $c = src_conninfo($src);
$src->safe_psql('postgres', subset_fixture_sql());

my @tables = (qw(regions employees customers orders products order_lines line_notes teams
  members events event_tags audit), '"We""ird Tab"');

# clone schema s into a new database with these options; returns the database
my $ndb = 0;
sub clone_into
{
	my ($opts) = @_;
	my $db = 'c' . ++$ndb;
	(my $o = $opts) =~ s/'/''/g;
	$tgt->safe_psql('postgres', "CREATE DATABASE $db");
	$tgt->safe_psql($db, 'CREATE EXTENSION pgclone');
	my ($ret, $out, $err) = $tgt->psql($db, "SELECT pgclone.schema('$c', 's', true, '$o')");
	is($ret, 0, "clone $db: $opts") or diag($err);
	return $db;
}
sub sums { my ($db) = @_; return join(',', map { checksum($tgt, $db, "s.$_") } @tables); }
sub count { my ($db, $t) = @_; return $tgt->safe_psql($db, "SELECT count(*) FROM s.$t"); }
sub integrity_ok
{
	my ($db, $what) = @_;
	is($tgt->safe_psql($db, q{SELECT count(*) FILTER (WHERE match <> '✓') || '/' || count(*)
		FROM pgclone.verify(NULL, 's', '{"mode": "integrity"}')}), '0/13',
		"$what: every foreign key holds");
}

# --- percent: deterministic for a seed, another seed gives other rows
my $pct = '{"subset": {"s.customers": {"percent": 20}}, "seed": 7}';
my $a = clone_into($pct);
my $b = clone_into($pct);
my $d = clone_into('{"subset": {"s.customers": {"percent": 20}}, "seed": 8}');
is(sums($a), sums($b), 'percent: the same seed gives the same rows in every table');
isnt(checksum($tgt, $a, 's.customers'), checksum($tgt, $d, 's.customers'),
	'percent: another seed gives other customers');
integrity_ok($a, 'percent');
my $n = count($a, 'customers');
ok($n >= 30 && $n <= 90, "percent 20 of 300 customers keeps about 60 ($n)");
# followed like a filter: orders are exactly those of the kept customers
my $ids = $tgt->safe_psql($a, 'SELECT string_agg(id::text, \',\') FROM s.customers');
is(count($a, 'orders'),
	$src->safe_psql('postgres', "SELECT count(*) FROM s.orders WHERE customer_id IN ($ids)"),
	'percent: orders of the kept customers, all of them');
is(count($a, 'regions'), '5', 'percent: referenced tables keep every row');
# a small percentage (written as a range for the source's estimate): the same
my $s1 = clone_into('{"subset": {"s.orders": {"percent": 2}}, "seed": 9}');
my $s2 = clone_into('{"subset": {"s.orders": {"percent": 2}}, "seed": 9}');
is(sums($s1), sums($s2), 'percent 2: the same rows on two runs');
$n = count($s1, 'orders');
ok($n >= 10 && $n <= 60, "percent 2 of 1500 orders keeps about 30 ($n)");
is(count($s1, 'order_lines'), 3 * $n, 'percent 2: every line of the kept orders');
# the sample is among the filter's rows when both are given
my $w = clone_into('{"subset": {"s.customers": {"percent": 50, "where": "id <= 100"}}, "seed": 7}');
is($tgt->safe_psql($w, 'SELECT count(*) FROM s.customers WHERE id > 100'), '0',
	'percent with where: only rows of the filter');
cmp_ok(count($w, 'customers'), '<', 100, 'percent with where: a sample of them');

# --- rows: the first N by order_by, followed along the keys
my $r1 = clone_into('{"subset": {"s.orders": {"rows": 50, "order_by": "id desc"}}}');
is($tgt->safe_psql($r1, 'SELECT min(id) || \'-\' || max(id) || \'/\' || count(*) FROM s.orders'),
	'1451-1500/50', 'rows: the newest 50 orders');
is(count($r1, 'order_lines'), '150', 'rows: their lines, all of them');
is(count($r1, 'customers'), '300', 'rows: customers above them keep every row');
integrity_ok($r1, 'rows');
# ties in order_by are broken by the seeded hash: same rows on every run
# (customer 1 has five even orders: three of them are kept)
my $tie = '{"subset": {"s.orders": {"rows": 3, "order_by": "customer_id", "where": "id % 2 = 0"}}, "seed": 3}';
my ($t1, $t2) = (clone_into($tie), clone_into($tie));
is(sums($t1), sums($t2), 'rows with ties: the same rows on two runs');
is($tgt->safe_psql($t1, 'SELECT count(*) FROM s.orders WHERE id % 2 = 0 AND customer_id = 1'),
	'3', 'rows with where: 3 even orders of the first customer');
my $t3 = clone_into('{"subset": {"s.orders": {"rows": 3, "order_by": "customer_id", "where": "id % 2 = 0"}}, "seed": 4}');
my @ties = map { $tgt->safe_psql($_, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM s.orders') } ($t1, $t3);
isnt($ties[0], $ties[1], "rows with ties: another seed breaks them otherwise ($ties[0] / $ties[1])");
# a partitioned table (primary key (id, at)) and a table without a primary key
my $p = clone_into('{"subset": {"s.events": {"percent": 30}, "s.audit": {"rows": 5, "order_by": "id"}}}');
$n = count($p, 'events');
ok($n > 40 && $n < 200, "percent on a partitioned table: about 120 of 400 ($n)");
is($tgt->safe_psql($p, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM s.audit'), '1,2,3,4,5',
	'rows on a table without a primary key');
integrity_ok($p, 'partitioned and keyless');

# --- dry run: the counts the clone copies, nothing created
my $opts = q({"subset": {"s.customers": {"percent": 20}, "s.employees": "dept = 'eng'",
  "s.orders": {"rows": 400, "order_by": "id"}}, "seed": 7});
my $e = clone_into($opts);
(my $oq = $opts) =~ s/'/''/g;
$tgt->safe_psql('postgres', 'CREATE DATABASE dry; ');
$tgt->safe_psql('dry', 'CREATE EXTENSION pgclone');
my $prev = $tgt->safe_psql('dry',
	"SELECT table_name || '=' || rows FROM pgclone.subset_preview('$c', 's', '$oq') ORDER BY table_name COLLATE \"C\"");
my $got = join("\n", sort map { "s.$_=" . count($e, $_) } @tables);
is($prev, $got, 'dry run: rows per table equal what the clone copied');
is($tgt->safe_psql('dry', q{SELECT count(*) FROM pg_namespace WHERE nspname = 's'}), '0',
	'dry run: nothing created');
is($tgt->safe_psql('dry', "SELECT table_name || '=' || rows FROM pgclone.subset_preview('$c', NULL, '$oq')
	WHERE table_name LIKE 's.%' ORDER BY table_name COLLATE \"C\""), $got,
	'dry run of every schema (NULL): the same rows');
is($tgt->safe_psql('dry', "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM pgclone.subset_preview('$c', 's', '$oq')
	WHERE NOT restricted"), 's.audit,s.members,s.products,s.regions,s.teams', 'dry run: the tables kept whole are not restricted');
my $sql = $tgt->safe_psql('dry',
	"SELECT sql FROM pgclone.subset_preview('$c', 's', '$oq') WHERE table_name = 's.order_lines'");
is($src->safe_psql('postgres', "SELECT count(*) FROM ($sql) x"), count($e, 'order_lines'),
	'dry run: its SQL selects those rows on the source');
like(target_error($tgt, "SELECT * FROM pgclone.subset_preview('$c', 's', '{}')"),
	qr/22023: pgclone.subset_preview\(\) needs a "subset" option/, 'dry run without subset: 22023');

# --- statements: sampling rules send no more statements than plain filters
# on the same tables (rules are computed inside each table's COPY)
sub count_statements
{
	my ($from) = @_;
	my ($all, $copy) = (0, 0);
	for my $line (split /\n/, slurp_file($src->logfile, $from))
	{
		next unless $line =~ /^\@postgres\@ LOG:  (?:statement|execute [^:]*): (.*)$/;
		$all++;
		$copy++ if $1 =~ /^COPY /;
	}
	return "$all ($copy COPY)";
}
my $from = -s $src->logfile;
clone_into('{"subset": {"s.customers": "id % 5 = 0", "s.products": "id <= 3", "s.teams": "id < 8"}}');
my $filters = count_statements($from);
$from = -s $src->logfile;
clone_into('{"subset": {"s.customers": {"percent": 20}, "s.products": {"rows": 3, "order_by": "sku"},
  "s.teams": {"percent": 50, "where": "id < 8"}}}');
is(count_statements($from), $filters, "statements: $filters with three filters and with three rules");

# --- bad rules, each with its SQLSTATE, nothing created
my %bad = (
	'{"percent": 0}' => qr/22023: subset rule of table "s.customers": "percent" must be greater than 0 and at most 100/,
	'{"percent": 100.5}' => qr/22023: .*"percent" must be greater than 0 and at most 100/,
	'{"percent": -3}' => qr/22023: .*"percent" must be greater than 0/,
	'{"percent": "10"}' => qr/22023: subset rule of table "s.customers": "percent" must be a number/,
	'{"rows": 10}' => qr/22023: subset rule of table "s.customers": "rows" needs "order_by"/,
	'{"rows": 2.5, "order_by": "id"}' => qr/22023: .*"rows" must be a whole number/,
	'{"rows": 0, "order_by": "id"}' => qr/22023: .*"rows" must be a whole number/,
	'{"percent": 5, "rows": 10, "order_by": "id"}' => qr/22023: .*give "percent" or "rows", not both/,
	'{"percent": 5, "order_by": "id"}' => qr/22023: .*"order_by" applies only with "rows"/,
	'{"percnt": 5}' => qr/22023: .*unknown key "percnt"/,
	'{}' => qr/22023: .*a rule needs "percent", "rows" or "where"/,
	'{"rows": 10, "order_by": "id desc desc"}' => qr/42601: subset rule of table "s.customers": invalid "order_by"/,
	'{"rows": 10, "order_by": "id LIMIT 1"}' => qr/42601: .*invalid "order_by"/,
	'{"rows": 10, "order_by": "id; DROP TABLE s.orders"}' => qr/42601: .*invalid "order_by"/,
	'{"rows": 10, "order_by": "id) x --"}' => qr/42601: .*invalid "order_by"/,
	'{"rows": 10, "order_by": "no_such_col"}' => qr/42703: column "no_such_col" does not exist/,
	'{"percent": 10, "where": "id >"}' => qr/42601: subset filter of table "s.customers": invalid "where" filter/,
	'{"percent": 10, "where": "nope = 1"}' => qr/42703: column "nope" does not exist/,
	'{"rows": 10, "order_by": 5}' => qr/22023: .*"order_by" must be a string/,
);
for my $rule (sort keys %bad)
{
	(my $q = qq({"subset": {"s.customers": $rule}})) =~ s/'/''/g;
	like(target_error($tgt, "SELECT pgclone.schema('$c', 's', true, '$q')"), $bad{$rule}, "bad rule $rule");
}
like(target_error($tgt, q{SELECT pgclone.schema('} . $c . q{', 's', true, '{"subset": {"s.customers": {"percent": 5}}, "seed": "x"}')}),
	qr/22023: pgclone option "seed" must be an integer/, 'seed must be an integer');
is($tgt->safe_psql('postgres', q{SELECT count(*) FROM pg_namespace WHERE nspname = 's'}), '0',
	'bad rules: nothing created');

# --- schema_async with two workers: the same rows as the synchronous clone
(my $aq = substr($pct, 0, -1) . ', "parallel": 2}') =~ s/'/''/g;
my $jid = $tgt->safe_psql('postgres', "SELECT pgclone.schema_async('$c', 's', true, '$aq')");
is(PgcloneTest::wait_job($tgt, $jid), 'completed', 'async percent subset completes');
is(sums('postgres'), sums($a), 'async: the same rows as the synchronous clone with that seed');

done_testing();
