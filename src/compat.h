/*
 * compat.h — every PostgreSQL-version difference pgclone cares about.
 *
 * pgclone is written against PostgreSQL 15; code for other majors goes here,
 * behind PG_VERSION_NUM, so the rest of the tree stays version-free.
 */
#ifndef PGCLONE_COMPAT_H
#define PGCLONE_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 130000
#error "pgclone needs PostgreSQL 13 or later"
#endif

/* fmgr.h declares _PG_init only from 16 on */
#if PG_VERSION_NUM < 160000
PGDLLEXPORT void _PG_init(void);
#endif

/* relfilenode was renamed relfilelocator in 16 */
#if PG_VERSION_NUM >= 160000
#define PGC_REL_NEW_FILE_SUBID(rel) ((rel)->rd_newRelfilelocatorSubid)
#else
#define PGC_REL_NEW_FILE_SUBID(rel) ((rel)->rd_newRelfilenodeSubid)
#endif

/* shmem_request_hook appeared in 15 */
#if PG_VERSION_NUM >= 150000
#define PGC_HAVE_SHMEM_REQUEST_HOOK 1
#endif

/* typeStringToTypeName takes an error-context node from 16 on */
#if PG_VERSION_NUM >= 160000
#define pgc_type_string_to_typename(s) typeStringToTypeName((s), NULL)
#else
#define pgc_type_string_to_typename(s) typeStringToTypeName(s)
#endif

/* String value nodes: makeString works everywhere; strVal too. */

#endif							/* PGCLONE_COMPAT_H */
