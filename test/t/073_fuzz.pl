# Fuzzing bad input: every function of pgclone, each argument in turn replaced
# by NULL, '', a 1 MB string, deep JSON (10,000 levels), JSON with \u0000,
# negative and huge numbers; and a source whose names and data hold invalid
# UTF-8 (an SQL_ASCII database).  Nothing may crash the server ("terminated
# by signal" in its log), every error must carry a proper SQLSTATE (not
# XX000, the class of an internal error), and the server must still answer.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);
q_source($src, q{CREATE SCHEMA s; CREATE TABLE s.t (id int PRIMARY KEY, v text); INSERT INTO s.t VALUES (1, 'a');
CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'a');});
q_target($tgt, q{CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'a');
CREATE ROLE r NOLOGIN;});

my $deep = "'" . ('[' x 10000) . (']' x 10000) . "'";
my $deep_obj = "'" . ('{"a":' x 10000) . '1' . ('}' x 10000) . "'";
my @bad_text = ('NULL', "''", "repeat('x', 1048576)", "'x'';CREATE ROLE pwned;--'", "E'\\\\x00'", "'\\u00e9\\u00e9'");
my @bad_json = (@bad_text, $deep, $deep_obj, q{'{"a": "\u0000"}'}, q{'{"parallel": -1}'},
	q{'{"parallel": 1e308}'}, q{'{"parallel": "x"}'}, q{'[1,2]'}, q{'"str"'}, q{'{"conflict": null}'},
	q{'{"mask": {"v": {"type": "random_int", "min": -9223372036854775808, "max": 9223372036854775807}}}'},
	q{'{"mask": {"v": {"type": "partial", "prefix": 99999999999999999999}}}'},
	q{'{"v": {"type": "random_int", "min": 1e400, "max": -1e400}}'},
	q{'{"v": {"type": "hash", "algorithm": "\u0000"}}'});
my @bad_int = ('NULL', '-1', '0', '2147483647', '-2147483648');
my @bad_bool = ('NULL');

# function => [ [type, good value], ... ]
my $C = [ 'text', "'$c'" ];
my %f = (
	'table' => [ $C, [ 'text', "'public'" ], [ 'text', "'t'" ], [ 'bool', 'true' ], [ 'text', "'t2'" ], [ 'json', 'NULL' ] ],
	'table_ex' => [ $C, [ 'text', "'public'" ], [ 'text', "'t'" ], [ 'bool', 'true' ], [ 'text', "'t3'" ], [ 'bool', 'true' ], [ 'bool', 'true' ], [ 'bool', 'true' ] ],
	'schema' => [ $C, [ 'text', "'s'" ], [ 'bool', 'true' ], [ 'json', 'NULL' ] ],
	'schema_ex' => [ $C, [ 'text', "'s'" ], [ 'bool', 'true' ], [ 'bool', 'true' ], [ 'bool', 'true' ], [ 'bool', 'true' ] ],
	'functions' => [ $C, [ 'text', "'s'" ] ],
	'database_create' => [ [ 'text', "'$c'", 1 ], [ 'text', "'fz'" ], [ 'bool', 'false', 1 ], [ 'json', 'NULL' ] ],
	'discover_sensitive' => [ $C, [ 'text', "'s'" ], [ 'json', 'NULL' ] ],
	'mask_in_place' => [ [ 'text', "'public'" ], [ 'text', "'t'" ], [ 'json', q{'{"v": "name"}'} ] ],
	'create_masking_policy' => [ [ 'text', "'public'" ], [ 'text', "'t'" ], [ 'json', q{'{"v": "email"}'} ], [ 'text', "'r'" ] ],
	'drop_masking_policy' => [ [ 'text', "'public'" ], [ 'text', "'t'" ] ],
	'masking_report' => [ [ 'text', "'public'" ] ],
	'verify' => [ $C, [ 'text', "'s'" ], [ 'json', q{'{"exact": true}'} ] ],
	'diff' => [ $C, [ 'text', "'s'" ] ],
	'clone_roles' => [ $C, [ 'text', "'r'" ] ],
	'preflight' => [ $C, [ 'text', "'s'" ] ],
	'subset_preview' => [ $C, [ 'text', "'s'" ], [ 'json', q{'{"subset": {"s.t": {"percent": 5}}}'} ] ],
	'table_async' => [ $C, [ 'text', "'public'" ], [ 'text', "'t'" ], [ 'bool', 'true' ], [ 'text', "'ta'" ], [ 'json', 'NULL' ] ],
	'schema_async' => [ $C, [ 'text', "'s'" ], [ 'bool', 'true' ], [ 'json', 'NULL' ] ],
	'progress' => [ [ 'int', '1' ] ],
	'cancel' => [ [ 'int', '1' ] ],
	'resume' => [ [ 'int', '1' ], [ 'text', "'$c'" ] ],
);
my %bad = (text => \@bad_text, json => \@bad_json, int => \@bad_int, bool => \@bad_bool);
my @sql;
for my $fn (sort keys %f)
{
	my @args = @{ $f{$fn} };
	for my $i (0 .. $#args)
	{
		next if $args[$i][2];    # a position left alone (it would do real work each time)
		for my $v (@{ $bad{ $args[$i][0] } })
		{
			my @a = map { $_->[1] } @args;
			$a[$i] = $v;
			push @sql, "SELECT pgclone.$fn(" . join(', ', @a) . ");";
		}
	}
}
# sampling rules and virtual keys at the edges of their types (issue 27)
for my $o ('{"subset": {"s.t": {"percent": 1e400}}}', '{"subset": {"s.t": {"rows": 1e30, "order_by": "id"}}}',
	'{"subset": {"s.t": {"percent": 5}}, "seed": 1e30}', '{"subset": {"s.t": {"rows": 1, "order_by": "\u0000"}}}',
	'{"virtual_foreign_keys": [{"from": "(", "to": ")"}]}', '{"virtual_foreign_keys": [{"from": "s.t()", "to": "s.t(id)"}]}',
	'{"virtual_foreign_keys": [{"from": "\"\"(x)", "to": "s.t(id)"}]}', '{"virtual_foreign_keys": [{"from": "s.t(id", "to": "s.t(id)"}]}',
	'{"virtual_foreign_keys": [{"from": "s.t(id)", "to": "s.t(id)"}], "subset": {"s.t": {"rows": 1, "order_by": "id"}}}')
{
	push @sql, "SELECT count(*) FROM pgclone.subset_preview('$c', 's', '$o');";
}
push @sql, 'SELECT pgclone.jobs();', 'SELECT count(*) FROM pgclone.progress_detail();',
  'SELECT pgclone.clear_jobs();', 'SELECT pgclone.version();';

my ($ret, $out, $err) = $tgt->psql('postgres', "\\set VERBOSITY verbose\n" . join("\n", @sql),
	on_error_stop => 0, timeout => 600);
my @codes = $err =~ /ERROR:  ([0-9A-Z]{5}):/g;
note(scalar(@sql) . ' calls, ' . scalar(@codes) . ' errors');
ok(@codes > 100, 'the bad calls fail');
my @internal = $err =~ /(ERROR:  XX\d{3}:[^\n]*)/g;
is(scalar(@internal), 0, 'no internal (XX000) errors') or diag(join("\n", @internal));
unlike($err, qr/server closed the connection|connection to server was lost/, 'the session survived');
is(q_target($tgt, 'SELECT 1'), '1', 'the server answers');
is(q_target($tgt, "SELECT count(*) FROM pg_roles WHERE rolname = 'pwned'"), '0', 'no SQL ran from a name');

# invalid UTF-8 from the source: an SQL_ASCII database with \xff in a name and a value
$src->safe_psql('postgres', "CREATE DATABASE bytes ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$src->safe_psql('bytes', "CREATE SCHEMA s; CREATE TABLE s.\"bad\xffname\" (id int, v text); CREATE TABLE s.ok (v text); INSERT INTO s.ok VALUES (E'\\xff')");
my $cb = src_conninfo($src, 'bytes');
for my $sql ("SELECT pgclone.schema('$cb', 's')", "SELECT pgclone.table('$cb', 's', 'ok', true, 'ok_b')",
	"SELECT pgclone.diff('$cb', 's')", "SELECT pgclone.preflight('$cb', 's')",
	"SELECT pgclone.discover_sensitive('$cb', 's')", "SELECT count(*) FROM pgclone.verify('$cb', 's')")
{
	my ($r, $o, $e) = $tgt->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	unlike($e, qr/XX\d{3}:|server closed the connection/, "invalid UTF-8 from the source: $sql") or diag($e);
}
is(q_target($tgt, 'SELECT 1'), '1', 'the server answers after the invalid UTF-8 source');

my $log = slurp_file($tgt->logfile);
unlike($log, qr/terminated by signal/, 'no backend or worker crashed');
done_testing();
