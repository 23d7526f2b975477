/*
 * subset.c — subset clones that keep every foreign key.
 *
 * Nodes are the clone's tables (a partitioned table with all its partitions
 * is one node), edges its foreign keys among them, read in one source query.
 * A hard edge filters or pulls rows; a "soft" edge (ON DELETE SET NULL on
 * nullable columns) only nulls references to rows the subset leaves out, as
 * deleting those rows would.
 *
 * The kept rows K of each table, in two stages (README.md, "Subset clones"):
 *
 *   D (down):  D(t) = filter(t) AND, for each hard FK t -> p that restricts
 *              (p restricted, and p outside t's cycle, or t a secondary member
 *              of a cycle and p a primary one): FK NULL or referenced row in
 *              D(p).  A table without filter and without restricting FK keeps
 *              every row.
 *   up:        K = the smallest superset of D closed under hard FKs: every row
 *              a kept row references is kept.  Only cycles (and what lies
 *              above them) can need it; one recursive CTE computes it, its
 *              size bounded by pgclone.subset_closure_limit.
 *
 * The closure only ever adds rows to referenced tables, so the referencing
 * side never grows because of it and the two stages need no fixpoint between
 * them.  Everything is evaluated on the source inside each table's COPY, in
 * the clone's one snapshot: the filters must be deterministic (now() is;
 * random() is not).
 */
#include "plan/subset_int.h"
#include "plan/plan.h"

#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/regproc.h"
#include "miscadmin.h"

#include <limits.h>

static int	pgc_subset_closure_limit = 1000000;

void
pgc_init_subset(void)
{
	DefineCustomIntVariable("pgclone.subset_closure_limit",
							"Rows the closure of foreign-key cycles may hold in a subset clone.",
							"A subset whose cycles (self-references, mutually referencing "
							"tables) need more rows than this to keep every foreign key is an "
							"error.  0 means no limit.",
							&pgc_subset_closure_limit, 1000000, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * The tables of the schemas (T rows: each one's partition root as its node)
 * and, one row per column, the foreign keys among them (F rows) declared on
 * the tables themselves (conparentid = 0: a partition's copy of its parent's
 * key is the parent's).
 */
#define GRAPH_SQL \
	"WITH tabs AS (SELECT c.oid, coalesce(pg_catalog.pg_partition_root(c.oid)::oid, c.oid) AS root" \
	"   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace" \
	"   WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[]))," \
	" ops AS (SELECT o.oid, 'OPERATOR(' || pg_catalog.quote_ident(n.nspname) || '.' || o.oprname || ')' AS op" \
	"   FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace)" \
	" SELECT 'T' AS kind, t.oid::text AS oid, t.root::text AS root, r.relkind::text AS relkind," \
	"  rn.nspname, r.relname, NULL::oid AS conoid, NULL::text AS conname, NULL::text AS child," \
	"  NULL::text AS parent, NULL::int AS pos, NULL::text AS fkcol, NULL::text AS refcol," \
	"  NULL::text AS fktype, NULL::text AS reftype, NULL::text AS pfop, NULL::text AS ppop," \
	"  NULL::text AS ffop, NULL::bool AS soft, NULL::bool AS fknull" \
	" FROM tabs t JOIN pg_catalog.pg_class r ON r.oid = t.root" \
	" JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace" \
	" UNION ALL" \
	" SELECT 'F', NULL, NULL, NULL, NULL, NULL, k.oid, k.conname, ct.root::text, pt.root::text," \
	"  u.i::int, fa.attname::text, pa.attname::text, pg_catalog.format_type(fa.atttypid, fa.atttypmod)," \
	"  pg_catalog.format_type(pa.atttypid, pa.atttypmod)," \
	"  (SELECT op FROM ops WHERE ops.oid = u.pf), (SELECT op FROM ops WHERE ops.oid = u.pp)," \
	"  (SELECT op FROM ops WHERE ops.oid = u.ff)," \
	"  k.confdeltype = 'n' AND %s AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a" \
	"    WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey) AND a.attnotnull)," \
	"  NOT fa.attnotnull" \
	" FROM pg_catalog.pg_constraint k JOIN tabs ct ON ct.oid = k.conrelid JOIN tabs pt ON pt.oid = k.confrelid" \
	" CROSS JOIN LATERAL unnest(k.conkey, k.confkey, k.conpfeqop, k.conppeqop, k.conffeqop)" \
	"   WITH ORDINALITY AS u(fk, pk, pf, pp, ff, i)" \
	" JOIN pg_catalog.pg_attribute fa ON fa.attrelid = k.conrelid AND fa.attnum = u.fk" \
	" JOIN pg_catalog.pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = u.pk" \
	" WHERE k.contype = 'f' AND k.conparentid = 0" \
	"%s ORDER BY 1 DESC, 7, 3, 11"

/* For sampling rules: each node's primary key columns, or all if it has none */
#define IDENT_SQL \
	" UNION ALL SELECT 'P', NULL, r.root::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL," \
	"  a.attnum::int, a.attname::text, NULL, NULL, NULL, NULL, NULL, NULL," \
	"  i.indrelid IS NOT NULL, NULL" /* in "soft": it is the primary key */ \
	" FROM (SELECT DISTINCT root FROM tabs) r JOIN pg_catalog.pg_attribute a" \
	"  ON a.attrelid = r.root AND a.attnum > 0 AND NOT a.attisdropped" \
	" LEFT JOIN pg_catalog.pg_index i ON i.indrelid = r.root AND i.indisprimary" \
	" WHERE i.indrelid IS NULL OR a.attnum = ANY (i.indkey::int2[])"

static int
node_of(PgcSubset *s, const char *oid)
{
	int			i;

	for (i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].oid, oid) == 0)
			return i;
	return -1;
}

/* A key column of node n, added once; returns its index (slot) */
int
pgc_subset_node_col(SubNode *n, const char *name, const char *type, const char *eqop)
{
	ListCell   *lc;
	int			i = 0;
	SubCol	   *c;

	foreach(lc, n->cols)
	{
		if (strcmp(((SubCol *) lfirst(lc))->name, name) == 0)
			return i;
		i++;
	}
	c = palloc(sizeof(SubCol));
	c->name = pstrdup(name);
	c->type = pstrdup(type);
	c->eqop = pstrdup(eqop);
	n->cols = lappend(n->cols, c);
	return i;
}

static int
col_index(SubNode *n, const char *name)
{
	ListCell   *lc;
	int			i = 0;

	foreach(lc, n->cols)
	{
		if (strcmp(((SubCol *) lfirst(lc))->name, name) == 0)
			return i;
		i++;
	}
	elog(ERROR, "pgclone: subset column %s not found", name);
	return -1;
}

/* The node of the table nsp.rel (nsp NULL: any schema, if one), else -1 */
int
pgc_subset_node_of(PgcSubset *s, const char *nsp, const char *rel)
{
	int			i,
				n = -1;

	for (i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].relname, rel) == 0 &&
			(nsp == NULL || strcmp(s->nodes[i].nspname, nsp) == 0))
		{
			if (n >= 0)
				return -2;
			n = i;
		}
	return n;
}

/* Does the subset option hold a sampling rule (an object value)? */
static bool
has_rules(Jsonb *subset)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;

	if (subset == NULL)
		return false;
	it = JsonbIteratorInit(&subset->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_VALUE && v.type == jbvBinary)
			return true;
	return false;
}

static void
read_graph(PGconn *conn, PgcSubset *s, List *schemas, bool idents)
{
	const char *params[1] = {pgc_names_literal(schemas)};
	/* ON DELETE SET NULL (cols) (15+) nulls only some columns: a hard edge */
	PgcRows    *r = pgc_query_params(conn,
									 psprintf(GRAPH_SQL, pgc_server_version(conn) >= 150000 ?
											  "k.confdelsetcols IS NULL" : "true",
											  idents ? IDENT_SQL : ""),
									 1, params);
	int			i,
				j;

	s->nodes = palloc0(sizeof(SubNode) * Max(1, r->nrows));
	s->edges = palloc0(sizeof(SubEdge) * Max(1, r->nrows));
	s->leaf_oid = palloc0(sizeof(char *) * Max(1, r->nrows));
	s->leaf_node = palloc0(sizeof(int) * Max(1, r->nrows));
	for (i = 0; i < r->nrows && pgc_get(r, i, "kind")[0] == 'T'; i++)
	{
		char	   *root = pgc_get(r, i, "root");
		int			n = node_of(s, root);

		if (n < 0)
		{
			SubNode    *nd = &s->nodes[s->nnodes];

			nd->oid = root;
			nd->nspname = pgc_get(r, i, "nspname");
			nd->relname = pgc_get(r, i, "relname");
			nd->relkind = pgc_get(r, i, "relkind")[0];
			n = s->nnodes++;
		}
		s->leaf_oid[s->nleaves] = pgc_get(r, i, "oid");
		s->leaf_node[s->nleaves++] = n;
	}
	for (; i < r->nrows && pgc_get(r, i, "kind")[0] == 'P'; i++)
	{
		int			n = node_of(s, pgc_get(r, i, "root"));

		if (n >= 0)
		{
			s->nodes[n].ident = lappend(s->nodes[n].ident, pgc_get(r, i, "fkcol"));
			s->nodes[n].has_pk = pgc_get_bool(r, i, "soft");
		}
	}
	for (; i < r->nrows; i = j)
	{
		SubEdge    *e = &s->edges[s->nedges];
		char	   *conoid = pgc_get(r, i, "conoid");
		int			k;

		for (j = i; j < r->nrows && strcmp(pgc_get(r, j, "conoid"), conoid) == 0; j++)
			;
		e->conname = pgc_get(r, i, "conname");
		e->child = node_of(s, pgc_get(r, i, "child"));
		e->parent = node_of(s, pgc_get(r, i, "parent"));
		if (e->child < 0 || e->parent < 0)
			continue;
		e->ncols = j - i;
		e->soft = pgc_get_bool(r, i, "soft");
		e->fk = palloc(sizeof(char *) * e->ncols);
		e->ref = palloc(sizeof(char *) * e->ncols);
		e->pfop = palloc(sizeof(char *) * e->ncols);
		e->ppop = palloc(sizeof(char *) * e->ncols);
		e->ffop = palloc(sizeof(char *) * e->ncols);
		e->fknull = palloc(sizeof(bool) * e->ncols);
		for (k = 0; k < e->ncols; k++)
		{
			e->fk[k] = pgc_get(r, i + k, "fkcol");
			e->ref[k] = pgc_get(r, i + k, "refcol");
			e->pfop[k] = pgc_get(r, i + k, "pfop");
			e->ppop[k] = pgc_get(r, i + k, "ppop");
			e->ffop[k] = pgc_get(r, i + k, "ffop");
			e->fknull[k] = pgc_get_bool(r, i + k, "fknull");
			(void) pgc_subset_node_col(&s->nodes[e->child], e->fk[k], pgc_get(r, i + k, "fktype"), e->ffop[k]);
			(void) pgc_subset_node_col(&s->nodes[e->parent], e->ref[k], pgc_get(r, i + k, "reftype"), e->ppop[k]);
		}
		s->nedges++;
	}
}

/* The user's filters, by table name ("schema.table", quoted as in SQL) */
static void
apply_filters(PgcSubset *s, Jsonb *subset)
{
	JsonbIterator *it = JsonbIteratorInit(&subset->root);
	JsonbIteratorToken tok;
	JsonbValue	v;
	char	   *key = NULL;
	int			n = -1;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			List	   *names;
			char	   *nsp = NULL,
					   *rel;
			int			i,
						l;

			key = pnstrdup(v.val.string.val, v.val.string.len);
			names = pgc_string_to_qualified_name_list(key);
			rel = strVal(llast(names));
			if (list_length(names) == 2)
				nsp = strVal(linitial(names));
			n = -1;
			for (i = 0; i < s->nleaves; i++)
			{
				SubNode    *nd = &s->nodes[s->leaf_node[i]];

				/* the table itself (a partition's filter goes to its root) */
				if (strcmp(s->leaf_oid[i], nd->oid) != 0)
					continue;
				if (strcmp(nd->relname, rel) != 0 || (nsp && strcmp(nd->nspname, nsp) != 0))
					continue;
				if (n >= 0 && n != s->leaf_node[i])
					ereport(ERROR,
							(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
							 errmsg("subset table name \"%s\" is ambiguous", key),
							 errhint("Qualify it with its schema: \"schema.table\".")));
				n = s->leaf_node[i];
			}
			l = list_length(names);
			if (n < 0 || l > 2)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_TABLE),
						 errmsg("subset names table \"%s\", which this clone does not copy", key),
						 errhint("Name a table of the cloned schemas, as \"schema.table\"; a partitioned table's filter goes to the partitioned table.")));
			if (s->nodes[n].filter)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("subset names table %s twice",
								pgc_qname(s->nodes[n].nspname, s->nodes[n].relname))));
		}
		else if (tok == WJB_VALUE && v.type == jbvString)
			s->nodes[n].filter = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			/* a sampling rule: its filter is built by sample.c */
			s->nodes[n].rule = JsonbValueToJsonb(&v);
			s->nodes[n].filter = "true";
		}
	}
}

/* Tarjan's strongly connected components over the hard edges */
static void
strongconnect(PgcSubset *s, int v)
{
	SubNode    *n = &s->nodes[v];
	int			i;

	check_stack_depth();
	n->index = n->low = ++s->counter;
	s->stack[s->sp++] = v;
	n->onstack = true;
	for (i = 0; i < s->nedges; i++)
	{
		SubEdge    *e = &s->edges[i];
		SubNode    *w;

		if (e->soft || e->child != v)
			continue;
		w = &s->nodes[e->parent];
		if (w->index == 0)
		{
			strongconnect(s, e->parent);
			n->low = Min(n->low, w->low);
		}
		else if (w->onstack)
			n->low = Min(n->low, w->index);
	}
	if (n->low == n->index)
	{
		int			w,
					size = 0;
		int			first = s->sp;

		do
		{
			w = s->stack[--s->sp];
			s->nodes[w].onstack = false;
			s->nodes[w].scc = s->nscc;
			size++;
		} while (w != v);
		for (i = s->sp; i < first; i++)
			s->nodes[s->stack[i]].cyclic = size > 1;
		s->nscc++;
	}
}

/* Does a hard edge e restrict its child (see the header comment)? */
static bool
restricts(PgcSubset *s, SubEdge *e)
{
	SubNode    *c = &s->nodes[e->child];
	SubNode    *p = &s->nodes[e->parent];

	if (e->soft || p->state == ST_ALL)
		return false;
	if (c->scc != p->scc)
		return true;
	return c->state == ST_SECONDARY && p->state == ST_PRIMARY;
}

static void
classify(PgcSubset *s)
{
	bool		changed = true;
	int			i;

	s->stack = palloc(sizeof(int) * Max(1, s->nnodes));
	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i].index == 0)
			strongconnect(s, i);
	for (i = 0; i < s->nedges; i++)
		if (!s->edges[i].soft && s->edges[i].child == s->edges[i].parent)
			s->nodes[s->edges[i].child].cyclic = true;

	/* states only grow: iterate to the fixpoint */
	while (changed)
	{
		changed = false;
		for (i = 0; i < s->nnodes; i++)
		{
			SubNode    *n = &s->nodes[i];
			int			j;

			if (n->state == ST_PRIMARY)
				continue;
			if (n->filter)
			{
				n->state = ST_PRIMARY;
				changed = true;
				continue;
			}
			for (j = 0; j < s->nedges; j++)
			{
				SubEdge    *e = &s->edges[j];

				if (e->child == i && !e->soft && s->nodes[e->parent].state != ST_ALL &&
					s->nodes[e->parent].scc != n->scc)
				{
					n->state = ST_PRIMARY;
					changed = true;
					break;
				}
			}
			if (n->state == ST_ALL)
				for (j = 0; j < s->nnodes; j++)
					if (s->nodes[j].scc == n->scc && s->nodes[j].state == ST_PRIMARY)
					{
						n->state = ST_SECONDARY;
						changed = true;
						break;
					}
		}
	}

	/* the region: restricted cyclic nodes and what they reach upward */
	for (i = 0; i < s->nnodes; i++)
		s->nodes[i].region = s->nodes[i].cyclic && s->nodes[i].state != ST_ALL;
	changed = true;
	while (changed)
	{
		changed = false;
		for (i = 0; i < s->nedges; i++)
		{
			SubEdge    *e = &s->edges[i];
			SubNode    *p = &s->nodes[e->parent];

			if (!e->soft && s->nodes[e->child].region && !p->region && p->state != ST_ALL)
				p->region = changed = true;
		}
	}
	for (i = 0; i < s->nnodes; i++)
		s->any_region |= s->nodes[i].region;
}

/* ---------- SQL generation ---------- */

static void emit_d(PgcSubset *s, int i);
static void emit_k(PgcSubset *s);

char *
pgc_subset_from(SubNode *n)
{
	return psprintf("%s%s", n->relkind == 'p' ? "" : "ONLY ", pgc_qname(n->nspname, n->relname));
}

static char *
col(const char *ref, const char *name)
{
	return psprintf("%s.%s", ref, quote_identifier(name));
}

/*
 * "ref.a IS NULL OR ref.b IS NULL OR " for the nullable referencing columns
 * of e: nothing when they are NOT NULL, so that the source plans a plain
 * EXISTS as a semi-join.
 */
static void
append_fk_null(StringInfo b, SubEdge *e, const char *ref)
{
	int			k;

	for (k = 0; k < e->ncols; k++)
		if (e->fknull[k])
			appendStringInfo(b, "%s IS NULL OR ", col(ref, e->fk[k]));
}

/* EXISTS: the row ref references through e is in D(parent) */
static void
append_in_d(PgcSubset *s, StringInfo b, SubEdge *e, const char *ref)
{
	int			k;

	emit_d(s, e->parent);
	appendStringInfo(b, "EXISTS (SELECT 1 FROM pgclone_subset_d%d x WHERE ", e->parent);
	for (k = 0; k < e->ncols; k++)
		appendStringInfo(b, "%sx.%s %s %s", k ? " AND " : "", quote_identifier(e->ref[k]),
						 e->pfop[k], col(ref, e->fk[k]));
	appendStringInfoChar(b, ')');
}

/* EXISTS: the row ref references through e is a closure row of the parent */
static void
append_in_k(PgcSubset *s, StringInfo b, SubEdge *e, const char *ref)
{
	SubNode    *p = &s->nodes[e->parent];
	int			k;

	emit_k(s);
	appendStringInfo(b, "EXISTS (SELECT 1 FROM pgclone_subset_k k WHERE k.tab = %d", e->parent);
	for (k = 0; k < e->ncols; k++)
		appendStringInfo(b, " AND k.s%d_%d %s %s", e->parent, col_index(p, e->ref[k]),
						 e->pfop[k], col(ref, e->fk[k]));
	appendStringInfoChar(b, ')');
}

/* D(i) as a predicate on the row ref of table i */
static char *
d_pred(PgcSubset *s, int i, const char *ref)
{
	SubNode    *n = &s->nodes[i];
	StringInfoData b;
	bool		any = false;
	bool		to_primary = false;
	int			j;

	initStringInfo(&b);
	if (n->filter)
	{
		appendStringInfo(&b, "(%s\n)", n->filter);
		any = true;
	}
	for (j = 0; j < s->nedges; j++)
	{
		SubEdge    *e = &s->edges[j];

		if (e->child != i || !restricts(s, e))
			continue;
		if (s->nodes[e->parent].scc == n->scc)
			to_primary = true;
		appendStringInfo(&b, "%s(", any ? " AND " : "");
		append_fk_null(&b, e, ref);
		append_in_d(s, &b, e, ref);
		appendStringInfoChar(&b, ')');
		any = true;
	}
	/* a secondary cycle member without a key into a primary one starts empty */
	if (n->state == ST_SECONDARY && !to_primary)
		return "false";
	return any ? b.data : "true";
}

/* K(i): the kept rows of table i, as a predicate on the row ref */
static char *
member(PgcSubset *s, int i, const char *ref)
{
	SubNode    *n = &s->nodes[i];
	StringInfoData b;
	List	   *seen = NIL;
	int			j;

	if (n->state == ST_ALL)
		return NULL;
	if (!n->region)
		return d_pred(s, i, ref);
	initStringInfo(&b);
	appendStringInfo(&b, "(%s)", d_pred(s, i, ref));
	emit_k(s);
	/* closure rows came in through a referenced key: one test per key */
	for (j = 0; j < s->nedges; j++)
	{
		SubEdge    *e = &s->edges[j];
		StringInfoData key;
		ListCell   *lc;
		bool		dup = false;
		int			k;

		if (e->parent != i || e->soft || !s->nodes[e->child].region)
			continue;
		initStringInfo(&key);
		for (k = 0; k < e->ncols; k++)
			appendStringInfo(&key, "%d,", col_index(n, e->ref[k]));
		foreach(lc, seen)
			dup |= strcmp(lfirst(lc), key.data) == 0;
		if (dup)
			continue;
		seen = lappend(seen, key.data);
		appendStringInfo(&b, " OR EXISTS (SELECT 1 FROM pgclone_subset_k k WHERE k.tab = %d", i);
		for (k = 0; k < e->ncols; k++)
			appendStringInfo(&b, " AND k.s%d_%d %s %s", i, col_index(n, e->ref[k]),
							 e->ppop[k], col(ref, e->ref[k]));
		appendStringInfoChar(&b, ')');
	}
	return b.data;
}

/* pgclone_subset_d<i>: the key columns of the rows in D(i) */
static void
emit_d(PgcSubset *s, int i)
{
	SubNode    *n = &s->nodes[i];
	StringInfoData b;
	ListCell   *lc;
	char	   *ref = pgc_qname(n->nspname, n->relname);
	char	   *pred;

	if (n->emitted)
		return;
	n->emitted = true;
	pred = d_pred(s, i, ref);	/* emits what it uses first */
	initStringInfo(&b);
	foreach(lc, n->cols)
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", col(ref, ((SubCol *) lfirst(lc))->name));
	appendStringInfo(&s->with, "%spgclone_subset_d%d AS (SELECT %s FROM %s WHERE %s)",
					 s->with.len ? ",\n " : "", i, b.data, pgc_subset_from(n), pred);
}

/* slot list of the closure CTE, with node i's columns taken from alias a */
static void
append_slots(PgcSubset *s, StringInfo b, int i, const char *a)
{
	int			m;

	appendStringInfo(b, "%d AS tab", i);
	for (m = 0; m < s->nnodes; m++)
	{
		ListCell   *lc;
		int			c = 0;

		if (!s->nodes[m].region)
			continue;
		foreach(lc, s->nodes[m].cols)
		{
			SubCol	   *sc = lfirst(lc);

			if (m == i)
				appendStringInfo(b, ", %s::%s AS s%d_%d", col(a, sc->name), sc->type, m, c);
			else
				appendStringInfo(b, ", NULL::%s AS s%d_%d", sc->type, m, c);
			c++;
		}
	}
}

/*
 * pgclone_subset_k: the closure.  Seeded with D of the restricted cycle
 * members, each step adds the rows that rows found so far reference; UNION
 * drops rows already found, so it ends on any data.
 */
static void
emit_k(PgcSubset *s)
{
	StringInfoData b;
	bool		first = true;
	int			i;

	if (s->k_emitted)
		return;
	s->k_emitted = true;
	initStringInfo(&b);
	for (i = 0; i < s->nnodes; i++)
	{
		if (!s->nodes[i].region || !s->nodes[i].cyclic)
			continue;
		emit_d(s, i);
		appendStringInfo(&b, "%sSELECT ", first ? "" : " UNION ALL ");
		append_slots(s, &b, i, "d");
		appendStringInfo(&b, " FROM pgclone_subset_d%d d", i);
		first = false;
	}
	appendStringInfoString(&b, "\n UNION SELECT n.* FROM pgclone_subset_k s CROSS JOIN LATERAL (");
	first = true;
	for (i = 0; i < s->nedges; i++)
	{
		SubEdge    *e = &s->edges[i];
		SubNode    *c = &s->nodes[e->child];
		int			k;

		if (e->soft || !c->region || !s->nodes[e->parent].region)
			continue;
		appendStringInfo(&b, "%sSELECT ", first ? "" : " UNION ALL ");
		append_slots(s, &b, e->parent, "x");
		appendStringInfo(&b, " FROM %s x WHERE s.tab = %d", pgc_subset_from(&s->nodes[e->parent]),
						 e->child);
		for (k = 0; k < e->ncols; k++)
			appendStringInfo(&b, " AND x.%s %s s.s%d_%d", quote_identifier(e->ref[k]),
							 e->pfop[k], e->child, col_index(c, e->fk[k]));
		first = false;
	}
	appendStringInfoString(&b, ") n");
	appendStringInfo(&s->with, "%spgclone_subset_k AS (%s)", s->with.len ? ",\n " : "", b.data);
}

void
pgc_subset_gen_reset(PgcSubset *s)
{
	int			i;

	for (i = 0; i < s->nnodes; i++)
		s->nodes[i].emitted = false;
	s->k_emitted = false;
	initStringInfo(&s->with);
}

static char *
with_clause(PgcSubset *s)
{
	return s->with.len ? psprintf("WITH RECURSIVE %s\n", s->with.data) : NULL;
}

/* The subset of one table (or partition) whose rows ref names */
PgcSubsetRel *
pgc_subset_rel_of(PgcSubset *s, int i, const char *ref)
{
	PgcSubsetRel *r = palloc0(sizeof(PgcSubsetRel));
	int			j,
				k;

	r->restricted = s->nodes[i].state != ST_ALL;
	r->where = member(s, i, ref);
	for (j = 0; j < s->nedges; j++)
	{
		SubEdge    *e = &s->edges[j];
		StringInfoData b;

		if (e->child != i || !e->soft || s->nodes[e->parent].state == ST_ALL)
			continue;
		/* ON DELETE SET NULL: null the reference when its row is not kept */
		initStringInfo(&b);
		append_fk_null(&b, e, ref);
		append_in_d(s, &b, e, ref);
		if (s->nodes[e->parent].region)
		{
			appendStringInfoString(&b, " OR ");
			append_in_k(s, &b, e, ref);
		}
		for (k = 0; k < e->ncols; k++)
		{
			r->null_cols = lappend(r->null_cols, e->fk[k]);
			r->null_conds = lappend(r->null_conds, b.data);
		}
	}
	r->with = with_clause(s);
	return r;
}

/* ---------- entry points ---------- */

/* The closure rows must fit the limit; counted by the source, LIMIT-bounded */
static void
check_closure(PGconn *conn, PgcSubset *s)
{
	PgcRows    *r;
	StringInfoData names;
	int64		total;
	int			i;

	if (!s->any_region)
		return;
	pgc_subset_gen_reset(s);
	emit_k(s);
	pgc_command(conn, "SET LOCAL jit = off");	/* as copy.c does for subsets */
	r = pgc_query(conn, psprintf("%sSELECT count(*) FROM (SELECT 1 FROM pgclone_subset_k%s) c",
								 with_clause(s),
								 pgc_subset_closure_limit > 0 ?
								 psprintf(" LIMIT %d", pgc_subset_closure_limit + 1) : ""));
	pgc_command(conn, "RESET jit");
	total = strtoi64(pgc_val(r, 0, 0), NULL, 10);
	if (pgc_subset_closure_limit == 0 || total <= pgc_subset_closure_limit)
		return;
	initStringInfo(&names);
	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i].region)
			appendStringInfo(&names, "%s%s", names.len ? ", " : "",
							 pgc_qname(s->nodes[i].nspname, s->nodes[i].relname));
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("subset: the foreign-key cycles cannot be closed within %d rows",
					pgc_subset_closure_limit),
			 errdetail("Keeping every row that the kept rows of %s reference needs more rows.",
					   names.data),
			 errhint("Narrow the filters of those tables, or raise pgclone.subset_closure_limit (0: no limit).")));
}

/*
 * Parse-analyse every table's subset query on the source (EXPLAIN plans but
 * runs nothing): a filter naming a missing column or function fails here,
 * before anything is created.
 */
static void
check_queries(PGconn *conn, PgcSubset *s)
{
	StringInfoData q;
	int			i;

	pgc_subset_gen_reset(s);
	initStringInfo(&q);
	for (i = 0; i < s->nnodes; i++)
	{
		SubNode    *n = &s->nodes[i];
		PgcSubsetRel *r;

		if (n->state == ST_ALL)
			continue;
		r = pgc_subset_rel_of(s, i, pgc_qname(n->nspname, n->relname));
		appendStringInfo(&q, "%sSELECT 1 FROM %s WHERE %s", q.len ? " UNION ALL " : "",
						 pgc_subset_from(n), r->where);
	}
	if (q.len == 0)
		return;
	(void) pgc_query(conn, psprintf("EXPLAIN (COSTS OFF) %s%s", with_clause(s) ? with_clause(s) : "",
							   q.data));
}

PgcSubset *
pgc_subset_build(PGconn *conn, List *schemas, const PgcOptions *opts, bool check)
{
	PgcSubset  *s;

	if (opts->subset == NULL && opts->virtual_fks == NULL)
		return NULL;
	s = palloc0(sizeof(PgcSubset));
	read_graph(conn, s, schemas, has_rules(opts->subset));
	pgc_vfk_add(conn, s, opts);
	if (opts->subset == NULL)
		return NULL;			/* virtual keys only: checked, nothing to plan */
	apply_filters(s, opts->subset);
	pgc_sample_apply(s, opts);
	classify(s);
	if (check)
	{
		check_queries(conn, s);
		check_closure(conn, s);
	}
	return s;
}

void
pgc_subset_assign(PgcSubset *s, PgcPlanTable *pt)
{
	int			i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nleaves; i++)
		if (strcmp(s->leaf_oid[i], pt->table->oid) == 0)
		{
			pgc_subset_gen_reset(s);
			pt->opts->subset_rel = pgc_subset_rel_of(s, s->leaf_node[i],
											  pgc_qname(pt->table->nspname, pt->table->relname));
			return;
		}
}

void
pgc_subset_report(PgcSubset *s, List *tables, List *rows)
{
	StringInfoData b;
	ListCell   *lt,
			   *lr;
	uint64		total = 0;
	int			n = 0;

	if (s == NULL)
		return;
	initStringInfo(&b);
	forboth(lt, tables, lr, rows)
	{
		PgcPlanTable *pt = lfirst(lt);
		uint64		k = *(uint64 *) lfirst(lr);

		total += k;
		n++;
		appendStringInfo(&b, "%s%s: " UINT64_FORMAT "%s", b.len ? ", " : "",
						 pgc_qname(pt->target.nspname, pt->target.relname), k,
						 pt->opts->subset_rel && pt->opts->subset_rel->restricted ? "" : " (all)");
	}
	ereport(NOTICE,
			(errmsg("subset kept " UINT64_FORMAT " rows in %d tables", total, n),
			 errdetail_internal("%s", b.data)));
}
