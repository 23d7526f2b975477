/*
 * vfk.c — virtual foreign keys (issue 27).
 *
 *   "virtual_foreign_keys": [{"from": "shop.orders(customer_id)",
 *                             "to": "shop.customers(id)"}, ...]
 *
 * Each side is a table name as in SQL (quoted identifiers allowed; the schema
 * may be left out if the name is unique among the cloned tables) and its
 * columns in parentheses.  Options parsing checks the shape and the names'
 * syntax; pgc_vfk_add() checks them on the source in one query (tables and
 * columns exist, the column types can be compared with =, the "to" columns
 * hold a unique constraint or index: else 42P01, 42703, 42804, 42830) and adds
 * each as a hard edge of the subset graph.  Nothing is created on the target.
 */
#include "plan/subset_int.h"
#include "plan/vfk.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/varlena.h"

/* ---------- parsing ---------- */

static void
bad_vfk(int n, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("virtual foreign key %d: %s", n, msg),
			 errhint("Write {\"from\": \"schema.table(column, ...)\", \"to\": \"schema.table(column, ...)\"}.")));
}

/* SplitIdentifierString on a copy; ERROR 42602 naming what if malformed */
static List *
split_names(int n, char *text, char sep, const char *what)
{
	List	   *l = NIL;

	if (!SplitIdentifierString(pstrdup(text), sep, &l) || l == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("virtual foreign key %d: invalid %s \"%s\"", n, what, text)));
	return l;
}

/* "schema.table(col, ...)" */
static void
parse_side(int n, const char *text, char **nsp, char **rel, List **cols)
{
	char	   *s = pstrdup(text);
	char	   *open = NULL;
	char	   *end;
	bool		quoted = false;
	List	   *names;
	char	   *p;

	for (p = s; *p; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '(' && !quoted)
		{
			open = p;
			break;
		}
	}
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1]))
		end--;
	if (open == NULL || end <= open + 1 || end[-1] != ')')
		bad_vfk(n, psprintf("\"%s\" must be a table name and its columns in parentheses", text));
	*open = '\0';
	end[-1] = '\0';
	names = split_names(n, s, '.', "table name");
	if (list_length(names) > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("virtual foreign key %d: invalid table name \"%s\"", n, s)));
	*nsp = list_length(names) == 2 ? linitial(names) : NULL;
	*rel = llast(names);
	*cols = split_names(n, open + 1, ',', "column list");
}

/* One element of the array: {"from": ..., "to": ...} */
static PgcVirtualFk *
parse_vfk(int n, JsonbValue *v)
{
	PgcVirtualFk *k = palloc0(sizeof(PgcVirtualFk));
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	e;
	char	   *key = NULL;
	bool		from = false,
				to = false;

	if (v->type != jbvBinary || JsonContainerIsArray(v->val.binary.data))
		bad_vfk(n, "each element must be an object");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(e.val.string.val, e.val.string.len);
			if (strcmp(key, "from") != 0 && strcmp(key, "to") != 0)
				bad_vfk(n, psprintf("unknown key \"%s\"", key));
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (e.type != jbvString)
			bad_vfk(n, psprintf("\"%s\" must be a string", key));
		if (key[0] == 'f')
		{
			parse_side(n, pnstrdup(e.val.string.val, e.val.string.len),
					   &k->from_nsp, &k->from_rel, &k->from_cols);
			from = true;
		}
		else
		{
			parse_side(n, pnstrdup(e.val.string.val, e.val.string.len),
					   &k->to_nsp, &k->to_rel, &k->to_cols);
			to = true;
		}
	}
	if (!from || !to)
		bad_vfk(n, "it needs \"from\" and \"to\"");
	if (list_length(k->from_cols) != list_length(k->to_cols))
		bad_vfk(n, "\"from\" and \"to\" must list as many columns");
	return k;
}

static List *
parse_all(JsonbContainer *arr)
{
	JsonbIterator *it = JsonbIteratorInit(arr);
	JsonbIteratorToken tok;
	JsonbValue	e;
	List	   *l = NIL;

	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
			l = lappend(l, parse_vfk(list_length(l) + 1, &e));
	return l;
}

Jsonb *
pgc_vfk_check_option(JsonbValue *v)
{
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone option \"virtual_foreign_keys\" must be an array"),
				 errhint("[{\"from\": \"shop.orders(customer_id)\", \"to\": \"shop.customers(id)\"}]")));
	if (parse_all(v->val.binary.data) == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone option \"virtual_foreign_keys\" must list at least one key")));
	return JsonbValueToJsonb(v);
}

List *
pgc_vfk_list(const PgcOptions *opts)
{
	return opts->virtual_fks ? parse_all(&opts->virtual_fks->root) : NIL;
}

/* ---------- checking on the source, and the edges ---------- */

#define OP_SQL(l, r) \
	"(SELECT o.op FROM ops o WHERE (o.oprleft = " l " OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast k" \
	"   WHERE k.castsource = " l " AND k.casttarget = o.oprleft AND k.castmethod = 'b'))" \
	"  AND (o.oprright = " r " OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast k" \
	"   WHERE k.castsource = " r " AND k.casttarget = o.oprright AND k.castmethod = 'b'))" \
	"  ORDER BY o.oprleft = " l " DESC, o.oprright = " r " DESC, o.oid LIMIT 1)"

#define BASE_SQL(a) \
	"(SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END" \
	" FROM pg_catalog.pg_type t WHERE t.oid = " a ".atttypid)"

/*
 * One row per column pair of every key: the columns (NULL if missing), their
 * types, the = operators to use (referenced = referencing, and each side with
 * itself; domains by their base type, binary-coercible types accepted), and
 * whether a unique index's key columns are among the "to" columns.
 */
static const char *vfk_sql =
"WITH u AS (SELECT * FROM unnest($1::text[]::oid[], $2::text[], $3::text[]::oid[], $4::text[],"
"   $5::text[]::int[]) WITH ORDINALITY AS u(ft, fc, pt, pc, v, i)),"
" c AS (SELECT u.v, u.i, u.pt, fa.attnum AS fn, pa.attnum AS pn, fa.atttypid AS fty, fa.atttypmod AS ftm,"
"   pa.atttypid AS pty, pa.atttypmod AS ptm, fa.attnotnull AS fnn,"
"   " BASE_SQL("fa") " AS fb, " BASE_SQL("pa") " AS pb, u.fc, u.pc"
"   FROM u LEFT JOIN pg_catalog.pg_attribute fa ON fa.attrelid = u.ft AND fa.attname = u.fc"
"     AND fa.attnum > 0 AND NOT fa.attisdropped"
"   LEFT JOIN pg_catalog.pg_attribute pa ON pa.attrelid = u.pt AND pa.attname = u.pc"
"     AND pa.attnum > 0 AND NOT pa.attisdropped),"
" g AS (SELECT v, min(pt) AS pt, pg_catalog.array_agg(pn) AS cols FROM c GROUP BY v),"
" ops AS (SELECT o.oid, o.oprleft, o.oprright,"
"   'OPERATOR(' || pg_catalog.quote_ident(n.nspname) || '.=)' AS op"
"   FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace"
"   WHERE o.oprname = '=' AND o.oprkind = 'b' AND o.oprresult = 'pg_catalog.bool'::pg_catalog.regtype)"
" SELECT c.v, c.fn IS NOT NULL AS fkok, c.pn IS NOT NULL AS refok,"
"  pg_catalog.format_type(c.fty, c.ftm) AS fktype, pg_catalog.format_type(c.pty, c.ptm) AS reftype,"
"  NOT coalesce(c.fnn, false) AS fknull, c.fb = c.pb AS same,"
"  " OP_SQL("c.pb", "c.fb") " AS pfop, " OP_SQL("c.pb", "c.pb") " AS ppop,"
"  " OP_SQL("c.fb", "c.fb") " AS ffop,"
"  EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = g.pt AND x.indisunique"
"    AND x.indisvalid AND x.indpred IS NULL AND x.indexprs IS NULL"
"    AND (SELECT pg_catalog.array_agg(k.a) FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(a, o)"
"         WHERE k.o <= x.indnkeyatts) OPERATOR(pg_catalog.<@) g.cols) AS uniq"
" FROM c JOIN g USING (v) ORDER BY c.v, c.i";

/* The node a side names, or ERROR 42P01 */
static int
vfk_node(PgcSubset *s, int n, const char *nsp, const char *rel)
{
	int			i = pgc_subset_node_of(s, nsp, rel);
	char	   *name = nsp ? pgc_qname(nsp, rel) : pstrdup(quote_identifier(rel));

	if (i == -2)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("virtual foreign key %d: table name %s is ambiguous", n, name),
				 errhint("Qualify it with its schema in \"virtual_foreign_keys\".")));
	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("virtual foreign key %d: table %s is not a table this clone copies", n, name),
				 errhint("Name a table of the cloned schemas in \"virtual_foreign_keys\"; a partition's key goes on its partitioned table.")));
	return i;
}

/* Check row j (pair k of key n) of the source's answer; ERROR if wrong */
static void
check_pair(PgcRows *r, int j, int n, SubNode *from, SubNode *to, const char *fc, const char *pc)
{
	if (!pgc_get_bool(r, j, "fkok") || !pgc_get_bool(r, j, "refok"))
	{
		bool		f = !pgc_get_bool(r, j, "fkok");

		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("virtual foreign key %d: column \"%s\" of table %s does not exist", n,
						f ? fc : pc, f ? pgc_qname(from->nspname, from->relname) :
						pgc_qname(to->nspname, to->relname))));
	}
	if (pgc_get(r, j, "pfop") == NULL && !pgc_get_bool(r, j, "same"))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("virtual foreign key %d: column \"%s\" (%s) cannot be compared with \"%s\" (%s)",
						n, fc, pgc_get(r, j, "fktype"), pc, pgc_get(r, j, "reftype")),
				 errdetail("No = operator takes these two types.")));
	if (!pgc_get_bool(r, j, "uniq"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FOREIGN_KEY),
				 errmsg("virtual foreign key %d: the referenced columns of %s are not unique", n,
						pgc_qname(to->nspname, to->relname)),
				 errdetail("A foreign key must reference columns with a primary key, unique constraint or unique index (without WHERE or expressions)."),
				 errhint("Point \"to\" at a key of the referenced table.")));
}

static char *
op_or_default(PgcRows *r, int j, const char *col)
{
	char	   *op = pgc_get(r, j, col);

	return op ? op : "OPERATOR(pg_catalog.=)";
}

void
pgc_vfk_add(PGconn *conn, PgcSubset *s, const PgcOptions *opts)
{
	List	   *keys = pgc_vfk_list(opts);
	List	   *ft = NIL,
			   *fc = NIL,
			   *pt = NIL,
			   *pc = NIL,
			   *kv = NIL;
	int		   *from,
			   *to;
	const char *params[5];
	PgcRows    *r;
	ListCell   *lc;
	int			j = 0;

	if (keys == NIL)
		return;
	from = palloc(sizeof(int) * list_length(keys));
	to = palloc(sizeof(int) * list_length(keys));
	foreach(lc, keys)
	{
		PgcVirtualFk *k = lfirst(lc);
		int			n = foreach_current_index(lc);
		ListCell   *a,
				   *b;

		from[n] = vfk_node(s, n + 1, k->from_nsp, k->from_rel);
		to[n] = vfk_node(s, n + 1, k->to_nsp, k->to_rel);
		forboth(a, k->from_cols, b, k->to_cols)
		{
			ft = lappend(ft, s->nodes[from[n]].oid);
			fc = lappend(fc, lfirst(a));
			pt = lappend(pt, s->nodes[to[n]].oid);
			pc = lappend(pc, lfirst(b));
			kv = lappend(kv, psprintf("%d", n));
		}
	}
	params[0] = pgc_names_literal(ft);
	params[1] = pgc_names_literal(fc);
	params[2] = pgc_names_literal(pt);
	params[3] = pgc_names_literal(pc);
	params[4] = pgc_names_literal(kv);
	r = pgc_query_params(conn, vfk_sql, 5, params);

	s->edges = repalloc(s->edges, sizeof(SubEdge) * (s->nedges + list_length(keys)));
	foreach(lc, keys)
	{
		PgcVirtualFk *k = lfirst(lc);
		int			n = foreach_current_index(lc);
		SubEdge    *e = &s->edges[s->nedges++];
		int			i;

		memset(e, 0, sizeof(SubEdge));
		e->conname = psprintf("virtual foreign key %d", n + 1);
		e->child = from[n];
		e->parent = to[n];
		e->ncols = list_length(k->from_cols);
		e->fk = palloc(sizeof(char *) * e->ncols);
		e->ref = palloc(sizeof(char *) * e->ncols);
		e->pfop = palloc(sizeof(char *) * e->ncols);
		e->ppop = palloc(sizeof(char *) * e->ncols);
		e->ffop = palloc(sizeof(char *) * e->ncols);
		e->fknull = palloc(sizeof(bool) * e->ncols);
		/* the answer's rows of key n, in key order: check all, then use */
		for (i = 0; i < e->ncols; i++, j++)
		{
			e->fk[i] = list_nth(k->from_cols, i);
			e->ref[i] = list_nth(k->to_cols, i);
			if (j >= r->nrows || atoi(pgc_get(r, j, "v")) != n)
				elog(ERROR, "pgclone: virtual foreign key %d: source answer out of step", n + 1);
			check_pair(r, j, n + 1, &s->nodes[from[n]], &s->nodes[to[n]], e->fk[i], e->ref[i]);
		}
		j -= e->ncols;
		for (i = 0; i < e->ncols; i++, j++)
		{
			e->pfop[i] = op_or_default(r, j, "pfop");
			e->ppop[i] = op_or_default(r, j, "ppop");
			e->ffop[i] = op_or_default(r, j, "ffop");
			e->fknull[i] = pgc_get_bool(r, j, "fknull");
			(void) pgc_subset_node_col(&s->nodes[e->child], e->fk[i], pgc_get(r, j, "fktype"),
									   e->ffop[i]);
			(void) pgc_subset_node_col(&s->nodes[e->parent], e->ref[i], pgc_get(r, j, "reftype"),
									   e->ppop[i]);
		}
	}
}
