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

-- role_names NULL: every role; options: '{"passwords": false}' leaves the
-- password hashes out on purpose (they are left out anyway when the source
-- role cannot read pg_authid)
CREATE FUNCTION pgclone.clone_roles(source_conninfo text, role_names text, options text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_clone_roles' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.clone_roles(text, text, text) FROM PUBLIC;

CREATE FUNCTION pgclone.preflight(source_conninfo text, schema_name text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_preflight' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.preflight(text, text) FROM PUBLIC;
