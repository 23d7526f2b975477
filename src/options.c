/*
 * options.c — the JSON options of every clone function.
 *
 * Parsed with PostgreSQL's own jsonb and validated strictly: malformed JSON,
 * an unknown key, a value of the wrong type or an unknown conflict mode is an
 * ERROR that names the problem, raised before anything is created.
 */
#include "pgclone.h"

#include "catalog/pg_collation.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/regproc.h"

void
pgc_options_init(PgcOptions *opts)
{
	memset(opts, 0, sizeof(PgcOptions));
	opts->indexes = true;
	opts->constraints = true;
	opts->triggers = true;
	opts->matviews = true;
	opts->consistent = true;
	opts->conflict = PGC_CONFLICT_ERROR;
	opts->parallel = 1;
	opts->require_masks = -1;
}

const char *
pgc_conflict_name(PgcConflict c)
{
	switch (c)
	{
		case PGC_CONFLICT_ERROR:
			return "error";
		case PGC_CONFLICT_SKIP:
			return "skip";
		case PGC_CONFLICT_REPLACE:
			return "replace";
		case PGC_CONFLICT_RENAME:
			return "rename";
	}
	return "error";
}

static const char *
jbv_type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a JSON value";
	}
}

static void
wrong_type(const char *key, const char *want, JsonbValue *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("pgclone option \"%s\" must be %s, not %s", key, want,
					jbv_type_name(v))));
}

static bool
want_bool(const char *key, JsonbValue *v)
{
	if (v->type != jbvBool)
		wrong_type(key, "a boolean", v);
	return v->val.boolean;
}

static char *
want_string(const char *key, JsonbValue *v)
{
	if (v->type != jbvString)
		wrong_type(key, "a string", v);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* A non-empty JSON array of strings; what names an element in the error */
static List *
want_strings(const char *key, JsonbValue *v, const char *what)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	List	   *result = NIL;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		wrong_type(key, "an array of strings", v);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			wrong_type(key, "an array of strings", &elem);
		result = lappend(result, pnstrdup(elem.val.string.val, elem.val.string.len));
	}
	if (result == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone option \"%s\" must list at least one %s", key, what)));
	return result;
}

/* "columns": column names, each once */
static List *
want_string_array(const char *key, JsonbValue *v)
{
	List	   *result = want_strings(key, v, "column");
	ListCell   *lc,
			   *lc2;

	foreach(lc, result)
		for_each_cell(lc2, result, lnext(result, lc))
			if (strcmp(lfirst(lc), lfirst(lc2)) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" is listed twice in pgclone option \"%s\"",
								(char *) lfirst(lc), key)));
	return result;
}

/* Does subject match the regular expression re (PostgreSQL's engine, C collation)? */
static bool
re_match(const char *re, const char *subject)
{
	return DatumGetBool(DirectFunctionCall2Coll(textregexeq, C_COLLATION_OID,
												CStringGetTextDatum(subject),
												CStringGetTextDatum(re)));
}

static char *
anchored(const char *pattern)
{
	return psprintf("^(?:%s)$", pattern);
}

/*
 * Compile a table pattern with PostgreSQL's regex engine, alone and then
 * anchored: alone first, so that a pattern such as "a)|(b" cannot undo the
 * anchoring.  A bad pattern is ERROR 2201B naming the option.
 */
static void
check_pattern(const char *key, const char *pattern)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		(void) re_match(pattern, "");
		(void) re_match(anchored(pattern), "");
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		const char *msg;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		msg = edata->message;
		if (strncmp(msg, "invalid regular expression: ", 28) == 0)
			msg += 28;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("invalid regular expression \"%s\" in pgclone option \"%s\": %s",
						pattern, key, msg),
				 errhint("\"%s\" takes POSIX regular expressions matched against whole table names.",
						 key)));
	}
	PG_END_TRY();
}

/* "tables", "exclude_tables": a non-empty array of valid patterns */
static List *
want_patterns(const char *key, JsonbValue *v)
{
	List	   *result = want_strings(key, v, "pattern");
	ListCell   *lc;

	foreach(lc, result)
	{
		char	   *s = lfirst(lc);

		if (s[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pgclone option \"%s\" must not contain an empty pattern", key)));
		check_pattern(key, s);
	}
	return result;
}

/* Does any pattern match rel or nsp.rel?  Marks every pattern that does. */
static bool
patterns_match(List *patterns, const char *nsp, const char *rel, bool *hits)
{
	char	   *qualified = psprintf("%s.%s", nsp, rel);
	bool		any = false;
	ListCell   *lc;

	foreach(lc, patterns)
	{
		char	   *re = anchored(lfirst(lc));

		if (re_match(re, rel) || re_match(re, qualified))
		{
			any = true;
			if (hits == NULL)
				break;
			hits[foreach_current_index(lc)] = true;
		}
	}
	return any;
}

bool
pgc_table_excluded(const PgcOptions *opts, const char *nsp, const char *rel, bool *hits)
{
	return patterns_match(opts->exclude_tables, nsp, rel,
						  hits ? hits + list_length(opts->tables) : NULL);
}

bool
pgc_table_selected(const PgcOptions *opts, const char *nsp, const char *rel, bool *hits)
{
	bool		in = opts->tables == NIL || patterns_match(opts->tables, nsp, rel, hits);
	bool		out = pgc_table_excluded(opts, nsp, rel, hits);

	return in && !out;
}

static PgcConflict
want_conflict(JsonbValue *v)
{
	char	   *s = want_string("conflict", v);

	if (strcmp(s, "error") == 0)
		return PGC_CONFLICT_ERROR;
	if (strcmp(s, "skip") == 0)
		return PGC_CONFLICT_SKIP;
	if (strcmp(s, "replace") == 0)
		return PGC_CONFLICT_REPLACE;
	if (strcmp(s, "rename") == 0)
		return PGC_CONFLICT_RENAME;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown conflict mode \"%s\"", s),
			 errhint("Valid modes are \"error\", \"skip\", \"replace\" and \"rename\".")));
	return PGC_CONFLICT_ERROR;
}

static int
want_parallel(JsonbValue *v)
{
	int			n;

	if (v->type != jbvNumeric)
		wrong_type("parallel", "an integer", v);
	n = DatumGetInt32(DirectFunctionCall1(numeric_int4,
										  NumericGetDatum(v->val.numeric)));
	if (n < 1 || n > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone option \"parallel\" must be between 1 and 64")));
	return n;
}

static Jsonb *
parse_json_text(const char *json)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	Jsonb	   *jb = NULL;

	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("pgclone options are not valid JSON"),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
	}
	PG_END_TRY();
	return jb;
}

void
pgc_options_parse(PgcOptions *opts, const char *json, int allowed)
{
	static const struct
	{
		const char *key;
		int			flag;
	}			known[] = {
		{"indexes", PGC_OPT_INDEXES},
		{"constraints", PGC_OPT_CONSTRAINTS},
		{"triggers", PGC_OPT_TRIGGERS},
		{"matviews", PGC_OPT_MATVIEWS},
		{"consistent", PGC_OPT_CONSISTENT},
		{"conflict", PGC_OPT_CONFLICT},
		{"columns", PGC_OPT_COLUMNS},
		{"where", PGC_OPT_WHERE},
		{"mask", PGC_OPT_MASK},
		{"parallel", PGC_OPT_PARALLEL},
		{"tables", PGC_OPT_TABLES},
		{"exclude_tables", PGC_OPT_TABLES},
		{"masks", PGC_OPT_MASKS},
		{"subset", PGC_OPT_SUBSET},
		{"cascade", PGC_OPT_CASCADE},
		{"seed", PGC_OPT_SUBSET},
		{"virtual_foreign_keys", PGC_OPT_SUBSET},
		{"salt", PGC_OPT_MASK},
		{"require_masks", PGC_OPT_MASK},
		{"allow_unmasked", PGC_OPT_MASK},
		{"row_security", PGC_OPT_ROW_SECURITY},
	};
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	const char *mask_key = NULL;

	pgc_options_init(opts);
	if (json == NULL)
		return;

	jb = parse_json_text(json);
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone options must be a JSON object")));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int			flag = 0;
		int			i;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			for (i = 0; i < lengthof(known); i++)
				if (strcmp(key, known[i].key) == 0)
					flag = known[i].flag;
			if (flag == 0)
			{
				StringInfoData names;	/* the hint lists known[]: never stale */

				initStringInfo(&names);
				for (i = 0; i < lengthof(known); i++)
					appendStringInfo(&names, "%s%s", i ? ", " : "", known[i].key);
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown pgclone option \"%s\"", key),
						 errhint("Valid options are: %s.", names.data)));
			}
			if (!(allowed & flag))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pgclone option \"%s\" does not apply to this function",
								key)));
			continue;
		}
		if (tok != WJB_VALUE)
			continue;

		if (strcmp(key, "indexes") == 0)
			opts->indexes = want_bool(key, &v);
		else if (strcmp(key, "constraints") == 0)
			opts->constraints = want_bool(key, &v);
		else if (strcmp(key, "triggers") == 0)
			opts->triggers = want_bool(key, &v);
		else if (strcmp(key, "matviews") == 0)
			opts->matviews = want_bool(key, &v);
		else if (strcmp(key, "consistent") == 0)
			opts->consistent = want_bool(key, &v);
		else if (strcmp(key, "conflict") == 0)
			opts->conflict = want_conflict(&v);
		else if (strcmp(key, "columns") == 0)
			opts->columns = want_string_array(key, &v);
		else if (strcmp(key, "where") == 0)
		{
			opts->where = want_string(key, &v);
			pgc_check_where(opts->where);
		}
		else if (strcmp(key, "mask") == 0 || strcmp(key, "masks") == 0)
		{
			/* "masks" is the original pgclone's name for per-table masks */
			if (mask_key)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pgclone options \"mask\" and \"masks\" are the same option: give only one")));
			mask_key = key;
			if (v.type != jbvBinary || JsonContainerIsArray(v.val.binary.data))
				wrong_type(key, "an object", &v);
			opts->mask = JsonbValueToJsonb(&v);
		}
		else if (strcmp(key, "tables") == 0)
			opts->tables = want_patterns(key, &v);
		else if (strcmp(key, "exclude_tables") == 0)
			opts->exclude_tables = want_patterns(key, &v);
		else if (strcmp(key, "parallel") == 0)
			opts->parallel = want_parallel(&v);
		else if (strcmp(key, "subset") == 0)
			opts->subset = pgc_subset_check_option(&v);
		else if (strcmp(key, "cascade") == 0)
			opts->cascade = want_bool(key, &v);
		/* issue 27: sampled subsets and virtual foreign keys */
		else if (strcmp(key, "seed") == 0)
		{
			if (v.type != jbvNumeric)
				wrong_type(key, "an integer", &v);
			opts->seed = DatumGetInt64(DirectFunctionCall1(numeric_int8,
														   NumericGetDatum(v.val.numeric)));
		}
		else if (strcmp(key, "virtual_foreign_keys") == 0)
			opts->virtual_fks = pgc_vfk_check_option(&v);
		else if (strcmp(key, "salt") == 0)
			opts->mask_salt = want_string(key, &v);
		else if (strcmp(key, "require_masks") == 0)
			opts->require_masks = want_bool(key, &v) ? 1 : 0;
		else if (strcmp(key, "allow_unmasked") == 0)
			opts->allow_unmasked = want_string_array(key, &v);
		else if (strcmp(key, "row_security") == 0)
			opts->row_security = want_bool(key, &v);
	}
}

/*
 * Parse user text spliced into a query (sql holds it in place) with
 * PostgreSQL's own parser: the one SELECT it must be, or NULL when it is
 * anything else.  A syntax error is re-raised as "<what>: <the parser's
 * message>" with detail.  The callers then check which clauses it has.
 */
SelectStmt *
pgc_parse_user_select(const char *sql, const char *what, const char *detail)
{
	List	   *stmts = NIL;
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		stmts = raw_parser(sql, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("%s: %s", what, edata->message),
				 errdetail("%s", detail)));
	}
	PG_END_TRY();
	if (list_length(stmts) != 1 ||
		!IsA(((RawStmt *) linitial(stmts))->stmt, SelectStmt))
		return NULL;
	return (SelectStmt *) ((RawStmt *) linitial(stmts))->stmt;
}

/*
 * The filter is spliced into "WHERE (<filter>\n)" on the source.  Parse that
 * very text and demand one plain SELECT whose only extra is the WHERE: so the
 * filter can be any boolean expression (status <> 'reset' included) but can
 * never close the parenthesis and add a clause, a set operation or a second
 * statement.  It then runs in a READ ONLY transaction on the source.
 */
void
pgc_check_where(const char *where)
{
	SelectStmt *sel;

	if (where[strspn(where, " \t\r\n\f")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone option \"where\" must not be empty")));

	sel = pgc_parse_user_select(psprintf("SELECT 1 FROM pgclone_filter WHERE (%s\n)", where),
								"invalid \"where\" filter",
								"The filter must be a single boolean SQL expression.");
	if (sel == NULL)
		goto bad;
	if (sel->op != SETOP_NONE || sel->whereClause == NULL ||
		sel->distinctClause || sel->intoClause || sel->groupClause ||
		sel->havingClause || sel->windowClause || sel->valuesLists ||
		sel->sortClause || sel->limitOffset || sel->limitCount ||
		sel->lockingClause || sel->withClause ||
		list_length(sel->targetList) != 1 || list_length(sel->fromClause) != 1)
		goto bad;
	return;

bad:
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("invalid \"where\" filter: it must be a single boolean SQL expression"),
			 errdetail("The filter may not add clauses, set operations or statements.")));
}

static void
append_list(StringInfo buf, const char *key, List *l)
{
	ListCell   *lc;

	if (l == NIL)
		return;
	appendStringInfo(buf, ", \"%s\": [", key);
	foreach(lc, l)
	{
		if (lc != list_head(l))
			appendStringInfoString(buf, ", ");
		escape_json(buf, (char *) lfirst(lc));
	}
	appendStringInfoChar(buf, ']');
}

char *
pgc_options_to_json(const PgcOptions *opts)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "{\"indexes\": %s, \"constraints\": %s, \"triggers\": %s, "
					 "\"matviews\": %s, \"consistent\": %s, \"conflict\": \"%s\"",
					 opts->indexes ? "true" : "false",
					 opts->constraints ? "true" : "false",
					 opts->triggers ? "true" : "false",
					 opts->matviews ? "true" : "false",
					 opts->consistent ? "true" : "false",
					 pgc_conflict_name(opts->conflict));
	if (opts->columns)
	{
		appendStringInfoString(&buf, ", \"columns\": [");
		foreach(lc, opts->columns)
		{
			if (lc != list_head(opts->columns))
				appendStringInfoString(&buf, ", ");
			escape_json(&buf, (char *) lfirst(lc));
		}
		appendStringInfoChar(&buf, ']');
	}
	if (opts->where)
	{
		appendStringInfoString(&buf, ", \"where\": ");
		escape_json(&buf, opts->where);
	}
	if (opts->mask)
		appendStringInfo(&buf, ", \"mask\": %s",
						 JsonbToCString(NULL, &opts->mask->root, VARSIZE(opts->mask)));
	if (opts->parallel != 1)
		appendStringInfo(&buf, ", \"parallel\": %d", opts->parallel);
	if (opts->subset)
		appendStringInfo(&buf, ", \"subset\": %s",
						 JsonbToCString(NULL, &opts->subset->root, VARSIZE(opts->subset)));
	if (opts->seed != 0)
		appendStringInfo(&buf, ", \"seed\": " INT64_FORMAT, opts->seed);
	if (opts->virtual_fks)
		appendStringInfo(&buf, ", \"virtual_foreign_keys\": %s",
						 JsonbToCString(NULL, &opts->virtual_fks->root, VARSIZE(opts->virtual_fks)));
	append_list(&buf, "tables", opts->tables);
	append_list(&buf, "exclude_tables", opts->exclude_tables);
	if (opts->cascade)
		appendStringInfoString(&buf, ", \"cascade\": true");
	if (opts->mask_salt)
	{
		appendStringInfoString(&buf, ", \"salt\": ");
		escape_json(&buf, opts->mask_salt);
	}
	if (opts->require_masks >= 0)
		appendStringInfo(&buf, ", \"require_masks\": %s", opts->require_masks ? "true" : "false");
	append_list(&buf, "allow_unmasked", opts->allow_unmasked);
	if (opts->row_security)
		appendStringInfoString(&buf, ", \"row_security\": true");
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

Jsonb *
pgc_subset_check_option(JsonbValue *v)
{
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	e;
	char	   *key = NULL;
	int			n = 0;

	if (v->type != jbvBinary || JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone option \"subset\" must be an object of table names and filters"),
				 errhint("{\"subset\": {\"public.customers\": \"created_at > now() - interval '30 days'\"}}")));
	jb = JsonbValueToJsonb(v);
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(e.val.string.val, e.val.string.len);
			(void) pgc_string_to_qualified_name_list(key);	/* 42602 if malformed */
			n++;
		}
		else if (tok == WJB_VALUE)
		{
			MemoryContext oldcxt = CurrentMemoryContext;
			char	   *filter;

			if (e.type == jbvBinary && !JsonContainerIsArray(e.val.binary.data))
			{
				pgc_sample_check_rule(key, &e); /* issue 27 */
				continue;
			}
			if (e.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("subset filter of table \"%s\" must be a string", key),
						 errhint("A filter is SQL text; a sampling rule is an object such as {\"percent\": 10} or {\"rows\": 1000, \"order_by\": \"id\"}.")));
			filter = pnstrdup(e.val.string.val, e.val.string.len);
			PG_TRY();
			{
				pgc_check_where(filter);
			}
			PG_CATCH();
			{
				ErrorData  *ed;

				MemoryContextSwitchTo(oldcxt);
				ed = CopyErrorData();
				FlushErrorState();
				ereport(ERROR,
						(errcode(ed->sqlerrcode),
						 errmsg("subset filter of table \"%s\": %s", key, ed->message),
						 ed->detail ? errdetail_internal("%s", ed->detail) : 0));
			}
			PG_END_TRY();
		}
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone option \"subset\" must name at least one table")));
	return jb;
}
