# Clone-time masking through pgclone.table(), and discover_sensitive(), with
# a real source and target: every strategy (value and NULL), composition with
# "columns" and "where", raw values never on the target, salted hashes
# joining across tables, every bad mask spec (and nothing created), and
# hostile names.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

q_source($src, q{
CREATE TABLE users (
  id int PRIMARY KEY,
  full_name text,
  email text,
  phone text,
  last_name varchar(40),
  ssn text,
  salary int,
  notes text,
  api_key text,
  status text NOT NULL DEFAULT 'active',
  code text NOT NULL DEFAULT 'c',
  doubled int GENERATED ALWAYS AS (salary * 2) STORED
);
INSERT INTO users (id, full_name, email, phone, last_name, ssn, salary, notes, api_key, status) VALUES
 (1, 'Alice Johnson', 'alice@example.com', '+1-555-123-4567', 'Johnson', '123-45-6789', 95000, 'vip customer', 'k1', 'active'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'active'),
 (3, 'Bob Stone', 'no-at-sign', '12', 'Li', '987-65-4321', 1, 'talks a lot', 'k2', 'inactive'),
 (4, 'Carol Smithers', '@example.org', '(555) 987 6543', 'Smithers', '555-11-2222', 2, 'x', 'k1', 'active');
CREATE TABLE customers (id int PRIMARY KEY, email text);
CREATE TABLE orders (id int PRIMARY KEY, customer_email text);
INSERT INTO customers SELECT g, 'cust' || g || '@shop.test' FROM generate_series(1, 50) g;
INSERT INTO orders SELECT g, 'cust' || (g % 60) || '@shop.test' FROM generate_series(1, 200) g;
});

# log the source's statements: the masking must happen in its COPY query
q_source($src, "ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf()");
my $all = '{"mask": {"full_name": "name", "email": "email", "phone": "phone",'
  . ' "last_name": {"type": "partial", "prefix": 2, "suffix": 3}, "ssn": "null",'
  . ' "salary": {"type": "random_int", "min": 40000, "max": 40002},'
  . ' "notes": {"type": "constant", "value": "REDACTED"}, "api_key": "hash"}}';
is(q_target($tgt, "SELECT pgclone.table('$c', 'public', 'users', true, 'users_safe', '$all')"),
	'OK: cloned public.users to public.users_safe (4 rows)', 'clone with every strategy');
is(q_target($tgt, q{SELECT id, full_name, email, phone, last_name, ssn, salary BETWEEN 40000 AND 40002,
  doubled = salary * 2, notes, api_key, status FROM users_safe ORDER BY id}),
	join("\n",
		"1|XXXX|a***\@example.com|***-4567|Jo***son||t|t|REDACTED|" . md5hex('k1') . '|active',
		'2||||||t|t|REDACTED||active',
		"3|XXXX|***|***-****|***||t|t|REDACTED|" . md5hex('k2') . '|inactive',
		"4|XXXX|***\@example.org|***-6543|Sm***ers||t|t|REDACTED|" . md5hex('k1') . '|active'),
	'each strategy: value and NULL handling');
is(q_target($tgt, 'SELECT count(DISTINCT salary) <= 3 AND min(salary) >= 40000 AND max(salary) <= 40002 FROM users_safe'),
	't', 'random_int stays in [min, max], also for NULL');

my ($copy) = slurp_file($src->logfile) =~ /statement: (COPY \(SELECT .*users.*)/;
like($copy, qr/CASE WHEN "?full_name"? IS NULL THEN NULL ELSE 'XXXX' END\)::text AS full_name/,
	'the source computes the masked values in its COPY');
q_source($src, "ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf()");

# raw values never reach the target: not in any table, not in a data dump
my $dump = '';
IPC::Run::run([ 'pg_dump', '--data-only', '-d', $tgt->connstr('postgres') ], '>', \$dump)
  or die 'pg_dump failed';
for my $raw ('alice@example.com', 'Alice Johnson', 'Johnson', '123-45-6789', '555-123', '95000',
	'vip customer', 'Smithers', "\tk1\t")
{
	unlike($dump, qr/\Q$raw\E/, "raw value '$raw' absent from the target");
}

# composition with "columns" and "where"; the filter reads raw values
is(q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'users', true, 'users_active',
  '{"columns": ["id", "email", "salary", "status"], "where": "status = ''active'' AND email LIKE ''%example%''",
    "mask": {"email": "email", "salary": {"type": "constant", "value": 7}}}')}),
	'OK: cloned public.users to public.users_active (2 rows)', 'mask + columns + where');
is(q_target($tgt, 'SELECT * FROM users_active ORDER BY id'),
	"1|a***\@example.com|7|active\n4|***\@example.org|7|active", 'only listed columns, filtered rows, masked');
is(q_target($tgt, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'users_active'::regclass AND attnum > 0"),
	'id,email,salary,status', 'columns kept');

# salted hash: deterministic, so joins across separately cloned tables still match
my $h = '{"type": "hash", "salt": "pepper", "algorithm": "sha256"}';
q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'customers', true, NULL, '{"mask": {"email": $h}}')});
q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'orders', true, NULL, '{"mask": {"customer_email": $h}}')});
my $join = 'SELECT count(*) FROM orders o JOIN customers c ON c.email = o.customer_email';
is(q_target($tgt, $join), q_source($src, $join), 'salted hashes join as the raw values did');
is(q_target($tgt, q{SELECT email FROM customers WHERE id = 1}),
	q_source($src, q{SELECT encode(sha256(convert_to('pepper' || email, 'UTF8')), 'hex') FROM customers WHERE id = 1}),
	'sha256 of salt || value');
is(q_target($tgt, q{SELECT count(*) FROM customers WHERE email LIKE '%@%'}), '0', 'no raw email left');

# every bad mask spec: SQLSTATE + message, and nothing created
my @bad = (
	[ '{"nope": "email"}', qr/42703: mask names column "nope", which does not exist in table public\.users/ ],
	[ '{"email": "scramble"}', qr/22023: unknown mask strategy "scramble" for column "email".*HINT:  Valid strategies are: email, name, phone, partial, hash, null, random_int, constant, fake_first_name, /s ],
	[ '{"email": {"type": "scrambled"}}', qr/22023: unknown mask strategy "scrambled"/ ],
	[ '{"email": {"salt": "x"}}', qr/22023: invalid mask for column "email": the object has no "type"/ ],
	[ '{"email": ["email"]}', qr/22023: invalid mask for column "email": expected a strategy name or an object/ ],
	[ '{"salary": {"type": "random_int", "min": 9, "max": 1}}', qr/22023: .*"min" \(9\) is greater than "max" \(1\)/ ],
	[ '{"salary": {"type": "random_int", "min": 0.5, "max": 1}}', qr/22023: .*"min" must be an integer, not 0\.5/ ],
	[ '{"salary": {"type": "random_int", "max": 1}}', qr/22023: .*needs both "min" and "max"/ ],
	[ '{"salary": {"type": "random_int", "min": 0, "max": 1, "step": 1}}', qr/22023: .*unknown key "step" for strategy "random_int".*HINT:  Strategy "random_int" accepts: type, min max\./s ],
	[ '{"email": {"type": "random_int", "min": 0, "max": 1}}', qr/22023: .*"random_int" needs a numeric column, not text/ ],
	[ '{"last_name": {"type": "partial", "prefix": -1, "suffix": 1}}', qr/22023: .*"prefix" and "suffix" must be between 0 and 1000/ ],
	[ '{"last_name": "partial"}', qr/22023: .*strategy "partial" needs parameters/ ],
	[ '{"notes": {"type": "constant"}}', qr/22023: .*strategy "constant" needs a "value"/ ],
	[ '{"notes": {"type": "name", "value": "x"}}', qr/22023: .*unknown key "value" for strategy "name".*takes no parameters/s ],
	[ '{"api_key": {"type": "hash", "algorithm": "crc32"}}', qr/22023: .*unknown hash algorithm "crc32".*HINT:  Valid algorithms are: md5, sha256, sha512\./s ],
	[ '{"salary": "email"}', qr/22023: .*strategy "email" produces text, which type integer cannot hold/ ],
	[ '{"code": "null"}', qr/22023: .*strategy "null" on a NOT NULL column/ ],
	[ '{"doubled": "hash"}', qr/22023: .*the column is generated/ ],
);
for my $b (@bad)
{
	my ($mask, $re) = @$b;
	(my $sqlmask = $mask) =~ s/'/''/g;
	like(target_error($tgt, "SELECT pgclone.table('$c', 'public', 'users', true, 'bad_clone', '{\"mask\": $sqlmask}')"),
		$re, "bad mask $mask");
}
like(target_error($tgt, qq{SELECT pgclone.table('$c', 'public', 'users', true, 'bad_clone', '{"columns": ["id"], "mask": {"email": "email"}}')}),
	qr/42703: mask names column "email", which is not among the cloned "columns"/, 'mask on an unselected column');
is(q_target($tgt, q{SELECT count(*) FROM pg_class WHERE relname LIKE 'bad_clone%'}), '0', 'nothing created by bad masks');

# the column's type decides up front (domains count as their base type)
q_source($src, q{
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE typed (id int, d date, u uuid, j jsonb, p posint, n numeric(5,1), c varchar(30));
INSERT INTO typed VALUES (1, '2020-01-01', '00000000-0000-0000-0000-000000000001', '{}', 5, 1.5, 'x@y.test'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL);
});
q_target($tgt, 'CREATE DOMAIN posint AS int CHECK (VALUE > 0)');
for my $b (
	[ '{"d": "name"}', qr/22023: invalid mask for column "d": strategy "name" produces text, which type date cannot hold.*HINT:  Text strategies need a text-like column/s ],
	[ '{"j": "email"}', qr/22023: .*strategy "email" produces text, which type jsonb cannot hold/ ],
	[ '{"u": {"type": "hash", "algorithm": "sha256"}}', qr/22023: .*strategy "hash" produces text, which type uuid cannot hold.*HINT:  An md5 digest fits a uuid column/s ],
	[ '{"p": "phone"}', qr/22023: .*strategy "phone" produces text, which type public\.posint cannot hold/ ],
	[ '{"p": {"type": "random_int", "min": 1, "max": 99999999999}}', qr/22023: .*range \[1, 99999999999\] does not fit type public\.posint/ ],
	[ '{"n": {"type": "random_int", "min": 1, "max": 10000}}', qr/22023: .*range \[1, 10000\] does not fit type numeric\(5,1\)/ ])
{
	my ($mask, $re) = @$b;
	like(target_error($tgt, "SELECT pgclone.table('$c', 'public', 'typed', true, 'bad_typed', '{\"mask\": $mask}')"),
		$re, "type check: $mask");
}
is(q_target($tgt, q{SELECT count(*) FROM pg_class WHERE relname = 'bad_typed'}), '0', 'nothing created by type checks');
q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'typed', true, NULL,
  '{"mask": {"u": "hash", "p": {"type": "random_int", "min": 1, "max": 9}, "n": "random_int", "c": "email", "d": {"type": "constant", "value": "2000-02-02"}}}')});
is(q_target($tgt, q{SELECT id, d, u = md5('00000000-0000-0000-0000-000000000001')::uuid, p BETWEEN 1 AND 9,
  n BETWEEN 0 AND 9999 AND n = trunc(n), c FROM typed ORDER BY id}),
	"1|2000-02-02|t|t|t|x***\@y.test\n2|2000-02-02||t|t|", 'md5 into uuid, random_int into a domain and numeric(5,1), text mask on varchar');

# discover_sensitive: name patterns, type-aware suggestions, deterministic order
q_source($src, q{
CREATE SCHEMA hr;
CREATE TABLE hr.employees (id int PRIMARY KEY, full_name text, email text UNIQUE, phone text,
  salary numeric(10,2), ssn text NOT NULL, dob date, hired date, notes text, contact text,
  ip_address inet, card_number text, pay_grade text);
INSERT INTO hr.employees SELECT g, 'Name ' || g, 'e' || g || '@corp.test', '555-000-' || g,
  50000 + g, 'ssn' || g, '1990-01-01', '2020-01-01', 'n', 'person' || g || '@mail.test',
  '10.0.0.1', '4111 1111 1111 1111', 'A' FROM generate_series(1, 20) g;
CREATE TABLE hr.users (id int, password text, api_key text, birth_date date NOT NULL, client_ip text);
CREATE TABLE hr.plain (id int, zipper text, shipping text);
});
my $disc = q_target($tgt, "SELECT pgclone.discover_sensitive('$c', 'hr')");
is($disc,
	'{"employees": {"card_number": {"type": "partial", "prefix": 0, "suffix": 4}, "dob": "null", "email": "hash", '
	  . '"full_name": "fake_name", "ip_address": "null", "phone": "fake_phone", "salary": "random_int", "ssn": "hash"}, '
	  . '"users": {"api_key": "hash", "birth_date": {"type": "constant", "value": "1900-01-01"}, '
	  . '"client_ip": "hash", "password": "hash"}}',
	'discover_sensitive: grouped by table, suggestions fit the columns');
is(q_target($tgt, "SELECT pgclone.discover_sensitive('$c', 'hr', '{\"sample\": true}')::jsonb -> 'employees' ->> 'contact'"),
	'fake_email', 'sampling finds emails under another name');
is(q_target($tgt, "SELECT pgclone.discover_sensitive('$c', 'hr', '{\"sample\": false}')::jsonb -> 'employees' ? 'contact'"),
	'f', 'names only by default');
# the suggestions work as they are: clone each table with its part of the output
for my $t ('employees', 'users')
{
	like(q_target($tgt, "SELECT pgclone.table('$c', 'hr', '$t', true, 'disc_$t', "
		  . "json_build_object('mask', pgclone.discover_sensitive('$c', 'hr', '{\"sample\": true}')::json -> '$t')::text)"),
		qr/^OK: cloned hr\.$t to/, "discovered masks clone hr.$t");
}
is(q_target($tgt, q{SELECT count(*) FROM hr.disc_employees WHERE email LIKE '%@corp.test' OR contact LIKE 'person%' OR salary > 1e6}),
	'0', 'discovered masks applied');
like(target_error($tgt, "SELECT pgclone.discover_sensitive('$c', 'nope')"),
	qr/3F000: schema "nope" does not exist on the source/, 'unknown schema');
like(target_error($tgt, "SELECT pgclone.discover_sensitive('$c', 'hr', '{\"samples\": true}')"),
	qr/22023: unknown discover_sensitive option "samples"/, 'unknown option');
like(target_error($tgt, "SELECT pgclone.discover_sensitive('$c', 'hr', '{\"sample\": 1}')"),
	qr/22023: option "sample" must be a boolean/, 'option type');
like(target_error($tgt, "SELECT pgclone.discover_sensitive(NULL, 'hr')"),
	qr/22004: argument "source_conninfo" must not be NULL/, 'NULL conninfo');

# edge values of the text strategies: the domain follows the last '@',
# multibyte text, phones with few digits or trailing text
q_source($src, q{
CREATE TABLE edge (id int, e text, p text);
INSERT INTO edge VALUES (1, '"a@b"@c.test', 'abcd1234'), (2, 'a@', '12345678 x'),
  (3, 'é@x.test', 'téléphone 06 12 34 56 78'), (4, '', '1234'), (5, 'x@y', '+44 (0)20 7946 0958');
});
q_target($tgt, qq{SELECT pgclone.table('$c', 'public', 'edge', true, NULL, '{"mask": {"e": "email", "p": "phone"}}')});
is(q_target($tgt, 'SELECT id, e, p FROM edge ORDER BY id'),
	join("\n", '1|"***@c.test|***-1234', '2|a***@|***-5678', '3|é***@x.test|***-5678', '4|***|***-****', '5|x***@y|***-0958'),
	'email and phone edge values');

# pgclone.mask_parallel_workers: the source shares a masked COPY with a
# parallel worker (its planner is told so), the next unmasked table plans as
# usual, and the rows are the same as from one process
q_source($src, q{
LOAD 'auto_explain';
ALTER SYSTEM SET session_preload_libraries = 'auto_explain';
ALTER SYSTEM SET auto_explain.log_min_duration = 0;
ALTER SYSTEM SET min_parallel_table_scan_size = 0;
ALTER SYSTEM SET parallel_setup_cost = 0;
SELECT pg_reload_conf();
CREATE SCHEMA par;
CREATE TABLE par.a (id int PRIMARY KEY, email text, phone text);
INSERT INTO par.a SELECT g, 'u' || g || '@x' || (g % 7) || '.test', '+1-555-' || lpad(g::text, 7, '0') FROM generate_series(1, 20000) g;
CREATE TABLE par.b (id int PRIMARY KEY, email text);
INSERT INTO par.b SELECT g, 'v' || g || '@y.test' FROM generate_series(1, 20000) g;
ANALYZE par.a, par.b;
});
my $pm = '{"mask": {"a": {"email": "email", "phone": "phone"}}}';
my $logpos = -s $src->logfile;
q_target($tgt, "SET pgclone.mask_parallel_workers = 1; SELECT pgclone.schema('$c', 'par', true, '$pm')");
my $plans = substr(slurp_file($src->logfile), $logpos);
like($plans, qr/COPY \(SELECT id, \(CASE.*FROM ONLY par\.a\).*?\n\s*Gather.*?\n\s*Workers Planned: 1/s,
	'the masked COPY ran as a parallel plan on the source');
# (its own plan: the one right after its query text; later catalog queries may be parallel)
unlike($plans, qr/Query Text: COPY \(SELECT id, email FROM ONLY par\.b\)[^\n]*\n\s*Gather/, 'the unmasked table after it did not');
my $par = q_target($tgt, 'SELECT md5(string_agg(a::text, \',\' ORDER BY id)) FROM par.a');
q_target($tgt, "DROP SCHEMA par CASCADE; SET pgclone.mask_parallel_workers = 0; SELECT pgclone.schema('$c', 'par', true, '$pm')");
is(q_target($tgt, 'SELECT md5(string_agg(a::text, \',\' ORDER BY id)) FROM par.a'), $par, 'same rows with and without the parallel worker');
is(q_target($tgt, 'SELECT count(*) FROM par.a WHERE email NOT LIKE \'u***@x_.test\' OR phone NOT LIKE \'***-____\''), '0', 'parallel masked rows are masked');
q_source($src, q{
LOAD 'auto_explain';
ALTER SYSTEM RESET session_preload_libraries; ALTER SYSTEM RESET auto_explain.log_min_duration;
ALTER SYSTEM RESET min_parallel_table_scan_size; ALTER SYSTEM RESET parallel_setup_cost;
SELECT pg_reload_conf();
});

# hostile names from the source are names, in discovery and in masks
q_source($src, q{
CREATE SCHEMA "s';DROP TABLE public.users;--";
CREATE TABLE "s';DROP TABLE public.users;--"."x';CREATE ROLE pwned SUPERUSER;--" (
  id int, "email'');CREATE ROLE pwned2;--" text, "mobile""x" text, "c'');DROP TABLE public.users;--" text);
INSERT INTO "s';DROP TABLE public.users;--"."x';CREATE ROLE pwned SUPERUSER;--" VALUES (1, 'a@b.example', '555-123-9876', 'z@y.example');
});
my $hs = q{s'';DROP TABLE public.users;--};
my $ht = q{x'';CREATE ROLE pwned SUPERUSER;--};
my $hd = q_target($tgt, "SELECT pgclone.discover_sensitive('$c', '$hs', '{\"sample\": true}')");
is($hd, q~{"x';CREATE ROLE pwned SUPERUSER;--": {"c'');DROP TABLE public.users;--": "fake_email", "email'');CREATE ROLE pwned2;--": "fake_email", "mobile\\"x": "fake_phone"}}~,
	'hostile names escaped in the JSON');
(my $hdq = $hd) =~ s/'/''/g;
like(q_target($tgt, "SELECT pgclone.table('$c', '$hs', '$ht', true, 'hostile_copy', "
	  . "json_build_object('mask', '$hdq'::json -> '$ht')::text)"),
	qr/^OK: cloned/, 'clone of a hostile table with its discovered masks');
like(q_target($tgt, q{SELECT * FROM "s';DROP TABLE public.users;--".hostile_copy}),
	qr/^1\|[a-z]+\.[a-z]+\@example\.(com|net|org)\|555-01[0-9][0-9]\|[a-z]+\.[a-z]+\@example\.(com|net|org)$/, 'hostile columns masked');
is(q_target($tgt, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pwned%'"), '0', 'no role created on the target');
is(q_source($src, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pwned%'"), '0', 'no role created on the source');
is(q_source($src, "SELECT to_regclass('public.users') IS NOT NULL"), 't', 'source table intact');

done_testing();

sub md5hex
{
	require Digest::MD5;
	return Digest::MD5::md5_hex(shift);
}
