/*
 * srcver.h — the source-version layer: what differs between the catalogs
 * and the SQL of PostgreSQL 12..18 sources, for the PostgreSQL 15 target, in
 * one place (srcver.c).  Its functions that take a connection are declared
 * in remote/remote.h; this header is free of libpq, for the later stages.
 */
#ifndef PGCLONE_SRCVER_H
#define PGCLONE_SRCVER_H

#include "pgclone.h"

#define PGC_SRCVER_MIN	120000	/* oldest source major supported */

/* One object of the source that the target cannot create. */
typedef struct PgcCompatItem
{
	Oid			classid;		/* the plan object it belongs to */
	Oid			objid;
	char	   *nspname;
	char	   *object;			/* "column pagila.film.title" */
	char	   *feature;		/* "virtual generated columns (PostgreSQL 18)" */
} PgcCompatItem;

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
