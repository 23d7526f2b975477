# An async job keeps what the synchronous call's error says: SQLSTATE,
# message, detail and hint, in jobs_view/progress_detail(), progress() (also
# per table) and jobs(), in columns after the original pgclone's.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);
q_source($src, q{
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY, email text);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int REFERENCES shop.customers);
INSERT INTO shop.customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 20) g;
INSERT INTO shop.orders SELECT g, 1 + g % 20 FROM generate_series(1, 40) g;
});
q_target($tgt, "CREATE SCHEMA shop; CREATE TABLE shop.customers (id int)");

sub progress { return decode_json(q_target($tgt, "SELECT pgclone.progress($_[0])")); }

# the synchronous call's error, for comparison
my $sync = target_error($tgt, "SELECT pgclone.schema('$c', 'shop')");
my ($hint) = $sync =~ /HINT:  (.*)/;
like($hint, qr/Use the "conflict" option/, 'the sync error has a hint');

# ---- a schema job into a schema that exists: the leader's error ----
for my $par (1, 2)
{
	my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'shop', true, '{\"parallel\": $par}')");
	is(wait_job($tgt, $id), 'failed', "schema job (parallel $par) failed");
	my $row = q_target($tgt, "SELECT concat_ws('|', sqlstate, error_message, coalesce(error_detail, '-'), error_hint)"
		. " FROM pgclone.jobs_view WHERE job_id = $id");
	is($row, "42P07|target table shop.customers already exists|-|$hint",
		"parallel $par: jobs_view has SQLSTATE, message and the sync call's hint");
	my $p = progress($id);
	is($p->{error_hint}, $hint, "parallel $par: progress() carries error_hint");
	ok(exists $p->{error_detail} && !defined $p->{error_detail}, "parallel $par: and error_detail (none here)");
}

# ---- a table that fails in a pool worker: detail and hint from the table ----
# a mask that cannot fit the column: the error has a DETAIL
q_target($tgt, "DROP SCHEMA shop CASCADE");
q_target($tgt, "CREATE SCHEMA shop; CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int)");
my $id = q_target($tgt, "SELECT pgclone.table_async('$c', 'shop', 'orders')");
is(wait_job($tgt, $id), 'failed', 'table job into an existing table failed');
my $p = progress($id);
is("$p->{sqlstate}|$p->{error_hint}", "42P07|$hint", 'table job: SQLSTATE and hint');
is($p->{tables}[0]{error_hint}, $hint, 'the per-table entry of progress() has the hint too');
ok(exists $p->{tables}[0]{error_detail}, 'and error_detail');

# an error with a DETAIL: a "where" filter that fails on the source (re-raised here)
q_target($tgt, "DROP TABLE shop.orders");
$id = q_target($tgt, "SELECT pgclone.table_async('$c', 'shop', 'orders', true, NULL,"
	. " '{\"where\": \"customer_id::text::int[] IS NOT NULL\"}')");
is(wait_job($tgt, $id), 'failed', 'a filter that fails on the source');
$p = progress($id);
is($p->{sqlstate}, '22P02', 'the source error\'s SQLSTATE');
like($p->{error_message}, qr/malformed array literal/, 'its message');
like($p->{error_detail}, qr/Array value must start with "\{"/, 'and its DETAIL');
like(q_target($tgt, "SELECT error_detail FROM pgclone.jobs_view WHERE job_id = $id"), qr/Array value must start/,
	'in jobs_view too');
like($p->{tables}[0]{error_detail}, qr/Array value must start/, 'and in the per-table entry');
my $sp = q_target($tgt, "SELECT error_detail IS NOT DISTINCT FROM (pgclone.progress(job_id)->>'error_detail')"
	. " AND error_hint IS NOT DISTINCT FROM (pgclone.progress(job_id)->>'error_hint') FROM pgclone.jobs_view WHERE job_id = $id");
is($sp, 't', 'jobs_view and progress() agree');

# ---- the fields survive a restart (they are in the history) ----
$tgt->restart;
is(q_target($tgt, "SELECT count(*) FROM pgclone.jobs_view WHERE error_hint = " . $tgt->safe_psql('postgres', "SELECT quote_literal(\$h\$$hint\$h\$)")),
	'3', 'after a restart the hints are still there');

# ---- the columns: after the original's and ours, in view, function, jobs() ----
is(q_target($tgt, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute"
	. " WHERE attrelid = 'pgclone.jobs_view'::regclass AND attnum > 27"),
	'error_detail,error_hint,queue_position', 'new columns come after the existing 27');
my $keys = q_target($tgt, "SELECT string_agg(k, ',') FROM json_object_keys(pgclone.jobs()->0) k");
like($keys, qr/,sqlstate,error_detail,error_hint,queue_position$/, 'jobs() has the same keys');

done_testing();
