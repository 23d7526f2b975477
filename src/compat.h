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

/*
 * A function that does not return: 18 replaced the postfix
 * pg_attribute_noreturn() by the prefix pg_noreturn.  pgc_noreturn goes in
 * front of the declaration on every major.
 */
#ifdef pg_noreturn
#define pgc_noreturn pg_noreturn
#else
#define pgc_noreturn pg_attribute_noreturn()
#endif

/*
 * A wait event set belongs to a resource owner from 17 on (released with it
 * on abort), to a memory context before.  The caller frees it either way.
 */
#if PG_VERSION_NUM >= 170000
#define pgc_create_wait_event_set(nevents) \
	CreateWaitEventSet(CurrentResourceOwner, (nevents))
#else
#define pgc_create_wait_event_set(nevents) \
	CreateWaitEventSet(CurrentMemoryContext, (nevents))
#endif

/*
 * Ownership and ACL checks of one object kind each were folded into
 * object_ownercheck()/object_aclcheck(class, ...) in 16 (utils/acl.h and
 * catalog/pg_*_d.h are the caller's includes).
 */
#if PG_VERSION_NUM >= 160000
#define pgc_relation_ownercheck(relid, roleid) \
	object_ownercheck(RelationRelationId, (relid), (roleid))
#define pgc_namespace_aclcheck(nspid, roleid, mode) \
	object_aclcheck(NamespaceRelationId, (nspid), (roleid), (mode))
#define pgc_database_aclcheck(dbid, roleid, mode) \
	object_aclcheck(DatabaseRelationId, (dbid), (roleid), (mode))
#else
#define pgc_relation_ownercheck(relid, roleid) pg_class_ownercheck((relid), (roleid))
#define pgc_namespace_aclcheck(nspid, roleid, mode) \
	pg_namespace_aclcheck((nspid), (roleid), (mode))
#define pgc_database_aclcheck(dbid, roleid, mode) \
	pg_database_aclcheck((dbid), (roleid), (mode))
#endif

/*
 * stringToQualifiedNameList reports a syntax error through an error-context
 * node from 16 on; NULL means ereport as before.
 */
#if PG_VERSION_NUM >= 160000
#define pgc_string_to_qualified_name_list(s) stringToQualifiedNameList((s), NULL)
#else
#define pgc_string_to_qualified_name_list(s) stringToQualifiedNameList(s)
#endif

/*
 * libpqsrv_check_proxy_conninfo_opts() refuses connection options the server
 * has not blessed for proxies; it came with a minor release (the Makefile
 * sets PGC_HAS_PROXY_OPTION_CHECK from the installed headers).  Without it
 * the server has no such list, and pgclone's own checks of file options and
 * passwords (remote.c) are all there is.
 */
#ifdef PGC_HAS_PROXY_OPTION_CHECK
#define pgc_check_proxy_conninfo_opts(opts) libpqsrv_check_proxy_conninfo_opts(opts)
#else
#define pgc_check_proxy_conninfo_opts(opts) ((void) (opts))
#endif

/*
 * What the target (the server pgclone runs in) can hold, by the major that
 * brought it.  A source object that uses a feature the target has is cloned;
 * one the target lacks is refused up front (remote/srcver.c).
 */
#define PGC_HAS_POSTFIX_OPERATORS		(PG_VERSION_NUM < 140000)
#define PGC_HAS_ICU_RULES				(PG_VERSION_NUM >= 160000)
#define PGC_HAS_MAINTAIN_PRIVILEGE		(PG_VERSION_NUM >= 170000)
#define PGC_HAS_BUILTIN_COLLATIONS		(PG_VERSION_NUM >= 170000)
#define PGC_HAS_PARTITIONED_IDENTITY	(PG_VERSION_NUM >= 170000)
#define PGC_HAS_VIRTUAL_GENERATED		(PG_VERSION_NUM >= 180000)
#define PGC_HAS_NOT_ENFORCED			(PG_VERSION_NUM >= 180000)
#define PGC_HAS_TEMPORAL_CONSTRAINTS	(PG_VERSION_NUM >= 180000)
/* NOT NULL constraints of columns in pg_constraint: named, NOT VALID */
#define PGC_HAS_NOT_NULL_CONSTRAINTS	(PG_VERSION_NUM >= 180000)
/* ... and of domains (17) */
#define PGC_HAS_DOMAIN_NOT_NULL_CONSTRAINTS (PG_VERSION_NUM >= 170000)
/* the target major, for messages */
#define PGC_TARGET_MAJOR				(PG_VERSION_NUM / 10000)

/* String value nodes: makeString works everywhere; strVal too. */

#endif							/* PGCLONE_COMPAT_H */
