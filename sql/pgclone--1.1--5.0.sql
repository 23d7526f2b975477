-- pgclone 1.1 -> 5.0 upgrade: every change of the SQL surface since 1.1, in
-- the order the install script of 5.0 makes it (the rules for adding to it
-- are at the top of pgclone--1.0--1.1.sql; test/t/090_upgrade.pl compares an
-- updated install with a fresh one).  5.0 continues the original pgclone's
-- release line (4.4.2): see CHANGELOG.md.
\echo Use "ALTER EXTENSION pgclone UPDATE TO '5.0'" to load this file. \quit

-- ==== masking: constraint-aware masks, fake_* strategies, strict mode (issue 23)

-- ==== production sources: roles without superuser, RLS, queued jobs (issue 24)
CREATE FUNCTION pgclone.clone_roles(source_conninfo text, role_names text, options text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_clone_roles' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.clone_roles(text, text, text) FROM PUBLIC;

-- ==== first day: job error fields, conflict replace/rename reporting (issue 25)

-- ==== refresh: scheduled refresh with swap and rollback (issue 26)

-- ==== subsets: sampling, virtual foreign keys, dry run (issue 27)
