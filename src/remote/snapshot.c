/*
 * snapshot.c — one point-in-time view of the source for a whole clone.
 *
 * The keeper connection opens a REPEATABLE READ READ ONLY transaction and
 * exports its snapshot; it stays open until the clone ends, so the snapshot
 * stays importable.  Every other source connection of the clone (a pool
 * worker, say) attaches with SET TRANSACTION SNAPSHOT, as pg_dump -j does.
 * The synchronous clone reads everything through the keeper itself.
 */
#include "remote/remote.h"

PGconn *
pgc_snapshot_keeper(const char *conninfo, bool consistent, char **snapshot)
{
	PGconn	   *conn = pgc_connect(conninfo);

	pgc_begin_source_xact(conn, consistent, NULL);
	*snapshot = consistent ? pgc_export_snapshot(conn) : NULL;
	return conn;
}

PGconn *
pgc_snapshot_attach(const char *conninfo, bool consistent, const char *snapshot)
{
	PGconn	   *conn = pgc_connect(conninfo);

	pgc_begin_source_xact(conn, consistent, consistent ? snapshot : NULL);
	return conn;
}
