/*
 * roles.c — pgclone.clone_roles(): roles, their password hashes, attributes,
 * memberships, settings and privileges, from a source server to this one.
 *
 * Roles are created or altered through CreateRole()/AlterRole() with parse
 * nodes built here, never through SQL text: the password hash then appears in
 * no statement, so no error context, log line or NOTICE can show it.  Grants
 * are SQL built from quote_identifier'd names, only for objects that exist
 * here; they are added, never revoked.
 */
#include "ops/ops.h"
#include "remote/srcver.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "commands/user.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(pgclone_clone_roles);

/*
 * pg_roles, readable by every role, for everything but the password hashes:
 * those only pg_authid has, which only a superuser (or a role granted
 * SELECT on it) can read.  Managed services give no superuser: the roles
 * are then cloned without hashes, as pg_dumpall --no-role-passwords does.
 */
#define ROLES_SQL(pw) \
"SELECT r.oid::text AS oid, r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb," \
" r.rolcanlogin, r.rolreplication, r.rolbypassrls, r.rolconnlimit::text AS connlimit," \
" r.rolvaliduntil::text AS validuntil, " pw " AS rolpassword" \
" FROM pg_catalog.pg_roles r ORDER BY r.rolname COLLATE \"C\""
static const char *roles_sql =
ROLES_SQL("(SELECT a.rolpassword FROM pg_catalog.pg_authid a WHERE a.oid = r.oid)");
static const char *roles_nopw_sql = ROLES_SQL("NULL::text");

/* Can the source role read the hashes? */
static const char *authid_sql =
"SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS readable";

static const char *members_sql =
"SELECT r.rolname AS role, m.rolname AS member, am.admin_option"
" FROM pg_catalog.pg_auth_members am"
" JOIN pg_catalog.pg_roles r ON r.oid = am.roleid"
" JOIN pg_catalog.pg_roles m ON m.oid = am.member"
" ORDER BY r.rolname COLLATE \"C\", m.rolname COLLATE \"C\"";

static const char *settings_sql =
"SELECT r.rolname, d.datname, c.cfg"
" FROM pg_catalog.pg_db_role_setting s"
" JOIN pg_catalog.pg_roles r ON r.oid = s.setrole"
" LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase"
" CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) WITH ORDINALITY AS c(cfg, ord)"
" ORDER BY r.rolname COLLATE \"C\", d.datname COLLATE \"C\" NULLS FIRST, c.ord";

/*
 * Explicit grants in user schemas of the source database (the owner's own
 * implicit privileges are left out): kind, schema, object, column, routine
 * signature, privilege, grantable, grantee.
 */
#define USER_NSP " n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
static const char *grants_sql =
"SELECT * FROM ("
" SELECT 'schema' AS kind, n.nspname AS nsp, NULL::name AS obj, NULL::name AS col,"
"   NULL::text AS sig, a.privilege_type, a.is_grantable, gr.rolname AS grantee"
" FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a"
" JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantee"
" WHERE" USER_NSP " AND a.grantee <> n.nspowner"
" UNION ALL"
" SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, n.nspname, c.relname,"
"   NULL, NULL, a.privilege_type, a.is_grantable, gr.rolname"
" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a"
" JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantee"
" WHERE" USER_NSP " AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND a.grantee <> c.relowner"
" UNION ALL"
" SELECT 'column', n.nspname, c.relname, at.attname, NULL, a.privilege_type, a.is_grantable, gr.rolname"
" FROM pg_catalog.pg_attribute at JOIN pg_catalog.pg_class c ON c.oid = at.attrelid"
" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" CROSS JOIN LATERAL pg_catalog.aclexplode(at.attacl) a"
" JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantee"
" WHERE" USER_NSP " AND at.attnum > 0 AND NOT at.attisdropped AND a.grantee <> c.relowner"
" UNION ALL"
" SELECT 'routine', n.nspname, p.proname, NULL, p.oid::pg_catalog.regprocedure::text,"
"   a.privilege_type, a.is_grantable, gr.rolname"
" FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
" CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a"
" JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantee"
" WHERE" USER_NSP " AND a.grantee <> p.proowner"
") g ORDER BY kind COLLATE \"C\", nsp COLLATE \"C\", obj COLLATE \"C\", col COLLATE \"C\","
" sig COLLATE \"C\", grantee COLLATE \"C\", privilege_type COLLATE \"C\"";

typedef struct RolesCtx
{
	PgcRows    *roles;			/* source pg_authid */
	bool	   *selected;		/* per roles row: cloned this call */
	int			created;
	int			updated;
	int			grants;
	int			skipped;		/* grants whose object is missing here */
	bool		passwords;		/* hashes read: set them (else left as they are) */
} RolesCtx;

static bool
is_system_role(const char *name, const char *oid)
{
	/* pg_* roles, and the bootstrap superuser (OID 10) whatever its name */
	return strncmp(name, "pg_", 3) == 0 || atooid(oid) == BOOTSTRAP_SUPERUSERID;
}

static int
find_role(PgcRows *roles, const char *name)
{
	int			i;

	for (i = 0; i < roles->nrows; i++)
		if (strcmp(pgc_get(roles, i, "rolname"), name) == 0)
			return i;
	return -1;
}

static bool
role_selected(RolesCtx *ctx, const char *name)
{
	int			i = find_role(ctx->roles, name);

	return i >= 0 && ctx->selected[i];
}

/* Which roles this call clones: all non-system roles, or the listed ones. */
static void
select_roles(RolesCtx *ctx, char *list)
{
	PgcRows    *r = ctx->roles;
	int			i;

	ctx->selected = palloc0(sizeof(bool) * Max(r->nrows, 1));
	if (list == NULL)
	{
		for (i = 0; i < r->nrows; i++)
			ctx->selected[i] = !is_system_role(pgc_get(r, i, "rolname"),
											   pgc_get(r, i, "oid"));
		return;
	}
	for (;;)
	{
		char	   *comma = strchr(list, ',');
		char	   *name = list;
		char	   *end;

		if (comma)
			*comma = '\0';
		while (*name && isspace((unsigned char) *name))
			name++;
		end = name + strlen(name);
		while (end > name && isspace((unsigned char) end[-1]))
			*--end = '\0';
		if (*name == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("role_names contains an empty role name")));
		i = find_role(r, name);
		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("role \"%s\" does not exist on the source", name)));
		if (is_system_role(name, pgc_get(r, i, "oid")))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("role \"%s\" is a system role and cannot be cloned", name),
					 errdetail("pg_* roles and the bootstrap superuser are never cloned.")));
		ctx->selected[i] = true;
		if (!comma)
			break;
		list = comma + 1;
	}
}

static DefElem *
bool_opt(const char *name, PgcRows *r, int i, const char *col)
{
	return makeDefElem(pstrdup(name), (Node *) makeBoolean(pgc_get_bool(r, i, col)), -1);
}

/* The DefElem list CREATE/ALTER ROLE take: attributes and the hash as-is */
static List *
role_options(PgcRows *r, int i, bool exists, bool passwords)
{
	List	   *opts = NIL;
	char	   *valid = pgc_get(r, i, "validuntil");
	char	   *pw = pgc_get(r, i, "rolpassword");

	opts = lappend(opts, bool_opt("superuser", r, i, "rolsuper"));
	opts = lappend(opts, bool_opt("inherit", r, i, "rolinherit"));
	opts = lappend(opts, bool_opt("createrole", r, i, "rolcreaterole"));
	opts = lappend(opts, bool_opt("createdb", r, i, "rolcreatedb"));
	opts = lappend(opts, bool_opt("canlogin", r, i, "rolcanlogin"));
	opts = lappend(opts, bool_opt("isreplication", r, i, "rolreplication"));
	opts = lappend(opts, bool_opt("bypassrls", r, i, "rolbypassrls"));
	opts = lappend(opts, makeDefElem("connectionlimit",
									 (Node *) makeInteger(pgc_get_int(r, i, "connlimit")), -1));
	/* no expiry on the source: clear any expiry of an existing role */
	if (valid != NULL || exists)
		opts = lappend(opts, makeDefElem("validUntil",
										 (Node *) makeString(valid ? valid : "infinity"), -1));
	/* without the hashes, an existing role keeps its own password */
	if (pw != NULL || (exists && passwords))
		opts = lappend(opts, makeDefElem("password",
										 pw ? (Node *) makeString(pw) : NULL, -1));
	return opts;
}

static void
clone_one_role(RolesCtx *ctx, int i)
{
	PgcRows    *r = ctx->roles;
	char	   *name = pgc_get(r, i, "rolname");
	Oid			local = get_role_oid(name, true);
	ParseState *pstate = make_parsestate(NULL);

	if (OidIsValid(local) &&
		(local == GetUserId() || local == BOOTSTRAP_SUPERUSERID))
	{
		ereport(NOTICE,
				(errmsg("role \"%s\" is the current user or the bootstrap superuser here: attributes and password left unchanged",
						name)));
		return;
	}
	if (OidIsValid(local))
	{
		AlterRoleStmt *stmt = makeNode(AlterRoleStmt);

		stmt->role = makeNode(RoleSpec);
		stmt->role->roletype = ROLESPEC_CSTRING;
		stmt->role->rolename = name;
		stmt->role->location = -1;
		stmt->options = role_options(r, i, true, ctx->passwords);
		stmt->action = +1;
		AlterRole(pstate, stmt);
		ctx->updated++;
	}
	else
	{
		CreateRoleStmt *stmt = makeNode(CreateRoleStmt);

		stmt->stmt_type = ROLESTMT_ROLE;
		stmt->role = name;
		stmt->options = role_options(r, i, false, ctx->passwords);
		CreateRole(pstate, stmt);
		ctx->created++;
	}
	CommandCounterIncrement();
}

static void
exec_statement(void *sql)
{
	pgc_local_exec(sql);
}

/* Run one statement in a subtransaction; on error, a NOTICE and false. */
static bool
try_exec(const char *sql, const char *what)
{
	ErrorData  *edata = pgc_try_subxact(exec_statement, (void *) sql);

	if (edata == NULL)
		return true;
	ereport(NOTICE,
			(errmsg("pgclone: skipped %s: %s", what, edata->message)));
	FreeErrorData(edata);
	return false;
}

static void
clone_memberships(RolesCtx *ctx, PGconn *conn)
{
	PgcRows    *m = pgc_query(conn, members_sql);
	int			i;

	for (i = 0; i < m->nrows; i++)
	{
		char	   *role = pgc_get(m, i, "role");
		char	   *member = pgc_get(m, i, "member");
		char	   *sql;

		if (!role_selected(ctx, role) && !role_selected(ctx, member))
			continue;
		if (!OidIsValid(get_role_oid(role, true)) ||
			!OidIsValid(get_role_oid(member, true)))
		{
			ctx->skipped++;
			continue;
		}
		sql = psprintf("GRANT %s TO %s%s", quote_identifier(role),
					   quote_identifier(member),
					   pgc_get_bool(m, i, "admin_option") ? " WITH ADMIN OPTION" : "");
		if (try_exec(sql, psprintf("membership of \"%s\" in \"%s\"", member, role)))
			ctx->grants++;
	}
}

/* "name=value" from setconfig as ALTER ROLE ... SET name = value */
static char *
setting_sql(const char *role, const char *db, const char *cfg)
{
	char	   *name = pstrdup(cfg);
	char	   *value = strchr(name, '=');
	StringInfoData sql;

	if (value == NULL)
		return NULL;
	*value++ = '\0';
	initStringInfo(&sql);
	appendStringInfo(&sql, "ALTER ROLE %s", quote_identifier(role));
	if (db)
		appendStringInfo(&sql, " IN DATABASE %s", quote_identifier(db));
	appendStringInfo(&sql, " SET %s = ", quote_identifier(name));
	if (GetConfigOptionFlags(name, true) & GUC_LIST_QUOTE)
	{
		List	   *elems;
		ListCell   *lc;

		/* stored flattened ("$user", public): quote each element, as pg_dump */
		if (!SplitGUCList(pstrdup(value), ',', &elems))
			return NULL;
		if (elems == NIL)
			appendStringInfoString(&sql, "''");
		foreach(lc, elems)
			appendStringInfo(&sql, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
							 quote_literal_cstr((char *) lfirst(lc)));
	}
	else
		appendStringInfoString(&sql, quote_literal_cstr(value));
	return sql.data;
}

static void
clone_settings(RolesCtx *ctx, PGconn *conn)
{
	PgcRows    *s = pgc_query(conn, settings_sql);
	int			i;

	for (i = 0; i < s->nrows; i++)
	{
		char	   *role = pgc_get(s, i, "rolname");
		char	   *db = pgc_get(s, i, "datname");
		char	   *sql;

		if (!role_selected(ctx, role) || !OidIsValid(get_role_oid(role, true)))
			continue;
		if (db && !OidIsValid(get_database_oid(db, true)))
		{
			ereport(NOTICE,
					(errmsg("pgclone: skipped a setting of role \"%s\": database \"%s\" does not exist here",
							role, db)));
			continue;
		}
		sql = setting_sql(role, db, pgc_get(s, i, "cfg"));
		if (sql)
			(void) try_exec(sql, psprintf("a setting of role \"%s\"", role));
	}
}

/*
 * The local routine matching the source signature, as regprocedure text, or
 * NULL.  On 15, to_regprocedure() raises an ERROR (instead of returning NULL)
 * when an argument type does not exist here: a subtransaction absorbs it.
 */
typedef struct RoutineArg
{
	const char *sig;
	char	   *result;
} RoutineArg;

static void
lookup_routine(void *arg)
{
	RoutineArg *a = arg;
	const char *params[1] = {a->sig};
	PgcRows    *r = ops_local_query("SELECT pg_catalog.to_regprocedure($1)::text",
									1, params);

	a->result = pgc_val(r, 0, 0);
}

static char *
local_routine(const char *sig)
{
	RoutineArg	a = {sig, NULL};
	ErrorData  *edata = pgc_try_subxact(lookup_routine, &a);

	if (edata == NULL)
		return a.result;
	FreeErrorData(edata);
	return NULL;
}

/* The object clause of one grant, or NULL when the object is missing here */
static char *
grant_object(PgcRows *g, int i)
{
	char	   *kind = pgc_get(g, i, "kind");
	char	   *nsp = pgc_get(g, i, "nsp");
	char	   *obj = pgc_get(g, i, "obj");
	Oid			nspoid = get_namespace_oid(nsp, true);
	Oid			relid;

	if (!OidIsValid(nspoid))
		return NULL;
	if (strcmp(kind, "schema") == 0)
		return psprintf("ON SCHEMA %s", quote_identifier(nsp));
	if (strcmp(kind, "routine") == 0)
	{
		char	   *local = local_routine(pgc_get(g, i, "sig"));

		return local ? psprintf("ON ROUTINE %s", local) : NULL;
	}
	relid = get_relname_relid(obj, nspoid);
	if (!OidIsValid(relid) ||
		(get_rel_relkind(relid) == RELKIND_SEQUENCE) != (strcmp(kind, "sequence") == 0))
		return NULL;
	if (strcmp(kind, "sequence") == 0)
		return psprintf("ON SEQUENCE %s", pgc_qname(nsp, obj));
	if (strcmp(kind, "column") == 0)
	{
		char	   *col = pgc_get(g, i, "col");

		if (get_attnum(relid, col) == InvalidAttrNumber)
			return NULL;
		return psprintf("(%s) ON TABLE %s", quote_identifier(col), pgc_qname(nsp, obj));
	}
	return psprintf("ON TABLE %s", pgc_qname(nsp, obj));
}

static void
clone_grants(RolesCtx *ctx, PGconn *conn)
{
	PgcRows    *g = pgc_query(conn, grants_sql);
	int			i;

	for (i = 0; i < g->nrows; i++)
	{
		char	   *grantee = pgc_get(g, i, "grantee");
		char	   *priv = pgc_get(g, i, "privilege_type");
		char	   *what;
		char	   *sql;

		if (!role_selected(ctx, grantee) || !OidIsValid(get_role_oid(grantee, true)))
			continue;
		if (!pgc_srcver_privilege_kept(priv))
			continue;
		pgc_check_privilege(priv);
		what = grant_object(g, i);
		if (what == NULL)
		{
			ctx->skipped++;
			continue;
		}
		/* column grants put the column list right after the privilege */
		sql = psprintf("GRANT %s %s TO %s%s", priv, what, quote_identifier(grantee),
					   pgc_get_bool(g, i, "is_grantable") ? " WITH GRANT OPTION" : "");
		if (try_exec(sql, psprintf("a grant to \"%s\"", grantee)))
			ctx->grants++;
	}
}

/*
 * clone_roles' options: {"passwords": false} leaves the hashes out on
 * purpose (pg_dumpall --no-role-passwords).  Returns whether to read them.
 */
static bool
want_passwords(const char *options)
{
	Jsonb	   *j;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		passwords = true;
	char	   *key = NULL;

	if (options == NULL)
		return true;
	j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(options)));
	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone.clone_roles() options must be a JSON object")));
	it = JsonbIteratorInit(&j->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			if (strcmp(key, "passwords") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown pgclone.clone_roles() option \"%s\"", key),
						 errhint("Valid options are: passwords.")));
		}
		else if (tok == WJB_VALUE)
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pgclone.clone_roles() option \"%s\" must be a boolean", key)));
			passwords = v.val.boolean;
		}
	}
	return passwords;
}

Datum
pgclone_clone_roles(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int			spi;
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *list = NULL;
	char	   *options = NULL;
	const char *nopw_why = NULL;
	RolesCtx	ctx;
	PGconn	   *conn;
	int			level;
	int			i;

	/* the three-argument form takes NULL role_names for every role */
	if (PG_NARGS() > 2)
	{
		if (!PG_ARGISNULL(1))
			list = pgc_text_arg(fcinfo, 1, "role_names");
		if (!PG_ARGISNULL(2))
			options = pgc_text_arg(fcinfo, 2, "options");
	}
	else if (PG_NARGS() > 1)
		list = pgc_text_arg(fcinfo, 1, "role_names");
	PreventCommandIfReadOnly("pgclone.clone_roles()");
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgclone.clone_roles() requires superuser on the target")));

	memset(&ctx, 0, sizeof(ctx));
	ctx.passwords = want_passwords(options);
	conn = pgc_connect(conninfo);
	pgc_begin_source_xact(conn, true, NULL);
	if (!ctx.passwords)
		nopw_why = "the \"passwords\" option is false";
	else if (!pgc_get_bool(pgc_query(conn, authid_sql), 0, "readable"))
	{
		ctx.passwords = false;
		nopw_why = "the source role cannot read pg_authid (not a superuser, as on managed services)";
		ereport(NOTICE,
				(errmsg("pgclone.clone_roles(): password hashes not cloned: %s", nopw_why),
				 errdetail("Attributes, memberships, settings and grants are cloned; new roles have no password, existing roles keep theirs."),
				 errhint("Set the passwords with ALTER ROLE ... PASSWORD, or connect to the source as a superuser.")));
	}
	ctx.roles = pgc_query(conn, ctx.passwords ? roles_sql : roles_nopw_sql);
	select_roles(&ctx, list);

	for (i = 0; i < ctx.roles->nrows; i++)
		if (ctx.selected[i])
			clone_one_role(&ctx, i);

	level = ops_session_begin();
	spi = pgc_spi_connect();
	clone_memberships(&ctx, conn);
	clone_settings(&ctx, conn);
	clone_grants(&ctx, conn);
	pgc_spi_finish(spi);
	ops_session_end(level);
	pgc_disconnect(conn);

	if (ctx.skipped > 0)
		ereport(NOTICE,
				(errmsg("pgclone: %d grant(s) skipped: object or role missing on the target",
						ctx.skipped)));
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("OK: %d roles created, %d roles updated, %d grants applied%s",
											  ctx.created, ctx.updated, ctx.grants,
											  nopw_why ? psprintf("; passwords not cloned: %s", nopw_why) : "")));
}
