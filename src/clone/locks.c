/*
 * locks.c — the lock budget of a clone, and clones committed in steps.
 *
 * PostgreSQL's shared lock table has room for max_locks_per_transaction *
 * (MaxBackends + max_prepared_transactions) locks; a transaction that creates
 * thousands of relations fills it and fails with "out of shared memory" in
 * the middle of the clone.  A synchronous clone (one transaction) therefore
 * counts, before it creates anything, the relations it will create and
 * stops with a clear error when they cannot fit.  Background workers do not
 * have to: they commit whenever a step's share of the table is used up.
 */
#include "clone/locks.h"
#include "clone/schema.h"

#include "access/twophase.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/*
 * Locks a clone takes besides those counted below: system catalogs and
 * their indexes, the schemas, the transaction itself (measured: 20 to 40).
 */
#define LOCK_OVERHEAD	100

/*
 * What the clone of the schemas creates on the target, counted on the source
 * in one query: every relation locks itself and (but sequences) its row
 * type; a TOAST table comes with its index; REFRESH of a populated matview
 * builds a new heap (and TOAST table) beside the old one; every constraint
 * and every other object of the schemas (functions, types, operators ...)
 * is locked when its comment or owner is set.  Measured on PostgreSQL 15.
 */
#define ESTIMATE_SQL \
	"WITH nsp AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ANY($1::text[]))," \
	" rel AS (SELECT c.oid, c.relkind, c.reltoastrelid, c.relispopulated FROM pg_catalog.pg_class c" \
	"   WHERE c.relnamespace IN (SELECT oid FROM nsp)" \
	"     AND ($2::oid[] IS NULL OR c.oid = ANY($2::oid[])" \
	"          OR c.oid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i" \
	"                        WHERE i.indrelid = ANY($2::oid[]))))," \
	" obj AS (SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass AS classid, oid FROM pg_catalog.pg_proc WHERE pronamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, oid FROM pg_catalog.pg_type" \
	"     WHERE typnamespace IN (SELECT oid FROM nsp) AND typrelid = 0 AND typcategory <> 'A'" \
	"   UNION ALL SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, oid FROM pg_catalog.pg_operator WHERE oprnamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, oid FROM pg_catalog.pg_opclass WHERE opcnamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, oid FROM pg_catalog.pg_opfamily WHERE opfnamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, oid FROM pg_catalog.pg_collation WHERE collnamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, oid FROM pg_catalog.pg_conversion WHERE connamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, oid FROM pg_catalog.pg_ts_dict WHERE dictnamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, oid FROM pg_catalog.pg_ts_config WHERE cfgnamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_ts_parser'::pg_catalog.regclass, oid FROM pg_catalog.pg_ts_parser WHERE prsnamespace IN (SELECT oid FROM nsp)" \
	"   UNION ALL SELECT 'pg_catalog.pg_ts_template'::pg_catalog.regclass, oid FROM pg_catalog.pg_ts_template WHERE tmplnamespace IN (SELECT oid FROM nsp))" \
	" SELECT (SELECT count(*) FROM rel WHERE relkind IN ('r','p','f','S','v','m','c')) AS relations," \
	"        (SELECT count(*) FROM rel WHERE relkind IN ('r','p','f','v','m','c')) AS rowtypes," \
	"        (SELECT count(*) FROM rel WHERE relkind IN ('i','I')) AS indexes," \
	"        (SELECT count(*) FROM rel WHERE reltoastrelid <> 0) AS toast," \
	"        (SELECT count(*) FROM rel WHERE relkind = 'm' AND relispopulated) AS refresh," \
	"        (SELECT count(*) FROM pg_catalog.pg_constraint k WHERE k.conrelid IN (SELECT oid FROM rel)" \
	"           OR ($2::oid[] IS NULL AND k.contypid <> 0 AND k.connamespace IN (SELECT oid FROM nsp))) AS constraints," \
	"        CASE WHEN $2::oid[] IS NULL THEN (SELECT count(*) FROM obj WHERE NOT EXISTS (" \
	"           SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = obj.classid AND d.objid = obj.oid" \
	"              AND d.deptype = 'e')) ELSE 0 END AS objects"

/* Objects of each source extension: CREATE EXTENSION locks them too */
#define EXTENSIONS_SQL \
	"SELECT e.extname, (SELECT count(*) FROM pg_catalog.pg_depend d" \
	"   WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass" \
	"     AND d.refobjid = e.oid AND d.deptype = 'e') AS members" \
	"  FROM pg_catalog.pg_extension e WHERE e.extname <> 'plpgsql'"

int
pgc_lock_capacity(void)
{
	return max_locks_per_xact * (MaxBackends + max_prepared_xacts);
}

/* Relations (with their TOAST tables) in the target's schemas of these names */
static int
local_relations(List *schemas)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, schemas)
	{
		Oid			nsp = get_namespace_oid(lfirst(lc), true);
		char	   *q;
		int			spi;

		if (!OidIsValid(nsp))
			continue;
		q = psprintf("SELECT count(*) + count(*) FILTER (WHERE reltoastrelid <> 0) * 2"
					 " FROM pg_catalog.pg_class WHERE relnamespace = %u", nsp);
		spi = pgc_spi_connect();
		if (SPI_execute(q, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pgclone: could not count the target's relations");
		n += atoi(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		pgc_spi_finish(spi);
	}
	return n;
}

void
pgc_lock_estimate(PGconn *conn, List *schemas, const char *table_oids,
				  const PgcOptions *opts, PgcLockEstimate *e)
{
	const char *params[2] = {pgc_names_literal(schemas), table_oids};
	PgcRows    *r = pgc_query_params(conn, ESTIMATE_SQL, 2, params);
	int			i;

	memset(e, 0, sizeof(*e));
	e->relations = pgc_get_int(r, 0, "relations");
	e->indexes = opts->indexes ? pgc_get_int(r, 0, "indexes") : 0;
	e->toast = pgc_get_int(r, 0, "toast");
	e->refresh = opts->matviews ? pgc_get_int(r, 0, "refresh") : 0;
	e->objects = pgc_get_int(r, 0, "rowtypes") + pgc_get_int(r, 0, "constraints") +
		pgc_get_int(r, 0, "objects");
	/* extensions the target lacks get created, with all their objects */
	if (table_oids == NULL)
	{
		r = pgc_query(conn, EXTENSIONS_SQL);
		for (i = 0; i < r->nrows; i++)
			if (!OidIsValid(get_extension_oid(pgc_get(r, i, "extname"), true)))
				e->objects += pgc_get_int(r, i, "members");
	}
	/* replace drops, rename renames what is there: those get locked too */
	if (opts->conflict == PGC_CONFLICT_REPLACE || opts->conflict == PGC_CONFLICT_RENAME)
		e->local = local_relations(schemas);
	e->needed = e->relations + e->indexes + 2 * e->toast + 3 * e->refresh + e->objects +
		e->local + LOCK_OVERHEAD;
	e->capacity = pgc_lock_capacity();
}

void
pgc_lock_budget_check(PGconn *conn, List *schemas, const char *table_oids,
					  const PgcOptions *opts, const char *what)
{
	PgcLockEstimate e;
	int			procs = MaxBackends + max_prepared_xacts;

	pgc_lock_estimate(conn, schemas, table_oids, opts, &e);
	if (e.needed <= e.capacity)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("%s needs about %d locks in one transaction, more than the lock table holds (%d with max_locks_per_transaction = %d)",
					what, e.needed, e.capacity, max_locks_per_xact),
			 errdetail("The clone creates %d tables, views, sequences and the like, %d indexes, %d TOAST tables with their indexes and %d other objects (constraints, types, functions, extensions' objects%s) and holds a lock on each until it commits; "
					   "the shared lock table holds max_locks_per_transaction (%d) * (max_connections and other server processes + max_prepared_transactions = %d) = %d locks for the whole server.",
					   e.relations, e.indexes, e.toast, e.objects,
					   e.local ? ", existing relations the conflict option drops or renames" : "",
					   max_locks_per_xact, procs, e.capacity),
			 errhint("Raise max_locks_per_transaction to at least %d (a restart is needed), or clone with pgclone.schema_async() or pgclone.database_create(), which commit in steps and have no such limit.",
					 (e.needed + procs - 1) / procs)));
}

/* ---------- steps ---------- */

static struct
{
	bool		active;
	int			budget;			/* locks per step */
	int			used;
	int			commits;
} steps;

/* An error ends the steps with the transaction it aborts. */
static void
steps_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT)
		steps.active = false;
}

void
pgc_steps_begin(void)
{
	static bool registered = false;

	if (!registered)
	{
		RegisterXactCallback(steps_xact_callback, NULL);
		registered = true;
	}
	steps.active = true;
	/* a quarter of the table: other sessions keep room for theirs */
	steps.budget = Max(32, pgc_lock_capacity() / 4);
	steps.used = LOCK_OVERHEAD / 2;
	steps.commits = 0;
}

void
pgc_steps_end(void)
{
	steps.active = false;
}

bool
pgc_steps_active(void)
{
	return steps.active;
}

int
pgc_steps_commits(void)
{
	return steps.commits;
}

int
pgc_lock_weight(char kind)
{
	switch (kind)
	{
		case 'R':				/* table, TOAST table and its index */
		case 'M':
			return 3;
		default:
			return 1;
	}
}

/*
 * Commit the step and start the next transaction as the worker had it.  The
 * SPI connection is non-atomic, so its memory (the plan, the statements)
 * survives the commit.
 */
static void
next_step(void)
{
	PopActiveSnapshot();
	SPI_commit();
	SPI_start_transaction();
	PushActiveSnapshot(GetTransactionSnapshot());
	/* the commit reset the clone's settings */
	(void) pgc_plan_gucs();
	steps.commits++;
	steps.used = 0;
}

void
pgc_steps_charge(int locks)
{
	if (!steps.active)
		return;
	if (steps.used + locks > steps.budget)
		next_step();
	steps.used += locks;
}

void
pgc_steps_exec(List *stmts)
{
	ListCell   *lc;

	foreach(lc, stmts)
	{
		/* an index build or a foreign key locks a table or two and an index */
		pgc_steps_charge(3);
		pgc_plan_exec(list_make1(lfirst(lc)));
	}
}
