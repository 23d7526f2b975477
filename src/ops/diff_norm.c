/*
 * diff_norm.c — diff() compares meaning, not one server version's text.
 *
 * Each server deparses a view or an SQL-standard function body its own way
 * (16 leaves out the table qualification of a one-table query, 14 writes the
 * IN of a procedure's arguments, ...).  When a source of another major gives
 * a definition whose text differs from the target's, both texts are parsed
 * and analyzed here, on the target, and deparsed again by the target: equal
 * results mean the same definition.  A text the target cannot parse or
 * analyze stays as it is (and so differs).
 */
#include "ops/ops.h"

#include "catalog/pg_type.h"
#include "executor/functions.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/ruleutils.h"

typedef struct NormArg
{
	const char *def;
	char		kind;			/* 'v' view query, 'f' function definition */
	char	   *result;
} NormArg;

static RawStmt *
only_statement(const char *sql)
{
	List	   *raw = raw_parser(sql, RAW_PARSE_DEFAULT);

	if (list_length(raw) != 1)
		elog(ERROR, "not one statement");
	return linitial_node(RawStmt, raw);
}

/* A view's query, as the target deparses it */
static char *
norm_view(const char *def)
{
	RawStmt    *rs = only_statement(def);
	Query	   *q = parse_analyze_fixedparams(rs, def, NULL, 0, NULL);

	return pg_get_querydef(q, false);
}

/*
 * A function's definition: the header with the argument modes a server
 * leaves implicit written out, and an SQL-standard body as the target
 * deparses it, analyzed with the function's own arguments.
 */
static char *
norm_function(const char *def)
{
	RawStmt    *rs = only_statement(def);
	CreateFunctionStmt *stmt;
	SQLFunctionParseInfo *pinfo;
	StringInfoData out;
	const char *body;
	List	   *stmts;
	ListCell   *lc;

	if (!IsA(rs->stmt, CreateFunctionStmt))
		elog(ERROR, "not a function");
	stmt = (CreateFunctionStmt *) rs->stmt;

	/* the header: everything before an SQL-standard body, IN written out */
	initStringInfo(&out);
	body = stmt->sql_body ? strstr(def, IsA(stmt->sql_body, List) ? "\nBEGIN ATOMIC" : "\nRETURN ") : NULL;
	appendBinaryStringInfo(&out, def, body ? body - def : strlen(def));
	foreach(lc, stmt->parameters)
	{
		FunctionParameter *p = lfirst(lc);

		appendStringInfo(&out, "|%c", p->mode == FUNC_PARAM_DEFAULT ? FUNC_PARAM_IN : p->mode);
	}
	if (!stmt->sql_body)
	{
		/* modes are compared above: the first line without them */
		StringInfoData b;
		const char *p = def;
		const char *eol = strchr(def, '\n');

		initStringInfo(&b);
		for (; *p; p++)
		{
			if ((eol == NULL || p < eol) && strncmp(p, "IN ", 3) == 0 && p > def &&
				(p[-1] == '(' || (p[-1] == ' ' && p - def > 1 && p[-2] == ',')))
				p += 3;
			appendStringInfoChar(&b, *p);
		}
		appendStringInfoString(&b, out.data + strlen(def));
		return b.data;
	}

	/* the body's statements, analyzed as CREATE FUNCTION does */
	pinfo = palloc0(sizeof(SQLFunctionParseInfo));
	pinfo->fname = strVal(llast(stmt->funcname));
	pinfo->argtypes = palloc(sizeof(Oid) * Max(list_length(stmt->parameters), 1));
	pinfo->argnames = palloc(sizeof(char *) * Max(list_length(stmt->parameters), 1));
	foreach(lc, stmt->parameters)
	{
		FunctionParameter *p = lfirst(lc);

		if (p->mode == FUNC_PARAM_OUT || p->mode == FUNC_PARAM_TABLE)
			continue;
		pinfo->argtypes[pinfo->nargs] = typenameTypeId(NULL, p->argType);
		pinfo->argnames[pinfo->nargs] = p->name;
		pinfo->nargs++;
	}
	pinfo->collation = InvalidOid;
	stmts = IsA(stmt->sql_body, List) ? linitial_node(List, (List *) stmt->sql_body) :
		list_make1(stmt->sql_body);
	foreach(lc, stmts)
	{
		ParseState *pstate = make_parsestate(NULL);
		Query	   *q;

		pstate->p_sourcetext = def;
		sql_fn_parser_setup(pstate, pinfo);
		q = transformStmt(pstate, lfirst(lc));
		free_parsestate(pstate);
		appendStringInfo(&out, "\n%s;", pg_get_querydef(q, false));
	}
	return out.data;
}

static void
norm_in_subxact(void *arg)
{
	NormArg    *a = arg;

	a->result = a->kind == 'v' ? norm_view(a->def) : norm_function(a->def);
}

char *
diff_normalize(char kind, const char *def, MemoryContext cxt)
{
	NormArg		a = {def, kind, NULL};
	ErrorData  *e = pgc_try_subxact(norm_in_subxact, &a);

	if (e != NULL)
	{
		FreeErrorData(e);
		return NULL;
	}
	return MemoryContextStrdup(cxt, a.result);
}
