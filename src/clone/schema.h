/*
 * schema.h — schema and database cloning: the plan of a clone.
 *
 * A clone runs in four steps, all in the caller's transaction:
 *
 *   plan = pgc_plan_read(conn, schemas, false, opts);     source catalogs only
 *   pgc_plan_pre_data(conn, plan, opts);                  target: schemas,
 *       extensions, then every object in pg_depend order (types, functions,
 *       sequences, tables without indexes/constraints, views, matviews WITH
 *       NO DATA); fills plan->tables
 *   for each PgcPlanTable in plan->tables with load = true:
 *       pgc_copy_table(conn, pt->table, &pt->target, pt->opts, true)
 *       (any connection that imported the clone's snapshot may do this: the
 *       order of loads does not matter, so a pool can share them out)
 *   stmts = pgc_plan_post_data(conn, plan, opts);          then run them in
 *       order: per-table constraints/indexes, partition index attachment,
 *       foreign keys, triggers, rules, sequence values, REFRESH of matviews.
 *
 * The caller holds an SPI connection (pgc_local_exec) throughout, and reads
 * the source through one REPEATABLE READ snapshot (see snapshot.c).
 */
#ifndef PGCLONE_SCHEMA_H
#define PGCLONE_SCHEMA_H

#include "pgclone.h"

/* One object a schema holds, as found on the source. */
typedef struct PgcObject
{
	char		kind;			/* C collation, N conversion, W/P/D/X text search template,
								 * parser, dictionary, configuration, T type, S sequence, F
								 * function/procedure, A aggregate, O operator, Y
								 * operator family, Z operator class, K cast, R
								 * table, E foreign table, V view, M matview */
	Oid			classid;		/* source catalog and OID */
	Oid			objid;
	char	   *oid;			/* objid as text */
	char	   *nspname;
	char	   *name;
	char		sub;			/* relkind, typtype or prokind */
	bool		skip;			/* left out (option, or depends on a skipped one) */
	/* depsort.c */
	int			rank;
	int			nrefs;			/* objects this one depends on (indexes) */
	int		   *refs;
	int			npending;
	bool		done;
} PgcObject;

/* An extension of the source (extensions.c). */
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

/* Read the objects of the schemas and sort them by dependency. */
extern PgcClonePlan *pgc_plan_read(PGconn *conn, List *schemas, bool functions_only,
								   bool whole_database, const PgcOptions *opts);
/* Create everything before the data on the target. */
extern void pgc_plan_pre_data(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts);
/* Statements to run after the data is loaded. */
extern List *pgc_plan_post_data(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts);
/* ... with loaded_tables = false: without pgc_plan_table_post_data of load tables */
extern List *pgc_plan_post_data_ex(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts,
								   bool loaded_tables);

/*
 * For a clone split over transactions (async jobs): pre-data in one, each
 * load table in its own (pgc_plan_table_fetch, pgc_copy_table,
 * pgc_plan_table_post_data), then pgc_plan_read + pgc_plan_tables +
 * pgc_plan_post_data_ex(..., false) in a last one.
 */
extern PgcPlanTable *pgc_plan_table_fetch(PGconn *conn, const char *nsp, const char *rel,
										  const PgcOptions *opts);
extern List *pgc_plan_table_post_data(PgcPlanTable *pt, const PgcOptions *opts);
extern void pgc_plan_tables(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts);
/* run statements, each checked to be a single statement */
extern void pgc_plan_exec(List *stmts);
/* a mask naming a table the clone does not create: ERROR 42P01 */
extern void pgc_plan_check_masks(PgcClonePlan *plan, const PgcOptions *opts);
/* check_function_bodies off, search_path pg_catalog; returns the GUC nest level */
extern int	pgc_plan_gucs(void);

/* "12 tables, 3 views, ..." */
extern char *pgc_plan_summary(PgcClonePlan *plan);
/* add what these post-data statements create to plan->counts */
extern void pgc_plan_count_post(PgcClonePlan *plan, List *stmts);

/* Whole clone over one source connection (SPI connected by the caller). */
extern void pgc_plan_run(PGconn *conn, PgcClonePlan *plan, bool data,
						 const PgcOptions *opts);

/* depsort.c: fill plan->objects from the source and sort them */
/* '{"a","b"}': a text[] literal of names, for query parameters */
extern char *pgc_names_literal(List *names);
/* skip_kinds: kind letters left out, with everything that depends on them */
extern void pgc_depsort_read(PGconn *conn, PgcClonePlan *plan, const char *skip_kinds);

/*
 * The non-default ACL of an object, minus the owner's own entries, as
 * "grantee \x1f privilege \x1f grantable \x1e" records (acl) and has_acl:
 * what pgc_owner_acl() reads.
 */
#define ACL_OF(aclexpr, ownerexpr) \
	" (SELECT string_agg(coalesce(pg_get_userbyid(NULLIF(a.grantee, 0)), '') || '\x1f' ||" \
	"   a.privilege_type || '\x1f' || a.is_grantable || '\x1e', '' ORDER BY a.grantee, a.privilege_type)" \
	"   FROM aclexplode(" aclexpr ") a WHERE a.grantee <> " ownerexpr ") AS acl," \
	" " aclexpr " IS NOT NULL AS has_acl"

/* objects.c: DDL of non-table objects */
/* The one row sql ($1 = oid) returns on the source; ERROR if the object is gone */
extern PgcRows *pgc_source_row(PGconn *conn, const char *sql, const char *oid, const char *what);
/* ALTER kind what OWNER TO, then its grants (columns owner, acl, has_acl of row 0) */
extern List *pgc_owner_acl(List *out, PgcRows *r, const char *kind, const char *what);
/* ALTER kind q ADD CONSTRAINT name def, for each row (conname, def) of k */
extern List *pgc_add_constraints(List *out, const char *kind, const char *q, PgcRows *k);
/* Does a local query with text parameters $1..$n (NULL allowed, n <= 4) return a row? */
extern bool pgc_local_exists(const char *sql, int nargs, const char *const *args);
/* COMMENT ON / ALTER ... OWNER TO of an object without grants (either may be NULL) */
extern List *pgc_comment_owner(List *out, const char *word, const char *what,
							   const char *comment, const char *owner);
/* COMMENT ON kind what (column comment of row 0) */
extern List *pgc_comment_on(List *out, PgcRows *r, const char *kind, const char *what);
extern List *pgc_object_pre_data(PGconn *conn, PgcObject *o, const PgcOptions *opts);
extern List *pgc_object_post_data(PGconn *conn, PgcObject *o, const PgcOptions *opts);
extern List *pgc_relation_rules(PGconn *conn, PgcObject *o);
extern bool pgc_object_exists_locally(PGconn *conn, PgcObject *o);
extern char *pgc_object_drop_sql(PGconn *conn, PgcObject *o);
extern List *pgc_schema_header(PGconn *conn, const char *nspname);
/* ALTER DEFAULT PRIVILEGES of a schema, or database-wide ones (nspname NULL) */
extern List *pgc_default_privileges(PGconn *conn, const char *nspname);
extern bool pgc_role_usable(const char *role, const char *what);

/* operator.c: operators ('O'); "schema.op", the name checked (it cannot be quoted) */
extern char *pgc_operator_name(const char *nsp, const char *op);
extern List *pgc_operator_sql(PGconn *conn, PgcObject *o);
extern bool pgc_operator_exists_locally(PGconn *conn, PgcObject *o);
extern char *pgc_operator_drop_sql(PGconn *conn, PgcObject *o);

/* opclass.c: operator families ('Y') and classes ('Z') */
extern List *pgc_opclass_sql(PGconn *conn, PgcObject *o);
extern char *pgc_opclass_label(PGconn *conn, PgcObject *o);

/* server.c: foreign-data wrappers and servers the target lacks (database()) */
extern void pgc_clone_servers(PGconn *conn);

/* largeobj.c: every large object of the source, OIDs kept (database()) */
extern int	pgc_clone_large_objects(PGconn *conn, bool data, PgcConflict mode);

/* cast.c: casts ('K', whole-database clones) and event triggers */
extern List *pgc_event_triggers(PGconn *conn);
extern List *pgc_cast_sql(PGconn *conn, PgcObject *o);
extern bool pgc_cast_exists_locally(PGconn *conn, PgcObject *o);
extern char *pgc_cast_drop_sql(PGconn *conn, PgcObject *o);

/* foreign.c: a foreign table's definition ('E') */
extern List *pgc_foreign_table_sql(PGconn *conn, PgcObject *o);

/* tsearch.c: text search templates ('W'), parsers ('P'), dictionaries ('D')
 * and configurations ('X') */
extern List *pgc_tsearch_sql(PGconn *conn, PgcObject *o);

/* extensions.c: the extensions the objects of the schemas need (all = true:
 * every extension of the source too), in the source's creation order */
extern List *pgc_extensions_read(PGconn *conn, List *schemas, bool all);
/* installable here (version NULL: any version)?  SPI connected */
extern bool pgc_extension_available(const char *name, const char *version);
/* check: ERROR 42704 naming the ones neither installed nor available;
 * else create the missing ones; returns how many were created */
extern int	pgc_extensions_create(List *exts, bool check);

/* snapshot.c: one point-in-time view of the source */
extern PGconn *pgc_snapshot_keeper(const char *conninfo, bool consistent,
								   char **snapshot);
extern PGconn *pgc_snapshot_attach(const char *conninfo, bool consistent,
								   const char *snapshot);

/* schema.c: the clone of a list of schemas, as run by database.c */
/* table() of a partitioned table: it and its partition tree (SPI connected) */
extern char *pgc_clone_partition_tree(PGconn *conn, PgcTable *t, const char *tgtname,
									  bool data, const PgcOptions *opts);
extern char *pgc_clone_schemas(const char *conninfo, List *schemas, bool data,
							   bool functions_only, const PgcOptions *opts,
							   const char *label);
/* User schemas of the source database */
extern List *pgc_source_user_schemas(PGconn *conn);

#endif							/* PGCLONE_SCHEMA_H */
