/*
 * ddl.h — statements that create the source's objects on the target, per
 * object kind (the ddl stage: remote -> catalog -> plan -> ddl -> clone).
 * Built from the model the catalog stage reads (catalog/pgc_model.h).
 */
#ifndef PGCLONE_DDL_H
#define PGCLONE_DDL_H

#include "plan/plan.h"

/* ddl_table.c: a table's statements */
/* Statements, in order, for each phase of a table's creation. */
extern List *pgc_table_pre_data(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts);
extern List *pgc_table_post_data(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts,
								 bool include_fkeys);
/* FOREIGN KEY constraints alone (schema clone adds them after every table) */
extern List *pgc_table_fkeys(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts);
/* A column's NOT NULL / GENERATED clause, as in CREATE TABLE */
extern void pgc_append_not_null(StringInfo buf, PgcTable *t, PgcTarget *tgt, PgcColumn *c);
extern void pgc_append_generated(StringInfo buf, PgcColumn *c);
/* " (col WITH OPTIONS CONSTRAINT name NOT NULL, ...)" of a partition (18), or nothing */
extern void pgc_append_partition_not_nulls(StringInfo b, PgcTable *t, PgcTarget *tgt);
/* ALTER TABLE ... ADD CONSTRAINT ... NOT NULL ... NOT VALID (18), after data */
extern List *pgc_table_not_valid_not_nulls(PgcTable *t, PgcTarget *tgt);
/* Statements restoring sequence positions (after data) */
extern List *pgc_table_sequence_values(PgcCatalog *cat, PgcTable *t, PgcTarget *tgt);

/* Name of a derived object (index, constraint, sequence) for a renamed table */
extern char *pgc_derive_name(const char *objname, const char *srcrel,
							 const char *tgtrel);

/* defcheck.c: how many statements sql holds (its parse tree freed at once) */
extern int	pgc_statement_count(const char *sql);
/* defcheck.c: sql when it is one statement of kind tag (on nsp.rel), else ERROR XX000 */
extern char *pgc_check_def(char *sql, NodeTag tag, const char *what,
						   const char *nsp, const char *rel);

/* objects.c: DDL of non-table objects */
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
extern List *pgc_object_pre_data(PgcCatalog *cat, PgcObject *o, const PgcOptions *opts);
extern List *pgc_object_post_data(PgcCatalog *cat, PgcObject *o, const PgcOptions *opts);
extern List *pgc_relation_rules(PgcCatalog *cat, PgcObject *o);
extern bool pgc_object_exists_locally(PgcCatalog *cat, PgcObject *o);
extern char *pgc_object_drop_sql(PgcCatalog *cat, PgcObject *o);
extern List *pgc_schema_header(PgcCatalog *cat, const char *nspname);
/* ALTER DEFAULT PRIVILEGES of a schema, or database-wide ones (nspname NULL) */
extern List *pgc_default_privileges(PgcCatalog *cat, const char *nspname);
extern bool pgc_role_usable(const char *role, const char *what);

/* operator.c: operators ('O'); "schema.op", the name checked (it cannot be quoted) */
extern char *pgc_operator_name(const char *nsp, const char *op);
extern List *pgc_operator_sql(PgcCatalog *cat, PgcObject *o);
extern bool pgc_operator_exists_locally(PgcCatalog *cat, PgcObject *o);
extern char *pgc_operator_drop_sql(PgcCatalog *cat, PgcObject *o);

/* opclass.c: operator families ('Y') and classes ('Z') */
extern List *pgc_opclass_sql(PgcCatalog *cat, PgcObject *o);
extern char *pgc_opclass_label(PgcCatalog *cat, PgcObject *o);

/* cast.c: casts ('K', whole-database clones) and event triggers */
extern List *pgc_event_triggers(PgcCatalog *cat);
extern List *pgc_cast_sql(PgcCatalog *cat, PgcObject *o);
extern bool pgc_cast_exists_locally(PgcCatalog *cat, PgcObject *o);
extern char *pgc_cast_drop_sql(PgcCatalog *cat, PgcObject *o);

/* foreign.c: a foreign table's definition ('E') */
extern List *pgc_foreign_table_sql(PgcCatalog *cat, PgcObject *o);

/* tsearch.c: text search templates ('W'), parsers ('P'), dictionaries ('D')
 * and configurations ('X') */
extern List *pgc_tsearch_sql(PgcCatalog *cat, PgcObject *o);

#endif							/* PGCLONE_DDL_H */
