# The Debian package (scripts/build-deb.sh): its fields and files, that apt
# can install it here, and the package installed into a clean PostgreSQL:
# CREATE EXTENSION, a clone, an async job, the update from 1.0.
#
# "Clean PostgreSQL" is a private copy of this machine's PostgreSQL
# installation with every pgclone file removed; the package's files are
# extracted into it with dpkg-deb, where dpkg would put them.  The system
# installation, which the rest of the suite uses, is never touched: nothing
# to restore afterwards, nothing left behind by an interrupted run, and no
# root needed for the test itself.  apt-get --simulate checks the dependencies.
use strict;
use warnings;
use File::Basename;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;
use PgcloneRelease;

my $extversion = tree_version('extversion');
my $library = tree_version('library');
my $debversion = tree_version('debian');
my $major = (split /\./, (pg_config_value('version') =~ /(\d+(?:\.\d+)?)/)[0])[0];
my $arch = `dpkg --print-architecture`;
chomp $arch;
my $pkg = "postgresql-$major-pgclone";
my $deb = $ENV{PGCLONE_DEB} || "dist/${pkg}_${debversion}_$arch.deb";
if (!-f $deb)
{
	# scripts/test.sh builds it as root and sets PGCLONE_DEB: missing then is a failure
	if ($ENV{PGCLONE_DEB})
	{
		fail("package $deb missing (the build failed)");
		done_testing();
		exit 0;
	}
	plan skip_all => "no $deb: scripts/build-deb.sh builds it (scripts/test.sh does, as root)";
}
note("testing $deb");

# ---- fields ----
sub field { my $f = `dpkg-deb -f '$deb' $_[0]`; chomp $f; return $f; }
is(field('Package'), $pkg, 'package name');
is(field('Version'), $debversion, 'package version');
is(field('Architecture'), $arch, 'architecture');
like(field('Depends'), qr/(^|, )postgresql-$major( \([^)]*\))?(,|$)/, "depends on postgresql-$major");
like(field('Depends'), qr/(^|, )libpq5\b/, 'depends on libpq5 (shlibs)');

# ---- files: the library, every SQL script and the control file, docs ----
my @files = sort grep { length && !m{/$} } map { (split ' ', $_)[-1] =~ s{^\./}{}r }
  split /\n/, `dpkg-deb -c '$deb'`;
my @scripts = map { basename($_) } glob('sql/pgclone--*.sql');
# built by the Makefile: the current version's install script, the original pgclone's step
push @scripts, grep { my $b = $_; !grep { $_ eq $b } @scripts } ("pgclone--$extversion.sql", 'pgclone--4.4.2--1.1.sql');
my @expected = sort(
	"usr/lib/postgresql/$major/lib/pgclone.so",
	"usr/share/postgresql/$major/extension/pgclone.control",
	(map { "usr/share/postgresql/$major/extension/$_" } @scripts),
	(map { "usr/share/doc/$pkg/$_" } qw(README.md.gz changelog.gz changelog.Debian.gz copyright)),
	# doc/ beside the README; dh_compress gzips the files over 4 kB
	(map { "usr/share/doc/$pkg/doc/" . basename($_) . (-s $_ > 4096 ? '.gz' : '') } glob('doc/*.md')));
text_equal(join("\n", @files) . "\n", join("\n", @expected) . "\n",
	'the package holds the library, the control file, every install and upgrade script, the docs');

my $tmp = PostgreSQL::Test::Utils::tempdir();
system('dpkg-deb', '-x', $deb, "$tmp/deb") == 0 or die 'dpkg-deb -x failed';
my ($lib, $share) = make_install_staged('.', "$tmp/stage");
for my $f ('pgclone.control', @scripts)
{
	is(slurp_file("$tmp/deb/usr/share/postgresql/$major/extension/$f"), slurp_file("$share/extension/$f"),
		"$f is this tree's (else the package is stale: scripts/build-deb.sh)");
}

# ---- apt can install it on this machine (dependencies resolve) ----
my $sim = `apt-get install --simulate '$deb' 2>&1`;
ok($? == 0 && $sim =~ /^(Inst \Q$pkg\E |.*\Q$pkg\E is already the newest)/m, 'apt-get install --simulate')
  or diag($sim);

# ---- installed into a clean PostgreSQL ----
my $inst = private_install("$tmp/pg");
remove_pgclone($inst);
my @installed = install_tree("$tmp/deb/usr/lib/postgresql/$major/lib",
	"$tmp/deb/usr/share/postgresql/$major", $inst);
is(scalar(@installed), 1 + 1 + @scripts, 'library, control file and scripts in place');

my $src = PostgreSQL::Test::Cluster->new('source');
$src->init;
$src->start;
q_source($src, q{
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY, email text NOT NULL);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int REFERENCES shop.customers, total numeric);
INSERT INTO shop.customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 300) g;
INSERT INTO shop.orders SELECT g, 1 + g % 300, g * 1.5 FROM generate_series(1, 1000) g;
});
my $c = src_conninfo($src);

my $tgt = PostgreSQL::Test::Cluster->new('target', install_path => $inst->{install_path});
$tgt->init;
$tgt->append_conf('postgresql.conf', "shared_preload_libraries = 'pgclone'\nmax_worker_processes = 16\n");
$tgt->start;
q_target($tgt, 'CREATE EXTENSION pgclone');
is(q_target($tgt, 'SELECT pgclone.version()'), "pgclone $library (SQL $extversion)", 'packaged version');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'shop')"), qr/^OK/, 'schema clone with the packaged library');
for my $t (qw(shop.customers shop.orders))
{
	is(checksum($tgt, 'postgres', $t), checksum($src, 'postgres', $t), "$t identical");
}
my $id = q_target($tgt, "SELECT pgclone.table_async('$c', 'shop', 'orders', true, 'orders_async')");
is(wait_job($tgt, $id), 'completed', 'async job (background workers of the packaged library)');
is(checksum($tgt, 'postgres', 'shop.orders_async'), checksum($src, 'postgres', 'shop.orders'), 'async copy identical');

$tgt->safe_psql('postgres', 'CREATE DATABASE old');
q_target($tgt, "CREATE EXTENSION pgclone VERSION '1.0'", 'old');
q_target($tgt, 'ALTER EXTENSION pgclone UPDATE', 'old');
is(q_target($tgt, "SELECT extversion FROM pg_extension WHERE extname = 'pgclone'", 'old'), $extversion,
	"the packaged scripts update 1.0 to $extversion");

done_testing();
