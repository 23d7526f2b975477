# Driver of bench_mask.sh: PostgreSQL::Test::Cluster picks the ports.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use PgcloneTest;
use Time::HiRes qw(time);

my $rows = $ENV{ROWS};
my $runs = $ENV{RUNS};
# bench/lib.sh's server settings; the source also logs statements so the
# bench can replay each variant's COPY alone
my $conf = "shared_buffers = 1GB\nmaintenance_work_mem = 512MB\nmax_wal_size = 8GB\n"
  . "checkpoint_timeout = 30min\nwal_level = minimal\nmax_wal_senders = 0\nsynchronous_commit = off\n";
my ($src, $tgt) = start_pair(target_conf => $conf,
	source_conf => $conf . ($ENV{SRC_CONF} // '') . "log_statement = 'all'\nlog_line_prefix = ''\n");
my $c = src_conninfo($src);
q_source($src, qq{
CREATE TABLE people (id int PRIMARY KEY, full_name text, email text, phone text, city text, balance int);
INSERT INTO people SELECT g, 'First' || g || ' Last' || (g % 977), 'user' || g || '\@example' || (g % 50) || '.com',
  '+1-555-' || lpad((g % 1000)::text, 3, '0') || '-' || lpad((g % 10000)::text, 4, '0'),
  'City ' || (g % 300), g % 100000
FROM generate_series(1, $rows) g;
VACUUM ANALYZE people;
});
my $bytes = q_source($src, "SELECT pg_size_pretty(pg_table_size('people'))");

my $three = '{"mask": {"email": "email", "full_name": "name", "phone": "phone"}}';
my $fakes = '{"mask": {"email": "fake_email", "full_name": "fake_name", "phone": "fake_phone"}, "salt": "s"}';
my %variants = (
	'1 no mask' => '{}',
	'2 email+name+phone' => $three,
	'3 all + hash' => '{"mask": {"email": {"type": "hash", "salt": "s", "algorithm": "sha256"}, "full_name": "name", '
	  . '"phone": "phone", "city": {"type": "partial", "prefix": 2, "suffix": 1}, "balance": {"type": "random_int", "min": 1, "max": 9}}}',
	'4 3 masks, 1 src worker' => $three,
	# issue 23: dictionary-based fakes (a name[] literal per dictionary in the COPY query)
	'5 3 fake_* masks' => $fakes,
	'6 3 fakes, 1 src worker' => $fakes,
);
# the session settings of each variant (the parallel one: see pgclone.mask_parallel_workers)
my %set = ('4 3 masks, 1 src worker' => 'SET pgclone.mask_parallel_workers = 1;',
	'6 3 fakes, 1 src worker' => 'SET pgclone.mask_parallel_workers = 1;');
my %srcset = ('4 3 masks, 1 src worker' => 'SET parallel_tuple_cost = 0; SET max_parallel_workers_per_gather = 1;',
	'6 3 fakes, 1 src worker' => 'SET parallel_tuple_cost = 0; SET max_parallel_workers_per_gather = 1;');
my (%t, %copyq);
for my $i (1 .. $runs)
{
	for my $v (sort keys %variants)
	{
		q_target($tgt, 'DROP TABLE IF EXISTS people; CHECKPOINT');
		my $t0 = time;
		q_target($tgt, ($set{$v} // '') . "SELECT pgclone.table('$c', 'public', 'people', true, NULL, '$variants{$v}')");
		push @{ $t{$v} }, time - $t0;
		# the COPY the clone ran on the source, from the source log
		my $log = slurp_file($src->logfile);
		my @q = $log =~ /statement: (COPY \(SELECT .*? TO STDOUT[^\n]*)/g;
		$copyq{$v} = $q[-1];
	}
}
# source side alone: the same COPY statements sent to /dev/null on the source
my %s;
for my $i (1 .. $runs)
{
	for my $v (sort keys %variants)
	{
		(my $q = $copyq{$v}) =~ s/TO STDOUT/TO '\/dev\/null'/;
		my $t0 = time;
		q_source($src, ($srcset{$v} // '') . $q);
		push @{ $s{$v} }, time - $t0;
	}
}
sub median { my @s = sort { $a <=> $b } @_; return $s[ int(@s / 2) ]; }
# the TAP modules send STDOUT to their log: write the results to a file
open(my $out, '>', $ENV{OUT}) or die "$ENV{OUT}: $!";
my $base = median(@{ $t{'1 no mask'} });
my $sbase = median(@{ $s{'1 no mask'} });
printf $out "rows=%d table=%s runs=%d (median seconds)\n", $rows, $bytes, $runs;
printf $out "%-24s %-30s %s\n", '', 'pgclone.table() end to end', 'source COPY alone';
for my $v (sort keys %variants)
{
	my $m = median(@{ $t{$v} });
	my $sm = median(@{ $s{$v} });
	printf $out "%-24s %6.2f s  ratio %.2f (%+4.0f%%)    %6.2f s (%+.2f us/row)\n", substr($v, 2),
	  $m, $m / $base, 100 * ($m / $base - 1), $sm, 1e6 * ($sm - $sbase) / $rows;
}
close($out);
$src->stop;
$tgt->stop;
