/*
 * server.c — foreign-data wrappers and foreign servers, for database():
 * they belong to the database, and the foreign tables of its schemas need
 * them.
 *
 * A wrapper that comes from an extension (postgres_fdw...) is had by
 * creating the extension; another one is created with its handler and
 * validator, which must exist here.  A server or wrapper that already exists
 * on the target is kept as it is.  User mappings are not cloned: they hold
 * the credentials of the source's remote systems, which a copy (a staging
 * database, say) should not inherit; a NOTICE counts them.
 */
#include "clone/schema.h"

#include "commands/extension.h"
#include "foreign/foreign.h"
#include "utils/builtins.h"

#define FDWS_SQL \
	"SELECT w.oid, w.fdwname," \
	" (SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid" \
	"   WHERE d.classid = 'pg_foreign_data_wrapper'::regclass AND d.objid = w.oid AND d.deptype = 'e') AS extname," \
	" hn.nspname AS hnsp, h.proname AS hname, vn.nspname AS vnsp, v.proname AS vname," \
	" pg_get_userbyid(w.fdwowner) AS owner, obj_description(w.oid, 'pg_foreign_data_wrapper') AS comment" \
	" FROM pg_foreign_data_wrapper w" \
	" LEFT JOIN pg_proc h ON h.oid = w.fdwhandler LEFT JOIN pg_namespace hn ON hn.oid = h.pronamespace" \
	" LEFT JOIN pg_proc v ON v.oid = w.fdwvalidator LEFT JOIN pg_namespace vn ON vn.oid = v.pronamespace" \
	" WHERE w.oid IN (SELECT srvfdw FROM pg_foreign_server) ORDER BY w.fdwname"

#define SERVERS_SQL \
	"SELECT s.oid, s.srvname, w.fdwname, s.srvtype, s.srvversion, pg_get_userbyid(s.srvowner) AS owner," \
	" obj_description(s.oid, 'pg_foreign_server') AS comment," \
	ACL_OF("s.srvacl", "s.srvowner") \
	" FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw ORDER BY s.srvname"

#define OPTIONS_SQL(catalog, column) \
	"SELECT o.name, o.value FROM " catalog " x" \
	" CROSS JOIN LATERAL pg_options_to_table(x." column ") WITH ORDINALITY o(name, value, ord)" \
	" WHERE x.oid = $1::oid ORDER BY o.ord"

/* " OPTIONS (a 'x', ...)" of a wrapper or server, or "" */
static char *
options(PGconn *conn, const char *sql, const char *oid)
{
	const char *params[1] = {oid};
	PgcRows    *o = pgc_query_params(conn, sql, 1, params);
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	for (i = 0; i < o->nrows; i++)
		appendStringInfo(&b, "%s%s %s", i ? ", " : " OPTIONS (",
						 quote_identifier(pgc_get(o, i, "name")),
						 quote_literal_cstr(pgc_get(o, i, "value") ? pgc_get(o, i, "value") : ""));
	if (o->nrows)
		appendStringInfoChar(&b, ')');
	return b.data;
}

/* Row i of r as a one-row result, for the helpers that read row 0 */
static PgcRows *
row_of(PgcRows *r, int i)
{
	PgcRows    *one = palloc(sizeof(PgcRows));

	*one = *r;
	one->nrows = 1;
	one->values = &r->values[i * r->ncols];
	return one;
}

static void
create_wrapper(PGconn *conn, PgcRows *w, int i)
{
	char	   *name = pgc_get(w, i, "fdwname");
	char	   *ext = pgc_get(w, i, "extname");
	char	   *q = pgc_qident(name);
	List	   *stmts;

	if (ext)
	{
		if (!OidIsValid(get_extension_oid(ext, true)))
		{
			pgc_local_exec(psprintf("CREATE EXTENSION IF NOT EXISTS %s", quote_identifier(ext)));
			ereport(NOTICE, (errmsg("created extension %s on the target", quote_identifier(ext))));
		}
		if (!OidIsValid(get_foreign_data_wrapper_oid(name, true)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("extension %s does not provide foreign-data wrapper %s on the target",
							quote_identifier(ext), q)));
		return;
	}
	stmts = list_make1(psprintf("CREATE FOREIGN DATA WRAPPER %s %s %s%s", q,
								pgc_get(w, i, "hname") ?
								psprintf("HANDLER %s", pgc_qname(pgc_get(w, i, "hnsp"), pgc_get(w, i, "hname"))) :
								"NO HANDLER",
								pgc_get(w, i, "vname") ?
								psprintf("VALIDATOR %s", pgc_qname(pgc_get(w, i, "vnsp"), pgc_get(w, i, "vname"))) :
								"NO VALIDATOR",
								options(conn, OPTIONS_SQL("pg_foreign_data_wrapper", "fdwoptions"),
										pgc_get(w, i, "oid"))));
	pgc_exec_list(pgc_comment_owner(stmts, "FOREIGN DATA WRAPPER", q,
									pgc_get(w, i, "comment"), pgc_get(w, i, "owner")));
}

static void
create_server(PGconn *conn, PgcRows *s, int i)
{
	char	   *q = pgc_qident(pgc_get(s, i, "srvname"));
	PgcRows    *row = row_of(s, i);
	char	   *owner = pgc_get(s, i, "owner");
	List	   *stmts;

	stmts = list_make1(psprintf("CREATE SERVER %s%s%s FOREIGN DATA WRAPPER %s%s", q,
								pgc_get(s, i, "srvtype") ?
								psprintf(" TYPE %s", quote_literal_cstr(pgc_get(s, i, "srvtype"))) : "",
								pgc_get(s, i, "srvversion") ?
								psprintf(" VERSION %s", quote_literal_cstr(pgc_get(s, i, "srvversion"))) : "",
								pgc_qident(pgc_get(s, i, "fdwname")),
								options(conn, OPTIONS_SQL("pg_foreign_server", "srvoptions"),
										pgc_get(s, i, "oid"))));
	stmts = pgc_comment_on(stmts, row, "SERVER", q);
	if (pgc_role_usable(owner, psprintf("owner of server %s", q)))
		stmts = lappend(stmts, psprintf("ALTER SERVER %s OWNER TO %s", q, quote_identifier(owner)));
	/* grants: ON FOREIGN SERVER; the owner was set above (ALTER SERVER) */
	row->values = palloc(sizeof(char *) * row->ncols);
	memcpy(row->values, &s->values[i * s->ncols], sizeof(char *) * s->ncols);
	row->values[pgc_colno(row, "owner")] = NULL;
	stmts = pgc_owner_acl(stmts, row, "FOREIGN SERVER", q);
	pgc_exec_list(stmts);
}

/* Wrappers and servers of the source that the target lacks. */
void
pgc_clone_servers(PGconn *conn)
{
	PgcRows    *w = pgc_query(conn, FDWS_SQL);
	PgcRows    *s = pgc_query(conn, SERVERS_SQL);
	PgcRows    *um = pgc_query(conn, "SELECT count(*) FROM pg_user_mappings");
	int			i;

	for (i = 0; i < w->nrows; i++)
		if (!OidIsValid(get_foreign_data_wrapper_oid(pgc_get(w, i, "fdwname"), true)))
			create_wrapper(conn, w, i);
	for (i = 0; i < s->nrows; i++)
	{
		if (OidIsValid(get_foreign_server_oid(pgc_get(s, i, "srvname"), true)))
		{
			ereport(NOTICE,
					(errmsg("foreign server %s exists on the target: kept as it is",
							pgc_qident(pgc_get(s, i, "srvname")))));
			continue;
		}
		create_server(conn, s, i);
	}
	if (strcmp(pgc_val(um, 0, 0), "0") != 0)
		ereport(NOTICE,
				(errmsg("%s user mappings of the source were not cloned", pgc_val(um, 0, 0)),
				 errdetail("They hold the credentials of remote systems."),
				 errhint("Create the user mappings the target needs with CREATE USER MAPPING.")));
}
