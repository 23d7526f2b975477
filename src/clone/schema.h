/*
 * schema.h — the clone stage (remote -> catalog -> plan -> ddl -> clone):
 * running a plan on the target, the data path, one-table clones.
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

#include "ddl/ddl.h"
#include "plan/plan_read.h"

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
extern PgcPlanTable *pgc_plan_table_fetch(PGconn *conn, const char *oid, const char *nsp,
										  const char *rel, const PgcOptions *opts);
extern List *pgc_plan_table_post_data(PgcPlanTable *pt, const PgcOptions *opts);
extern void pgc_plan_tables(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts);
/* run statements, each checked to be a single statement */
extern void pgc_plan_exec(List *stmts);
/* check_function_bodies off, search_path pg_catalog; returns the GUC nest level */
extern int	pgc_plan_gucs(void);

/* add what these post-data statements create to plan->counts */
extern void pgc_plan_count_post(PgcClonePlan *plan, List *stmts);

/* Whole clone over one source connection (SPI connected by the caller). */
extern void pgc_plan_run(PGconn *conn, PgcClonePlan *plan, bool data,
						 const PgcOptions *opts);

/* database.c: clone the source into the new database we are in, in steps */
extern char *pgc_clone_database_steps(const char *conninfo, bool data,
									  const PgcOptions *opts, char **snap_time,
									  uint64 *rows);

/* server.c: foreign-data wrappers and servers the target lacks (database()) */
extern void pgc_clone_servers(PGconn *conn);

/* largeobj.c: every large object of the source, OIDs kept (database()) */
extern int	pgc_clone_large_objects(PGconn *conn, bool data, PgcConflict mode);

/* ---------- copy.c: the data path ---------- */

/* SELECT list text (masks applied for a source of version srcver), whether
 * binary COPY is safe and whether any column is masked */
extern char *pgc_copy_select_list(PgcTable *t, const PgcOptions *opts, int srcver,
								  bool *binary, bool *masked);
/* Stream source rows into the local table; returns rows loaded. */
extern uint64 pgc_copy_table(PGconn *conn, PgcTable *t, PgcTarget *tgt,
							 const PgcOptions *opts, bool try_freeze);

/* ---------- table.c: one-table clone, shared by schema and async ---------- */

/* installable here (version NULL: any version)?  SPI connected */
extern bool pgc_extension_available(const char *name, const char *version);
/* check: ERROR 42704 naming the ones neither installed nor available;
 * else create the missing ones; returns how many were created */
extern int	pgc_extensions_create(List *exts, bool check);

extern void pgc_ensure_schema(const char *nsp);
extern void pgc_require_trusted_schema(const char *nsp);
extern bool pgc_resolve_conflict(const char *nsp, const char *rel, const PgcOptions *opts);

/* dependents.c: what "replace" drops besides what it replaces (SPI connected) */
extern void pgc_dependents_reset(void);
extern char *pgc_dependents_summary(void);
extern void pgc_dependents_renamed(const char *kind, const char *qold, const char *newname);
extern void pgc_dependents_check(Oid classid, Oid objid, const char *label, bool cascade,
								 bool (*in_clone) (const char *nsp, const char *name, void *arg),
								 void *arg);
/* the same for an object of a schema plan; kind: "table", "type", ... */
extern void pgc_dependents_check_object(PGconn *conn, PgcObject *o, const char *kind,
										bool cascade, PgcClonePlan *plan);
/* Clone one table over an open source connection, in the current transaction. */
extern char *pgc_clone_table(PGconn *conn, const char *nsp, const char *rel,
							 const char *tgtname, bool data, const PgcOptions *opts);

/* copy.c: progress hook, called with the bytes received so far */
extern void (*pgc_copy_progress_hook) (uint64 bytes);

/* schema.c: the clone of a list of schemas, as run by database.c */
/* table() of a partitioned table: it and its partition tree (SPI connected) */
extern char *pgc_clone_partition_tree(PGconn *conn, PgcTable *t, const char *tgtname,
									  bool data, const PgcOptions *opts);
extern char *pgc_clone_schemas(const char *conninfo, List *schemas, bool data,
							   bool functions_only, const PgcOptions *opts,
							   const char *label);

#endif							/* PGCLONE_SCHEMA_H */
