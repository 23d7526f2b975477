# Timing of pgclone.verify() modes on one table (not part of the test suite).
# Run: T=bench/ops_verify.pl scripts/test.sh   (ROWS=n to change the size)
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use PgcloneTest;

my $rows = $ENV{ROWS} // 1000000;
my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);
my $ddl = "CREATE TABLE big (id int PRIMARY KEY, v text, ts timestamptz, n numeric);"
  . "INSERT INTO big SELECT g, md5(g::text), '2024-01-01 00:00+00'::timestamptz + g * interval '1 s', g * 1.5 FROM generate_series(1, $rows) g; ANALYZE big;";
q_source($src, $ddl);
q_target($tgt, $ddl);
for my $mode ('', '{"exact": true}', '{"checksum": true}')
{
	my $t0 = time;
	my $m = q_target($tgt, "SELECT match FROM pgclone.verify('$c', 'public', '$mode')");
	diag sprintf("verify %-20s %d rows: %.2f s (%s)", $mode || 'fast', $rows, time - $t0, $m);
}
my $t0 = time;
q_target($tgt, "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM big t");
diag sprintf("reference: md5(string_agg ORDER BY) on the target alone: %.2f s", time - $t0);
ok(1, 'done');
done_testing();
