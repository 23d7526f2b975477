/*
 * mask_policy.c — masking local tables: pgclone.mask_in_place() (static
 * masking, one set-based UPDATE) and pgclone.create_masking_policy() /
 * drop_masking_policy() (dynamic masking: a security_barrier view plus
 * grants).  The mask expressions are the clone-time ones (mask.c).
 *
 * A policy records the table's privileges as they were before it, in
 * pgclone.masking_policies, so dropping it restores exactly those: a table
 * that was private never becomes world-readable.
 */
#include "mask/mask.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(pgclone_mask_in_place);
PG_FUNCTION_INFO_V1(pgclone_create_masking_policy);
PG_FUNCTION_INFO_V1(pgclone_drop_masking_policy);

#define LOCAL_COLUMNS_SQL \
	"SELECT a.attname::pg_catalog.text, pg_catalog.format_type(a.atttypid, a.atttypmod)," \
	" a.attnotnull, a.attgenerated::pg_catalog.text," \
	" EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid" \
	"   AND i.indisunique AND a.attnum = ANY (i.indkey::pg_catalog.int2[])) AS uniq" \
	" FROM pg_catalog.pg_attribute a" \
	" WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"

/* A local table's columns as a PgcTable, all selected.  Inside SPI. */
static PgcTable *
local_table(const char *schema, const char *table, Oid *relid_out)
{
	Oid			nsp = get_namespace_oid(schema, false);
	Oid			relid = get_relname_relid(table, nsp);
	PgcTable   *t = palloc0(sizeof(PgcTable));
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	uint64		i;
	char		kind;

	t->nspname = pstrdup(schema);
	t->relname = pstrdup(table);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s does not exist", pgc_qname(schema, table))));
	kind = get_rel_relkind(relid);
	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not a table", pgc_qname(schema, table))));
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args(LOCAL_COLUMNS_SQL, 1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not read the columns of %s", pgc_qname(schema, table));
	t->ncols = SPI_processed;
	t->cols = palloc0(sizeof(PgcColumn) * Max(t->ncols, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		PgcColumn  *c = &t->cols[i];
		char	   *gen = SPI_getvalue(tup, td, 4);

		c->name = SPI_getvalue(tup, td, 1);
		c->type = SPI_getvalue(tup, td, 2);
		c->notnull = strcmp(SPI_getvalue(tup, td, 3), "t") == 0;
		c->generated = gen ? gen[0] : '\0';
		c->selected = true;
		c->unique = strcmp(SPI_getvalue(tup, td, 5), "t") == 0;
	}
	*relid_out = relid;
	return t;
}

static Oid
rel_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

static void
require_owner(Oid relid, PgcTable *t)
{
	if (!pgc_relation_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s", pgc_qname(t->nspname, t->relname))));
}

static void
require_nonempty(Jsonb *mask)
{
	if (pgc_mask_ncolumns(mask) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mask names no columns")));
}

/* ---------- pgclone.mask_in_place(schema, table, mask_json) ---------- */

Datum
pgclone_mask_in_place(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int			spi;
	MemoryContext outer = CurrentMemoryContext;
	char	   *schema = pgc_text_arg(fcinfo, 0, "schema_name");
	char	   *table = pgc_text_arg(fcinfo, 1, "table_name");
	Jsonb	   *mask = pgc_mask_parse_text(pgc_text_arg(fcinfo, 2, "mask_json"), "mask_json");
	StringInfoData sql;
	PgcTable   *t;
	Oid			relid;
	int			i,
				k = 0;
	uint64		n;
	char	   *result;

	require_nonempty(mask);
	spi = pgc_spi_connect();
	t = local_table(schema, table, &relid);
	pgc_mask_validate(mask, t);

	initStringInfo(&sql);
	appendStringInfo(&sql, "UPDATE %s SET ", pgc_qname(schema, table));
	for (i = 0; i < t->ncols; i++)
	{
		char	   *e = pgc_mask_expr(mask, t, &t->cols[i], PG_VERSION_NUM, pgc_mask_salt(NULL));

		if (e == NULL)
			continue;
		appendStringInfo(&sql, "%s%s = (%s)::%s", k++ ? ", " : "",
						 quote_identifier(t->cols[i].name), e, t->cols[i].type);
	}
	if (SPI_execute(sql.data, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pgclone: masking UPDATE failed on %s", pgc_qname(schema, table));
	n = SPI_processed;
	result = psprintf("OK: masked " UINT64_FORMAT " rows in %s (%d column%s)",
					  n, pgc_qname(schema, table), k, k == 1 ? "" : "s");
	result = MemoryContextStrdup(outer, result);
	pgc_spi_finish(spi);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/* ---------- masking policies ---------- */

/*
 * Bring the table's privileges back to "acl" (a text aclitem[]): revoke what
 * is there and was not, grant what was and is not.  Grantors are not
 * compared: the statements run as the owner would.
 */
#define ACL_DIFF_SQL \
	"WITH cur AS (SELECT (pg_catalog.aclexplode(COALESCE(c.relacl," \
	"   pg_catalog.acldefault('r', c.relowner)))).* FROM pg_catalog.pg_class c WHERE c.oid = $1)," \
	" orig AS (SELECT (pg_catalog.aclexplode($2::pg_catalog.aclitem[])).*)," \
	" d AS (SELECT 0 AS ord, * FROM (SELECT grantee, privilege_type, is_grantable FROM cur" \
	"   EXCEPT SELECT grantee, privilege_type, is_grantable FROM orig) r" \
	"   UNION ALL SELECT 1, * FROM (SELECT grantee, privilege_type, is_grantable FROM orig" \
	"   EXCEPT SELECT grantee, privilege_type, is_grantable FROM cur) g)" \
	" SELECT CASE WHEN ord = 0 THEN 'REVOKE ' || privilege_type || ' ON TABLE ' || $3 || ' FROM '" \
	"   ELSE 'GRANT ' || privilege_type || ' ON TABLE ' || $3 || ' TO ' END" \
	" || CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(grantee)) END" \
	" || CASE WHEN ord = 1 AND is_grantable THEN ' WITH GRANT OPTION' ELSE '' END" \
	" FROM d ORDER BY ord, grantee, privilege_type"

static void
restore_acl(Oid relid, const char *qtable, const char *acl)
{
	Oid			argtypes[3] = {OIDOID, TEXTOID, TEXTOID};
	Datum		args[3] = {ObjectIdGetDatum(relid), CStringGetTextDatum(acl),
	CStringGetTextDatum(qtable)};
	List	   *stmts = NIL;
	uint64		i;

	/* the table name is a parameter: it is never spliced into this query */
	if (SPI_execute_with_args(ACL_DIFF_SQL, 3, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not compare the privileges of %s", qtable);
	for (i = 0; i < SPI_processed; i++)
		stmts = lappend(stmts, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	pgc_exec_list(stmts);
}

/* The recorded original privileges of relid, or NULL if no policy */
static char *
recorded_acl(Oid relid, char **view)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};

	if (SPI_execute_with_args("SELECT original_acl::pg_catalog.text, view_name"
							  " FROM pgclone.masking_policies WHERE relid = $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not read pgclone.masking_policies");
	if (SPI_processed == 0)
		return NULL;
	if (view)
		*view = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

static void
record_policy(Oid relid, PgcTable *t, const char *view, const char *role, Jsonb *mask)
{
	Oid			argtypes[6] = {OIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Datum		args[6] = {ObjectIdGetDatum(relid), CStringGetTextDatum(t->nspname),
		CStringGetTextDatum(t->relname), CStringGetTextDatum(view),
	CStringGetTextDatum(role), JsonbPGetDatum(mask)};

	/* the first policy's original privileges are kept when one is replaced */
	if (SPI_execute_with_args("INSERT INTO pgclone.masking_policies AS p"
							  " (relid, schema_name, table_name, view_name, role_name, mask, original_acl)"
							  " SELECT $1, $2, $3, $4, $5, $6, COALESCE(c.relacl,"
							  "   pg_catalog.acldefault('r', c.relowner))"
							  " FROM pg_catalog.pg_class c WHERE c.oid = $1"
							  " ON CONFLICT (relid) DO UPDATE SET schema_name = $2, table_name = $3,"
							  "   view_name = $4, role_name = $5, mask = $6, created_at = pg_catalog.now()",
							  6, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "pgclone: could not record the masking policy");
}

static char *
view_name_for(PgcTable *t)
{
	char	   *v = psprintf("%s_masked", t->relname);

	if (strlen(v) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("masked view name \"%s\" is too long", v),
				 errdetail("View names are limited to %d bytes.", NAMEDATALEN - 1)));
	return v;
}

static char *
view_select(Jsonb *mask, PgcTable *t)
{
	StringInfoData sql;
	int			i;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (i = 0; i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];
		/* not pgclone.mask_salt: the text of a view is readable by everyone */
		char	   *e = pgc_mask_expr(mask, t, c, PG_VERSION_NUM, NULL);

		if (i > 0)
			appendStringInfoString(&sql, ", ");
		if (e)
			appendStringInfo(&sql, "(%s)::%s AS %s", e, c->type, quote_identifier(c->name));
		else
			appendStringInfoString(&sql, quote_identifier(c->name));
	}
	appendStringInfo(&sql, " FROM %s", pgc_qname(t->nspname, t->relname));
	return sql.data;
}

/* Roles besides the owner and the privileged role that still read the table directly */
static void
notice_other_readers(Oid relid, PgcTable *t, Oid roleid)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		args[2] = {ObjectIdGetDatum(relid), ObjectIdGetDatum(roleid)};
	char	   *who;
	bool		isnull;

	if (SPI_execute_with_args("SELECT pg_catalog.string_agg(pg_catalog.quote_ident("
							  "pg_catalog.pg_get_userbyid(a.grantee)), ', ' ORDER BY 1)"
							  " FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a"
							  " WHERE c.oid = $1 AND a.privilege_type = 'SELECT'"
							  " AND a.grantee NOT IN (0, c.relowner, $2)",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not read the privileges of %s", pgc_qname(t->nspname, t->relname));
	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return;
	who = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	ereport(NOTICE,
			(errmsg("these roles can still read %s unmasked: %s",
					pgc_qname(t->nspname, t->relname), who),
			 errhint("REVOKE SELECT from them if they should see only the masked view.")));
}

Datum
pgclone_create_masking_policy(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int			spi;
	MemoryContext outer = CurrentMemoryContext;
	char	   *schema = pgc_text_arg(fcinfo, 0, "schema_name");
	char	   *table = pgc_text_arg(fcinfo, 1, "table_name");
	Jsonb	   *mask = pgc_mask_parse_text(pgc_text_arg(fcinfo, 2, "mask_json"), "mask_json");
	char	   *role = pgc_text_arg(fcinfo, 3, "privileged_role");
	Oid			roleid = get_role_oid(role, false);
	PgcTable   *t;
	Oid			relid;
	Oid			viewid;
	char	   *view;
	char	   *qtable;
	char	   *qview;
	char	   *orig;
	char	   *result;

	require_nonempty(mask);
	spi = pgc_spi_connect();
	t = local_table(schema, table, &relid);
	require_owner(relid, t);
	pgc_mask_validate(mask, t);
	view = view_name_for(t);
	qtable = pgc_qname(schema, table);
	qview = pgc_qname(schema, view);
	viewid = get_relname_relid(view, get_namespace_oid(schema, false));
	if (OidIsValid(viewid) && get_rel_relkind(viewid) != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s exists and is not a view", qview)));

	/* a replaced policy starts again from the privileges before the first one */
	orig = recorded_acl(relid, NULL);
	if (orig)
		restore_acl(relid, qtable, orig);
	record_policy(relid, t, view, role, mask);

	pgc_local_exec(psprintf("CREATE OR REPLACE VIEW %s WITH (security_barrier) AS %s",
							qview, view_select(mask, t)));
	/* the view reads the table with its owner's rights: the table owner's, not ours */
	pgc_local_exec(psprintf("ALTER VIEW %s OWNER TO %s", qview,
							quote_identifier(GetUserNameFromId(rel_owner(relid), false))));
	pgc_local_exec(psprintf("REVOKE SELECT ON TABLE %s FROM PUBLIC", qtable));
	pgc_local_exec(psprintf("GRANT SELECT ON TABLE %s TO PUBLIC", qview));
	pgc_local_exec(psprintf("GRANT SELECT ON TABLE %s TO %s", qtable, quote_identifier(role)));
	notice_other_readers(relid, t, roleid);

	result = psprintf("OK: masking policy on %s: view %s (%d masked column%s), raw access for %s",
					  qtable, qview, pgc_mask_ncolumns(mask),
					  pgc_mask_ncolumns(mask) == 1 ? "" : "s", quote_identifier(role));
	result = MemoryContextStrdup(outer, result);
	pgc_spi_finish(spi);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

Datum
pgclone_drop_masking_policy(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int			spi;
	MemoryContext outer = CurrentMemoryContext;
	char	   *schema = pgc_text_arg(fcinfo, 0, "schema_name");
	char	   *table = pgc_text_arg(fcinfo, 1, "table_name");
	PgcTable   *t;
	Oid			relid;
	Oid			viewid;
	char	   *orig;
	char	   *view = NULL;
	char	   *qtable;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	char	   *result;

	spi = pgc_spi_connect();
	t = local_table(schema, table, &relid);
	require_owner(relid, t);
	qtable = pgc_qname(schema, table);
	orig = recorded_acl(relid, &view);
	if (orig == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("there is no masking policy on %s", qtable)));
	viewid = get_relname_relid(view, get_rel_namespace(relid));
	if (OidIsValid(viewid) && get_rel_relkind(viewid) == RELKIND_VIEW)
		pgc_local_exec(psprintf("DROP VIEW %s", pgc_qname(schema, view)));
	restore_acl(relid, qtable, orig);
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args("DELETE FROM pgclone.masking_policies WHERE relid = $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "pgclone: could not delete the masking policy record");
	result = MemoryContextStrdup(outer, psprintf("OK: dropped masking policy on %s", qtable));
	pgc_spi_finish(spi);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}
