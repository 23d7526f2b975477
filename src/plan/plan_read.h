/*
 * plan_read.h — the plan read from a source connection (plan/depsort.c,
 * plan.c); the plan itself is in plan/plan.h, which the DDL stage reads
 * without seeing the connection.
 */
#ifndef PGCLONE_PLAN_READ_H
#define PGCLONE_PLAN_READ_H

#include "catalog/reader.h"
#include "plan/plan.h"

/* depsort.c: fill plan->objects from the source and sort them */
/*
 * skip_kinds: kind letters left out, with everything that depends on them;
 * opts (may be NULL): tables its "tables"/"exclude_tables" leave out, too
 */
extern void pgc_depsort_read(PGconn *conn, PgcClonePlan *plan, const char *skip_kinds,
							 const PgcOptions *opts);

/* plan.c: read the objects of the schemas and sort them by dependency */
extern PgcClonePlan *pgc_plan_read(PGconn *conn, List *schemas, bool functions_only,
								   bool whole_database, const PgcOptions *opts);
/* the extensions the objects of these schemas need (all: every one) */
extern List *pgc_plan_extensions(PGconn *conn, List *schemas, bool all);

#endif							/* PGCLONE_PLAN_READ_H */
