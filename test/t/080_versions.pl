# The version matrix: sources of every supported PostgreSQL major (12 to 18)
# cloned into the target (of major T: 15, 17 or 18).  The server binaries of
# the other majors come from scripts/pg-versions.sh (npm's @embedded-postgres);
# they have no client programs, so each runs from an install directory whose
# bin/ joins that version's server with the target's clients.
#
# For each source: the schema fixture and Pagila-like objects, database_create
# into the target, then the oracle, pg_dump -s (T's): of source and clone for
# a source of T (and, on a 15 target, for the older ones too); for an older
# source on a newer target (whose server writes views in another way), the
# clone against the same SQL loaded into the target itself; for a newer
# source (pg_dump T refuses it), the clone against the clone of the same SQL
# from the source of T.  Data by
# checksums; then verify (every mode), diff (in sync), preflight, clone_roles,
# discover_sensitive, table/schema/functions and schema_async (parallel 2).
# PGCLONE_VERSIONS="12 17" runs a part of the matrix.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use PgcloneTest;

my $cache = $ENV{PGCLONE_VERSIONS_CACHE} // '/var/cache/pgclone-versions';
my @majors = split ' ', ($ENV{PGCLONE_VERSIONS} // '12 13 14 15 16 17 18');
my $t0 = time;

my ($srcT, $tgt) = start_pair();
my $tmaj = server_major($tgt);
# newer sources are compared with the clone from the target's major
push @majors, $tmaj if !grep({ $_ == $tmaj } @majors) && grep({ $_ > $tmaj } @majors);
my $bindir = `pg_config --bindir`;
chomp $bindir;
my $tmp = PostgreSQL::Test::Utils::tempdir();
my $fixdir = -d 'test/fixtures' ? 'test/fixtures' : "$ENV{PWD}/test/fixtures";


# psql -f with the target's psql, outside the version's library path
sub load_file
{
	my ($node, $file, $name, $edit, $db) = @_;
	my $sql = PostgreSQL::Test::Utils::slurp_file($file);
	$sql = $edit->($sql) if $edit;
	my $f = "$tmp/load.sql";
	unlink $f;
	PostgreSQL::Test::Utils::append_to_file($f, $sql);
	local $ENV{LD_LIBRARY_PATH};
	delete $ENV{LD_LIBRARY_PATH};
	my ($out, $err);
	my $ok = IPC::Run::run([ "$bindir/psql", '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db // 'postgres'), '-f', $f ],
		'>', \$out, '2>', \$err);
	ok($ok, $name) or diag($err);
}

# What an old server cannot create, rewritten the way that server can.
sub fixture_for
{
	my ($major) = @_;
	return undef if $major >= 14;
	return sub {
		my $s = shift;
		# SQL-standard function bodies (BEGIN ATOMIC) are PostgreSQL 14's:
		# older sources get the same functions with string bodies
		$s =~ s/\nBEGIN ATOMIC (.*?); END;/\n  AS \$\$ $1 \$\$;/g;
		# 12 cannot insert into an identity column that also owns another
		# sequence ("more than one owned sequence found"): another owner
		$s =~ s/OWNED BY sales\.orders\.id;/OWNED BY sales.orders.note;/ if $major < 13;
		return $s;
	};
}

sub dump_diff
{
	my ($a, $b, $name) = @_;
	ok($a eq $b, $name) and return;
	PostgreSQL::Test::Utils::append_to_file("$tmp/a.sql", $a);
	PostgreSQL::Test::Utils::append_to_file("$tmp/b.sql", $b);
	my ($out, $err);
	IPC::Run::run([ 'diff', '-u', "$tmp/a.sql", "$tmp/b.sql" ], '>', \$out, '2>', \$err);
	diag($out);
	unlink "$tmp/a.sql", "$tmp/b.sql";
}

my @dump = ('--no-owner', '--no-privileges', '-n', 'sales', '-n', 'pagila', '-n', 'public');
my @tables = (schema_fixture_tables(),
	qw(pagila.language pagila.actor pagila.film pagila.film_actor pagila.inventory pagila.customer
	  pagila.payment pagila.payment_p2022_01 pagila.payment_other pagila.payment_log pagila.rental
	  pagila.sales_by_customer));
my %base;    # the clone of the source of the target's major, for newer sources

# pg_dump -s of the fixtures as an older source gets them, loaded into the
# target itself: what the clone must be when the target's server writes
# definitions (views) in another way than the source's
sub reference_dump
{
	my ($major) = @_;
	my $db = "ref$major";
	q_target($tgt, "CREATE DATABASE $db");
	load_file($tgt, "$fixdir/schema_fixture.sql", "[$major] reference: schema fixture loaded into the target",
		fixture_for($major), $db);
	# the objects it creates by the source's version, not the target's
	my $as_source = sub {
		my $sql = shift;
		$sql =~ s/current_setting\('server_version_num'\)::int/${major}0000/g;
		return $sql;
	};
	load_file($tgt, "$fixdir/versions_fixture.sql", "[$major] reference: Pagila-like objects loaded into the target",
		$as_source, $db);
	my $d = dump_schema($tgt, $db, @dump);
	q_target($tgt, "DROP DATABASE $db");
	return $d;
}

# every table's checksum (as PgcloneTest::checksum) in one query
sub checksums
{
	my ($node, $db, @t) = @_;
	my $sql = join(' UNION ALL ', map {
		"SELECT '$_', count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM $_ t"
	} @t);
	my %h = map { split /\|/, $_, 2 } split /\n/, $node->safe_psql($db, $sql);
	return \%h;
}

sub tables_differ
{
	my ($db, $src, @t) = @_;
	my $a = checksums($tgt, $db, @t);
	my $b = checksums($src, 'postgres', @t);
	return join(' ', grep { ($a->{$_} // 'missing') ne ($b->{$_} // '?') } @t);
}

sub wait_db
{
	my ($db, $id) = @_;
	my $state = '';
	for (my $i = 0; $i < 1200; $i++)
	{
		$state = q_target($tgt, "SELECT pgclone.progress($id)->>'status'", $db);
		return $state if $state !~ /^(pending|running)$/;
		select(undef, undef, undef, 0.1);
	}
	return $state;
}

sub matrix_version
{
	my ($major) = @_;
	my $v0 = time;
	my $src;
	if ($major == $tmaj)
	{
		$src = $srcT;
	}
	else
	{
		my $inst = version_install_dir($major, $tmp);
		if (!defined $inst)
		{
			# without npm nothing can be fetched: skip; with it, a missing
			# major is a failed fetch
			if (system('command -v npm >/dev/null 2>&1') != 0)
			{
			  SKIP: { skip("PostgreSQL $major not fetched (scripts/pg-versions.sh needs npm)", 1); }
				return;
			}
			fail("[$major] server binaries missing in $cache (scripts/pg-versions.sh)");
			return;
		}
		$src = PostgreSQL::Test::Cluster->new("pg$major", install_path => $inst);
		$src->init;
		$src->append_conf('postgresql.conf', "max_connections = 40\n");
		$src->start;
	}
	my $v = "[$major]";
	is(q_source($src, 'SHOW server_version_num') / 10000 | 0, $major, "$v source server runs");

	load_file($src, "$fixdir/schema_fixture.sql", "$v schema fixture loaded", fixture_for($major));
	load_file($src, "$fixdir/versions_fixture.sql", "$v Pagila-like objects loaded");
	q_source($src, q{CREATE ROLE mx_reader LOGIN PASSWORD 'reader pw';
	  CREATE ROLE mx_owner NOLOGIN; GRANT mx_owner TO mx_reader;
	  GRANT USAGE ON SCHEMA pagila TO mx_reader; GRANT SELECT ON pagila.film TO mx_reader;
	  GRANT SELECT (first_name) ON pagila.actor TO mx_reader; GRANT ALL ON pagila.language TO mx_reader});
	my $c = src_conninfo($src);
	my $db = "v$major";

	# the whole database, into a new one
	my ($rc, $res, $err) = $tgt->psql('postgres', "SELECT pgclone.database_create('$c', '$db')");
	like($res, qr/^OK: database "$db" created and cloned/, "$v database_create") or diag($err);

	if ($major == $tmaj || ($tmaj == 15 && $major < 15))
	{
		my ($a, $b) = (dump_schema($src, 'postgres', @dump), dump_schema($tgt, $db, @dump));
		s/^-- Dumped from database version.*\n//m for ($a, $b);
		if ($major < 14)
		{
			# what pg_dump 15 writes differently for a source without
			# multiranges and without argument modes of procedures
			$b =~ s/^    multirange_type_name = sales\.floatmultirange,\n//m;
			$b =~ s/^(CREATE PROCEDURE sales\.reset_counts\()IN /$1/m;
		}
		dump_diff($a, $b, "$v pg_dump -s of source and clone identical");
	}
	elsif ($major < $tmaj)
	{
		my $b = dump_schema($tgt, $db, @dump);
		my $a = reference_dump($major);
		s/^-- Dumped from database version.*\n//m for ($a, $b);
		# a NOT NULL constraint's name, which the source does not keep: a
		# domain's before 17, a column's before 18
		$a =~ s/^(CREATE DOMAIN .*)CONSTRAINT \S+ NOT NULL/$1NOT NULL/mg if $major < 17;
		$a =~ s/^(    \S+ .*)CONSTRAINT \S+ NOT NULL/$1NOT NULL/mg if $major < 18;
		# the sequence of an unlogged table is unlogged from 15 on
		$a =~ s/^CREATE UNLOGGED SEQUENCE /CREATE SEQUENCE /mg if $major < 15;
		dump_diff($a, $b, "$v clone identical (pg_dump -s) to the same SQL loaded into the target");
	}
	else
	{
		dump_diff($base{dump}, dump_schema($tgt, $db, @dump),
			"$v clone identical (pg_dump -s) to the clone of the same SQL from PostgreSQL $tmaj");
	}
	$base{dump} = dump_schema($tgt, $db, @dump) if $major == $tmaj;
	is(tables_differ($db, $src, @tables, $major >= 14 ? 'pagila.store_hours' : ()), '',
		"$v data of every table identical (checksums)");
	is(q_target($tgt, "SELECT last_value || ',' || is_called FROM pagila.film_film_id_seq", $db),
		q_source($src, "SELECT last_value || ',' || is_called FROM pagila.film_film_id_seq"), "$v identity sequence position");

	# verify, every mode
	q_source($src, 'ANALYZE');
	q_target($tgt, 'ANALYZE', $db);
	for my $mode ('', ', \'{"exact": true}\'', ', \'{"checksum": true}\'')
	{
		my $sql = "SELECT count(*) || '/' || count(*) FILTER (WHERE match = '\x{2713}') FROM pgclone.verify('$c', NULL"
		  . ($mode || ", '{}'") . ")";
		my $r = q_target($tgt, $sql, $db);
		my ($n, $okn) = split m{/}, $r;
		ok($n > 20 && $n == $okn, "$v verify$mode: every table matches ($r)");
	}

	# diff: in sync, schema by schema
	for my $nsp (qw(sales pagila))
	{
		my $d = decode_json(q_target($tgt, "SELECT pgclone.diff('$c', '$nsp')", $db));
		is($d->{in_sync}, JSON::PP::true, "$v diff $nsp: in sync")
		  or diag(JSON::PP->new->canonical->pretty->encode($d));
	}

	# preflight into a fresh database (then schema_async, table, functions)
	my $pf = "a$major";
	q_target($tgt, "CREATE DATABASE $pf");
	q_target($tgt, 'CREATE EXTENSION pgclone', $pf);
	my $p = decode_json(q_target($tgt, "SELECT pgclone.preflight('$c', 'pagila')", $pf));
	is($p->{ready}, JSON::PP::true, "$v preflight: ready") or diag(JSON::PP->new->canonical->pretty->encode($p));
	is($p->{checks}{source_version}{major}, $major, "$v preflight: source major");
	is($p->{checks}{version_compat}{status}, $major > $tmaj ? 'warn' : 'pass', "$v preflight: version_compat");

	# roles
	like(q_target($tgt, "SELECT pgclone.clone_roles('$c', 'mx_reader, mx_owner')", $db),
		qr/^OK: 2 roles created/, "$v clone_roles");
	is(q_target($tgt, q{SELECT has_table_privilege('mx_reader', 'pagila.film', 'SELECT')
	  AND has_column_privilege('mx_reader', 'pagila.actor', 'first_name', 'SELECT')
	  AND (SELECT bool_and(has_table_privilege('mx_reader', 'pagila.language', p))
	       FROM unnest('{SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER}'::text[]) p)
	  AND pg_has_role('mx_reader', 'mx_owner', 'MEMBER')}, $db), 't', "$v clone_roles: grants and membership");
	q_target($tgt, 'DROP OWNED BY mx_reader, mx_owner CASCADE', $db);
	q_target($tgt, 'DROP ROLE mx_reader, mx_owner');

	# discover_sensitive
	like(q_target($tgt, "SELECT pgclone.discover_sensitive('$c', 'pagila')", $db), qr/email/,
		"$v discover_sensitive finds the email column");

	# table, schema, functions into the fresh database
	like(q_target($tgt, "SELECT pgclone.table('$c', 'sales', 'events')", $pf),
		qr/^OK/, "$v table() of a partitioned table");
	is(checksum($tgt, $pf, 'sales.events'), checksum($src, 'postgres', 'sales.events'), "$v table(): data");
	like(q_target($tgt, "SELECT pgclone.functions('$c', 'sales')", $pf), qr/^OK: \d+ functions/,
		"$v functions()");

	# schema_async with a pool of 2
	my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'pagila', true, '{\"parallel\": 2}')", "a$major");
	is(wait_db("a$major", $id), 'completed', "$v schema_async parallel 2: completed")
	  or diag(q_target($tgt, "SELECT pgclone.progress($id)", "a$major"));
	dump_diff(dump_schema($tgt, $db, '--no-owner', '--no-privileges', '-n', 'pagila'),
		dump_schema($tgt, "a$major", '--no-owner', '--no-privileges', '-n', 'pagila'),
		"$v schema_async: same schema as database_create");
	is(tables_differ("a$major", $src, grep { /^pagila/ } @tables), '', "$v schema_async: data");
	# table_async, a partitioned table through a worker
	my $tid = q_target($tgt, "SELECT pgclone.table_async('$c', 'sales', 'events', true, NULL, '{\"conflict\": \"replace\"}')", $pf);
	is(wait_db($pf, $tid), 'completed', "$v table_async: completed");
	is(tables_differ($pf, $src, 'sales.events'), '', "$v table_async: data");

	# a mask evaluated by the source (its expression depends on the version)
	like(q_target($tgt, "SELECT pgclone.table('$c', 'pagila', 'customer', true, 'customer_masked',"
		  . " '{\"mask\": {\"email\": \"email\"}, \"constraints\": false, \"indexes\": false}')", $pf),
		qr/^OK/, "$v table() with an email mask");
	# (email is UNIQUE: 64 bits of a keyed hash before the domain keep the values distinct)
	is(q_target($tgt, q{SELECT count(*) || ':' || bool_and(m.email ~ '^[0-9a-f]{16}@' AND split_part(m.email, '@', 2) = split_part(o.email, '@', 2))
	  || ':' || count(DISTINCT m.email)
	  FROM pagila.customer_masked m JOIN pagila.customer o USING (customer_id)}, $pf), '50:true:50', "$v mask: masked on the source");
	# the fake_* masks (issue 23): every source picks the words the target itself picks
	like(q_target($tgt, "SELECT pgclone.table('$c', 'pagila', 'actor', true, 'actor_fake',"
		  . " '{\"mask\": {\"first_name\": \"fake_first_name\", \"last_name\": \"fake_name\"}, \"constraints\": false, \"indexes\": false}')", $pf),
		qr/^OK/, "$v table() with fake_* masks");
	q_target($tgt, q{CREATE TABLE pagila.actor_fake_local AS SELECT actor_id, first_name, last_name FROM pagila.actor;
	  SELECT pgclone.mask_in_place('pagila', 'actor_fake_local', '{"first_name": "fake_first_name", "last_name": "fake_name"}')}, $pf);
	is(q_target($tgt, q{SELECT count(*) > 0 AND bool_and(m.first_name = l.first_name AND m.last_name = l.last_name
	  AND m.first_name <> o.first_name AND m.full_name = m.first_name || ' ' || m.last_name)
	  FROM pagila.actor_fake m JOIN pagila.actor_fake_local l USING (actor_id)
	  JOIN pagila.actor o USING (actor_id)}, $pf), 't', "$v fakes: the same words as on the target");

	# what the target has no equivalent for: refused before anything is
	# created, and listed by preflight
	my %compat = (
		12 => [ 'CREATE FUNCTION compat.twice(int) RETURNS int LANGUAGE sql AS $$ SELECT 2 * $1 $$;'
			  . ' CREATE OPERATOR compat.## (LEFTARG = int, FUNCTION = compat.twice)',
			'operator compat.##(integer,NONE)', 'postfix operators' ],
		17 => [ 'CREATE TABLE compat.p (id int GENERATED ALWAYS AS IDENTITY, at date) PARTITION BY RANGE (at)',
			'column compat.p.id', 'identity columns of partitioned tables' ],
		18 => [ 'CREATE TABLE compat.v (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL)',
			'column compat.v.b', 'virtual generated columns' ],
	);
	# refused: what is newer than the target, and postfix operators (gone in 14)
	my ($cm) = grep { $_ <= $major && ($_ > $tmaj || $major < 14) } sort { $b <=> $a } keys %compat;
	if (defined $cm)
	{
		my ($sql, $obj, $feature) = @{ $compat{$cm} };
		q_source($src, "CREATE SCHEMA compat; CREATE TABLE compat.plain (a int); $sql");
		like(target_error($tgt, "SELECT pgclone.schema('$c', 'compat')", $pf),
			qr/0A000: source \Q$obj\E uses \Q$feature\E/, "$v compat: refused with 0A000, object and feature named");
		is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'compat'", $pf), '0',
			"$v compat: nothing created");
		my $cp = decode_json(q_target($tgt, "SELECT pgclone.preflight('$c', 'compat')", $pf));
		is($cp->{checks}{version_compat}{status}, 'fail', "$v compat: preflight version_compat fails");
		is_deeply($cp->{checks}{version_compat}{items}, [ { object => $obj, feature => $cp->{checks}{version_compat}{items}[0]{feature} } ],
			"$v compat: preflight lists the object") and like($cp->{checks}{version_compat}{items}[0]{feature}, qr/^\Q$feature\E/,
			"$v compat: and the feature");
		is($cp->{ready}, JSON::PP::false, "$v compat: not ready");
	}

	q_target($tgt, "DROP DATABASE $_") for ($db, $pf);
	$src->stop unless $major == $tmaj;
	note(sprintf("%s %.1f s", $v, time - $v0));
}

# the target's major first: newer sources are compared with its clone
eval { matrix_version($_); 1 } or fail("[$_] died: $@")
  for sort { ($a == $tmaj ? 0 : 1) <=> ($b == $tmaj ? 0 : 1) || $a <=> $b } @majors;
note(sprintf("matrix: %.1f s", time - $t0));

done_testing();
