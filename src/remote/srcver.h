/*
 * srcver.h — the source-version layer: what differs between the catalogs
 * and the SQL of PostgreSQL 12..18 sources, for the PostgreSQL 15 target, in
 * one place (srcver.c).
 */
#ifndef PGCLONE_SRCVER_H
#define PGCLONE_SRCVER_H

#include "pgclone.h"

#define PGC_SRCVER_MIN	120000	/* oldest source major supported */

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

/* One object of the source that the target cannot create. */
typedef struct PgcCompatItem
{
	Oid			classid;		/* the plan object it belongs to */
	Oid			objid;
	char	   *nspname;
	char	   *object;			/* "column pagila.film.title" */
	char	   *feature;		/* "virtual generated columns (PostgreSQL 18)" */
} PgcCompatItem;

/*
 * Objects of the given source schemas (NIL: every schema) that use a
 * feature the target has no equivalent for; NIL when the source's version
 * has none.  One query.
 */
extern List *pgc_srcver_incompatible(PGconn *conn, List *schemas);
/* ERROR 0A000 naming the object and the feature */
pgc_noreturn extern void pgc_srcver_refuse(PgcCompatItem *item);
/* Refuse the first item that belongs to classid/objid, if any */
extern void pgc_srcver_check_object(List *items, Oid classid, Oid objid);

/*
 * A privilege name read from the source, for a GRANT on the target: false
 * when the target has no such privilege and the grant holds it only as part
 * of ALL (PostgreSQL 17's MAINTAIN), so it is left out.
 */
extern bool pgc_srcver_privilege_kept(const char *priv);
/* "DELETE, MAINTAIN, SELECT" without the privileges left out; NULL if none */
extern char *pgc_srcver_privilege_list(const char *privs);

#endif							/* PGCLONE_SRCVER_H */
