-- Subset dry run (issue 27): what a "subset" option would keep, per table,
-- without creating anything (src/clone/subset_preview.c).

CREATE FUNCTION pgclone.subset_preview(source_conninfo text, schema_name text, options text,
                                       OUT table_name text, OUT rows bigint,
                                       OUT restricted boolean, OUT sql text)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'pgclone_subset_preview' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.subset_preview(text, text, text) FROM PUBLIC;
