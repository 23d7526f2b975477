# Real-world schema: Pagila as published (devrimgunduz/pagila's
# pagila-schema.sql: pg_dump output of PostgreSQL 18, with uuidv7() defaults,
# VIRTUAL generated columns, a partitioned payment table and pgvector's
# film_embedding), loaded into an 18 source, cloned with pgclone.database()
# into an 18 target: pg_dump -s (18's) of both identical.
#
# Runs only when PGCLONE_PAGILA points at pagila-schema.sql or a directory
# holding it (nothing of Pagila is in this repository), on a target of 18 or
# later:
#   PGCLONE_PAGILA=/path/to/pagila T=test/t/096_realworld_pagila.pl scripts/target-test.sh 18
# Without pgvector on the servers its objects are left out of the load (and
# said so); with pagila-data.sql beside the schema the data is loaded and
# compared too.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use PgcloneTest;

my $p = $ENV{PGCLONE_PAGILA};
plan skip_all => 'set PGCLONE_PAGILA to pagila-schema.sql (or a directory holding it) to run the Pagila test'
  unless $p && (-f $p || -f "$p/pagila-schema.sql");
my ($major) = `pg_config --version` =~ /PostgreSQL (\d+)/;
plan skip_all => "Pagila's schema is PostgreSQL 18's (VIRTUAL columns, uuidv7()): the target is $major"
  if $major < 18;
my $schema_file = -f $p ? $p : "$p/pagila-schema.sql";
(my $dir = $schema_file) =~ s{[^/]*$}{};
my $data_file = $dir . 'pagila-data.sql';

my ($src, $tgt) = start_pair();
my $tmp = PostgreSQL::Test::Utils::tempdir();
my $sql = PostgreSQL::Test::Utils::slurp_file($schema_file);
like($sql, qr/ VIRTUAL\b/, 'the schema has VIRTUAL generated columns');
like($sql, qr/uuidv7\(\)/, 'the schema has uuidv7() defaults');

# pgvector: kept when the servers have it, else its entries left out
my $has_vector = q_source($src, "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'") eq '1';
if (!$has_vector)
{
	my @entries = split /(?=^--\n-- Name: )/m, $sql;
	my @kept = grep { !/\bvector\b/ } @entries;
	note(sprintf('no pgvector on this server: %d entries naming vector left out', @entries - @kept));
	$sql = join '', @kept;
}
else
{
	note('pgvector ' . q_source($src, "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"));
}

# the dump's owner is postgres: the role exists on both sides
for my $n ($src, $tgt)
{
	q_source($n, q{DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres') THEN CREATE ROLE postgres; END IF; END$$});
}

sub load
{
	my ($node, $db, $text, $name) = @_;
	my $f = "$tmp/load.sql";
	unlink $f;
	PostgreSQL::Test::Utils::append_to_file($f, $text);
	my ($out, $err);
	my $ok = IPC::Run::run([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db), '-f', $f ],
		'>', \$out, '2>', \$err);
	ok($ok, $name) or diag($err);
}

q_source($src, 'CREATE DATABASE pagila');
my $t0 = time;
load($src, 'pagila', $sql, 'Pagila schema loaded into the source');
my $with_data = -f $data_file && $has_vector;
if ($with_data)
{
	load($src, 'pagila', PostgreSQL::Test::Utils::slurp_file($data_file), 'Pagila data loaded into the source');
}
note(sprintf('load: %.1f s%s', time - $t0, $with_data ? ' (with data)' : ' (schema only)'));

my $counts = q{SELECT count(*) FILTER (WHERE relkind IN ('r', 'p')) || ' tables, '
  || count(*) FILTER (WHERE relkind = 'v') || ' views, '
  || (SELECT count(*) FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid
      WHERE a.attgenerated = 'v' AND r.relnamespace = 'public'::regnamespace) || ' virtual columns, '
  || (SELECT count(*) FROM pg_attrdef d JOIN pg_class r ON r.oid = d.adrelid
      WHERE pg_get_expr(d.adbin, d.adrelid) = 'uuidv7()' AND r.relnamespace = 'public'::regnamespace) || ' uuidv7() defaults'
  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace};
my $srccounts = q_source($src, $counts, 'pagila');
note("source: $srccounts");

$tgt->safe_psql('postgres', 'CREATE DATABASE pclone');
$tgt->safe_psql('pclone', 'CREATE EXTENSION pgclone');
my $c = src_conninfo($src, 'pagila');
$t0 = time;
my ($ret, $res, $err) = $tgt->psql('pclone', "SELECT pgclone.database('$c')");
is($ret, 0, 'pgclone.database() of Pagila succeeds') or diag $err;
like($res, qr/^OK: database cloned into "pclone"/, 'result message');
note(sprintf('pgclone.database(): %.1f s: %s', time - $t0, $res));

# the oracle: pg_dump -s of both, without pgclone itself
$tgt->safe_psql('pclone', 'DROP EXTENSION pgclone; DROP SCHEMA IF EXISTS pgclone');
is(q_target($tgt, $counts, 'pclone'), $srccounts, "catalog counts as on the source ($srccounts)");
my ($dsrc, $dclone) = (dump_schema($src, 'pagila'), dump_schema($tgt, 'pclone'));
ok($dsrc eq $dclone, 'pg_dump -s (18) of source and clone identical') or diag(difference($dsrc, $dclone));

SKIP:
{
	skip('no data loaded (pagila-data.sql beside the schema, and pgvector, load it)', 1) unless $with_data;
	my @tables = split /\n/, q_source($src, q{SELECT c.oid::regclass::text FROM pg_class c
	  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1}, 'pagila');
	my @differ = grep { checksum($tgt, 'pclone', $_) ne checksum($src, 'pagila', $_) } @tables;
	is(join(' ', @differ), '', 'data of every table identical (checksums, ' . scalar(@tables) . ' tables)');
}

sub difference
{
	my ($a, $b) = @_;
	PostgreSQL::Test::Utils::append_to_file("$tmp/$_->[0]", $_->[1]) for ([ 'src.sql', $a ], [ 'clone.sql', $b ]);
	my ($out, $e);
	IPC::Run::run([ 'diff', '-u', "$tmp/src.sql", "$tmp/clone.sql" ], '>', \$out, '2>', \$e);
	my @l = split /\n/, $out;
	return join("\n", @l[ 0 .. ($#l < 120 ? $#l : 120) ]);
}

done_testing();
