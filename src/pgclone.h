/*
 * pgclone.h — shared declarations of the pgclone extension.
 *
 * Each capability lives in its own file under src/; this header declares what
 * they share: the remote-connection layer, the parsed clone options and the
 * local-execution helpers.
 */
#ifndef PGCLONE_H
#define PGCLONE_H

#include "compat.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "libpq-fe.h"

#define PGCLONE_VERSION "1.1.0"

/* ---------- remote.c: libpq inside a backend ---------- */

/* A query result copied into palloc'd memory: no PGresult outlives a call. */
typedef struct PgcRows
{
	int			nrows;
	int			ncols;
	char	  **colnames;		/* ncols */
	char	  **values;			/* nrows * ncols, NULL for SQL NULL */
} PgcRows;

/* From _PG_init: transaction callbacks and the log hook. */
extern void pgc_init_remote(void);
/* Keep the current statement's text out of the server log (it holds a conninfo). */
extern void pgc_hide_statement(void);

/* PQconninfoParse; a malformed string is ERROR 08001 that does not echo it */
extern PQconninfoOption *pgc_conninfo_parse(const char *conninfo);

/* Open a connection; errors never show the password. */
extern PGconn *pgc_connect(const char *conninfo);
extern void pgc_disconnect(PGconn *conn);
/* Keep conn open past transaction end (closed by pgc_disconnect only) */
extern void pgc_conn_keep(PGconn *conn);

/* Describe the server a connection talks to, e.g. "host=h port=5432" */
extern char *pgc_conn_label(PGconn *conn);

/*
 * Session setup as pg_dump does it, then BEGIN a READ ONLY transaction:
 * REPEATABLE READ when consistent; import snapshot when snapshot != NULL.
 */
extern void pgc_begin_source_xact(PGconn *conn, bool consistent,
								  const char *snapshot);
extern char *pgc_export_snapshot(PGconn *conn);

/* Run a command; remote errors are re-raised with SQLSTATE/detail/hint. */
extern void pgc_command(PGconn *conn, const char *sql);

/* Run a query (optionally with text parameters), return the copied rows. */
extern PgcRows *pgc_query(PGconn *conn, const char *sql);
extern PgcRows *pgc_query_params(PGconn *conn, const char *sql,
								 int nparams, const char *const *params);

static inline char *
pgc_val(PgcRows *r, int row, int col)
{
	return r->values[row * r->ncols + col];
}
extern int	pgc_colno(PgcRows *r, const char *name);	/* ERROR if absent */
extern char *pgc_get(PgcRows *r, int row, const char *colname);
extern bool pgc_get_bool(PgcRows *r, int row, const char *colname);
extern int	pgc_get_int(PgcRows *r, int row, const char *colname);

/* Raise the error carried by res (PQclear'd here); context names the object */
extern void pgc_report_remote(int elevel, PGresult *res, PGconn *conn,
							  const char *context) pg_attribute_noreturn();

/* Source-server version, e.g. 150020 */
extern int	pgc_server_version(PGconn *conn);

/* ---------- options.c: the JSON options ---------- */

typedef enum PgcConflict
{
	PGC_CONFLICT_ERROR,
	PGC_CONFLICT_SKIP,
	PGC_CONFLICT_REPLACE,
	PGC_CONFLICT_RENAME
} PgcConflict;

typedef struct PgcOptions
{
	bool		indexes;
	bool		constraints;
	bool		triggers;
	bool		matviews;
	bool		consistent;
	PgcConflict conflict;
	List	   *columns;		/* of char *, NIL = all */
	char	   *where;			/* NULL = none; validated by the parser */
	Jsonb	   *mask;			/* NULL = none; validated by mask.c */
	int			parallel;		/* async only */
	Jsonb	   *subset;			/* NULL = none; table name -> filter (plan/subset.c) */
	struct PgcSubsetRel *subset_rel;	/* one table's part of it, set per table */
} PgcOptions;

/* Which keys a function accepts: any other key is an error, never ignored. */
#define PGC_OPT_INDEXES		0x0001
#define PGC_OPT_CONSTRAINTS	0x0002
#define PGC_OPT_TRIGGERS	0x0004
#define PGC_OPT_MATVIEWS	0x0008
#define PGC_OPT_CONSISTENT	0x0010
#define PGC_OPT_CONFLICT	0x0020
#define PGC_OPT_COLUMNS		0x0040
#define PGC_OPT_WHERE		0x0080
#define PGC_OPT_MASK		0x0100
#define PGC_OPT_PARALLEL	0x0200
#define PGC_OPT_SUBSET		0x4000
#define PGC_OPTS_TABLE	(PGC_OPT_INDEXES | PGC_OPT_CONSTRAINTS | PGC_OPT_TRIGGERS | \
						 PGC_OPT_CONSISTENT | PGC_OPT_CONFLICT | PGC_OPT_COLUMNS | \
						 PGC_OPT_WHERE | PGC_OPT_MASK)
#define PGC_OPTS_SCHEMA	(PGC_OPT_INDEXES | PGC_OPT_CONSTRAINTS | PGC_OPT_TRIGGERS | \
						 PGC_OPT_MATVIEWS | PGC_OPT_CONSISTENT | PGC_OPT_CONFLICT | \
						 PGC_OPT_MASK | PGC_OPT_SUBSET)

extern void pgc_options_init(PgcOptions *opts);
/* Parse and strictly validate options text (NULL/empty = defaults). */
extern void pgc_options_parse(PgcOptions *opts, const char *json, int allowed);
/* Options as canonical JSON text (for job records and workers). */
extern char *pgc_options_to_json(const PgcOptions *opts);
extern const char *pgc_conflict_name(PgcConflict c);

/* Check a WHERE filter is one boolean expression; ERROR if not. */
extern void pgc_check_where(const char *where);

/* ---------- local.c: local SPI execution ---------- */

extern void pgc_local_exec(const char *sql);
extern bool pgc_local_relation_exists(const char *nspname, const char *relname);

/* ---------- generic helpers (util.c) ---------- */

/* quote_identifier, always returning a fresh palloc'd string */
extern char *pgc_qident(const char *ident);
extern char *pgc_qname(const char *nspname, const char *relname);
/* The fields every pgclone background worker shares (util.c) */
struct BackgroundWorker;
extern void pgc_bgworker_init(struct BackgroundWorker *w, const char *function,
							  const char *type);
/* ERROR unless priv is a PostgreSQL privilege name (read from the source) */
extern void pgc_check_privilege(const char *priv);
extern char *pgc_text_arg(FunctionCallInfo fcinfo, int argno, const char *argname);
/* Run fn(arg) in a subtransaction: NULL, or the error it raised (rolled back) */
extern ErrorData *pgc_try_subxact(void (*fn) (void *arg), void *arg);


/* ---------- ddl_table.c: one table's definition, read from the source ---------- */

typedef struct PgcColumn
{
	int			attnum;
	char	   *name;
	char	   *type;			/* format_type(), schema-qualified */
	bool		notnull;
	char	   *defexpr;		/* pg_get_expr of the default, or NULL */
	char		identity;		/* attidentity: '\0', 'a' or 'd' */
	char		generated;		/* attgenerated: '\0' or 's' */
	char	   *collation;		/* qualified, only when not the type's */
	char	   *storage_sql;	/* "SET STORAGE x" when not the type's */
	char	   *compression;	/* "lz4"/"pglz" or NULL */
	int			stattarget;		/* -1 = default */
	char	   *attoptions;		/* "n_distinct='5'" or NULL */
	char	   *comment;
	char	   *acl_sql;		/* column GRANTs, target name substituted */
	bool		binary_ok;		/* built-in type: binary COPY is safe */
	bool		selected;		/* kept by the "columns" option */
	int		   *deps;			/* attnums a generated column reads */
	int			ndeps;
} PgcColumn;

typedef struct PgcTable
{
	char	   *oid;			/* source OID, as text */
	char	   *nspname;
	char	   *relname;
	char		relkind;
	char		relpersistence;
	char		replident;
	bool		rowsecurity;
	bool		forcerowsecurity;
	bool		ispartition;
	char	   *partkey;		/* PARTITION BY clause body, or NULL */
	char	   *partbound;		/* FOR VALUES ..., or NULL */
	char	   *parent;			/* qualified parent for partitions/inheritance */
	char	   *reloptions;		/* "fillfactor='70'" or NULL */
	char	   *comment;
	char	   *owner;
	int			ncols;
	PgcColumn  *cols;
	PgcRows    *sequences;		/* owned (serial) and identity sequences */
	PgcRows    *constraints;
	PgcRows    *indexes;
	PgcRows    *triggers;
	PgcRows    *policies;
	PgcRows    *acl;			/* table-level grants */
	PgcRows    *statistics;
} PgcTable;

/* Where a table goes on the target, and what gets renamed with it. */
typedef struct PgcTarget
{
	char	   *nspname;
	char	   *relname;
} PgcTarget;

/* Read a table's definition; ERROR (42P01) if it does not exist. */
extern PgcTable *pgc_fetch_table(PGconn *conn, const char *nspname,
								 const char *relname, const PgcOptions *opts);
/* Read by OID text (schema clone). */
extern PgcTable *pgc_fetch_table_oid(PGconn *conn, const char *oid,
									 const PgcOptions *opts);

/* Statements, in order, for each phase of a table's creation. */
extern List *pgc_table_pre_data(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts);
extern List *pgc_table_post_data(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts,
								 bool include_fkeys);
/* FOREIGN KEY constraints alone (schema clone adds them after every table) */
extern List *pgc_table_fkeys(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts);
/* Statements restoring sequence positions (after data) */
extern List *pgc_table_sequence_values(PGconn *conn, PgcTable *t, PgcTarget *tgt);

/* Name of a derived object (index, constraint, sequence) for a renamed table */
extern char *pgc_derive_name(const char *objname, const char *srcrel,
							 const char *tgtrel);

/* ---------- copy.c: the data path ---------- */

/* SELECT list text (masks applied for a source of version srcver), whether
 * binary COPY is safe and whether any column is masked */
extern char *pgc_copy_select_list(PgcTable *t, const PgcOptions *opts, int srcver,
								  bool *binary, bool *masked);
/* GUCs of the data path (from _PG_init) */
extern void pgc_init_copy(void);
/* Stream source rows into the local table; returns rows loaded. */
extern uint64 pgc_copy_table(PGconn *conn, PgcTable *t, PgcTarget *tgt,
							 const PgcOptions *opts, bool try_freeze);

/* ---------- mask.c: masking expressions ---------- */

/* Check a mask object against a table's selected columns; ERROR if bad. */
extern void pgc_mask_validate(Jsonb *mask, PgcTable *t);
/* The source-side SQL expression masking column c, or NULL if unmasked. */
extern char *pgc_mask_expr(Jsonb *mask, PgcColumn *c, int srcver);

/* ---------- table.c: one-table clone, shared by schema and async ---------- */

extern void pgc_exec_list(List *stmts);
extern void pgc_ensure_schema(const char *nsp);
extern bool pgc_resolve_conflict(const char *nsp, const char *rel, PgcConflict mode);
/* Clone one table over an open source connection, in the current transaction. */
extern char *pgc_clone_table(PGconn *conn, const char *nsp, const char *rel,
							 const char *tgtname, bool data, const PgcOptions *opts);

/* copy.c: progress hook, called with the bytes received so far */
extern void (*pgc_copy_progress_hook) (uint64 bytes);

/* jobs.c: GUCs, shared memory and background workers (from _PG_init) */
extern void pgc_init_jobs(void);

#endif							/* PGCLONE_H */
