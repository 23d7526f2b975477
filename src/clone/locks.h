/*
 * locks.h — the lock budget of a clone, and clones committed in steps.
 *
 * A clone in one transaction holds a lock on every relation it creates
 * (tables, partitions, indexes, sequences, TOAST tables, views, matviews)
 * until it commits; the shared lock table holds max_locks_per_transaction *
 * (MaxBackends + max_prepared_transactions) of them for the whole server.
 * A synchronous clone checks its estimate before it creates anything
 * (pgc_lock_budget_check, ERROR 53200); the background workers of
 * schema_async() and database_create() commit in steps instead (pgc_steps_*).
 */
#ifndef PGCLONE_LOCKS_H
#define PGCLONE_LOCKS_H

#include "remote/remote.h"

typedef struct PgcLockEstimate
{
	int			relations;		/* tables, partitions, sequences, views, ... */
	int			indexes;
	int			toast;			/* relations with a TOAST table (2 locks each) */
	int			refresh;		/* populated matviews: REFRESH builds a new heap */
	int			objects;		/* row types, constraints, functions, types, ...,
								 * objects of extensions to create */
	int			local;			/* existing target relations replace/rename touch */
	int			needed;			/* the total, with the catalogs' own locks */
	int			capacity;		/* of the shared lock table */
} PgcLockEstimate;

/* Locks of the whole server's lock table */
extern int	pgc_lock_capacity(void);

/*
 * Estimate the locks a one-transaction clone of the schemas (or, with
 * table_oids an oid[] literal, of those tables) takes on the target.
 */
extern void pgc_lock_estimate(PGconn *conn, List *schemas, const char *table_oids,
							  const PgcOptions *opts, PgcLockEstimate *e);
/* ERROR 53200 when the estimate does not fit; what names the function */
extern void pgc_lock_budget_check(PGconn *conn, List *schemas, const char *table_oids,
								  const PgcOptions *opts, const char *what);

/*
 * Steps: in a background worker's transaction (snapshot pushed, SPI
 * connected with SPI_OPT_NONATOMIC), pgc_steps_begin() arms them;
 * pgc_steps_charge(n) commits and starts a new transaction (snapshot and
 * the clone's settings set up again) when n more locks would overflow the
 * step.  Source connections must be pgc_conn_keep()'d.
 */
extern void pgc_steps_begin(void);
extern void pgc_steps_end(void);
extern bool pgc_steps_active(void);
extern void pgc_steps_charge(int locks);
extern int	pgc_steps_commits(void);
/* Locks the creation of an object of this kind letter takes */
extern int	pgc_lock_weight(char kind);
/* Run statements one by one, committing between them when a step is full */
extern void pgc_steps_exec(List *stmts);

#endif							/* PGCLONE_LOCKS_H */
