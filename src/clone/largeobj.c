/*
 * largeobj.c — large objects, for database(): a whole-database clone takes
 * them as pg_dump does (they belong to the database, not to a schema).
 *
 * Each keeps its OID, since the tables that use them store it.  The data is
 * read from the clone's snapshot in 1 MB pieces (lo_get with offset and
 * length) and written with lo_put, so memory stays flat whatever the size.
 * Owner, grants and comment follow; an OID already taken on the target is
 * handled by the "conflict" option like any other object.
 */
#include "clone/schema.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define LO_CHUNK (1024 * 1024)

#define LOS_SQL \
	"SELECT l.oid, pg_get_userbyid(l.lomowner) AS owner," \
	" obj_description(l.oid, 'pg_largeobject') AS comment," \
	ACL_OF("l.lomacl", "l.lomowner") \
	" FROM pg_largeobject_metadata l ORDER BY l.oid"

/* The OID is taken on the target: false = leave the source's out */
static bool
lo_conflict(Oid loid, PgcConflict mode)
{
	if (SPI_execute(psprintf("SELECT 1 FROM pg_catalog.pg_largeobject_metadata WHERE oid = %u", loid),
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not look up large object %u", loid);
	if (SPI_processed == 0)
		return true;
	switch (mode)
	{
		case PGC_CONFLICT_SKIP:
			ereport(NOTICE, (errmsg("target large object %u already exists, skipping", loid)));
			return false;
		case PGC_CONFLICT_REPLACE:
			pgc_local_exec(psprintf("SELECT pg_catalog.lo_unlink(%u)", loid));
			return true;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("target large object %u already exists", loid),
					 errhint("Large objects keep their OIDs: use the \"conflict\" option \"skip\" or \"replace\".")));
	}
	return false;
}

/*
 * Copy one large object's bytes in pieces; returns its size.  Each piece is
 * read, decoded and written in a context reset before the next one, so the
 * backend's memory does not grow with the object.
 */
static int64
lo_copy_data(PGconn *conn, Oid loid)
{
	MemoryContext old = CurrentMemoryContext;
	MemoryContext piece = AllocSetContextCreate(old, "pgclone large object piece",
												ALLOCSET_DEFAULT_SIZES);
	int64		off = 0;
	size_t		len;

	do
	{
		/* SPI calls return to their own context: switch back every time */
		MemoryContext outer = MemoryContextSwitchTo(piece);
		PgcRows    *r = pgc_query(conn, psprintf("SELECT lo_get(%u, " INT64_FORMAT ", %d)",
												 loid, off, LO_CHUNK));
		unsigned char *bytes = PQunescapeBytea((unsigned char *) pgc_val(r, 0, 0), &len);
		Oid			argtypes[1] = {BYTEAOID};
		Datum		values[1];
		bytea	   *b;

		if (bytes == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory reading large object %u", loid)));
		b = palloc(len + VARHDRSZ);
		SET_VARSIZE(b, len + VARHDRSZ);
		memcpy(VARDATA(b), bytes, len);
		PQfreemem(bytes);
		if (len > 0)
		{
			values[0] = PointerGetDatum(b);
			if (SPI_execute_with_args(psprintf("SELECT pg_catalog.lo_put(%u, " INT64_FORMAT ", $1)",
											   loid, off),
									  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
				elog(ERROR, "pgclone: could not write large object %u", loid);
			SPI_freetuptable(SPI_tuptable);
		}
		off += len;
		MemoryContextSwitchTo(outer);
		MemoryContextReset(piece);
	} while (len == LO_CHUNK);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(piece);
	return off;
}

/* Clone every large object of the source; returns how many. */
int
pgc_clone_large_objects(PGconn *conn, bool data, PgcConflict mode)
{
	PgcRows    *r = pgc_query(conn, LOS_SQL);
	int			n = 0;
	int			i;

	for (i = 0; i < r->nrows; i++)
	{
		Oid			loid = (Oid) strtoul(pgc_get(r, i, "oid"), NULL, 10);
		char	   *what = psprintf("%u", loid);
		List	   *stmts = NIL;
		PgcRows		row;

		if (!lo_conflict(loid, mode))
			continue;
		pgc_local_exec(psprintf("SELECT pg_catalog.lo_create(%u)", loid));
		if (data)
			(void) lo_copy_data(conn, loid);
		/* the helpers read row 0: point them at this one */
		row = *r;
		row.nrows = 1;
		row.values = &r->values[i * r->ncols];
		stmts = pgc_comment_on(stmts, &row, "LARGE OBJECT", what);
		stmts = pgc_owner_acl(stmts, &row, "LARGE OBJECT", what);
		pgc_exec_list(stmts);
		n++;
	}
	if (n > 0)
		ereport(NOTICE, (errmsg("cloned %d large objects", n)));
	return n;
}
