# pgclone.table() of a partitioned table: the whole partition tree
# (sub-partitions, a default partition, a partition in another schema),
# pg_dump-identical, data per partition, masks and "where" on every
# partition, the conflict modes, and clear errors that leave nothing.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

q_source($src, q{
CREATE SCHEMA arch;
CREATE TABLE ev (id bigserial, at date NOT NULL, kind text NOT NULL, email text,
  CONSTRAINT ev_email_check CHECK (email LIKE '%@%'), PRIMARY KEY (id, at, kind)) PARTITION BY RANGE (at);
COMMENT ON TABLE ev IS 'events';
CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (kind);
CREATE TABLE ev_2024_a PARTITION OF ev_2024 FOR VALUES IN ('a');
CREATE TABLE ev_2024_rest PARTITION OF ev_2024 DEFAULT;
CREATE TABLE arch.ev_2023 PARTITION OF ev FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE INDEX ev_kind ON ev (kind);
CREATE INDEX ev_2024_a_email ON ev_2024_a (email);
INSERT INTO ev (at, kind, email) SELECT '2023-01-01'::date + g % 700, (ARRAY['a','b'])[1 + g % 2], 'u' || g || '@x.test'
  FROM generate_series(1, 1000) g;
-- another partitioned table in the same schema: not part of the clone
CREATE TABLE other_p (id int, k int) PARTITION BY HASH (id);
CREATE TABLE other_p0 PARTITION OF other_p FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE other_p1 PARTITION OF other_p FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ON other_p (k);
});
my @leaves = ('arch.ev_2023', 'ev_2024_a', 'ev_2024_rest');
sub dump_tree { return dump_schema(shift, 'postgres', '-t', 'public.ev*', '-t', 'arch.*'); }

like(q_target($tgt, "SELECT pgclone.table('$c', 'public', 'ev')"), qr/^OK: cloned public.ev to public.ev \(1000 rows\)$/,
	'partitioned table cloned with its tree');
ok(dump_tree($src) eq dump_tree($tgt), 'pg_dump of the tree identical (partitions, bounds, indexes attached, constraints)');
is(checksum($tgt, 'postgres', $_), checksum($src, 'postgres', $_), "data of $_") for @leaves;
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relname LIKE 'other_p%'"), '0', 'other tables of the schema left out');
is(q_target($tgt, "SELECT nextval('ev_id_seq')"), q_source($src, "SELECT nextval('ev_id_seq')"), 'serial position kept');

# mask and where reach every partition; the schema's own state is left alone
q_target($tgt, 'DROP TABLE ev; DROP SCHEMA arch');
my ($ret, $out, $err) = $tgt->psql('postgres',
	qq{SELECT pgclone.table('$c', 'public', 'ev', true, NULL, '{"mask": {"email": "email"}, "where": "kind = ''a''"}')});
is($out, 'OK: cloned public.ev to public.ev (500 rows)', 'masked and filtered clone');
like($err, qr/NOTICE:  cloned public.ev with its 4 partitions/, 'NOTICE counts the partitions');
is(q_target($tgt, "SELECT string_agg(DISTINCT kind, ','), count(*) FILTER (WHERE email NOT LIKE 'u***\@x.test') FROM ev"),
	'a|0', 'every partition filtered and masked');
is(q_target($tgt, "SELECT count(*) FROM arch.ev_2023"), q_source($src, "SELECT count(*) FROM arch.ev_2023 WHERE kind = 'a'"),
	'rows routed to the partition in the other schema');

# conflict modes
is(q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'ev', true, NULL, '{"conflict": "skip"}')}),
	'SKIPPED: public.ev already exists', 'skip');
like(q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'ev', true, NULL, '{"conflict": "rename"}')}),
	qr/^OK: cloned public.ev to public.ev \(1000 rows\); 5 existing objects renamed to \*_old$/,
	'rename: the result says the existing tree (parent and 4 partitions) was renamed');
is(q_target($tgt, "SELECT count(*) FROM ev_old"), '500', 'renamed tree keeps its rows');
is(q_target($tgt, q{SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'ev_old'::regclass AND c.relkind IN ('r', 'p')}), 'ev_2023_old,ev_2024_old', 'renamed partitions stay attached to the renamed parent');
is(checksum($tgt, 'postgres', 'ev'), checksum($src, 'postgres', 'ev'), 'new tree has all rows');
like(q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'ev', true, NULL, '{"conflict": "replace"}')}),
	qr/^OK: cloned public.ev to public.ev \(1000 rows\)$/, 'replace');
is(checksum($tgt, 'postgres', 'ev'), checksum($src, 'postgres', 'ev'), 'replaced tree has all rows');

# errors: nothing left behind
q_target($tgt, 'DROP TABLE ev, ev_old CASCADE');
like(target_error($tgt, "SELECT pgclone.table('$c', 'public', 'ev', true, 'ev_copy')"),
	qr/0A000: partitioned table public.ev cannot be cloned under another name/, 'another name: clear error');
q_target($tgt, 'CREATE TABLE ev_2024_a (x int)');
like(target_error($tgt, "SELECT pgclone.table('$c', 'public', 'ev')"),
	qr/42P07: target table public.ev_2024_a already exists/, 'a partition name taken: clear error');
is(q_target($tgt, "SELECT count(*) FROM pg_class WHERE relname IN ('ev', 'ev_2024', 'ev_copy')"), '0',
	'nothing left after the errors');
q_source($src, q{
CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER nowhere FOREIGN DATA WRAPPER dummy;
CREATE TABLE fp (id int) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE fp_1 PARTITION OF fp FOR VALUES FROM (0) TO (10) SERVER nowhere;
});
like(target_error($tgt, "SELECT pgclone.table('$c', 'public', 'fp')"),
	qr/0A000: partition public.fp_1 of public.fp is a foreign table/, 'foreign partition: clear error');

done_testing();
