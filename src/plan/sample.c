/*
 * sample.c — sampling rules of a subset clone (issue 27).
 *
 * A table's entry in "subset" may be an object instead of a filter:
 *
 *   {"percent": 10}                            about 10% of the rows
 *   {"rows": 1000, "order_by": "created_at desc"}   the first 1000 in that order
 *   either with "where": "<filter>"            sampled among the filter's rows
 *   {"where": "<filter>"}                      the same as the plain string
 *
 * A rule becomes the table's filter (a predicate), and then follows the
 * foreign keys exactly like a filter (subset.c).  The choice must be the same
 * in every COPY that evaluates it and on every run while the source does not
 * change, so it depends only on the rows' values: each row gets a seeded hash
 * of its identity (its primary key, or all its columns if it has none),
 * hashtextextended(ROW(key)::text, seed).  "percent" keeps the rows whose hash
 * falls in the lowest p% of the 64-bit range (one pass, no sort, each row
 * independently: the count is p% up to sampling noise); "rows" keeps the
 * first N rows by "order_by", ties broken by the hash and then the key.
 * TABLESAMPLE is not used: SYSTEM picks pages, so its rows move with the
 * physical layout (VACUUM, updates), and its REPEATABLE holds only while the
 * layout does.
 */
#include "plan/subset_int.h"

#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include <math.h>

/* ---------- option shape (called from options.c, at parse time) ---------- */

static void
bad_rule(const char *table, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("subset rule of table \"%s\": %s", table, msg),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * "order_by" is spliced into "ORDER BY <text>\n, <hash>" on the source.
 * Parse that very text and demand a plain SELECT whose only extra is the
 * ORDER BY: sort keys only, never a LIMIT, a locking clause or a statement.
 */
static void
check_order_by(const char *table, const char *order_by)
{
	SelectStmt *sel;

	sel = pgc_parse_user_select(psprintf("SELECT 1 FROM pgclone_filter ORDER BY %s\n, 1", order_by),
								psprintf("subset rule of table \"%s\": invalid \"order_by\"", table),
								"\"order_by\" is a list of sort keys, as after ORDER BY.");
	if (sel == NULL)
		goto bad;
	if (sel->op != SETOP_NONE || sel->whereClause || sel->sortClause == NIL ||
		sel->distinctClause || sel->intoClause || sel->groupClause ||
		sel->havingClause || sel->windowClause || sel->valuesLists ||
		sel->limitOffset || sel->limitCount || sel->lockingClause || sel->withClause ||
		list_length(sel->targetList) != 1 || list_length(sel->fromClause) != 1)
		goto bad;
	return;
bad:
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("subset rule of table \"%s\": invalid \"order_by\": it must be a list of sort keys",
					table),
			 errdetail("\"order_by\" may not add clauses or statements.")));
}

static double
rule_number(const char *table, const char *key, JsonbValue *v)
{
	if (v->type != jbvNumeric)
		bad_rule(table, psprintf("\"%s\" must be a number", key), NULL);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

void
pgc_sample_check_rule(const char *table, JsonbValue *v)
{
	JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
	JsonbIteratorToken tok;
	JsonbValue	e;
	char	   *key = NULL;
	bool		percent = false,
				rows = false,
				order_by = false,
				where = false;

	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(e.val.string.val, e.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (strcmp(key, "percent") == 0)
		{
			double		p = rule_number(table, key, &e);

			if (!(p > 0 && p <= 100))
				bad_rule(table, "\"percent\" must be greater than 0 and at most 100", NULL);
			percent = true;
		}
		else if (strcmp(key, "rows") == 0)
		{
			double		n = rule_number(table, key, &e);

			if (n < 1 || n != floor(n) || n > 1e15)
				bad_rule(table, "\"rows\" must be a whole number of at least 1", NULL);
			rows = true;
		}
		else if (strcmp(key, "order_by") == 0 || strcmp(key, "where") == 0)
		{
			char	   *text;

			if (e.type != jbvString)
				bad_rule(table, psprintf("\"%s\" must be a string", key), NULL);
			text = pnstrdup(e.val.string.val, e.val.string.len);
			if (key[0] == 'o')
			{
				check_order_by(table, text);
				order_by = true;
			}
			else
			{
				MemoryContext oldcxt = CurrentMemoryContext;

				PG_TRY();
				{
					pgc_check_where(text);
				}
				PG_CATCH();
				{
					ErrorData  *ed;

					MemoryContextSwitchTo(oldcxt);
					ed = CopyErrorData();
					FlushErrorState();
					ereport(ERROR,
							(errcode(ed->sqlerrcode),
							 errmsg("subset filter of table \"%s\": %s", table, ed->message),
							 ed->detail ? errdetail_internal("%s", ed->detail) : 0));
				}
				PG_END_TRY();
				where = true;
			}
		}
		else
			bad_rule(table, psprintf("unknown key \"%s\"", key),
					 "A rule has \"percent\" or \"rows\" with \"order_by\", and optionally \"where\".");
	}
	if (percent && rows)
		bad_rule(table, "give \"percent\" or \"rows\", not both", NULL);
	if (rows && !order_by)
		bad_rule(table, "\"rows\" needs \"order_by\"",
				 "Say which rows come first, e.g. {\"rows\": 1000, \"order_by\": \"created_at desc\"}.");
	if (order_by && !rows)
		bad_rule(table, "\"order_by\" applies only with \"rows\"", NULL);
	if (!percent && !rows && !where)
		bad_rule(table, "a rule needs \"percent\", \"rows\" or \"where\"",
				 "E.g. {\"percent\": 10} or {\"rows\": 1000, \"order_by\": \"id\"}.");
}

/* ---------- the rule as a predicate (plan time) ---------- */

typedef struct Rule
{
	char	   *where;
	char	   *order_by;
	double		percent;		/* 0 = none */
	int64		rows;			/* 0 = none */
} Rule;

static void
read_rule(Jsonb *jb, Rule *r)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbIteratorToken tok;
	JsonbValue	e;
	char	   *key = NULL;

	memset(r, 0, sizeof(Rule));
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(e.val.string.val, e.val.string.len);
		else if (tok == WJB_VALUE && strcmp(key, "where") == 0)
			r->where = pnstrdup(e.val.string.val, e.val.string.len);
		else if (tok == WJB_VALUE && strcmp(key, "order_by") == 0)
			r->order_by = pnstrdup(e.val.string.val, e.val.string.len);
		else if (tok == WJB_VALUE && strcmp(key, "percent") == 0)
			r->percent = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															NumericGetDatum(e.val.numeric)));
		else if (tok == WJB_VALUE && strcmp(key, "rows") == 0)
			r->rows = DatumGetInt64(DirectFunctionCall1(numeric_int8,
														NumericGetDatum(e.val.numeric)));
	}
}

/* "a, b": the identity columns, unqualified (the innermost FROM is the table) */
static char *
ident_list(SubNode *n)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	foreach(lc, n->ident)
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", quote_identifier(lfirst(lc)));
	return b.data;
}

static char *
hash_expr(SubNode *n, int64 seed)
{
	return psprintf("pg_catalog.hashtextextended((ROW(%s)::pg_catalog.text) COLLATE \"C\", "
					INT64_FORMAT ")", ident_list(n), seed);
}

/* The predicate on a row of node n that rule r keeps */
static char *
rule_pred(SubNode *n, Rule *r, int64 seed, bool pk)
{
	char	   *where = r->where ? psprintf("(%s\n)", r->where) : NULL;
	char	   *cols = ident_list(n);

	if (r->percent > 0)
	{
		/* the lowest p% of the hash's range [-2^63, 2^63) */
		double		t = ldexp(r->percent / 100.0, 64) - ldexp(1.0, 63);

		char	   *pred;

		if (r->percent >= 100)
			return where ? where : "true";
		pred = psprintf("%s OPERATOR(pg_catalog.<) '" INT64_FORMAT "'::pg_catalog.int8",
						hash_expr(n, seed), (int64) t);

		/*
		 * The source has no statistics on the hash: it estimates "h < c" as a
		 * third of the rows, and the tables below then get hash joins over
		 * their whole size.  A range "h < c AND h >= min" it estimates as
		 * 0.5%, and joins a small sample by index.  The closer estimate wins;
		 * the second test only runs on the rows the first one keeps.
		 */
		if (r->percent < 4)
			pred = psprintf("%s AND %s OPERATOR(pg_catalog.>=) '" INT64_FORMAT "'::pg_catalog.int8",
							pred, hash_expr(n, seed), PG_INT64_MIN);
		return where ? psprintf("%s AND %s", where, pred) : pred;
	}
	if (r->rows > 0)
	{
		/* with a key, compare keys; without, whole rows as text (any type) */
		char	   *id = pk ? psprintf("(%s)", cols) : psprintf("(ROW(%s)::pg_catalog.text)", cols);

		return psprintf("%s IN (SELECT %s FROM %s%s%s ORDER BY %s\n, %s, %s LIMIT " INT64_FORMAT ")",
						id, pk ? cols : id, pgc_subset_from(n),
						where ? " WHERE " : "", where ? where : "",
						r->order_by, hash_expr(n, seed), id, r->rows);
	}
	return r->where;
}

void
pgc_sample_apply(PgcSubset *s, const PgcOptions *opts)
{
	int			i;

	for (i = 0; i < s->nnodes; i++)
	{
		SubNode    *n = &s->nodes[i];
		Rule		r;

		if (n->rule == NULL)
			continue;
		read_rule(n->rule, &r);
		if (n->ident == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("subset rule of table %s: the table has no columns to sample by",
							pgc_qname(n->nspname, n->relname))));
		n->filter = rule_pred(n, &r, opts->seed, n->has_pk);
	}
}
