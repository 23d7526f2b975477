/*
 * remote.h — the remote layer: libpq inside a backend (remote.c), one
 * point-in-time view of the source (snapshot.c) and what depends on the
 * source's version (srcver.c).  The first stage (remote -> catalog -> plan ->
 * ddl -> clone); only files that talk to a server include it: nothing else
 * sees libpq-fe.h.
 */
#ifndef PGCLONE_REMOTE_H
#define PGCLONE_REMOTE_H

#include "pgclone.h"

#include "libpq-fe.h"

/* ---------- remote.c: libpq inside a backend ---------- */

/* pgc_init_remote() and pgc_hide_statement() are in pgclone.h (no libpq) */

/* PQconninfoParse; a malformed string is ERROR 08001 that does not echo it */
extern PQconninfoOption *pgc_conninfo_parse(const char *conninfo);

/* Open a connection; errors never show the password. */
extern PGconn *pgc_connect(const char *conninfo);
extern void pgc_disconnect(PGconn *conn);
/* Keep conn open past transaction end (closed by pgc_disconnect only) */
extern void pgc_conn_keep(PGconn *conn);

/* Describe the server a connection talks to, e.g. "host=h port=5432" */
extern char *pgc_conn_label(PGconn *conn);

/*
 * Session setup as pg_dump does it, then BEGIN a READ ONLY transaction:
 * REPEATABLE READ when consistent; import snapshot when snapshot != NULL.
 */
extern void pgc_begin_source_xact(PGconn *conn, bool consistent,
								  const char *snapshot);
extern char *pgc_export_snapshot(PGconn *conn);

/* Run a command; remote errors are re-raised with SQLSTATE/detail/hint. */
extern void pgc_command(PGconn *conn, const char *sql);

/* Run a query (optionally with text parameters), return the copied rows. */
extern PgcRows *pgc_query(PGconn *conn, const char *sql);
extern PgcRows *pgc_query_params(PGconn *conn, const char *sql,
								 int nparams, const char *const *params);

/* Raise the error carried by res (PQclear'd here); context names the object */
pgc_noreturn extern void pgc_report_remote(int elevel, PGresult *res, PGconn *conn,
										   const char *context);

/*
 * ... with our_hint instead of the source's for an error of SQLSTATE
 * hint_for.  Never returns (not declared so: the attribute's spelling
 * differs between majors).
 */
extern void pgc_report_remote_hint(int elevel, PGresult *res, PGconn *conn,
								   const char *context, const char *hint_for,
								   const char *our_hint);

/* The final result of a command sent; keeps the source's error over libpq's "connection lost" */
extern PGresult *pgc_get_result_last(PGconn *conn);

/* Source-server version, e.g. 150020 */
extern int	pgc_server_version(PGconn *conn);

/* snapshot.c: one point-in-time view of the source */
extern PGconn *pgc_snapshot_keeper(const char *conninfo, bool consistent,
								   char **snapshot);
extern PGconn *pgc_snapshot_attach(const char *conninfo, bool consistent,
								   const char *snapshot);

/* srcver.c (the rest of it, without libpq, in remote/srcver.h) */
/* The source's server_version_num; ERROR 0A000 for a major below 12. */
extern int	pgc_srcver(PGconn *conn);

/* Session settings every source connection needs (timeouts off); one statement */
extern void pgc_srcver_session_setup(PGconn *conn);

/*
 * A catalog query written against PostgreSQL 15's catalogs, made to run on
 * the connection's server: the query itself, or the query behind a WITH list
 * that gives each catalog the source has in another shape 15's shape under
 * its own name.  Only unqualified catalog names are adapted.
 */
extern const char *pgc_srcver_sql(PGconn *conn, const char *sql);

/*
 * Objects of the given source schemas (NIL: every schema) that use a
 * feature the target has no equivalent for (PgcCompatItem, remote/srcver.h);
 * NIL when the source's version has none.  One query.
 */
extern List *pgc_srcver_incompatible(PGconn *conn, List *schemas);

#endif							/* PGCLONE_REMOTE_H */
