-- pgclone 1.1 -> 5.0 upgrade: every change of the SQL surface since 1.1, in
-- the order the install script of 5.0 makes it (the rules for adding to it
-- are at the top of pgclone--1.0--1.1.sql; test/t/090_upgrade.pl compares an
-- updated install with a fresh one).  5.0 continues the original pgclone's
-- release line (4.4.2): see CHANGELOG.md.
\echo Use "ALTER EXTENSION pgclone UPDATE TO '5.0'" to load this file. \quit

-- ==== masking: constraint-aware masks, fake_* strategies, strict mode (issue 23)
-- (no SQL objects: the fake_* strategies, "salt", "require_masks", "allow_unmasked" and the
-- settings pgclone.mask_salt and pgclone.require_masks live in the library)

-- ==== production sources: roles without superuser, RLS, queued jobs (issue 24)
CREATE FUNCTION pgclone.clone_roles(source_conninfo text, role_names text, options text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_clone_roles' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.clone_roles(text, text, text) FROM PUBLIC;

-- ==== first day: job error fields, conflict replace/rename reporting (issue 25)

-- A job keeps its error's DETAIL and HINT; a job waiting for background
-- workers is "queued" with its place (issue 24, item 7).  The view's and the
-- OUT-parameter function's columns cannot change in place: drop and
-- recreate both, with their grants.
ALTER TABLE pgclone.job_history ADD COLUMN error_detail text, ADD COLUMN error_hint text;
ALTER TABLE pgclone.job_tables ADD COLUMN error_detail text, ADD COLUMN error_hint text;
-- Privileges granted on them (to monitoring roles) are kept: read before the
-- drop, granted again after the new ones exist.
SELECT pg_catalog.set_config('pgclone_upgrade.jobs_acl', coalesce(pg_catalog.string_agg(
		pg_catalog.format('GRANT %s ON %s %s TO %s%s', a.privilege_type, o.kind, o.name,
						  a.grantee::regrole, CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END),
		'; '), ''), true)
  FROM (SELECT 'TABLE' AS kind, 'pgclone.jobs_view' AS name, c.relacl AS acl, c.relowner AS owner
		  FROM pg_catalog.pg_class c WHERE c.oid = 'pgclone.jobs_view'::pg_catalog.regclass
		UNION ALL
		SELECT 'FUNCTION', 'pgclone.progress_detail()', p.proacl, p.proowner
		  FROM pg_catalog.pg_proc p WHERE p.oid = 'pgclone.progress_detail()'::pg_catalog.regprocedure) o,
	   pg_catalog.aclexplode(o.acl) a
 WHERE a.grantee <> 0 AND a.grantee <> o.owner;
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
    OUT sqlstate text, OUT error_detail text, OUT error_hint text, OUT queue_position int)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'pgclone_progress_detail' LANGUAGE C VOLATILE;

CREATE VIEW pgclone.jobs_view AS
SELECT * FROM pgclone.progress_detail() ORDER BY job_id;

REVOKE ALL ON FUNCTION pgclone.progress_detail() FROM PUBLIC;
REVOKE ALL ON pgclone.jobs_view FROM PUBLIC;
DO $pgclone_grants$
BEGIN
	IF pg_catalog.current_setting('pgclone_upgrade.jobs_acl') <> '' THEN
		EXECUTE pg_catalog.current_setting('pgclone_upgrade.jobs_acl');
	END IF;
END
$pgclone_grants$;

-- ==== refresh: scheduled refresh with swap and rollback (issue 26)
CREATE TABLE pgclone.refresh_history (
    id                 bigserial PRIMARY KEY,
    job_id             bigint,                 -- the refresh job (NULL for a rollback)
    target_db          text NOT NULL,
    action             text NOT NULL,          -- refresh, rollback
    made_at            timestamptz NOT NULL DEFAULT now(),
    source             text,                   -- conninfo without password
    source_snapshot_at timestamptz,            -- the source's time of the clone's snapshot
    previous_name      text                    -- where the replaced generation is kept; NULL = dropped
);

REVOKE ALL ON pgclone.refresh_history, pgclone.refresh_history_id_seq FROM PUBLIC;

CREATE FUNCTION pgclone.refresh(source_conninfo text, target_db text,
                                include_data boolean DEFAULT true, options text DEFAULT NULL)
RETURNS int AS 'MODULE_PATHNAME', 'pgclone_refresh' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.refresh_rollback(target_db text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_refresh_rollback' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.refresh(text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.refresh_rollback(text) FROM PUBLIC;

-- ==== subsets: sampling, virtual foreign keys, dry run (issue 27)
CREATE FUNCTION pgclone.subset_preview(source_conninfo text, schema_name text, options text,
                                       OUT table_name text, OUT rows bigint,
                                       OUT restricted boolean, OUT sql text)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'pgclone_subset_preview' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.subset_preview(text, text, text) FROM PUBLIC;
