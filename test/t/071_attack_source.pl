# Attack: a hostile source.  A superuser of the source (allow_system_table_mods
# = on) replaces pg_catalog's deparsers (pg_get_viewdef, pg_get_triggerdef,
# pg_get_functiondef, pg_get_constraintdef, pg_get_ruledef, pg_get_indexdef)
# with SQL functions whose text smuggles a second statement, closes a dollar
# quote, or is a statement of another kind.  Each clone must stop with XX000
# naming the object, the canary role "pwned" must never exist on the target,
# and nothing of the clone may be left.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair(source_conf => "allow_system_table_mods = on\n");
my $c = src_conninfo($src);

q_source($src, q{
CREATE SCHEMA ev;
CREATE TABLE ev.t (id int PRIMARY KEY, x int CHECK (x > 0));
INSERT INTO ev.t VALUES (1, 1), (2, 2);
CREATE INDEX t_x ON ev.t (x);
CREATE FUNCTION ev.f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER t_trg BEFORE INSERT ON ev.t FOR EACH ROW EXECUTE FUNCTION ev.f();
CREATE VIEW ev.v AS SELECT id FROM ev.t;
CREATE TABLE ev.r (id int);
CREATE RULE r_rule AS ON INSERT TO ev.r DO INSTEAD NOTHING;
CREATE MATERIALIZED VIEW ev.mv AS SELECT id FROM ev.t;
CREATE INDEX mv_id ON ev.mv (id);
});
like(q_target($tgt, "SELECT pgclone.schema('$c', 'ev', true, '{\"matviews\": true}')"), qr/^OK/, 'the honest source clones');
q_target($tgt, 'DROP SCHEMA ev CASCADE');

# [function to replace, its built-in, hostile text, object named in the error]
my @attacks = (
	[ 'pg_get_viewdef(oid)', 'pg_get_viewdef', 'SELECT 1; CREATE ROLE pwned SUPERUSER', 'view ev.v' ],
	[ 'pg_get_viewdef(oid, boolean)', 'pg_get_viewdef_ext', 'SELECT 1; CREATE ROLE pwned SUPERUSER', undef ],
	[ 'pg_get_triggerdef(oid)', 'pg_get_triggerdef', 'CREATE ROLE pwned SUPERUSER', 'trigger "t_trg" on ev.t' ],
	[ 'pg_get_functiondef(oid)', 'pg_get_functiondef',
		"CREATE OR REPLACE FUNCTION ev.f() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RETURN NEW; END\$\$; CREATE ROLE pwned SUPERUSER; --",
		'function ev.f' ],
	[ 'pg_get_functiondef(oid)', 'pg_get_functiondef', 'CREATE ROLE pwned SUPERUSER', 'function ev.f' ],
	[ 'pg_get_constraintdef(oid)', 'pg_get_constraintdef', 'CHECK (true), ALTER COLUMN id DROP NOT NULL', 'constraint "' ],
	[ 'pg_get_ruledef(oid)', 'pg_get_ruledef', 'CREATE ROLE pwned SUPERUSER', 'rule "r_rule" on ev.r' ],
	[ 'pg_get_indexdef(oid)', 'pg_get_indexdef', 'CREATE ROLE pwned SUPERUSER', 'an index' ],
);
for my $a (@attacks)
{
	my ($fn, $builtin, $text, $what) = @$a;
	(my $name = $fn) =~ s/\(.*//;
	(my $lit = $text) =~ s/'/''/g;
	my $args = $fn =~ /boolean/ ? 'oid, boolean' : 'oid';
	my $body = "SELECT '$lit'::text";
	q_source($src, "CREATE OR REPLACE FUNCTION pg_catalog.$fn RETURNS text LANGUAGE sql AS \$q\$ $body \$q\$");
	my ($r, $o, $e) = $tgt->psql('postgres', "\\set VERBOSITY verbose\nSELECT pgclone.schema('$c', 'ev', true, '{\"matviews\": true}')");
	if (defined $what)
	{
		like($e, qr/XX000: (the source sent a definition of \Q$what\E|unexpected definition of \Q$what\E)/,
			"$fn => '$text': XX000 naming $what")
		  or diag($e);
	}
	else
	{
		# pgclone does not call this variant: the clone is unaffected
		like($o, qr/^OK/, "$fn replaced: not used, the clone works") or diag($e);
		q_target($tgt, 'DROP SCHEMA ev CASCADE');
	}
	is(q_target($tgt, "SELECT count(*) FROM pg_roles WHERE rolname = 'pwned'"), '0', "$fn: no role pwned");
	is(q_target($tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = 'ev'"), '0', "$fn: nothing left")
	  if defined $what;
	q_target($tgt, 'DROP SCHEMA IF EXISTS ev CASCADE');
	q_source($src, "CREATE OR REPLACE FUNCTION pg_catalog.$fn RETURNS text LANGUAGE internal STABLE STRICT PARALLEL SAFE AS '$builtin'");
}
like(q_target($tgt, "SELECT pgclone.schema('$c', 'ev', true, '{\"matviews\": true}')"), qr/^OK/, 'the deparsers restored: the clone works again');
done_testing();
