# Real-world schema: MusicBrainz (admin/sql of metabrainz/musicbrainz-server,
# 11 schemas, 519 tables, ~1,100 indexes, ~450 triggers, an ICU collation, a
# text search configuration mapping to unaccent, cube/earthdistance).
#
# Runs only when PGCLONE_MUSICBRAINZ points at a checkout or export of
# musicbrainz-server (nothing of it is in this repository):
#   PGCLONE_MUSICBRAINZ=/path/to/musicbrainz-server T=test/t/095_realworld_musicbrainz.pl bash scripts/test.sh
#
# scripts/realworld-musicbrainz.sh loads it into the source as InitDb.pl
# does; pgclone.database() clones it; the oracle is pg_dump -s.  The clone's
# dump equals that of a pg_dump | psql round trip of the source, and differs
# from the source's own dump only where PostgreSQL deparses a definition
# differently after a restore (@redeparsed below).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use PgcloneTest;

my $mb = $ENV{PGCLONE_MUSICBRAINZ};
plan skip_all => 'set PGCLONE_MUSICBRAINZ to a musicbrainz-server checkout (with admin/sql) to run the MusicBrainz test'
  unless $mb && -f "$mb/admin/sql/CreateTables.sql";

# Objects whose definition PostgreSQL itself prints differently once
# restored from a dump (so the round trip shows the same), by a line of each:
#   musicbrainz.collection_type CHECK allowed_collection_entity_type and
#   musicbrainz.series_type CHECK allowed_series_entity_type:
#     "x::text = ANY ((ARRAY['a'::varchar, ...])::text[])" comes back as
#     "x::text = ANY (ARRAY[('a'::varchar)::text, ...])";
#   view musicbrainz.release_event: a UNION branch's "NULL::integer" gains
#     "AS int4".
my @redeparsed = (qr/CONSTRAINT allowed_collection_entity_type CHECK/,
	qr/CONSTRAINT allowed_series_entity_type CHECK/, qr/^\s+NULL::integer( AS int4)?$/);

my ($src, $tgt) = start_pair();
$src->safe_psql('postgres', 'CREATE DATABASE mb');
{
	local $ENV{PGHOST} = $src->host;
	local $ENV{PGPORT} = $src->port;
	my $t0 = time;
	my ($out, $err);
	my $ok = IPC::Run::run([ 'bash', 'scripts/realworld-musicbrainz.sh', $mb, 'mb' ], '>', \$out, '2>', \$err);
	ok($ok, 'MusicBrainz schema loaded into the source') or BAIL_OUT("loader failed: $err");
	note(sprintf('load: %.1f s', time - $t0));
}
my $counts = q{SELECT (SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('information_schema', 'pgclone')) || ' schemas, '
  || count(*) FILTER (WHERE relkind IN ('r', 'p')) || ' tables, ' || count(*) FILTER (WHERE relkind = 'i') || ' indexes, '
  || count(*) FILTER (WHERE relkind = 'S') || ' sequences, ' || count(*) FILTER (WHERE relkind = 'v') || ' views, '
  || (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) || ' triggers, '
  || (SELECT count(*) FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid
      WHERE k.contype <> 't' AND r.relnamespace NOT IN (SELECT oid FROM pg_namespace
        WHERE nspname IN ('pg_catalog', 'information_schema', 'pgclone'))) || ' constraints'
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'pgclone')};
my $srccounts = q_source($src, $counts, 'mb');
note("source: $srccounts");

# round trip of the source through pg_dump | psql
$tgt->safe_psql('postgres', 'CREATE DATABASE roundtrip');
{
	my $t0 = time;
	my ($out, $err);
	IPC::Run::run([ 'pg_dump', '--schema-only', '-d', $src->connstr('mb') ], '|',
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $tgt->connstr('roundtrip') ], '>', \$out, '2>', \$err)
	  or die "round trip failed: $err";
	note(sprintf('pg_dump -s | psql: %.1f s', time - $t0));
}

# the clone
$tgt->safe_psql('postgres', 'CREATE DATABASE mbclone');
$tgt->safe_psql('mbclone', 'CREATE EXTENSION pgclone');
my $c = src_conninfo($src, 'mb');
my $t0 = time;
my ($ret, $res, $err) = $tgt->psql('mbclone', "SELECT pgclone.database('$c')");
my $secs = time - $t0;
is($ret, 0, 'pgclone.database() of MusicBrainz succeeds') or diag $err;
like($res, qr/^OK: database cloned into "mbclone" \(11 schemas, 519 tables, 12 views, 0 materialized views, \d+ functions, \d+ types, 240 sequences, \d+ indexes, \d+ constraints, 452 triggers, 1 collations, 1 text search configurations, 3 extensions, \d+ rows\)$/,
	'result message');
note(sprintf('pgclone.database(): %.1f s: %s', $secs, $res));

# the oracle
$tgt->safe_psql('mbclone', 'DROP EXTENSION pgclone; DROP SCHEMA IF EXISTS pgclone');
is(q_target($tgt, $counts, 'mbclone'), $srccounts, "catalog counts as on the source ($srccounts)");
my $dclone = dump_schema($tgt, 'mbclone');
my $dsrc = dump_schema($src, 'mb');
my $drt = dump_schema($tgt, 'roundtrip');
ok($dclone eq $drt, 'pg_dump -s of the clone equals that of a pg_dump | psql round trip of the source')
  or diag_diff($drt, $dclone);

# and differs from the source's only in the re-deparsed objects named above
my @other = grep { my $l = $_; !grep { $l =~ $_ } @redeparsed } diff_lines($dsrc, $dclone);
is_deeply(\@other, [], 'pg_dump -s of the clone equals the source\'s except the re-deparsed objects');

# data: every table's rows (InsertDefaultRows)
my $rows = q{SELECT string_agg(format('%s %s', t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %s', t), false, true, '')))[1]::text), ', ' ORDER BY t)
  FROM (SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')) s};
is(q_target($tgt, $rows, 'mbclone'), q_source($src, $rows, 'mb'), 'row counts of every table');

sub diff_lines
{
	my ($a, $b) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	PostgreSQL::Test::Utils::append_to_file("$dir/a.sql", $a);
	PostgreSQL::Test::Utils::append_to_file("$dir/b.sql", $b);
	my ($out, $err);
	IPC::Run::run([ 'diff', "$dir/a.sql", "$dir/b.sql" ], '>', \$out, '2>', \$err);
	return map { substr($_, 2) } grep { /^[<>] / } split /\n/, $out;
}

sub diag_diff
{
	my @l = diff_lines(@_);
	diag(join("\n", @l[ 0 .. ($#l < 60 ? $#l : 60) ]));
}

done_testing();
