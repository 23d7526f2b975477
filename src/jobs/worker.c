/*
 * worker.c — the background workers of an async clone job.
 *
 * job leader   : records the job; a table job clones its table; a schema job
 *                runs the schema module's plan (schema.h) in three phases:
 *                pre-data (every object, tables empty) in one transaction,
 *                the loads (itself, or a pool), then post-data (FKs, rules,
 *                partition indexes, sequences, matviews) in one transaction.
 * coordinator  : (parallel, consistent) exports a snapshot on the source and
 *                holds its transaction until every pool worker imported it.
 * pool worker  : imports the snapshot and loads tables claimed one at a time
 *                from pgclone.job_tables (FOR UPDATE SKIP LOCKED).
 *
 * Each table is loaded (TRUNCATE + COPY FREEZE) and gets its own indexes and
 * constraints in one local transaction that also marks it done in
 * pgclone.job_tables: a failed or cancelled table rolls back to empty, and
 * resume() knows what is left.
 */
#include "jobs/jobs.h"
#include "clone/locks.h"
#include "mask/mask.h"
#include "clone/schema.h"
#include "plan/subset.h"

#include <ctype.h>
#include <signal.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

static PgcWorkerArg MyArg;
static PgcJobSlot *MySlot = NULL;
static PgcWorkerEntry *MyEntry = NULL;
static PgcOptions MyOpts;
static char *MyConninfo = NULL;
static char *MyOptionsJson = NULL;
static char MyJobId[32];
static bool MyIsCoord = false;
static bool MyAllDone = false;	/* everything is in: a cancel came too late */

#define MAX_POOL 64
static BackgroundWorkerHandle *pool_handles[MAX_POOL];
static int	pool_n = 0;

/* ---------- small helpers ---------- */

static void
xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
xact_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
}

void
pgc_job_sql_xact(const char *sql, int nargs, const char **args)
{
	xact_begin();
	pgc_job_sql(sql, nargs, args);
	xact_commit();
}

static PgcRows *
job_query_xact(const char *sql, int nargs, const char **args)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext old;
	PgcRows    *r;

	xact_begin();
	old = MemoryContextSwitchTo(outer);
	r = pgc_job_query(sql, nargs, args);
	MemoryContextSwitchTo(old);
	xact_commit();
	return r;
}

/* Copy out the error being handled, clear it, abort the local transaction. */
static ErrorData *
catch_error(void)
{
	ErrorData  *e;

	MemoryContextSwitchTo(TopMemoryContext);
	e = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	return e;
}

static void
wait_a_bit(long ms)
{
	int			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							   ms, PG_WAIT_EXTENSION);

	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

static bool
job_cancelled(void)
{
	bool		c;

	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	c = MySlot->cancel;
	LWLockRelease(pgc_jobs->lock);
	return c;
}

static void
set_phase(const char *phase)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	strlcpy(MySlot->phase, phase, sizeof(MySlot->phase));
	LWLockRelease(pgc_jobs->lock);
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("pgclone job %s: %s", MyJobId, phase));
}

/* A worker doing table work gets SIGINT from cancel(); the pool leader does not. */
static void
set_interruptible(bool on)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MyEntry->pid = on ? MyProcPid : 0;
	LWLockRelease(pgc_jobs->lock);
	if (on && MySlot->cancel)
		kill(MyProcPid, SIGINT);
}

static void
progress_hook(uint64 bytes)
{
	if (MyEntry)
		pg_atomic_write_u64(&MyEntry->bytes, bytes);
}

/* Remember the first error for the live view; the history keeps them all. */
static void
note_error(ErrorData *e, const char *prefix)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_job_keep_error(MySlot, e, prefix);
	LWLockRelease(pgc_jobs->lock);
}

/* ---------- worker life cycle ---------- */

static void
worker_exit(int code, Datum arg)
{
	if (MySlot == NULL)
		return;
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (MySlot->in_use && MySlot->job_id == MyArg.job_id)
	{
		if (MyEntry && MyEntry->pid == MyProcPid)
			MyEntry->pid = 0;
		if (MyEntry)
			MyEntry->table[0] = '\0';
		if (MyIsCoord)
		{
			if (MySlot->snapshot[0] == '\0')
				MySlot->coord_failed = true;
			MySlot->coord_pid = 0;
		}
		if (MyArg.workerno == 0 && !MyIsCoord)
		{
			/* terminated (FATAL) before recording an outcome */
			if (!PGC_JOB_TERMINAL(MySlot->state))
			{
				MySlot->state = PGC_JOB_FAILED;
				MySlot->finished = GetCurrentTimestamp();
				strlcpy(MySlot->sqlstate, "57P01", sizeof(MySlot->sqlstate));
				strlcpy(MySlot->error, "interrupted: the job leader was terminated",
						PGC_ERROR_MAX);
			}
			memset(MySlot->conninfo, 0, PGC_CONNINFO_MAX);
			MySlot->leader_pid = 0;
		}
	}
	LWLockRelease(pgc_jobs->lock);
}

static void
worker_setup(bool coord)
{
	Oid			dboid;
	Oid			useroid;

	memcpy(&MyArg, MyBgworkerEntry->bgw_extra, sizeof(MyArg));
	MyIsCoord = coord;
	pqsignal(SIGINT, StatementCancelHandler);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	MySlot = pgc_job_slot(MyArg.slotno);
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (!MySlot->in_use || MySlot->job_id != MyArg.job_id)
	{
		LWLockRelease(pgc_jobs->lock);
		MySlot = NULL;
		proc_exit(0);
	}
	dboid = MySlot->dboid;
	useroid = MySlot->useroid;
	if (coord)
		MySlot->coord_pid = MyProcPid;
	else
	{
		MyEntry = &MySlot->workers[MyArg.workerno];
		MyEntry->table[0] = '\0';
		pg_atomic_write_u64(&MyEntry->bytes, 0);
		if (MyArg.workerno == 0)
			MySlot->leader_pid = MyProcPid;
		else
			MyEntry->pid = MyProcPid;
	}
	MyConninfo = MemoryContextStrdup(TopMemoryContext, MySlot->conninfo);
	MyOptionsJson = MemoryContextStrdup(TopMemoryContext, MySlot->options);
	LWLockRelease(pgc_jobs->lock);
	snprintf(MyJobId, sizeof(MyJobId), INT64_FORMAT, MyArg.job_id);

	before_shmem_exit(worker_exit, (Datum) 0);
	BackgroundWorkerInitializeConnectionByOid(dboid, useroid, 0);
	pgc_copy_progress_hook = progress_hook;
}

/* Options travel as canonical JSON and are parsed again here. */
static void
parse_options(void)
{
	MemoryContext old;

	xact_begin();
	old = MemoryContextSwitchTo(TopMemoryContext);
	pgc_options_parse(&MyOpts, MyOptionsJson,
					  PGC_OPTS_TABLE | PGC_OPTS_SCHEMA | PGC_OPT_PARALLEL);
	MemoryContextSwitchTo(old);
	xact_commit();
}

/* Connect to the source and open its read transaction (snapshot imported). */
static PGconn *
source_open(bool consistent, const char *snapshot)
{
	PGconn	   *conn;

	xact_begin();
	conn = pgc_connect(MyConninfo);
	pgc_begin_source_xact(conn, consistent, snapshot);
	pgc_conn_keep(conn);
	xact_commit();
	return conn;
}

/* ---------- one table ---------- */

/*
 * A pool worker reads table definitions in batches, as the synchronous clone
 * reads its whole plan (catalog/read_batch.c): before it loads a table that
 * is not in its current batch, it reads the definitions of that table and of
 * the next PREFETCH - 1 pending ones in one statement per catalog.  Tables
 * are still claimed one at a time, largest first, so the balance between
 * workers is kept; a definition read for a table that another worker then
 * claims costs only its rows.  The batch lives across the per-table
 * transactions, in its own memory context.
 */
#define PREFETCH 64

static MemoryContext prefetch_cxt = NULL;
static PgcObject *prefetched = NULL;
static int	nprefetched = 0;

static const char *
prefetched_oid(const char *nsp, const char *rel)
{
	int			i;

	for (i = 0; i < nprefetched; i++)
		if (strcmp(prefetched[i].nspname, nsp) == 0 && strcmp(prefetched[i].name, rel) == 0)
			return prefetched[i].oid;
	return NULL;
}

/* Make table ord, and the pending tables after it, the current batch. */
static void
prefetch_tables(PGconn *conn, int ord, const char *nsp, const char *rel)
{
	char		ordtxt[16];
	char		limit[16];
	const char *args[3] = {MyJobId, ordtxt, limit};
	List	   *nsps = NIL,
			   *rels = NIL;
	PgcRows    *r;
	MemoryContext old;
	int			i;

	if (prefetched_oid(nsp, rel) != NULL)
		return;
	if (prefetch_cxt == NULL)
		prefetch_cxt = AllocSetContextCreate(TopMemoryContext, "pgclone prefetch",
											 ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(prefetch_cxt);	/* forgets the last batch's model */
	prefetched = NULL;
	nprefetched = 0;
	old = MemoryContextSwitchTo(prefetch_cxt);
	snprintf(ordtxt, sizeof(ordtxt), "%d", ord);
	snprintf(limit, sizeof(limit), "%d", PREFETCH);
	r = job_query_xact("SELECT schema_name, table_name FROM pgclone.job_tables"
					   " WHERE job_id = $1::bigint"
					   "  AND (ord = $2::int OR state = 'pending' AND ord > $2::int)"
					   " ORDER BY ord LIMIT $3::int", 3, args);
	for (i = 0; i < r->nrows; i++)
	{
		nsps = lappend(nsps, pgc_val(r, i, 0));
		rels = lappend(rels, pgc_val(r, i, 1));
	}
	r = pgc_read_table_oids(conn, nsps, rels);
	prefetched = palloc0(sizeof(PgcObject) * Max(r->nrows, 1));
	for (i = 0; i < r->nrows; i++)
	{
		PgcObject  *o = &prefetched[i];

		o->kind = 'R';
		o->classid = RelationRelationId;
		o->oid = pgc_val(r, i, 2);
		o->objid = (Oid) strtoul(o->oid, NULL, 10);
		o->nspname = pgc_val(r, i, 0);
		o->name = pgc_val(r, i, 1);
	}
	nprefetched = r->nrows;
	pgc_catalog_begin(conn, prefetched, nprefetched, list_make1(pstrdup(MySlot->schema)));
	MemoryContextSwitchTo(old);
}

/*
 * A schema job's table, created empty by the pre-data phase: TRUNCATE gives
 * it a new file in this transaction (so COPY still uses FREEZE, and a
 * failure rolls back to the empty table), then its rows and its own
 * post-data as pgclone.schema() does them.  Foreign keys, sequence values
 * and the rest come in the post-data phase.
 */
static uint64
clone_pool_table(PGconn *conn, const char *nsp, const char *rel)
{
	PgcPlanTable *pt = pgc_plan_table_fetch(conn, prefetched_oid(nsp, rel), nsp, rel, &MyOpts);
	int			nest = pgc_plan_gucs();
	uint64		rows = 0;

	pgc_local_exec(psprintf("TRUNCATE ONLY %s", pgc_qname(nsp, rel)));
	if (MySlot->include_data)
	{
		/* checked by the pre-data phase */
		pgc_subset_assign(pgc_subset_build(conn, list_make1(pstrdup(MySlot->schema)),
										   &MyOpts, false), pt);
		rows = pgc_copy_table(conn, pt->table, &pt->target, pt->opts, true);
	}
	pgc_plan_exec(pgc_plan_table_post_data(pt, &MyOpts));
	AtEOXact_GUC(true, nest);
	return rows;
}

/* A table job: exactly pgclone.table(); rows read back from its result */
static uint64
clone_job_table(PGconn *conn, const char *nsp, const char *rel, const char *tgtname)
{
	char	   *res = pgc_clone_table(conn, nsp, rel, tgtname, MySlot->include_data, &MyOpts);
	char	   *p = strrchr(res, '(');

	return (p && isdigit((unsigned char) p[1])) ? strtou64(p + 1, NULL, 10) : 0;
}

static void
record_table_failure(int ord, ErrorData *e)
{
	bool		cancelled = job_cancelled() && e->sqlerrcode == ERRCODE_QUERY_CANCELED;
	char		ordtxt[16];
	const char *args[7];

	snprintf(ordtxt, sizeof(ordtxt), "%d", ord);
	args[0] = MyJobId;
	args[1] = ordtxt;
	args[2] = cancelled ? "cancelled" : "failed";
	args[3] = unpack_sql_state(e->sqlerrcode);
	args[4] = e->message ? e->message : "unknown error";
	args[5] = e->detail;
	args[6] = e->hint;
	pgc_job_sql_xact("UPDATE pgclone.job_tables SET state = $3, sqlstate = $4, error = $5,"
					 " error_detail = $6, error_hint = $7,"
					 " finished_at = now() WHERE job_id = $1::bigint AND ord = $2::int",
					 7, args);
	if (!cancelled)
	{
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		MySlot->tables_failed++;
		LWLockRelease(pgc_jobs->lock);
		note_error(e, NULL);
	}
}

/*
 * Create, load and index one table in one local transaction that also marks
 * it done: committed whole or not at all.  Returns false on failure.
 */
static bool
run_table(PGconn *conn, int ord, const char *nsp, const char *rel,
		  const char *tgtname, bool table_job)
{
	int			spi;
	volatile uint64 rows = 0;
	volatile uint64 bytes = 0;
	volatile bool ok = true;
	char	   *qn = pgc_qname(nsp, rel);

	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	strlcpy(MyEntry->table, qn, PGC_RELNAME_MAX);
	pg_atomic_write_u64(&MyEntry->bytes, 0);
	LWLockRelease(pgc_jobs->lock);

	PG_TRY();
	{
		char		ordtxt[16];
		char		rowstxt[32];
		char		bytestxt[32];
		const char *args[4];

		xact_begin();
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("pgclone job %s: cloning %s", MyJobId, qn));
		spi = pgc_spi_connect();
		rows = table_job ? clone_job_table(conn, nsp, rel, tgtname) :
			clone_pool_table(conn, nsp, rel);
		pgc_spi_finish(spi);
		bytes = pg_atomic_read_u64(&MyEntry->bytes);
		snprintf(ordtxt, sizeof(ordtxt), "%d", ord);
		snprintf(rowstxt, sizeof(rowstxt), UINT64_FORMAT, (uint64) rows);
		snprintf(bytestxt, sizeof(bytestxt), UINT64_FORMAT, (uint64) bytes);
		args[0] = MyJobId;
		args[1] = ordtxt;
		args[2] = rowstxt;
		args[3] = bytestxt;
		pgc_job_sql("UPDATE pgclone.job_tables SET state = 'done', rows_copied = $3::bigint,"
					" bytes_copied = $4::bigint, finished_at = now()"
					" WHERE job_id = $1::bigint AND ord = $2::int", 4, args);
		xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *e = catch_error();

		ok = false;
		ereport(LOG,
				(errmsg("pgclone job %s: table %s failed: %s", MyJobId, qn, e->message)));
		record_table_failure(ord, e);
	}
	PG_END_TRY();

	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (ok)
	{
		MySlot->tables_done++;
		MySlot->rows_done += rows;
		MySlot->bytes_done += bytes;
	}
	MyEntry->table[0] = '\0';
	pg_atomic_write_u64(&MyEntry->bytes, 0);
	LWLockRelease(pgc_jobs->lock);
	return ok;
}

/* Claim pending tables one at a time until none is left (or we must stop). */
static void
pool_loop(PGconn *conn)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "pgclone pool",
											  ALLOCSET_DEFAULT_SIZES);
	const char *args[1] = {MyJobId};

	for (;;)
	{
		MemoryContext old;
		PgcRows    *r;
		bool		ok;

		CHECK_FOR_INTERRUPTS();
		if (job_cancelled())
			break;
		MemoryContextReset(cxt);
		old = MemoryContextSwitchTo(cxt);
		r = job_query_xact("UPDATE pgclone.job_tables SET state = 'running', started_at = now()"
						   " WHERE job_id = $1::bigint AND ord = ("
						   "  SELECT ord FROM pgclone.job_tables WHERE job_id = $1::bigint"
						   "   AND state = 'pending' ORDER BY ord LIMIT 1 FOR UPDATE SKIP LOCKED)"
						   " RETURNING ord, schema_name, table_name", 1, args);
		MemoryContextSwitchTo(old);
		if (r->nrows == 0)
			break;
		prefetch_tables(conn, atoi(pgc_val(r, 0, 0)), pgc_val(r, 0, 1), pgc_val(r, 0, 2));
		ok = run_table(conn, atoi(pgc_val(r, 0, 0)), pgc_val(r, 0, 1), pgc_val(r, 0, 2),
					   NULL, false);
		/* after an error the source session is only reusable if still idle in its xact */
		if (!ok && PQtransactionStatus(conn) != PQTRANS_INTRANS)
			break;
	}
	MemoryContextDelete(cxt);
}

/* ---------- job records (a queued job has its row already: queue.c) ---------- */

static void
record_start(void)
{
	const char *a[12];
	char		par[16];
	char		owner[16];
	char		resumed[32];

	snprintf(par, sizeof(par), "%d", MySlot->parallel);
	snprintf(owner, sizeof(owner), "%u", MySlot->useroid);
	snprintf(resumed, sizeof(resumed), INT64_FORMAT, MySlot->resumed_from);
	a[0] = MyJobId;
	a[1] = MySlot->kind == PGC_KIND_TABLE ? "table" : "schema";
	a[2] = owner;
	a[3] = MySlot->safe_conninfo;
	a[4] = MySlot->schema;
	a[5] = MySlot->table[0] ? MySlot->table : NULL;
	a[6] = MySlot->target[0] ? MySlot->target : NULL;
	a[7] = MySlot->include_data ? "true" : "false";
	a[8] = MyOptionsJson;
	a[9] = par;
	a[10] = MySlot->resumed_from ? resumed : NULL;
	/* a queued job starts now: its time in the queue is not its run time */
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->started = GetCurrentTimestamp();
	LWLockRelease(pgc_jobs->lock);
	a[11] = timestamptz_to_str(MySlot->started);
	pgc_job_sql_xact("INSERT INTO pgclone.job_history (job_id, kind, owner_oid, source,"
					 " schema_name, table_name, target_name, include_data, options, parallel,"
					 " resumed_from, state, started_at) VALUES ($1::bigint, $2, $3::oid, $4, $5,"
					 " $6, $7, $8::boolean, $9, $10::int, $11::bigint, 'running', $12::timestamptz)"
					 " ON CONFLICT (job_id) DO UPDATE SET state = 'running', started_at = $12::timestamptz"
					 " WHERE job_history.state = 'queued'", 12, a);
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->state = PGC_JOB_RUNNING;
	LWLockRelease(pgc_jobs->lock);
}

/*
 * Insert the job's tables (schema, name[, size]) in the caller's
 * transaction; ones a resumed job's chain already finished stay done.
 */
static void
plan_tables_insert(PgcRows *tables)
{
	char		ordtxt[16];
	char		resumed[32];
	const char *a[5];
	int			i;

	snprintf(resumed, sizeof(resumed), INT64_FORMAT, MySlot->resumed_from);
	for (i = 0; i < tables->nrows; i++)
	{
		snprintf(ordtxt, sizeof(ordtxt), "%d", i);
		a[0] = MyJobId;
		a[1] = ordtxt;
		a[2] = pgc_val(tables, i, 0);
		a[3] = pgc_val(tables, i, 1);
		a[4] = MySlot->resumed_from ? resumed : NULL;
		pgc_job_sql("INSERT INTO pgclone.job_tables (job_id, ord, schema_name, table_name,"
					" state, fk_done, rows_copied, bytes_copied, finished_at)"
					" SELECT $1::bigint, $2::int, $3, $4,"
					"  CASE WHEN o.ord IS NULL THEN 'pending' ELSE 'done' END,"
					"  coalesce(o.fk_done, false), o.rows_copied, o.bytes_copied, o.finished_at"
					" FROM (SELECT 1) x LEFT JOIN LATERAL ("
					/* the whole chain: a resume that failed early planned nothing */
					"  WITH RECURSIVE chain(id) AS (SELECT $5::bigint UNION"
					"   SELECT h.resumed_from FROM pgclone.job_history h JOIN chain c"
					"   ON h.job_id = c.id WHERE h.resumed_from IS NOT NULL)"
					"  SELECT j.* FROM pgclone.job_tables j WHERE j.job_id IN (SELECT id FROM chain)"
					"   AND j.state = 'done' AND j.schema_name = $3 AND j.table_name = $4"
					"  ORDER BY j.job_id DESC LIMIT 1) o ON true",
					5, a);
	}
}

/* The slot's counters from the planned tables. */
static void
plan_counts(uint64 estimate)
{
	const char *a[1] = {MyJobId};
	PgcRows    *r;

	r = job_query_xact("SELECT count(*), count(*) FILTER (WHERE state = 'done'),"
					   " coalesce(sum(rows_copied), 0), coalesce(sum(bytes_copied), 0),"
					   " count(*) FILTER (WHERE state = 'failed')"
					   " FROM pgclone.job_tables WHERE job_id = $1::bigint", 1, a);
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->tables_total = atoi(pgc_val(r, 0, 0));
	MySlot->tables_done = atoi(pgc_val(r, 0, 1));
	MySlot->rows_done = strtou64(pgc_val(r, 0, 2), NULL, 10);
	MySlot->bytes_done = strtou64(pgc_val(r, 0, 3), NULL, 10);
	MySlot->bytes_estimate = estimate;
	MySlot->tables_failed = atoi(pgc_val(r, 0, 4));
	LWLockRelease(pgc_jobs->lock);
}

/* Plan the job's tables in a transaction of their own. */
static void
plan_tables(PgcRows *tables)
{
	uint64		estimate = 0;
	int			i;

	xact_begin();
	plan_tables_insert(tables);
	xact_commit();
	for (i = 0; i < tables->nrows; i++)
		if (tables->ncols > 2 && pgc_val(tables, i, 2))
			estimate += strtou64(pgc_val(tables, i, 2), NULL, 10);
	plan_counts(estimate);
}

/* Record the outcome: honest state from the per-table records. */
static void
finish_job(ErrorData *e)
{
	bool		cancel = job_cancelled();
	const char *a[4];
	PgcRows    *r;
	PgcJobState st;
	const char *sqlstate = NULL;
	const char *error = NULL;
	const char *detail = NULL;
	const char *hint = NULL;
	int			total,
				done,
				failed;

	a[0] = MyJobId;
	a[1] = cancel ? "cancelled" : "failed";
	a[2] = cancel ? "57014" : (e ? unpack_sql_state(e->sqlerrcode) : NULL);
	a[3] = cancel ? "cancelled by pgclone.cancel()" :
		(e ? "not cloned: the job stopped early" : "not cloned");
	/* claimed but never finished: its worker died (terminated, crashed) */
	if (!cancel)
		pgc_job_sql_xact("UPDATE pgclone.job_tables SET state = 'failed', sqlstate = '57P01',"
						 " error = 'interrupted: the worker cloning it exited before finishing',"
						 " finished_at = now() WHERE job_id = $1::bigint AND state = 'running'",
						 1, a);
	pgc_job_sql_xact("UPDATE pgclone.job_tables SET state = $2, sqlstate = $3, error = $4,"
					 " finished_at = now() WHERE job_id = $1::bigint"
					 " AND state IN ('pending', 'running')", 4, a);
	/* the first table that failed of itself: its error is the job's */
	r = job_query_xact("SELECT a.*, f.sqlstate, CASE WHEN f.error IS NOT NULL THEN"
					   "  format('table %s.%s: %s', quote_ident(f.schema_name),"
					   "   quote_ident(f.table_name), f.error) END, f.error_detail, f.error_hint"
					   " FROM (SELECT count(*), count(*) FILTER (WHERE state = 'done'),"
					   "  count(*) FILTER (WHERE state = 'failed'),"
					   "  coalesce(sum(rows_copied), 0), coalesce(sum(bytes_copied), 0)"
					   "  FROM pgclone.job_tables WHERE job_id = $1::bigint) a"
					   " LEFT JOIN LATERAL (SELECT * FROM pgclone.job_tables WHERE job_id = $1::bigint"
					   "  AND state = 'failed' AND error <> 'not cloned'"
					   "  ORDER BY finished_at, ord LIMIT 1) f ON true", 1, a);
	total = atoi(pgc_val(r, 0, 0));
	done = atoi(pgc_val(r, 0, 1));
	failed = atoi(pgc_val(r, 0, 2));

	if (cancel && !(MyAllDone && e == NULL && failed == 0 && done == total))
	{
		st = PGC_JOB_CANCELLED;
		sqlstate = "57014";
		error = "cancelled by pgclone.cancel()";
	}
	else if (e)
	{
		st = PGC_JOB_FAILED;
		sqlstate = unpack_sql_state(e->sqlerrcode);
		error = e->message;
		detail = e->detail;
		hint = e->hint;
	}
	else if (failed > 0 || done < total)
	{
		st = PGC_JOB_FAILED;
		sqlstate = pgc_val(r, 0, 5);
		error = pgc_val(r, 0, 6);
		detail = pgc_val(r, 0, 7);
		hint = pgc_val(r, 0, 8);
		if (error == NULL)
		{
			LWLockAcquire(pgc_jobs->lock, LW_SHARED);
			sqlstate = MySlot->sqlstate[0] ? pstrdup(MySlot->sqlstate) : "XX000";
			error = MySlot->error[0] ? pstrdup(MySlot->error) : "some tables were not cloned";
			detail = MySlot->detail[0] ? pstrdup(MySlot->detail) : NULL;
			hint = MySlot->hint[0] ? pstrdup(MySlot->hint) : NULL;
			LWLockRelease(pgc_jobs->lock);
		}
	}
	else
		st = PGC_JOB_COMPLETED;

	{
		const char *b[11];

		b[9] = detail;
		b[10] = hint;
		b[0] = MyJobId;
		b[1] = pgc_job_state_name(st);
		b[2] = sqlstate;
		b[3] = error;
		b[4] = pgc_val(r, 0, 0);
		b[5] = pgc_val(r, 0, 1);
		b[6] = pgc_val(r, 0, 2);
		b[7] = pgc_val(r, 0, 3);
		b[8] = pgc_val(r, 0, 4);
		pgc_job_sql_xact("UPDATE pgclone.job_history SET state = $2, sqlstate = $3, error = $4,"
						 " tables_total = $5::int, tables_done = $6::int, tables_failed = $7::int,"
						 " rows_copied = $8::bigint, bytes_copied = $9::bigint, finished_at = now(),"
						 " error_detail = $10, error_hint = $11"
						 " WHERE job_id = $1::bigint", 11, b);
	}

	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->state = st;
	MySlot->finished = GetCurrentTimestamp();
	MySlot->tables_total = total;
	MySlot->tables_done = done;
	MySlot->tables_failed = failed;
	MySlot->rows_done = strtou64(pgc_val(r, 0, 3), NULL, 10);
	MySlot->bytes_done = strtou64(pgc_val(r, 0, 4), NULL, 10);
	strlcpy(MySlot->sqlstate, sqlstate ? sqlstate : "", sizeof(MySlot->sqlstate));
	strlcpy(MySlot->error, error ? error : "", PGC_ERROR_MAX);
	strlcpy(MySlot->detail, detail ? detail : "", PGC_ERROR_MAX);
	strlcpy(MySlot->hint, hint ? hint : "", PGC_ERROR_MAX);
	strlcpy(MySlot->phase, "done", sizeof(MySlot->phase));
	memset(MySlot->conninfo, 0, PGC_CONNINFO_MAX);	/* the password goes now */
	LWLockRelease(pgc_jobs->lock);
}

/* ---------- the table job ---------- */

static void
run_table_job(void)
{
	PGconn	   *conn;
	PgcRows    *list = palloc0(sizeof(PgcRows));
	char	   *vals[3];
	const char *a[2] = {MySlot->schema, MySlot->table};

	set_phase("connecting");
	conn = source_open(MyOpts.consistent, NULL);
	vals[0] = MySlot->schema;
	vals[1] = MySlot->table;
	vals[2] = NULL;
	/* the table's size on the source: the denominator of "percent" */
	xact_begin();
	{
		PgcRows    *sz = pgc_query_params(conn,
										  "SELECT pg_catalog.pg_table_size(c.oid)"
										  " FROM pg_catalog.pg_class c"
										  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
										  " WHERE n.nspname = $1 AND c.relname = $2", 2, a);

		if (sz->nrows == 1 && pgc_val(sz, 0, 0))
			vals[2] = MemoryContextStrdup(TopMemoryContext, pgc_val(sz, 0, 0));
	}
	xact_commit();
	list->nrows = 1;
	list->ncols = 3;
	list->values = vals;
	plan_tables(list);
	if (MySlot->tables_done == 0)
	{
		set_phase("copy");
		set_interruptible(true);
		MyAllDone = run_table(conn, 0, MySlot->schema, MySlot->table,
							  MySlot->target[0] ? MySlot->target : NULL, true);
		set_interruptible(false);
	}
	else
		MyAllDone = true;
	pgc_disconnect(conn);
}

/* ---------- the schema job ---------- */

static char *
wait_snapshot(BackgroundWorkerHandle *coord)
{
	pid_t		pid;

	for (;;)
	{
		char	   *snap = NULL;
		bool		failed;
		char		state[6];
		char		why[PGC_ERROR_MAX];

		LWLockAcquire(pgc_jobs->lock, LW_SHARED);
		if (MySlot->snapshot[0])
			snap = pstrdup(MySlot->snapshot);
		failed = MySlot->coord_failed;
		memcpy(state, MySlot->sqlstate, sizeof(state));
		strlcpy(why, MySlot->error, sizeof(why));
		LWLockRelease(pgc_jobs->lock);
		if (snap)
			return snap;
		if (failed || (coord && GetBackgroundWorkerPid(coord, &pid) == BGWH_STOPPED))
			ereport(ERROR,
					(errcode(state[0] ? MAKE_SQLSTATE(state[0], state[1], state[2],
													  state[3], state[4]) :
							 ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("%s", why[0] ? why :
							"the snapshot coordinator could not export a snapshot")));
		if (job_cancelled())
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling the job due to user request")));
		wait_a_bit(10);
	}
}

static void
count_attached(void)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->nattached++;
	LWLockRelease(pgc_jobs->lock);
}

static void
release_snapshot(void)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->release_snapshot = true;
	LWLockRelease(pgc_jobs->lock);
}

static void
wait_stopped(BackgroundWorkerHandle *h)
{
	pid_t		pid;
	int			n = 0;

	while (h && GetBackgroundWorkerPid(h, &pid) != BGWH_STOPPED)
	{
		wait_a_bit(50);
		/* a queue that a full server held up moves on once a second */
		if (++n % 20 == 0)
			pgc_jobs_dispatch();
	}
}

/* Start the pool, wait for it; fall back to doing the work ourselves. */
static void
run_pool(PGconn *conn, BackgroundWorkerHandle *coord)
{
	int			pending = MySlot->tables_total - MySlot->tables_done - MySlot->tables_failed;
	int			n = Min(Min(MySlot->parallel, pending), MAX_POOL);
	int			i;

	pool_n = 0;
	for (i = 1; i <= n; i++)
	{
		BackgroundWorkerHandle *h = pgc_start_worker_wait(MySlot, MyArg.slotno,
														  "pgclone_pool_main",
														  "pgclone: pool worker", i,
														  pool_n == i - 1 ? 1000 : 0);

		if (h)
			pool_handles[pool_n++] = h;
	}
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->nexpected = 1 + pool_n;
	LWLockRelease(pgc_jobs->lock);
	if (pool_n < n)
		ereport(LOG,
				(errmsg("pgclone job %s: started %d of %d pool workers", MyJobId, pool_n, n),
				 errhint("Raise max_worker_processes.")));

	if (pool_n == 0 && pending > 0)
	{
		set_interruptible(true);
		pool_loop(conn);
		set_interruptible(false);
	}
	for (i = 0; i < pool_n; i++)
		wait_stopped(pool_handles[i]);
	pool_n = 0;
	release_snapshot();
	wait_stopped(coord);
	/* post-data needs the leader only: the rest of the reservation goes */
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	MySlot->workers_needed = 1;
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
		if (MySlot->workers[i].pid)
			kill(MySlot->workers[i].pid, SIGINT);
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
 * The nearest job of the resume chain whose pre-data phase committed
 * (NULL: none, run it); *skipped gets the objects that phase skipped.
 */
static char *
predata_done_by(char **skipped)
{
	char		resumed[32];
	const char *a[1] = {resumed};
	PgcRows    *r;

	*skipped = NULL;
	if (MySlot->resumed_from == 0)
		return NULL;
	snprintf(resumed, sizeof(resumed), INT64_FORMAT, MySlot->resumed_from);
	r = job_query_xact("WITH RECURSIVE chain(id, depth) AS (SELECT $1::bigint, 0 UNION ALL"
					   "  SELECT h.resumed_from, c.depth + 1 FROM pgclone.job_history h JOIN chain c"
					   "  ON h.job_id = c.id WHERE h.resumed_from IS NOT NULL)"
					   " SELECT h.job_id, h.predata_skip FROM chain c"
					   " JOIN pgclone.job_history h ON h.job_id = c.id"
					   " WHERE h.predata_done ORDER BY c.depth LIMIT 1", 1, a);
	if (r->nrows == 0)
		return NULL;
	*skipped = pgc_val(r, 0, 1);
	return pgc_val(r, 0, 0);
}

/* Record, with the planned tables, that pre-data is in (same transaction). */
static void
predata_record(const char *skipped)
{
	const char *a[2] = {MyJobId, skipped};

	pgc_job_sql("UPDATE pgclone.job_history SET predata_done = true, predata_skip = $2"
				" WHERE job_id = $1::bigint", 2, a);
}

/*
 * A schema whose clone needs more than half the lock table: the phase
 * commits in steps (locks.c) under the non-atomic SPI connection.
 */
static bool
steps_if_needed(PGconn *conn)
{
	PgcLockEstimate e;

	pgc_lock_estimate(conn, list_make1(pstrdup(MySlot->schema)), NULL, &MyOpts, &e);
	if (e.needed <= e.capacity / 2)
		return false;
	ereport(LOG,
			(errmsg("pgclone job %s: about %d locks, more than half the lock table (%d): the phase commits in steps",
					MyJobId, e.needed, e.capacity)));
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
	PgcOptions	o = MyOpts;
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
	strlcpy(MySlot->options, json, PGC_OPTIONS_MAX);
	LWLockRelease(pgc_jobs->lock);
	MyOptionsJson = MemoryContextStrdup(TopMemoryContext, json);
}

static void
run_pre_data(PGconn *conn)
{
	int			spi;
	const char *a[1] = {MySlot->schema};
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

	xact_begin();
	spi = pgc_spi_connect_ext(SPI_OPT_NONATOMIC);	/* steps may commit under it */
	if (pgc_query_params(conn, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
						 1, a)->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_SCHEMA_NAME),
				 errmsg("schema \"%s\" does not exist on the source", MySlot->schema)));
	steps = steps_if_needed(conn);
	nest = pgc_plan_gucs();
	plan = pgc_plan_read(conn, list_make1(pstrdup(MySlot->schema)), false, false, &MyOpts);
	if (MySlot->include_data)
		(void) pgc_subset_build(conn, plan->schemas, &MyOpts, true);
	was_skipped = palloc0(sizeof(bool) * Max(1, plan->nobjects));
	for (i = 0; i < plan->nobjects; i++)
		was_skipped[i] = plan->objects[i].skip;
	pgc_plan_pre_data(conn, plan, &MyOpts);
	folded = pgc_plan_masks(plan, &MyOpts);
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
	plan_tables_insert(list);
	predata_record(skipped.data);
	pgc_spi_finish(spi);
	xact_commit();
	if (folded)
		parse_options();		/* MyOpts.mask pointed into that transaction */
	if (steps)
		pgc_steps_end();
	plan_counts(estimate);
}

/* A resumed job whose chain did pre-data: the same tables, done ones stay done. */
static void
resume_pre_data(const char *from, const char *skipped)
{
	const char *a[1] = {from};
	PgcRows    *list;

	xact_begin();
	list = pgc_job_query("SELECT schema_name, table_name FROM pgclone.job_tables"
						 " WHERE job_id = $1::bigint ORDER BY ord", 1, a);
	plan_tables_insert(list);
	predata_record(skipped);
	xact_commit();
	plan_counts(0);
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

	xact_begin();
	spi = pgc_spi_connect_ext(SPI_OPT_NONATOMIC);	/* steps may commit under it */
	steps = steps_if_needed(conn);
	nest = pgc_plan_gucs();
	plan = pgc_plan_read(conn, list_make1(pstrdup(MySlot->schema)), false, false, &MyOpts);
	for (i = 0; i < plan->nobjects; i++)
	{
		PgcObject  *o = &plan->objects[i];

		if (o->skip)
			continue;
		if (skipped && strstr(skipped, object_key(o)))
			o->skip = true;
		/* a resume reads a newer snapshot: what pre-data did not create stays out */
		else if (resumed && !pgc_object_exists_locally(conn, o))
		{
			ereport(LOG,
					(errmsg("pgclone job %s: %s is new on the source since the pre-data phase, not cloned",
							MyJobId, pgc_qname(o->nspname, o->name))));
			o->skip = true;
		}
	}
	pgc_plan_tables(conn, plan, &MyOpts);
	pgc_steps_exec(pgc_plan_post_data_ex(conn, plan, &MyOpts, false));
	AtEOXact_GUC(true, nest);
	pgc_spi_finish(spi);
	xact_commit();
	if (steps)
		pgc_steps_end();
}

static void
run_schema_job(void)
{
	BackgroundWorkerHandle *coord = NULL;
	bool		pool = MySlot->parallel > 1;
	char	   *snapshot = NULL;
	PGconn	   *conn;
	char	   *skipped;
	char	   *from;
	int			done;

	if (pool && MyOpts.consistent)
	{
		set_phase("snapshot");
		coord = pgc_start_worker_wait(MySlot, MyArg.slotno, "pgclone_coord_main",
									  "pgclone: snapshot coordinator", -1, -1);
		snapshot = wait_snapshot(coord);
	}
	set_phase("connecting");
	conn = source_open(MyOpts.consistent, snapshot);
	if (coord)
		count_attached();

	set_phase("pre-data");
	set_interruptible(true);
	from = predata_done_by(&skipped);
	if (from)
		resume_pre_data(from, skipped);
	else
	{
		run_pre_data(conn);
		skipped = NULL;
	}
	set_interruptible(false);

	set_phase("copy");
	if (!pool)
	{
		set_interruptible(true);
		pool_loop(conn);
		set_interruptible(false);
	}
	else
		run_pool(conn, coord);

	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	done = MySlot->tables_done;
	LWLockRelease(pgc_jobs->lock);
	if (!job_cancelled() && done == MySlot->tables_total)
	{
		const char *a[1] = {MyJobId};
		PgcRows    *r;

		/* the skip list as this job recorded it */
		r = job_query_xact("SELECT predata_skip FROM pgclone.job_history"
						   " WHERE job_id = $1::bigint", 1, a);
		set_phase("post-data");
		set_interruptible(true);
		run_post_data(conn, pgc_val(r, 0, 0), from != NULL);
		set_interruptible(false);
		MyAllDone = true;
	}
	pgc_disconnect(conn);
}

/* ---------- entry points ---------- */

void
pgclone_job_main(Datum main_arg)
{
	worker_setup(false);
	PG_TRY();
	{
		parse_options();
		record_start();
		if (MySlot->kind == PGC_KIND_TABLE)
			run_table_job();
		else
			run_schema_job();
		set_phase("finishing");
		finish_job(NULL);
	}
	PG_CATCH();
	{
		ErrorData  *e = catch_error();

		ereport(LOG, (errmsg("pgclone job %s failed: %s", MyJobId, e->message)));
		stop_pool();
		release_snapshot();
		finish_job(e);
	}
	PG_END_TRY();
	/* its reservation ended with the job: the next queued one may start */
	pgc_jobs_dispatch();
	proc_exit(0);
}

void
pgclone_pool_main(Datum main_arg)
{
	volatile bool counted = false;
	PGconn	   *conn;

	worker_setup(false);
	PG_TRY();
	{
		char	   *snapshot = NULL;

		parse_options();
		if (MyOpts.consistent)
			snapshot = wait_snapshot(NULL);
		conn = source_open(MyOpts.consistent, snapshot);
		count_attached();
		counted = true;
		pool_loop(conn);
		pgc_disconnect(conn);
	}
	PG_CATCH();
	{
		ErrorData  *e = catch_error();

		if (!counted)
			count_attached();
		if (!job_cancelled())
		{
			ereport(LOG, (errmsg("pgclone job %s: pool worker %d failed: %s",
								 MyJobId, MyArg.workerno, e->message)));
			note_error(e, "pool worker: ");
		}
	}
	PG_END_TRY();
	proc_exit(0);
}

void
pgclone_coord_main(Datum main_arg)
{
	worker_setup(true);
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("pgclone job %s: holding the exported snapshot", MyJobId));
	PG_TRY();
	{
		PGconn	   *conn;
		char	   *snap;
		pid_t		leader;

		xact_begin();
		conn = pgc_connect(MyConninfo);
		pgc_begin_source_xact(conn, true, NULL);
		snap = MemoryContextStrdup(TopMemoryContext, pgc_export_snapshot(conn));
		pgc_conn_keep(conn);
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		strlcpy(MySlot->snapshot, snap, sizeof(MySlot->snapshot));
		leader = MySlot->leader_pid;
		LWLockRelease(pgc_jobs->lock);
		xact_commit();

		/* hold the exporting transaction until every importer is bound */
		for (;;)
		{
			bool		done;
			int			nattached;

			LWLockAcquire(pgc_jobs->lock, LW_SHARED);
			done = MySlot->release_snapshot || MySlot->cancel ||
				(MySlot->nexpected > 0 && MySlot->nattached >= MySlot->nexpected);
			nattached = MySlot->nattached;
			LWLockRelease(pgc_jobs->lock);
			if (done || kill(leader, 0) != 0)
			{
				ereport(LOG,
						(errmsg("pgclone job %s: snapshot coordinator released snapshot %s"
								" after %d importers", MyJobId, snap, nattached)));
				break;
			}
			wait_a_bit(10);
		}
		xact_begin();
		pgc_command(conn, "COMMIT");
		pgc_disconnect(conn);
		xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *e = catch_error();

		ereport(LOG, (errmsg("pgclone job %s: snapshot coordinator failed: %s",
							 MyJobId, e->message)));
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		MySlot->coord_failed = true;
		LWLockRelease(pgc_jobs->lock);
		note_error(e, "snapshot coordinator: ");
	}
	PG_END_TRY();
	proc_exit(0);
}
