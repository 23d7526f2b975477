-- pgclone 1.0 -> 1.1 upgrade: every change of the SQL surface since 1.0, in
-- the order the install script of 1.1 makes it.
\echo Use "ALTER EXTENSION pgclone UPDATE TO '1.1'" to load this file. \quit

-- jobs_view, progress_detail(): the original pgclone's columns (issue 12).
-- A view's and an OUT-parameter function's columns cannot be changed in
-- place: drop and recreate both, with their grants.
DROP VIEW pgclone.jobs_view;
DROP FUNCTION pgclone.progress_detail();

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

CREATE VIEW pgclone.jobs_view AS
SELECT * FROM pgclone.progress_detail() ORDER BY job_id;

REVOKE ALL ON FUNCTION pgclone.progress_detail() FROM PUBLIC;
REVOKE ALL ON pgclone.jobs_view FROM PUBLIC;

-- schema_ex(): the other schema options ("tables", "exclude_tables",
-- "masks", ...) as JSON after the flags (issue 12).
CREATE FUNCTION pgclone.schema_ex(source_conninfo text, schema_name text, include_data boolean,
                                  include_indexes boolean, include_constraints boolean,
                                  include_triggers boolean, options text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_schema_ex' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION pgclone.schema_ex(text, text, boolean, boolean, boolean, boolean, text) FROM PUBLIC;
