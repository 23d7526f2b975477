# PgcloneRelease — helpers of the release tests (upgrade, package): private
# PostgreSQL installations whose pgclone files are swapped, descriptions of the
# extension's SQL objects, and text comparisons that show the difference.
package PgcloneRelease;

use strict;
use warnings;
use File::Basename;
use File::Copy;
use File::Find;
use File::Path qw(make_path remove_tree);
use PostgreSQL::Test::Utils;
use Test::More;
use Exporter 'import';
use PgcloneTest qw(dump_schema);

our @EXPORT = qw(pg_config_value private_install remove_pgclone install_tree
  make_install_staged text_equal describe_extension call_every_function
  tree_version extension_dump);

# pg_config of the installation the suite runs against (first in PATH).
sub pg_config_value
{
	my ($key) = @_;
	my $v = `pg_config --$key`;
	die "pg_config --$key failed" if $? != 0;
	chomp $v;
	return $v;
}

# private_install($dir): a copy of that installation's bin/lib and share trees
# (no headers), laid out as the original so that PostgreSQL finds its share
# directory relative to its binaries.  Returns a hash: install_path (for
# PostgreSQL::Test::Cluster->new), pkglibdir, sharedir, extdir.
sub private_install
{
	my ($dir) = @_;
	my $libroot = dirname(pg_config_value('bindir'));    # .../lib/postgresql/15
	my $share = pg_config_value('sharedir');             # .../share/postgresql/15
	my @a = split m{/}, $libroot;
	my @b = split m{/}, $share;
	my $n = 0;
	$n++ while $n < @a && $n < @b && $a[$n] eq $b[$n];
	my $prefix = join('/', @a[ 0 .. $n - 1 ]);
	my %inst = (
		install_path => $dir . substr($libroot, length $prefix),
		sharedir => $dir . substr($share, length $prefix));
	for my $pair ([ $libroot, $inst{install_path} ], [ $share, $inst{sharedir} ])
	{
		make_path(dirname($pair->[1]));
		system('cp', '-a', $pair->[0], $pair->[1]) == 0
		  or die "cp -a $pair->[0] $pair->[1] failed";
	}
	$inst{pkglibdir} = "$inst{install_path}/lib";
	$inst{extdir} = "$inst{sharedir}/extension";
	return \%inst;
}

# remove_pgclone($inst): no pgclone file left in the installation; returns
# the names removed.
sub remove_pgclone
{
	my ($inst) = @_;
	my @gone;
	for my $f (glob("$inst->{pkglibdir}/pgclone.so $inst->{extdir}/pgclone.control"
			. " $inst->{extdir}/pgclone--*.sql $inst->{pkglibdir}/bitcode/pgclone.index.bc"))
	{
		next unless -e $f;
		unlink $f or die "unlink $f: $!";
		push @gone, basename($f);
	}
	remove_tree("$inst->{pkglibdir}/bitcode/pgclone") if -d "$inst->{pkglibdir}/bitcode/pgclone";
	return @gone;
}

# install_tree($from_lib, $from_share, $inst): copy every file under the
# staged lib and share directories into the installation, as dpkg or
# make install would put them; returns the relative names copied.
sub install_tree
{
	my ($from_lib, $from_share, $inst) = @_;
	my @copied;
	for my $pair ([ $from_lib, $inst->{pkglibdir} ], [ $from_share, $inst->{sharedir} ])
	{
		my ($from, $to) = @$pair;
		next unless -d $from;
		find({ no_chdir => 1, wanted => sub {
			return unless -f $_;
			my $rel = substr($_, length($from) + 1);
			make_path(dirname("$to/$rel"));
			copy($_, "$to/$rel") or die "copy $_: $!";
			chmod((stat $_)[2] & 07777, "$to/$rel");
			push @copied, $rel;
		} }, $from);
	}
	return sort @copied;
}

# make_install_staged($srcdir, $stage): `make install DESTDIR=$stage` of a
# built pgclone tree; returns the staged lib and share directories.
sub make_install_staged
{
	my ($srcdir, $stage) = @_;
	my $out = `make -s -C '$srcdir' PG_CONFIG=pg_config with_llvm=no install DESTDIR='$stage' 2>&1`;
	die "make install of $srcdir failed:\n$out" if $? != 0;
	return ($stage . pg_config_value('pkglibdir'), $stage . pg_config_value('sharedir'));
}

# text_equal($got, $expected, $name): ok() when equal, else the unified diff
# (- expected, + got).
sub text_equal
{
	my ($got, $expected, $name) = @_;
	return 1 if ok($got eq $expected, $name);
	my $dir = PostgreSQL::Test::Utils::tempdir();
	PostgreSQL::Test::Utils::append_to_file("$dir/expected", $expected);
	PostgreSQL::Test::Utils::append_to_file("$dir/got", $got);
	my ($out, $err);
	IPC::Run::run([ 'diff', '-u', "$dir/expected", "$dir/got" ], '>', \$out, '2>', \$err);
	diag("$name: - expected, + got\n$out");
	return 0;
}

# The extension's SQL objects as sorted text lines, one section per kind:
# members, function signatures (with defaults, result, attributes, C symbol,
# privileges), relations with privileges, columns in order, view definitions,
# constraints, indexes, triggers, sequences, comments.  Equal text means an
# equal SQL surface.
my $describe_sql = q{
WITH m AS (
  SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'pgclone' AND d.deptype = 'e'),
nsp AS (SELECT oid FROM pg_namespace WHERE nspname = 'pgclone'),
rel AS (SELECT c.* FROM pg_class c, nsp WHERE c.relnamespace = nsp.oid)
SELECT line FROM (
  SELECT 1 AS k, 'member: ' || pg_describe_object(classid, objid, 0) AS line FROM m
  UNION ALL
  SELECT 2, format('function: %s(%s) -> %s | %s | kind=%s volatile=%s strict=%s secdef=%s parallel=%s | %s | acl=%s',
         p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
         pg_get_function_identity_arguments(p.oid), p.prokind, p.provolatile, p.proisstrict,
         p.prosecdef, p.proparallel, p.prosrc, coalesce(p.proacl::text, 'default'))
  FROM pg_proc p, nsp WHERE p.pronamespace = nsp.oid
  UNION ALL
  SELECT 3, format('relation: %s kind=%s persistence=%s acl=%s options=%s', relname, relkind,
         relpersistence, coalesce(relacl::text, 'default'), coalesce(reloptions::text, ''))
  FROM rel
  UNION ALL
  SELECT 4, format('column: %s #%s %s %s%s%s', c.relname,
         lpad((row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text, 3, '0'), a.attname,
         format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
         coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''))
  FROM rel c JOIN pg_attribute a ON a.attrelid = c.oid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
  UNION ALL
  SELECT 5, format('view: %s %s', relname, pg_get_viewdef(oid)) FROM rel WHERE relkind IN ('v', 'm')
  UNION ALL
  SELECT 6, format('constraint: %s %s %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k JOIN rel c ON c.oid = k.conrelid
  UNION ALL
  SELECT 7, 'index: ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rel c ON c.oid = i.indrelid
  UNION ALL
  SELECT 8, 'trigger: ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN rel c ON c.oid = t.tgrelid
  WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 9, format('sequence: %s %s start=%s inc=%s min=%s max=%s cache=%s cycle=%s', c.relname,
         format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
  FROM pg_sequence s JOIN rel c ON c.oid = s.seqrelid
  UNION ALL
  SELECT 10, format('comment: %s %s', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
  FROM pg_description d JOIN m ON m.classid = d.classoid AND m.objid = d.objoid
) x ORDER BY k, line COLLATE "C";
};

sub describe_extension
{
	my ($node, $db) = @_;
	return $node->safe_psql($db, $describe_sql) . "\n";
}

# Call every function of schema pgclone except version() with NULL arguments
# and return one line per function: "name(args): SQLSTATE hint".  Run only
# where the version check must refuse them all (nothing runs then).
my $call_sql = q{
CREATE TEMP TABLE pgc_calls (fn text, state text, hint text);
DO $$
DECLARE
  r record;
  st text;
  h text;
BEGIN
  FOR r IN
    SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args,
           (SELECT string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY i)
            FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i)) AS nulls
    FROM pg_proc p WHERE p.pronamespace = 'pgclone'::regnamespace AND p.proname <> 'version'
  LOOP
    h := NULL;
    BEGIN
      EXECUTE format('SELECT * FROM pgclone.%I(%s)', r.proname, coalesce(r.nulls, ''));
      st := 'no error';
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, h = PG_EXCEPTION_HINT;
    END;
    INSERT INTO pgc_calls VALUES (format('%s(%s)', r.proname, r.args), st, h);
  END LOOP;
END $$;
SELECT fn || ': ' || state || ' ' || coalesce(hint, '') FROM pgc_calls ORDER BY 1;
};

sub call_every_function
{
	my ($node, $db) = @_;
	return split /\n/, $node->safe_psql($db, $call_sql);
}

# extension_dump($node, $db): pg_dump -s of the extension's objects.  Only binary-upgrade mode dumps an
# extension's members (as pg_upgrade needs them), and only for the whole
# database: keep the entries of schema pgclone and the extension, and leave
# out pg_upgrade's bookkeeping (OIDs, relfilenodes, xids, dropped columns).
sub extension_dump
{
	my ($node, $db) = @_;
	my $d = dump_schema($node, $db, '--binary-upgrade');
	my @entries = split /(?=^--\n-- Name: )/m, $d;
	my $t = join '', grep { /^-- Name: [^\n]*; Schema: pgclone;/m
		  || /^-- Name: pgclone; Type: (EXTENSION|SCHEMA);/m } @entries;
	$t =~ s/^-- For binary upgrade,.*\n//mg;
	$t =~ s/^SELECT pg_catalog\.binary_upgrade_(?!create_empty_extension)\w+\(.*\);\n//mg;
	$t =~ s/^UPDATE pg_catalog\.pg_\w+\n(?:.*\n)*?[^\n]*;\n//mg;
	$t =~ s/^.*pg\.dropped\..*\n//mg;
	$t =~ s/^SELECT pg_catalog\.setval\(.*\n//mg;         # data, not definition
	$t =~ s/^--\n-- PostgreSQL database dump complete\n--\n//m;
	$t =~ s/,$//mg;
	$t =~ s/\n{2,}/\n/g;
	return $t;
}

# Versions as the tree states them: Makefile EXTVERSION, pgclone.control
# default_version, the library's PGCLONE_VERSION, debian/changelog, META.json.
sub tree_version
{
	my ($what) = @_;
	my %pattern = (
		extversion => [ 'Makefile', qr/^EXTVERSION\s*=\s*(\S+)/m ],
		default_version => [ 'pgclone.control', qr/^default_version\s*=\s*'([^']+)'/m ],
		library => [ 'src/pgclone.h', qr/^#define PGCLONE_VERSION "([^"]+)"/m ],
		debian => [ 'debian/changelog', qr/^pgclone \(([^)]+)\)/ ],
		changelog => [ 'CHANGELOG.md', qr/^## (\S+) — SQL version (\S+)/m ]);
	my ($file, $re) = @{ $pattern{$what} };
	my $text = slurp_file($file);
	my @m = $text =~ $re or die "no $what version in $file";
	return wantarray ? @m : $m[0];
}

1;
