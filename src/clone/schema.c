/*
 * schema.c — pgclone.schema(), pgclone.schema_ex(), pgclone.functions():
 * every object of a schema, in pg_depend order, from one source snapshot.
 *
 * Runs in the caller's transaction: an error anywhere, or a ROLLBACK, leaves
 * nothing behind.  Order, as pg_dump and pg_restore do it: schemas and the
 * extensions the objects need, then every object without its indexes and
 * constraints (depsort.c decides the order), then the data (COPY FREEZE into
 * the tables this transaction created), then per-table constraints and
 * indexes, partition index attachment, foreign keys, triggers, rules,
 * sequence positions and finally REFRESH of the materialized views (those
 * after the data are in post_data.c).
 */
#include "clone/schema.h"
#include "remote/srcver.h"
#include "clone/locks.h"
#include "mask/mask.h"
#include "plan/subset.h"

#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(pgclone_schema);
PG_FUNCTION_INFO_V1(pgclone_schema_ex);
PG_FUNCTION_INFO_V1(pgclone_functions);

typedef struct CloneCtx
{
	const char *what;
} CloneCtx;

static void
clone_error_context(void *arg)
{
	errcontext("pgclone: %s", ((CloneCtx *) arg)->what);
}

/*
 * Run statements in order; DEBUG1 shows each one.  Much of the text comes
 * from pg_get_*def() on an untrusted source: each must be exactly one
 * statement, so a crafted definition cannot smuggle in a second one.
 */
void
pgc_plan_exec(List *stmts)
{
	ListCell   *lc;

	foreach(lc, stmts)
	{
		char	   *sql = lfirst(lc);

		elog(DEBUG1, "pgclone: %s", sql);
		if (pgc_statement_count(sql) != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("pgclone: a definition from the source is not a single statement"),
					 errdetail_internal("%s", sql)));
		pgc_local_exec(sql);
	}
}

static const char *
kind_word(PgcObject *o)
{
	switch (o->kind)
	{
		case 'C':
			return "COLLATION";
		case 'N':
			return "CONVERSION";
		case 'W':
			return "TEXT SEARCH TEMPLATE";
		case 'P':
			return "TEXT SEARCH PARSER";
		case 'D':
			return "TEXT SEARCH DICTIONARY";
		case 'X':
			return "TEXT SEARCH CONFIGURATION";
		case 'E':
			return "FOREIGN TABLE";
		case 'O':
			return "OPERATOR";
		case 'Y':
			return "OPERATOR FAMILY";
		case 'Z':
			return "OPERATOR CLASS";
		case 'K':
			return "CAST";
		case 'T':
			return "TYPE";
		case 'S':
			return "SEQUENCE";
		case 'V':
			return "VIEW";
		case 'M':
			return "MATERIALIZED VIEW";
		case 'A':
			return "AGGREGATE";
		case 'F':
			return o->sub == 'p' ? "PROCEDURE" : "FUNCTION";
		default:
			return "TABLE";
	}
}

/* The kind as messages spell it: lower case, as in "target table x" */
static char *
kind_label(PgcObject *o)
{
	char	   *s = pstrdup(kind_word(o));
	char	   *p;

	for (p = s; *p; p++)
		*p = pg_ascii_tolower((unsigned char) *p);
	return s;
}

/* The conflict option for an object that is not a table; false = skip it. */
static bool
object_conflict(PGconn *conn, PgcObject *o, PgcConflict mode, List **stmts)
{
	PgcCatalog *cat = pgc_catalog(conn);
	/* a cast has no schema or name: "(source AS target)" */
	char	   *q = o->kind == 'K' ? psprintf("(%s)", o->name) : pgc_qname(o->nspname, o->name);
	char	   *drop;

	if (!pgc_object_exists_locally(cat, o))
		return true;
	switch (mode)
	{
		case PGC_CONFLICT_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("target %s %s already exists", kind_label(o), q),
					 errhint("Use the \"conflict\" option: \"skip\", \"replace\" or \"rename\".")));
			break;
		case PGC_CONFLICT_SKIP:
			ereport(NOTICE, (errmsg("target %s %s already exists, skipping", kind_label(o), q)));
			return false;
		case PGC_CONFLICT_REPLACE:
			drop = pgc_object_drop_sql(cat, o);
			if (drop)
				pgc_local_exec(drop);
			else if (o->kind == 'A')
			{
				/* aggregates have no OR REPLACE of their own text here */
				char	   *first = linitial(*stmts);

				linitial(*stmts) = psprintf("CREATE OR REPLACE %s", first + strlen("CREATE "));
			}
			break;
		case PGC_CONFLICT_RENAME:
			if (o->kind == 'O' || o->kind == 'K')
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("target %s %s already exists, and %s cannot be renamed",
								o->kind == 'O' ? "operator" : "cast", q,
								o->kind == 'O' ? "operators" : "casts"),
						 errhint("Use the \"conflict\" option \"replace\" or \"skip\".")));
			if (o->kind == 'Y' || o->kind == 'Z')
				pgc_local_exec(psprintf("ALTER %s RENAME TO %s", pgc_opclass_label(cat, o),
										quote_identifier(psprintf("%s_old", o->name))));
			else if (o->kind == 'F' || o->kind == 'A')
			{
				PgcRows    *r = pgc_read_source(conn, &pgc_q_regprocedure, o->oid);

				pgc_local_exec(psprintf("ALTER %s %s RENAME TO %s", kind_word(o), pgc_val(r, 0, 0),
										quote_identifier(psprintf("%s_old", o->name))));
			}
			else
				pgc_local_exec(psprintf("ALTER %s %s RENAME TO %s", kind_word(o), q,
										quote_identifier(psprintf("%s_old", o->name))));
			pgc_dependents_renamed(kind_label(o), q, psprintf("%s_old", o->name));
			break;
	}
	return true;
}

/* A column as in CREATE TABLE, for an inheritance child's local columns. */
static void
append_local_column(StringInfo b, PgcTable *t, PgcTarget *tgt, PgcColumn *c)
{
	appendStringInfo(b, "%s %s", quote_identifier(c->name), c->type);
	if (c->collation)
		appendStringInfo(b, " COLLATE %s", c->collation);
	if (c->generated)
		pgc_append_generated(b, c);
	else if (c->defexpr)
		appendStringInfo(b, " DEFAULT %s", c->defexpr);
	pgc_append_not_null(b, t, tgt, c);
}

static bool
is_create_table(const char *s)
{
	return strncmp(s, "CREATE TABLE ", 13) == 0 || strncmp(s, "CREATE UNLOGGED TABLE ", 22) == 0;
}

/*
 * A partition is created PARTITION OF its parent (columns, NOT NULL and
 * inherited constraints come from there); an inheritance child lists only
 * its local columns and INHERITS its parents.  ddl_table.c's CREATE TABLE
 * is replaced; its other statements (storage, comments, grants) stay.
 */
static List *
table_pre_data(PGconn *conn, PgcPlanTable *pt, const PgcOptions *opts)
{
	PgcTable   *t = pt->table;
	List	   *stmts = pgc_table_pre_data(t, &pt->target, opts);
	PgcRows    *l = pgc_read_source(conn, &pgc_q_table_links, t->oid);
	char	   *parents = pgc_get(l, 0, "parents");
	char	   *qt = pgc_qname(pt->target.nspname, pt->target.relname);
	StringInfoData b;
	ListCell   *lc;
	int			i;

	pt->has_children = pgc_get_bool(l, 0, "has_children");
	if (parents == NULL)
		return stmts;

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE %sTABLE %s", t->relpersistence == 'u' ? "UNLOGGED " : "", qt);
	if (t->ispartition)
	{
		appendStringInfo(&b, " PARTITION OF %s", parents);
		pgc_append_partition_not_nulls(&b, t, &pt->target);
		appendStringInfo(&b, " %s", t->partbound);
	}
	else
	{
		char	   *local = pgc_get(l, 0, "local_cols");
		bool		first = true;

		appendStringInfoString(&b, " (");
		for (i = 0; i < t->ncols; i++)
		{
			char		num[16];

			snprintf(num, sizeof(num), "%d", t->cols[i].attnum);
			/* local_cols is "{1,3}": match whole numbers */
			if (!strstr(psprintf(",%s,", pnstrdup(local + 1, strlen(local) - 2)),
						psprintf(",%s,", num)))
				continue;
			appendStringInfoString(&b, first ? "\n    " : ",\n    ");
			append_local_column(&b, t, &pt->target, &t->cols[i]);
			first = false;
		}
		appendStringInfo(&b, "\n) INHERITS (%s)", parents);
	}
	if (t->partkey)
		appendStringInfo(&b, " PARTITION BY %s", t->partkey);
	if (t->reloptions)
		appendStringInfo(&b, " WITH (%s)", t->reloptions);

	foreach(lc, stmts)
		if (is_create_table(lfirst(lc)))
		{
			lfirst(lc) = b.data;
			break;
		}
	return stmts;
}

/*
 * On an inheritance parent a CHECK constraint must reach the children too
 * (ADD CONSTRAINT on ONLY the parent is refused): drop the ONLY.
 */
static List *
recurse_checks(PgcPlanTable *pt, List *stmts)
{
	PgcRows    *k = pt->table->constraints;
	ListCell   *lc;
	int			i;

	if (!pt->has_children || pt->table->relkind != 'r')
		return stmts;
	for (i = 0; i < k->nrows; i++)
	{
		char	   *tail;

		if (pgc_get(k, i, "contype")[0] != 'c')
			continue;
		tail = psprintf(" ADD CONSTRAINT %s %s", quote_identifier(pgc_get(k, i, "conname")),
						pgc_get(k, i, "def"));
		foreach(lc, stmts)
		{
			char	   *s = lfirst(lc);
			size_t		n = strlen(s),
						m = strlen(tail);

			if (strncmp(s, "ALTER TABLE ONLY ", 17) == 0 && n > m && strcmp(s + n - m, tail) == 0)
				lfirst(lc) = psprintf("ALTER TABLE %s", s + 17);
		}
	}
	return stmts;
}

/*
 * "replace": drop what is there first, dependents before what they depend
 * on, CASCADE as DROP SCHEMA would, so that the new objects start clean.
 */
static void
drop_existing(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts)
{
	PgcCatalog *cat = pgc_catalog(conn);
	int			i;

	for (i = plan->nobjects - 1; i >= 0; i--)
	{
		PgcObject  *o = &plan->objects[i];

		if (o->skip || !pgc_object_exists_locally(cat, o))
			continue;
		pgc_dependents_check_object(conn, o, kind_label(o), opts->cascade, plan);
		if (o->kind == 'F' || o->kind == 'A')
		{
			PgcRows    *r = pgc_read_source(conn, &pgc_q_regprocedure, o->oid);

			pgc_plan_exec(list_make1(psprintf("DROP %s IF EXISTS %s CASCADE", kind_word(o), pgc_val(r, 0, 0))));
		}
		else if (o->kind == 'R')
			pgc_plan_exec(list_make1(psprintf("DROP TABLE IF EXISTS %s CASCADE", pgc_qname(o->nspname, o->name))));
		else
			pgc_plan_exec(list_make1(pgc_object_drop_sql(cat, o)));
	}
}

/* A table of the plan: its definition, with this table's mask. */
static PgcPlanTable *
plan_table_new(PGconn *conn, const char *oid, char *nsp, char *rel, const PgcOptions *opts)
{
	PgcPlanTable *pt = palloc0(sizeof(PgcPlanTable));

	/* masks are named per table: {"customers": {"email": "email"}} */
	pt->opts = palloc(sizeof(PgcOptions));
	*pt->opts = *opts;
	pt->opts->mask = pgc_mask_for_table(opts->mask, nsp, rel);
	pt->table = pgc_fetch_table_oid(conn, oid, pt->opts);
	if (pt->opts->mask)
		pgc_mask_validate(pt->opts->mask, pt->table);
	pt->target.nspname = nsp;
	pt->target.relname = rel;
	pt->load = pt->table->relkind == 'r';
	return pt;
}

/* has_children as table_pre_data finds it, for a table created earlier */
static void
plan_table_links(PGconn *conn, PgcPlanTable *pt)
{
	PgcRows    *l = pgc_read_source(conn, &pgc_q_table_links, pt->table->oid);

	pt->has_children = pgc_get_bool(l, 0, "has_children");
}

/*
 * A table created by an earlier pgc_plan_pre_data (an async job), found by
 * its source OID (or, oid NULL, its name), ready for pgc_copy_table and
 * pgc_plan_table_post_data.
 */
PgcPlanTable *
pgc_plan_table_fetch(PGconn *conn, const char *oid, const char *nsp, const char *rel,
					 const PgcOptions *opts)
{
	PgcPlanTable *pt;

	if (oid == NULL)
		oid = pgc_read_table_oid(conn, nsp, rel);
	if (oid == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s does not exist on the source", pgc_qname(nsp, rel))));
	pt = plan_table_new(conn, pstrdup(oid), pstrdup(nsp), pstrdup(rel), opts);
	plan_table_links(conn, pt);
	return pt;
}

/* One table's constraints, indexes, triggers, policies (not its FKs). */
List *
pgc_plan_table_post_data(PgcPlanTable *pt, const PgcOptions *opts)
{
	return recurse_checks(pt, pgc_table_post_data(pt->table, &pt->target, opts, false));
}

/*
 * Fill plan->tables and plan->matviews as pgc_plan_pre_data does, without
 * creating anything: for the post-data of a clone whose pre-data ran in an
 * earlier transaction.  Objects that pre-data skipped must be marked skip.
 */
void
pgc_plan_tables(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts)
{
	int			i;

	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *o = &plan->objects[i];

		if (o->skip)
			continue;
		if (o->kind == 'R')
		{
			PgcPlanTable *pt = plan_table_new(conn, o->oid, o->nspname, o->name, opts);

			plan_table_links(conn, pt);
			plan->tables = lappend(plan->tables, pt);
			plan->counts['S'] += pt->table->sequences->nrows;
		}
		else if (o->kind == 'M')
			plan->matviews = lappend(plan->matviews, o);
		plan->counts[(int) o->kind]++;
	}
}

/*
 * The plan's tables, read (from the catalog model: no more round trips)
 * before anything is created, so that a mask that cannot be honoured --
 * and strict mode -- stop the clone first (mask/strict.c).  Indexed like
 * plan->objects.
 */
static PgcPlanTable **
plan_tables_early(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts)
{
	PgcPlanTable **pts = palloc0(sizeof(PgcPlanTable *) * Max(plan->nobjects, 1));
	List	   *tables = NIL;
	int			i;

	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *o = &plan->objects[i];

		if (o->skip || o->kind != 'R')
			continue;
		pts[i] = plan_table_new(conn, o->oid, o->nspname, o->name, opts);
		tables = lappend(tables, pts[i]);
	}
	plan->tables = tables;
	(void) pgc_plan_masks(plan, opts);
	plan->tables = NIL;
	return pts;
}

void
pgc_plan_pre_data(PGconn *conn, PgcClonePlan *plan, const PgcOptions *opts)
{
	PgcCatalog *cat = pgc_catalog(conn);
	ListCell   *lc;
	int			i;
	List	   *incompatible = pgc_srcver_incompatible(conn, plan->schemas);
	PgcPlanTable **early;

	/* what the target cannot create is refused before anything is created */
	for (i = 0; i < plan->nobjects && incompatible; i++)
		if (!plan->objects[i].skip)
			pgc_srcver_check_object(incompatible, plan->objects[i].classid,
									plan->objects[i].objid);
	early = plan_tables_early(conn, plan, opts);
	if (!plan->functions_only && !plan->tables_only)
		(void) pgc_extensions_create(plan->extensions, true);
	foreach(lc, plan->schemas)
	{
		List	   *stmts;

		/* a table clone leaves the schema itself alone, as table() does */
		if (plan->tables_only)
		{
			pgc_ensure_schema(lfirst(lc));
			continue;
		}
		stmts = pgc_schema_header(cat, lfirst(lc));
		/* an existing schema keeps itself; comment, owner, grants still apply */
		if (OidIsValid(get_namespace_oid(lfirst(lc), true)))
		{
			pgc_require_trusted_schema(lfirst(lc));
			stmts = list_delete_first(stmts);
		}
		pgc_plan_exec(stmts);
	}
	if (!plan->functions_only && !plan->tables_only)
		plan->counts['x'] += pgc_extensions_create(plan->extensions, false);
	if (plan->whole_database)
		pgc_clone_servers(conn);
	if (opts->conflict == PGC_CONFLICT_REPLACE)
		drop_existing(conn, plan, opts);

	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *o = &plan->objects[i];
		List	   *stmts;

		if (o->skip)
			continue;
		pgc_steps_charge(pgc_lock_weight(o->kind));
		elog(DEBUG1, "pgclone: object %c %s", o->kind, pgc_qname(o->nspname, o->name));
		if (o->kind == 'R')
		{
			PgcPlanTable *pt;

			if (!pgc_resolve_conflict(o->nspname, o->name, opts))
			{
				o->skip = true; /* nor its indexes, rules, ... */
				continue;
			}
			pt = early[i] ? early[i] : plan_table_new(conn, o->oid, o->nspname, o->name, opts);
			pgc_plan_exec(table_pre_data(conn, pt, pt->opts));
			plan->tables = lappend(plan->tables, pt);
			/* serial and identity sequences come with their table */
			plan->counts['S'] += pt->table->sequences->nrows;
		}
		else
		{
			stmts = pgc_object_pre_data(cat, o, opts);
			if (!object_conflict(conn, o, opts->conflict, &stmts))
			{
				o->skip = true;
				continue;
			}
			pgc_plan_exec(stmts);
			if (o->kind == 'M')
				plan->matviews = lappend(plan->matviews, o);
		}
		plan->counts[(int) o->kind]++;
	}
}

/* Settings of a clone's local DDL; AtEOXact_GUC(true, <result>) undoes them. */
int
pgc_plan_gucs(void)
{
	int			nest = NewGUCNestLevel();

	/* as pg_dump's restore: bodies are not checked, names are qualified */
	(void) set_config_option("check_function_bodies", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
pgc_plan_run(PGconn *conn, PgcClonePlan *plan, bool data, const PgcOptions *opts)
{
	ListCell   *lc;
	int			nest = pgc_plan_gucs();
	/* a subset is planned, and its mistakes found, before anything is created */
	PgcSubset  *subset = data ? pgc_subset_build(conn, plan->schemas, opts, true) : NULL;
	List	   *loaded = NIL,
			   *counts = NIL;

	/* what one table's COPY allocates goes when it ends, whatever N */
	MemoryContext per_table = AllocSetContextCreate(CurrentMemoryContext,
													"pgclone table copy",
													ALLOCSET_DEFAULT_SIZES);

	pgc_plan_pre_data(conn, plan, opts);
	(void) pgc_plan_masks(plan, opts);
	foreach(lc, plan->tables)
	{
		PgcPlanTable *pt = lfirst(lc);
		uint64	   *n;
		MemoryContext old;

		if (!data || !pt->load)
			continue;
		pgc_subset_assign(subset, pt);
		n = palloc(sizeof(uint64));
		old = MemoryContextSwitchTo(per_table);
		*n = pgc_copy_table(conn, pt->table, &pt->target, pt->opts, true);
		MemoryContextSwitchTo(old);
		MemoryContextReset(per_table);
		plan->rows += *n;
		loaded = lappend(loaded, pt);
		counts = lappend(counts, n);
	}
	pgc_subset_report(subset, loaded, counts);
	{
		List	   *post = pgc_plan_post_data(conn, plan, opts);

		pgc_plan_count_post(plan, post);
		pgc_plan_exec(post);
	}
	MemoryContextDelete(per_table);
	AtEOXact_GUC(true, nest);
}

static bool
list_member_name(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * table() of a partitioned table: the table and its whole partition tree
 * (sub-partitions too, in whatever schema), through a plan of the trees'
 * schemas restricted to those tables, under the source's names.  The mask,
 * "columns" and "where" apply to every partition.
 */
char *
pgc_clone_partition_tree(PGconn *conn, PgcTable *t, const char *tgtname,
						 bool data, const PgcOptions *opts)
{
	PgcRows    *r = pgc_read_partition_tree(conn, t->oid);
	char	   *q = pgc_qname(t->nspname, t->relname);
	PgcOptions	o = *opts;
	PgcClonePlan *plan;
	List	   *schemas = NIL;
	StringInfoData oids,
				masks;
	int			i,
				j;

	if (tgtname && strcmp(tgtname, t->relname) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("partitioned table %s cannot be cloned under another name", q),
				 errdetail("Its partitions keep their names and would still belong to the source's name."),
				 errhint("Omit the target name, or clone each partition with pgclone.table().")));
	if (pgc_local_relation_exists(t->nspname, t->relname) && opts->conflict == PGC_CONFLICT_SKIP)
		return psprintf("SKIPPED: %s already exists", q);

	initStringInfo(&oids);
	initStringInfo(&masks);
	appendStringInfoChar(&masks, '{');
	for (i = 0; i < r->nrows; i++)
	{
		char	   *nsp = pgc_get(r, i, "nspname");
		char	   *rel = pgc_get(r, i, "relname");

		if (pgc_get(r, i, "relkind")[0] == 'f')
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("partition %s of %s is a foreign table", pgc_qname(nsp, rel), q),
					 errhint("Clone the other partitions with pgclone.table().")));
		if (!list_member_name(schemas, nsp))
			schemas = lappend(schemas, nsp);
		appendStringInfo(&oids, "%s%s", i ? "," : "", pgc_get(r, i, "oid"));
		/* the table()'s mask names columns: every partition gets it */
		if (opts->mask)
		{
			if (i > 0)
				appendStringInfoChar(&masks, ',');
			escape_json(&masks, rel);
			appendStringInfo(&masks, ": %s",
							 JsonbToCString(NULL, &opts->mask->root, VARSIZE(opts->mask)));
		}
	}
	appendStringInfoChar(&masks, '}');
	if (opts->mask)
		o.mask = pgc_mask_parse_text(masks.data, "mask");

	plan = pgc_plan_read(conn, schemas, false, false, &o);
	plan->tables_only = true;
	plan->table_oids = psprintf("{%s}", oids.data);
	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *obj = &plan->objects[i];

		obj->skip = true;
		if (obj->kind == 'R')
			for (j = 0; j < r->nrows && obj->skip; j++)
				obj->skip = strcmp(obj->oid, pgc_get(r, j, "oid")) != 0;
	}
	pgc_lock_budget_check(conn, schemas, plan->table_oids, &o, "this clone");
	pgc_dependents_reset();
	pgc_plan_run(conn, plan, data, &o);
	ereport(NOTICE,
			(errmsg("cloned %s with its %d partitions", q, plan->counts['R'] - 1)));
	return psprintf("OK: cloned %s to %s (%s)%s", q, q,
					data ? psprintf(UINT64_FORMAT " rows", plan->rows) : "structure only",
					pgc_dependents_summary());
}

/*
 * Clone schemas (NIL = every user schema of the source) over one keeper
 * connection, in the caller's transaction.
 */
char *
pgc_clone_schemas(const char *conninfo, List *schemas, bool data,
				  bool functions_only, const PgcOptions *opts, const char *label)
{
	int			spi;
	MemoryContext outer = CurrentMemoryContext;
	PGconn	   *conn;
	char	   *snapshot;
	PgcClonePlan *plan;
	char	   *result;
	char	   *prefix = "";
	bool		whole;
	CloneCtx	cctx;
	ErrorContextCallback errcb;

	cctx.what = label;
	errcb.callback = clone_error_context;
	errcb.arg = &cctx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	conn = pgc_snapshot_keeper(conninfo, opts->consistent, &snapshot);
	whole = schemas == NIL;
	if (whole)
	{
		schemas = pgc_source_user_schemas(conn);
		prefix = psprintf("%d schemas, ", list_length(schemas));
	}

	spi = pgc_spi_connect();
	if (!functions_only && !pgc_steps_active())
		pgc_lock_budget_check(conn, schemas, NULL, opts, "this clone");
	plan = pgc_plan_read(conn, schemas, functions_only, whole, opts);
	pgc_dependents_reset();
	pgc_plan_run(conn, plan, data, opts);
	if (whole)
		(void) pgc_clone_large_objects(conn, data, opts->conflict);
	if (functions_only)
		result = psprintf("%d functions", plan->counts['F'] + plan->counts['A']);
	else
		result = psprintf("%s%s%s", prefix, pgc_plan_summary(plan), pgc_dependents_summary());
	result = MemoryContextStrdup(outer, result);
	pgc_spi_finish(spi);

	pgc_command(conn, "COMMIT");
	pgc_disconnect(conn);
	error_context_stack = errcb.previous;
	return result;
}

static Datum
schema_common(FunctionCallInfo fcinfo, PgcOptions *opts)
{
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *nsp = pgc_text_arg(fcinfo, 1, "schema_name");
	bool		data = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	char	   *res;

	if (nsp[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_SCHEMA_NAME),
				 errmsg("schema name must not be empty")));
	res = pgc_clone_schemas(conninfo, list_make1(nsp), data, false, opts,
							psprintf("cloning schema %s", quote_identifier(nsp)));
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("OK: schema %s cloned (%s)",
											  quote_identifier(nsp), res)));
}

/* pgclone.schema(conninfo, schema [, include_data [, options]]) */
Datum
pgclone_schema(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	PgcOptions	opts;

	pgc_options_parse(&opts, PG_NARGS() > 3 && !PG_ARGISNULL(3) ?
					  text_to_cstring(PG_GETARG_TEXT_PP(3)) : NULL, PGC_OPTS_SCHEMA);
	return schema_common(fcinfo, &opts);
}

/*
 * pgclone.schema_ex(conninfo, schema, include_data, indexes, constraints,
 * triggers [, options]): the flags are arguments, the other schema options
 * ("tables", "masks", "conflict", ...) may follow as JSON.
 */
Datum
pgclone_schema_ex(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	PgcOptions	opts;
	int			i;

	for (i = 2; i < 6; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the data, index, constraint and trigger flags must not be NULL")));
	pgc_options_parse(&opts, PG_NARGS() > 6 && !PG_ARGISNULL(6) ?
					  text_to_cstring(PG_GETARG_TEXT_PP(6)) : NULL,
					  PGC_OPTS_SCHEMA & ~(PGC_OPT_INDEXES | PGC_OPT_CONSTRAINTS | PGC_OPT_TRIGGERS));
	opts.indexes = PG_GETARG_BOOL(3);
	opts.constraints = PG_GETARG_BOOL(4);
	opts.triggers = PG_GETARG_BOOL(5);
	return schema_common(fcinfo, &opts);
}

/* pgclone.functions(conninfo, schema): functions, procedures, aggregates */
Datum
pgclone_functions(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *nsp = pgc_text_arg(fcinfo, 1, "schema_name");
	PgcOptions	opts;
	char	   *res;

	pgc_options_init(&opts);
	res = pgc_clone_schemas(conninfo, list_make1(nsp), false, true, &opts,
							psprintf("cloning functions of schema %s", quote_identifier(nsp)));
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("OK: %s cloned from schema %s", res,
											  quote_identifier(nsp))));
}
