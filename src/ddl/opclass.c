/*
 * opclass.c — operator families ('Y') and operator classes ('Z') of a schema.
 *
 * A family is created empty, then given its loose members (those added by
 * ALTER OPERATOR FAMILY ... ADD, which depend on the family); a class is
 * created in its family, always named explicitly (CREATE OPERATOR CLASS
 * without FAMILY would make a second family), with the members bound to it.
 * The sort knows both through their pg_amop/pg_amproc rows, so they come
 * after the operators and functions they list and before the indexes that
 * use them.
 */
#include "ddl/ddl.h"

#include "utils/builtins.h"

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
#define MEMBERS_SQL \
	"SELECT 1 AS ord, o.amopstrategy AS num, opn.nspname AS onsp, op.oprname," \
	" format_type(o.amoplefttype, NULL) AS lt, format_type(o.amoprighttype, NULL) AS rt," \
	" o.amoppurpose::text AS purpose, sfn.nspname AS sfnsp, sf.opfname AS sfname, NULL AS fn" \
	" FROM pg_amop o JOIN pg_depend d ON d.classid = 'pg_amop'::regclass AND d.objid = o.oid" \
	" JOIN pg_operator op ON op.oid = o.amopopr JOIN pg_namespace opn ON opn.oid = op.oprnamespace" \
	" LEFT JOIN pg_opfamily sf ON sf.oid = o.amopsortfamily LEFT JOIN pg_namespace sfn ON sfn.oid = sf.opfnamespace" \
	" WHERE d.refclassid = $2::regclass AND d.refobjid = $1::oid AND d.deptype = $3::\"char\"" \
	" UNION ALL SELECT 2, p.amprocnum, NULL, NULL, format_type(p.amproclefttype, NULL)," \
	" format_type(p.amprocrighttype, NULL), NULL, NULL, NULL, p.amproc::regprocedure::text" \
	" FROM pg_amproc p JOIN pg_depend d ON d.classid = 'pg_amproc'::regclass AND d.objid = p.oid" \
	" WHERE d.refclassid = $2::regclass AND d.refobjid = $1::oid AND d.deptype = $3::\"char\"" \
	" ORDER BY 1, 2, 5, 6"

static PgcRows *
one(PGconn *conn, const char *sql, PgcObject *o)
{
	return pgc_source_row(conn, sql, o->oid, o->kind == 'Y' ? "operator family" : "operator class");
}

/* "OPERATOR 1 pg_catalog.< (integer, integer)" and "FUNCTION 1 (a, b) f(a, b)" items */
static List *
members(PGconn *conn, PgcObject *o, const char *refclass, const char *deptype)
{
	const char *params[3] = {o->oid, refclass, deptype};
	PgcRows    *m = pgc_query_params(conn, MEMBERS_SQL, 3, params);
	List	   *out = NIL;
	int			i;

	for (i = 0; i < m->nrows; i++)
	{
		char	   *types = psprintf("(%s, %s)", pgc_get(m, i, "lt"), pgc_get(m, i, "rt"));

		if (pgc_get_int(m, i, "ord") == 1)
			out = lappend(out, psprintf("OPERATOR %d %s %s%s", pgc_get_int(m, i, "num"),
										pgc_operator_name(pgc_get(m, i, "onsp"), pgc_get(m, i, "oprname")),
										types,
										pgc_get(m, i, "purpose")[0] == 'o' ?
										psprintf(" FOR ORDER BY %s", pgc_qname(pgc_get(m, i, "sfnsp"),
																			   pgc_get(m, i, "sfname"))) : ""));
		else
			out = lappend(out, psprintf("FUNCTION %d %s %s", pgc_get_int(m, i, "num"), types,
										pgc_get(m, i, "fn")));
	}
	return out;
}

static char *
join_items(List *items)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	foreach(lc, items)
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", (char *) lfirst(lc));
	return b.data;
}

/* "schema.name USING am" */
static char *
qualified(PgcRows *r)
{
	return psprintf("%s USING %s", pgc_qname(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "name")),
					quote_identifier(pgc_get(r, 0, "amname")));
}

static List *
comment_owner(List *out, PgcRows *r, const char *word)
{
	return pgc_comment_owner(out, word, qualified(r), pgc_get(r, 0, "comment"), pgc_get(r, 0, "owner"));
}

List *
pgc_opclass_sql(PGconn *conn, PgcObject *o)
{
	PgcRows    *r;
	List	   *items;
	List	   *out;

	if (o->kind == 'Y')
	{
		r = one(conn, FAMILY_SQL, o);
		out = list_make1(psprintf("CREATE OPERATOR FAMILY %s", qualified(r)));
		items = members(conn, o, "pg_opfamily", "a");
		if (items != NIL)
			out = lappend(out, psprintf("ALTER OPERATOR FAMILY %s ADD %s", qualified(r), join_items(items)));
		return comment_owner(out, r, "OPERATOR FAMILY");
	}
	r = one(conn, CLASS_SQL, o);
	items = members(conn, o, "pg_opclass", "i");
	if (pgc_get(r, 0, "keytype"))
		items = lappend(items, psprintf("STORAGE %s", pgc_get(r, 0, "keytype")));
	if (items == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot clone operator class %s: it has no members", qualified(r))));
	out = list_make1(psprintf("CREATE OPERATOR CLASS %s%s FOR TYPE %s USING %s FAMILY %s AS %s",
							  pgc_qname(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "name")),
							  pgc_get_bool(r, 0, "opcdefault") ? " DEFAULT" : "",
							  pgc_get(r, 0, "intype"), quote_identifier(pgc_get(r, 0, "amname")),
							  pgc_qname(pgc_get(r, 0, "fnsp"), pgc_get(r, 0, "fname")),
							  join_items(items)));
	return comment_owner(out, r, "OPERATOR CLASS");
}

/* "OPERATOR CLASS s.c USING am" / "OPERATOR FAMILY s.f USING am" */
char *
pgc_opclass_label(PGconn *conn, PgcObject *o)
{
	return psprintf("OPERATOR %s %s", o->kind == 'Y' ? "FAMILY" : "CLASS",
					qualified(one(conn, o->kind == 'Y' ? FAMILY_SQL : CLASS_SQL, o)));
}
