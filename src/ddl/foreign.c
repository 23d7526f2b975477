/*
 * foreign.c — foreign tables of a schema (kind 'E' in the dependency sort).
 *
 * A foreign table holds no rows of its own: only its definition is cloned
 * (columns with their FDW options, collations, defaults, NOT NULL, CHECK
 * constraints, the server and table options, PARTITION OF for a foreign
 * partition, comments, owner and grants), as pg_dump does without
 * --include-foreign-data.  The server belongs to the database, not to the
 * schema: it must exist on the target, else the clone stops with 42704
 * before creating the table.  Option names and values are read raw and
 * quoted here.
 */
#include "ddl/ddl.h"

#include "foreign/foreign.h"
#include "utils/builtins.h"

/* " OPTIONS (a 'x', b 'y')" for the options of attnum, or "" */
static char *
options_clause(PgcRows *o, int attnum)
{
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	for (i = 0; i < o->nrows; i++)
	{
		if (pgc_get_int(o, i, "attnum") != attnum)
			continue;
		appendStringInfo(&b, "%s%s %s", b.len ? ", " : " OPTIONS (",
						 quote_identifier(pgc_get(o, i, "name")),
						 pgc_get(o, i, "value") ? quote_literal_cstr(pgc_get(o, i, "value")) : "''");
	}
	if (b.len)
		appendStringInfoChar(&b, ')');
	return b.data;
}

static void
append_column(StringInfo b, PgcRows *cols, int i, PgcRows *opts)
{
	char	   *def = pgc_get(cols, i, "defexpr");

	appendStringInfo(b, "%s    %s %s%s", b->data[b->len - 1] == '(' ? "\n" : ",\n",
					 quote_identifier(pgc_get(cols, i, "attname")), pgc_get(cols, i, "type"),
					 options_clause(opts, pgc_get_int(cols, i, "attnum")));
	if (pgc_get(cols, i, "collname"))
		appendStringInfo(b, " COLLATE %s",
						 pgc_qname(pgc_get(cols, i, "collnsp"), pgc_get(cols, i, "collname")));
	if (def && pgc_get(cols, i, "attgenerated")[0] == 's')
		appendStringInfo(b, " GENERATED ALWAYS AS (%s) STORED", def);
	else if (def)
		appendStringInfo(b, " DEFAULT %s", def);
	if (pgc_get_bool(cols, i, "attnotnull"))
		appendStringInfoString(b, " NOT NULL");
}

List *
pgc_foreign_table_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_foreign_table, o->oid);
	PgcRows    *cols;
	PgcRows    *opts;
	PgcRows    *checks;
	char	   *q;
	char	   *server;
	StringInfoData b;
	List	   *out;
	int			i;

	q = pgc_qname(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "relname"));
	server = pgc_get(r, 0, "srvname");
	if (!OidIsValid(get_foreign_server_oid(server, true)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("foreign table %s needs foreign server \"%s\", which does not exist on the target",
						q, server),
				 errhint("Create the server (and its user mappings) on the target first.")));
	if (pgc_get_bool(r, 0, "relispartition") &&
		(pgc_get(r, 0, "parent_rel") == NULL || pgc_get(r, 0, "bound") == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("source foreign table %s is a partition without a parent or bound", q)));
	if (pgc_get_int(r, 0, "nparents") > 0 && !pgc_get_bool(r, 0, "relispartition"))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot clone foreign table %s: it inherits from another table", q)));

	cols = pgc_read(cat, &pgc_q_foreign_columns, o->oid);
	opts = pgc_read(cat, &pgc_q_foreign_options, o->oid);
	checks = pgc_read(cat, &pgc_q_foreign_checks, o->oid);

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE FOREIGN TABLE %s", q);
	if (pgc_get_bool(r, 0, "relispartition"))
		appendStringInfo(&b, " PARTITION OF %s %s",
						 pgc_qname(pgc_get(r, 0, "parent_nsp"), pgc_get(r, 0, "parent_rel")),
						 pgc_get(r, 0, "bound"));
	else
	{
		appendStringInfoString(&b, " (");
		for (i = 0; i < cols->nrows; i++)
			append_column(&b, cols, i, opts);
		appendStringInfoString(&b, "\n)");
	}
	appendStringInfo(&b, " SERVER %s%s", quote_identifier(server), options_clause(opts, 0));
	out = list_make1(b.data);

	for (i = 0; i < cols->nrows; i++)
	{
		char	   *col = pgc_qident(pgc_get(cols, i, "attname"));
		char	   *colopts = options_clause(opts, pgc_get_int(cols, i, "attnum"));

		/* a partition's columns come from its parent: its own options follow */
		if (pgc_get_bool(r, 0, "relispartition") && colopts[0])
			out = lappend(out, psprintf("ALTER FOREIGN TABLE %s ALTER COLUMN %s%s", q, col, colopts));
		if (pgc_get(cols, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON COLUMN %s.%s IS %s", q, col,
										quote_literal_cstr(pgc_get(cols, i, "comment"))));
	}
	out = pgc_add_constraints(out, "FOREIGN TABLE", q, checks);
	out = pgc_comment_on(out, r, "FOREIGN TABLE", q);
	return pgc_owner_acl(out, r, "FOREIGN TABLE", q);
}
