/*
 * pgc_model.h — the in-memory model of the source, and the code that reads
 * it (the catalog stage: remote -> catalog -> plan -> ddl -> clone).
 *
 * Every query on the source's catalogs lives in src/catalog/: a table's
 * definition (read_table.c), the other objects' rows (read_objects.c), and
 * the objects of some schemas with their pg_depend edges (read_plan.c).
 * Later stages read the model, never the source's catalogs: this header is
 * free of libpq; what reads the model from a connection is declared in
 * catalog/reader.h.
 */
#ifndef PGCLONE_CATALOG_MODEL_H
#define PGCLONE_CATALOG_MODEL_H

#include "pgclone.h"

/* ---------- read_table.c: one table's definition ---------- */

typedef struct PgcColumn
{
	int			attnum;
	char	   *name;
	char	   *type;			/* format_type(), schema-qualified */
	bool		notnull;
	char	   *defexpr;		/* pg_get_expr of the default, or NULL */
	char		identity;		/* attidentity: '\0', 'a' or 'd' */
	char		generated;		/* attgenerated: '\0', 's' or 'v' (18) */
	char	   *collation;		/* qualified, only when not the type's */
	char	   *storage_sql;	/* "SET STORAGE x" when not the type's */
	char	   *compression;	/* "lz4"/"pglz" or NULL */
	int			stattarget;		/* -1 = default */
	char	   *attoptions;		/* "n_distinct='5'" or NULL */
	char	   *comment;
	char	   *acl_sql;		/* column GRANTs, target name substituted */
	bool		binary_ok;		/* built-in type: binary COPY is safe */
	bool		selected;		/* kept by the "columns" option */
	bool		unique;			/* a unique index reads it (mask.c fills it) */
	/* its NOT NULL constraint, on sources of 18 on (NULL name before) */
	char	   *nn_name;
	bool		nn_valid;
	bool		nn_noinherit;
	bool		nn_local;
	char	   *nn_parent_name;	/* the parent's, for a partition or child */
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

/* The column with this attnum, or NULL */
extern PgcColumn *pgc_table_column(PgcTable *t, int attnum);
/* Parse an int[] text such as "{1,3}" */
extern int *pgc_parse_int_array(const char *s, int *n);

/* ---------- read_plan.c: the objects of some schemas ---------- */

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
	bool		left_out;		/* ... by the plan itself, not by the conflict option */
	/* depsort.c */
	int			rank;
	int			nrefs;			/* objects this one depends on (indexes) */
	int		   *refs;
	int			npending;
	bool		done;
} PgcObject;

/* ---------- read_objects.c: the source rows of one object ---------- */

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

/*
 * A query on the source's catalogs with one parameter ($1: an object's OID,
 * or a schema name), and what it reads (for errors).
 */
typedef struct PgcQuery
{
	const char *sql;
	const char *what;
	const char *kinds;			/* kinds of plan objects read together ('n':
								 * the plan's schemas); NULL: one at a time */
} PgcQuery;

/*
 * The catalog handle the later stages read the source through: the rows of
 * one object, as the catalog stage read them (catalog/reader.h opens one on
 * a source connection).  Within a clone's model (pgc_catalog_begin), a query
 * asked for one object has been, or is now, read once for every object of
 * its kinds; outside of one, for that object alone.  The handle hides the
 * connection: no stage after catalog/ sees libpq.
 */
typedef struct PgcCatalog PgcCatalog;

/* Every row a query returns for key */
extern PgcRows *pgc_read(PgcCatalog *cat, const PgcQuery *q, const char *key);
/* The one row a query returns for key; ERROR if the object is gone */
extern PgcRows *pgc_read_one(PgcCatalog *cat, const PgcQuery *q, const char *key);
/* One sequence's position (last_value, is_called): from the model or read */
extern PgcRows *pgc_read_sequence_value(PgcCatalog *cat, const char *qname);
/* The source's event triggers (read_kinds.c), in name order */
extern PgcRows *pgc_read_event_triggers(PgcCatalog *cat);
/* The server the handle reads, for messages: "host=h port=5432" */
extern char *pgc_catalog_label(PgcCatalog *cat);

extern const PgcQuery pgc_q_type;
extern const PgcQuery pgc_q_domain_checks;
extern const PgcQuery pgc_q_sequence;
extern const PgcQuery pgc_q_function;
extern const PgcQuery pgc_q_aggregate;
extern const PgcQuery pgc_q_view;
extern const PgcQuery pgc_q_relcols;
extern const PgcQuery pgc_q_relindexes;
extern const PgcQuery pgc_q_rules;
extern const PgcQuery pgc_q_view_triggers;
extern const PgcQuery pgc_q_schema;
extern const PgcQuery pgc_q_collation;
extern const PgcQuery pgc_q_default_acl;
extern const PgcQuery pgc_q_conversion;
extern const PgcQuery pgc_q_function_identity;
extern const PgcQuery pgc_q_regprocedure;
extern const PgcQuery pgc_q_relispopulated;
extern const PgcQuery pgc_q_table_links;
/* read_kinds.c */
extern const PgcQuery pgc_q_cast;
extern const PgcQuery pgc_q_foreign_table;
extern const PgcQuery pgc_q_foreign_columns;
extern const PgcQuery pgc_q_foreign_options;
extern const PgcQuery pgc_q_foreign_checks;
extern const PgcQuery pgc_q_operator;
extern const PgcQuery pgc_q_opfamily;
extern const PgcQuery pgc_q_opclass;
extern const PgcQuery pgc_q_opfamily_members;
extern const PgcQuery pgc_q_opclass_members;
extern const PgcQuery pgc_q_ts_dictionary;
extern const PgcQuery pgc_q_ts_configuration;
extern const PgcQuery pgc_q_ts_mapping;
extern const PgcQuery pgc_q_ts_template;
extern const PgcQuery pgc_q_ts_parser;

#endif							/* PGCLONE_CATALOG_MODEL_H */
