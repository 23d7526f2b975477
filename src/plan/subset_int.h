/*
 * subset_int.h — the subset planner's graph, shared by the files of the plan
 * stage that build it: subset.c (the down/up rules and the SQL), sample.c
 * (sampling rules), vfk.c (virtual foreign keys), subset_preview.c (the dry
 * run).  Not for other stages: they use subset.h and vfk.h.
 */
#ifndef PGCLONE_SUBSET_INT_H
#define PGCLONE_SUBSET_INT_H

#include "plan/subset.h"
#include "lib/stringinfo.h"

typedef struct SubCol
{
	char	   *name;
	char	   *type;			/* format_type, with typmod */
	char	   *eqop;			/* "OPERATOR(pg_catalog.=)": column = column */
} SubCol;

typedef struct SubEdge
{
	char	   *conname;
	int			child;
	int			parent;
	int			ncols;
	char	  **fk;				/* column names, in key order */
	char	  **ref;
	char	  **pfop;			/* referenced = referencing */
	char	  **ppop;			/* referenced = referenced */
	char	  **ffop;			/* referencing = referencing */
	bool	   *fknull;			/* referencing column is nullable */
	bool		soft;
} SubEdge;

typedef enum SubState
{
	ST_ALL,						/* every row */
	ST_PRIMARY,					/* own filter, or a restricting FK */
	ST_SECONDARY				/* in a cycle with a primary member */
} SubState;

typedef struct SubNode
{
	char	   *oid;
	char	   *nspname;
	char	   *relname;
	char		relkind;
	char	   *filter;			/* its own rule as a predicate (sample.c) */
	Jsonb	   *rule;			/* a sampling rule object, NULL = a plain filter */
	List	   *ident;			/* sampling: primary key (else all) column names */
	bool		has_pk;			/* ident is the primary key */
	SubState	state;
	int			scc;
	bool		cyclic;			/* in a cycle or self-referencing */
	bool		region;			/* K may exceed D: closure rows in pgclone_subset_k */
	List	   *cols;			/* SubCol *: keys it references or is referenced by */
	int			index,			/* Tarjan */
				low;
	bool		onstack;
	bool		emitted;		/* its d CTE is in the WITH being built */
} SubNode;

struct PgcSubset
{
	int			nnodes;
	SubNode    *nodes;
	int			nedges;
	SubEdge    *edges;
	int			nleaves;
	char	  **leaf_oid;
	int		   *leaf_node;
	bool		any_region;
	/* generation */
	StringInfoData with;
	bool		k_emitted;
	/* Tarjan */
	int			counter;
	int		   *stack;
	int			sp;
	int			nscc;
};

/* sample.c: turn each node's sampling rule into its filter */
extern void pgc_sample_apply(PgcSubset *s, const PgcOptions *opts);
/* vfk.c: check the virtual foreign keys on the source, add them as edges */
extern void pgc_vfk_add(PGconn *conn, PgcSubset *s, const PgcOptions *opts);

/* subset.c, for the files above */
extern int	pgc_subset_node_of(PgcSubset *s, const char *nsp, const char *rel);
extern int	pgc_subset_node_col(SubNode *n, const char *name, const char *type, const char *eqop);
extern PgcSubsetRel *pgc_subset_rel_of(PgcSubset *s, int i, const char *ref);
extern char *pgc_subset_from(SubNode *n);
extern void pgc_subset_gen_reset(PgcSubset *s);

#endif							/* PGCLONE_SUBSET_INT_H */
