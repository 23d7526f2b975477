/*
 * defcheck.c — a statement built from a definition the source sent
 * (pg_get_viewdef, pg_get_functiondef, pg_get_indexdef, pg_get_triggerdef,
 * pg_get_ruledef, pg_get_constraintdef...) must parse to exactly one
 * statement of the kind that object needs, on the object it is about.
 *
 * The source is untrusted: a superuser there can replace pg_get_viewdef() so
 * that a view's definition reads "SELECT 1; CREATE ROLE pwned SUPERUSER", or
 * a trigger's is a CREATE ROLE of its own.  The text would run here, with
 * the caller's rights.  PostgreSQL's own parser decides what it is.
 */
#include "pgclone.h"
#include "ddl/ddl.h"

#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/memutils.h"

static const char *
kind_name(NodeTag tag)
{
	switch (tag)
	{
		case T_ViewStmt:
			return "CREATE VIEW";
		case T_CreateTableAsStmt:
			return "CREATE MATERIALIZED VIEW";
		case T_CreateFunctionStmt:
			return "CREATE FUNCTION";
		case T_IndexStmt:
			return "CREATE INDEX";
		case T_CreateTrigStmt:
			return "CREATE TRIGGER";
		case T_RuleStmt:
			return "CREATE RULE";
		case T_CreateStatsStmt:
			return "CREATE STATISTICS";
		case T_AlterTableStmt:
			return "ALTER TABLE ... ADD CONSTRAINT";
		case T_AlterDomainStmt:
			return "ALTER DOMAIN ... ADD CONSTRAINT";
		case T_CreatePolicyStmt:
			return "CREATE POLICY";
		default:
			return "statement";
	}
}

static bool
same_rel(RangeVar *rv, const char *nsp, const char *rel)
{
	return rv != NULL && rv->relname != NULL && strcmp(rv->relname, rel) == 0 &&
		(nsp == NULL || (rv->schemaname != NULL && strcmp(rv->schemaname, nsp) == 0));
}

/* Is the statement of the expected kind, on the expected relation (if any)? */
static bool
def_fits(Node *n, NodeTag tag, const char *nsp, const char *rel)
{
	if (nodeTag(n) != tag)
		return false;
	switch (tag)
	{
		case T_ViewStmt:
			return IsA(((ViewStmt *) n)->query, SelectStmt) &&
				(rel == NULL || same_rel(((ViewStmt *) n)->view, nsp, rel));
		case T_CreateTableAsStmt:
			{
				CreateTableAsStmt *c = (CreateTableAsStmt *) n;

				return c->objtype == OBJECT_MATVIEW && IsA(c->query, SelectStmt) &&
					(rel == NULL || same_rel(c->into->rel, nsp, rel));
			}
		case T_CreateFunctionStmt:
			{
				CreateFunctionStmt *f = (CreateFunctionStmt *) n;

				return rel == NULL ||
					strcmp(strVal(llast(f->funcname)), rel) == 0;
			}
		case T_IndexStmt:
			return rel == NULL || same_rel(((IndexStmt *) n)->relation, nsp, rel);
		case T_CreateTrigStmt:
			return rel == NULL || same_rel(((CreateTrigStmt *) n)->relation, nsp, rel);
		case T_RuleStmt:
			return rel == NULL || same_rel(((RuleStmt *) n)->relation, nsp, rel);
		case T_CreatePolicyStmt:
			return rel == NULL || same_rel(((CreatePolicyStmt *) n)->table, nsp, rel);
		case T_AlterTableStmt:
			{
				AlterTableStmt *a = (AlterTableStmt *) n;

				return list_length(a->cmds) == 1 &&
					((AlterTableCmd *) linitial(a->cmds))->subtype == AT_AddConstraint &&
					(rel == NULL || same_rel(a->relation, nsp, rel));
			}
		case T_AlterDomainStmt:
			return ((AlterDomainStmt *) n)->subtype == 'C';
		default:
			return true;
	}
}

/*
 * How many statements sql holds.  The parse tree goes at once: a clone of
 * 10,000 tables checks 60,000 statements and keeps none of the trees.
 */
int
pgc_statement_count(const char *sql)
{
	MemoryContext tree = AllocSetContextCreate(CurrentMemoryContext,
											   "pgclone statement check",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tree);
	int			n = list_length(raw_parser(sql, RAW_PARSE_DEFAULT));

	MemoryContextSwitchTo(old);
	MemoryContextDelete(tree);
	return n;
}

/*
 * Return sql when it is one statement of kind tag (on nsp.rel when rel is
 * given: the relation, or the function's name); otherwise ERROR XX000 naming
 * the object, before anything runs.
 */
char *
pgc_check_def(char *sql, NodeTag tag, const char *what, const char *nsp, const char *rel)
{
	MemoryContext cxt = CurrentMemoryContext;

	/* the parse tree is only looked at: it goes before we return */
	MemoryContext tree = AllocSetContextCreate(cxt, "pgclone definition check",
											   ALLOCSET_DEFAULT_SIZES);
	List	   *volatile raw = NIL;
	char	   *volatile why = NULL;
	bool		fits;

	MemoryContextSwitchTo(tree);
	PG_TRY();
	{
		raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		/* a syntax error is raised again below, as this object's error */
		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		why = e->message;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	fits = why == NULL && list_length(raw) == 1 &&
		def_fits(((RawStmt *) linitial(raw))->stmt, tag, nsp, rel);
	MemoryContextDelete(tree);
	if (!fits)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the source sent a definition of %s that is not one %s statement",
						what, kind_name(tag)),
				 why ? errdetail("It does not parse: %s.", why) :
				 errdetail("The source server is not behaving as PostgreSQL does; nothing was created."),
				 errdetail_log("%s", sql)));
	return sql;
}
