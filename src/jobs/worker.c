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
 *
 * This file: what every worker of a job shares — the process's job
 * (pgc_my_*), its start and exit, local transactions, interrupts, phase and
 * error reporting, the source connection.  leader.c, pool.c and
 * snapshot_coord.c are the three kinds of worker; history.c their records.
 */
#include "jobs/jobs_int.h"
#include "clone/schema.h"

#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

PgcWorkerArg pgc_my_arg;
PgcJobSlot *pgc_my_slot = NULL;
PgcWorkerEntry *pgc_my_entry = NULL;
PgcOptions	pgc_my_opts;
char	   *pgc_my_conninfo = NULL;
char	   *pgc_my_options_json = NULL;
char		pgc_my_job_id[32];
static bool MyIsCoord = false;
bool		pgc_my_all_done = false;	/* everything is in: a cancel came too late */

/* ---------- small helpers ---------- */

void
pgc_xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

void
pgc_xact_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
}

void
pgc_job_sql_xact(const char *sql, int nargs, const char **args)
{
	pgc_xact_begin();
	pgc_job_sql(sql, nargs, args);
	pgc_xact_commit();
}

PgcRows *
pgc_job_query_xact(const char *sql, int nargs, const char **args)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext old;
	PgcRows    *r;

	pgc_xact_begin();
	old = MemoryContextSwitchTo(outer);
	r = pgc_job_query(sql, nargs, args);
	MemoryContextSwitchTo(old);
	pgc_xact_commit();
	return r;
}

/* Copy out the error being handled, clear it, abort the local transaction. */
ErrorData *
pgc_catch_error(void)
{
	ErrorData  *e;

	MemoryContextSwitchTo(TopMemoryContext);
	e = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	return e;
}

void
pgc_wait_a_bit(long ms)
{
	int			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							   ms, PG_WAIT_EXTENSION);

	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

bool
pgc_job_cancelled(void)
{
	bool		c;

	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	c = pgc_my_slot->cancel;
	LWLockRelease(pgc_jobs->lock);
	return c;
}

void
pgc_set_phase(const char *phase)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	strlcpy(pgc_my_slot->phase, phase, sizeof(pgc_my_slot->phase));
	LWLockRelease(pgc_jobs->lock);
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("pgclone job %s: %s", pgc_my_job_id, phase));
}

/* A worker doing table work gets SIGINT from cancel(); the pool leader does not. */
void
pgc_set_interruptible(bool on)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_entry->pid = on ? MyProcPid : 0;
	LWLockRelease(pgc_jobs->lock);
	if (on && pgc_my_slot->cancel)
		kill(MyProcPid, SIGINT);
}

static void
progress_hook(uint64 bytes)
{
	if (pgc_my_entry)
		pg_atomic_write_u64(&pgc_my_entry->bytes, bytes);
}

/* Remember the first error for the live view; the history keeps them all. */
void
pgc_note_error(ErrorData *e, const char *prefix)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_job_keep_error(pgc_my_slot, e, prefix);
	LWLockRelease(pgc_jobs->lock);
}

/* ---------- worker life cycle ---------- */

static void
worker_exit(int code, Datum arg)
{
	if (pgc_my_slot == NULL)
		return;
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (pgc_my_slot->in_use && pgc_my_slot->job_id == pgc_my_arg.job_id)
	{
		if (pgc_my_entry && pgc_my_entry->pid == MyProcPid)
			pgc_my_entry->pid = 0;
		if (pgc_my_entry)
			pgc_my_entry->table[0] = '\0';
		if (MyIsCoord)
		{
			if (pgc_my_slot->snapshot[0] == '\0')
				pgc_my_slot->coord_failed = true;
			pgc_my_slot->coord_pid = 0;
		}
		if (pgc_my_arg.workerno == 0 && !MyIsCoord)
		{
			/* terminated (FATAL) before recording an outcome */
			pgc_job_leader_gone(pgc_my_slot, "job leader");
		}
	}
	LWLockRelease(pgc_jobs->lock);
}

void
pgc_worker_setup(bool coord)
{
	Oid			dboid;
	Oid			useroid;

	memcpy(&pgc_my_arg, MyBgworkerEntry->bgw_extra, sizeof(pgc_my_arg));
	MyIsCoord = coord;
	pqsignal(SIGINT, StatementCancelHandler);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	pgc_my_slot = pgc_job_slot(pgc_my_arg.slotno);
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (!pgc_my_slot->in_use || pgc_my_slot->job_id != pgc_my_arg.job_id)
	{
		LWLockRelease(pgc_jobs->lock);
		pgc_my_slot = NULL;
		proc_exit(0);
	}
	dboid = pgc_my_slot->dboid;
	useroid = pgc_my_slot->useroid;
	if (coord)
		pgc_my_slot->coord_pid = MyProcPid;
	else
	{
		pgc_my_entry = &pgc_my_slot->workers[pgc_my_arg.workerno];
		pgc_my_entry->table[0] = '\0';
		pg_atomic_write_u64(&pgc_my_entry->bytes, 0);
		if (pgc_my_arg.workerno == 0)
			pgc_my_slot->leader_pid = MyProcPid;
		else
			pgc_my_entry->pid = MyProcPid;
	}
	pgc_my_conninfo = MemoryContextStrdup(TopMemoryContext, pgc_my_slot->conninfo);
	pgc_my_options_json = MemoryContextStrdup(TopMemoryContext, pgc_my_slot->options);
	LWLockRelease(pgc_jobs->lock);
	snprintf(pgc_my_job_id, sizeof(pgc_my_job_id), INT64_FORMAT, pgc_my_arg.job_id);

	before_shmem_exit(worker_exit, (Datum) 0);
	BackgroundWorkerInitializeConnectionByOid(dboid, useroid, 0);
	pgc_copy_progress_hook = progress_hook;
}

/* Options travel as canonical JSON and are parsed again here. */
void
pgc_parse_options(void)
{
	MemoryContext old;

	pgc_xact_begin();
	old = MemoryContextSwitchTo(TopMemoryContext);
	pgc_options_parse(&pgc_my_opts, pgc_my_options_json,
					  PGC_OPTS_TABLE | PGC_OPTS_SCHEMA | PGC_OPT_PARALLEL);
	MemoryContextSwitchTo(old);
	pgc_xact_commit();
}

/* Connect to the source and open its read transaction (snapshot imported). */
PGconn *
pgc_source_open(bool consistent, const char *snapshot)
{
	PGconn	   *conn;

	pgc_xact_begin();
	conn = pgc_connect(pgc_my_conninfo);
	pgc_begin_source_xact(conn, consistent, snapshot);
	pgc_conn_keep(conn);
	pgc_xact_commit();
	return conn;
}
