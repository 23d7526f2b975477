# Masks on constrained columns (issue 23): unique columns stay distinct,
# foreign-key families share one mapping, and a mask that cannot be honoured
# is refused before anything is created.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

my ($src, $tgt) = start_pair();
my $c = src_conninfo($src);

q_source($src, q{
CREATE TABLE nullable (id int, code text UNIQUE);
CREATE TABLE users (id int PRIMARY KEY, email varchar(12) UNIQUE NOT NULL,
  manager_email varchar(12) REFERENCES users(email), full_name text);
INSERT INTO users SELECT g, 'u' || g || '@ex.com', CASE WHEN g > 1 THEN 'u' || (g / 2 + 1) || '@ex.com' END,
  'Person ' || g FROM generate_series(1, 50) g;
CREATE SCHEMA shop;
CREATE TABLE shop.customers (code text PRIMARY KEY, name text);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer text REFERENCES shop.customers(code), note text);
CREATE UNIQUE INDEX orders_note_key ON shop.orders (note) WHERE note IS NOT NULL;
INSERT INTO shop.customers SELECT 'C' || g, 'Name ' || g FROM generate_series(1, 30) g;
CREATE TABLE shop.regions (country text, region text, PRIMARY KEY (country, region));
CREATE TABLE shop.stores (id int PRIMARY KEY, country text, region text, FOREIGN KEY (country, region) REFERENCES shop.regions);
INSERT INTO shop.regions SELECT 'K' || (g % 3), 'R' || g FROM generate_series(1, 12) g;
INSERT INTO shop.stores SELECT row_number() OVER (), country, region FROM shop.regions, generate_series(1, 2);
INSERT INTO shop.orders SELECT g, 'C' || (g % 30 + 1), CASE WHEN g % 2 = 0 THEN 'note ' || g END FROM generate_series(1, 90) g;
});

# the issue's two calls: both clone with every constraint in place
is(q_target($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'users', true, 'users', '{"mask": {"email": "email"}}')}),
	'OK: cloned public.users to public.users (50 rows)', 'email mask on a unique column referenced by a foreign key');
is(q_target($tgt, q{SELECT count(DISTINCT email), count(*) FILTER (WHERE email LIKE '%u1@%' OR email LIKE '%u2@%'),
  count(*) FILTER (WHERE email !~ '^[0-9a-f]+@ex\.com$'),
  (SELECT count(*) FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype <> 'n'),
  (SELECT count(*) FROM users u JOIN users m ON m.email = u.manager_email)
  FROM users}),
	'50|0|0|3|49', 'distinct, hashed before the domain, every constraint there, the foreign key joins');
q_target($tgt, 'DROP TABLE users');
is(q_target($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'users', true, 'users', '{"mask": {"manager_email": "hash"}}')}),
	'OK: cloned public.users to public.users (50 rows)', 'hash on the referencing column');
is(q_target($tgt, q{SELECT count(DISTINCT email), count(*) FILTER (WHERE email LIKE 'u%@ex.com'),
  (SELECT count(*) FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype <> 'n'),
  (SELECT count(*) FROM users u JOIN users m ON m.email = u.manager_email)
  FROM users}),
	'50|0|3|49', 'the referenced key got the same hash: the foreign key holds');
my $a = q_target($tgt, q{SELECT email FROM users WHERE id = 7});
q_target($tgt, 'DROP TABLE users');

# a salt changes the mapping; the same salt repeats it
q_target($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'users', true, 'users', '{"mask": {"manager_email": "hash"}, "salt": "s1"}')});
my $b = q_target($tgt, q{SELECT email FROM users WHERE id = 7});
isnt($a, $b, 'another salt, another mapping');
q_target($tgt, 'DROP TABLE users');

# strategies that cannot stay distinct: refused before anything is created
for my $m ('"null"', '{"type": "constant", "value": "x"}', '"random_int"', '"name"', '"fake_phone"')
{
	like(target_error($tgt, "SELECT pgclone.table('$c', 'public', 'users', true, 'users', '{\"mask\": {\"email\": $m}}')"),
		$m eq '"null"' ? qr/22023: .*strategy "null" on a NOT NULL column/ :
		  qr/22023: .*cannot keep the values of a unique column distinct.*\n.*DETAIL.*\n.*HINT:  Use "hash", "email" or a fake_\* strategy/, "$m on a unique column is refused");
}
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'nullable', true, 'nullable', '{"mask": {"code": "null"}}')}),
	qr/22023: .*strategy "null" cannot keep the values of a unique column distinct/, 'null on a nullable unique column is refused too');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'users', true, 'users', '{"mask": {"email": "fake_email"}}')}),
	qr/22023: .*a unique fake_email needs a column of at least 31 characters/, 'a unique fake too long for the column');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'users', true, 'users', '{"mask": {"manager_email": {"type": "random_int", "min": 1, "max": 2}}}')}),
	qr/22023: /, 'random_int on a foreign key is refused');
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'users', true, 'users', '{"mask": {"manager_email": "hash", "email": "email"}}')}),
	qr/22023: .*joined by a foreign key but have different masks/, 'two masks on one family');
is(q_target($tgt, q{SELECT count(*) FROM pg_class WHERE relname = 'users'}), '0', 'nothing was created');

# a shortened hash that collides: a clear error naming the column, no value
q_source($src, q{CREATE TABLE public.codes (id int, code varchar(1) UNIQUE); INSERT INTO codes SELECT g, chr(64 + g) FROM generate_series(1, 26) g});
my $e = target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'public', 'codes', true, 'codes', '{"mask": {"code": "hash"}}')});
like($e, qr/23505: masked values collide in unique index "codes_code_key" of table codes\n.*DETAIL:  The keyed hash that keeps masked column\(s\) public\.codes\.code distinct/,
	'a collision of masked unique values is a clear error');
unlike($e, qr/Key \(code\)/, 'no value in the error');
is(q_target($tgt, q{SELECT count(*) FROM pg_class WHERE relname = 'codes'}), '0', 'rolled back');

# one end outside the clone
like(target_error($tgt, q{SELECT pgclone.table('} . $c . q{', 'shop', 'orders', true, 'orders', '{"mask": {"customer": "hash"}}')}),
	qr/22023: mask on column shop\.orders\.customer cannot be honoured: foreign key "orders_customer_fkey" references table shop\.customers, which this clone does not copy/,
	'a mask on one end of a foreign key whose other end is not cloned');
is(q_target($tgt, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'}), '0', 'nothing was created');

# a schema clone: the mask on the referenced key extends to the referencing column
is(q_target($tgt, q{SELECT pgclone.schema('} . $c . q{', 'shop', true, '{"mask": {"customers": {"code": "fake_company", "name": "fake_name"}, "orders": {"note": "fake_last_name"}, "stores": {"region": "hash"}}}') LIKE 'OK:%'}),
	't', 'schema clone with masks on a key, names and a partial unique index');
is(q_target($tgt, q{SELECT count(*), count(DISTINCT c.code), count(*) FILTER (WHERE c.code LIKE 'C%' AND c.code !~ '-'),
  (SELECT count(*) FROM shop.orders WHERE note LIKE 'note %'), (SELECT count(DISTINCT note) FROM shop.orders),
  (SELECT count(*) FROM pg_constraint WHERE connamespace = 'shop'::regnamespace AND contype <> 'n')
  FROM shop.orders o JOIN shop.customers c ON c.code = o.customer}),
	'90|30|0|0|45|6', 'every order still joins its masked customer; unique values distinct');
is(q_target($tgt, q{SELECT count(*), count(*) FILTER (WHERE s.region ~ '^[0-9a-f]{32}$' AND s.country LIKE 'K%')
  FROM shop.stores s JOIN shop.regions r USING (country, region)}),
	q_source($src, q{SELECT count(*) || '|' || count(*) FROM shop.stores}),
	'a composite key: the masked column is masked at both ends, the other kept, the key holds');

done_testing();
