/*
 * subset_preview.c — what a subset would keep, without cloning (issue 27).
 *
 * For each table of the graph, the SELECT that gives the rows the clone would
 * copy (the same predicate and WITH clause that its COPY runs: subset.c), and
 * their number, counted by the source in one statement for all tables.
 */
#include "plan/subset_int.h"

#include "utils/builtins.h"

/* Tables by qualified name, for a stable output */
static int
cmp_preview(const ListCell *a, const ListCell *b)
{
	return strcmp(((PgcSubsetPreview *) lfirst(a))->table,
				  ((PgcSubsetPreview *) lfirst(b))->table);
}

List *
pgc_subset_preview(PGconn *conn, PgcSubset *s, const PgcOptions *opts)
{
	List	   *out = NIL;
	StringInfoData q;
	PgcRows    *r;
	ListCell   *lc;
	int			i;

	initStringInfo(&q);
	for (i = 0; i < s->nnodes; i++)
	{
		SubNode    *n = &s->nodes[i];
		PgcSubsetPreview *p;
		PgcSubsetRel *rel;
		char	   *where;

		if (!pgc_table_selected(opts, n->nspname, n->relname, NULL))
			continue;
		pgc_subset_gen_reset(s);
		rel = pgc_subset_rel_of(s, i, pgc_qname(n->nspname, n->relname));
		where = rel->where ? psprintf(" WHERE %s", rel->where) : "";
		p = palloc0(sizeof(PgcSubsetPreview));
		p->table = pgc_qname(n->nspname, n->relname);
		p->restricted = rel->restricted;
		p->sql = psprintf("%sSELECT * FROM %s%s", rel->with ? rel->with : "",
						  pgc_subset_from(n), where);
		appendStringInfo(&q, "%s(%sSELECT pg_catalog.count(*) FROM %s%s)",
						 q.len ? ",\n " : "SELECT ", rel->with ? rel->with : "",
						 pgc_subset_from(n), where);
		out = lappend(out, p);
	}
	if (out == NIL)
		return NIL;
	pgc_command(conn, "SET LOCAL jit = off");	/* as copy.c does for subsets */
	r = pgc_query(conn, q.data);
	pgc_command(conn, "RESET jit");
	foreach(lc, out)
		((PgcSubsetPreview *) lfirst(lc))->rows =
			strtoi64(pgc_val(r, 0, foreach_current_index(lc)), NULL, 10);
	list_sort(out, cmp_preview);
	return out;
}
