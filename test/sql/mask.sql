-- Local masking: mask_in_place, masking policies, masking_report.
CREATE EXTENSION pgclone;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE SCHEMA m;
CREATE TABLE m.people (
  id int PRIMARY KEY,
  full_name text,
  email text,
  phone text,
  last_name varchar(40),
  ssn text,
  salary int,
  notes text,
  api_key text,
  code text NOT NULL DEFAULT 'c',
  doubled int GENERATED ALWAYS AS (salary * 2) STORED
);
INSERT INTO m.people VALUES
 (1, 'Alice Johnson', 'alice@example.com', '+1-555-123-4567', 'Johnson', '123-45-6789', 95000, 'vip', 'k1'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 'Bob', 'no-at-sign', '12', 'Li', '000', 1, 'x', 'k2'),
 (4, 'Carol', '@example.org', '(555) 987 6543 ext 21', 'Smithers', '1', 2, 'y', 'k1');

-- every strategy, value and NULL
SELECT pgclone.mask_in_place('m', 'people',
  '{"full_name": "name", "email": "email", "phone": "phone",
    "last_name": {"type": "partial", "prefix": 2, "suffix": 3},
    "ssn": "null", "salary": {"type": "random_int", "min": 10, "max": 12},
    "notes": {"type": "constant", "value": "REDACTED"}, "api_key": "hash"}');
SELECT id, full_name, email, phone, last_name, ssn, salary BETWEEN 10 AND 12 AS salary_ok,
       doubled = salary * 2 AS gen_ok, notes, api_key
FROM m.people ORDER BY id;
-- hash is md5 (deterministic: both k1 rows equal)
SELECT api_key = md5('k1') FROM m.people WHERE id IN (1, 4);

-- salted hashes and other algorithms
CREATE TABLE m.h (id int, a text, b text, c text, d int);
INSERT INTO m.h VALUES (1, 'x', 'x', 'x', 7), (2, NULL, NULL, NULL, NULL);
SELECT pgclone.mask_in_place('m', 'h',
  '{"a": {"type": "hash", "salt": "s1"}, "b": {"type": "hash", "salt": "s1", "algorithm": "sha256"},
    "c": {"type": "hash", "algorithm": "sha512"}, "d": {"type": "constant", "value": 42}}');
SELECT a = md5('s1x') AS a_ok, b = encode(sha256('s1x'::bytea), 'hex') AS b_ok,
       c = encode(sha512('x'::bytea), 'hex') AS c_ok, d FROM m.h ORDER BY id;
SELECT * FROM m.h WHERE id = 2;

-- bad input
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"nope": "email"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": "scramble"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": {"type": "scramble"}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": {"prefix": 1}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": 5}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": "partial"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": {"type": "partial", "prefix": -1, "suffix": 2}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": {"type": "partial", "prefix": 1, "sufix": 2}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": {"type": "email", "salt": "x"}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"salary": {"type": "random_int", "min": 5, "max": 1}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"salary": {"type": "random_int", "min": 1.5, "max": 10}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"salary": {"type": "random_int", "min": "1", "max": 10}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"salary": {"type": "random_int", "min": 1}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"salary": {"type": "random_int", "min": 1, "max": 99999999999}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"email": {"type": "random_int", "min": 1, "max": 2}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"salary": "hash"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"notes": {"type": "constant"}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"notes": {"type": "constant", "value": null}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"notes": "constant"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"api_key": {"type": "hash", "algorithm": "sha1"}}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"code": "null"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{"doubled": "null"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '["email"]')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', '{bad')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'nope', '{"email": "email"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('nope', 'people', '{"email": "email"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place(NULL, 'people', '{"email": "email"}')$$);
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'people', NULL)$$);

-- masking report before any policy
SELECT * FROM pgclone.masking_report('m');

-- dynamic masking: a policy, then its removal restores the privileges
CREATE ROLE mask_reader;
CREATE ROLE mask_admin;
CREATE TABLE m.staff (id int, email text, full_name text, ssn text);
INSERT INTO m.staff VALUES (1, 'alice@example.com', 'Alice Johnson', '123-45-6789');
GRANT SELECT ON m.staff TO PUBLIC;
GRANT USAGE ON SCHEMA m TO PUBLIC;
CREATE TEMP TABLE acl_before AS SELECT relacl::text AS acl FROM pg_class WHERE oid = 'm.staff'::regclass;
SELECT pgclone.create_masking_policy('m', 'staff', '{"email": "email", "full_name": "name"}', 'mask_admin');
SELECT * FROM pgclone.masking_report('m') WHERE table_name = 'staff';
-- the grants besides the owner's (whose set of privileges grows with the major)
SELECT array_agg(a.grantee::regrole || '=' || a.privilege_type ORDER BY 1) AS grants
FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'm.staff'::regclass AND a.grantee <> c.relowner;
SELECT reloptions FROM pg_class WHERE oid = 'm.staff_masked'::regclass;
SET ROLE mask_reader;
SELECT * FROM m.staff_masked;
SELECT pg_temp.err('SELECT * FROM m.staff');
RESET ROLE;
SET ROLE mask_admin;
SELECT * FROM m.staff;
RESET ROLE;
-- replacing the policy keeps the first original privileges
SELECT pgclone.create_masking_policy('m', 'staff', '{"email": "hash", "full_name": "name", "ssn": "null"}', 'mask_reader');
-- the grants besides the owner's (whose set of privileges grows with the major)
SELECT array_agg(a.grantee::regrole || '=' || a.privilege_type ORDER BY 1) AS grants
FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'm.staff'::regclass AND a.grantee <> c.relowner;
SELECT pgclone.drop_masking_policy('m', 'staff');
SELECT relacl::text = (SELECT acl FROM acl_before) AS privileges_restored
FROM pg_class WHERE oid = 'm.staff'::regclass;
SELECT to_regclass('m.staff_masked') IS NULL AS view_gone, count(*) AS records FROM pgclone.masking_policies;
-- a private table stays private after drop
CREATE TABLE m.secret (id int, password text);
INSERT INTO m.secret VALUES (1, 'hunter2');
SELECT pgclone.create_masking_policy('m', 'secret', '{"password": "hash"}', 'mask_admin');
SELECT pgclone.drop_masking_policy('m', 'secret');
SELECT has_table_privilege('mask_reader', 'm.secret', 'SELECT') AS reader, has_table_privilege('mask_admin', 'm.secret', 'SELECT') AS admin;
-- policy errors
SELECT pg_temp.err($$SELECT pgclone.create_masking_policy('m', 'staff', '{"email": "email"}', 'no_such_role')$$);
SELECT pg_temp.err($$SELECT pgclone.create_masking_policy('m', 'staff', '{"zzz": "email"}', 'mask_admin')$$);
SELECT pg_temp.err($$SELECT pgclone.create_masking_policy('m', 'nope', '{"email": "email"}', 'mask_admin')$$);
SELECT pg_temp.err($$SELECT pgclone.create_masking_policy('m', 'staff', '{"email": "email"}', NULL)$$);
SELECT pg_temp.err($$SELECT pgclone.drop_masking_policy('m', 'staff')$$);
CREATE TABLE m.blocked (id int, email text);
CREATE TABLE m.blocked_masked (x int);
SELECT pg_temp.err($$SELECT pgclone.create_masking_policy('m', 'blocked', '{"email": "email"}', 'mask_admin')$$);
GRANT USAGE ON SCHEMA pgclone TO mask_admin;
SET ROLE mask_admin;
-- runs as the caller: UPDATE privilege needed
SELECT pg_temp.err($$SELECT pgclone.mask_in_place('m', 'staff', '{"email": "email"}')$$);
RESET ROLE;

-- hostile names are names
CREATE SCHEMA "s';DROP TABLE m.staff;--";
CREATE TABLE "s';DROP TABLE m.staff;--"."x';CREATE ROLE pwned SUPERUSER;--" (
  id int, "e'mail"" text" text, "email');CREATE ROLE pwned2;--" text);
INSERT INTO "s';DROP TABLE m.staff;--"."x';CREATE ROLE pwned SUPERUSER;--" VALUES (1, 'a@b.c', 'q@r.s');
CREATE ROLE "r';CREATE ROLE pwned3;--";
SELECT pgclone.mask_in_place($$s';DROP TABLE m.staff;--$$, $$x';CREATE ROLE pwned SUPERUSER;--$$,
  '{"e''mail\" text": "email", "email'');CREATE ROLE pwned2;--": {"type": "constant", "value": "'');CREATE ROLE pwned4;--"}}');
SELECT * FROM "s';DROP TABLE m.staff;--"."x';CREATE ROLE pwned SUPERUSER;--";
SELECT pgclone.create_masking_policy($$s';DROP TABLE m.staff;--$$, $$x';CREATE ROLE pwned SUPERUSER;--$$,
  '{"email'');CREATE ROLE pwned2;--": {"type": "hash", "salt": "'');CREATE ROLE pwned5;--"}}', $$r';CREATE ROLE pwned3;--$$);
SELECT column_name, mask_status, recommendation FROM pgclone.masking_report($$s';DROP TABLE m.staff;--$$);
SELECT pgclone.drop_masking_policy($$s';DROP TABLE m.staff;--$$, $$x';CREATE ROLE pwned SUPERUSER;--$$);
SELECT count(*) AS pwned_roles FROM pg_roles WHERE rolname LIKE 'pwned%';
SELECT to_regclass('m.staff') IS NOT NULL AS staff_still_there;

DROP SCHEMA m, "s';DROP TABLE m.staff;--" CASCADE;
REVOKE USAGE ON SCHEMA pgclone FROM mask_admin;
DROP ROLE mask_reader, mask_admin, "r';CREATE ROLE pwned3;--";
DROP EXTENSION pgclone;
