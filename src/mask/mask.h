/*
 * mask.h — data masking: shared between clone-time masking (mask.c),
 * discovery/reporting (discover.c) and local masking (mask_policy.c).
 */
#ifndef PGCLONE_MASK_H
#define PGCLONE_MASK_H

#include "catalog/pgc_model.h"
#include "plan/plan.h"

/*
 * Schema/database clones name masks per table: {"employees": {"email": "email"}},
 * or {"hr.employees": ...} ("schema.table" wins over the bare name).
 * The per-table object (as accepted by pgc_mask_validate), or NULL if the
 * table has none; ERROR if the value for the table is not an object.
 */
extern Jsonb *pgc_mask_for_table(Jsonb *mask, const char *nspname, const char *relname);

/* Parse mask text given to a local function: ERROR unless a JSON object. */
extern Jsonb *pgc_mask_parse_text(const char *json, const char *argname);

/* Number of columns a (validated) mask names. */
extern int	pgc_mask_ncolumns(Jsonb *mask);

/* ---------- discover.c: the one table of sensitive-name patterns ---------- */

typedef struct PgcSensitive
{
	const char *category;		/* "Email", "PII - Name", ... */
	const char *strategy;		/* suggested strategy name */
} PgcSensitive;

/* Classify a column by name (case-insensitive); NULL if not sensitive. */
extern const PgcSensitive *pgc_sensitive_match(const char *colname);

/*
 * The strategy to suggest for a sensitive column, as JSON text (a strategy
 * name or a parameterized object) that fits the column: its type (as
 * format_type() writes it, and pg_type.typcategory), NOT NULL and whether a
 * unique index covers it (then a uniqueness-preserving "hash" for text).
 */
extern char *pgc_sensitive_suggestion(const PgcSensitive *s, const char *type,
									  char typcategory, bool notnull, bool unique);
/* The strategy name alone of such a suggestion ("partial" for an object) */
extern const char *pgc_suggestion_strategy(const char *suggestion);

/* mask.c: can "random_int" write into a column of this type? */
extern bool pgc_mask_numeric_column(const char *type);

/* Check a mask object against a table's selected columns; ERROR if bad. */
extern void pgc_mask_validate(Jsonb *mask, PgcTable *t);
/*
 * The source-side SQL expression masking column c of table t, or NULL if
 * unmasked.  salt keys the hash and fake_* strategies of columns that name
 * none (NULL: none; pgc_mask_salt() gives the clone's).
 */
extern char *pgc_mask_expr(Jsonb *mask, PgcTable *t, PgcColumn *c, int srcver,
						   const char *salt);
/* The length of a varchar(n)/char(n) column, -1 if none */
extern int	pgc_mask_column_length(PgcColumn *c);
/* The strategy name of a column's mask value (a string or {"type": ...}) */
extern char *pgc_mask_strategy_of(const JsonbValue *v);
/* Does a unique index read column c (sets nothing) */
extern bool pgc_mask_column_unique(PgcTable *t, PgcColumn *c);

/* ---------- fake.c: the fake_* strategies ---------- */

/* Can fake strategy name be kept distinct, in columns of at least *minlen? */
extern bool pgc_fake_unique_ok(const char *name, int *minlen);
/* The fake value of text expression v; unique: keep distinct; maxlen -1: any */
extern char *pgc_fake_expr(const char *name, const char *v, const char *salt,
						   bool unique, int maxlen);
/* md5 over a salt and v, as 32 hex digits */
extern char *pgc_keyed_hash(const char *salt, const char *v);

/* ---------- strict.c: masks on whole schemas ---------- */

/* The salt a clone with these options uses ("salt", else pgclone.mask_salt) */
extern const char *pgc_mask_salt(const PgcOptions *opts);
/* Remember that a unique column of t gets a hashed mask in this transaction */
extern void pgc_mask_note_unique(PgcTable *t, const char *col);
/*
 * Before anything is copied: extend masks over foreign-key families (tables:
 * PgcTable *, masks: the Jsonb * of each, updated in place), then enforce
 * "require_masks".  ERROR if a mask cannot be honoured.
 */
extern void pgc_mask_plan(List *tables, List *masks, const PgcOptions *opts);
/*
 * The same for a schema or database clone's plan, with pgc_plan_check_masks.
 * Returns the clone's "mask" option with the masks foreign keys extended, as
 * "schema.table" entries (for workers that fetch one table at a time), or
 * NULL if none was.
 */
extern Jsonb *pgc_plan_masks(PgcClonePlan *plan, const PgcOptions *opts);

#endif							/* PGCLONE_MASK_H */
