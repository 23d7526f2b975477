/*
 * vfk.h — virtual foreign keys: relations the source schema does not declare,
 * given by the user in "virtual_foreign_keys" (issue 27).
 *
 * The subset planner follows them like declared keys (subset.c, vfk.c); they
 * are checked on the source before anything is created and never created on
 * the target.  Other stages that follow foreign keys (e.g. masking families)
 * get the same list from pgc_vfk_list(): the parsed option, no source access.
 */
#ifndef PGCLONE_VFK_H
#define PGCLONE_VFK_H

#include "pgclone.h"

typedef struct PgcVirtualFk
{
	char	   *from_nsp;		/* NULL if the user left the table unqualified */
	char	   *from_rel;
	List	   *from_cols;		/* char *, in key order */
	char	   *to_nsp;			/* NULL if unqualified */
	char	   *to_rel;
	List	   *to_cols;		/* char *, as many as from_cols */
} PgcVirtualFk;

/* The virtual foreign keys of opts (PgcVirtualFk *), NIL if none */
extern List *pgc_vfk_list(const PgcOptions *opts);

#endif							/* PGCLONE_VFK_H */
