-- Async job functions without a reachable source: argument checks, option
-- checks, and a job that fails honestly (the temp instance preloads pgclone).
CREATE EXTENSION IF NOT EXISTS pgclone;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pgclone.jobs()::text AS no_jobs;
SELECT count(*) FROM pgclone.jobs_view;
-- the original pgclone's columns, by name, type and order, then ours
SELECT attnum, attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'pgclone.jobs_view'::regclass AND attnum > 0 ORDER BY attnum;
SELECT pg_get_function_result('pgclone.progress_detail()'::regprocedure)
     = 'SETOF record' AS srf,
       (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
        WHERE attrelid = 'pgclone.jobs_view'::regclass AND attnum > 0)
     = (SELECT proargnames FROM pg_proc WHERE oid = 'pgclone.progress_detail()'::regprocedure)
       AS same_names;
-- the monitoring query of issue 12 works unchanged
SELECT job_id, status, op_type, pct_complete, progress_bar, elapsed_time, error_message
FROM pgclone.jobs_view;
-- NULL and bad arguments
SELECT pg_temp.err($q$SELECT pgclone.table_async(NULL, 'public', 't')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table_async('host=127.0.0.1 port=1', NULL, 't')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table_async('host=127.0.0.1 port=1', 'public', NULL)$q$);
SELECT pg_temp.err($q$SELECT pgclone.table_async('host=127.0.0.1 port=1', 'public', 't', true, '')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema_async(NULL, 's')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema_async('host=127.0.0.1 port=1', NULL)$q$);
SELECT pg_temp.err($q$SELECT pgclone.table_async('port=''1', 'public', 't')$q$);
-- options are checked before a job starts
SELECT pg_temp.err($q$SELECT pgclone.schema_async('host=127.0.0.1 port=1', 's', true, '{"parallel": 0}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema_async('host=127.0.0.1 port=1', 's', true, '{"parallel": "2"}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema_async('host=127.0.0.1 port=1', 's', true, '{"parallel": 9}')$q$);
-- a job that needs more background workers than the server has: at once, not queued
SELECT pg_temp.err($q$SELECT pgclone.schema_async('host=127.0.0.1 port=1', 's', true, '{"parallel": 8}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.schema_async('host=127.0.0.1 port=1', 's', true, '{"columns": ["a"]}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table_async('host=127.0.0.1 port=1', 'public', 't', true, NULL, '{"parallel": 2}')$q$);
SELECT pg_temp.err($q$SELECT pgclone.table_async('host=127.0.0.1 port=1', 'public', 't', true, NULL, '{"where": "1=1; DROP TABLE x"}')$q$);
-- job ids
SELECT pg_temp.err($q$SELECT pgclone.progress(NULL)$q$);
SELECT pg_temp.err($q$SELECT pgclone.progress(424242)$q$);
SELECT pg_temp.err($q$SELECT pgclone.cancel(424242)$q$);
SELECT pg_temp.err($q$SELECT pgclone.resume(424242)$q$);
-- a job whose source refuses connections fails with the connection's SQLSTATE
DO $$
DECLARE id int; s text;
BEGIN
  id := pgclone.table_async('host=127.0.0.1 port=1 dbname=x connect_timeout=5 password=hunter2 sslpassword=sslhunter2', 'public', 't');
  FOR i IN 1..600 LOOP
    s := pgclone.progress(id)->>'status';
    EXIT WHEN s NOT IN ('queued', 'pending', 'running');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT op_type, status, current_phase, sqlstate, tables_total, tables_completed, tables_failed,
       pct_complete, progress_bar ~ '^\[[^]]+\] 0\.0% \| 0 rows \| \d\d:\d\d:\d\d elapsed$' AS bar,
       elapsed_time ~ '^\d\d:\d\d:\d\d$' AS elapsed, end_time >= start_time AS ended,
       error_message ~ 'connect' AS error, source
FROM pgclone.jobs_view;
-- jobs() and progress() carry the view's columns as keys, in its order
SELECT (SELECT array_agg(k) FROM json_object_keys(pgclone.jobs()->0) k)
     = (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
        WHERE attrelid = 'pgclone.jobs_view'::regclass AND attnum > 0) AS jobs_keys,
       (SELECT array_agg(k) FROM json_object_keys(pgclone.progress(max(job_id)::int)) k)
     = (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
        WHERE attrelid = 'pgclone.jobs_view'::regclass AND attnum > 0) || '{tables}'
       AS progress_keys
FROM pgclone.job_history;
-- no secret anywhere at rest
SELECT count(*) AS secrets_stored FROM pgclone.job_history h
WHERE h::text ~ 'hunter' OR pgclone.jobs()::text ~ 'hunter'
   OR pgclone.progress(h.job_id::int)::text ~ 'hunter';
SELECT p->>'status' AS status, p->>'pct_complete' AS pct, json_array_length(p->'tables') AS tables,
       p->'tables'->0->>'status' AS table_status, p->'tables'->0->>'sqlstate' AS table_sqlstate
FROM pgclone.progress((SELECT max(job_id)::int FROM pgclone.job_history)) p;
SELECT pgclone.cancel((SELECT max(job_id)::int FROM pgclone.job_history)) AS cancel_finished;
SELECT pgclone.clear_jobs();
SELECT pgclone.jobs()::text AS no_jobs;
DROP EXTENSION pgclone;
