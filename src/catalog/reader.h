/*
 * reader.h — the catalog stage's reading side: the model of the source read
 * from a connection (remote -> catalog -> plan -> ddl -> clone).  For the
 * files that hold the connection (catalog/, plan/, clone/, ...); the DDL
 * stage reads the model through a PgcCatalog handle (catalog/pgc_model.h).
 */
#ifndef PGCLONE_CATALOG_READER_H
#define PGCLONE_CATALOG_READER_H

#include "catalog/pgc_model.h"
#include "remote/remote.h"

/* ---------- read_table.c: one table's definition ---------- */

/* Read a table's definition; ERROR (42P01) if it does not exist. */
extern PgcTable *pgc_fetch_table(PGconn *conn, const char *nspname,
								 const char *relname, const PgcOptions *opts);
/* Read by OID text (schema clone). */
extern PgcTable *pgc_fetch_table_oid(PGconn *conn, const char *oid,
									 const PgcOptions *opts);

/* ---------- read_plan.c: the objects of some schemas ---------- */

/* The nodes (objects) of the schemas, and the pg_depend edges between them */
extern PgcRows *pgc_read_nodes(PGconn *conn, List *schemas, bool whole_database);
extern PgcRows *pgc_read_edges(PGconn *conn, List *schemas, bool whole_database);
/* (inhrelid, inhparent) of the partitions in the schemas */
extern PgcRows *pgc_read_partition_parents(PGconn *conn, List *schemas);
/* Extensions (extname, extnsp, extversion, needed) that objects of the
 * schemas use; all: every extension of the source too */
extern PgcRows *pgc_read_extensions(PGconn *conn, List *schemas, bool all);
/* Non-constraint partition indexes to attach (table_oids: oid[] literal or NULL) */
extern PgcRows *pgc_read_index_attachments(PGconn *conn, List *schemas, const char *table_oids);
/* A partitioned table's tree (oid, nspname, relname, relkind), root first */
extern PgcRows *pgc_read_partition_tree(PGconn *conn, const char *oid);
/* Schemas of the source that hold user objects */
extern List *pgc_source_user_schemas(PGconn *conn);
/* The OID of a table by name, or NULL */
extern char *pgc_read_table_oid(PGconn *conn, const char *nsp, const char *rel);
extern PgcRows *pgc_read_table_oids(PGconn *conn, List *nsps, List *rels);

/* ---------- read_batch.c ---------- */

/*
 * read_batch.c: the model of one clone's source.  Between begin and the
 * reset of the memory context current at begin, a query asked for one
 * object is read once for every object of its kinds (objects not skipped).
 */
extern void pgc_catalog_begin(PGconn *conn, PgcObject *objects, int nobjects, List *schemas);
extern void pgc_catalog_end(void);
/* The catalog handle of a source connection (reads through the model begun on it) */
extern PgcCatalog *pgc_catalog(PGconn *conn);
/* The connection behind a handle (catalog stage only) */
extern PGconn *pgc_catalog_conn(PgcCatalog *cat);
/* Every row a query returns for key, for the catalog and clone stages */
extern PgcRows *pgc_read_source(PGconn *conn, const PgcQuery *q, const char *key);
/* Positions of sequences (qualified names) in one statement, into the model */
extern void pgc_read_sequence_values(PGconn *conn, List *qnames);

#endif							/* PGCLONE_CATALOG_READER_H */
