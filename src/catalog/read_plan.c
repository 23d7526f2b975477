/*
 * read_plan.c — what a plan is made of, read from the source: the objects of
 * some schemas and the pg_depend edges between them (sorted by
 * plan/depsort.c), the extensions they use, how tables attach to their
 * parents, partition trees and index attachments.
 */
#include "catalog/reader.h"

#define OBJ_CTE \
	"WITH nsp AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1::text[]))," \
	" ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')," \
	" owned AS (SELECT d.objid AS seq, d.refobjid AS tbl FROM pg_depend d JOIN pg_class s ON s.oid = d.objid" \
	"   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass" \
	"     AND s.relkind = 'S' AND d.deptype IN ('a', 'i'))," \
	" nodes AS (" \
	"  SELECT 'pg_class'::regclass::oid AS classid, c.oid AS objid," \
	"   CASE WHEN c.relkind IN ('r', 'p') THEN 'R' WHEN c.relkind = 'v' THEN 'V'" \
	"        WHEN c.relkind = 'm' THEN 'M' WHEN c.relkind = 'f' THEN 'E' ELSE 'S' END AS kind," \
	"   n.nspname, c.relname::text AS name, c.relkind::text AS sub" \
	"  FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace" \
	"  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')" \
	"    AND NOT EXISTS (SELECT 1 FROM owned WHERE owned.seq = c.oid)" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_type'::regclass::oid, t.oid, 'T', n.nspname, t.typname::text, t.typtype::text" \
	"  FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace" \
	"  WHERE (t.typtype IN ('e', 'd', 'r')" \
	"         OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_collation'::regclass::oid, co.oid, 'C', n.nspname, co.collname::text, co.collprovider::text" \
	"  FROM pg_collation co JOIN nsp n ON n.oid = co.collnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_collation'::regclass AND ext.objid = co.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_conversion'::regclass::oid, cv.oid, 'N', n.nspname, cv.conname::text, ''" \
	"  FROM pg_conversion cv JOIN nsp n ON n.oid = cv.connamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_conversion'::regclass AND ext.objid = cv.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_template'::regclass::oid, t.oid, 'W', n.nspname, t.tmplname::text, ''" \
	"  FROM pg_ts_template t JOIN nsp n ON n.oid = t.tmplnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_template'::regclass AND ext.objid = t.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_parser'::regclass::oid, p.oid, 'P', n.nspname, p.prsname::text, ''" \
	"  FROM pg_ts_parser p JOIN nsp n ON n.oid = p.prsnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_parser'::regclass AND ext.objid = p.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_dict'::regclass::oid, d.oid, 'D', n.nspname, d.dictname::text, ''" \
	"  FROM pg_ts_dict d JOIN nsp n ON n.oid = d.dictnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_dict'::regclass AND ext.objid = d.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_config'::regclass::oid, c.oid, 'X', n.nspname, c.cfgname::text, ''" \
	"  FROM pg_ts_config c JOIN nsp n ON n.oid = c.cfgnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_config'::regclass AND ext.objid = c.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_operator'::regclass::oid, o.oid, 'O', n.nspname, o.oprname::text, o.oprkind::text" \
	"  FROM pg_operator o JOIN nsp n ON n.oid = o.oprnamespace WHERE o.oprcode <> 0" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_operator'::regclass AND ext.objid = o.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_cast'::regclass::oid, c.oid, 'K', ''," \
	"   format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL), c.castmethod::text" \
	"  FROM pg_cast c WHERE $2 AND c.oid >= 16384" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_cast'::regclass AND ext.objid = c.oid)" \
	"    AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_cast'::regclass" \
	"                    AND i.objid = c.oid AND i.deptype = 'i')" \
	"  UNION ALL" \
	"  SELECT 'pg_opfamily'::regclass::oid, f.oid, 'Y', n.nspname, f.opfname::text, ''" \
	"  FROM pg_opfamily f JOIN nsp n ON n.oid = f.opfnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_opfamily'::regclass AND ext.objid = f.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_opclass'::regclass::oid, c.oid, 'Z', n.nspname, c.opcname::text, ''" \
	"  FROM pg_opclass c JOIN nsp n ON n.oid = c.opcnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_opclass'::regclass AND ext.objid = c.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_proc'::regclass::oid, p.oid, CASE WHEN p.prokind = 'a' THEN 'A' ELSE 'F' END," \
	"   n.nspname, p.proname::text, p.prokind::text" \
	"  FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)" \
	"    AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass" \
	"                    AND i.objid = p.oid AND i.deptype = 'i'))," \
	" map AS (" \
	"  SELECT classid, objid, classid AS nc, objid AS no FROM nodes" \
	"  UNION ALL SELECT 'pg_class'::regclass, seq, 'pg_class'::regclass, tbl FROM owned" \
	"  UNION ALL SELECT 'pg_type'::regclass, c.reltype, 'pg_class'::regclass, c.oid" \
	"   FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')" \
	"  UNION ALL SELECT 'pg_class'::regclass, c.oid, 'pg_type'::regclass, c.reltype" \
	"   FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace WHERE c.relkind = 'c'" \
	"  UNION ALL SELECT 'pg_type'::regclass, t.typarray," \
	"   CASE WHEN r.relkind IN ('r', 'p', 'v', 'm', 'f') THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END," \
	"   CASE WHEN r.relkind IN ('r', 'p', 'v', 'm', 'f') THEN r.oid ELSE t.oid END" \
	"   FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace LEFT JOIN pg_class r ON r.oid = t.typrelid" \
	"   WHERE t.typarray <> 0" \
	"  UNION ALL SELECT 'pg_type'::regclass, rg.rngmultitypid, 'pg_type'::regclass, rg.rngtypid" \
	"   FROM pg_range rg JOIN pg_type t ON t.oid = rg.rngtypid JOIN nsp n ON n.oid = t.typnamespace" \
	"  UNION ALL SELECT 'pg_attrdef'::regclass, ad.oid, 'pg_class'::regclass, ad.adrelid" \
	"   FROM pg_attrdef ad JOIN pg_class c ON c.oid = ad.adrelid JOIN nsp n ON n.oid = c.relnamespace" \
	"  UNION ALL SELECT 'pg_rewrite'::regclass, rw.oid, 'pg_class'::regclass, rw.ev_class" \
	"   FROM pg_rewrite rw JOIN pg_class c ON c.oid = rw.ev_class JOIN nsp n ON n.oid = c.relnamespace" \
	"   WHERE rw.rulename = '_RETURN'" \
	"  UNION ALL SELECT d.classid, d.objid, d.refclassid, d.refobjid FROM pg_depend d" \
	"   WHERE d.classid IN ('pg_amop'::regclass, 'pg_amproc'::regclass) AND d.deptype IN ('a', 'i')" \
	"     AND d.refclassid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)" \
	"  UNION ALL SELECT 'pg_constraint'::regclass, k.oid, 'pg_type'::regclass, k.contypid" \
	"   FROM pg_constraint k JOIN pg_type t ON t.oid = k.contypid JOIN nsp n ON n.oid = t.typnamespace" \
	"   WHERE k.contypid <> 0)"

#define NODES_SQL OBJ_CTE \
	" SELECT classid, objid, kind, nspname, name, sub FROM nodes ORDER BY nspname, kind, name, objid"

#define EDGES_SQL OBJ_CTE \
	" SELECT DISTINCT a.nc, a.no, b.nc AS rc, b.no AS ro FROM pg_depend d" \
	" JOIN map a ON a.classid = d.classid AND a.objid = d.objid" \
	" JOIN map b ON b.classid = d.refclassid AND b.objid = d.refobjid" \
	" WHERE d.deptype IN ('n', 'a') AND (a.nc, a.no) <> (b.nc, b.no)"

/*
 * The extensions the objects of some schemas need (see clone/extensions.c):
 * every pg_depend row from a non-member to a member of an extension, the
 * dependent followed up its 'a'/'i' links to an object with a schema.
 * $1 text[]: the schemas of the clone; $2 bool: every extension.  Rows in
 * the source's creation order (OID), so that an extension comes after the
 * ones it requires.
 */
#define EXTENSIONS_SQL \
	"WITH RECURSIVE member AS (SELECT classid, objid, refobjid AS ext FROM pg_depend" \
	"   WHERE deptype = 'e' AND refclassid = 'pg_extension'::regclass)," \
	" uses AS (SELECT d.classid, d.objid, m.ext FROM pg_depend d" \
	"   JOIN member m ON m.classid = d.refclassid AND m.objid = d.refobjid" \
	"   WHERE d.deptype IN ('n', 'a')" \
	"     AND NOT EXISTS (SELECT 1 FROM member y WHERE y.classid = d.classid AND y.objid = d.objid)" \
	"   UNION SELECT d.classid, d.objid, d.refobjid FROM pg_depend d" \
	"   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'x')," \
	" up AS (SELECT classid, objid, ext, 0 AS depth FROM uses" \
	"   UNION SELECT p.refclassid, p.refobjid, u.ext, u.depth + 1 FROM up u" \
	"   JOIN pg_depend p ON p.classid = u.classid AND p.objid = u.objid AND p.deptype IN ('a', 'i')" \
	"   WHERE u.depth < 4)," \
	" used AS (SELECT DISTINCT u.ext FROM up u" \
	"   WHERE (pg_identify_object(u.classid, u.objid, 0)).schema = ANY($1::text[]))," \
	" needed AS (SELECT ext FROM used" \
	"   UNION SELECT d.refobjid FROM needed JOIN pg_depend d ON d.classid = 'pg_extension'::regclass" \
	"   AND d.objid = needed.ext AND d.refclassid = 'pg_extension'::regclass)" \
	" SELECT e.extname, n.nspname AS extnsp, e.extversion," \
	"  e.oid IN (SELECT ext FROM needed) AS needed" \
	" FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace" \
	" WHERE ($2::bool OR e.oid IN (SELECT ext FROM needed))" \
	"   AND e.extname NOT IN ('plpgsql', 'pgclone')" \
	" ORDER BY e.oid"

/* How a table attaches to its parents (partitions, inheritance). */
#define TABLE_LINKS_SQL \
	"SELECT (SELECT string_agg(quote_ident(pn.nspname) || '.' || quote_ident(pc.relname), ', '" \
	"         ORDER BY i.inhseqno) FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent" \
	"         JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) AS parents," \
	" EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid) AS has_children," \
	" ARRAY(SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0" \
	"       AND NOT a.attisdropped AND a.attislocal ORDER BY a.attnum)::text AS local_cols" \
	" FROM pg_class c WHERE c.oid = $1::oid"

/* Non-constraint partition indexes to attach to their parent index. */
#define INDEX_ATTACH_SQL \
	"SELECT quote_ident(pn.nspname) || '.' || quote_ident(pi.relname) AS parent_idx," \
	" quote_ident(cn.nspname) || '.' || quote_ident(ci.relname) AS child_idx," \
	" (SELECT indrelid FROM pg_index WHERE indexrelid = ci.oid) AS child_rel," \
	" (SELECT indrelid FROM pg_index WHERE indexrelid = pi.oid) AS parent_rel" \
	" FROM pg_inherits i JOIN pg_class ci ON ci.oid = i.inhrelid JOIN pg_class pi ON pi.oid = i.inhparent" \
	" JOIN pg_namespace cn ON cn.oid = ci.relnamespace JOIN pg_namespace pn ON pn.oid = pi.relnamespace" \
	" WHERE ci.relkind IN ('i', 'I') AND cn.nspname = ANY($1::text[]) AND pn.nspname = ANY($1::text[])" \
	"   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = pi.oid)" \
	"   AND ($2::oid[] IS NULL OR ((SELECT indrelid FROM pg_index WHERE indexrelid = ci.oid) = ANY($2::oid[])" \
	"        AND (SELECT indrelid FROM pg_index WHERE indexrelid = pi.oid) = ANY($2::oid[])))" \
	" ORDER BY 1, 2"

#define TREE_SQL \
	"SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_partition_tree($1::oid::regclass) p" \
	" JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" ORDER BY p.level, n.nspname, c.relname"

const PgcQuery pgc_q_table_links = {TABLE_LINKS_SQL, "table", "R"};

PgcRows *
pgc_read_nodes(PGconn *conn, List *schemas, bool whole_database)
{
	const char *params[2] = {pgc_names_literal(schemas), whole_database ? "true" : "false"};

	return pgc_query_params(conn, NODES_SQL, 2, params);
}

/* Partitions of the schemas and their parents: a partition follows its parent. */
#define PARTITION_PARENTS_SQL \
	"SELECT i.inhrelid, i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid" \
	" JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE c.relispartition AND n.nspname = ANY($1::text[])"

PgcRows *
pgc_read_partition_parents(PGconn *conn, List *schemas)
{
	const char *params[1] = {pgc_names_literal(schemas)};

	return pgc_query_params(conn, PARTITION_PARENTS_SQL, 1, params);
}

PgcRows *
pgc_read_edges(PGconn *conn, List *schemas, bool whole_database)
{
	const char *params[2] = {pgc_names_literal(schemas), whole_database ? "true" : "false"};

	return pgc_query_params(conn, EDGES_SQL, 2, params);
}

PgcRows *
pgc_read_extensions(PGconn *conn, List *schemas, bool all)
{
	const char *params[2] = {pgc_names_literal(schemas), all ? "true" : "false"};

	return pgc_query_params(conn, EXTENSIONS_SQL, 2, params);
}

PgcRows *
pgc_read_index_attachments(PGconn *conn, List *schemas, const char *table_oids)
{
	const char *params[2] = {pgc_names_literal(schemas), table_oids};

	return pgc_query_params(conn, INDEX_ATTACH_SQL, 2, params);
}

PgcRows *
pgc_read_partition_tree(PGconn *conn, const char *oid)
{
	const char *params[1] = {oid};

	return pgc_query_params(conn, TREE_SQL, 1, params);
}

char *
pgc_read_table_oid(PGconn *conn, const char *nsp, const char *rel)
{
	const char *params[2] = {nsp, rel};
	PgcRows    *r = pgc_query_params(conn,
									 "SELECT c.oid FROM pg_catalog.pg_class c"
									 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
									 " WHERE n.nspname = $1 AND c.relname = $2", 2, params);

	return r->nrows == 1 ? pgc_val(r, 0, 0) : NULL;
}

/* (nspname, relname, oid) of the tables named by two parallel lists */
PgcRows *
pgc_read_table_oids(PGconn *conn, List *nsps, List *rels)
{
	const char *params[2] = {pgc_names_literal(nsps), pgc_names_literal(rels)};

	return pgc_query_params(conn,
							"SELECT k.nsp, k.rel, c.oid"
							" FROM unnest($1::text[], $2::text[]) AS k(nsp, rel)"
							" JOIN pg_catalog.pg_namespace n ON n.nspname = k.nsp"
							" JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = k.rel",
							2, params);
}

/* Schemas of the source that hold user objects. */
List *
pgc_source_user_schemas(PGconn *conn)
{
	/*
	 * System schemas have OIDs below FirstNormalObjectId, except public;
	 * temporary and temporary-toast schemas are "other" temp schemas to a
	 * session that has none of its own.
	 */
	PgcRows    *r = pgc_query(conn,
							  "SELECT n.nspname FROM pg_namespace n"
							  " WHERE (n.oid >= 16384 OR n.nspname = 'public')"
							  "   AND NOT pg_is_other_temp_schema(n.oid) AND n.oid <> pg_my_temp_schema()"
							  "   AND n.nspname <> 'pgclone'"
							  "   AND NOT EXISTS (SELECT 1 FROM pg_depend d"
							  "        WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid"
							  "          AND d.deptype = 'e')"
							  " ORDER BY n.nspname");
	List	   *out = NIL;
	int			i;

	for (i = 0; i < r->nrows; i++)
		out = lappend(out, pgc_val(r, i, 0));
	return out;
}

