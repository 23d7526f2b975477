/*
 * operator.c — operators of a schema (kind 'O' in the dependency sort).
 *
 * An operator comes after the function that implements it and the types it
 * takes (pg_depend), and before the views and constraints that use it.  A
 * COMMUTATOR or NEGATOR not created yet is made a shell by CREATE OPERATOR
 * and filled in when its own turn comes, as in a pg_dump restore; shells on
 * the source (never defined) are not cloned.  Operator names are not
 * identifiers and cannot be quoted: a name from the source must consist of
 * operator characters only.
 */
#include "ddl/ddl.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

/* schema.op, with the name checked: it is spliced in unquoted */
char *
pgc_operator_name(const char *nsp, const char *op)
{
	if (op[0] == '\0' || strlen(op) >= NAMEDATALEN ||
		strspn(op, "+-*/<>=~!@#%^&|`?") != strlen(op))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("source returned an invalid operator name \"%s\"", op)));
	return psprintf("%s.%s", quote_identifier(nsp), op);
}

/* "schema.op (left, right)" with NONE for a prefix operator's left side */
static char *
operator_signature(PgcRows *r)
{
	char	   *lt = pgc_get(r, 0, "lt");
	char	   *rt = pgc_get(r, 0, "rt");

	return psprintf("%s (%s, %s)", pgc_operator_name(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "oprname")),
					lt ? lt : "NONE", rt ? rt : "NONE");
}

static PgcRows *
operator_row(PgcCatalog *cat, PgcObject *o)
{
	return pgc_read_one(cat, &pgc_q_operator, o->oid);
}

List *
pgc_operator_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = operator_row(cat, o);
	char	   *sig = operator_signature(r);
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE OPERATOR %s (FUNCTION = %s",
					 pgc_operator_name(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "oprname")),
					 pgc_qname(pgc_get(r, 0, "fnsp"), pgc_get(r, 0, "fname")));
	if (pgc_get(r, 0, "lt"))
		appendStringInfo(&b, ", LEFTARG = %s", pgc_get(r, 0, "lt"));
	if (pgc_get(r, 0, "rt"))
		appendStringInfo(&b, ", RIGHTARG = %s", pgc_get(r, 0, "rt"));
	if (pgc_get(r, 0, "cname"))
		appendStringInfo(&b, ", COMMUTATOR = OPERATOR(%s)",
						 pgc_operator_name(pgc_get(r, 0, "cnsp"), pgc_get(r, 0, "cname")));
	if (pgc_get(r, 0, "nname"))
		appendStringInfo(&b, ", NEGATOR = OPERATOR(%s)",
						 pgc_operator_name(pgc_get(r, 0, "nnsp"), pgc_get(r, 0, "nname")));
	if (pgc_get(r, 0, "rname"))
		appendStringInfo(&b, ", RESTRICT = %s", pgc_qname(pgc_get(r, 0, "rnsp"), pgc_get(r, 0, "rname")));
	if (pgc_get(r, 0, "jname"))
		appendStringInfo(&b, ", JOIN = %s", pgc_qname(pgc_get(r, 0, "jnsp"), pgc_get(r, 0, "jname")));
	if (pgc_get_bool(r, 0, "oprcanhash"))
		appendStringInfoString(&b, ", HASHES");
	if (pgc_get_bool(r, 0, "oprcanmerge"))
		appendStringInfoString(&b, ", MERGES");
	appendStringInfoChar(&b, ')');
	return pgc_comment_owner(list_make1(b.data), "OPERATOR", sig,
							 pgc_get(r, 0, "comment"), pgc_get(r, 0, "owner"));
}

/* Is the operator (not a shell) already here, with the same argument types? */
bool
pgc_operator_exists_locally(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = operator_row(cat, o);
	const char *args[4] = {pgc_get(r, 0, "nspname"), pgc_get(r, 0, "oprname"),
	pgc_get(r, 0, "lt"), pgc_get(r, 0, "rt")};

	return pgc_local_exists("SELECT 1 FROM pg_catalog.pg_operator o"
							" WHERE o.oprnamespace = pg_catalog.to_regnamespace(pg_catalog.quote_ident($1))"
							" AND o.oprname = $2 AND o.oprcode <> 0"
							" AND o.oprleft = coalesce(pg_catalog.to_regtype($3), 0)"
							" AND o.oprright = coalesce(pg_catalog.to_regtype($4), 0)", 4, args);
}

char *
pgc_operator_drop_sql(PgcCatalog *cat, PgcObject *o)
{
	return psprintf("DROP OPERATOR IF EXISTS %s CASCADE", operator_signature(operator_row(cat, o)));
}
