-- Option validation and argument checks: all fail before any connection.
CREATE EXTENSION pgclone;
SELECT pgclone.version() ~ '^pgclone [0-9]+\.[0-9]+\.[0-9]+$' AS version_ok;
-- err(sql): the SQLSTATE and message a statement fails with
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- malformed JSON
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"indexes": ')$q$);
-- not an object
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '[1,2]')$q$);
-- unknown key (typo)
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"trigger": false}')$q$);
-- wrong types
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"indexes": "no"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"columns": "id"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"columns": [1]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"columns": []}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"columns": ["a", "a"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"where": 5}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"mask": "email"}')$q$);
-- unknown conflict mode
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"conflict": "merge"}')$q$);
-- option that does not apply to a table clone
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"matviews": false}')$q$);
-- where: not a single expression
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"where": "true) UNION (SELECT 1"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"where": "1=1; DROP TABLE x"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"where": "true) ORDER BY (1"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"where": "id = 1 --"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"where": "   "}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"where": "status = ''x'' /* open"}')$q$);
-- NULL arguments
SELECT pg_temp.err($q$SELECT pgclone.table(NULL, 'public', 't')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', NULL, 't')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', NULL)$q$);
SELECT pg_temp.err($q$SELECT pgclone.table_ex('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, NULL, true, true)$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, '')$q$);
-- malformed conninfo: no password echoed
SELECT pg_temp.err($q$SELECT pgclone.table('host=x password=hunter2 bogus', 'public', 't')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('postgresql://u:hunter2@[bad', 'public', 't')$q$);
-- unreachable server: host and port named, no password
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=u password=hunter2', 'public', 't')$q$);
-- non-superuser: EXECUTE is revoked; when granted, a password is required
CREATE ROLE pgc_user LOGIN;
SET ROLE pgc_user;
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't')$q$);
RESET ROLE;
GRANT USAGE ON SCHEMA pgclone TO pgc_user;
GRANT EXECUTE ON FUNCTION pgclone.table(text, text, text, boolean, text, text) TO pgc_user;
SET ROLE pgc_user;
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't')$q$);
RESET ROLE;
DROP OWNED BY pgc_user;
DROP ROLE pgc_user;
-- "tables" / "exclude_tables" (issue 12): regexes compiled before any connection
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": ["order_("]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"exclude_tables": ["a)|(b"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": ["ok", "x{2,1}"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": ["a\\"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.database('host=127.0.0.1 port=1 dbname=x user=postgres', true, '{"tables": ["[z-a]"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema_async('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": ["("]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema_ex('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, true, true, true, '{"tables": ["*"]}')$q$);
-- wrong JSON types
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": "order_.*"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": [1]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"exclude_tables": {"a": 1}}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": []}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": [""]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": [null]}')$q$);
-- not options of a table clone
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"tables": ["t"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table('host=127.0.0.1 port=1 dbname=x user=postgres', 'public', 't', true, NULL, '{"masks": {"t": {"a": "null"}}}')$q$);
-- "masks": the original's spelling of "mask"; both at once is an error
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"mask": {"t": {"a": "null"}}, "masks": {"t": {"a": "null"}}}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"masks": ["t"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.database('host=127.0.0.1 port=1 dbname=x user=postgres', true, '{"masks": "email"}')$q$);
-- schema_ex takes its flags as arguments, not in the options
SELECT pg_temp.err($q$SELECT pgclone.schema_ex('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, true, true, true, '{"indexes": false}')$q$);
-- valid options reach the connection (and fail there)
SELECT pg_temp.err($q$SELECT pgclone.schema('host=127.0.0.1 port=1 dbname=x user=postgres', 's', true, '{"tables": ["order_.*", "hr\\.emp.*"], "exclude_tables": [".*_old"], "masks": {"users": {"email": "email"}}}')$q$) ~ '^08001' AS reached_connect;
