/*
 * plan.h — the plan of a clone (the plan stage: remote -> catalog -> plan ->
 * ddl -> clone): the source's objects in creation order, the tables to load
 * and where they go.
 */
#ifndef PGCLONE_PLAN_H
#define PGCLONE_PLAN_H

#include "catalog/pgc_model.h"
#include "utils/hsearch.h"

/* Where a table goes on the target, and what gets renamed with it. */
typedef struct PgcTarget
{
	char	   *nspname;
	char	   *relname;
} PgcTarget;

/* An extension of the source (clone/extensions.c). */
typedef struct PgcExtension
{
	char	   *name;
	char	   *nspname;		/* its schema on the source */
	char	   *version;
	bool		needed;			/* some object of the clone uses one of its members */
} PgcExtension;

/* A table to load, and where it goes. */
typedef struct PgcPlanTable
{
	PgcTable   *table;
	PgcTarget	target;
	PgcOptions *opts;			/* the clone's options, with this table's mask */
	bool		load;			/* has rows of its own (not a partitioned parent) */
	bool		has_children;	/* inheritance parent */
} PgcPlanTable;

typedef struct PgcClonePlan
{
	List	   *schemas;		/* source schema names (char *) */
	bool		functions_only;
	int			nobjects;
	PgcObject  *objects;		/* in creation order after pgc_plan_read */
	List	   *extensions;		/* PgcExtension *: what the objects use (database():
								 * every extension of the source) */
	List	   *tables;			/* PgcPlanTable *, filled by pgc_plan_pre_data */
	List	   *matviews;		/* PgcObject * to refresh, in dependency order */
	int			counts[128];	/* created objects by kind letter; post-data ones
								 * by lower-case letter (pgc_plan_count_post) */
	/* a table clone of a partition tree: only its tables, no schema headers,
	 * extensions or default privileges; table_oids is an oid[] literal */
	bool		tables_only;
	char	   *table_oids;
	bool		whole_database; /* database(): database-wide default privileges too */
	uint64		rows;
} PgcClonePlan;

/* a mask naming a table the clone does not create: ERROR 42P01 */
extern void pgc_plan_check_masks(PgcClonePlan *plan, const PgcOptions *opts);
/* The source oids of plan->tables (filled), to ask pgc_plan_has_table */
extern HTAB *pgc_plan_table_set(PgcClonePlan *plan);
extern bool pgc_plan_has_table(HTAB *tables, const char *oid);
/* "12 tables, 3 views, ..." */
extern char *pgc_plan_summary(PgcClonePlan *plan);

/*
 * What reads the plan from a source connection (depsort.c, plan.c) is in
 * plan/plan_read.h: this header is free of libpq, for the DDL stage.
 */

#endif							/* PGCLONE_PLAN_H */
