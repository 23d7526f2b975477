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
