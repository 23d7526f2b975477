/*
 * leader.c — the job leader, the first worker of every table or schema job.
 *
 * It records the job; a table job clones its table; a schema job runs the
 * schema module's plan (schema.h) in three phases: pre-data (every object,
 * tables empty) in one transaction, the loads (itself, or a pool:
 * pool.c), then post-data (FKs, rules, partition indexes, sequences,
 * matviews) in one transaction.
 */
#include "jobs/jobs_int.h"
#include "clone/locks.h"
#include "mask/mask.h"
#include "clone/schema.h"
#include "plan/subset.h"

#include <signal.h>

#include "executor/spi.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#define MAX_POOL 64
static BackgroundWorkerHandle *pool_handles[MAX_POOL];
static int	pool_n = 0;

/* ---------- the table job ---------- */

static void
run_table_job(void)
{
	PGconn	   *conn;
	PgcRows    *list = palloc0(sizeof(PgcRows));
	char	   *vals[3];
	const char *a[2] = {pgc_my_slot->schema, pgc_my_slot->table};

	pgc_set_phase("connecting");
	conn = pgc_source_open(pgc_my_opts.consistent, NULL);
	vals[0] = pgc_my_slot->schema;
	vals[1] = pgc_my_slot->table;
	vals[2] = NULL;
	/* the table's size on the source: the denominator of "percent" */
	pgc_xact_begin();
	{
		PgcRows    *sz = pgc_query_params(conn,
										  "SELECT pg_catalog.pg_table_size(c.oid)"
										  " FROM pg_catalog.pg_class c"
										  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
										  " WHERE n.nspname = $1 AND c.relname = $2", 2, a);

		if (sz->nrows == 1 && pgc_val(sz, 0, 0))
			vals[2] = MemoryContextStrdup(TopMemoryContext, pgc_val(sz, 0, 0));
	}
	pgc_xact_commit();
	list->nrows = 1;
	list->ncols = 3;
	list->values = vals;
	pgc_job_plan_tables(list);
	if (pgc_my_slot->tables_done == 0)
	{
		pgc_set_phase("copy");
		pgc_set_interruptible(true);
		pgc_my_all_done = pgc_run_table(conn, 0, pgc_my_slot->schema, pgc_my_slot->table,
							  pgc_my_slot->target[0] ? pgc_my_slot->target : NULL, true);
		pgc_set_interruptible(false);
	}
	else
		pgc_my_all_done = true;
	pgc_disconnect(conn);
}

/* ---------- the schema job ---------- */

static void
wait_stopped(BackgroundWorkerHandle *h)
{
	pid_t		pid;
	int			n = 0;

	while (h && GetBackgroundWorkerPid(h, &pid) != BGWH_STOPPED)
	{
		pgc_wait_a_bit(50);
		/* a queue that a full server held up moves on once a second */
		if (++n % 20 == 0)
			pgc_jobs_dispatch();
	}
}

/* Start the pool, wait for it; fall back to doing the work ourselves. */
static void
run_pool(PGconn *conn, BackgroundWorkerHandle *coord)
{
	int			pending = pgc_my_slot->tables_total - pgc_my_slot->tables_done - pgc_my_slot->tables_failed;
	int			n = Min(Min(pgc_my_slot->parallel, pending), MAX_POOL);
	int			i;

	pool_n = 0;
	for (i = 1; i <= n; i++)
	{
		BackgroundWorkerHandle *h = pgc_start_worker_wait(pgc_my_slot, pgc_my_arg.slotno,
														  "pgclone_pool_main",
														  "pgclone: pool worker", i,
														  pool_n == i - 1 ? 1000 : 0);

		if (h)
			pool_handles[pool_n++] = h;
	}
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_slot->nexpected = 1 + pool_n;
	LWLockRelease(pgc_jobs->lock);
	if (pool_n < n)
		ereport(LOG,
				(errmsg("pgclone job %s: started %d of %d pool workers", pgc_my_job_id, pool_n, n),
				 errhint("Raise max_worker_processes.")));

	if (pool_n == 0 && pending > 0)
	{
		pgc_set_interruptible(true);
		pgc_pool_loop(conn);
		pgc_set_interruptible(false);
	}
	for (i = 0; i < pool_n; i++)
		wait_stopped(pool_handles[i]);
	pool_n = 0;
	pgc_release_snapshot();
	wait_stopped(coord);
	/* post-data needs the leader only: the rest of the reservation goes */
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_slot->workers_needed = 1;
	LWLockRelease(pgc_jobs->lock);
	pgc_jobs_dispatch();
}

/* Stop the pool after a leader error; its tables roll back. */
static void
stop_pool(void)
{
	int			i;

	if (pool_n == 0)
		return;
	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	for (i = 1; i <= pgc_jobs->max_workers; i++)
		if (pgc_my_slot->workers[i].pid)
			kill(pgc_my_slot->workers[i].pid, SIGINT);
	LWLockRelease(pgc_jobs->lock);
	for (i = 0; i < pool_n; i++)
		wait_stopped(pool_handles[i]);
	pool_n = 0;
}

/* "classid/objid": how the pre-data phase names the objects it skipped */
static char *
object_key(PgcObject *o)
{
	return psprintf(",%u/%s,", o->classid, o->oid);
}

/*
 * A schema whose clone needs more than half the lock table: the phase
 * commits in steps (locks.c) under the non-atomic SPI connection.
 */
static bool
steps_if_needed(PGconn *conn)
{
	PgcLockEstimate e;

	pgc_lock_estimate(conn, list_make1(pstrdup(pgc_my_slot->schema)), NULL, &pgc_my_opts, &e);
	if (e.needed <= e.capacity / 2)
		return false;
	ereport(LOG,
			(errmsg("pgclone job %s: about %d locks, more than half the lock table (%d): the phase commits in steps",
					pgc_my_job_id, e.needed, e.capacity)));
	pgc_steps_begin();
	return true;
}

/*
 * Pre-data phase, one local transaction (in steps for a schema too big for
 * the lock table; then a failure leaves the objects of the finished steps):
 * what pgclone.schema() creates
 * before the data (schemas, extensions, types, functions, sequences, every
 * table empty and without indexes, views, matviews WITH NO DATA), the load
 * tables planned for the pool (largest first), and the mark that it is done.
 */
/*
 * Masks that foreign keys extended (pgc_plan_masks) reach the workers that
 * load one table at a time through the job's options: this worker parses
 * them again after the transaction, a pool worker when it starts.
 */
static void
share_folded_masks(Jsonb *folded)
{
	PgcOptions	o = pgc_my_opts;
	char	   *json;

	o.mask = folded;
	json = pgc_options_to_json(&o);
	if (strlen(json) >= PGC_OPTIONS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the masks that foreign keys extend do not fit in a job's options (%d bytes)",
						PGC_OPTIONS_MAX),
				 errhint("Clone this schema with pgclone.schema(), which needs no job options.")));
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	strlcpy(pgc_my_slot->options, json, PGC_OPTIONS_MAX);
	LWLockRelease(pgc_jobs->lock);
	pgc_my_options_json = MemoryContextStrdup(TopMemoryContext, json);
}

static void
run_pre_data(PGconn *conn)
{
	int			spi;
	const char *a[1] = {pgc_my_slot->schema};
	PgcClonePlan *plan;
	PgcRows    *sizes;
	PgcRows    *list;
	StringInfoData skipped;
	bool	   *was_skipped;
	uint64		estimate = 0;
	bool		steps;
	int			nest;
	int			i;
	Jsonb	   *folded;

	pgc_xact_begin();
	spi = pgc_spi_connect_ext(SPI_OPT_NONATOMIC);	/* steps may commit under it */
	if (pgc_query_params(conn, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
						 1, a)->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_SCHEMA_NAME),
				 errmsg("schema \"%s\" does not exist on the source", pgc_my_slot->schema)));
	steps = steps_if_needed(conn);
	nest = pgc_plan_gucs();
	plan = pgc_plan_read(conn, list_make1(pstrdup(pgc_my_slot->schema)), false, false, &pgc_my_opts);
	if (pgc_my_slot->include_data)
		(void) pgc_subset_build(conn, plan->schemas, &pgc_my_opts, true);
	was_skipped = palloc0(sizeof(bool) * Max(1, plan->nobjects));
	for (i = 0; i < plan->nobjects; i++)
		was_skipped[i] = plan->objects[i].skip;
	pgc_plan_pre_data(conn, plan, &pgc_my_opts);
	folded = pgc_plan_masks(plan, &pgc_my_opts);
	if (folded)
		share_folded_masks(folded);
	AtEOXact_GUC(true, nest);

	/* what the conflict option skipped stays untouched by the post-data phase */
	initStringInfo(&skipped);
	for (i = 0; i < plan->nobjects; i++)
		if (plan->objects[i].skip && !was_skipped[i])
			appendStringInfoString(&skipped, object_key(&plan->objects[i]));

	sizes = pgc_query_params(conn,
							 "SELECT n.nspname, c.relname, pg_catalog.pg_table_size(c.oid)"
							 " FROM pg_catalog.pg_class c"
							 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
							 " WHERE n.nspname = $1 AND c.relkind = 'r'"
							 " ORDER BY 3 DESC, 2", 1, a);
	list = palloc0(sizeof(PgcRows));
	list->ncols = 3;
	list->values = palloc0(sizeof(char *) * Max(1, 3 * sizes->nrows));
	for (i = 0; i < sizes->nrows; i++)
	{
		ListCell   *lc;

		foreach(lc, plan->tables)
		{
			PgcPlanTable *pt = lfirst(lc);

			if (!pt->load || strcmp(pt->target.relname, pgc_val(sizes, i, 1)) != 0)
				continue;
			list->values[3 * list->nrows] = pgc_val(sizes, i, 0);
			list->values[3 * list->nrows + 1] = pgc_val(sizes, i, 1);
			list->values[3 * list->nrows + 2] = pgc_val(sizes, i, 2);
			estimate += strtou64(pgc_val(sizes, i, 2), NULL, 10);
			list->nrows++;
		}
	}
	pgc_job_plan_tables_insert(list);
	pgc_predata_record(skipped.data);
	pgc_spi_finish(spi);
	pgc_xact_commit();
	if (folded)
		pgc_parse_options();		/* pgc_my_opts.mask pointed into that transaction */
	if (steps)
		pgc_steps_end();
	pgc_job_plan_counts(estimate);
}

/* A resumed job whose chain did pre-data: the same tables, done ones stay done. */
static void
resume_pre_data(const char *from, const char *skipped)
{
	const char *a[1] = {from};
	PgcRows    *list;

	pgc_xact_begin();
	list = pgc_job_query("SELECT schema_name, table_name FROM pgclone.job_tables"
						 " WHERE job_id = $1::bigint ORDER BY ord", 1, a);
	pgc_job_plan_tables_insert(list);
	pgc_predata_record(skipped);
	pgc_xact_commit();
	pgc_job_plan_counts(0);
}

/*
 * Post-data phase, one local transaction once every table is loaded: the
 * rest of pgclone.schema()'s post-data (partitioned parents' constraints and
 * indexes, objects' post-data, partition index attachment, foreign keys,
 * rules, sequence positions, REFRESH of matviews).  The plan is read again
 * through the same source snapshot.
 */
static void
run_post_data(PGconn *conn, const char *skipped, bool resumed)
{
	int			spi;
	PgcClonePlan *plan;
	bool		steps;
	int			nest;
	int			i;

	pgc_xact_begin();
	spi = pgc_spi_connect_ext(SPI_OPT_NONATOMIC);	/* steps may commit under it */
	steps = steps_if_needed(conn);
	nest = pgc_plan_gucs();
	plan = pgc_plan_read(conn, list_make1(pstrdup(pgc_my_slot->schema)), false, false, &pgc_my_opts);
	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *o = &plan->objects[i];

		if (o->skip)
			continue;
		if (skipped && strstr(skipped, object_key(o)))
			o->skip = true;
		/* a resume reads a newer snapshot: what pre-data did not create stays out */
		else if (resumed && !pgc_object_exists_locally(pgc_catalog(conn), o))
		{
			ereport(LOG,
					(errmsg("pgclone job %s: %s is new on the source since the pre-data phase, not cloned",
							pgc_my_job_id, pgc_qname(o->nspname, o->name))));
			o->skip = true;
		}
	}
	pgc_plan_tables(conn, plan, &pgc_my_opts);
	pgc_steps_exec(pgc_plan_post_data_ex(conn, plan, &pgc_my_opts, false));
	AtEOXact_GUC(true, nest);
	pgc_spi_finish(spi);
	pgc_xact_commit();
	if (steps)
		pgc_steps_end();
}

static void
run_schema_job(void)
{
	BackgroundWorkerHandle *coord = NULL;
	bool		pool = pgc_my_slot->parallel > 1;
	char	   *snapshot = NULL;
	PGconn	   *conn;
	char	   *skipped;
	char	   *from;
	int			done;

	if (pool && pgc_my_opts.consistent)
	{
		pgc_set_phase("snapshot");
		coord = pgc_start_worker_wait(pgc_my_slot, pgc_my_arg.slotno, "pgclone_coord_main",
									  "pgclone: snapshot coordinator", -1, -1);
		snapshot = pgc_wait_snapshot(coord);
	}
	pgc_set_phase("connecting");
	conn = pgc_source_open(pgc_my_opts.consistent, snapshot);
	if (coord)
		pgc_count_attached();

	pgc_set_phase("pre-data");
	pgc_set_interruptible(true);
	from = pgc_predata_done_by(&skipped);
	if (from)
		resume_pre_data(from, skipped);
	else
	{
		run_pre_data(conn);
		skipped = NULL;
	}
	pgc_set_interruptible(false);

	pgc_set_phase("copy");
	if (!pool)
	{
		pgc_set_interruptible(true);
		pgc_pool_loop(conn);
		pgc_set_interruptible(false);
	}
	else
		run_pool(conn, coord);

	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	done = pgc_my_slot->tables_done;
	LWLockRelease(pgc_jobs->lock);
	if (!pgc_job_cancelled() && done == pgc_my_slot->tables_total)
	{
		const char *a[1] = {pgc_my_job_id};
		PgcRows    *r;

		/* the skip list as this job recorded it */
		r = pgc_job_query_xact("SELECT predata_skip FROM pgclone.job_history"
						   " WHERE job_id = $1::bigint", 1, a);
		pgc_set_phase("post-data");
		pgc_set_interruptible(true);
		run_post_data(conn, pgc_val(r, 0, 0), from != NULL);
		pgc_set_interruptible(false);
		pgc_my_all_done = true;
	}
	pgc_disconnect(conn);
}

/* ---------- entry point ---------- */

void
pgclone_job_main(Datum main_arg)
{
	pgc_worker_setup(false);
	PG_TRY();
	{
		pgc_parse_options();
		pgc_record_start();
		if (pgc_my_slot->kind == PGC_KIND_TABLE)
			run_table_job();
		else
			run_schema_job();
		pgc_set_phase("finishing");
		pgc_finish_job(NULL);
	}
	PG_CATCH();
	{
		ErrorData  *e = pgc_catch_error();

		ereport(LOG, (errmsg("pgclone job %s failed: %s", pgc_my_job_id, e->message)));
		stop_pool();
		pgc_release_snapshot();
		pgc_finish_job(e);
	}
	PG_END_TRY();
	/* its reservation ended with the job: the next queued one may start */
	pgc_jobs_dispatch();
	proc_exit(0);
}
