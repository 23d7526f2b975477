/*
 * pgclone.h — shared declarations of the pgclone extension.
 *
 * Each capability lives in its own file under src/; this header declares what
 * they share: the rows read from the source, the parsed clone options and
 * the local-execution helpers.  The remote-connection layer (libpq) has its
 * own header, remote/remote.h, for the files that talk to a server.
 */
#ifndef PGCLONE_H
#define PGCLONE_H

#include "compat.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* the library's version; its SQL version is PGCLONE_EXTVERSION (Makefile) */
#define PGCLONE_VERSION "5.0.0"

/*
 * ERROR 55000 unless the installed SQL objects are this library's version
 * (cached per backend; returns true).  PGC_CHECK_SQL_VERSION() is the first
 * line of every SQL-callable function except version(): a declaration, so it
 * runs before the initializers of the function's other locals.
 */
extern bool pgc_check_sql_version(void);
#define PGC_CHECK_SQL_VERSION() \
	bool		pgc_sql_version_ok pg_attribute_unused() = pgc_check_sql_version()

/* ---------- rows read from the source (remote.c fills, catalog/ keeps) ---------- */

/*
 * A query result copied into palloc'd memory: no PGresult outlives a call,
 * and no stage after remote/ sees libpq (remote/remote.h declares the rest).
 */
typedef struct PgcRows
{
	int			nrows;
	int			ncols;
	char	  **colnames;		/* ncols */
	char	  **values;			/* nrows * ncols, NULL for SQL NULL */
} PgcRows;

static inline char *
pgc_val(PgcRows *r, int row, int col)
{
	return r->values[row * r->ncols + col];
}
extern int	pgc_colno(PgcRows *r, const char *name);	/* ERROR if absent */
extern char *pgc_get(PgcRows *r, int row, const char *colname);
extern bool pgc_get_bool(PgcRows *r, int row, const char *colname);
extern int	pgc_get_int(PgcRows *r, int row, const char *colname);

/* remote.c, the parts without libpq: from _PG_init, transaction callbacks
 * and the log hook; and keep the current statement's text (it holds a
 * conninfo) out of the server log */
extern void pgc_init_remote(void);
extern void pgc_hide_statement(void);

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
	List	   *tables;			/* anchored regexes selecting tables, NIL = all */
	List	   *exclude_tables; /* anchored regexes leaving tables out */
	Jsonb	   *subset;			/* NULL = none; table name -> filter (plan/subset.c) */
	struct PgcSubsetRel *subset_rel;	/* one table's part of it, set per table */
	bool		cascade;		/* "replace" may drop dependents outside the clone */
	/* issue 27: sampling seed, virtual foreign keys (plan/sample.c, plan/vfk.c) */
	int64		seed;			/* "seed": sampling rules' hash seed, default 0 */
	Jsonb	   *virtual_fks;	/* "virtual_foreign_keys", NULL = none */
	/* issue 23: masks on real schemas (mask/mask.c, mask/strict.c) */
	char	   *mask_salt;		/* "salt": keys the fake_* and hash masks */
	int			require_masks;	/* "require_masks": -1 not given, 0, 1 */
	List	   *allow_unmasked; /* "allow_unmasked": [table.column, ...] */
	/* issue 24: copy only the rows row-level security lets the source role see */
	bool		row_security;
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
#define PGC_OPT_TABLES		0x0400	/* "tables" and "exclude_tables" */
#define PGC_OPT_MASKS		0x0800	/* "masks", the original's spelling of "mask" */
#define PGC_OPT_SUBSET		0x4000
#define PGC_OPT_CASCADE		0x10000 /* "cascade": with "conflict" (issue 25) */
#define PGC_OPT_ROW_SECURITY	0x100000	/* issue 24: "row_security" */
#define PGC_OPTS_TABLE	(PGC_OPT_INDEXES | PGC_OPT_CONSTRAINTS | PGC_OPT_TRIGGERS | \
						 PGC_OPT_CONSISTENT | PGC_OPT_CONFLICT | PGC_OPT_COLUMNS | \
						 PGC_OPT_WHERE | PGC_OPT_MASK | PGC_OPT_CASCADE | PGC_OPT_ROW_SECURITY)
#define PGC_OPTS_SCHEMA	(PGC_OPT_INDEXES | PGC_OPT_CONSTRAINTS | PGC_OPT_TRIGGERS | \
						 PGC_OPT_MATVIEWS | PGC_OPT_CONSISTENT | PGC_OPT_CONFLICT | \
						 PGC_OPT_MASK | PGC_OPT_MASKS | PGC_OPT_TABLES | PGC_OPT_SUBSET | \
						 PGC_OPT_CASCADE | PGC_OPT_ROW_SECURITY)

extern void pgc_options_init(PgcOptions *opts);
/* Parse and strictly validate options text (NULL/empty = defaults). */
extern void pgc_options_parse(PgcOptions *opts, const char *json, int allowed);
/* Options as canonical JSON text (for job records and workers). */
extern char *pgc_options_to_json(const PgcOptions *opts);
extern const char *pgc_conflict_name(PgcConflict c);

/*
 * Is table nsp.rel selected by "tables" / "exclude_tables"?  Each pattern is
 * matched against rel and against "nsp.rel"; hits (NULL, or one bool per
 * pattern, "tables" first) records which patterns matched.
 */
extern bool pgc_table_selected(const PgcOptions *opts, const char *nsp, const char *rel,
							   bool *hits);
extern bool pgc_table_excluded(const PgcOptions *opts, const char *nsp, const char *rel,
							   bool *hits);

/* "subset" option value: an object of table name -> filter; ERROR if bad */
extern Jsonb *pgc_subset_check_option(JsonbValue *v);
/* plan/sample.c: a subset sampling rule object ({"percent"|"rows", ...}); ERROR if bad */
extern void pgc_sample_check_rule(const char *table, JsonbValue *v);
/* plan/vfk.c: "virtual_foreign_keys" value, its shape and names; ERROR if bad */
extern Jsonb *pgc_vfk_check_option(JsonbValue *v);
/* plan/subset.c: its GUCs (from _PG_init) */
extern void pgc_init_subset(void);

/* Check a WHERE filter is one boolean expression; ERROR if not. */
extern struct SelectStmt *pgc_parse_user_select(const char *sql, const char *what, const char *detail);
extern void pgc_check_where(const char *where);

/* ---------- local.c: local SPI execution ---------- */

extern int	pgc_spi_connect(void);
extern int	pgc_spi_connect_ext(int options);
extern void pgc_spi_finish(int nest);
extern void pgc_local_exec(const char *sql);
/* each statement of a list, in order (util.c) */
extern void pgc_exec_list(List *stmts);
extern bool pgc_local_relation_exists(const char *nspname, const char *relname);

/* ---------- generic helpers (util.c) ---------- */

/* quote_identifier, always returning a fresh palloc'd string */
extern char *pgc_qident(const char *ident);
extern char *pgc_qname(const char *nspname, const char *relname);
/* '{"a","b"}': a text[] literal of names (query parameters) */
extern char *pgc_names_literal(List *names);
/* The fields every pgclone background worker shares (util.c) */
struct BackgroundWorker;
extern void pgc_bgworker_init(struct BackgroundWorker *w, const char *function,
							  const char *type);
/* ERROR unless priv is a PostgreSQL privilege name (read from the source) */
extern void pgc_check_privilege(const char *priv);
extern char *pgc_text_arg(FunctionCallInfo fcinfo, int argno, const char *argname);
/* Run fn(arg) in a subtransaction: NULL, or the error it raised (rolled back) */
extern ErrorData *pgc_try_subxact(void (*fn) (void *arg), void *arg);


/* copy.c: GUCs of the data path (from _PG_init) */
extern void pgc_init_copy(void);
extern void pgc_init_mask(void);	/* mask/strict.c */
/* set by mask/strict.c: may turn a unique violation into a clearer ERROR */
extern void (*pgc_unique_violation_hook) (ErrorData *edata);

/* jobs/registry.c: GUCs, shared memory and background workers (from _PG_init) */
extern void pgc_init_jobs(void);

#endif							/* PGCLONE_H */
