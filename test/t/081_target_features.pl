# What the target's own major has, kept: a source of the target's major (the
# test's source and target run the same server) clones objects that only
# newer majors can hold, and pg_dump -s (the target's) of source and clone is
# identical.  080_versions checks the other side: a source newer than its
# target is refused up front for what the target cannot hold.
#   every target:  the baseline (a plain table) clones;
#   17 and later:  the MAINTAIN privilege granted alone, a collation of the
#                  builtin provider, ICU rules, identity columns of a
#                  partitioned table, a domain's named NOT NULL;
#   18 and later:  virtual generated columns, named, NO INHERIT and NOT VALID
#                  NOT NULL constraints, temporal keys (WITHOUT OVERLAPS,
#                  PERIOD), NOT ENFORCED constraints, uuidv7() defaults.
# Parts for a newer major than the target's are skipped, naming the reason.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $tmaj = server_major($tgt);
is(server_major($src), $tmaj, "source and target run PostgreSQL $tmaj");
my $c = src_conninfo($src);
my @dump = ('--no-owner', '-n', 'f');
my $tmp = PostgreSQL::Test::Utils::tempdir();

sub dump_difference
{
	my ($a, $b) = @_;
	PostgreSQL::Test::Utils::append_to_file("$tmp/$_->[0]", $_->[1]) for ([ 'src.sql', $a ], [ 'tgt.sql', $b ]);
	my ($out, $err);
	IPC::Run::run([ 'diff', '-u', "$tmp/src.sql", "$tmp/tgt.sql" ], '>', \$out, '2>', \$err);
	unlink "$tmp/src.sql", "$tmp/tgt.sql";
	return $out;
}

# roles the grants name, on both sides
for my $n ($src, $tgt)
{
	q_source($n, 'CREATE ROLE f_maint NOLOGIN; CREATE ROLE f_reader NOLOGIN');
}
q_source($src, q{
CREATE SCHEMA f;
CREATE TABLE f.plain (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO f.plain SELECT g, 'n' || g FROM generate_series(1, 100) g;
GRANT SELECT ON f.plain TO f_reader;
});

if ($tmaj >= 17)
{
	q_source($src, q{
GRANT MAINTAIN ON f.plain TO f_maint;
CREATE COLLATION f.bin (provider = builtin, locale = 'C.UTF-8');
CREATE COLLATION f.ruled (provider = icu, locale = 'und', rules = '&a < g');
CREATE DOMAIN f.code AS text CONSTRAINT code_present NOT NULL DEFAULT 'x';
CREATE TABLE f.events (id int GENERATED ALWAYS AS IDENTITY, at date NOT NULL,
  label text COLLATE f.bin, tag text COLLATE f.ruled, code f.code) PARTITION BY RANGE (at);
CREATE TABLE f.events_2025 PARTITION OF f.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE f.events_2026 PARTITION OF f.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO f.events (at, label, tag) SELECT date '2025-06-01' + g, 'e' || g, 't' || g FROM generate_series(1, 400) g;
});
}

if ($tmaj >= 18)
{
	q_source($src, q{
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE f.item (
  id uuid DEFAULT uuidv7() CONSTRAINT item_id_required NOT NULL,
  price numeric NOT NULL,
  qty int CONSTRAINT qty_nn NOT NULL NO INHERIT,
  total numeric GENERATED ALWAYS AS (price * qty) VIRTUAL,
  stored_total numeric GENERATED ALWAYS AS (price * qty) STORED,
  note text,
  PRIMARY KEY (id));
INSERT INTO f.item (price, qty, note) SELECT g, g % 7, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' END
  FROM generate_series(1, 300) g;
-- rows with NULLs stay: the constraint is NOT VALID
ALTER TABLE f.item ADD CONSTRAINT note_later NOT NULL note NOT VALID;
ALTER TABLE f.item ADD CONSTRAINT price_positive CHECK (price > 0) NOT ENFORCED;
CREATE TABLE f.room (room int, during daterange, PRIMARY KEY (room, during WITHOUT OVERLAPS));
CREATE TABLE f.booking (id int PRIMARY KEY, room int, during daterange,
  FOREIGN KEY (room, PERIOD during) REFERENCES f.room (room, PERIOD during));
CREATE TABLE f.audit (id int, item uuid REFERENCES f.item NOT ENFORCED);
INSERT INTO f.room VALUES (1, '[2025-01-01,2026-01-01)'), (2, '[2025-01-01,2025-06-01)');
INSERT INTO f.booking VALUES (1, 1, '[2025-02-01,2025-03-01)'), (2, 2, '[2025-02-01,2025-02-10)');
INSERT INTO f.audit VALUES (1, '00000000-0000-0000-0000-000000000000');
});
}

my $res = q_target($tgt, "SELECT pgclone.schema('$c', 'f')");
like($res, qr/^OK: schema f cloned/, 'schema clone of the target major\'s objects');

my ($a, $b) = (dump_schema($src, 'postgres', @dump), dump_schema($tgt, 'postgres', @dump));
ok($a eq $b, "pg_dump -s ($tmaj) of source and clone identical") or diag(dump_difference($a, $b));
is(checksum($tgt, 'postgres', 'f.plain'), checksum($src, 'postgres', 'f.plain'), 'baseline: data');

SKIP:
{
	skip("PostgreSQL 17's objects (MAINTAIN, builtin collations, ...): the target is $tmaj", 6) if $tmaj < 17;
	is(q_target($tgt, "SELECT has_table_privilege('f_maint', 'f.plain', 'MAINTAIN')"), 't',
		'MAINTAIN granted alone is kept');
	is(q_target($tgt, "SELECT has_table_privilege('f_maint', 'f.plain', 'SELECT')"), 'f',
		'... and alone');
	is(q_target($tgt, "SELECT collprovider::text || ':' || colllocale FROM pg_collation WHERE collname = 'bin'"),
		'b:C.UTF-8', 'builtin collation');
	is(q_target($tgt, "SELECT collicurules FROM pg_collation WHERE collname = 'ruled'"), '&a < g', 'ICU rules');
	is(q_target($tgt, "SELECT string_agg(c.relname || '=' || a.attidentity::text, ',' ORDER BY c.relname) FROM pg_attribute a"
		  . " JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname LIKE 'events%' AND a.attname = 'id'"),
		'events=a,events_2025=a,events_2026=a', 'identity of a partitioned table, on every partition');
	is(checksum($tgt, 'postgres', 'f.events'), checksum($src, 'postgres', 'f.events'), 'partitioned: data');
}

SKIP:
{
	skip("PostgreSQL 18's objects (virtual columns, NOT NULL constraints, temporal keys, ...): the target is $tmaj", 11)
	  if $tmaj < 18;
	is(q_target($tgt, "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'f.item'::regclass AND attname = 'total'"),
		'v', 'virtual generated column stays virtual');
	is(q_target($tgt, "SELECT string_agg(conname || ':' || convalidated || ':' || connoinherit, ',' ORDER BY conname)"
		  . " FROM pg_constraint WHERE conrelid = 'f.item'::regclass AND contype = 'n'"),
		'item_id_required:true:false,item_price_not_null:true:false,note_later:false:false,qty_nn:true:true',
		'NOT NULL constraints: names, NOT VALID, NO INHERIT');
	is(q_target($tgt, "SELECT count(*) FROM f.item WHERE note IS NULL"), '100', 'NOT VALID NOT NULL: the NULLs are there');
	is(q_target($tgt, "SELECT conenforced FROM pg_constraint WHERE conname = 'price_positive'"), 'f', 'NOT ENFORCED check');
	is(q_target($tgt, "SELECT count(*) FROM pg_constraint WHERE conrelid IN ('f.room'::regclass, 'f.booking'::regclass) AND conperiod"),
		'2', 'temporal primary key and foreign key');
	is(q_target($tgt, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'f.item'::regclass AND adnum = 1"),
		'uuidv7()', 'uuidv7() default');
	is(checksum($tgt, 'postgres', 'f.item'), checksum($src, 'postgres', 'f.item'), 'data, virtual column computed alike');
	is(checksum($tgt, 'postgres', 'f.booking'), checksum($src, 'postgres', 'f.booking'), 'temporal: data');

	# one table alone, under another name: the constraint names follow it
	like(q_target($tgt, "SELECT pgclone.table('$c', 'f', 'item', true, 'item_copy')"), qr/^OK/, 'table() under another name');
	is(q_target($tgt, "SELECT string_agg(conname || ':' || convalidated, ',' ORDER BY conname)"
		  . " FROM pg_constraint WHERE conrelid = 'f.item_copy'::regclass AND contype = 'n'"),
		'item_copy_id_required:true,item_copy_note_later:false,item_copy_price_not_null:true,item_copy_qty_nn:true',
		'table(): NOT NULL constraints named after the new table, NOT VALID kept');
	is(q_target($tgt, "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'f.item_copy'::regclass AND attname = 'total'"),
		'v', 'table(): virtual column');
}

# the same through background workers (schema_async, a pool of 2), replacing
# (what the source has: the renamed copy goes first)
q_target($tgt, 'DROP TABLE IF EXISTS f.item_copy');
my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'f', true, '{\"conflict\": \"replace\", \"parallel\": 2}')");
is(wait_job($tgt, $id, 120), 'completed', 'schema_async of the same schema: completed')
  or diag(q_target($tgt, "SELECT pgclone.progress($id)"));
$b = dump_schema($tgt, 'postgres', @dump);
ok($a eq $b, "schema_async: pg_dump -s ($tmaj) of source and clone identical") or diag(dump_difference($a, $b));

done_testing();
