/*
 * mask.h — data masking: shared between clone-time masking (mask.c),
 * discovery/reporting (discover.c) and local masking (mask_policy.c).
 */
#ifndef PGCLONE_MASK_H
#define PGCLONE_MASK_H

#include "catalog/pgc_model.h"

/*
 * Schema/database clones name masks per table: {"employees": {"email": "email"}}.
 * The per-table object (as accepted by pgc_mask_validate), or NULL if the
 * table has none; ERROR if the value for relname is not an object.
 */
extern Jsonb *pgc_mask_for_table(Jsonb *mask, const char *relname);

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
/* The source-side SQL expression masking column c, or NULL if unmasked. */
extern char *pgc_mask_expr(Jsonb *mask, PgcColumn *c, int srcver);

#endif							/* PGCLONE_MASK_H */
