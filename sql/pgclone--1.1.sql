-- pgclone install script: core and table cloning.
-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgclone" to load this file. \quit

CREATE FUNCTION pgclone.version() RETURNS text
AS 'MODULE_PATHNAME', 'pgclone_version' LANGUAGE C STABLE;

-- Everything that connects out is revoked from PUBLIC below; a role granted
-- EXECUTE must still put a password in the conninfo (the dblink rule).

CREATE FUNCTION pgclone.table(source_conninfo text, schema_name text, table_name text,
                              include_data boolean DEFAULT true,
                              target_name text DEFAULT NULL, options text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_table' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.table_ex(source_conninfo text, schema_name text, table_name text,
                                 include_data boolean, target_name text,
                                 include_indexes boolean, include_constraints boolean,
                                 include_triggers boolean)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_table_ex' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.table(text, text, text, boolean, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.table_ex(text, text, text, boolean, text, boolean, boolean, boolean) FROM PUBLIC;
-- Schema and database cloning (src/schema.c, src/database.c).

CREATE FUNCTION pgclone.schema(source_conninfo text, schema_name text,
                               include_data boolean DEFAULT true, options text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_schema' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.schema_ex(source_conninfo text, schema_name text, include_data boolean,
                                  include_indexes boolean, include_constraints boolean,
                                  include_triggers boolean)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_schema_ex' LANGUAGE C VOLATILE;

-- the flags as arguments, the other schema options ("tables", "masks", ...) as JSON
CREATE FUNCTION pgclone.schema_ex(source_conninfo text, schema_name text, include_data boolean,
                                  include_indexes boolean, include_constraints boolean,
                                  include_triggers boolean, options text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_schema_ex' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.functions(source_conninfo text, schema_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_functions' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.database(source_conninfo text, include_data boolean DEFAULT true,
                                 options text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_database' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.database_create(source_conninfo text, target_database text,
                                        include_data boolean DEFAULT true,
                                        options text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_database_create' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.schema(text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.schema_ex(text, text, boolean, boolean, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.schema_ex(text, text, boolean, boolean, boolean, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.functions(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.database(text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.database_create(text, text, boolean, text) FROM PUBLIC;

-- ---------- masking (src/mask.c, src/discover.c, src/mask_policy.c) ----------

-- Masking policies: the privileges a table had before its policy, restored on drop.
CREATE TABLE pgclone.masking_policies (
    relid        oid PRIMARY KEY,
    schema_name  text NOT NULL,
    table_name   text NOT NULL,
    view_name    text NOT NULL,
    role_name    text NOT NULL,
    mask         jsonb NOT NULL,
    original_acl aclitem[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON pgclone.masking_policies FROM PUBLIC;

CREATE FUNCTION pgclone.discover_sensitive(source_conninfo text, schema_name text,
                                           options text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_discover_sensitive' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION pgclone.discover_sensitive(text, text, text) FROM PUBLIC;

-- Runs as the caller: needs UPDATE on the table.
CREATE FUNCTION pgclone.mask_in_place(schema_name text, table_name text, mask_json text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_mask_in_place' LANGUAGE C VOLATILE;

-- These read or write pgclone.masking_policies (masks may hold hash salts).
CREATE FUNCTION pgclone.create_masking_policy(schema_name text, table_name text,
                                              mask_json text, privileged_role text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_create_masking_policy' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION pgclone.create_masking_policy(text, text, text, text) FROM PUBLIC;

CREATE FUNCTION pgclone.drop_masking_policy(schema_name text, table_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_drop_masking_policy' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION pgclone.drop_masking_policy(text, text) FROM PUBLIC;

CREATE FUNCTION pgclone.masking_report(schema text)
RETURNS TABLE (schema_name text, table_name text, column_name text, sensitivity text,
               mask_status text, recommendation text)
AS 'MODULE_PATHNAME', 'pgclone_masking_report' LANGUAGE C STABLE;
REVOKE ALL ON FUNCTION pgclone.masking_report(text) FROM PUBLIC;
-- pgclone operations: clone_roles, verify, diff, preflight (doc/ops.md).

CREATE FUNCTION pgclone.verify(source_conninfo text)
RETURNS TABLE(schema_name text, table_name text, source_rows bigint,
              target_rows bigint, match text)
AS 'MODULE_PATHNAME', 'pgclone_verify' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.verify(source_conninfo text, schema_name text)
RETURNS TABLE(schema_name text, table_name text, source_rows bigint,
              target_rows bigint, match text)
AS 'MODULE_PATHNAME', 'pgclone_verify' LANGUAGE C VOLATILE;

-- options: {"exact": true} (count(*)) or {"checksum": true}; schema NULL = all
CREATE FUNCTION pgclone.verify(source_conninfo text, schema_name text, options text)
RETURNS TABLE(schema_name text, table_name text, source_rows bigint,
              target_rows bigint, match text)
AS 'MODULE_PATHNAME', 'pgclone_verify' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.diff(source_conninfo text, schema_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_diff' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.verify(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.verify(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.verify(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.diff(text, text) FROM PUBLIC;

CREATE FUNCTION pgclone.clone_roles(source_conninfo text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_clone_roles' LANGUAGE C VOLATILE;

-- role_names: comma-separated, spaces trimmed, case-sensitive
CREATE FUNCTION pgclone.clone_roles(source_conninfo text, role_names text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_clone_roles' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.clone_roles(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.clone_roles(text, text) FROM PUBLIC;

CREATE FUNCTION pgclone.preflight(source_conninfo text, schema_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_preflight' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.preflight(text, text) FROM PUBLIC;

-- ---------- async clones and the parallel pool (src/jobs.c, src/worker.c) ----------
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
    finished_at   timestamptz
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
    OUT sqlstate text)
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
