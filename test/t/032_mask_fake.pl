# The fake_* masks (issue 23): realistic values from the build-time
# dictionaries, the same for the same input and salt in every table, run and
# clone kind, different with another salt; reserved e-mail domains and
# fictional phone numbers; bad input.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

q_source($src, q{
CREATE SCHEMA app;
CREATE TABLE app.users (email text PRIMARY KEY, first_name text, last_name varchar(40), full_name text,
  phone text, street text, city text, employer text, age int);
CREATE TABLE app.orders (id int PRIMARY KEY, user_email text NOT NULL REFERENCES app.users(email), ship_name text);
CREATE TABLE app.order_lines (order_id int REFERENCES app.orders(id), line int, buyer text REFERENCES app.users(email),
  PRIMARY KEY (order_id, line));
INSERT INTO app.users SELECT 'user' || g || '@corp.test', 'First' || g, 'Last' || g, 'First' || g || ' Last' || g,
  '+1 212 555 ' || lpad(g::text, 4, '0'), g || ' Main St', 'City' || (g % 7), 'Corp' || (g % 5), 20 + g % 50
  FROM generate_series(1, 200) g;
INSERT INTO app.orders SELECT g, 'user' || (g % 200 + 1) || '@corp.test', 'First' || (g % 200 + 1) || ' Last' || (g % 200 + 1)
  FROM generate_series(1, 600) g;
INSERT INTO app.order_lines SELECT g, l, 'user' || (g % 200 + 1) || '@corp.test' FROM generate_series(1, 600) g, generate_series(1, 2) l;
});

my $mask = '{"users": {"email": "fake_email", "first_name": "fake_first_name", "last_name": "fake_last_name",'
  . ' "full_name": "fake_name", "phone": "fake_phone", "street": "fake_street_address", "city": "fake_city",'
  . ' "employer": "fake_company"}, "orders": {"ship_name": "fake_name"}}';
sub clone_app
{
	my ($salt) = @_;
	q_target($tgt, 'DROP SCHEMA IF EXISTS app CASCADE');
	my $opt = $mask;
	$opt = "{\"mask\": $opt" . ($salt ? ", \"salt\": \"$salt\"" : '') . '}';
	return q_target($tgt, "SELECT pgclone.schema('$c', 'app', true, '$opt')");
}

like(clone_app('one'), qr/^OK:.*\(3 tables/, 'users/orders/order_lines clone with fake_* masks on keys and names');
my $sum = join '/', map { checksum($tgt, 'postgres', "app.$_") } qw(users orders order_lines);
is(q_target($tgt, q{SELECT count(*) FROM app.order_lines l JOIN app.orders o ON o.id = l.order_id
  JOIN app.users u ON u.email = o.user_email JOIN app.users b ON b.email = l.buyer}), '1200',
	'every foreign key joins on the masked key');
is(q_target($tgt, q{SELECT count(*) FROM pg_constraint WHERE connamespace = 'app'::regnamespace AND contype <> 'n'}), '6',
	'every constraint created');
is(q_target($tgt, q{SELECT count(*) FROM app.users WHERE email ~ '^[a-z]+\.[a-z]+\.[0-9a-f]{16}@example\.(com|net|org)$'}),
	'200', 'unique fake e-mails: a name, 64 bits of hash, a reserved domain');
is(q_target($tgt, q{SELECT count(*) FROM app.users WHERE phone ~ '^555-01[0-9]{2}$'}), '200', 'phones in 555-0100..0199');
is(q_target($tgt, q{SELECT count(*) FROM app.users WHERE first_name ~ '^[A-Z][A-Za-z]+$' AND last_name ~ '^[A-Z]'
  AND full_name ~ '^[A-Z][A-Za-z]+ [A-Z]' AND street ~ '^[0-9]+ [A-Z][A-Za-z]+ [A-Z]' AND employer ~ ' '
  AND first_name !~ 'First' AND full_name !~ 'Last'}), '200', 'values look real, none is the original');
cmp_ok(q_target($tgt, q{SELECT count(DISTINCT full_name) FROM app.users}), '>=', 190, 'names are varied');
is(q_target($tgt, q{SELECT count(*) FROM app.orders o JOIN app.users u ON u.email = o.user_email
  WHERE o.ship_name = u.full_name}), '600', 'the same input gives the same fake in another table');
is(q_target($tgt, q{SELECT count(*) FROM app.users WHERE age BETWEEN 20 AND 69}), '200', 'unmasked columns untouched');

like(clone_app('one'), qr/^OK:/, 'second run, same salt');
is(join('/', map { checksum($tgt, 'postgres', "app.$_") } qw(users orders order_lines)), $sum,
	'identical across runs with the same salt');
like(clone_app('two'), qr/^OK:/, 'run with another salt');
isnt(join('/', map { checksum($tgt, 'postgres', "app.$_") } qw(users orders order_lines)), $sum,
	'different with another salt');
is(q_target($tgt, q{SELECT count(*) FROM app.order_lines l JOIN app.orders o ON o.id = l.order_id
  JOIN app.users u ON u.email = o.user_email}), '1200', 'keys still join with another salt');

# the clone kinds agree: table() with the same salt gives the same names
clone_app('one');
q_target($tgt, 'CREATE TABLE public.names AS SELECT first_name, full_name FROM app.users');
q_target($tgt, q{SELECT pgclone.table('} . $c . q{', 'app', 'users', true, 'users2',
  '{"mask": {"email": "fake_email", "first_name": "fake_first_name", "full_name": "fake_name"}, "salt": "one", "constraints": false}')});
is(q_target($tgt, q{SELECT count(*) FROM app.users2 u JOIN public.names n USING (first_name, full_name)}), '200',
	'table() and schema() give the same fakes for the same salt');

# async, parallel: the foreign-key family reaches the pool workers
q_target($tgt, 'DROP SCHEMA app CASCADE');
my $id = q_target($tgt, "SELECT pgclone.schema_async('$c', 'app', true, '{\"parallel\": 2, \"salt\": \"one\", \"mask\": $mask}')");
is(wait_job($tgt, $id, 120), 'completed', 'async schema clone with fake_* masks on keys');
is(join('/', map { checksum($tgt, 'postgres', "app.$_") } qw(users orders order_lines)), $sum,
	'async gives the same data as the synchronous clone');

# a subset: fewer rows, the same fakes
q_target($tgt, 'DROP SCHEMA app CASCADE');
like(q_target($tgt, "SELECT pgclone.schema('$c', 'app', true, '{\"salt\": \"one\", \"mask\": $mask, \"subset\": {\"app.orders\": \"id <= 60\"}}')"),
	qr/^OK:/, 'subset clone with fake_* masks');
is(q_target($tgt, q{SELECT count(*), count(*) FILTER (WHERE u.email IS NOT NULL) FROM app.orders o LEFT JOIN app.users u ON u.email = o.user_email}),
	'60|60', 'the subset keeps its foreign keys on masked keys');
is(q_target($tgt, q{SELECT count(*) FROM app.users u JOIN public.names n USING (first_name, full_name)}),
	q_target($tgt, 'SELECT count(*) FROM app.users'), 'a subset gives the same fakes as a full clone');

# locally: mask_in_place and a masking policy
q_target($tgt, q{CREATE TABLE public.people (name text, mail text); INSERT INTO public.people VALUES ('First1 Last1', 'a@b.c')});
q_target($tgt, q{SELECT pgclone.mask_in_place('public', 'people', '{"name": "fake_name", "mail": "fake_email"}')});
is(q_target($tgt, q{SELECT name !~ 'First1' AND mail ~ '@example\.(com|net|org)$' FROM public.people}), 't', 'mask_in_place');
q_target($tgt, q{CREATE TABLE public.staff (name text); INSERT INTO public.staff VALUES ('Jane Roe')});
like(q_target($tgt, q{SELECT pgclone.create_masking_policy('public', 'staff', '{"name": "fake_name"}', 'postgres')}),
	qr/^OK/, 'masking policy with a fake');
is(q_target($tgt, q{SELECT name <> 'Jane Roe' AND name ~ '^[A-Z][A-Za-z]+ [A-Z]' FROM public.staff_masked}), 't', 'the view shows a fake');

# discovery suggests them; the report knows them
like(q_target($tgt, "SELECT pgclone.discover_sensitive('$c', 'app')"), qr/"full_name": "fake_name"/,
	'discover_sensitive() suggests fake_name');
like(q_target($tgt, q{SELECT string_agg(recommendation, ';') FROM pgclone.masking_report('app')}),
	qr/fake_phone/, 'masking_report() recommends fake_phone');

# bad input, refused before anything is created
q_target($tgt, 'DROP SCHEMA app CASCADE');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'app', 'users', true, 'u', '{"mask": {"age": "fake_name"}}')}),
	qr/22023: invalid mask for column "age": strategy "fake_name" produces text, which type integer cannot hold/,
	'a fake on a numeric column');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'app', 'users', true, 'u', '{"mask": {"city": "fake_town"}}')}),
	qr/22023: unknown mask strategy "fake_town" for column "city".*\n.*HINT:.*fake_city/, 'an unknown strategy');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'app', 'users', true, 'u', '{"mask": {"city": {"type": "fake_city", "locale": "fr"}}}')}),
	qr/22023: invalid mask for column "city": unknown key "locale" for strategy "fake_city"/, 'an unknown key');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'app', 'users', true, 'u', '{"mask": {"email": "fake_phone"}}')}),
	qr/22023: .*cannot keep the values of a unique column distinct/, 'fake_phone on a primary key');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'app', 'orders', true, 'o', '{"mask": {"user_email": "fake_email"}}')}),
	qr/22023: mask on column app\.orders\.user_email cannot be honoured/, 'a fake on one end of a foreign key');
is(q_target($tgt, q{SELECT count(*) FROM pg_class WHERE relname IN ('u', 'o')}), '0', 'nothing was created');

done_testing();
