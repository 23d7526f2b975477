/*
 * read_kinds.c — the source rows of casts, foreign tables, operators,
 * operator families and classes, and text search objects: the query texts
 * the DDL of ddl/cast.c, foreign.c, operator.c, opclass.c and tsearch.c is
 * built from.  Read through read_batch.c, one query per kind for the plan.
 */
#include "catalog/reader.h"

/* cast.c */
#define CAST_SQL \
	"SELECT format_type(c.castsource, NULL) AS src, format_type(c.casttarget, NULL) AS tgt," \
	" c.castmethod, c.castcontext, c.castfunc::regprocedure::text AS func," \
	" obj_description(c.oid, 'pg_cast') AS comment FROM pg_cast c WHERE c.oid = $1::oid"

/* foreign.c */
#define FTABLE_SQL \
	"SELECT n.nspname, c.relname, s.srvname, pg_get_userbyid(c.relowner) AS owner," \
	" obj_description(c.oid, 'pg_class') AS comment," \
	ACL_OF("c.relacl", "c.relowner") "," \
	" c.relispartition, pg_get_expr(c.relpartbound, c.oid) AS bound," \
	" (SELECT count(*) FROM pg_inherits i WHERE i.inhrelid = c.oid) AS nparents," \
	" (SELECT pn.nspname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent" \
	"   JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid LIMIT 1) AS parent_nsp," \
	" (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent" \
	"   WHERE i.inhrelid = c.oid LIMIT 1) AS parent_rel" \
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" JOIN pg_foreign_table ft ON ft.ftrelid = c.oid" \
	" JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE c.oid = $1::oid"

#define FCOLS_SQL \
	"SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull," \
	" a.attgenerated, pg_get_expr(d.adbin, d.adrelid) AS defexpr, a.attislocal," \
	" CASE WHEN a.attcollation <> t.typcollation THEN cn.nspname END AS collnsp," \
	" CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collname," \
	" col_description(a.attrelid, a.attnum) AS comment" \
	" FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid" \
	" LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum" \
	" LEFT JOIN pg_collation co ON co.oid = a.attcollation" \
	" LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace" \
	" WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"

/* table options (attnum 0) and column options, in their stored order */
#define FOPTIONS_SQL \
	"SELECT 0 AS attnum, o.ord, o.name, o.value FROM pg_foreign_table ft" \
	" CROSS JOIN LATERAL pg_options_to_table(ft.ftoptions) WITH ORDINALITY o(name, value, ord)" \
	" WHERE ft.ftrelid = $1::oid" \
	" UNION ALL SELECT a.attnum, o.ord, o.name, o.value FROM pg_attribute a" \
	" CROSS JOIN LATERAL pg_options_to_table(a.attfdwoptions) WITH ORDINALITY o(name, value, ord)" \
	" WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2"

#define FCHECKS_SQL \
	"SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint" \
	" WHERE conrelid = $1::oid AND contype = 'c' AND conislocal ORDER BY conname"

/* operator.c */
#define OPERATOR_SQL \
	"SELECT n.nspname, o.oprname, o.oprkind," \
	" CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END AS lt," \
	" CASE WHEN o.oprright <> 0 THEN format_type(o.oprright, NULL) END AS rt," \
	" fn.nspname AS fnsp, f.proname AS fname," \
	" cn.nspname AS cnsp, c.oprname AS cname, nn.nspname AS nnsp, ng.oprname AS nname," \
	" rn.nspname AS rnsp, r.proname AS rname, jn.nspname AS jnsp, j.proname AS jname," \
	" o.oprcanhash, o.oprcanmerge, pg_get_userbyid(o.oprowner) AS owner," \
	" obj_description(o.oid, 'pg_operator') AS comment" \
	" FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace" \
	" JOIN pg_proc f ON f.oid = o.oprcode JOIN pg_namespace fn ON fn.oid = f.pronamespace" \
	" LEFT JOIN pg_operator c ON c.oid = o.oprcom LEFT JOIN pg_namespace cn ON cn.oid = c.oprnamespace" \
	" LEFT JOIN pg_operator ng ON ng.oid = o.oprnegate LEFT JOIN pg_namespace nn ON nn.oid = ng.oprnamespace" \
	" LEFT JOIN pg_proc r ON r.oid = o.oprrest LEFT JOIN pg_namespace rn ON rn.oid = r.pronamespace" \
	" LEFT JOIN pg_proc j ON j.oid = o.oprjoin LEFT JOIN pg_namespace jn ON jn.oid = j.pronamespace" \
	" WHERE o.oid = $1::oid"

/* opclass.c */
#define FAMILY_SQL \
	"SELECT n.nspname, f.opfname AS name, am.amname, pg_get_userbyid(f.opfowner) AS owner," \
	" obj_description(f.oid, 'pg_opfamily') AS comment" \
	" FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace" \
	" JOIN pg_am am ON am.oid = f.opfmethod WHERE f.oid = $1::oid"

#define CLASS_SQL \
	"SELECT n.nspname, c.opcname AS name, am.amname, c.opcdefault," \
	" format_type(c.opcintype, NULL) AS intype, fn.nspname AS fnsp, f.opfname AS fname," \
	" CASE WHEN c.opckeytype <> 0 THEN format_type(c.opckeytype, NULL) END AS keytype," \
	" pg_get_userbyid(c.opcowner) AS owner, obj_description(c.oid, 'pg_opclass') AS comment" \
	" FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace" \
	" JOIN pg_am am ON am.oid = c.opcmethod JOIN pg_opfamily f ON f.oid = c.opcfamily" \
	" JOIN pg_namespace fn ON fn.oid = f.opfnamespace WHERE c.oid = $1::oid"

/* members owned by $1 (a class: deptype 'i'; a family: its loose ones, 'a') */
#define MEMBERS_SQL(refclass, deptype) \
	"SELECT 1 AS ord, o.amopstrategy AS num, opn.nspname AS onsp, op.oprname," \
	" format_type(o.amoplefttype, NULL) AS lt, format_type(o.amoprighttype, NULL) AS rt," \
	" o.amoppurpose::text AS purpose, sfn.nspname AS sfnsp, sf.opfname AS sfname, NULL AS fn" \
	" FROM pg_amop o JOIN pg_depend d ON d.classid = 'pg_amop'::regclass AND d.objid = o.oid" \
	" JOIN pg_operator op ON op.oid = o.amopopr JOIN pg_namespace opn ON opn.oid = op.oprnamespace" \
	" LEFT JOIN pg_opfamily sf ON sf.oid = o.amopsortfamily LEFT JOIN pg_namespace sfn ON sfn.oid = sf.opfnamespace" \
	" WHERE d.refclassid = '" refclass "'::regclass AND d.refobjid = $1::oid AND d.deptype = '" deptype "'" \
	" UNION ALL SELECT 2, p.amprocnum, NULL, NULL, format_type(p.amproclefttype, NULL)," \
	" format_type(p.amprocrighttype, NULL), NULL, NULL, NULL, p.amproc::regprocedure::text" \
	" FROM pg_amproc p JOIN pg_depend d ON d.classid = 'pg_amproc'::regclass AND d.objid = p.oid" \
	" WHERE d.refclassid = '" refclass "'::regclass AND d.refobjid = $1::oid AND d.deptype = '" deptype "'" \
	" ORDER BY 1, 2, 5, 6"

/*
 * Event triggers, for database() (ddl/cast.c): those no extension owns, in
 * name order.  One statement for the source, not per object.
 */
#define EVTRIG_SQL \
	"SELECT e.evtname, e.evtevent, e.evtenabled, fn.nspname AS fnsp, f.proname AS fname," \
	" array_to_string(e.evttags, E'\\x1f') AS tags," \
	" pg_get_userbyid(e.evtowner) AS owner, obj_description(e.oid, 'pg_event_trigger') AS comment" \
	" FROM pg_event_trigger e JOIN pg_proc f ON f.oid = e.evtfoid" \
	" JOIN pg_namespace fn ON fn.oid = f.pronamespace" \
	" WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_event_trigger'::regclass" \
	"                   AND d.objid = e.oid AND d.deptype = 'e')" \
	" ORDER BY e.evtname"

/* tsearch.c */
#define DICT_SQL \
	"SELECT n.nspname, d.dictname, tn.nspname AS tmplnsp, t.tmplname, d.dictinitoption," \
	" pg_get_userbyid(d.dictowner) AS owner, obj_description(d.oid, 'pg_ts_dict') AS comment" \
	" FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace" \
	" JOIN pg_ts_template t ON t.oid = d.dicttemplate" \
	" JOIN pg_namespace tn ON tn.oid = t.tmplnamespace WHERE d.oid = $1::oid"

#define CONFIG_SQL \
	"SELECT n.nspname, c.cfgname, pn.nspname AS prsnsp, p.prsname," \
	" pg_get_userbyid(c.cfgowner) AS owner, obj_description(c.oid, 'pg_ts_config') AS comment" \
	" FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace" \
	" JOIN pg_ts_parser p ON p.oid = c.cfgparser" \
	" JOIN pg_namespace pn ON pn.oid = p.prsnamespace WHERE c.oid = $1::oid"

/* a function of a template or parser: schema and name, NULL if none */
#define TS_FN(col, alias) \
	" (SELECT pn.nspname FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace" \
	"   WHERE p.oid = " col ") AS " alias "_nsp," \
	" (SELECT p.proname FROM pg_proc p WHERE p.oid = " col ") AS " alias "_name,"

#define TEMPLATE_SQL \
	"SELECT n.nspname, t.tmplname AS name," TS_FN("t.tmplinit", "init") TS_FN("t.tmpllexize", "lexize") \
	" obj_description(t.oid, 'pg_ts_template') AS comment" \
	" FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace WHERE t.oid = $1::oid"

#define PARSER_SQL \
	"SELECT n.nspname, p0.prsname AS name," TS_FN("p0.prsstart", "start") TS_FN("p0.prstoken", "gettoken") \
	TS_FN("p0.prsend", "end") TS_FN("p0.prslextype", "lextypes") TS_FN("p0.prsheadline", "headline") \
	" obj_description(p0.oid, 'pg_ts_parser') AS comment" \
	" FROM pg_ts_parser p0 JOIN pg_namespace n ON n.oid = p0.prsnamespace WHERE p0.oid = $1::oid"

/* one row per token type and dictionary, in mapping order */
#define MAPPING_SQL \
	"SELECT (SELECT t.alias FROM ts_token_type(c.cfgparser) t WHERE t.tokid = m.maptokentype) AS token," \
	" dn.nspname, d.dictname" \
	" FROM pg_ts_config_map m JOIN pg_ts_config c ON c.oid = m.mapcfg" \
	" JOIN pg_ts_dict d ON d.oid = m.mapdict JOIN pg_namespace dn ON dn.oid = d.dictnamespace" \
	" WHERE m.mapcfg = $1::oid ORDER BY m.maptokentype, m.mapseqno"

const PgcQuery pgc_q_cast = {CAST_SQL, "cast", "K"};
const PgcQuery pgc_q_foreign_table = {FTABLE_SQL, "foreign table", "E"};
const PgcQuery pgc_q_foreign_columns = {FCOLS_SQL, "foreign table", "E"};
const PgcQuery pgc_q_foreign_options = {FOPTIONS_SQL, "foreign table", "E"};
const PgcQuery pgc_q_foreign_checks = {FCHECKS_SQL, "foreign table", "E"};
const PgcQuery pgc_q_operator = {OPERATOR_SQL, "operator", "O"};
const PgcQuery pgc_q_opfamily = {FAMILY_SQL, "operator family", "Y"};
const PgcQuery pgc_q_opclass = {CLASS_SQL, "operator class", "Z"};
const PgcQuery pgc_q_opfamily_members = {MEMBERS_SQL("pg_opfamily", "a"), "operator family", "Y"};
const PgcQuery pgc_q_opclass_members = {MEMBERS_SQL("pg_opclass", "i"), "operator class", "Z"};
const PgcQuery pgc_q_ts_dictionary = {DICT_SQL, "text search dictionary", "D"};
const PgcQuery pgc_q_ts_configuration = {CONFIG_SQL, "text search configuration", "X"};
const PgcQuery pgc_q_ts_mapping = {MAPPING_SQL, "text search configuration", "X"};
const PgcQuery pgc_q_ts_template = {TEMPLATE_SQL, "text search template", "W"};
const PgcQuery pgc_q_ts_parser = {PARSER_SQL, "text search parser", "P"};

PgcRows *
pgc_read_event_triggers(PgcCatalog *cat)
{
	return pgc_query(pgc_catalog_conn(cat), EVTRIG_SQL);
}
