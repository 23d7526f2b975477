/*
 * subset.h — subset clones that keep every foreign key (the "subset" option).
 *
 * The user gives a filter per table; subset.c reads the foreign-key graph of
 * the clone's tables in one source query and turns the filters into, for
 * each table, a WITH clause and a WHERE predicate evaluated on the source
 * inside that table's COPY (SELECT ...), so that every foreign key holds on
 * the target.  The semantics are written down in README.md ("Subset clones").
 *
 *   s = pgc_subset_build(conn, schemas, opts);   before anything is created:
 *       unknown tables, bad filters and an unclosable cycle are errors here
 *   pgc_subset_assign(s, pt) for each PgcPlanTable: sets pt->opts->subset_rel
 */
#ifndef PGCLONE_SUBSET_H
#define PGCLONE_SUBSET_H

#include "remote/remote.h"

/* What one table's COPY needs: spliced in by copy.c */
typedef struct PgcSubsetRel
{
	char	   *with;			/* "WITH RECURSIVE ... " or NULL */
	char	   *where;			/* predicate on the copied table, NULL = every row */
	List	   *null_cols;		/* column names (ON DELETE SET NULL keys) ... */
	List	   *null_conds;		/* ... kept when this holds, else NULL */
	bool		restricted;		/* some rows may be left out */
} PgcSubsetRel;

typedef struct PgcSubset PgcSubset;

/*
 * Read the FK graph of the schemas' tables and plan the subset (NULL = none);
 * check: also parse-analyse every filter and bound the cycles' closure on the
 * source (once per clone, before anything is created)
 */
extern PgcSubset *pgc_subset_build(PGconn *conn, List *schemas, const PgcOptions *opts,
								   bool check);
/* Set pt->opts->subset_rel for a table of the plan (its COPY) */
struct PgcPlanTable;
extern void pgc_subset_assign(PgcSubset *s, struct PgcPlanTable *pt);
/* After the copy: NOTICE of the rows kept per table */
extern void pgc_subset_report(PgcSubset *s, List *tables, List *rows);

/* Dry run (issue 27): per table of the graph, the rows the clone would keep */
typedef struct PgcSubsetPreview
{
	char	   *table;			/* qualified name */
	int64		rows;
	char	   *sql;			/* the SELECT of those rows */
	bool		restricted;
} PgcSubsetPreview;
extern List *pgc_subset_preview(PGconn *conn, PgcSubset *s, const PgcOptions *opts);

#endif							/* PGCLONE_SUBSET_H */
