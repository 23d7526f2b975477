/*
 * depsort.c — the objects of some schemas, in the order pg_depend demands.
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
#include "clone/schema.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#define OBJ_CTE \
	"WITH nsp AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1::text[]))," \
	" ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')," \
	" owned AS (SELECT d.objid AS seq, d.refobjid AS tbl FROM pg_depend d JOIN pg_class s ON s.oid = d.objid" \
	"   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass" \
	"     AND s.relkind = 'S' AND d.deptype IN ('a', 'i'))," \
	" nodes AS (" \
	"  SELECT 'pg_class'::regclass::oid AS classid, c.oid AS objid," \
	"   CASE WHEN c.relkind IN ('r', 'p') THEN 'R' WHEN c.relkind = 'v' THEN 'V'" \
	"        WHEN c.relkind = 'm' THEN 'M' WHEN c.relkind = 'f' THEN 'E' ELSE 'S' END AS kind," \
	"   n.nspname, c.relname::text AS name, c.relkind::text AS sub" \
	"  FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace" \
	"  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')" \
	"    AND NOT EXISTS (SELECT 1 FROM owned WHERE owned.seq = c.oid)" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_type'::regclass::oid, t.oid, 'T', n.nspname, t.typname::text, t.typtype::text" \
	"  FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace" \
	"  WHERE (t.typtype IN ('e', 'd', 'r')" \
	"         OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_collation'::regclass::oid, co.oid, 'C', n.nspname, co.collname::text, co.collprovider::text" \
	"  FROM pg_collation co JOIN nsp n ON n.oid = co.collnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_collation'::regclass AND ext.objid = co.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_conversion'::regclass::oid, cv.oid, 'N', n.nspname, cv.conname::text, ''" \
	"  FROM pg_conversion cv JOIN nsp n ON n.oid = cv.connamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_conversion'::regclass AND ext.objid = cv.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_template'::regclass::oid, t.oid, 'W', n.nspname, t.tmplname::text, ''" \
	"  FROM pg_ts_template t JOIN nsp n ON n.oid = t.tmplnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_template'::regclass AND ext.objid = t.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_parser'::regclass::oid, p.oid, 'P', n.nspname, p.prsname::text, ''" \
	"  FROM pg_ts_parser p JOIN nsp n ON n.oid = p.prsnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_parser'::regclass AND ext.objid = p.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_dict'::regclass::oid, d.oid, 'D', n.nspname, d.dictname::text, ''" \
	"  FROM pg_ts_dict d JOIN nsp n ON n.oid = d.dictnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_dict'::regclass AND ext.objid = d.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_ts_config'::regclass::oid, c.oid, 'X', n.nspname, c.cfgname::text, ''" \
	"  FROM pg_ts_config c JOIN nsp n ON n.oid = c.cfgnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_config'::regclass AND ext.objid = c.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_operator'::regclass::oid, o.oid, 'O', n.nspname, o.oprname::text, o.oprkind::text" \
	"  FROM pg_operator o JOIN nsp n ON n.oid = o.oprnamespace WHERE o.oprcode <> 0" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_operator'::regclass AND ext.objid = o.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_cast'::regclass::oid, c.oid, 'K', ''," \
	"   format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL), c.castmethod::text" \
	"  FROM pg_cast c WHERE $2 AND c.oid >= 16384" \
	"    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_cast'::regclass AND ext.objid = c.oid)" \
	"    AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_cast'::regclass" \
	"                    AND i.objid = c.oid AND i.deptype = 'i')" \
	"  UNION ALL" \
	"  SELECT 'pg_opfamily'::regclass::oid, f.oid, 'Y', n.nspname, f.opfname::text, ''" \
	"  FROM pg_opfamily f JOIN nsp n ON n.oid = f.opfnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_opfamily'::regclass AND ext.objid = f.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_opclass'::regclass::oid, c.oid, 'Z', n.nspname, c.opcname::text, ''" \
	"  FROM pg_opclass c JOIN nsp n ON n.oid = c.opcnamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_opclass'::regclass AND ext.objid = c.oid)" \
	"  UNION ALL" \
	"  SELECT 'pg_proc'::regclass::oid, p.oid, CASE WHEN p.prokind = 'a' THEN 'A' ELSE 'F' END," \
	"   n.nspname, p.proname::text, p.prokind::text" \
	"  FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace" \
	"  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)" \
	"    AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass" \
	"                    AND i.objid = p.oid AND i.deptype = 'i'))," \
	" map AS (" \
	"  SELECT classid, objid, classid AS nc, objid AS no FROM nodes" \
	"  UNION ALL SELECT 'pg_class'::regclass, seq, 'pg_class'::regclass, tbl FROM owned" \
	"  UNION ALL SELECT 'pg_type'::regclass, c.reltype, 'pg_class'::regclass, c.oid" \
	"   FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')" \
	"  UNION ALL SELECT 'pg_class'::regclass, c.oid, 'pg_type'::regclass, c.reltype" \
	"   FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace WHERE c.relkind = 'c'" \
	"  UNION ALL SELECT 'pg_type'::regclass, t.typarray," \
	"   CASE WHEN r.relkind IN ('r', 'p', 'v', 'm', 'f') THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END," \
	"   CASE WHEN r.relkind IN ('r', 'p', 'v', 'm', 'f') THEN r.oid ELSE t.oid END" \
	"   FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace LEFT JOIN pg_class r ON r.oid = t.typrelid" \
	"   WHERE t.typarray <> 0" \
	"  UNION ALL SELECT 'pg_type'::regclass, rg.rngmultitypid, 'pg_type'::regclass, rg.rngtypid" \
	"   FROM pg_range rg JOIN pg_type t ON t.oid = rg.rngtypid JOIN nsp n ON n.oid = t.typnamespace" \
	"  UNION ALL SELECT 'pg_attrdef'::regclass, ad.oid, 'pg_class'::regclass, ad.adrelid" \
	"   FROM pg_attrdef ad JOIN pg_class c ON c.oid = ad.adrelid JOIN nsp n ON n.oid = c.relnamespace" \
	"  UNION ALL SELECT 'pg_rewrite'::regclass, rw.oid, 'pg_class'::regclass, rw.ev_class" \
	"   FROM pg_rewrite rw JOIN pg_class c ON c.oid = rw.ev_class JOIN nsp n ON n.oid = c.relnamespace" \
	"   WHERE rw.rulename = '_RETURN'" \
	"  UNION ALL SELECT d.classid, d.objid, d.refclassid, d.refobjid FROM pg_depend d" \
	"   WHERE d.classid IN ('pg_amop'::regclass, 'pg_amproc'::regclass) AND d.deptype IN ('a', 'i')" \
	"     AND d.refclassid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)" \
	"  UNION ALL SELECT 'pg_constraint'::regclass, k.oid, 'pg_type'::regclass, k.contypid" \
	"   FROM pg_constraint k JOIN pg_type t ON t.oid = k.contypid JOIN nsp n ON n.oid = t.typnamespace" \
	"   WHERE k.contypid <> 0)"

#define NODES_SQL OBJ_CTE \
	" SELECT classid, objid, kind, nspname, name, sub FROM nodes ORDER BY nspname, kind, name, objid"

#define EDGES_SQL OBJ_CTE \
	" SELECT DISTINCT a.nc, a.no, b.nc AS rc, b.no AS ro FROM pg_depend d" \
	" JOIN map a ON a.classid = d.classid AND a.objid = d.objid" \
	" JOIN map b ON b.classid = d.refclassid AND b.objid = d.refobjid" \
	" WHERE d.deptype IN ('n', 'a') AND (a.nc, a.no) <> (b.nc, b.no)"

/* Partitions of the schemas and their parents: a partition follows its parent. */
#define PARTITIONS_SQL \
	"SELECT i.inhrelid, i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid" \
	" JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE c.relispartition AND n.nspname = ANY($1::text[])"

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

static Oid
text_oid(const char *s)
{
	return (Oid) strtoul(s, NULL, 10);
}

/* A text[] literal of names: every element double-quoted and escaped. */
char *
pgc_names_literal(List *names)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	foreach(lc, names)
	{
		const char *p;

		if (lc != list_head(names))
			appendStringInfoChar(&b, ',');
		appendStringInfoChar(&b, '"');
		for (p = lfirst(lc); *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&b, '\\');
			appendStringInfoChar(&b, *p);
		}
		appendStringInfoChar(&b, '"');
	}
	appendStringInfoChar(&b, '}');
	return b.data;
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
selection_init(Selection *sel, PGconn *conn, const char *schemas, HTAB *nodes,
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
	r = pgc_query_params(conn, PARTITIONS_SQL, 1, &schemas);
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
	const char *params[2] = {pgc_names_literal(plan->schemas),
	plan->whole_database ? "true" : "false"};
	PgcRows    *nodes = pgc_query_params(conn, NODES_SQL, 2, params);
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

	selection_init(&sel, conn, params[0], h, opts);

	/* edges: count, then fill */
	edges = pgc_query_params(conn, EDGES_SQL, 2, params);
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

	/* Kahn: npending = refs not yet emitted */
	sorted = palloc0(sizeof(PgcObject) * Max(n, 1));
	for (k = 0; k < n; k++)
	{
		int			best = -1;
		int			j;

		for (i = 0; i < n; i++)
			if (!objs[i].done && objs[i].npending == 0 &&
				(best < 0 || before(&objs[i], &objs[best])))
				best = i;
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
			objs[dependents[j]].npending--;
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
