/*
 * plan.c — the plan of a clone: the objects of some schemas as the catalog
 * stage reads them, sorted by pg_depend (depsort.c), the extensions they
 * need; from here on the source model answers per-object reads for the
 * whole plan (catalog/read_batch.c).
 */
#include "plan/plan.h"

#include "utils/jsonb.h"

PgcClonePlan *
pgc_plan_read(PGconn *conn, List *schemas, bool functions_only, bool whole_database,
			  const PgcOptions *opts)
{
	PgcClonePlan *plan = palloc0(sizeof(PgcClonePlan));
	PgcRows    *r;
	int			i;

	plan->schemas = schemas;
	plan->functions_only = functions_only;
	plan->whole_database = whole_database;
	pgc_depsort_read(conn, plan, functions_only ? "TSRVMDXEOYZKWPN" : opts->matviews ? "" : "M");
	/* from here on, a query asked for one object reads every object of its kind */
	pgc_catalog_begin(conn, plan->objects, plan->nobjects, schemas);

	r = pgc_read_extension_deps(conn, schemas);
	for (i = 0; i < r->nrows; i++)
	{
		char	   *name = pgc_get(r, i, "extname");

		if (strcmp(name, "plpgsql") == 0 || strcmp(name, "pgclone") == 0)
			continue;
		plan->extensions = lappend(plan->extensions, name);
		plan->ext_schemas = lappend(plan->ext_schemas, pgc_get(r, i, "extnsp"));
	}
	return plan;
}

char *
pgc_plan_summary(PgcClonePlan *plan)
{
	return psprintf("%d tables, %d views, %d materialized views, %d functions, %d types, "
					"%d sequences, " UINT64_FORMAT " rows",
					plan->counts['R'], plan->counts['V'], plan->counts['M'],
					plan->counts['F'] + plan->counts['A'], plan->counts['T'],
					plan->counts['S'], plan->rows);
}

/* Every table a mask names must be one the clone creates. */
void
pgc_plan_check_masks(PgcClonePlan *plan, const PgcOptions *opts)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;

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
			if (strcmp(((PgcPlanTable *) lfirst(lc))->target.relname, name) == 0)
				found = true;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("mask names table \"%s\", which this clone does not create", name),
					 errhint("Schema and database clones name masks per table: {\"employees\": {\"email\": \"email\"}}.")));
	}
}
