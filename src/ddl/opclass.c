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

static PgcRows *
one(PgcCatalog *cat, PgcObject *o)
{
	return pgc_read_one(cat, o->kind == 'Y' ? &pgc_q_opfamily : &pgc_q_opclass, o->oid);
}

/* "OPERATOR 1 pg_catalog.< (integer, integer)" and "FUNCTION 1 (a, b) f(a, b)" items */
static List *
members(PgcCatalog *cat, PgcObject *o, const char *refclass, const char *deptype)
{
	PgcRows    *m = pgc_read(cat, strcmp(refclass, "pg_opfamily") == 0 ?
							 &pgc_q_opfamily_members : &pgc_q_opclass_members, o->oid);
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
pgc_opclass_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r;
	List	   *items;
	List	   *out;

	if (o->kind == 'Y')
	{
		r = one(cat, o);
		out = list_make1(psprintf("CREATE OPERATOR FAMILY %s", qualified(r)));
		items = members(cat, o, "pg_opfamily", "a");
		if (items != NIL)
			out = lappend(out, psprintf("ALTER OPERATOR FAMILY %s ADD %s", qualified(r), join_items(items)));
		return comment_owner(out, r, "OPERATOR FAMILY");
	}
	r = one(cat, o);
	items = members(cat, o, "pg_opclass", "i");
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
pgc_opclass_label(PgcCatalog *cat, PgcObject *o)
{
	return psprintf("OPERATOR %s %s", o->kind == 'Y' ? "FAMILY" : "CLASS",
					qualified(one(cat, o)));
}
