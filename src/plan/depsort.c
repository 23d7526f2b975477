/*
 * depsort.c — the objects of some schemas (as catalog/read_plan.c reads them
 * from the source), in the order pg_depend demands.
 *
 * Each object that gets its own CREATE is a node: collations, conversions, text search
 * templates, parsers, dictionaries and configurations, types, standalone sequences, functions,
 * aggregates, operators, operator families and classes, tables, foreign
 * tables, views and matviews; for a whole database, casts too.  Catalog rows
 * that belong to a node (a column default, a view's _RETURN rule, a table's
 * row type, an owned sequence, an array or multirange type, a domain
 * constraint, an operator class's pg_amop/pg_amproc rows) are mapped to it, so every pg_depend row between two of them
 * becomes an edge.  Constraints, indexes, triggers and policies of tables are
 * created after the data and do not take part.  Kahn's algorithm then emits
 * the objects, preferring at each step the lowest kind rank and then the
 * name, so the order is deterministic.  A cycle (pg_dump breaks these with
 * dummy objects) is broken by emitting its lowest-ranked member.
 */
#include "plan/plan_read.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

typedef struct NodeKey
{
	Oid			classid;
	Oid			objid;
} NodeKey;

typedef struct NodeEnt
{
	NodeKey		key;
	int			index;
} NodeEnt;

/* Creation preference among objects that are ready at the same time. */
static int
kind_rank(char kind)
{
	switch (kind)
	{
		case 'C':
		case 'N':
		case 'W':
		case 'P':
		case 'D':
		case 'X':
			return 0;
		case 'T':
			return 1;
		case 'F':
		case 'K':
			return 2;
		case 'A':
		case 'O':
		case 'Y':
		case 'Z':
			return 3;
		case 'S':
			return 4;
		case 'R':
		case 'E':
			return 5;
		case 'V':
			return 6;
		default:
			return 7;
	}
}

static bool
before(PgcObject *a, PgcObject *b)
{
	int			c;

	if (a->rank != b->rank)
		return a->rank < b->rank;
	c = strcmp(a->nspname, b->nspname);
	if (c != 0)
		return c < 0;
	c = strcmp(a->name, b->name);
	if (c != 0)
		return c < 0;
	return a->objid < b->objid;
}

/*
 * The objects whose references are all emitted, as a binary min-heap on
 * before(): picking the next one costs O(log n), so 10,000 tables sort in
 * milliseconds (a scan of every object per pick was O(n^2)).
 */
typedef struct ReadyHeap
{
	int		   *items;
	int			n;
	PgcObject  *objs;
} ReadyHeap;

static inline bool
heap_less(ReadyHeap *h, int a, int b)
{
	return before(&h->objs[h->items[a]], &h->objs[h->items[b]]);
}

static inline void
heap_swap(ReadyHeap *h, int a, int b)
{
	int			t = h->items[a];

	h->items[a] = h->items[b];
	h->items[b] = t;
}

static void
heap_push(ReadyHeap *h, int obj)
{
	int			i = h->n++;

	h->items[i] = obj;
	while (i > 0 && heap_less(h, i, (i - 1) / 2))
	{
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static int
heap_pop(ReadyHeap *h)
{
	int			top = h->items[0];
	int			i = 0;

	h->items[0] = h->items[--h->n];
	for (;;)
	{
		int			l = 2 * i + 1,
					m = i;

		if (l < h->n && heap_less(h, l, m))
			m = l;
		if (l + 1 < h->n && heap_less(h, l + 1, m))
			m = l + 1;
		if (m == i)
			return top;
		heap_swap(h, i, m);
		i = m;
	}
}

static Oid
text_oid(const char *s)
{
	return (Oid) strtoul(s, NULL, 10);
}

/* "view", "function", ... for NOTICEs */
static const char *
kind_noun(PgcObject *o)
{
	switch (o->kind)
	{
		case 'R':
		case 'E':
			return "table";
		case 'V':
			return "view";
		case 'M':
			return "materialized view";
		case 'F':
			return o->sub == 'p' ? "procedure" : "function";
		case 'A':
			return "aggregate";
		case 'T':
			return "type";
		case 'S':
			return "sequence";
		default:
			return "object";
	}
}

/*
 * The "tables" / "exclude_tables" selection.  A table is kept when its name
 * (or schema.name) matches a "tables" pattern (or there is none) and no
 * "exclude_tables" pattern; a partition follows its parent, which the sort
 * emits first, unless "exclude_tables" names it.  Whatever depends on a
 * table left out is then left out by the caller, with a NOTICE.
 */
typedef struct Selection
{
	const PgcOptions *opts;
	HTAB	   *parents;		/* partition oid -> index of its parent */
	bool	   *hits;			/* per pattern */
} Selection;

static void
selection_init(Selection *sel, PGconn *conn, List *schemas, HTAB *nodes,
			   const PgcOptions *opts)
{
	HASHCTL		ctl;
	PgcRows    *r;
	int			i;

	memset(sel, 0, sizeof(Selection));
	if (opts == NULL || (opts->tables == NIL && opts->exclude_tables == NIL))
		return;
	sel->opts = opts;
	sel->hits = palloc0(sizeof(bool) *
						(list_length(opts->tables) + list_length(opts->exclude_tables) + 1));
	r = pgc_read_partition_parents(conn, schemas);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(NodeEnt);
	ctl.hcxt = CurrentMemoryContext;
	sel->parents = hash_create("pgclone partitions", Max(r->nrows, 16), &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (i = 0; i < r->nrows; i++)
	{
		NodeKey		pk = {RelationRelationId, text_oid(pgc_val(r, i, 1))};
		NodeEnt    *parent = hash_search(nodes, &pk, HASH_FIND, NULL);
		Oid			child = text_oid(pgc_val(r, i, 0));
		NodeEnt    *e;

		if (parent == NULL)
			continue;
		e = hash_search(sel->parents, &child, HASH_ENTER, NULL);
		e->index = parent->index;
	}
}

/* Is object o (a table) left out by the selection? */
static bool
selection_leaves_out(Selection *sel, PgcObject *objs, PgcObject *o)
{
	NodeEnt    *parent;

	if (sel->opts == NULL || (o->kind != 'R' && o->kind != 'E'))
		return false;
	parent = hash_search(sel->parents, &o->objid, HASH_FIND, NULL);
	if (parent)
		return objs[parent->index].left_out ||
			pgc_table_excluded(sel->opts, o->nspname, o->name, sel->hits);
	return !pgc_table_selected(sel->opts, o->nspname, o->name, sel->hits);
}

/* A pattern that matched nothing is probably a mistake: say so. */
static void
selection_report(Selection *sel)
{
	ListCell   *lc;
	int			k = 0;

	if (sel->opts == NULL)
		return;
	foreach(lc, sel->opts->tables)
		if (!sel->hits[k++])
			ereport(NOTICE,
					(errmsg("pgclone option \"tables\": pattern \"%s\" matches no table",
							(char *) lfirst(lc))));
	foreach(lc, sel->opts->exclude_tables)
		if (!sel->hits[k++])
			ereport(NOTICE,
					(errmsg("pgclone option \"exclude_tables\": pattern \"%s\" matches no table",
							(char *) lfirst(lc))));
}

void
pgc_depsort_read(PGconn *conn, PgcClonePlan *plan, const char *skip_kinds,
				 const PgcOptions *opts)
{
	Selection	sel;
	PgcRows    *nodes = pgc_read_nodes(conn, plan->schemas, plan->whole_database);
	PgcRows    *edges;
	HASHCTL		ctl;
	HTAB	   *h;
	PgcObject  *objs;
	PgcObject  *sorted;
	int			n = nodes->nrows;
	int		   *from,
			   *to,
			   *start,
			   *dependents;
	int			ne = 0;
	int			i,
				k;
	ReadyHeap	ready;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NodeKey);
	ctl.entrysize = sizeof(NodeEnt);
	ctl.hcxt = CurrentMemoryContext;
	h = hash_create("pgclone objects", Max(n, 16), &ctl,
					HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	objs = palloc0(sizeof(PgcObject) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		PgcObject  *o = &objs[i];
		NodeEnt    *e;
		bool		found;

		o->classid = text_oid(pgc_get(nodes, i, "classid"));
		o->oid = pgc_get(nodes, i, "objid");
		o->objid = text_oid(o->oid);
		o->kind = pgc_get(nodes, i, "kind")[0];
		o->nspname = pgc_get(nodes, i, "nspname");
		o->name = pgc_get(nodes, i, "name");
		o->sub = pgc_get(nodes, i, "sub")[0];
		o->rank = kind_rank(o->kind);
		o->refs = NULL;
		e = hash_search(h, &(NodeKey)
						{
							o->classid, o->objid
						}, HASH_ENTER, &found);
		e->index = i;
	}

	/* edges: count, then fill */
	selection_init(&sel, conn, plan->schemas, h, opts);
	edges = pgc_read_edges(conn, plan->schemas, plan->whole_database);
	from = palloc(sizeof(int) * Max(edges->nrows, 1));
	to = palloc(sizeof(int) * Max(edges->nrows, 1));
	{

		for (k = 0; k < edges->nrows; k++)
		{
			NodeKey		a = {text_oid(pgc_val(edges, k, 0)), text_oid(pgc_val(edges, k, 1))};
			NodeKey		b = {text_oid(pgc_val(edges, k, 2)), text_oid(pgc_val(edges, k, 3))};
			NodeEnt    *ea = hash_search(h, &a, HASH_FIND, NULL);
			NodeEnt    *eb = hash_search(h, &b, HASH_FIND, NULL);

			if (ea == NULL || eb == NULL || ea->index == eb->index)
				continue;		/* outside the schemas: must exist already */
			from[ne] = ea->index;
			to[ne] = eb->index;
			objs[ea->index].nrefs++;
			ne++;
		}
		for (i = 0; i < n; i++)
		{
			objs[i].refs = palloc(sizeof(int) * Max(objs[i].nrefs, 1));
			objs[i].npending = 0;
		}
		for (k = 0; k < ne; k++)
			objs[from[k]].refs[objs[from[k]].npending++] = to[k];
	}

	/* who depends on each object: ndeps[i] entries at dependents[start[i]] */
	start = palloc0(sizeof(int) * (n + 1));
	dependents = palloc(sizeof(int) * Max(ne, 1));
	for (k = 0; k < ne; k++)
		start[to[k] + 1]++;
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	{
		int		   *fill = palloc0(sizeof(int) * Max(n, 1));

		for (k = 0; k < ne; k++)
			dependents[start[to[k]] + fill[to[k]]++] = from[k];
	}

	/* Kahn: npending = refs not yet emitted; ready objects wait in a heap */
	sorted = palloc0(sizeof(PgcObject) * Max(n, 1));
	ready.items = palloc(sizeof(int) * Max(n, 1));
	ready.n = 0;
	ready.objs = objs;
	for (i = 0; i < n; i++)
		if (objs[i].npending == 0)
			heap_push(&ready, i);
	for (k = 0; k < n; k++)
	{
		int			best = -1;
		int			j;

		while (ready.n > 0 && best < 0)
		{
			best = heap_pop(&ready);
			if (objs[best].done)
				best = -1;		/* already emitted to break a cycle */
		}
		if (best < 0)
		{
			/* a cycle: emit its lowest-ranked member and carry on */
			for (i = 0; i < n; i++)
				if (!objs[i].done && (best < 0 || before(&objs[i], &objs[best])))
					best = i;
			ereport(DEBUG1,
					(errmsg("pgclone: dependency cycle broken at %s",
							pgc_qname(objs[best].nspname, objs[best].name))));
		}
		objs[best].done = true;
		for (j = start[best]; j < start[best + 1]; j++)
			if (--objs[dependents[j]].npending == 0 && !objs[dependents[j]].done)
				heap_push(&ready, dependents[j]);
		/* left out, or built on something left out */
		objs[best].skip = strchr(skip_kinds, objs[best].kind) != NULL ||
			selection_leaves_out(&sel, objs, &objs[best]);
		for (j = 0; j < objs[best].nrefs && !objs[best].skip; j++)
			if (objs[objs[best].refs[j]].skip)
			{
				PgcObject  *r = &objs[objs[best].refs[j]];

				objs[best].skip = true;
				ereport(NOTICE,
						(errmsg("skipping %s %s: it depends on %s %s, which is not cloned",
								kind_noun(&objs[best]),
								pgc_qname(objs[best].nspname, objs[best].name),
								kind_noun(r), pgc_qname(r->nspname, r->name))));
			}
		objs[best].left_out = objs[best].skip;
		sorted[k] = objs[best];
		sorted[k].refs = NULL;
		sorted[k].nrefs = 0;
	}
	selection_report(&sel);
	plan->objects = sorted;
	plan->nobjects = n;
	hash_destroy(h);
}
