/*
 * refresh_worker.c — the background workers of a pgclone.refresh() job.
 *
 * refresh leader : connected to the database refresh() was called in, as
 *                  the caller's role.  Creates T__pgc_new (CREATE DATABASE
 *                  cannot run in a function, but can in a worker's own
 *                  transaction), starts the clone worker and waits for it,
 *                  then swaps (refresh.c).  If anything fails before the
 *                  swap commits, it drops T__pgc_new: T was never touched.
 * clone worker   : connected to T__pgc_new.  Installs pgclone there, clones
 *                  the source in steps (the database_create() clone), runs
 *                  verify() and the "post_sql" statements (one transaction).
 *
 * Both share the job's shared-memory slot.  For a refresh, the slot's
 * tables_total/tables_done count the four phases (clone, verify,
 * post-steps, swap), and its snapshot field carries the source's time of
 * the clone's snapshot from the clone worker to the leader.
 */
#include "jobs/refresh.h"
#include "clone/schema.h"

#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#define CLONE_WORKER_NO 1		/* the clone worker's entry in the slot */

static PgcWorkerArg RArg;
static PgcJobSlot *RSlot = NULL;
static bool RIsLeader = false;
static char RJobId[32];
static char *RConninfo;
static char *ROptions;
static char *RTarget;
static bool RData;
static bool RNewCreated = false;	/* leader: T__pgc_new is ours to drop */
static bool RSwapped = false;

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

/* phase shown by jobs_view; done >= 0 sets how many phases are finished */
static void
set_phase(const char *phase, int done)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	strlcpy(RSlot->phase, phase, sizeof(RSlot->phase));
	if (done >= 0)
		RSlot->tables_done = done;
	LWLockRelease(pgc_jobs->lock);
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("pgclone job %s: refresh %s", RJobId, phase));
}

static bool
cancelled(void)
{
	bool		c;

	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	c = RSlot->cancel;
	LWLockRelease(pgc_jobs->lock);
	return c;
}

static void
check_cancel(void)
{
	if (cancelled())
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("cancelled by pgclone.cancel()")));
}

/*
 * cancel() signals the workers listed in the slot: the leader is listed
 * until the swap is about to commit; from then on the refresh completes.
 */
static void
set_interruptible(bool on)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	RSlot->workers[0].pid = on ? MyProcPid : 0;
	LWLockRelease(pgc_jobs->lock);
	if (!on)
		QueryCancelPending = false;	/* a cancel that came too late */
}

static void
progress_hook(uint64 bytes)
{
	pg_atomic_write_u64(&RSlot->workers[CLONE_WORKER_NO].bytes, bytes);
}

static void
refresh_exit(int code, Datum arg)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (RSlot->in_use && RSlot->job_id == RArg.job_id)
	{
		if (!RIsLeader)
			RSlot->workers[CLONE_WORKER_NO].pid = 0;
		else
			pgc_job_leader_gone(RSlot, "refresh leader");
	}
	LWLockRelease(pgc_jobs->lock);
}

/* Attach to the job's slot; returns the role to connect as. */
static Oid
attach(bool leader)
{
	Oid			useroid;

	memcpy(&RArg, MyBgworkerEntry->bgw_extra, sizeof(RArg));
	RIsLeader = leader;
	pqsignal(SIGINT, StatementCancelHandler);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	RSlot = pgc_job_slot(RArg.slotno);
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (!RSlot->in_use || RSlot->job_id != RArg.job_id)
	{
		LWLockRelease(pgc_jobs->lock);
		proc_exit(0);
	}
	if (leader)
	{
		RSlot->leader_pid = MyProcPid;
		RSlot->tables_total = PGC_REFRESH_PHASES;
	}
	else
		RSlot->workers[CLONE_WORKER_NO].pid = MyProcPid;	/* cancel() signals it */
	useroid = RSlot->useroid;
	RData = RSlot->include_data;
	RConninfo = MemoryContextStrdup(TopMemoryContext, RSlot->conninfo);
	ROptions = MemoryContextStrdup(TopMemoryContext, RSlot->options);
	RTarget = MemoryContextStrdup(TopMemoryContext, RSlot->target);
	LWLockRelease(pgc_jobs->lock);
	snprintf(RJobId, sizeof(RJobId), INT64_FORMAT, RArg.job_id);
	before_shmem_exit(refresh_exit, (Datum) 0);
	return useroid;
}

/* Options are parsed again in each worker (in a transaction: jsonb, parser) */
static void
parse_options(PgcRefreshOpts *ro, PgcOptions *copts)
{
	MemoryContext old;

	xact_begin();
	old = MemoryContextSwitchTo(TopMemoryContext);
	pgc_refresh_options(ROptions[0] ? ROptions : NULL, ro, copts);
	MemoryContextSwitchTo(old);
	xact_commit();
}

/* ---------- the clone worker ---------- */

/* verify() in the new database: any table not marked OK fails the refresh */
static void
run_verify(const char *mode)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	int			spi = pgc_spi_connect();
	bool		isnull;
	int64		bad;

	values[0] = CStringGetTextDatum(RConninfo);
	values[1] = CStringGetTextDatum(psprintf("{\"mode\": \"%s\"}", mode));
	if (SPI_execute_with_args("SELECT count(*), string_agg(pg_catalog.format('%I.%I %s',"
							  "  schema_name, table_name, match), ', ')"
							  " FROM pgclone.verify($1, NULL, $2)"
							  " WHERE match NOT LIKE U&'\\2713%'",
							  2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not run verify()");
	bad = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (bad > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("verify (mode %s) found " INT64_FORMAT " table(s) that differ: %s",
						mode, bad, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
				 errhint("The refresh option \"verify\" chooses the check: \"integrity\", \"fast\", \"exact\", \"checksum\" or false.")));
	pgc_spi_finish(spi);
}

/*
 * The user's statements, as a session of the new database would run them:
 * the clone set search_path = pg_catalog for this session, so it is reset.
 */
static void
run_post_sql(List *stmts)
{
	ListCell   *lc;

	SPI_connect();
	if (SPI_execute("RESET search_path", false, 0) < 0)
		elog(ERROR, "pgclone: could not reset search_path");
	foreach(lc, stmts)
	{
		int			rc = SPI_execute((const char *) lfirst(lc), false, 0);

		if (rc < 0)
			elog(ERROR, "pgclone: SPI_execute failed (%s)", SPI_result_code_string(rc));
	}
	SPI_finish();
}

static void
child_failed(ErrorData *e, const char *phase)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	strlcpy(RSlot->sqlstate, unpack_sql_state(e->sqlerrcode), sizeof(RSlot->sqlstate));
	snprintf(RSlot->error, PGC_ERROR_MAX, "%s: %s", phase,
			 e->message ? e->message : "unknown error");
	LWLockRelease(pgc_jobs->lock);
}

void
pgclone_refresh_clone_main(Datum main_arg)
{
	Oid			useroid = attach(false);
	const char *volatile phase = "clone";

	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), useroid, 0);
	pgc_copy_progress_hook = progress_hook;
	PG_TRY();
	{
		PgcRefreshOpts ro;
		PgcOptions	copts;
		char	   *snap = NULL;
		uint64		rows = 0;
		int			spi;

		parse_options(&ro, &copts);
		set_phase("clone", 0);
		xact_begin();
		spi = pgc_spi_connect();
		pgc_local_exec("CREATE EXTENSION IF NOT EXISTS pgclone");
		pgc_spi_finish(spi);
		(void) pgc_clone_database_steps(RConninfo, RData, &copts, &snap, &rows);
		xact_commit();
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		strlcpy(RSlot->snapshot, snap ? snap : "", sizeof(RSlot->snapshot));
		RSlot->rows_done = rows;
		LWLockRelease(pgc_jobs->lock);

		phase = "verify";
		set_phase(phase, 1);
		if (ro.verify)
		{
			xact_begin();
			run_verify(ro.verify);
			xact_commit();
		}
		phase = "post-steps";
		set_phase(phase, 2);
		if (ro.post_sql)
		{
			xact_begin();
			run_post_sql(ro.post_sql);
			xact_commit();
		}
		set_phase("built", 3);
	}
	PG_CATCH();
	{
		ErrorData  *e = catch_error();

		ereport(LOG, (errmsg("pgclone job %s: refresh %s failed: %s", RJobId, phase, e->message)));
		child_failed(e, phase);
	}
	PG_END_TRY();
	proc_exit(0);
}

/* ---------- the leader ---------- */

static void
record_start(void)
{
	const char *a[6];
	char		owner[16];

	snprintf(owner, sizeof(owner), "%u", RSlot->useroid);
	a[0] = RJobId;
	a[1] = owner;
	a[2] = RSlot->safe_conninfo;
	a[3] = RTarget;
	a[4] = RData ? "true" : "false";
	a[5] = ROptions;
	xact_begin();
	pgc_job_sql("INSERT INTO pgclone.job_history (job_id, kind, owner_oid, source,"
				" schema_name, target_name, include_data, options, parallel, state,"
				" tables_total) VALUES ($1::bigint, 'refresh', $2::oid, $3, '', $4,"
				" $5::boolean, $6, 1, 'running', 4) ON CONFLICT (job_id) DO NOTHING", 6, a);
	xact_commit();
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	RSlot->state = PGC_JOB_RUNNING;
	LWLockRelease(pgc_jobs->lock);
}

static void
record_end(ErrorData *e)
{
	bool		cancel = e && cancelled();
	PgcJobState st = e == NULL ? PGC_JOB_COMPLETED :
		cancel ? PGC_JOB_CANCELLED : PGC_JOB_FAILED;
	const char *sqlstate = e == NULL ? NULL : cancel ? "57014" : unpack_sql_state(e->sqlerrcode);
	const char *error = e == NULL ? NULL : cancel ? "cancelled by pgclone.cancel()" : e->message;
	const char *a[6];
	char		done[16];
	char		rows[32];

	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	snprintf(done, sizeof(done), "%d", RSlot->tables_done);
	snprintf(rows, sizeof(rows), UINT64_FORMAT, RSlot->rows_done);
	LWLockRelease(pgc_jobs->lock);
	a[0] = RJobId;
	a[1] = pgc_job_state_name(st);
	a[2] = sqlstate;
	a[3] = error;
	a[4] = done;
	a[5] = rows;
	xact_begin();
	pgc_job_sql("UPDATE pgclone.job_history SET state = $2, sqlstate = $3, error = $4,"
				" tables_done = $5::int, rows_copied = $6::bigint, finished_at = now()"
				" WHERE job_id = $1::bigint", 6, a);
	xact_commit();
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	RSlot->state = st;
	RSlot->finished = GetCurrentTimestamp();
	strlcpy(RSlot->sqlstate, sqlstate ? sqlstate : "", sizeof(RSlot->sqlstate));
	strlcpy(RSlot->error, error ? error : "", PGC_ERROR_MAX);
	strlcpy(RSlot->phase, "done", sizeof(RSlot->phase));
	memset(RSlot->conninfo, 0, PGC_CONNINFO_MAX);
	LWLockRelease(pgc_jobs->lock);
}

static void
drop_database(const char *name)
{
	xact_begin();
	dropdb(name, true, true);
	xact_commit();
}

/* T__pgc_new, with T's encoding and locale (in a transaction of its own) */
static Oid
create_new_db(Oid target, const char *name)
{
	CreatedbStmt *stmt = makeNode(CreatedbStmt);
	char		oidtxt[16];
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	SPITupleTable *t;
	Oid			newoid;
	int			spi;

	xact_begin();
	snprintf(oidtxt, sizeof(oidtxt), "%u", target);
	values[0] = CStringGetTextDatum(oidtxt);
	spi = pgc_spi_connect();
	if (SPI_execute_with_args("SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype"
							  " FROM pg_catalog.pg_database WHERE oid = $1::oid",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_DATABASE),
				 errmsg("database \"%s\" does not exist", RTarget)));
	t = SPI_tuptable;
	stmt->dbname = pstrdup(name);
	stmt->options = list_make4(makeDefElem("template", (Node *) makeString("template0"), -1),
							   makeDefElem("encoding", (Node *) makeString(SPI_getvalue(t->vals[0], t->tupdesc, 1)), -1),
							   makeDefElem("lc_collate", (Node *) makeString(SPI_getvalue(t->vals[0], t->tupdesc, 2)), -1),
							   makeDefElem("lc_ctype", (Node *) makeString(SPI_getvalue(t->vals[0], t->tupdesc, 3)), -1));
	newoid = createdb(make_parsestate(NULL), stmt);
	pgc_spi_finish(spi);
	xact_commit();
	return newoid;
}

/* Start the clone worker in the new database and wait for it. */
static void
run_clone_worker(Oid newdb)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *h;
	PgcWorkerArg a = RArg;
	char		sqlstate[6];
	char		error[PGC_ERROR_MAX];
	int			done;

	pgc_bgworker_init(&w, "pgclone_refresh_clone_main", "pgclone: refresh worker");
	snprintf(w.bgw_name, BGW_MAXLEN, "pgclone: refresh worker for job %s", RJobId);
	w.bgw_main_arg = ObjectIdGetDatum(newdb);
	w.bgw_notify_pid = MyProcPid;
	a.workerno = CLONE_WORKER_NO;
	memcpy(w.bgw_extra, &a, sizeof(a));
	if (!RegisterDynamicBackgroundWorker(&w, &h))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker for the refresh"),
				 errhint("Raise max_worker_processes.")));
	PG_TRY();
	{
		if (WaitForBackgroundWorkerShutdown(h) == BGWH_POSTMASTER_DIED)
			proc_exit(1);
	}
	PG_CATCH();
	{
		/* it must be gone before its database can be dropped */
		HOLD_INTERRUPTS();
		TerminateBackgroundWorker(h);
		(void) WaitForBackgroundWorkerShutdown(h);
		RESUME_INTERRUPTS();
		PG_RE_THROW();
	}
	PG_END_TRY();
	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	done = RSlot->tables_done;
	strlcpy(sqlstate, RSlot->sqlstate, sizeof(sqlstate));
	strlcpy(error, RSlot->error, sizeof(error));
	LWLockRelease(pgc_jobs->lock);
	check_cancel();
	if (done < PGC_REFRESH_PHASES - 1)
		ereport(ERROR,
				(errcode(sqlstate[0] ? MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
													 sqlstate[3], sqlstate[4]) :
						 ERRCODE_INTERNAL_ERROR),
				 errmsg("%s", error[0] ? error : "the refresh worker exited without a result")));
}

/*
 * The swap, in one transaction: T's object lock makes new sessions wait;
 * its sessions are ended or waited for; T__pgc_prev (if any) is renamed
 * aside, T becomes T__pgc_prev and T__pgc_new becomes T.
 */
static bool
swap(const PgcRefreshOpts *ro, const char *newname, const char *prev, const char *drop)
{
	Oid			tgt;
	Oid			prevoid;
	const char *a[5];
	char		jobtxt[32];
	int			spi;

	xact_begin();
	tgt = get_database_oid(RTarget, false);
	prevoid = get_database_oid(prev, true);
	LockSharedObject(DatabaseRelationId, tgt, 0, AccessExclusiveLock);
	if (OidIsValid(prevoid))
		LockSharedObject(DatabaseRelationId, prevoid, 0, AccessExclusiveLock);
	check_cancel();
	pgc_refresh_sessions(tgt, RTarget, ro->wait_sessions, ro->session_timeout);
	if (OidIsValid(prevoid))
		pgc_refresh_sessions(prevoid, prev, false, 0);
	spi = pgc_spi_connect();
	if (OidIsValid(prevoid))
		pgc_refresh_rename(prev, drop);
	pgc_refresh_rename(RTarget, prev);
	pgc_refresh_rename(newname, RTarget);
	pgc_spi_finish(spi);
	snprintf(jobtxt, sizeof(jobtxt), "%s", RJobId);
	a[0] = jobtxt;
	a[1] = RTarget;
	a[2] = RSlot->safe_conninfo;
	a[3] = RSlot->snapshot[0] ? RSlot->snapshot : NULL;
	a[4] = prev;
	pgc_job_sql("INSERT INTO pgclone.refresh_history (job_id, target_db, action, source,"
				" source_snapshot_at, previous_name)"
				" VALUES ($1::bigint, $2, 'refresh', $3, $4::timestamptz, $5)", 5, a);
	set_interruptible(false);
	xact_commit();
	return OidIsValid(prevoid);
}

static void
run_refresh(void)
{
	PgcRefreshOpts ro;
	PgcOptions	copts;
	char	   *newname = pgc_refresh_name(RTarget, PGC_REFRESH_NEW);
	char	   *prev = pgc_refresh_name(RTarget, PGC_REFRESH_PREV);
	char	   *drop = pgc_refresh_name(RTarget, PGC_REFRESH_DROP);
	Oid			tgt;
	Oid			newoid;
	int			spi;
	bool		had_prev;

	parse_options(&ro, &copts);
	set_phase("clone", 0);
	set_interruptible(true);
	xact_begin();
	tgt = get_database_oid(RTarget, true);
	xact_commit();
	if (!OidIsValid(tgt))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_DATABASE),
				 errmsg("database \"%s\" does not exist", RTarget)));
	/* leftovers of a refresh that died: the names are pgclone's */
	drop_database(newname);
	drop_database(drop);
	newoid = create_new_db(tgt, newname);
	RNewCreated = true;
	run_clone_worker(newoid);

	set_phase("swap", PGC_REFRESH_PHASES - 1);
	xact_begin();
	spi = pgc_spi_connect();
	pgc_refresh_copy_db_props(tgt, newname);
	pgc_spi_finish(spi);
	xact_commit();
	had_prev = swap(&ro, newname, prev, drop);
	RSwapped = true;
	if (had_prev)
		drop_database(drop);
	if (!ro.keep_previous)
	{
		const char *a[1] = {RJobId};

		drop_database(prev);
		xact_begin();
		pgc_job_sql("UPDATE pgclone.refresh_history SET previous_name = NULL"
					" WHERE job_id = $1::bigint", 1, a);
		xact_commit();
	}
	set_phase("swap", PGC_REFRESH_PHASES);
}

/*
 * After a failure: drop the half-built copy, or say why not.  A function of
 * its own, so that its PG_TRY is not nested in the caller's (17+ warns that
 * nested PG_TRY locals shadow each other).
 */
static void
drop_new_quietly(void)
{
	PG_TRY();
	{
		drop_database(pgc_refresh_name(RTarget, PGC_REFRESH_NEW));
	}
	PG_CATCH();
	{
		ErrorData  *d = catch_error();

		ereport(WARNING,
				(errmsg("pgclone job %s: could not drop database \"%s%s\": %s",
						RJobId, RTarget, PGC_REFRESH_NEW, d->message)));
	}
	PG_END_TRY();
}

void
pgclone_refresh_main(Datum main_arg)
{
	Oid			useroid = attach(true);

	BackgroundWorkerInitializeConnectionByOid(RSlot->dboid, useroid, 0);
	PG_TRY();
	{
		record_start();
		run_refresh();
		record_end(NULL);
	}
	PG_CATCH();
	{
		ErrorData  *e = catch_error();

		set_interruptible(false);
		ereport(LOG, (errmsg("pgclone job %s: refresh of database \"%s\" failed: %s",
							 RJobId, RTarget, e->message)));
		if (RNewCreated && !RSwapped)
			drop_new_quietly();
		record_end(e);
	}
	PG_END_TRY();
	proc_exit(0);
}
