/*
 * refresh.h — pgclone.refresh(): a new generation of a database built
 * beside it and swapped in by renaming (refresh.c: the SQL functions, the
 * options and the swap; refresh_worker.c: the job's workers).
 *
 * Names derived from the target T (reserved for pgclone):
 *   T__pgc_new   the generation being built (dropped if the refresh fails)
 *   T__pgc_prev  the previous generation, kept for refresh_rollback()
 *   T__pgc_drop  an older generation on its way out
 */
#ifndef PGCLONE_REFRESH_H
#define PGCLONE_REFRESH_H

#include "jobs/jobs.h"

#define PGC_REFRESH_NEW		"__pgc_new"
#define PGC_REFRESH_PREV	"__pgc_prev"
#define PGC_REFRESH_DROP	"__pgc_drop"
/* the longest suffix above */
#define PGC_REFRESH_SUFFIX_LEN	10

/* The phases of a refresh job; tables_total/tables_completed count them. */
#define PGC_REFRESH_PHASES	4

typedef struct PgcRefreshOpts
{
	List	   *post_sql;		/* of char *: run in the new database, one xact */
	bool		wait_sessions;	/* "sessions": "wait" (else "terminate") */
	int			session_timeout;	/* seconds, for "wait" */
	bool		keep_previous;	/* keep T__pgc_prev */
	const char *verify;			/* verify() mode, NULL = none */
	char	   *clone_json;		/* the clone's own options, NULL = none */
} PgcRefreshOpts;

/* Split and check the options (ERROR on anything wrong). */
extern void pgc_refresh_options(const char *json, PgcRefreshOpts *ro, PgcOptions *copts);
/* T plus one of the suffixes above */
extern char *pgc_refresh_name(const char *target, const char *suffix);
/* Sessions on db: wait for them up to timeout seconds, or end them. */
extern void pgc_refresh_sessions(Oid dboid, const char *dbname, bool wait, int timeout);
/* Give newdb the owner, settings, privileges, comment of olddb. */
extern void pgc_refresh_copy_db_props(Oid olddb, const char *newname);
/* Rename databases in the current transaction (SPI connected). */
extern void pgc_refresh_rename(const char *from, const char *to);

#endif							/* PGCLONE_REFRESH_H */
