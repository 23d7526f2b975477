/*
 * strict.c — masks over a whole clone, decided before any row is copied:
 * foreign-key families (a mask on either end of a foreign key applies the
 * same mapping to every column of the family), strict mode
 * ("require_masks", pgclone.require_masks), the clone's salt, and the error
 * a collision of masked unique values becomes.
 */
#include "mask/mask.h"

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
