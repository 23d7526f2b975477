# schema_async produces exactly what pgclone.schema() produces: the schema
# module's fixture (every object kind) cloned sequentially, by a parallel
# pool, and by a job that failed on one table and was resumed.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use PgcloneTest;

my ($src, $tgt) = start_pair();
load_schema_fixture($src, 'postgres', 'fixture loaded');
my $c = src_conninfo($src);

my @tables = schema_fixture_tables();

# the job's final state, polled in the job's database
sub wait_db
{
	my ($db, $id) = @_;
	my $state = '';
	for (my $i = 0; $i < 900; $i++)
	{
		$state = q_target($tgt, "SELECT pgclone.progress($id)->>'status'", $db);
		return $state if $state !~ /^(pending|running)$/;
		select(undef, undef, undef, 0.1);
	}
	return $state;
}

sub dumps_equal { my ($db, $name) = @_; schema_dumps_equal($src, $tgt, $db, 'sales', $name); }

sub same_as_sync
{
	my ($db, $what) = @_;
	dumps_equal($db, "$what: pg_dump -s identical to the source");
	my $bad = join(' ', grep { checksum($tgt, $db, $_) ne checksum($src, 'postgres', $_) } @tables);
	is($bad, '', "$what: data of every table identical");
	is(q_target($tgt, "SELECT last_value || ',' || is_called FROM sales.ref_seq", $db),
		q_source($src, "SELECT last_value || ',' || is_called FROM sales.ref_seq"), "$what: standalone sequence position");
	is(q_target($tgt, "SELECT last_value || ',' || is_called FROM sales.orders_id_seq", $db),
		q_source($src, "SELECT last_value || ',' || is_called FROM sales.orders_id_seq"), "$what: identity sequence position");
	is(q_target($tgt, "SELECT sales.my_sum(amount) = (SELECT sum(amount) FROM sales.orders) FROM sales.orders LIMIT 1", $db),
		't', "$what: aggregate works");
}

my $id0;
for my $par (1, 2)
{
	my $db = "par$par";
	q_target($tgt, "CREATE DATABASE $db");
	q_target($tgt, 'CREATE EXTENSION pgclone', $db);
	my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'sales', true, '{\"parallel\": $par}')", $db);
	is(wait_db($db, $id), 'completed', "parallel $par: completed");
	my $p = decode_json(q_target($tgt, "SELECT pgclone.progress($id)", $db));
	is($p->{tables_completed}, $p->{tables_total}, "parallel $par: every table done");
	same_as_sync($db, "parallel $par");
	q_target($tgt, 'CREATE EXTENSION IF NOT EXISTS pg_visibility', $db);
	is(all_rows_frozen($tgt, $db, 'sales.order_items'), 't', "parallel $par: rows loaded frozen");
}

# options go through as for pgclone.schema(): conflict skip leaves everything as it is
$id0 = q_target($tgt, "SELECT pgclone.schema_async('$c', 'sales', true, '{\"parallel\": 2, \"conflict\": \"skip\"}')", 'par1');
is(wait_db('par1', $id0), 'completed', 'conflict skip: completed');
is(decode_json(q_target($tgt, "SELECT pgclone.progress($id0)", 'par1'))->{tables_total}, 0, 'conflict skip: no table planned');
same_as_sync('par1', 'after conflict skip');

# options: the async clone equals the sync clone of the same arguments
my $opts = '{"indexes": false, "triggers": false, "matviews": false, "constraints": false,'
  . ' "mask": {"customers": {"name": {"type": "constant", "value": "X"}}}}';
(my $popts = $opts) =~ s/^\{/{"parallel": 2, /;
for my $db ('opt_sync', 'opt_async')
{
	q_target($tgt, "CREATE DATABASE $db");
	q_target($tgt, 'CREATE EXTENSION pgclone', $db);
}
like(q_target($tgt, "SELECT pgclone.schema('$c', 'sales', true, '$opts')", 'opt_sync'), qr/^OK/, 'options: sync clone');
$id0 = q_target($tgt, "SELECT pgclone.schema_async('$c', 'sales', true, '$popts')", 'opt_async');
is(wait_db('opt_async', $id0), 'completed', 'options: async clone completed');
is(dump_schema($tgt, 'opt_async', '-n', 'sales'), dump_schema($tgt, 'opt_sync', '-n', 'sales'),
	'options: pg_dump -s of the async clone equals the sync clone');
my $diffdata = join(' ', grep { checksum($tgt, 'opt_async', $_) ne checksum($tgt, 'opt_sync', $_) }
	  qw(sales.customers sales.orders sales.order_items sales.events sales.cars));
is($diffdata, '', 'options: same data as the sync clone (mask applied)');
is(q_target($tgt, "SELECT count(DISTINCT name) FROM sales.customers", 'opt_async'), '1', 'options: mask applied');

# ---- one table fails (its primary key, once loaded); resume ends identical ----
q_target($tgt, 'CREATE DATABASE res');
q_target($tgt, 'CREATE EXTENSION pgclone', 'res');
q_target($tgt, q{CREATE FUNCTION public.fail_orders() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity = 'sales.orders') THEN
    IF EXISTS (SELECT 1 FROM sales.orders) THEN
      RAISE EXCEPTION USING ERRCODE = '55006', MESSAGE = 'injected failure';
    END IF;
  END IF;
END $$;
CREATE EVENT TRIGGER fail_orders ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION public.fail_orders();}, 'res');
my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'sales', true, '{\"parallel\": 2}')", 'res');
is(wait_db('res', $id), 'failed', 'a failing table: job failed');
my $p = decode_json(q_target($tgt, "SELECT pgclone.progress($id)", 'res'));
like($p->{error_message}, qr/table sales\.orders: injected failure/, 'the failing table is named');
ok($p->{tables_completed} > 0 && $p->{tables_completed} < $p->{tables_total}, "the other tables finished ($p->{tables_completed}/$p->{tables_total})");
is(q_target($tgt, "SELECT count(*) FROM sales.orders", 'res'), '0', 'the failed table rolled back to empty');
is(q_target($tgt, "SELECT count(*) FROM pg_views WHERE schemaname = 'sales'", 'res'),
	q_source($src, "SELECT count(*) FROM pg_views WHERE schemaname = 'sales'"), 'pre-data objects stay (views)');
is(q_target($tgt, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'sales'::regnamespace", 'res'),
	'0', 'no post-data phase after a failure (no FKs)');
q_target($tgt, 'DROP EVENT TRIGGER fail_orders', 'res');
# created on the source after the pre-data phase: the resume reads a newer snapshot
q_source($src, 'CREATE SEQUENCE sales.new_seq');
my $rid = q_target($tgt, "SELECT pgclone.resume($id)", 'res');
is(wait_db('res', $rid), 'completed', 'resumed job completed');
is(q_target($tgt, "SELECT to_regclass('sales.new_seq') IS NULL", 'res'), 't',
	'an object new on the source since pre-data is left out, not a failure');
q_source($src, 'DROP SEQUENCE sales.new_seq');
is(q_target($tgt, "SELECT count(*) FROM pgclone.job_tables WHERE job_id = $rid AND state = 'done' AND started_at IS NULL", 'res'),
	$p->{tables_completed}, 'tables finished before are carried over, not redone');
same_as_sync('res', 'after resume');

done_testing();
