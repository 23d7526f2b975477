# Releases: a real 1.0 install (built from the 1.0 release commit) with job
# history and a masking policy, upgraded in place the way a DBA does it —
# swap in this tree's library and scripts, restart, ALTER EXTENSION UPDATE —
# then: the upgraded SQL objects equal a fresh install's, history and policy
# are kept and work.  Also the version check (1.1 library, 1.0 or newer SQL),
# and that the tree's version numbers agree with each other.
use strict;
use warnings;
use File::Path qw(make_path);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;
use PgcloneRelease;

# The released versions: SQL version => release commit.
my %release = ('1.0' => '2007aba12263d39ceace3207ea42a57c4ff25df4', '1.1' => 'e95c7cb2bd3d5e9a1e61a13a67a3b3a475190045');

# ---- the tree's versions agree ----
my $extversion = tree_version('extversion');
my $library = tree_version('library');
is(tree_version('default_version'), $extversion, 'pgclone.control default_version = Makefile EXTVERSION');
like($library, qr/^\Q$extversion\E\.\d+$/, "library version $library belongs to SQL version $extversion");
like(tree_version('debian'), qr/^\Q$library\E-\d+$/, 'debian/changelog packages the library version');
is_deeply([ tree_version('changelog') ], [ $library, $extversion ], 'CHANGELOG.md starts with this release');
my $meta = decode_json(slurp_file('META.json'));
is(join("\n", meta_problems($meta)), '', 'META.json follows the PGXN meta spec 1.0.0');
is($meta->{version}, $library, 'META.json version');
is($meta->{provides}{pgclone}{version}, $library, 'META.json provides pgclone at that version');
ok(-f "sql/pgclone--$_.sql", "install script of released $_ kept") for sort keys %release;
ok(!-f "sql/pgclone--$extversion.sql", "no stale copy of the assembled $extversion script in sql/");

# ---- the 1.0 release, built from its commit (cached in test/tmp_release/) ----
my $old = "test/tmp_release/1.0-$release{'1.0'}";
if (!-f "$old/pgclone.so")
{
	make_path($old);
	my $out = `git -c safe.directory='*' archive --format=tar $release{'1.0'} 2>&1 | tar -x -C '$old' 2>&1`;
	if ($? != 0 || !-f "$old/Makefile")
	{
		fail("1.0 source (commit $release{'1.0'}) from git: the upgrade test needs the "
			  . "repository's history (git fetch --unshallow)\n$out");
		done_testing();
		exit 0;
	}
	$out = `make -s -j2 -C '$old' PG_CONFIG=pg_config with_llvm=no COPT=-O0 2>&1`;
	if ($? != 0)
	{
		my ($major) = `pg_config --version` =~ /PostgreSQL (\d+)/;
		die "building 1.0 failed:\n$out" if $major == 15;
		sql_upgrade_only($major);
		done_testing();
		exit 0;
	}
}
my $tmp = PostgreSQL::Test::Utils::tempdir();
my @old_files = make_install_staged($old, "$tmp/stage-1.0");
my @new_files = make_install_staged('.', "$tmp/stage-new");

# A private installation that first has 1.0 only, as a server before the upgrade.
my $inst = private_install("$tmp/pg");
remove_pgclone($inst);
install_tree(@old_files, $inst);

my $src = PostgreSQL::Test::Cluster->new('source');
$src->init;
$src->start;
q_source($src, q{
CREATE TABLE items (id int PRIMARY KEY, v text);
INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 500) g;
});
my $c = src_conninfo($src);

my $tgt = PostgreSQL::Test::Cluster->new('target', install_path => $inst->{install_path});
$tgt->init;
$tgt->append_conf('postgresql.conf', "shared_preload_libraries = 'pgclone'\nmax_worker_processes = 16\n");
$tgt->start;

q_target($tgt, 'CREATE EXTENSION pgclone');
is(q_target($tgt, "SELECT extversion FROM pg_extension WHERE extname = 'pgclone'"), '1.0', '1.0 installed');
is(q_target($tgt, 'SELECT pgclone.version()'), 'pgclone 1.0.0', 'the 1.0 library runs');

# job history: a completed job and a failed one
my $done = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 'items')");
is(wait_job_1_0($done), 'completed', '1.0: async job completed');
my $failed = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 'later')");
is(wait_job_1_0($failed), 'failed', '1.0: async job on a missing table failed');
my $history_sql = q{SELECT job_id, kind, source, schema_name, table_name, state, sqlstate,
  tables_total, tables_done, rows_copied FROM pgclone.job_history ORDER BY job_id};
my $history = q_target($tgt, $history_sql);
my $job_tables = q_target($tgt, q{SELECT job_id, ord, schema_name, table_name, state, rows_copied
  FROM pgclone.job_tables ORDER BY job_id, ord});
my $progress_done = decode_json(q_target($tgt, "SELECT pgclone.progress($done)"));

# a masking policy
q_target($tgt, q{
CREATE ROLE data_admin;
CREATE ROLE reader;
CREATE TABLE people (id int PRIMARY KEY, email text, ssn text);
INSERT INTO people VALUES (1, 'ann@example.com', '123-45-6789'), (2, 'bob@example.org', '987-65-4321');
GRANT SELECT ON people TO PUBLIC;
});
my $acl_before = q_target($tgt, "SELECT relacl FROM pg_class WHERE oid = 'people'::regclass");
q_target($tgt, q{SELECT pgclone.create_masking_policy('public', 'people',
  '{"email": "email", "ssn": "null"}', 'data_admin')});
my $masked_sql = "SET ROLE reader; SELECT * FROM people_masked ORDER BY id";
my $masked = q_target($tgt, $masked_sql);
like($masked, qr/^1\|[^|]*\|$/m, '1.0: the policy masks for other roles');
isnt($masked, q_target($tgt, 'SELECT * FROM people ORDER BY id'), '1.0: masked differs from raw');
my $policies = q_target($tgt, q{SELECT relid::regclass, view_name, role_name, mask, original_acl
  FROM pgclone.masking_policies ORDER BY relid});

# ---- the upgrade: the new library and scripts, restart ----
$tgt->stop;
remove_pgclone($inst);
install_tree(@new_files, $inst);
$tgt->start;

# new library, 1.0 SQL: every function but version() refuses, with the hint
is(q_target($tgt, 'SELECT pgclone.version()'),
	"pgclone $library (SQL 1.0 installed, library needs $extversion: run ALTER EXTENSION pgclone UPDATE)",
	'version() says what to run');
my @calls = call_every_function($tgt, 'postgres');
ok(@calls >= 20, scalar(@calls) . ' functions of 1.0 called');
my @wrong = grep { !/: 55000 Run ALTER EXTENSION pgclone UPDATE in this database\.$/ } @calls;
is(join("\n", @wrong), '', 'every 1.0 function refuses to run with 55000 and the ALTER EXTENSION hint');
like(target_error($tgt, 'SELECT * FROM pgclone.jobs_view'),
	qr/55000: pgclone's SQL objects in this database are version 1\.0, but the loaded library \Q$library\E needs version \Q$extversion\E/,
	'jobs_view: 55000 with both versions');

q_target($tgt, 'ALTER EXTENSION pgclone UPDATE');
is(q_target($tgt, "SELECT extversion FROM pg_extension WHERE extname = 'pgclone'"), $extversion,
	"ALTER EXTENSION UPDATE reaches $extversion");
is(q_target($tgt, 'SELECT pgclone.version()'), "pgclone $library (SQL $extversion)", 'version() after the update');

# ---- the upgraded objects equal a fresh install's ----
$tgt->safe_psql('postgres', 'CREATE DATABASE fresh');
$tgt->safe_psql('fresh', 'CREATE EXTENSION pgclone');
my $fresh = describe_extension($tgt, 'fresh');
like($fresh, qr/^function: table\(source_conninfo text/m, 'the description lists the functions');
text_equal(describe_extension($tgt, 'postgres'), $fresh,
	'upgraded 1.0 (+) = fresh install (-): functions, relations, columns, views, constraints, privileges');
$fresh = extension_dump($tgt, 'fresh');
like($fresh, qr/^ALTER EXTENSION pgclone ADD TABLE pgclone\.job_history;$/m, 'the dump has the members');
text_equal(extension_dump($tgt, 'postgres'), $fresh,
	'upgraded 1.0 (+) = fresh install (-): pg_dump -s of schema pgclone and the extension members');

# ---- history and policy kept, and they work ----
is(q_target($tgt, $history_sql), $history, 'job history kept');
is(q_target($tgt, q{SELECT job_id, ord, schema_name, table_name, state, rows_copied
  FROM pgclone.job_tables ORDER BY job_id, ord}), $job_tables, 'per-table history kept');
is(q_target($tgt, 'SELECT job_id, status FROM pgclone.jobs_view ORDER BY job_id'),
	"$done|completed\n$failed|failed", 'jobs_view shows the 1.0 jobs');
my $p = decode_json(q_target($tgt, "SELECT pgclone.progress($done)"));
# 1.1's progress() has the original pgclone's keys
is_deeply([ @$p{qw(status rows_copied tables_completed)} ], [ @$progress_done{qw(state rows tables_done)} ],
	'progress() of a 1.0 job');
is(checksum($tgt, 'postgres', 'items'), checksum($src, 'postgres', 'items'), 'table cloned by 1.0 intact');

q_source($src, 'CREATE TABLE later (id int PRIMARY KEY); INSERT INTO later SELECT generate_series(1, 42)');
my $resumed = q_target($tgt, "SELECT pgclone.resume($failed)");
ok($resumed > $failed, 'job ids continue after the upgrade (sequence kept)');
is(wait_job($tgt, $resumed), 'completed', 'the 1.1 library resumes a failed 1.0 job');
is(q_target($tgt, "SELECT resumed_from FROM pgclone.job_history WHERE job_id = $resumed"), $failed,
	'resumed_from names the 1.0 job');
is(q_target($tgt, 'SELECT count(*) FROM later'), '42', 'resumed job loaded the table');
my $new = q_target($tgt, "SELECT pgclone.table_async('$c', 'public', 'items', true, 'items2')");
is(wait_job($tgt, $new), 'completed', 'a new async job after the upgrade');

is(q_target($tgt, q{SELECT relid::regclass, view_name, role_name, mask, original_acl
  FROM pgclone.masking_policies ORDER BY relid}), $policies, 'masking policy kept');
is(q_target($tgt, $masked_sql), $masked, 'the policy still masks for other roles');
like(target_error($tgt, 'SET ROLE reader; SELECT * FROM people'), qr/42501/, 'raw table still closed to them');
is(q_target($tgt, "SELECT mask_status FROM pgclone.masking_report('public') WHERE column_name = 'email'"),
	'MASKED (view)', 'masking_report sees the 1.0 policy');
like(q_target($tgt, "SELECT pgclone.drop_masking_policy('public', 'people')"), qr/^OK/,
	'the 1.1 library drops a 1.0 policy');
is(q_target($tgt, "SELECT relacl FROM pg_class WHERE oid = 'people'::regclass"), $acl_before,
	'privileges recorded by 1.0 restored');

# ---- the version check is cached per session, but never stale ----
$tgt->safe_psql('postgres', 'CREATE DATABASE cache');
$tgt->safe_psql('cache', 'CREATE EXTENSION pgclone');
my ($ret, $out, $err) = $tgt->psql('cache', q{
SELECT 'before', count(*) FROM pgclone.masking_report('public');
DROP EXTENSION pgclone;
CREATE EXTENSION pgclone VERSION '1.0';
SELECT 'stale', count(*) FROM pgclone.masking_report('public');
ALTER EXTENSION pgclone UPDATE;
SELECT 'after', count(*) FROM pgclone.masking_report('public');
}, on_error_stop => 0);
is($out, "before|0\nafter|0", 'one session: match, then 1.0 recreated (refused), then updated (runs)');
like($err, qr/SQL objects in this database are version 1\.0/, 'the recreated 1.0 was caught in the same session');

# SQL objects newer than the library (updated while an old server process runs)
q_target($tgt, "UPDATE pg_extension SET extversion = '99.0' WHERE extname = 'pgclone'", 'cache');
is(q_target($tgt, 'SELECT pgclone.version()', 'cache'),
	"pgclone $library (SQL 99.0 installed, library needs $extversion: restart PostgreSQL)",
	'version() with newer SQL objects');
@calls = call_every_function($tgt, 'cache');
@wrong = grep { !/: 55000 Restart PostgreSQL: pgclone is in shared_preload_libraries/ } @calls;
is(join("\n", @wrong), '', 'every ' . scalar(@calls) . ' function refuses newer SQL objects, hint: restart');
q_target($tgt, "UPDATE pg_extension SET extversion = '$extversion' WHERE extname = 'pgclone'", 'cache');
$tgt->safe_psql('cache', 'DROP EXTENSION pgclone');
like(target_error($tgt, q{CREATE FUNCTION public.stray() RETURNS int AS '$libdir/pgclone', 'pgclone_jobs' LANGUAGE C;
SELECT public.stray()}, 'cache'), qr/55000: extension "pgclone" is not installed in this database/,
	'a C function outside the extension: not installed');

done_testing();

# wait_job() as 1.0's progress() spells the state
sub wait_job_1_0
{
	my ($id) = @_;
	my $state = '';
	for (my $i = 0; $i < 600; $i++)
	{
		$state = q_target($tgt, "SELECT pgclone.progress($id)->>'state'");
		return $state if $state !~ /^(pending|running)$/;
		select(undef, undef, undef, 0.1);
	}
	return $state;
}

# What in a META.json breaks the PGXN meta spec 1.0.0 (required keys and
# their forms; optional keys that are there must be well-formed).
sub meta_problems
{
	my ($m) = @_;
	my @p;
	my $semver = qr/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
	my $range = qr/^((==|!=|<=?|>=?)\s*)?(\d+\.\d+\.\d+|0)(,\s*((==|!=|<=?|>=?)\s*)?(\d+\.\d+\.\d+|0))*$/;
	my $term = qr/^[^\s\/\\:]{2,}$/;
	my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd
	  freebsd gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1
	  openssl perl_5 postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
	for my $k (qw(name abstract version maintainer license provides meta-spec))
	{
		push @p, "missing $k" unless defined $m->{$k};
	}
	push @p, 'name is not a term' unless ($m->{name} // '') =~ $term;
	push @p, 'abstract is empty' unless length($m->{abstract} // '');
	push @p, 'version is not SemVer' unless ($m->{version} // '') =~ $semver;
	my @maint = ref $m->{maintainer} eq 'ARRAY' ? @{ $m->{maintainer} } : ($m->{maintainer} // ());
	push @p, 'no maintainer' unless @maint && !grep { !length } @maint;
	push @p, 'unknown license' unless ref $m->{license} || $licenses{ $m->{license} // '' };
	push @p, 'meta-spec version is not 1.0.0' unless ($m->{'meta-spec'}{version} // '') eq '1.0.0';
	for my $e (sort keys %{ $m->{provides} // {} })
	{
		my $x = $m->{provides}{$e};
		push @p, "provides $e: no file" unless defined $x->{file} && -f $x->{file};
		push @p, "provides $e: version is not SemVer" unless ($x->{version} // '') =~ $semver;
		push @p, "provides $e: docfile missing" if defined $x->{docfile} && !-f $x->{docfile};
	}
	for my $phase (sort keys %{ $m->{prereqs} // {} })
	{
		push @p, "prereqs: unknown phase $phase" unless $phase =~ /^(configure|build|test|runtime|develop)$/;
		for my $rel (sort keys %{ $m->{prereqs}{$phase} })
		{
			push @p, "prereqs $phase: unknown relationship $rel"
			  unless $rel =~ /^(requires|recommends|suggests|conflicts)$/;
			while (my ($dep, $v) = each %{ $m->{prereqs}{$phase}{$rel} })
			{
				push @p, "prereqs $phase $rel $dep: bad version range '$v'" unless "$v" =~ $range;
			}
		}
	}
	if (my $r = $m->{resources})
	{
		push @p, 'resources: unknown key' if grep { !/^(homepage|bugtracker|repository|x_.*)$/i } keys %$r;
		push @p, 'resources bugtracker: needs web or mailto'
		  if $r->{bugtracker} && !($r->{bugtracker}{web} || $r->{bugtracker}{mailto});
	}
	push @p, 'release_status' if defined $m->{release_status}
	  && $m->{release_status} !~ /^(stable|testing|unstable)$/;
	return @p;
}

# The 1.0 release was written for PostgreSQL 15: on another major its library
# does not build, so no 1.0 server can run there.  What a DBA of that major
# can upgrade is the SQL: an install at 1.0 (its scripts ship with every
# package) updated with ALTER EXTENSION by this tree's library, which must
# equal a fresh install.
sub sql_upgrade_only
{
	my ($major) = @_;
	note("PostgreSQL $major: the 1.0 library does not build here (it was written for 15); the SQL upgrade path only");
	my $n = PostgreSQL::Test::Cluster->new('sqlonly');
	$n->init;
	$n->append_conf('postgresql.conf', "shared_preload_libraries = 'pgclone'\nmax_worker_processes = 16\n");
	$n->start;
	q_target($n, "CREATE EXTENSION pgclone VERSION '1.0'");
	is(q_target($n, "SELECT extversion FROM pg_extension WHERE extname = 'pgclone'"), '1.0', "[$major] 1.0's SQL installed");
	q_target($n, 'ALTER EXTENSION pgclone UPDATE');
	is(q_target($n, "SELECT extversion FROM pg_extension WHERE extname = 'pgclone'"), $extversion,
		"[$major] ALTER EXTENSION UPDATE reaches $extversion");
	is(q_target($n, 'SELECT pgclone.version()'), "pgclone $library (SQL $extversion)", "[$major] version() after the update");
	$n->safe_psql('postgres', 'CREATE DATABASE fresh');
	$n->safe_psql('fresh', 'CREATE EXTENSION pgclone');
	my $fresh = describe_extension($n, 'fresh');
	like($fresh, qr/^function: table\(source_conninfo text/m, "[$major] the description lists the functions");
	text_equal(describe_extension($n, 'postgres'), $fresh,
		"[$major] upgraded 1.0 (+) = fresh install (-): functions, relations, columns, views, constraints, privileges");
	$fresh = extension_dump($n, 'fresh');
	like($fresh, qr/^ALTER EXTENSION pgclone ADD TABLE pgclone\.job_history;$/m, "[$major] the dump has the members");
	text_equal(extension_dump($n, 'postgres'), $fresh,
		"[$major] upgraded 1.0 (+) = fresh install (-): pg_dump -s of schema pgclone and the extension members");
	$n->stop;
}

