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
