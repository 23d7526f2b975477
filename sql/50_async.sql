
-- ---------- async clones and the parallel pool (src/jobs/) ----------
-- Job history is durable: workers record it in short transactions of their
-- own, so it survives a restart. No password is ever stored here.

CREATE SEQUENCE pgclone.job_id_seq;

CREATE TABLE pgclone.job_history (
    job_id        bigint PRIMARY KEY,
    kind          text NOT NULL,
    owner_oid     oid NOT NULL,
    source        text NOT NULL,          -- conninfo without password
    schema_name   text NOT NULL,
    table_name    text,
    target_name   text,
    include_data  boolean NOT NULL,
    options       text NOT NULL,
    parallel      int NOT NULL DEFAULT 1,
    resumed_from  bigint,
    state         text NOT NULL,
    sqlstate      text,
    error         text,
    note          text,                   -- what the job did not clone, if anything
    tables_total  int NOT NULL DEFAULT 0,
    tables_done   int NOT NULL DEFAULT 0,
    tables_failed int NOT NULL DEFAULT 0,
    rows_copied   bigint NOT NULL DEFAULT 0,
    bytes_copied  bigint NOT NULL DEFAULT 0,
    predata_done  boolean NOT NULL DEFAULT false,  -- schema job: pre-data phase committed
    predata_skip  text,                            -- objects the conflict option skipped
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    error_detail  text,                   -- the error's DETAIL and HINT (5.0)
    error_hint    text
);

CREATE TABLE pgclone.job_tables (
    job_id       bigint NOT NULL REFERENCES pgclone.job_history ON DELETE CASCADE,
    ord          int NOT NULL,
    schema_name  text NOT NULL,
    table_name   text NOT NULL,
    state        text NOT NULL DEFAULT 'pending',   -- pending running done failed cancelled
    fk_done      boolean NOT NULL DEFAULT false,
    rows_copied  bigint,
    bytes_copied bigint,
    sqlstate     text,
    error        text,
    started_at   timestamptz,
    finished_at  timestamptz,
    error_detail text,
    error_hint   text,
    PRIMARY KEY (job_id, ord)
);

REVOKE ALL ON pgclone.job_history, pgclone.job_tables, pgclone.job_id_seq FROM PUBLIC;

CREATE FUNCTION pgclone.table_async(source_conninfo text, schema_name text, table_name text,
                                    include_data boolean DEFAULT true,
                                    target_name text DEFAULT NULL, options text DEFAULT NULL)
RETURNS int AS 'MODULE_PATHNAME', 'pgclone_table_async' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.schema_async(source_conninfo text, schema_name text,
                                     include_data boolean DEFAULT true, options text DEFAULT NULL)
RETURNS int AS 'MODULE_PATHNAME', 'pgclone_schema_async' LANGUAGE C VOLATILE;

-- The original pgclone's eighteen columns first (by name, type and order),
-- then ours; progress() and jobs() carry the same keys.
CREATE FUNCTION pgclone.progress_detail(
    OUT job_id int, OUT status text, OUT op_type text,
    OUT schema_name text, OUT table_name text,
    OUT current_phase text, OUT current_table text,
    OUT tables_total bigint, OUT tables_completed bigint,
    OUT rows_copied bigint, OUT bytes_copied bigint, OUT elapsed_ms bigint,
    OUT start_time timestamptz, OUT end_time timestamptz, OUT error_message text,
    OUT pct_complete double precision, OUT progress_bar text, OUT elapsed_time text,
    OUT target_name text, OUT source text, OUT parallel int, OUT resumed_from int,
    OUT tables_failed bigint, OUT workers text, OUT eta_ms bigint, OUT eta_time text,
    OUT sqlstate text, OUT error_detail text, OUT error_hint text, OUT queue_position int)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'pgclone_progress_detail' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.progress(job_id int) RETURNS json
AS 'MODULE_PATHNAME', 'pgclone_progress' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.jobs() RETURNS json
AS 'MODULE_PATHNAME', 'pgclone_jobs' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.cancel(job_id int) RETURNS boolean
AS 'MODULE_PATHNAME', 'pgclone_cancel' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.resume(job_id int, source_conninfo text DEFAULT NULL) RETURNS int
AS 'MODULE_PATHNAME', 'pgclone_resume' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.clear_jobs() RETURNS int
AS 'MODULE_PATHNAME', 'pgclone_clear_jobs' LANGUAGE C VOLATILE;

CREATE VIEW pgclone.jobs_view AS
SELECT * FROM pgclone.progress_detail() ORDER BY job_id;

REVOKE ALL ON FUNCTION pgclone.table_async(text, text, text, boolean, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.schema_async(text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.resume(int, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.cancel(int) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.clear_jobs() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.progress_detail() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.progress(int) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.jobs() FROM PUBLIC;
REVOKE ALL ON pgclone.jobs_view FROM PUBLIC;
