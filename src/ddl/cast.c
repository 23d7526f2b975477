/*
 * cast.c — database-wide objects of database() that need no data: user
 * casts (kind 'K' in the sort) and event triggers.
 *
 * A cast belongs to the database, not to a schema, so only a whole-database
 * clone takes it, as a full pg_dump does: the casts created by users (OID
 * from 16384 on) that no extension owns.  It comes after its function and
 * types (pg_depend) and, ranked with the functions, before the tables:
 * a column default written with the cast needs it when it is parsed.
 */
#include "ddl/ddl.h"

#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"

static PgcRows *
cast_row(PgcCatalog *cat, PgcObject *o)
{
	return pgc_read_one(cat, &pgc_q_cast, o->oid);
}

/* "(source AS target)" */
static char *
cast_label(PgcRows *r)
{
	return psprintf("(%s AS %s)", pgc_get(r, 0, "src"), pgc_get(r, 0, "tgt"));
}

List *
pgc_cast_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = cast_row(cat, o);
	char		method = pgc_get(r, 0, "castmethod")[0];
	char		context = pgc_get(r, 0, "castcontext")[0];
	List	   *out;

	out = list_make1(psprintf("CREATE CAST %s %s%s", cast_label(r),
							  method == 'f' ? psprintf("WITH FUNCTION %s", pgc_get(r, 0, "func")) :
							  method == 'i' ? "WITH INOUT" : "WITHOUT FUNCTION",
							  context == 'a' ? " AS ASSIGNMENT" : context == 'i' ? " AS IMPLICIT" : ""));
	if (pgc_get(r, 0, "comment"))
		out = lappend(out, psprintf("COMMENT ON CAST %s IS %s", cast_label(r),
									quote_literal_cstr(pgc_get(r, 0, "comment"))));
	return out;
}

/* Is there a cast between the same two types here? */
bool
pgc_cast_exists_locally(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = cast_row(cat, o);
	const char *args[2] = {pgc_get(r, 0, "src"), pgc_get(r, 0, "tgt")};

	return pgc_local_exists("SELECT 1 FROM pg_catalog.pg_cast"
							" WHERE castsource = pg_catalog.to_regtype($1)"
							" AND casttarget = pg_catalog.to_regtype($2)", 2, args);
}

char *
pgc_cast_drop_sql(PgcCatalog *cat, PgcObject *o)
{
	return psprintf("DROP CAST IF EXISTS %s CASCADE", cast_label(cast_row(cat, o)));
}

/* "'A', 'B'" from "A\x1fB", each tag quoted here */
static char *
tag_list(const char *tags)
{
	StringInfoData b;
	char	   *copy = pstrdup(tags);
	char	   *tok;
	char	   *save = NULL;

	initStringInfo(&b);
	for (tok = strtok_r(copy, "\x1f", &save); tok; tok = strtok_r(NULL, "\x1f", &save))
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", quote_literal_cstr(tok));
	return b.data;
}

/*
 * Event triggers, for database(): last of all, as pg_dump restores them, so
 * that none fires during the clone.  The function must be cloned (or exist);
 * the enabled state, tags, comment and owner follow.
 */
List *
pgc_event_triggers(PgcCatalog *cat)
{
	PgcRows    *r = pgc_read_event_triggers(cat);
	List	   *out = NIL;
	int			i;

	for (i = 0; i < r->nrows; i++)
	{
		char	   *q = pgc_qident(pgc_get(r, i, "evtname"));
		char	   *event = pgc_get(r, i, "evtevent");
		char	   *tags = pgc_get(r, i, "tags");
		char		en = pgc_get(r, i, "evtenabled")[0];

		if (strspn(event, "abcdefghijklmnopqrstuvwxyz_") != strlen(event))
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("source returned an invalid event name \"%s\"", event)));
		if (OidIsValid(get_event_trigger_oid(pgc_get(r, i, "evtname"), true)))
		{
			ereport(NOTICE, (errmsg("event trigger %s exists on the target: kept as it is", q)));
			continue;
		}
		out = lappend(out, psprintf("CREATE EVENT TRIGGER %s ON %s%s EXECUTE FUNCTION %s()", q, event,
									tags && tags[0] ? psprintf(" WHEN TAG IN (%s)", tag_list(tags)) : "",
									pgc_qname(pgc_get(r, i, "fnsp"), pgc_get(r, i, "fname"))));
		if (en != 'O')
			out = lappend(out, psprintf("ALTER EVENT TRIGGER %s %s", q,
										en == 'D' ? "DISABLE" : en == 'R' ? "ENABLE REPLICA" : "ENABLE ALWAYS"));
		out = pgc_comment_owner(out, "EVENT TRIGGER", q, pgc_get(r, i, "comment"),
								pgc_get(r, i, "owner"));
	}
	return out;
}
