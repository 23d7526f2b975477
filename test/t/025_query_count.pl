# The number of statements a clone sends to the source does not grow with
# the number of objects: one query per catalog for the whole plan, sequence
# positions in one statement.  Counted from the source's log_statement = all
# for N = 50 and N = 500 tables (each: primary key, foreign key to a parent,
# secondary index, default, comment, serial; ten parents, so that creating
# the source does not pile every foreign key's triggers on one table); only
# the per-table COPY statements may differ.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair(source_conf => "log_statement = 'all'\nlog_line_prefix = '\@%d\@ '\n");

sub make_source
{
	my ($db, $n) = @_;
	$src->safe_psql('postgres', "CREATE DATABASE $db");
	$src->safe_psql($db, qq{
	  DO \$\$ BEGIN FOR i IN 0..9 LOOP
	    EXECUTE format('CREATE TABLE public.parent%s (id int PRIMARY KEY, name text)', i);
	    EXECUTE format('INSERT INTO public.parent%s SELECT g, %L FROM generate_series(1, 10) g', i, 'p');
	  END LOOP; END \$\$;
	  DO \$\$ BEGIN FOR i IN 1..$n LOOP
	    EXECUTE format('CREATE TABLE public.t%s (id serial PRIMARY KEY,'
	      ' parent_id int REFERENCES public.parent%s, v text DEFAULT %L)', i, i % 10, 'x');
	    EXECUTE format('CREATE INDEX ON public.t%s (parent_id)', i);
	    EXECUTE format('COMMENT ON TABLE public.t%s IS %L', i, 'table ' || i);
	    EXECUTE format('INSERT INTO public.t%s (parent_id) SELECT 1 + g %% 10 FROM generate_series(1, 10) g', i);
	  END LOOP; END \$\$;
	});
}

# Statements the clone sent to source database $db from log offset $from:
# (all, COPY ... TO STDOUT)
sub count_statements
{
	my ($db, $from) = @_;
	my $log = slurp_file($src->logfile, $from);
	my ($all, $copy) = (0, 0);
	for my $line (split /\n/, $log)
	{
		next unless $line =~ /^\@\Q$db\E\@ LOG:  (?:statement|execute [^:]*): (.*)$/;
		$all++;
		$copy++ if $1 =~ /^COPY /;
	}
	return ($all, $copy);
}

my %count;
for my $n (50, 500)
{
	my $db = "n$n";
	make_source($db, $n);
	$tgt->safe_psql('postgres', "CREATE DATABASE db_$db; CREATE DATABASE sch_$db");
	$tgt->safe_psql("db_$db", 'CREATE EXTENSION pgclone');
	$tgt->safe_psql("sch_$db", 'CREATE EXTENSION pgclone');
	my $c = src_conninfo($src, $db);

	my $from = -s $src->logfile;
	my $res = $tgt->safe_psql("db_$db", "SELECT pgclone.database('$c')");
	like($res, qr/\b@{[$n + 10]} tables\b/, "database() of $n tables: $res");
	$count{database}{$n} = [ count_statements($db, $from) ];

	$from = -s $src->logfile;
	$res = $tgt->safe_psql("sch_$db", "SELECT pgclone.schema('$c', 'public')");
	like($res, qr/\b@{[$n + 10]} tables\b/, "schema() of $n tables: $res");
	$count{schema}{$n} = [ count_statements($db, $from) ];

	# schema_async with two pool workers: each reads the definitions of the
	# tables it loads in batches (jobs/worker.c), not table by table
	$tgt->safe_psql('postgres', "CREATE DATABASE asy_$db");
	$tgt->safe_psql("asy_$db", 'CREATE EXTENSION pgclone');
	$from = -s $src->logfile;
	my $id = $tgt->safe_psql("asy_$db",
		"SELECT pgclone.schema_async('$c', 'public', true, '{\"parallel\": 2}')");
	my $state = '';
	for (my $i = 0; $i < 1200; $i++)
	{
		$state = $tgt->safe_psql("asy_$db", "SELECT status FROM pgclone.jobs_view WHERE job_id = $id");
		last if $state !~ /^(pending|running)$/;
		select(undef, undef, undef, 0.1);
	}
	is($state, 'completed', "schema_async(parallel 2) of $n tables");
	is($tgt->safe_psql("asy_$db", "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"),
		$n, "schema_async of $n tables: every foreign key");
	$count{schema_async}{$n} = [ count_statements($db, $from) ];

	is($tgt->safe_psql("db_$db", "SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"),
		$n, "database() of $n tables: every serial's sequence");
	is($tgt->safe_psql("sch_$db", "SELECT last_value FROM public.t$n\_id_seq"),
		'10', "schema() of $n tables: sequence position");
}

for my $f ('database', 'schema')
{
	my ($a50, $c50) = @{ $count{$f}{50} };
	my ($a500, $c500) = @{ $count{$f}{500} };
	note("$f(): N=50: $a50 statements ($c50 COPY); N=500: $a500 statements ($c500 COPY)");
	is($c50, 60, "$f() of 50 tables: one COPY per table");
	is($c500, 510, "$f() of 500 tables: one COPY per table");
	is($a500 - $c500, $a50 - $c50,
		"$f(): statements other than COPY do not grow with N (N=50: @{[$a50 - $c50]}, N=500: @{[$a500 - $c500]})");
}

{
	my ($a50, $c50) = @{ $count{schema_async}{50} };
	my ($a500, $c500) = @{ $count{schema_async}{500} };
	note("schema_async(): N=50: $a50 statements ($c50 COPY); N=500: $a500 statements ($c500 COPY)");
	is($c500, 510, "schema_async() of 500 tables: one COPY per table");
	# read table by table it was about 12 statements a table (6,000 here)
	cmp_ok($a500 - $c500, '<', 510 / 2,
		"schema_async(): definitions read in batches, not per table (N=50: @{[$a50 - $c50]}, N=500: @{[$a500 - $c500]})");
}

# nothing to keep: skip the shutdown checkpoints of two clusters full of tables
$src->stop('immediate');
$tgt->stop('immediate');
done_testing();
