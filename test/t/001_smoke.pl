# The two-cluster test bed works: a plain table clone end to end.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
q_source($src, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1,100) g");
my $c = src_conninfo($src);
is(q_target($tgt, "SELECT pgclone.table('$c', 'public', 't')"),
	'OK: cloned public.t to public.t (100 rows)', 'clone result');
is(checksum($tgt, 'postgres', 't'), checksum($src, 'postgres', 't'), 'data identical');
like(q_target($tgt, 'SELECT pgclone.version()'), qr/^pgclone \d+\.\d+\.\d+ \(SQL \d+\.\d+\)$/, 'version');
done_testing();
