/*
 * post_data.c — what a schema clone runs after the data (schema.c runs the
 * rest): per-table constraints and indexes, partition index attachment,
 * foreign keys, rules, sequence positions, REFRESH of the materialized
 * views, default privileges and event triggers.  The statements come from
 * the DDL stage, which reads the source's model through a catalog handle.
 */
#include "clone/schema.h"

#include "utils/builtins.h"

/* Every sequence position post-data sets, in one statement on the source */
static void
read_sequence_values(PGconn *conn, PgcClonePlan *plan)
{
	List	   *qnames = NIL;
	ListCell   *lc;
	int			i;

	foreach(lc, plan->tables)
	{
		PgcTable   *t = ((PgcPlanTable *) lfirst(lc))->table;

		for (i = 0; i < t->sequences->nrows; i++)
		{
			PgcColumn  *c = pgc_table_column(t, pgc_get_int(t->sequences, i, "attnum"));

			if (c && c->selected)
				qnames = lappend(qnames, pgc_get(t->sequences, i, "qname"));
		}
	}
	for (i = 0; i < plan->nobjects; i++)
		if (!plan->objects[i].skip && plan->objects[i].kind == 'S')
			qnames = lappend(qnames, pgc_qname(plan->objects[i].nspname, plan->objects[i].name));
	pgc_read_sequence_values(conn, qnames);
}

/* A table of the clone's schemas that the plan itself leaves out */
static bool
plan_leaves_out(PgcClonePlan *plan, const char *nsp, const char *rel)
{
	int			i;

	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *o = &plan->objects[i];

		if ((o->kind == 'R' || o->kind == 'E') && o->left_out &&
			strcmp(o->name, rel) == 0 && strcmp(o->nspname, nsp) == 0)
			return true;
	}
	return false;
}

/*
 * The table with its foreign keys to tables the plan leaves out ("tables",
 * "exclude_tables") removed, with a NOTICE each: even when such a table
 * exists on the target, its rows are not the ones the key was made for.
 */
static PgcTable *
fkeys_to_cloned(PgcClonePlan *plan, PgcPlanTable *pt)
{
	PgcRows    *k = pt->table->constraints;
	PgcRows    *kept;
	PgcTable   *t;
	int			i,
				n = 0;

	kept = palloc(sizeof(PgcRows));
	*kept = *k;
	kept->values = palloc(sizeof(char *) * Max(k->nrows * k->ncols, 1));
	for (i = 0; i < k->nrows; i++)
	{
		if (pgc_get_bool(k, i, "is_fkey") && !pgc_get_bool(k, i, "self_ref") &&
			plan_leaves_out(plan, pgc_get(k, i, "ref_nsp"), pgc_get(k, i, "ref_rel")))
		{
			ereport(NOTICE,
					(errmsg("skipping foreign key \"%s\" on %s: referenced table %s is not cloned",
							pgc_get(k, i, "conname"),
							pgc_qname(pt->target.nspname, pt->target.relname),
							pgc_qname(pgc_get(k, i, "ref_nsp"), pgc_get(k, i, "ref_rel")))));
			continue;
		}
		memcpy(&kept->values[n++ * k->ncols], &k->values[i * k->ncols],
			   sizeof(char *) * k->ncols);
	}
	if (n == k->nrows)
		return pt->table;
	kept->nrows = n;
	t = palloc(sizeof(PgcTable));
	*t = *pt->table;
	t->constraints = kept;
	return t;
}

static List *
sequence_value(PgcCatalog *cat, PgcObject *o)
{
	char	   *q = pgc_qname(o->nspname, o->name);
	PgcRows    *v = pgc_read_sequence_value(cat, q);

	return list_make1(psprintf("SELECT pg_catalog.setval(%s, %s, %s)",
							   quote_literal_cstr(q), quote_literal_cstr(pgc_val(v, 0, 0)),
							   pgc_val(v, 0, 1)[0] == 't' ? "true" : "false"));
}

List *
pgc_plan_post_data(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts)
{
	return pgc_plan_post_data_ex(conn, plan, opts, true);
}

/*
 * loaded_tables = false: leave out the per-table post-data of the tables
 * with rows (pgc_plan_table_post_data, run by whoever loaded each one).
 */
List *
pgc_plan_post_data_ex(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts,
					  bool loaded_tables)
{
	PgcCatalog *cat = pgc_catalog(conn);
	List	   *out = NIL;
	ListCell   *lc;
	int			i;

	foreach(lc, plan->tables)
	{
		PgcPlanTable *pt = lfirst(lc);

		if (pt->load && !loaded_tables)
			continue;
		out = list_concat(out, pgc_plan_table_post_data(pt, opts));
	}
	for (i = 0; i < plan->nobjects; i++)
		if (!plan->objects[i].skip)
			out = list_concat(out, pgc_object_post_data(cat, &plan->objects[i], opts));

	if (opts->indexes && plan->tables != NIL)
	{
		PgcRows    *r = pgc_read_index_attachments(conn, plan->schemas, plan->table_oids);
		HTAB	   *tables = pgc_plan_table_set(plan);

		for (i = 0; i < r->nrows; i++)
		{
			/* a partition "exclude_tables" left out has no index to attach */
			if (!pgc_plan_has_table(tables, pgc_get(r, i, "child_rel")) ||
				!pgc_plan_has_table(tables, pgc_get(r, i, "parent_rel")))
				continue;
			out = lappend(out, psprintf("ALTER INDEX %s ATTACH PARTITION %s",
										pgc_get(r, i, "parent_idx"), pgc_get(r, i, "child_idx")));
		}
	}
	foreach(lc, plan->tables)
	{
		PgcPlanTable *pt = lfirst(lc);

		out = list_concat(out, pgc_table_fkeys(fkeys_to_cloned(plan, pt), &pt->target, opts));
	}
	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *o = &plan->objects[i];

		if (o->skip || !(o->kind == 'R' || o->kind == 'V' || o->kind == 'M' || o->kind == 'E'))
			continue;
		out = list_concat(out, pgc_relation_rules(cat, o));
	}
	read_sequence_values(conn, plan);
	foreach(lc, plan->tables)
	{
		PgcPlanTable *pt = lfirst(lc);

		out = list_concat(out, pgc_table_sequence_values(cat, pt->table, &pt->target));
	}
	for (i = 0; i < plan->nobjects; i++)
		if (!plan->objects[i].skip && plan->objects[i].kind == 'S')
			out = list_concat(out, sequence_value(cat, &plan->objects[i]));
	foreach(lc, plan->matviews)
	{
		PgcObject  *o = lfirst(lc);
		PgcRows    *r = pgc_read_source(conn, &pgc_q_relispopulated, o->oid);

		if (r->nrows == 1 && pgc_get_bool(r, 0, "relispopulated"))
			out = lappend(out, psprintf("REFRESH MATERIALIZED VIEW %s",
										pgc_qname(o->nspname, o->name)));
	}
	if (!plan->functions_only && !plan->tables_only)
		foreach(lc, plan->schemas)
			out = list_concat(out, pgc_default_privileges(cat, lfirst(lc)));
	if (plan->whole_database)
		out = list_concat(out, pgc_default_privileges(cat, NULL));
	if (plan->whole_database)
		out = list_concat(out, pgc_event_triggers(cat));
	return out;
}

/*
 * Count what post-data statements create, by their leading words: the
 * statements are ours (ddl_table.c, objects.c), not the source's text.
 * Indexes here are the ones not behind a constraint.
 */
void
pgc_plan_count_post(PgcClonePlan *plan, List *stmts)
{
	ListCell   *lc;

	foreach(lc, stmts)
	{
		const char *s = lfirst(lc);

		if (strncmp(s, "CREATE INDEX ", 13) == 0 || strncmp(s, "CREATE UNIQUE INDEX ", 20) == 0)
			plan->counts['i']++;
		else if (strncmp(s, "ALTER TABLE ", 12) == 0 && strstr(s, " ADD CONSTRAINT ") != NULL)
			plan->counts['k']++;
		else if (strncmp(s, "CREATE TRIGGER ", 15) == 0 ||
				 strncmp(s, "CREATE CONSTRAINT TRIGGER ", 26) == 0)
			plan->counts['t']++;
		else if (strncmp(s, "CREATE POLICY ", 14) == 0)
			plan->counts['p']++;
		else if (strncmp(s, "CREATE RULE ", 12) == 0 || strncmp(s, "CREATE OR REPLACE RULE ", 23) == 0)
			plan->counts['r']++;
		else if (strncmp(s, "CREATE STATISTICS ", 18) == 0)
			plan->counts['s']++;
		else if (strncmp(s, "CREATE EVENT TRIGGER ", 21) == 0)
			plan->counts['e']++;
	}
}
