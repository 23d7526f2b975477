/*
 * table.c — pgclone.table() and pgclone.table_ex(): clone one table.
 *
 * Runs in the caller's transaction: an error or a ROLLBACK leaves nothing.
 * Order: conflict handling, structure, data (COPY ... FREEZE into the table we
 * just created), then constraints, indexes, foreign keys and triggers, so the
 * load neither fires triggers nor maintains indexes row by row.
 */
#include "clone/schema.h"
#include "mask/mask.h"
#include "remote/srcver.h"
#include "catalog/pg_class_d.h"

#include "executor/spi.h"
#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "catalog/namespace.h"

PG_FUNCTION_INFO_V1(pgclone_table);
PG_FUNCTION_INFO_V1(pgclone_table_ex);

typedef struct CloneCtx
{
	const char *what;
} CloneCtx;

static void
clone_error_context(void *arg)
{
	CloneCtx   *c = arg;

	errcontext("pgclone: %s", c->what);
}

/* Rename a table and the objects named after it: orders_pkey -> orders_old_pkey */
static void
rename_existing(const char *nsp, const char *rel, const char *newrel)
{
	Oid			relid = get_relname_relid(rel, get_namespace_oid(nsp, false));
	char	   *qt = pgc_qname(nsp, rel);
	StringInfoData q;
	int			i;

	if (pgc_local_relation_exists(nsp, newrel))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("cannot rename %s to \"%s\": that relation already exists",
						qt, newrel),
				 errhint("Drop or rename %s first.", pgc_qname(nsp, newrel))));

	/*
	 * indexes (constraint indexes rename their constraint too) and sequences;
	 * partitions depend on their parent too, but keep their names
	 */
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c"
					 " WHERE c.oid IN (SELECT indexrelid FROM pg_catalog.pg_index WHERE indrelid = %u"
					 " UNION SELECT objid FROM pg_catalog.pg_depend WHERE refobjid = %u"
					 "   AND classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND deptype IN ('a','i'))"
					 " AND c.relkind IN ('i', 'I', 'S')"
					 " AND c.relname LIKE %s ESCAPE '\\'",
					 relid, relid,
					 quote_literal_cstr(psprintf("%s%%", rel)));
	if (SPI_execute(q.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not list objects of %s", qt);
	{
		uint64		n = SPI_processed;
		SPITupleTable *tt = SPI_tuptable;
		List	   *stmts = NIL;

		for (i = 0; i < n; i++)
		{
			char	   *name = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
			char	   *kind = SPI_getvalue(tt->vals[i], tt->tupdesc, 2);

			if (strncmp(name, rel, strlen(rel)) != 0)
				continue;
			stmts = lappend(stmts,
							psprintf("ALTER %s %s RENAME TO %s",
									 kind[0] == 'S' ? "SEQUENCE" : "INDEX",
									 pgc_qname(nsp, name),
									 quote_identifier(pgc_derive_name(name, rel, newrel))));
		}
		/* other constraints (CHECK, FK) named after the table */
		resetStringInfo(&q);
		appendStringInfo(&q,
						 "SELECT conname FROM pg_catalog.pg_constraint WHERE conrelid = %u"
						 " AND conindid = 0 AND conislocal",
						 relid);
		if (SPI_execute(q.data, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "pgclone: could not list constraints of %s", qt);
		n = SPI_processed;
		tt = SPI_tuptable;
		for (i = 0; i < n; i++)
		{
			char	   *name = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);

			if (strncmp(name, rel, strlen(rel)) == 0)
				stmts = lappend(stmts,
								psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
										 quote_identifier(name),
										 quote_identifier(pgc_derive_name(name, rel, newrel))));
		}
		pgc_exec_list(stmts);
	}
	pgc_local_exec(psprintf("ALTER TABLE %s RENAME TO %s", qt, quote_identifier(newrel)));
}

/*
 * Apply the conflict mode to an existing target; returns false when the
 * clone must be skipped.
 */
bool
pgc_resolve_conflict(const char *nsp, const char *rel, const PgcOptions *opts)
{
	char	   *qt;

	if (!pgc_local_relation_exists(nsp, rel))
		return true;
	qt = pgc_qname(nsp, rel);
	switch (opts->conflict)
	{
		case PGC_CONFLICT_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("target table %s already exists", qt),
					 errhint("Use the \"conflict\" option: \"skip\", \"replace\" or \"rename\".")));
			break;
		case PGC_CONFLICT_SKIP:
			ereport(NOTICE, (errmsg("target table %s already exists, skipping", qt)));
			return false;
		case PGC_CONFLICT_REPLACE:
			/* only what this clone creates again: the table itself */
			pgc_dependents_check(RelationRelationId,
								 get_relname_relid(rel, get_namespace_oid(nsp, false)),
								 psprintf("table %s", qt), opts->cascade, NULL, NULL);
			pgc_local_exec(psprintf("DROP TABLE %s CASCADE", qt));
			break;
		case PGC_CONFLICT_RENAME:
			rename_existing(nsp, rel, psprintf("%s_old", rel));
			pgc_dependents_renamed("table", qt, psprintf("%s_old", rel));
			break;
	}
	return true;
}

/*
 * A clone resolves names in the schemas it writes to and reuses what it
 * finds there (a domain, a function overload, "conflict": "skip"), with the
 * caller's rights.  So only the caller, superusers and the schema's owner
 * may be able to create objects in an existing target schema (CVE-2018-1058
 * class).  Objects already there are trusted.  The caller holds an SPI connection.
 */
#define SCHEMA_WRITERS_SQL \
	"SELECT who FROM (" \
	"SELECT NULL::pg_catalog.name AS who, 0 AS ord FROM pg_catalog.pg_namespace n," \
	"   pg_catalog.aclexplode(n.nspacl) a" \
	" WHERE n.oid = $1 AND a.grantee = 0 AND a.privilege_type = 'CREATE'" \
	" UNION ALL " \
	"SELECT r.rolname, 1 FROM pg_catalog.pg_roles r, pg_catalog.pg_namespace n" \
	" WHERE n.oid = $1 AND NOT r.rolsuper AND r.rolname <> 'pg_database_owner'" \
	"   AND NOT pg_catalog.pg_has_role(r.oid, n.nspowner, 'USAGE')" \
	"   AND r.oid <> $2 AND NOT (pg_catalog.pg_has_role($2, r.oid, 'USAGE')" \
	"        AND NOT (SELECT u.rolsuper FROM pg_catalog.pg_roles u WHERE u.oid = $2))" \
	"   AND pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')" \
	") w ORDER BY ord, who COLLATE \"C\" LIMIT 1"

void
pgc_require_trusted_schema(const char *nsp)
{
	Oid			nspoid = get_namespace_oid(nsp, true);
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		args[2];

	if (!OidIsValid(nspoid))
		return;
	args[0] = ObjectIdGetDatum(nspoid);
	args[1] = ObjectIdGetDatum(GetUserId());
	if (SPI_execute_with_args(SCHEMA_WRITERS_SQL, 2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not read the privileges of schema %s", quote_identifier(nsp));
	if (SPI_processed > 0)
	{
		char	   *role = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *who = role ? psprintf("role \"%s\"", role) : "PUBLIC";

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("target schema \"%s\" is writable by %s", nsp, who),
				 errdetail("Objects another role creates there (types, functions, operators) would be used by the clone with your privileges."),
				 errhint("REVOKE CREATE ON SCHEMA %s FROM %s (and review what it owns there), or clone into a schema only you, its owner and superusers can create objects in.",
						 quote_identifier(nsp), role ? quote_identifier(role) : "PUBLIC")));
	}
}

void
pgc_ensure_schema(const char *nsp)
{
	if (OidIsValid(get_namespace_oid(nsp, true)))
	{
		pgc_require_trusted_schema(nsp);
		return;
	}
	ereport(NOTICE, (errmsg("creating schema %s on the target", quote_identifier(nsp))));
	pgc_local_exec(psprintf("CREATE SCHEMA %s", quote_identifier(nsp)));
}

static char *clone_table_spi(PGconn *conn, const char *nsp, const char *rel,
							 const char *tgtname, bool data, const PgcOptions *opts);

/* Clone one table over an open source connection, in the caller's transaction. */
char *
pgc_clone_table(PGconn *conn, const char *nsp, const char *rel,
				const char *tgtname, bool data, const PgcOptions *opts)
{
	int			spi;
	MemoryContext outer = CurrentMemoryContext;
	char	   *result;

	/* SPI_finish frees what was palloc'd inside: copy the result out */
	spi = pgc_spi_connect();
	result = clone_table_spi(conn, nsp, rel, tgtname, data, opts);
	result = MemoryContextStrdup(outer, result);
	pgc_spi_finish(spi);
	return result;
}

static char *
clone_table_spi(PGconn *conn, const char *nsp, const char *rel,
				const char *tgtname, bool data, const PgcOptions *opts)
{
	PgcTable   *t;
	PgcTarget	tgt;
	uint64		rows = 0;

	t = pgc_fetch_table(conn, nsp, rel, opts);
	pgc_srcver_check_object(pgc_srcver_incompatible(conn, list_make1(t->nspname)),
							RelationRelationId, (Oid) strtoul(t->oid, NULL, 10));
	if (opts && opts->mask)
		pgc_mask_validate(opts->mask, t);
	if (opts)
	{
		/* foreign keys within the table, "require_masks": before anything is created */
		PgcOptions *o = palloc(sizeof(PgcOptions));

		*o = *opts;
		pgc_mask_plan(list_make1(t), list_make1(&o->mask), o);
		opts = o;
	}
	if (t->relkind == 'p')
		return pgc_clone_partition_tree(conn, t, tgtname, data, opts);
	if (t->ispartition || t->parent)
		ereport(NOTICE,
				(errmsg("%s is cloned as a standalone table, without its parent %s",
						pgc_qname(nsp, rel), t->parent)));
	tgt.nspname = (char *) nsp;
	tgt.relname = (char *) (tgtname ? tgtname : rel);
	if (strlen(tgt.relname) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("target table name \"%s\" is too long", tgt.relname)));

	pgc_ensure_schema(tgt.nspname);
	pgc_dependents_reset();
	if (!pgc_resolve_conflict(tgt.nspname, tgt.relname, opts))
		return psprintf("SKIPPED: %s already exists", pgc_qname(tgt.nspname, tgt.relname));

	pgc_exec_list(pgc_table_pre_data(t, &tgt, opts));
	if (data)
		rows = pgc_copy_table(conn, t, &tgt, opts, true);
	pgc_exec_list(pgc_table_post_data(t, &tgt, opts, true));
	pgc_exec_list(pgc_table_sequence_values(pgc_catalog(conn), t, &tgt));

	return psprintf("OK: cloned %s to %s (%s)%s",
					pgc_qname(nsp, rel), pgc_qname(tgt.nspname, tgt.relname),
					data ? psprintf(UINT64_FORMAT " rows", rows) : "structure only",
					pgc_dependents_summary());
}

static Datum
table_common(FunctionCallInfo fcinfo, PgcOptions *opts)
{
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *nsp = pgc_text_arg(fcinfo, 1, "schema_name");
	char	   *rel = pgc_text_arg(fcinfo, 2, "table_name");
	bool		data = PG_ARGISNULL(3) ? true : PG_GETARG_BOOL(3);
	char	   *tgtname = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	PGconn	   *conn;
	char	   *result;
	CloneCtx	cctx;
	ErrorContextCallback errcb;

	if (tgtname && tgtname[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target table name must not be empty")));

	cctx.what = psprintf("cloning table %s", pgc_qname(nsp, rel));
	errcb.callback = clone_error_context;
	errcb.arg = &cctx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	conn = pgc_connect(conninfo);
	pgc_begin_source_xact(conn, opts->consistent, NULL);
	result = pgc_clone_table(conn, nsp, rel, tgtname, data, opts);
	pgc_command(conn, "COMMIT");
	pgc_disconnect(conn);

	error_context_stack = errcb.previous;
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/* pgclone.table(conninfo, schema, table [, include_data [, target [, options]]]) */
Datum
pgclone_table(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	PgcOptions	opts;

	pgc_options_parse(&opts, PG_NARGS() > 5 && !PG_ARGISNULL(5) ?
					  text_to_cstring(PG_GETARG_TEXT_PP(5)) : NULL, PGC_OPTS_TABLE);
	return table_common(fcinfo, &opts);
}

/* pgclone.table_ex(conninfo, schema, table, data, target, idx, constr, trig) */
Datum
pgclone_table_ex(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	PgcOptions	opts;
	int			i;

	for (i = 5; i < 8; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the index, constraint and trigger flags must not be NULL")));
	pgc_options_init(&opts);
	opts.indexes = PG_GETARG_BOOL(5);
	opts.constraints = PG_GETARG_BOOL(6);
	opts.triggers = PG_GETARG_BOOL(7);
	return table_common(fcinfo, &opts);
}
