/*
 * read_objects.c — the source rows of one object that is not a table: the
 * query texts the DDL of types, sequences, functions, aggregates, views,
 * matviews, rules, collations, conversions and schemas is built from
 * (ddl/objects.c), and the functions that run them.
 *
 * As in read_table.c, everything is read on the source with search_path =
 * pg_catalog, so names in pg_get_*def() output come schema-qualified and
 * quoted by the source; names spliced in go through quote_ident() on the
 * source.
 */
#include "catalog/pgc_model.h"

#define TYPE_SQL \
	"SELECT t.typtype, quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS qname," \
	" pg_get_userbyid(t.typowner) AS owner, obj_description(t.oid, 'pg_type') AS comment," \
	" (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)" \
	"    FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels," \
	" CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS basetype," \
	" t.typnotnull, t.typdefault," \
	/* a domain's NOT NULL constraint (17), qualified: not in 15's shape */ \
	" (SELECT k.conname FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid" \
	"   AND k.contype = 'n' LIMIT 1) AS nn_name," \
	" CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <>" \
	"   (SELECT bt.typcollation FROM pg_type bt WHERE bt.oid = t.typbasetype) THEN" \
	"   (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co" \
	"     JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS collation," \
	" (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) ||" \
	"   CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0 THEN ' COLLATE ' ||" \
	"   (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co" \
	"     JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) ELSE '' END," \
	"   ', ' ORDER BY a.attnum) FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid" \
	"   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attrs," \
	" (SELECT format('SUBTYPE = %s', format_type(r.rngsubtype, NULL))" \
	"   || CASE WHEN NOT oc.opcdefault THEN ', SUBTYPE_OPCLASS = ' || quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) ELSE '' END" \
	"   || CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN ', COLLATION = ' ||" \
	"      (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co" \
	"       JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = r.rngcollation) ELSE '' END" \
	"   || CASE WHEN r.rngcanonical <> 0 THEN ', CANONICAL = ' || r.rngcanonical::regproc::text ELSE '' END" \
	"   || CASE WHEN r.rngsubdiff <> 0 THEN ', SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text ELSE '' END" \
	/* no multirange before 14 (srcver.c): the target names it by default */ \
	"   || coalesce(', MULTIRANGE_TYPE_NAME = ' || (SELECT quote_ident(mn.nspname) || '.' || quote_ident(mt.typname)" \
	"      FROM pg_type mt JOIN pg_namespace mn ON mn.oid = mt.typnamespace WHERE mt.oid = r.rngmultitypid), '')" \
	"   FROM pg_range r JOIN pg_type st ON st.oid = r.rngsubtype JOIN pg_opclass oc ON oc.oid = r.rngsubopc" \
	"   JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace WHERE r.rngtypid = t.oid) AS range," \
	ACL_OF("t.typacl", "t.typowner") \
	" FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1::oid"

#define DOMAIN_CHECKS_SQL \
	"SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint" \
	" WHERE contypid = $1::oid ORDER BY conname"

#define SEQ_SQL \
	"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname, c.relpersistence," \
	" format_type(s.seqtypid, NULL) AS seqtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax," \
	" s.seqcache, s.seqcycle, pg_get_userbyid(c.relowner) AS owner," \
	" obj_description(c.oid, 'pg_class') AS comment," \
	ACL_OF("c.relacl", "c.relowner") \
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" JOIN pg_sequence s ON s.seqrelid = c.oid WHERE c.oid = $1::oid"

#define FUNC_SQL \
	"SELECT p.prokind, pg_get_userbyid(p.proowner) AS owner, p.oid::regprocedure::text AS sig," \
	" obj_description(p.oid, 'pg_proc') AS comment," \
	" CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS def," \
	" quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS qname," \
	" pg_get_function_arguments(p.oid) AS args, p.proparallel," \
	ACL_OF("p.proacl", "p.proowner") \
	" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = $1::oid"

#define AGG_SQL \
	"SELECT a.aggkind, a.aggtransfn::regproc::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype," \
	" a.aggtransspace, NULLIF(a.aggfinalfn, 0)::regproc::text AS finalfunc, a.aggfinalextra," \
	" a.aggfinalmodify, NULLIF(a.aggcombinefn, 0)::regproc::text AS combinefunc," \
	" NULLIF(a.aggserialfn, 0)::regproc::text AS serialfunc," \
	" NULLIF(a.aggdeserialfn, 0)::regproc::text AS deserialfunc, a.agginitval," \
	" NULLIF(a.aggmtransfn, 0)::regproc::text AS msfunc, NULLIF(a.aggminvtransfn, 0)::regproc::text AS minvfunc," \
	" CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype," \
	" a.aggmtransspace, NULLIF(a.aggmfinalfn, 0)::regproc::text AS mfinalfunc, a.aggmfinalextra," \
	" a.aggmfinalmodify, a.aggminitval," \
	" (SELECT 'OPERATOR(' || quote_ident(opn.nspname) || '.' || op.oprname || ')' FROM pg_operator op" \
	"   JOIN pg_namespace opn ON opn.oid = op.oprnamespace WHERE op.oid = a.aggsortop) AS sortop" \
	" FROM pg_aggregate a WHERE a.aggfnoid = $1::oid"

/*
 * A view whose query relies on a constraint (GROUP BY a primary key, then
 * selecting other columns of that table) cannot exist before the
 * constraint, which comes after the data.  As pg_dump does, such a view is
 * first created as a placeholder with the same column names and types, so
 * whatever depends on it can be created, and is replaced by its real
 * definition once the constraints exist.
 */
#define VIEW_PLACEHOLDER_COLS \
	" c.relkind = 'v' AND EXISTS (SELECT 1 FROM pg_rewrite rw JOIN pg_depend d" \
	"   ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid" \
	"   WHERE rw.ev_class = c.oid AND d.refclassid = 'pg_constraint'::regclass) AS needs_constraint," \
	" (SELECT string_agg(format('NULL::%s%s AS %s', format_type(a.atttypid, a.atttypmod)," \
	"     CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN" \
	"       ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) ELSE '' END," \
	"     quote_ident(a.attname)), ', ' ORDER BY a.attnum)" \
	"    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid" \
	"    LEFT JOIN pg_collation co ON co.oid = a.attcollation" \
	"    LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace" \
	"   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS placeholder"

#define VIEW_SQL \
	"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname, c.relkind," \
	" pg_get_viewdef(c.oid) AS def, c.relispopulated, pg_get_userbyid(c.relowner) AS owner," \
	" (SELECT string_agg(quote_ident(option_name) || '=' || quote_literal(option_value), ', ')" \
	"    FROM pg_options_to_table(c.reloptions)) AS reloptions," \
	" CASE WHEN c.relam <> 0 AND am.amname <> 'heap' THEN quote_ident(am.amname) END AS am," \
	" obj_description(c.oid, 'pg_class') AS comment," \
	ACL_OF("c.relacl", "c.relowner") \
	"," VIEW_PLACEHOLDER_COLS \
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" LEFT JOIN pg_am am ON am.oid = c.relam WHERE c.oid = $1::oid"

#define RELCOLS_SQL \
	"SELECT quote_ident(a.attname) AS col, col_description(a.attrelid, a.attnum) AS comment," \
	" pg_get_expr(d.adbin, d.adrelid) AS defexpr FROM pg_attribute a" \
	" LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum" \
	" WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped" \
	"   AND (d.oid IS NOT NULL OR col_description(a.attrelid, a.attnum) IS NOT NULL)" \
	" ORDER BY a.attnum"

#define RELINDEXES_SQL \
	"SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisclustered," \
	" quote_ident(ic.relname) AS qidx, obj_description(i.indexrelid, 'pg_class') AS comment" \
	" FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid" \
	" WHERE i.indrelid = $1::oid ORDER BY ic.relname"

#define RULES_SQL \
	"SELECT r.rulename, pg_get_ruledef(r.oid) AS def, r.ev_enabled," \
	" obj_description(r.oid, 'pg_rewrite') AS comment FROM pg_rewrite r" \
	" WHERE r.ev_class = $1::oid AND r.rulename <> '_RETURN' ORDER BY r.rulename"

#define VIEW_TRIGGERS_SQL \
	"SELECT t.tgname, pg_get_triggerdef(t.oid) AS def, t.tgenabled," \
	" obj_description(t.oid, 'pg_trigger') AS comment FROM pg_trigger t" \
	" WHERE t.tgrelid = $1::oid AND NOT t.tgisinternal AND t.tgparentid = 0 ORDER BY t.tgname"

#define SCHEMA_SQL \
	"SELECT n.oid, quote_ident(n.nspname) AS qname, pg_get_userbyid(n.nspowner) AS owner," \
	" obj_description(n.oid, 'pg_namespace') AS comment," \
	ACL_OF("n.nspacl", "n.nspowner") \
	" FROM pg_namespace n WHERE n.nspname = $1"

#define COLLATION_SQL \
	"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.collname) AS qname, c.collprovider," \
	" c.collisdeterministic, c.collcollate, c.collctype, c.colliculocale, c.collicurules," \
	" pg_get_userbyid(c.collowner) AS owner, obj_description(c.oid, 'pg_collation') AS comment" \
	" FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE c.oid = $1::oid"

/*
 * Default privileges of a schema ($1), or the database-wide ones ($1 NULL),
 * as GRANT/REVOKE rows.  A schema's entries add to the built-in defaults; a
 * database-wide entry replaces them, so it is compared with acldefault().
 */
#define DEFACL_SQL \
	"WITH d AS (SELECT d.defaclrole, d.defaclobjtype, d.defaclacl," \
	"   CASE WHEN d.defaclnamespace = 0 THEN acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's'" \
	"     ELSE d.defaclobjtype END, d.defaclrole) END AS base" \
	"  FROM pg_default_acl d WHERE d.defaclnamespace = coalesce((SELECT oid FROM pg_namespace" \
	"    WHERE nspname = $1), CASE WHEN $1 IS NULL THEN 0 END))," \
	" g AS (SELECT d.defaclrole, d.defaclobjtype, 'GRANT' AS op, a.grantee, a.privilege_type, a.is_grantable" \
	"  FROM d CROSS JOIN LATERAL aclexplode(d.defaclacl) a WHERE NOT EXISTS (SELECT 1 FROM aclexplode(d.base) b" \
	"    WHERE (b.grantee, b.privilege_type, b.is_grantable) = (a.grantee, a.privilege_type, a.is_grantable))" \
	"  UNION ALL SELECT d.defaclrole, d.defaclobjtype, 'REVOKE', a.grantee, a.privilege_type, false" \
	"  FROM d CROSS JOIN LATERAL aclexplode(d.base) a WHERE NOT EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) b" \
	"    WHERE (b.grantee, b.privilege_type) = (a.grantee, a.privilege_type)))" \
	" SELECT pg_get_userbyid(defaclrole) AS role, defaclobjtype::text AS objtype, op," \
	"  coalesce(pg_get_userbyid(NULLIF(grantee, 0)), '') AS grantee, privilege_type, is_grantable" \
	" FROM g ORDER BY 1, 2, 3 DESC, 4, 5"

#define CONVERSION_SQL \
	"SELECT n.nspname, c.conname, pg_encoding_to_char(c.conforencoding) AS src," \
	" pg_encoding_to_char(c.contoencoding) AS dst, pn.nspname AS fnsp, p.proname AS fname, c.condefault," \
	" pg_get_userbyid(c.conowner) AS owner, obj_description(c.oid, 'pg_conversion') AS comment" \
	" FROM pg_conversion c JOIN pg_namespace n ON n.oid = c.connamespace" \
	" JOIN pg_proc p ON p.oid = c.conproc JOIN pg_namespace pn ON pn.oid = p.pronamespace" \
	" WHERE c.oid = $1::oid"

#define FUNCTION_IDENTITY_SQL \
	"SELECT pg_get_function_identity_arguments(p.oid) FROM pg_proc p WHERE p.oid = $1::oid"

#define REGPROCEDURE_SQL \
	"SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.oid = $1::oid"

#define RELISPOPULATED_SQL \
	"SELECT relispopulated FROM pg_class WHERE oid = $1::oid"

const PgcQuery pgc_q_type = {TYPE_SQL, "type", "T"};
const PgcQuery pgc_q_domain_checks = {DOMAIN_CHECKS_SQL, "domain constraints", "T"};
const PgcQuery pgc_q_sequence = {SEQ_SQL, "sequence", "S"};
const PgcQuery pgc_q_function = {FUNC_SQL, "function", "FA"};
const PgcQuery pgc_q_aggregate = {AGG_SQL, "aggregate", "A"};
const PgcQuery pgc_q_view = {VIEW_SQL, "view", "VM"};
const PgcQuery pgc_q_relcols = {RELCOLS_SQL, "columns", "VM"};
const PgcQuery pgc_q_relindexes = {RELINDEXES_SQL, "indexes", "M"};
const PgcQuery pgc_q_rules = {RULES_SQL, "rules", "RVME"};
const PgcQuery pgc_q_view_triggers = {VIEW_TRIGGERS_SQL, "triggers", "VE"};
const PgcQuery pgc_q_schema = {SCHEMA_SQL, "schema", "n"};
const PgcQuery pgc_q_collation = {COLLATION_SQL, "collation", "C"};
const PgcQuery pgc_q_default_acl = {DEFACL_SQL, "default privileges", "n"};
const PgcQuery pgc_q_conversion = {CONVERSION_SQL, "conversion", "N"};
const PgcQuery pgc_q_function_identity = {FUNCTION_IDENTITY_SQL, "function", "FA"};
const PgcQuery pgc_q_regprocedure = {REGPROCEDURE_SQL, "function", "FA"};
const PgcQuery pgc_q_relispopulated = {RELISPOPULATED_SQL, "materialized view", "M"};
