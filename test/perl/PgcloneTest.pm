# PgcloneTest — a real source and a real target cluster for pgclone's TAP tests.
package PgcloneTest;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Exporter 'import';

our @EXPORT = qw(start_pair src_conninfo checksum dump_schema schema_dumps_equal
  load_schema_fixture schema_fixture_tables q_target q_source target_error
  server_major all_rows_frozen version_install_dir);

# start_pair(%opts): two clusters; the target preloads pgclone and has it installed.
#   source_conf / target_conf: extra postgresql.conf lines.
sub start_pair
{
	my %opts = @_;
	my $src = PostgreSQL::Test::Cluster->new('source');
	$src->init;
	$src->append_conf('postgresql.conf', "max_connections = 40\n" . ($opts{source_conf} // ''));
	$src->start;

	my $tgt = PostgreSQL::Test::Cluster->new('target');
	$tgt->init;
	$tgt->append_conf('postgresql.conf',
		"shared_preload_libraries = 'pgclone'\nmax_worker_processes = 16\n"
		  . ($opts{target_conf} // ''));
	$tgt->start;
	$tgt->safe_psql('postgres', 'CREATE EXTENSION pgclone');
	return ($src, $tgt);
}

# A conninfo for the source, quoted for use inside an SQL literal.
sub src_conninfo
{
	my ($src, $db, $extra) = @_;
	my $c = $src->connstr($db // 'postgres') . ($extra ? " $extra" : '');
	$c =~ s/'/''/g;
	return $c;
}

# md5 over the whole table, ordered by every column: data compared, not counts.
sub checksum
{
	my ($node, $db, $table) = @_;
	return $node->safe_psql($db,
		"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM $table t");
}

# pg_dump --schema-only, without the random \restrict lines.
sub dump_schema
{
	my ($node, $db, @args) = @_;
	my ($stdout, $stderr);
	IPC::Run::run([ 'pg_dump', '--schema-only', '-d', $node->connstr($db), @args ],
		'>', \$stdout, '2>', \$stderr)
	  or die "pg_dump failed: $stderr";
	$stdout =~ s/^\\(un)?restrict .*\n//mg;
	return $stdout;
}

# The major version of a node's server (15, 17, 18): tests that check what
# differs between majors ask it rather than assume 15.
sub server_major
{
	my ($node) = @_;
	return int($node->safe_psql('postgres', 'SHOW server_version_num') / 10000);
}

# 't' when every page of the table that holds rows is all-frozen (and one
# does).  Not every page of the map: from 16 on a bulk load extends the
# relation by several empty pages at a time, which stay out of the map's bits.
# Needs pg_visibility in db.
sub all_rows_frozen
{
	my ($node, $db, $table) = @_;
	return $node->safe_psql($db,
		"SELECT count(*) > 0 AND bool_and(v.all_frozen) FROM pg_visibility_map('$table') v"
		  . " WHERE v.blkno IN (SELECT DISTINCT ((ctid::text::point)[0])::bigint FROM $table)");
}

sub q_target { my ($tgt, $sql, $db) = @_; return $tgt->safe_psql($db // 'postgres', $sql); }
sub q_source { my ($src, $sql, $db) = @_; return $src->safe_psql($db // 'postgres', $sql); }

# Run SQL on the target expecting failure; returns "SQLSTATE: message" lines.
sub target_error
{
	my ($tgt, $sql, $db) = @_;
	my ($ret, $stdout, $stderr) = $tgt->psql($db // 'postgres',
		"\\set VERBOSITY verbose\n$sql", on_error_stop => 1);
	return $ret == 0 ? '' : $stderr;
}


# wait_job($tgt, $job_id[, $timeout]): poll pgclone.progress until the job is
# no longer pending/running; returns its final state.
sub wait_job
{
	my ($tgt, $id, $timeout) = @_;
	$timeout //= 60;
	my $state = '';
	for (my $i = 0; $i < $timeout * 10; $i++)
	{
		$state = $tgt->safe_psql('postgres',
			"SELECT pgclone.progress($id)->>'status'");
		return $state if $state !~ /^(queued|pending|running)$/;
		select(undef, undef, undef, 0.1);
	}
	return $state;
}

push @EXPORT, 'wait_job';

# ok() when pg_dump -s --no-owner --no-privileges -n NSP is the same on both
# sides (source database 'postgres', target database DB); otherwise diag the diff.
sub schema_dumps_equal
{
	my ($src, $tgt, $db, $nsp, $name) = @_;
	my $a = dump_schema($src, 'postgres', '--no-owner', '--no-privileges', '-n', $nsp);
	my $b = dump_schema($tgt, $db, '--no-owner', '--no-privileges', '-n', $nsp);
	ok($a eq $b, $name) and return 1;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	PostgreSQL::Test::Utils::append_to_file("$dir/src.sql", $a);
	PostgreSQL::Test::Utils::append_to_file("$dir/tgt.sql", $b);
	my ($out, $err);
	IPC::Run::run([ 'diff', '-u', "$dir/src.sql", "$dir/tgt.sql" ], '>', \$out, '2>', \$err);
	diag($out);
	return 0;
}

# Load test/fixtures/schema_fixture.sql (every object kind of a schema) into
# a database of the node, as one passing test named $name.
sub load_schema_fixture
{
	my ($node, $db, $name) = @_;
	my $fixture = -f 'test/fixtures/schema_fixture.sql' ? 'test/fixtures/schema_fixture.sql'
	  : "$ENV{PWD}/test/fixtures/schema_fixture.sql";
	$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db), '-f', $fixture ],
		$name);
}

# The tables (and materialized views) of that fixture, for checksums.
sub schema_fixture_tables
{
	return qw(sales.customers sales.orders sales.order_items sales.audit_log sales.bookings
	  sales.events sales.events_2023 sales.events_2024_a sales.events_2024_other sales.events_ref
	  sales.vehicles sales.cars sales.contacts sales.contact_mails sales.customer_stats sales.top_customers);
}


# version_install_dir($major, $dir): an install directory, under $dir, for a
# server major fetched by scripts/pg-versions.sh (its server binaries and
# libraries; the clients of the installation on PATH, run without those
# libraries), for PostgreSQL::Test::Cluster->new(..., install_path => ...).
# undef when that major was not fetched.
sub version_install_dir
{
	my ($major, $dir) = @_;
	my $cache = $ENV{PGCLONE_VERSIONS_CACHE} // '/var/cache/pgclone-versions';
	my $native = "$cache/pg$major/package/native";
	return undef unless -x "$native/bin/postgres";
	my $bindir = `pg_config --bindir`;
	chomp $bindir;
	my $inst = "$dir/inst$major";
	mkdir $inst;
	mkdir "$inst/bin";
	symlink("$native/lib", "$inst/lib") or die "symlink: $!";
	symlink("$native/bin/$_", "$inst/bin/$_") or die "symlink: $!" for qw(postgres initdb pg_ctl);
	for my $c (qw(psql pg_dump pg_isready))
	{
		PostgreSQL::Test::Utils::append_to_file("$inst/bin/$c",
			"#!/bin/sh\nunset LD_LIBRARY_PATH\nexec '$bindir/$c' \"\$\@\"\n");
		chmod 0755, "$inst/bin/$c";
	}
	my ($ver) = `LD_LIBRARY_PATH='$native/lib' '$native/bin/postgres' --version` =~ /(\d+\.\d+)/;
	PostgreSQL::Test::Utils::append_to_file("$inst/bin/pg_config", "#!/bin/sh\necho 'PostgreSQL $ver'\n");
	chmod 0755, "$inst/bin/pg_config";
	return $inst;
}

1;
