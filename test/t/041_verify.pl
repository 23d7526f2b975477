# pgclone.verify(): fast, exact and checksum comparisons between source and target.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my $OK = "\xe2\x9c\x93";
my $X = "\xe2\x9c\x97";
my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);
my $ddl = q{
CREATE SCHEMA app;
CREATE TABLE app.customers (id int PRIMARY KEY, name text, ts timestamptz, f float8);
CREATE TABLE app.orders (id int, amount numeric);
CREATE TABLE app.parted (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE app.parted_1 PARTITION OF app.parted FOR VALUES FROM (0) TO (50);
CREATE TABLE app.parted_2 PARTITION OF app.parted FOR VALUES FROM (50) TO (100);
CREATE TABLE other_t (x int);
};
my $data = q{
INSERT INTO app.customers SELECT g, 'n' || g, '2024-01-01 10:00+02'::timestamptz + g * interval '1 hour', g / 3.0 FROM generate_series(1,200) g;
INSERT INTO app.orders SELECT g, g * 1.5 FROM generate_series(1,300) g;
INSERT INTO app.parted SELECT g, g % 100 FROM generate_series(1,1000) g;
INSERT INTO other_t VALUES (1), (2);
};
q_source($src, $ddl . $data . "CREATE TABLE app.only_src (a int); INSERT INTO app.only_src VALUES (1);");
# target: same tables (different session TimeZone must not matter for checksums)
q_target($tgt, "ALTER DATABASE postgres SET TimeZone = 'America/New_York';" . $ddl . $data);

my $sql = "SELECT schema_name, table_name, source_rows, target_rows, match FROM pgclone.verify('$c', 'app'";

# never analyzed: reltuples = -1 -> exact count fallback
is(q_target($tgt, "$sql)"),
	"app|customers|200|200|$OK\napp|only_src|1|0|$X (missing)\napp|orders|300|300|$OK\napp|parted|1000|1000|$OK",
	'fast mode (never analyzed falls back to count)') or diag q_target($tgt, "$sql)");

q_source($src, 'ANALYZE');
q_target($tgt, 'ANALYZE');
is(q_target($tgt, "SELECT count(*) FROM pgclone.verify('$c', 'app') WHERE match = '$OK'"), '3', 'fast mode after ANALYZE');

# all schemas, deterministic order
is(q_target($tgt, "SELECT string_agg(schema_name || '.' || table_name, ',') FROM pgclone.verify('$c')"),
	'app.customers,app.only_src,app.orders,app.parted,public.other_t', 'all schemas, ordered');
is(q_target($tgt, "SELECT count(*) FROM pgclone.verify('$c', NULL, '{\"exact\": true}')"), '5', 'NULL schema with options = all');

is(q_target($tgt, "$sql, '{\"checksum\": true}') WHERE match <> '$X (missing)'"),
	"app|customers|200|200|$OK\napp|orders|300|300|$OK\napp|parted|1000|1000|$OK",
	'checksum identical data');

# drift: delete rows (reltuples stale until ANALYZE), change content keeping counts
q_target($tgt, "DELETE FROM app.orders WHERE id <= 5; UPDATE app.customers SET name = 'x' WHERE id = 7; DELETE FROM app.parted WHERE id = 10");
is(q_target($tgt, "$sql) WHERE table_name = 'orders'"), "app|orders|300|300|$OK", 'fast mode uses stale reltuples');
is(q_target($tgt, "$sql, '{\"exact\": true}') WHERE match <> '$X (missing)'"),
	"app|customers|200|200|$OK\napp|orders|300|295|$X\napp|parted|1000|999|$X",
	'exact mode sees deleted rows');
is(q_target($tgt, "$sql, '{\"checksum\": true}') WHERE table_name = 'customers'"),
	"app|customers|200|200|$X", 'checksum sees changed content');
q_target($tgt, 'ANALYZE app.orders');
is(q_target($tgt, "$sql) WHERE table_name = 'orders'"), "app|orders|300|295|$X", 'fast mode after ANALYZE');

# bad input
like(target_error($tgt, "SELECT * FROM pgclone.verify(NULL)"), qr/22004/, 'NULL conninfo');
like(target_error($tgt, "SELECT * FROM pgclone.verify('$c', NULL)"), qr/22004/, 'NULL schema (2 args)');
like(target_error($tgt, "SELECT * FROM pgclone.verify('$c', 'nope')"), qr/3F000.*schema "nope" does not exist on the source/, 'unknown schema');
like(target_error($tgt, "SELECT * FROM pgclone.verify('$c', 'app', '{bad')"), qr/22P02/, 'malformed JSON');
like(target_error($tgt, "SELECT * FROM pgclone.verify('$c', 'app', '{\"fast\": true}')"), qr/22023.*unknown verify option "fast"/, 'unknown option');
like(target_error($tgt, "SELECT * FROM pgclone.verify('$c', 'app', '{\"exact\": 1}')"), qr/22023.*must be a boolean/, 'option type');
like(target_error($tgt, "SELECT * FROM pgclone.verify('$c', 'app', '[1]')"), qr/22023/, 'options not an object');
like(target_error($tgt, "SELECT * FROM pgclone.verify('host=/nonexistent port=1 dbname=x', 'app')"), qr/08001/, 'bad conninfo');

# hostile names are quoted
q_source($src, q{CREATE SCHEMA "we""ird;"; CREATE TABLE "we""ird;"."t""; DROP TABLE app.orders; --" (a int); INSERT INTO "we""ird;"."t""; DROP TABLE app.orders; --" VALUES (1)});
like(q_target($tgt, qq{SELECT match FROM pgclone.verify('$c', 'we"ird;', '{"checksum": true}')}), qr/missing/, 'hostile name: reported missing');
is(q_target($tgt, "SELECT count(*) FROM app.orders"), '295', 'hostile name changed nothing');
q_target($tgt, q{CREATE SCHEMA "we""ird;"; CREATE TABLE "we""ird;"."t""; DROP TABLE app.orders; --" (a int); INSERT INTO "we""ird;"."t""; DROP TABLE app.orders; --" VALUES (1)});
is(q_target($tgt, qq{SELECT match FROM pgclone.verify('$c', 'we"ird;', '{"checksum": true}')}), "$OK", 'hostile name compared');

# after a real clone with pgclone.table(): checksums agree
q_source($src, q{CREATE SCHEMA cl;
CREATE TABLE cl.mixed (id int PRIMARY KEY, ts timestamptz, d date, iv interval, f float8, b bytea, j jsonb, arr int[]);
INSERT INTO cl.mixed SELECT g, '2024-03-01 12:00+05'::timestamptz + g * interval '1 min', '2024-01-01'::date + g,
  g * interval '1 hour', g / 7.0, decode(md5(g::text), 'hex'), jsonb_build_object('k', g), ARRAY[g, g + 1]
  FROM generate_series(1, 500) g;});
is(q_target($tgt, "SELECT pgclone.table('$c', 'cl', 'mixed')"), 'OK: cloned cl.mixed to cl.mixed (500 rows)', 'pgclone.table clone');
is(q_target($tgt, "SELECT source_rows || ' ' || target_rows || ' ' || match FROM pgclone.verify('$c', 'cl', '{\"checksum\": true}')"),
	"500 500 $OK", 'checksum after pgclone.table');
q_target($tgt, "UPDATE cl.mixed SET f = f + 1e-12 WHERE id = 250");
is(q_target($tgt, "SELECT match FROM pgclone.verify('$c', 'cl', '{\"checksum\": true}')"), $X, 'checksum sees a tiny float change');

# a column named like the row alias: the whole row is still hashed
q_source($src, "CREATE TABLE cl.tt (t int, u text); INSERT INTO cl.tt VALUES (1, 'a'), (2, 'b')");
q_target($tgt, "CREATE TABLE cl.tt (t int, u text); INSERT INTO cl.tt VALUES (1, 'a'), (2, 'c')");
is(q_target($tgt, "SELECT match FROM pgclone.verify('$c', 'cl', '{\"checksum\": true}') WHERE table_name = 'tt'"), $X, 'column named t does not hide the row');

# the session settings are restored
is(q_target($tgt, "SELECT count(*) FROM pgclone.verify('$c', 'app'); SHOW search_path"), "4\n\"\$user\", public", 'search_path restored');
done_testing();
