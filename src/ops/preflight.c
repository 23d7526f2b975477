/*
 * preflight.c — pgclone.preflight(): will a clone of this schema work?
 *
 * Eighteen checks, each recorded with a status (pass / fail / warn / info, or
 * skipped when what it needs is unavailable) and summarised into errors,
 * warnings and info messages.  Only reads: the source in a REPEATABLE READ,
 * READ ONLY transaction, the target through its catalogs.  A source that
 * cannot be reached is a failed check in the report, not an ERROR.
 */
#include "ops/ops.h"
#include "clone/schema.h"
#include "remote/srcver.h"
#include "clone/locks.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "access/twophase.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

PG_FUNCTION_INFO_V1(pgclone_preflight);

typedef struct Report
{
	const char *schema;
	StringInfoData errors;
	StringInfoData warnings;
	StringInfoData info;
	StringInfoData checks;
	int			nerr;
	int			nwarn;
	int			ninfo;
	int			run;
} Report;

static void
add_msg(StringInfo arr, int *n, const char *msg)
{
	if (arr->len > 0)
		appendStringInfoString(arr, ", ");
	ops_json_str(arr, msg);
	(*n)++;
}

/* One check: status, then extra members (", \"k\": v" text, or NULL) */
static void
add_check(Report *r, const char *name, const char *status, const char *extra)
{
	if (r->checks.len > 0)
		appendStringInfoString(&r->checks, ", ");
	appendStringInfo(&r->checks, "\"%s\": {\"status\": \"%s\"%s}", name, status,
					 extra ? extra : "");
	if (strcmp(status, "skipped") != 0)
		r->run++;
}

static void
fail(Report *r, const char *name, const char *msg)
{
	StringInfoData extra;

	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"message\": ");
	ops_json_str(&extra, msg);
	add_check(r, name, "fail", extra.data);
	add_msg(&r->errors, &r->nerr, msg);
}

static void
skip(Report *r, const char *name, const char *why)
{
	StringInfoData extra;

	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"message\": ");
	ops_json_str(&extra, why);
	add_check(r, name, "skipped", extra.data);
}

/* "a, b, c" */
static char *
names_text(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", (char *) lfirst(lc));
	return buf.data;
}

/* A JSON array of strings */
static char *
name_array(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, names)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		ops_json_str(&buf, lfirst(lc));
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

typedef struct ConnectArg
{
	const char *conninfo;
	PGconn	   *conn;
} ConnectArg;

static void
connect_source(void *arg)
{
	ConnectArg *a = arg;

	a->conn = pgc_connect(a->conninfo);
	pgc_begin_source_xact(a->conn, true, NULL);
	ops_source_session(a->conn);
}

/* Connect in a subtransaction so that failure becomes a message. */
static PGconn *
try_connect(const char *conninfo, char **message)
{
	ConnectArg	a = {conninfo, NULL};
	ErrorData  *edata = pgc_try_subxact(connect_source, &a);

	if (edata == NULL)
		return a.conn;
	*message = edata->detail ?
		psprintf("%s: %s", edata->message, edata->detail) :
		pstrdup(edata->message);
	return NULL;
}

static const char *version_sql =
"SELECT pg_catalog.current_setting('server_version') AS version,"
" (pg_catalog.current_setting('server_version_num')::int / 10000)::text AS major";

static int
check_version(Report *r, const char *name, PgcRows *v)
{
	StringInfoData extra;

	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"value\": ");
	ops_json_str(&extra, pgc_get(v, 0, "version"));
	appendStringInfo(&extra, ", \"major\": %d", pgc_get_int(v, 0, "major"));
	add_check(r, name, "info", extra.data);
	return pgc_get_int(v, 0, "major");
}

/*
 * version_compat: objects of the schema that the target cannot create (a
 * clone refuses them, 0A000), else a warning for a newer source.
 */
static void
check_versions(Report *r, PGconn *conn)
{
	int			smajor = -1;
	int			tmajor;
	List	   *items;
	StringInfoData extra;
	char	   *msg;
	ListCell   *lc;

	if (conn)
		smajor = check_version(r, "source_version", pgc_query(conn, version_sql));
	else
		skip(r, "source_version", "source connection failed");
	tmajor = check_version(r, "target_version", ops_local_query(version_sql, 0, NULL));

	if (!conn)
	{
		skip(r, "version_compat", "source connection failed");
		return;
	}
	items = pgc_srcver_incompatible(conn, list_make1(pstrdup(r->schema)));
	initStringInfo(&extra);
	if (items != NIL)
	{
		PgcCompatItem *first = linitial(items);

		appendStringInfo(&extra, ", \"count\": %d, \"items\": [", list_length(items));
		foreach(lc, items)
		{
			PgcCompatItem *it = lfirst(lc);

			appendStringInfoString(&extra, foreach_current_index(lc) ? ", {\"object\": " : "{\"object\": ");
			ops_json_str(&extra, it->object);
			appendStringInfoString(&extra, ", \"feature\": ");
			ops_json_str(&extra, it->feature);
			appendStringInfoChar(&extra, '}');
		}
		appendStringInfoChar(&extra, ']');
		msg = psprintf("%d source objects use features target major version %d does not have, first %s: %s",
					   list_length(items), tmajor, first->object, first->feature);
		appendStringInfoString(&extra, ", \"message\": ");
		ops_json_str(&extra, msg);
		add_check(r, "version_compat", "fail", extra.data);
		add_msg(&r->errors, &r->nerr, msg);
	}
	else if (smajor > tmajor)
	{
		msg = psprintf("source major version %d is newer than target major version %d:"
					   " no object of the schema needs a feature the target does not have,"
					   " but definitions are written in the source's dialect",
					   smajor, tmajor);
		appendStringInfoString(&extra, ", \"message\": ");
		ops_json_str(&extra, msg);
		add_check(r, "version_compat", "warn", extra.data);
		add_msg(&r->warnings, &r->nwarn, msg);
	}
	else
		add_check(r, "version_compat", "pass", NULL);
}

/* source_permissions: USAGE on the schema, SELECT on every relation */
static void
check_source_permissions(Report *r, PGconn *conn, bool usage)
{
	const char *params[1] = {r->schema};
	PgcRows    *p;
	int			n;

	if (!usage)
	{
		fail(r, "source_permissions",
			 psprintf("source role lacks USAGE on schema \"%s\"", r->schema));
		return;
	}
	/* the relations themselves: a sequence is easily forgotten in a grant */
	p = pgc_query_params(conn,
						 "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)"
						 " FROM pg_catalog.pg_class c"
						 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						 " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
						 " AND NOT pg_catalog.has_table_privilege(c.oid, 'SELECT') ORDER BY 1",
						 1, params);
	n = p->nrows;
	if (n > 0)
	{
		char	   *msg = psprintf("source role lacks SELECT on %d relation(s) in schema \"%s\"",
								   n, r->schema);
		List	   *names = NIL;
		StringInfoData extra;
		int			i;

		for (i = 0; i < n; i++)
			names = lappend(names, pgc_val(p, i, 0));
		initStringInfo(&extra);
		appendStringInfoString(&extra, ", \"message\": ");
		ops_json_str(&extra, msg);
		appendStringInfo(&extra, ", \"items\": %s", name_array(names));
		add_check(r, "source_permissions", "fail", extra.data);
		add_msg(&r->errors, &r->nerr, msg);
	}
	else
		add_check(r, "source_permissions", "pass", NULL);
}

/*
 * row_security: tables of the schema whose rows row-level security filters
 * for the source role.  pgclone reads with row_security = off, as pg_dump
 * does, so that a clone is whole or fails: such a table would fail the
 * clone.  Exempt are superusers, BYPASSRLS roles and the table's owner
 * (unless FORCE ROW LEVEL SECURITY).
 */
static void
check_row_security(Report *r, PGconn *conn)
{
	const char *params[1] = {r->schema};
	PgcRows    *p;
	List	   *tables = NIL;
	int			i;

	p = pgc_query_params(conn,
						 "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)"
						 " FROM pg_catalog.pg_class c"
						 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						 " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relrowsecurity"
						 " AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles"
						 "          WHERE rolname = current_user)"
						 " AND (c.relforcerowsecurity OR NOT pg_catalog.pg_has_role(c.relowner, 'USAGE'))"
						 " ORDER BY 1",
						 1, params);
	for (i = 0; i < p->nrows; i++)
		tables = lappend(tables, pgc_val(p, i, 0));
	if (tables == NIL)
	{
		add_check(r, "row_security", "pass", NULL);
		return;
	}
	{
		char	   *msg = psprintf("source role is subject to row-level security on %d table(s): %s"
								   " \xe2\x80\x94 connect as a role with BYPASSRLS"
								   " (ALTER ROLE ... BYPASSRLS) or as the tables' owner,"
								   " or clone only the rows it sees with the option"
								   " {\"row_security\": true}",
								   list_length(tables), names_text(tables));
		StringInfoData extra;

		initStringInfo(&extra);
		appendStringInfoString(&extra, ", \"message\": ");
		ops_json_str(&extra, msg);
		appendStringInfo(&extra, ", \"items\": %s", name_array(tables));
		add_check(r, "row_security", "fail", extra.data);
		add_msg(&r->errors, &r->nerr, msg);
	}
}

/* on_source: the source has the schema (a clone would create it here) */
static void
check_target(Report *r, Oid nspoid, bool on_source)
{
	add_check(r, "schema_exists_target", "info",
			  OidIsValid(nspoid) ? ", \"value\": true" : ", \"value\": false");
	if (!OidIsValid(nspoid) && on_source)
		add_msg(&r->info, &r->ninfo,
				psprintf("schema \"%s\" does not exist on target; the clone will create it",
						 r->schema));
	else if (!OidIsValid(nspoid))
		add_msg(&r->info, &r->ninfo,
				psprintf("schema \"%s\" does not exist on target", r->schema));
}

static void
check_target_permissions(Report *r, Oid nspoid)
{
	if (OidIsValid(nspoid))
	{
		if (pgc_namespace_aclcheck(nspoid, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		{
			fail(r, "target_permissions",
				 psprintf("target role lacks CREATE on schema \"%s\"", r->schema));
			return;
		}
	}
	else if (pgc_database_aclcheck(MyDatabaseId, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
	{
		fail(r, "target_permissions",
			 psprintf("target role lacks CREATE on database \"%s\" (needed to create schema \"%s\")",
					  get_database_name(MyDatabaseId), r->schema));
		return;
	}
	add_check(r, "target_permissions", "pass", NULL);
}

static void
check_sizes(Report *r, PGconn *conn, bool have_schema)
{
	const char *params[1] = {r->schema};
	PgcRows    *p;

	if (have_schema)
	{
		p = pgc_query_params(conn,
							 "SELECT coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)), 0)::bigint::text"
							 " FROM pg_catalog.pg_class c"
							 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
							 " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')",
							 1, params);
		add_check(r, "estimated_size", "info", psprintf(", \"bytes\": %s", pgc_val(p, 0, 0)));
	}
	else
		skip(r, "estimated_size", "source schema unavailable");

	p = ops_local_query("SELECT pg_catalog.pg_database_size(pg_catalog.current_database())::text",
						0, NULL);
	add_check(r, "target_database_size", "info", psprintf(", \"bytes\": %s", pgc_val(p, 0, 0)));
}

static void
check_object_counts(Report *r, PGconn *conn)
{
	const char *params[1] = {r->schema};
	PgcRows    *p = pgc_query_params(conn,
									 "SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p'))::text AS tables,"
									 " count(*) FILTER (WHERE c.relkind IN ('v', 'm'))::text AS views,"
									 " count(*) FILTER (WHERE c.relkind = 'S')::text AS sequences,"
									 " count(*) FILTER (WHERE c.relkind IN ('i', 'I'))::text AS indexes"
									 " FROM pg_catalog.pg_class c"
									 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
									 " WHERE n.nspname = $1",
									 1, params);

	add_check(r, "object_counts", "info",
			  psprintf(", \"tables\": %d, \"views\": %d, \"sequences\": %d, \"indexes\": %d",
					   pgc_get_int(p, 0, "tables"), pgc_get_int(p, 0, "views"),
					   pgc_get_int(p, 0, "sequences"), pgc_get_int(p, 0, "indexes")));
}

/* The kind of a conflicting object, as "items" shows it */
static const char *
conflict_kind(PgcObject *o)
{
	switch (o->kind)
	{
		case 'T':
			return o->sub == 'd' ? "domain" : o->sub == 'e' ? "enum" : o->sub == 'r' ? "range" : "type";
		case 'F':
			return o->sub == 'p' ? "procedure" : "function";
		case 'A':
			return "aggregate";
		case 'O':
			return "operator";
		case 'C':
			return "collation";
		case 'N':
			return "conversion";
		case 'W':
			return "text search template";
		case 'P':
			return "text search parser";
		case 'D':
			return "text search dictionary";
		case 'X':
			return "text search configuration";
		case 'Y':
			return "operator family";
		case 'Z':
			return "operator class";
		default:
			return "object";
	}
}

static void
add_conflict(StringInfo items, int *n, const char *name, const char *kind)
{
	appendStringInfo(items, "%s{\"name\": ", *n > 0 ? ", " : "");
	ops_json_str(items, name);
	appendStringInfoString(items, ", \"kind\": ");
	ops_json_str(items, kind);
	appendStringInfoChar(items, '}');
	(*n)++;
}

/*
 * Every name the clone would create that the target schema already has:
 * relations (with their indexes and owned sequences) by name and relkind,
 * then the other objects of the clone's own plan, found as the clone's
 * conflict option finds them (functions by name and argument types).
 */
static void
check_name_conflicts(Report *r, PGconn *conn, Oid nspoid)
{
	const char *params[1] = {r->schema};
	PgcRows    *p = pgc_query_params(conn,
									 "SELECT c.relname, c.relkind::text AS relkind FROM pg_catalog.pg_class c"
									 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
									 " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c', 'i', 'I')"
									 " ORDER BY c.relname COLLATE \"C\"",
									 1, params);
	StringInfoData items;
	int			n = 0;
	int			i;

	initStringInfo(&items);
	for (i = 0; OidIsValid(nspoid) && i < p->nrows; i++)
		if (OidIsValid(get_relname_relid(pgc_val(p, i, 0), nspoid)))
			add_conflict(&items, &n, pgc_val(p, i, 0), pgc_val(p, i, 1));
	if (OidIsValid(nspoid))
	{
		PgcOptions	opts;
		PgcClonePlan *plan;
		int			spi;

		pgc_options_init(&opts);
		spi = pgc_spi_connect();
		plan = pgc_plan_read(conn, list_make1(pstrdup(r->schema)), false, false, &opts);
		for (i = 0; i < plan->nobjects; i++)
		{
			PgcObject  *o = &plan->objects[i];
			char	   *name = o->name;

			/* relations and composite types: found above */
			if (strchr("REVMS", o->kind) || (o->kind == 'T' && o->sub == 'c') ||
				!pgc_object_exists_locally(pgc_catalog(conn), o))
				continue;
			if (o->kind == 'F' || o->kind == 'A')
			{
				const char *a[1] = {o->oid};
				PgcRows    *f = pgc_query_params(conn,
												 "SELECT pg_catalog.pg_get_function_identity_arguments(p.oid)"
												 " FROM pg_catalog.pg_proc p WHERE p.oid = $1::oid", 1, a);

				if (f->nrows == 1)
					name = psprintf("%s(%s)", o->name, pgc_val(f, 0, 0));
			}
			add_conflict(&items, &n, name, conflict_kind(o));
		}
		pgc_spi_finish(spi);
	}
	add_check(r, "name_conflicts", n > 0 ? "warn" : "pass",
			  psprintf(", \"count\": %d, \"items\": [%s]", n, items.data));
	if (n > 0)
		add_msg(&r->warnings, &r->nwarn,
				psprintf("%d object name(s) already exist on target schema \"%s\"; "
						 "clone with the \"conflict\" option, e.g. '{\"conflict\": \"skip\"}'"
						 " (\"skip\", \"replace\" or \"rename\")",
						 n, r->schema));
}

typedef Oid (*lookup_fn) (const char *name, bool missing_ok);

static Oid
lookup_role(const char *name, bool missing_ok)
{
	return get_role_oid(name, missing_ok);
}

static Oid
lookup_tablespace(const char *name, bool missing_ok)
{
	return get_tablespace_oid(name, missing_ok);
}

/* Names the source query returns that lookup does not find here */
static void
check_missing(Report *r, PGconn *conn, const char *name, const char *sql,
			  lookup_fn lookup, const char *what)
{
	const char *params[1] = {r->schema};
	PgcRows    *p = pgc_query_params(conn, sql, 1, params);
	List	   *missing = NIL;
	int			i;

	for (i = 0; i < p->nrows; i++)
		if (!OidIsValid(lookup(pgc_val(p, i, 0), true)))
			missing = lappend(missing, pgc_val(p, i, 0));
	add_check(r, name, missing ? "warn" : "pass",
			  psprintf("%s, \"items\": %s",
					   missing ? psprintf(", \"count\": %d", list_length(missing)) : "",
					   name_array(missing)));
	if (missing)
		add_msg(&r->warnings, &r->nwarn, psprintf(what, list_length(missing)));
}

/*
 * missing_extensions: extensions of the source the target has not
 * installed.  One the schema's objects need (extensions.c finds them
 * through pg_depend) and the target cannot install is an error: the clone
 * would stop on it.  One they need that the target can install is info (the
 * clone creates it); one they do not use is a warning.
 */
static void
check_extensions(Report *r, PGconn *conn)
{
	List	   *exts = pgc_plan_extensions(conn, list_make1((char *) r->schema), true);
	List	   *missing = NIL,
			   *unavailable = NIL,
			   *create = NIL,
			   *unused = NIL;
	ListCell   *lc;
	const char *status;
	int			spi;

	spi = pgc_spi_connect();
	foreach(lc, exts)
	{
		PgcExtension *e = lfirst(lc);

		if (OidIsValid(get_extension_oid(e->name, true)))
			continue;
		missing = lappend(missing, e->name);
		if (!e->needed)
			unused = lappend(unused, e->name);
		else if (pgc_extension_available(e->name, NULL))
			create = lappend(create, e->name);
		else
			unavailable = lappend(unavailable, e->name);
	}
	pgc_spi_finish(spi);

	status = unavailable ? "fail" : unused ? "warn" : "pass";
	add_check(r, "missing_extensions", status,
			  psprintf("%s, \"items\": %s, \"needed_unavailable\": %s, \"will_create\": %s,"
					   " \"unused\": %s",
					   missing ? psprintf(", \"count\": %d", list_length(missing)) : "",
					   name_array(missing), name_array(unavailable), name_array(create),
					   name_array(unused)));
	if (unavailable)
		add_msg(&r->errors, &r->nerr,
				psprintf("schema \"%s\" needs %d extension(s) that the target lacks and cannot install: %s",
						 r->schema, list_length(unavailable), names_text(unavailable)));
	if (create)
		add_msg(&r->info, &r->ninfo,
				psprintf("the clone will create %d extension(s) on the target: %s",
						 list_length(create), names_text(create)));
	if (unused)
		add_msg(&r->warnings, &r->nwarn,
				psprintf("%d extension(s) installed on source are not installed on target"
						 " (not used by schema \"%s\"): %s",
						 list_length(unused), r->schema, names_text(unused)));
}

/* owners and grantees of the schema and everything in it */
static const char *roles_sql =
"WITH objs AS ("
" SELECT n.nspowner AS owner, n.nspacl AS acl FROM pg_catalog.pg_namespace n WHERE n.nspname = $1"
" UNION ALL SELECT c.relowner, c.relacl FROM pg_catalog.pg_class c"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1"
" UNION ALL SELECT p.proowner, p.proacl FROM pg_catalog.pg_proc p"
"  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1"
" UNION ALL SELECT t.typowner, t.typacl FROM pg_catalog.pg_type t"
"  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1"
" UNION ALL SELECT c.relowner, a.attacl FROM pg_catalog.pg_attribute a"
"  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
"  WHERE n.nspname = $1 AND a.attacl IS NOT NULL),"
" ids AS (SELECT owner AS id FROM objs"
"  UNION SELECT (pg_catalog.aclexplode(acl)).grantee FROM objs WHERE acl IS NOT NULL)"
" SELECT r.rolname FROM ids JOIN pg_catalog.pg_roles r ON r.oid = ids.id"
" ORDER BY r.rolname COLLATE \"C\"";

static const char *tablespaces_sql =
"SELECT t.spcname FROM pg_catalog.pg_class c"
" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace"
" WHERE n.nspname = $1 GROUP BY t.spcname ORDER BY t.spcname COLLATE \"C\"";

/*
 * Would pgclone.schema() (one transaction) fit in the lock table?  A
 * failure is an error: the synchronous clone stops before creating anything.
 */
static void
check_lock_budget(Report *r, PGconn *conn)
{
	PgcOptions	opts;
	PgcLockEstimate e;
	char	   *extra;

	pgc_options_init(&opts);
	pgc_lock_estimate(conn, list_make1(pstrdup(r->schema)), NULL, &opts, &e);
	extra = psprintf(", \"needed\": %d, \"capacity\": %d, \"max_locks_per_transaction\": %d",
					 e.needed, e.capacity, max_locks_per_xact);
	if (e.needed <= e.capacity)
	{
		add_check(r, "lock_budget", "pass", extra);
		return;
	}
	{
		StringInfoData x;
		char	   *msg = psprintf("pgclone.schema() would need about %d locks in one transaction, more than the lock table holds (%d with max_locks_per_transaction = %d): raise max_locks_per_transaction to at least %d, or use pgclone.schema_async(), which commits in steps",
								   e.needed, e.capacity, max_locks_per_xact,
								   (e.needed + MaxBackends + max_prepared_xacts - 1) /
								   (MaxBackends + max_prepared_xacts));

		initStringInfo(&x);
		appendStringInfo(&x, "%s, \"message\": ", extra);
		ops_json_str(&x, msg);
		add_check(r, "lock_budget", "fail", x.data);
		add_msg(&r->errors, &r->nerr, msg);
	}
}

/* The checks that need the source schema */
static void
schema_checks(Report *r, PGconn *conn, bool usage, Oid nspoid)
{
	check_source_permissions(r, conn, usage);
	check_row_security(r, conn);
	check_target_permissions(r, nspoid);
	check_sizes(r, conn, true);
	check_object_counts(r, conn);
	check_name_conflicts(r, conn, nspoid);
	check_extensions(r, conn);
	check_missing(r, conn, "missing_roles", roles_sql, lookup_role,
				  "%d role(s) referenced by source schema do not exist on target"
				  " \xe2\x80\x94 consider running pgclone.clone_roles() first");
	check_missing(r, conn, "missing_tablespaces", tablespaces_sql, lookup_tablespace,
				  "%d tablespace(s) used by source schema do not exist on target");
	check_lock_budget(r, conn);
}

/* Without the source schema (or the source): skip what needs it */
static void
degraded_checks(Report *r, PGconn *conn, Oid nspoid)
{
	const char *why = conn ? "source schema does not exist" : "source connection failed";

	skip(r, "source_permissions", why);
	skip(r, "row_security", why);
	check_target_permissions(r, nspoid);
	check_sizes(r, conn, false);
	skip(r, "object_counts", why);
	skip(r, "name_conflicts", why);
	if (conn)
		check_extensions(r, conn);
	else
		skip(r, "missing_extensions", why);
	skip(r, "missing_roles", why);
	skip(r, "missing_tablespaces", why);
	skip(r, "lock_budget", why);
}

Datum
pgclone_preflight(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	Report		r;
	PGconn	   *conn;
	char	   *connmsg = NULL;
	bool		have_schema = false;
	bool		usage = false;
	Oid			nspoid;
	int			level;
	StringInfoData out;

	memset(&r, 0, sizeof(r));
	r.schema = pgc_text_arg(fcinfo, 1, "schema_name");
	initStringInfo(&r.errors);
	initStringInfo(&r.warnings);
	initStringInfo(&r.info);
	initStringInfo(&r.checks);

	conn = try_connect(conninfo, &connmsg);
	level = ops_session_begin();
	if (conn)
		add_check(&r, "source_connection", "pass", NULL);
	else
		fail(&r, "source_connection", connmsg);
	/* this function runs in the target's own session: reaching it is the check */
	add_check(&r, "target_connection", "pass", NULL);
	check_versions(&r, conn);

	if (conn)
	{
		const char *params[1] = {r.schema};
		PgcRows    *p = pgc_query_params(conn,
										 "SELECT pg_catalog.has_schema_privilege(oid, 'USAGE') AS usage"
										 " FROM pg_catalog.pg_namespace WHERE nspname = $1",
										 1, params);

		have_schema = p->nrows == 1;
		usage = have_schema && pgc_get_bool(p, 0, "usage");
		if (have_schema)
			add_check(&r, "schema_exists_source", "pass", NULL);
		else
			fail(&r, "schema_exists_source",
				 psprintf("schema \"%s\" does not exist on source", r.schema));
	}
	else
		skip(&r, "schema_exists_source", "source connection failed");

	nspoid = get_namespace_oid(r.schema, true);
	check_target(&r, nspoid, have_schema);
	if (have_schema)
		schema_checks(&r, conn, usage, nspoid);
	else
		degraded_checks(&r, conn, nspoid);
	ops_session_end(level);
	if (conn)
		pgc_disconnect(conn);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"schema\": ");
	ops_json_str(&out, r.schema);
	appendStringInfo(&out, ", \"ready\": %s, \"summary\": {\"errors\": %d, \"warnings\": %d,"
					 " \"info\": %d, \"checks_run\": %d}, \"errors\": [%s], \"warnings\": [%s],"
					 " \"info\": [%s], \"checks\": {%s}}",
					 r.nerr == 0 ? "true" : "false", r.nerr, r.nwarn, r.ninfo, r.run,
					 r.errors.data, r.warnings.data, r.info.data, r.checks.data);
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}
