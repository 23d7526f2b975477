/*
 * strict.c — masks over a whole clone, decided before any row is copied:
 * foreign-key families (a mask on either end of a foreign key, declared or
 * in "virtual_foreign_keys", applies the same mapping to every column of the
 * family), strict mode
 * ("require_masks", pgclone.require_masks), the clone's salt, and the error
 * a collision of masked unique values becomes.
 */
#include "mask/mask.h"
#include "plan/vfk.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

static char *mask_salt_guc = NULL;
static bool require_masks_guc = false;

/* unique columns with a hashed mask in this transaction: "nsp.rel" -> cols */
static List *unique_masked = NIL;

static void
forget_unique(XactEvent event, void *arg)
{
	unique_masked = NIL;		/* its memory went with the transaction */
}

/*
 * A unique violation while a clone builds the indexes of a table whose
 * masked values were hashed: say which columns, never the values.
 */
static void
collision_error(ErrorData *edata)
{
	ListCell   *lc;
	StringInfoData cols;

	initStringInfo(&cols);
	/* the table by name; a table() clone under another name: every one */
	for (int pass = 0; pass < 2 && cols.len == 0; pass++)
		foreach(lc, unique_masked)
		{
			char	   *e = pstrdup(lfirst(lc));
			char	   *rel = strchr(e, '\x1f') + 1;
			char	   *shown = strchr(rel, '\x1e') + 1;

			shown[-1] = '\0';
			if (pass == 1 || (edata->table_name && strcmp(rel, edata->table_name) == 0))
				appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", shown);
		}
	if (cols.len == 0)
		return;					/* not ours: the original error stands */
	FlushErrorState();
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("masked values collide in unique index \"%s\" of table %s",
					edata->constraint_name ? edata->constraint_name : "?",
					edata->table_name ? quote_identifier(edata->table_name) : "?"),
			 errdetail("The keyed hash that keeps masked column(s) %s distinct gave two different values the same result.",
					   cols.data),
			 errhint("Give the clone another \"salt\", or widen the column: a column of n characters keeps 4*n bits of the hash.")));
}

static void
unique_violation_hook(ErrorData *edata)
{
	if (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION && unique_masked != NIL)
		collision_error(edata);
}

void
pgc_mask_note_unique(PgcTable *t, const char *col)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	/* "nsp\x1frel\x1ensp.rel.col": matched by table, shown qualified */
	unique_masked = lappend(unique_masked,
							psprintf("%s\x1f%s\x1e%s.%s", t->nspname, t->relname,
									 pgc_qname(t->nspname, t->relname), quote_identifier(col)));
	MemoryContextSwitchTo(old);
	pgc_unique_violation_hook = unique_violation_hook;
}

void
pgc_init_mask(void)
{
	DefineCustomStringVariable("pgclone.mask_salt",
							   "Salt of the hash and fake_* masks of clones that give no \"salt\".",
							   "The same value and salt give the same masked value in every table and run.",
							   &mask_salt_guc, "", PGC_SUSET, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("pgclone.require_masks",
							 "Refuse clones that leave a sensitive-looking column unmasked.",
							 "As the \"require_masks\" option; only a superuser can turn it off.",
							 &require_masks_guc, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	RegisterXactCallback(forget_unique, NULL);
}

const char *
pgc_mask_salt(const PgcOptions *opts)
{
	if (opts && opts->mask_salt)
		return opts->mask_salt;
	return mask_salt_guc ? mask_salt_guc : "";
}

/* ---------- foreign-key families ---------- */

typedef struct FamNode
{
	int			table;			/* index into the clone's tables */
	int			attnum;
	int			parent;			/* union-find */
	int			vfk;			/* a virtual key joins it: its number, else 0 */
} FamNode;

typedef struct Families
{
	FamNode    *nodes;
	int			n;
	int			cap;
} Families;

static int
node_of(Families *f, int table, int attnum)
{
	int			i;

	for (i = 0; i < f->n; i++)
		if (f->nodes[i].table == table && f->nodes[i].attnum == attnum)
			return i;
	if (f->n == f->cap)
	{
		f->cap = f->cap ? f->cap * 2 : 16;
		f->nodes = f->nodes ? repalloc(f->nodes, sizeof(FamNode) * f->cap) :
			palloc(sizeof(FamNode) * f->cap);
	}
	f->nodes[f->n].table = table;
	f->nodes[f->n].attnum = attnum;
	f->nodes[f->n].parent = f->n;
	f->nodes[f->n].vfk = 0;
	return f->n++;
}

static int
root_of(Families *f, int i)
{
	while (f->nodes[i].parent != i)
		i = f->nodes[i].parent = f->nodes[f->nodes[i].parent].parent;
	return i;
}

static int
table_index(List *tables, const char *nsp, const char *rel)
{
	ListCell   *lc;

	foreach(lc, tables)
	{
		PgcTable   *t = lfirst(lc);

		if (strcmp(t->nspname, nsp) == 0 && strcmp(t->relname, rel) == 0)
			return foreach_current_index(lc);
	}
	return -1;
}

/* The mask value of a column, or NULL */
static JsonbValue *
mask_of(Jsonb *mask, const char *col)
{
	if (mask == NULL)
		return NULL;
	return getKeyJsonValueFromContainer(&mask->root, col, strlen(col), NULL);
}

static char *
col_label(PgcTable *t, PgcColumn *c)
{
	return psprintf("%s.%s", pgc_qname(t->nspname, t->relname), quote_identifier(c->name));
}

/* Join the columns of each foreign key between cloned tables */
static void
link_fkeys(Families *f, List *tables, Jsonb ***masks)
{
	ListCell   *lc;

	foreach(lc, tables)
	{
		PgcTable   *t = lfirst(lc);
		int			ti = foreach_current_index(lc);
		PgcRows    *k = t->constraints;
		int			i,
					p;

		for (i = 0; k && i < k->nrows; i++)
		{
			int			nk,
						nr,
						tj;
			int		   *conkey,
					   *confkey;

			if (!pgc_get_bool(k, i, "is_fkey"))
				continue;
			conkey = pgc_parse_int_array(pgc_get(k, i, "conkey"), &nk);
			confkey = pgc_parse_int_array(pgc_get(k, i, "confkey"), &nr);
			tj = pgc_get_bool(k, i, "self_ref") ? ti :
				table_index(tables, pgc_get(k, i, "ref_nsp"), pgc_get(k, i, "ref_rel"));
			if (tj < 0)
			{
				/* the other end is not cloned: a mask here cannot be matched there */
				for (p = 0; p < nk; p++)
				{
					PgcColumn  *c = pgc_table_column(t, conkey[p]);
					JsonbValue *v = c ? mask_of(*masks[ti], c->name) : NULL;

					if (v && strcmp(pgc_mask_strategy_of(v), "null") != 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("mask on column %s cannot be honoured: foreign key \"%s\" references table %s, which this clone does not copy",
										col_label(t, c), pgc_get(k, i, "conname"),
										pgc_qname(pgc_get(k, i, "ref_nsp"), pgc_get(k, i, "ref_rel"))),
								 errdetail("The referenced values would stay unmasked, so the foreign key could not hold."),
								 errhint("Clone both tables in one call (pgclone.schema() or pgclone.database()), or remove the mask.")));
				}
				continue;
			}
			/* a composite key: each position is a family of its own */
			for (p = 0; p < nk && p < nr; p++)
			{
				int			a = root_of(f, node_of(f, ti, conkey[p]));
				int			b = root_of(f, node_of(f, tj, confkey[p]));

				f->nodes[a].parent = b;
			}
		}
	}
}

/* The cloned table a virtual key's side names (unqualified: by name), or -1 */
static int
vfk_table(List *tables, int n, const char *nsp, const char *rel)
{
	ListCell   *lc;
	int			found = -1;

	if (nsp)
		return table_index(tables, nsp, rel);
	foreach(lc, tables)
	{
		PgcTable   *t = lfirst(lc);

		if (strcmp(t->relname, rel) != 0)
			continue;
		if (found >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
					 errmsg("virtual foreign key %d: table name %s is ambiguous", n,
							quote_identifier(rel)),
					 errhint("Qualify it with its schema in \"virtual_foreign_keys\".")));
		found = foreach_current_index(lc);
	}
	return found;
}

/* Column name of a cloned table, as a virtual key names it; ERROR if none */
static PgcColumn *
vfk_column(PgcTable *t, int n, const char *name)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("virtual foreign key %d: column \"%s\" of table %s does not exist", n,
					name, pgc_qname(t->nspname, t->relname))));
	return NULL;				/* keep the compiler quiet */
}

/*
 * Table ti and the cloned partitions below it: a virtual key names a
 * partitioned table, whose rows the partitions hold (declared keys have a
 * constraint row on each partition instead).
 */
static List *
vfk_members(List *tables, int ti)
{
	List	   *set = list_make1_int(ti);
	bool		grew = true;

	while (grew)
	{
		ListCell   *lc;

		grew = false;
		foreach(lc, tables)
		{
			PgcTable   *u = lfirst(lc);
			ListCell   *m;

			if (!u->ispartition || u->parent == NULL ||
				list_member_int(set, foreach_current_index(lc)))
				continue;
			foreach(m, set)
			{
				PgcTable   *p = list_nth(tables, lfirst_int(m));

				if (strcmp(u->parent, pgc_qname(p->nspname, p->relname)) == 0)
				{
					set = lappend_int(set, foreach_current_index(lc));
					grew = true;
					break;
				}
			}
		}
	}
	return set;
}

/* Refuse a mask on a referencing column whose referenced table is not cloned */
static void
vfk_unmatched(PgcTable *t, PgcColumn *c, Jsonb *mask, int n, PgcVirtualFk *k)
{
	JsonbValue *v = mask_of(mask, c->name);

	if (v && strcmp(pgc_mask_strategy_of(v), "null") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mask on column %s cannot be honoured: virtual foreign key %d references table %s, which this clone does not copy",
						col_label(t, c), n,
						k->to_nsp ? pgc_qname(k->to_nsp, k->to_rel) : quote_identifier(k->to_rel)),
				 errdetail("The referenced values would stay unmasked, so the rows could not be joined."),
				 errhint("Clone both tables (see \"tables\" and \"exclude_tables\"), remove the mask, or remove the key from \"virtual_foreign_keys\".")));
}

/*
 * Join the columns of each virtual foreign key between cloned tables, as
 * link_fkeys does for declared ones: no source access (the keys were checked
 * on the source when data is cloned; pgc_vfk_add).  Each position of the key
 * joins the column in both tables and in their partitions.
 */
static void
link_vfks(Families *f, List *tables, Jsonb ***masks, const PgcOptions *opts)
{
	ListCell   *lc;

	foreach(lc, pgc_vfk_list(opts))
	{
		PgcVirtualFk *k = lfirst(lc);
		int			n = foreach_current_index(lc) + 1;
		int			ti = vfk_table(tables, n, k->from_nsp, k->from_rel);
		int			tj = vfk_table(tables, n, k->to_nsp, k->to_rel);
		List	   *from,
				   *to;
		ListCell   *a,
				   *b;

		/* the referencing rows are not cloned: nothing to match */
		if (ti < 0)
			continue;
		from = vfk_members(tables, ti);
		to = tj < 0 ? NIL : vfk_members(tables, tj);
		forboth(a, k->from_cols, b, k->to_cols)
		{
			int			y = -1;
			ListCell   *m;

			foreach(m, to)
			{
				PgcTable   *t = list_nth(tables, lfirst_int(m));
				int			x = node_of(f, lfirst_int(m), vfk_column(t, n, lfirst(b))->attnum);

				f->nodes[x].vfk = n;
				if (y >= 0)
					f->nodes[root_of(f, x)].parent = root_of(f, y);
				y = x;
			}
			foreach(m, from)
			{
				PgcTable   *t = list_nth(tables, lfirst_int(m));
				PgcColumn  *c = vfk_column(t, n, lfirst(a));
				int			x;

				if (y < 0)
				{
					vfk_unmatched(t, c, *masks[lfirst_int(m)], n, k);
					continue;
				}
				x = node_of(f, lfirst_int(m), c->attnum);
				f->nodes[x].vfk = n;
				f->nodes[root_of(f, x)].parent = root_of(f, y);
			}
		}
	}
}

/* Set column col of *mask to the JSON text spec */
static void
set_mask(Jsonb **mask, const char *col, const char *spec)
{
	StringInfoData b;
	Jsonb	   *add;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	escape_json(&b, col);
	appendStringInfo(&b, ": %s}", spec);
	add = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
	*mask = *mask == NULL ? add :
		DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(*mask),
										   JsonbPGetDatum(add)));
}

/* The family's mask: the members' one, as an object with the family's form */
static char *
family_spec(JsonbValue *v, int length)
{
	char	   *obj;

	if (v->type == jbvString)
	{
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfoString(&b, "{\"type\": ");
		escape_json(&b, pgc_mask_strategy_of(v));
		appendStringInfoChar(&b, '}');
		obj = b.data;
	}
	else
	{
		Jsonb	   *j = JsonbValueToJsonb(v);

		obj = JsonbToCString(NULL, &j->root, VARSIZE(j));
	}
	/* obj ends in '}': add the family's keys before it */
	obj[strlen(obj) - 1] = '\0';
	return psprintf("%s, \"_pgclone_unique\": true, \"_pgclone_length\": %d}", obj, length);
}

static void
apply_family(Families *f, int root, List *tables, Jsonb ***masks)
{
	JsonbValue *first = NULL;
	char	   *first_text = NULL;
	PgcColumn  *first_col = NULL;
	PgcTable   *first_tab = NULL;
	int			length = -1;
	int			vfk = 0;
	int			i;
	char	   *spec;
	char	   *strategy;

	for (i = 0; i < f->n; i++)
	{
		PgcTable   *t;
		PgcColumn  *c;
		JsonbValue *v;
		char	   *text;
		int			len;

		if (root_of(f, i) != root)
			continue;
		t = list_nth(tables, f->nodes[i].table);
		c = pgc_table_column(t, f->nodes[i].attnum);
		if (c == NULL)
			continue;
		if (f->nodes[i].vfk)
			vfk = f->nodes[i].vfk;
		len = pgc_mask_column_length(c);
		if (len > 0 && (length < 0 || len < length))
			length = len;
		v = mask_of(*masks[f->nodes[i].table], c->name);
		if (v == NULL)
			continue;
		text = v->type == jbvString ? pgc_mask_strategy_of(v) :
			JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		if (first == NULL)
		{
			first = v, first_text = text, first_col = c, first_tab = t;
			continue;
		}
		if (strcmp(text, first_text) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns %s and %s are joined by a foreign key but have different masks",
							col_label(first_tab, first_col), col_label(t, c)),
					 errdetail("Both ends of a foreign key must map a value alike, or the key could not hold."),
					 errhint("Give both columns the same mask, or mask only one of them: the mask then applies to both.")));
	}
	if (first == NULL)
		return;
	strategy = pgc_mask_strategy_of(first);
	/* NULL satisfies every foreign key: nothing to extend */
	if (strcmp(strategy, "null") == 0)
		return;
	if (strcmp(strategy, "random_int") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mask on column %s cannot be honoured: strategy \"random_int\" is not deterministic, and a foreign key joins the column",
						col_label(first_tab, first_col)),
				 vfk ? errdetail("The family includes virtual foreign key %d of \"virtual_foreign_keys\".", vfk) : 0,
				 errhint("Use \"hash\" or a fake_* strategy: the same value then gets the same mask at both ends.")));
	spec = family_spec(first, length);
	for (i = 0; i < f->n; i++)
	{
		PgcTable   *t;
		PgcColumn  *c;

		if (root_of(f, i) != root)
			continue;
		t = list_nth(tables, f->nodes[i].table);
		c = pgc_table_column(t, f->nodes[i].attnum);
		if (c == NULL)
			continue;
		if (!c->selected)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("mask on column %s cannot be honoured: column %s of its foreign key is not among the cloned \"columns\"",
							col_label(first_tab, first_col), col_label(t, c))));
		set_mask(masks[f->nodes[i].table], c->name, spec);
	}
}

/* ---------- strict mode ---------- */

static bool
allowed(const PgcOptions *opts, PgcTable *t, PgcColumn *c)
{
	ListCell   *lc;
	char	   *full = psprintf("%s.%s.%s", t->nspname, t->relname, c->name);
	char	   *part = psprintf("%s.%s", t->relname, c->name);

	foreach(lc, opts->allow_unmasked)
		if (strcmp(lfirst(lc), full) == 0 || strcmp(lfirst(lc), part) == 0)
			return true;
	return false;
}

static void
check_strict(List *tables, Jsonb ***masks, const PgcOptions *opts)
{
	ListCell   *lc;
	StringInfoData missing;
	int			n = 0;

	if (opts->require_masks == 0 && require_masks_guc && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("\"require_masks\": false cannot override pgclone.require_masks = on"),
				 errhint("Mask the columns, or list them in \"allow_unmasked\".")));
	if (!(opts->require_masks == 1 || (require_masks_guc && opts->require_masks != 0)))
		return;
	initStringInfo(&missing);
	foreach(lc, tables)
	{
		PgcTable   *t = lfirst(lc);
		Jsonb	   *mask = *masks[foreach_current_index(lc)];
		int			i;

		for (i = 0; i < t->ncols; i++)
		{
			PgcColumn  *c = &t->cols[i];

			if (!c->selected || c->generated || pgc_sensitive_match(c->name) == NULL ||
				mask_of(mask, c->name) || allowed(opts, t, c))
				continue;
			appendStringInfo(&missing, "%s%s.%s.%s", n++ ? ", " : "",
							 t->nspname, t->relname, c->name);
		}
	}
	if (n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("require_masks: %d sensitive column%s neither masked nor allowed: %s",
						n, n == 1 ? " is" : "s are", missing.data),
				 errdetail("pgclone.discover_sensitive() flags these columns by name; the clone copies nothing while any is left."),
				 errhint("Mask them with the \"mask\" option, or list them in \"allow_unmasked\" as \"schema.table.column\".")));
}

void
pgc_mask_plan(List *tables, List *maskp, const PgcOptions *opts)
{
	Families	f = {NULL, 0, 0};
	Jsonb	 ***masks = palloc(sizeof(Jsonb **) * Max(list_length(maskp), 1));
	ListCell   *lc;
	int			i;

	foreach(lc, maskp)
		masks[foreach_current_index(lc)] = lfirst(lc);
	link_fkeys(&f, tables, masks);
	link_vfks(&f, tables, masks, opts);
	for (i = 0; i < f.n; i++)
		if (root_of(&f, i) == i)
			apply_family(&f, i, tables, masks);
	/* the extended masks are checked as the user's are */
	foreach(lc, tables)
		if (*masks[foreach_current_index(lc)])
			pgc_mask_validate(*masks[foreach_current_index(lc)], lfirst(lc));
	check_strict(tables, masks, opts);
}

/*
 * The masks of the whole plan, before any row is copied: every table a mask
 * names is cloned; foreign-key families share one mask; "require_masks".
 * Returns the clone's "mask" option with the masks that foreign keys
 * extended, as "schema.table" entries (for workers that fetch one table at a
 * time), or NULL if none was.
 */
Jsonb *
pgc_plan_masks(PgcClonePlan *plan, const PgcOptions *opts)
{
	List	   *tables = NIL,
			   *masks = NIL,
			   *before = NIL;
	ListCell   *lc;
	Jsonb	   *folded = NULL;

	pgc_plan_check_masks(plan, opts);
	foreach(lc, plan->tables)
	{
		PgcPlanTable *pt = lfirst(lc);

		tables = lappend(tables, pt->table);
		masks = lappend(masks, &pt->opts->mask);
		before = lappend(before, pt->opts->mask);
	}
	pgc_mask_plan(tables, masks, opts);
	foreach(lc, plan->tables)
	{
		PgcPlanTable *pt = lfirst(lc);
		StringInfoData b;
		Jsonb	   *add;

		if (pt->opts->mask == list_nth(before, foreach_current_index(lc)))
			continue;
		initStringInfo(&b);
		appendStringInfoChar(&b, '{');
		escape_json(&b, psprintf("%s.%s", pt->table->nspname, pt->table->relname));
		appendStringInfo(&b, ": %s}", JsonbToCString(NULL, &pt->opts->mask->root,
													 VARSIZE(pt->opts->mask)));
		add = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
		if (folded == NULL)
			folded = opts->mask;
		folded = folded == NULL ? add :
			DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(folded),
											   JsonbPGetDatum(add)));
	}
	return folded;
}
