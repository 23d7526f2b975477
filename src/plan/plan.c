/*
 * plan.c — the plan of a clone: the objects of some schemas as the catalog
 * stage reads them, sorted by pg_depend (depsort.c), the extensions they
 * need; from here on the source model answers per-object reads for the
 * whole plan (catalog/read_batch.c).
 */
#include "plan/plan_read.h"

#include "utils/jsonb.h"

/*
 * The extensions the plan's objects need (all = every extension of the
 * source, as a whole-database clone takes them): see clone/extensions.c for
 * what "need" means.
 */
List *
pgc_plan_extensions(PGconn *conn, List *schemas, bool all)
{
	PgcRows    *r = pgc_read_extensions(conn, schemas, all);
	List	   *out = NIL;
	int			i;

	for (i = 0; i < r->nrows; i++)
	{
		PgcExtension *e = palloc0(sizeof(PgcExtension));

		e->name = pgc_get(r, i, "extname");
		e->nspname = pgc_get(r, i, "extnsp");
		e->version = pgc_get(r, i, "extversion");
		e->needed = pgc_get_bool(r, i, "needed");
		out = lappend(out, e);
	}
	return out;
}

PgcClonePlan *
pgc_plan_read(PGconn *conn, List *schemas, bool functions_only, bool whole_database,
			  const PgcOptions *opts)
{
	PgcClonePlan *plan = palloc0(sizeof(PgcClonePlan));

	plan->schemas = schemas;
	plan->functions_only = functions_only;
	plan->whole_database = whole_database;
	pgc_depsort_read(conn, plan, functions_only ? "TSRVMDXEOYZKWPN" : opts->matviews ? "" : "M",
					 functions_only ? NULL : opts);
	/* from here on, a query asked for one object reads every object of its kind */
	pgc_catalog_begin(conn, plan->objects, plan->nobjects, schemas);

	plan->extensions = pgc_plan_extensions(conn, schemas, whole_database);
	return plan;
}

/* The kinds shown only when some were cloned, by kind letter. */
static const struct
{
	char		kind;
	const char *words;
}			other_kinds[] =
{
	{'p', "policies"}, {'r', "rules"}, {'s', "statistics objects"},
	{'E', "foreign tables"}, {'C', "collations"}, {'N', "conversions"},
	{'W', "text search templates"}, {'P', "text search parsers"},
	{'D', "text search dictionaries"}, {'X', "text search configurations"},
	{'O', "operators"}, {'Y', "operator families"}, {'Z', "operator classes"},
	{'K', "casts"}, {'e', "event triggers"}, {'x', "extensions"},
};

/*
 * "12 tables, 3 views, ..., 40 sequences, 30 indexes, 25 constraints, 4
 * triggers, 1 text search configurations, 2 extensions, 10 rows": the
 * first nine always, the others when any were created.  Sequences include
 * the ones serial and identity columns own; extensions are the ones created
 * here.
 */
char *
pgc_plan_summary(PgcClonePlan *plan)
{
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	appendStringInfo(&b, "%d tables, %d views, %d materialized views, %d functions, %d types, "
					 "%d sequences, %d indexes, %d constraints, %d triggers",
					 plan->counts['R'], plan->counts['V'], plan->counts['M'],
					 plan->counts['F'] + plan->counts['A'], plan->counts['T'],
					 plan->counts['S'], plan->counts['i'], plan->counts['k'], plan->counts['t']);
	for (i = 0; i < lengthof(other_kinds); i++)
		if (plan->counts[(int) other_kinds[i].kind] > 0)
			appendStringInfo(&b, ", %d %s", plan->counts[(int) other_kinds[i].kind],
							 other_kinds[i].words);
	appendStringInfo(&b, ", " UINT64_FORMAT " rows", plan->rows);
	return b.data;
}

/* Every table a mask names must be one the clone creates. */
void
pgc_plan_check_masks(PgcClonePlan *plan, const PgcOptions *opts)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;
	int			i;

	if (opts->mask == NULL || !JB_ROOT_IS_OBJECT(opts->mask))
		return;
	it = JsonbIteratorInit(&opts->mask->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *name;
		bool		found = false;
		ListCell   *lc;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(v.val.string.val, v.val.string.len);
		foreach(lc, plan->tables)
		{
			PgcTarget  *tg = &((PgcPlanTable *) lfirst(lc))->target;

			if (strcmp(tg->relname, name) == 0 ||
				strcmp(psprintf("%s.%s", tg->nspname, tg->relname), name) == 0)
				found = true;
		}
		/* a table "tables"/"exclude_tables" left out has no rows to mask */
		for (i = 0; i < plan->nobjects && !found; i++)
		{
			PgcObject  *o = &plan->objects[i];

			if (o->kind == 'R' && o->left_out &&
				(strcmp(o->name, name) == 0 ||
				 strcmp(psprintf("%s.%s", o->nspname, o->name), name) == 0))
				found = true;
		}
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("mask names table \"%s\", which this clone does not create", name),
					 errhint("Schema and database clones name masks per table: {\"employees\": {\"email\": \"email\"}} or {\"hr.employees\": ...}.")));
	}
}

/* The source oids of the tables the plan creates, for lookups */
HTAB *
pgc_plan_table_set(PgcClonePlan *plan)
{
	HASHCTL		ctl;
	HTAB	   *h;
	ListCell   *lc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(Oid);
	ctl.hcxt = CurrentMemoryContext;
	h = hash_create("pgclone created tables", Max(list_length(plan->tables), 16), &ctl,
					HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	foreach(lc, plan->tables)
	{
		Oid			oid = (Oid) strtoul(((PgcPlanTable *) lfirst(lc))->table->oid, NULL, 10);

		(void) hash_search(h, &oid, HASH_ENTER, NULL);
	}
	return h;
}

bool
pgc_plan_has_table(HTAB *tables, const char *oid)
{
	Oid			o = (Oid) strtoul(oid, NULL, 10);

	return hash_search(tables, &o, HASH_FIND, NULL) != NULL;
}
