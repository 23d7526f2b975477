
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
