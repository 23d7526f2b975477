/*
 * cast.c — user-defined casts, for database() (kind 'K' in the sort).
 *
 * A cast belongs to the database, not to a schema, so only a whole-database
 * clone takes it, as a full pg_dump does: the casts created by users (OID
 * from 16384 on) that no extension owns.  It comes after its function and
 * types (pg_depend) and, ranked with the functions, before the tables:
 * a column default written with the cast needs it when it is parsed.
 */
#include "schema.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#define CAST_SQL \
	"SELECT format_type(c.castsource, NULL) AS src, format_type(c.casttarget, NULL) AS tgt," \
	" c.castmethod, c.castcontext, c.castfunc::regprocedure::text AS func," \
	" obj_description(c.oid, 'pg_cast') AS comment FROM pg_cast c WHERE c.oid = $1::oid"

static PgcRows *
cast_row(PGconn *conn, PgcObject *o)
{
	const char *params[1] = {o->oid};
	PgcRows    *r = pgc_query_params(conn, CAST_SQL, 1, params);

	if (r->nrows != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source cast with OID %s disappeared", o->oid)));
	return r;
}

/* "(source AS target)" */
static char *
cast_label(PgcRows *r)
{
	return psprintf("(%s AS %s)", pgc_get(r, 0, "src"), pgc_get(r, 0, "tgt"));
}

List *
pgc_cast_sql(PGconn *conn, PgcObject *o)
{
	PgcRows    *r = cast_row(conn, o);
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
pgc_cast_exists_locally(PGconn *conn, PgcObject *o)
{
	PgcRows    *r = cast_row(conn, o);
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(pgc_get(r, 0, "src")),
	CStringGetTextDatum(pgc_get(r, 0, "tgt"))};

	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_cast"
							  " WHERE castsource = pg_catalog.to_regtype($1)"
							  " AND casttarget = pg_catalog.to_regtype($2)",
							  2, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: local cast lookup failed");
	return SPI_processed > 0;
}

char *
pgc_cast_drop_sql(PGconn *conn, PgcObject *o)
{
	return psprintf("DROP CAST IF EXISTS %s CASCADE", cast_label(cast_row(conn, o)));
}
