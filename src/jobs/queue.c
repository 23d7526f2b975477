/*
 * queue.c — admission of async jobs to background workers.
 *
 * Every job reserves the background workers it can use at once: its leader,
 * and for a parallel schema job the pool and (consistent) the snapshot
 * coordinator.  A job whose reservation does not fit in max_worker_processes
 * beside the reservations of the jobs already admitted waits in the slot
 * registry as "queued", without a process; queued jobs are admitted oldest
 * first (job id order).  Whoever ends a reservation starts the queue again
 * (pgc_jobs_dispatch): a leader when its pool is done and when it finishes,
 * a new request, and a read of the job list (so a queue that some other
 * server process held up never stays stuck while someone watches it).  A
 * request that could never fit fails when it is made (jobs.c).
 *
 * A reservation is bookkeeping, not a guarantee: other users of background
 * workers (parallel query, database(), other extensions) take slots too, so
 * an admitted job's leader waits for a worker it must have rather than fail
 * (pgc_start_worker_wait) and runs its pool with fewer workers when some do
 * not start.
 */
#include "jobs/jobs.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/wait_event.h"

/* Background workers a job uses at once. */
int
pgc_job_workers_needed(PgcJobKind kind, const char *options_json)
{
	PgcOptions	opts;

	if (kind == PGC_KIND_REFRESH)
		return 2;				/* its leader and the clone worker */
	if (kind != PGC_KIND_SCHEMA)
		return 1;
	pgc_options_parse(&opts, options_json,
					  PGC_OPTS_TABLE | PGC_OPTS_SCHEMA | PGC_OPT_PARALLEL);
	if (opts.parallel <= 1)
		return 1;
	return 1 + opts.parallel + (opts.consistent ? 1 : 0);
}

/* A request's text fits its slot field, or a clear error. */
void
pgc_job_check_len(const char *what, const char *s, int max)
{
	if (s && strlen(s) >= max)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s is too long for an async job (at most %d bytes)", what, max - 1)));
}

/* A free slot, else the oldest finished one; caller holds the lock. */
int
pgc_job_claim_slot(void)
{
	int			best = -1;
	int			i;

	for (i = 0; i < pgc_jobs->max_jobs; i++)
	{
		PgcJobSlot *s = pgc_job_slot(i);

		if (!s->in_use)
			return i;
		if (PGC_JOB_TERMINAL(s->state) &&
			(best < 0 || s->finished < pgc_job_slot(best)->finished))
			best = i;
	}
	return best;
}

/* A job that could never run: it needs more workers than the server has. */
void
pgc_queue_check_fits(int need, int parallel)
{
	if (need > max_worker_processes)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("this job needs %d background workers at once, but max_worker_processes is %d",
						need, max_worker_processes),
				 errdetail("The job leader, %d pool worker(s) for \"parallel\"%s.", parallel,
						   need > parallel + 1 ? " and the snapshot coordinator" : ""),
				 errhint("Lower \"parallel\" to at most %d, or raise max_worker_processes to %d and restart.",
						 Max(max_worker_processes - (need - parallel), 1), need)));
}

/*
 * A queued job's history row (and a NOTICE), so that it survives a restart as an
 * interrupted job that resume() can restart.  Only for a job that is
 * queued: the leader records a job it starts (history.c) and would wait for
 * this row until the caller commits.
 */
void
pgc_queue_record(PgcJobSlot *slot, int position)
{
	const char *a[11];
	char		par[16];
	char		owner[16];
	char		resumed[32];
	char		id[32];

	snprintf(id, sizeof(id), INT64_FORMAT, slot->job_id);
	snprintf(par, sizeof(par), "%d", slot->parallel);
	snprintf(owner, sizeof(owner), "%u", slot->useroid);
	snprintf(resumed, sizeof(resumed), INT64_FORMAT, slot->resumed_from);
	a[0] = id;
	a[1] = slot->kind == PGC_KIND_TABLE ? "table" : "schema";
	a[2] = owner;
	a[3] = slot->safe_conninfo;
	a[4] = slot->schema;
	a[5] = slot->table[0] ? slot->table : NULL;
	a[6] = slot->target[0] ? slot->target : NULL;
	a[7] = slot->include_data ? "true" : "false";
	a[8] = slot->options;
	a[9] = par;
	a[10] = slot->resumed_from ? resumed : NULL;
	pgc_job_sql("INSERT INTO pgclone.job_history (job_id, kind, owner_oid, source, schema_name,"
				" table_name, target_name, include_data, options, parallel, resumed_from, state)"
				" VALUES ($1::bigint, $2, $3::oid, $4, $5, $6, $7, $8::boolean, $9,"
				" $10::int, $11::bigint, 'queued') ON CONFLICT (job_id) DO NOTHING", 11, a);
	ereport(NOTICE,
			(errmsg("pgclone job " INT64_FORMAT " is queued (position %d): it needs %d background workers and starts when they are free",
					slot->job_id, position, slot->workers_needed)));
}

BackgroundWorkerHandle *
pgc_start_worker(PgcJobSlot *slot, int slotno, const char *func,
				 const char *type, int workerno, bool notify)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *h;
	PgcWorkerArg a;

	pgc_bgworker_init(&w, func, type);
	if (workerno > 0)
		snprintf(w.bgw_name, BGW_MAXLEN, "%s %d for job " INT64_FORMAT,
				 type, workerno, slot->job_id);
	else
		snprintf(w.bgw_name, BGW_MAXLEN, "%s for job " INT64_FORMAT, type, slot->job_id);
	w.bgw_main_arg = Int32GetDatum(slotno);
	w.bgw_notify_pid = notify ? MyProcPid : 0;
	memset(&a, 0, sizeof(a));
	a.job_id = slot->job_id;
	a.slotno = slotno;
	a.workerno = workerno;
	memcpy(w.bgw_extra, &a, sizeof(a));
	if (!RegisterDynamicBackgroundWorker(&w, &h))
		return NULL;
	return h;
}

/*
 * A worker of an admitted job: its reservation says it fits, so a slot that
 * is taken now (a finished job's leader still exiting, parallel query) will
 * be free soon.  Wait for it, cancellable, up to timeout_ms (-1: for a worker
 * the job cannot do without, the snapshot coordinator); NULL after that.
 */
BackgroundWorkerHandle *
pgc_start_worker_wait(PgcJobSlot *slot, int slotno, const char *func,
					  const char *type, int workerno, long timeout_ms)
{
	BackgroundWorkerHandle *h;
	long		waited = 0;

	while ((h = pgc_start_worker(slot, slotno, func, type, workerno, true)) == NULL)
	{
		int			rc;

		if (timeout_ms >= 0 && waited >= timeout_ms)
			return NULL;
		if (waited == 0 && timeout_ms < 0)
			ereport(LOG,
					(errmsg("pgclone job " INT64_FORMAT ": waiting for a background worker for the %s",
							slot->job_id, type),
					 errdetail("Every one of the %d background worker slots (max_worker_processes) is in use.",
							   max_worker_processes)));
		if (slot->cancel)
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling the job due to user request")));
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   50, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		waited += 50;
	}
	return h;
}

/*
 * A leader registered a minute ago that never attached (the postmaster could
 * not start it): its reservation must not hold up the queue for ever.
 */
static void
leader_lost(PgcJobSlot *s)
{
	s->state = PGC_JOB_FAILED;
	s->finished = GetCurrentTimestamp();
	strlcpy(s->sqlstate, "53000", sizeof(s->sqlstate));
	strlcpy(s->error, "the job's leader worker did not start", PGC_ERROR_MAX);
	strlcpy(s->phase, "done", sizeof(s->phase));
	memset(s->conninfo, 0, PGC_CONNINFO_MAX);
}

/* Admit queued jobs, oldest first, while their reservations fit. */
void
pgc_jobs_dispatch(void)
{
	if (pgc_jobs == NULL)
		return;
	for (;;)
	{
		int			head = -1;
		int			reserved = 0;
		int			i;
		int64		job_id;
		const char *entry;
		PgcJobSlot *s;

		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		for (i = 0; i < pgc_jobs->max_jobs; i++)
		{
			s = pgc_job_slot(i);
			if (!s->in_use)
				continue;
			if (s->state == PGC_JOB_PENDING && s->leader_pid == 0 &&
				TimestampDifferenceExceeds(s->started, GetCurrentTimestamp(), 60000))
				leader_lost(s);
			if (s->state == PGC_JOB_PENDING || s->state == PGC_JOB_RUNNING)
				reserved += s->workers_needed;
			else if (s->state == PGC_JOB_QUEUED &&
					 (head < 0 || s->job_id < pgc_job_slot(head)->job_id))
				head = i;
		}
		if (head < 0 ||
			reserved + pgc_job_slot(head)->workers_needed > max_worker_processes)
		{
			LWLockRelease(pgc_jobs->lock);
			return;
		}
		s = pgc_job_slot(head);
		s->state = PGC_JOB_PENDING;
		s->started = GetCurrentTimestamp();	/* record_start() sets it again */
		strlcpy(s->phase, "starting", sizeof(s->phase));
		job_id = s->job_id;
		entry = s->kind == PGC_KIND_REFRESH ? "pgclone_refresh_main" : "pgclone_job_main";
		LWLockRelease(pgc_jobs->lock);

		if (pgc_start_worker(s, head, entry, "pgclone: job leader", 0, false))
			continue;

		/* every worker slot is taken right now: first in the queue again */
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		if (s->in_use && s->job_id == job_id && s->state == PGC_JOB_PENDING)
		{
			s->state = PGC_JOB_QUEUED;
			strlcpy(s->phase, "queued", sizeof(s->phase));
		}
		LWLockRelease(pgc_jobs->lock);
		return;
	}
}

/* 1 for the next job to start, 0 when not queued; caller holds the lock. */
int
pgc_queue_position(PgcJobSlot *slot)
{
	int			n = 0;
	int			i;

	if (!slot->in_use || slot->state != PGC_JOB_QUEUED)
		return 0;
	for (i = 0; i < pgc_jobs->max_jobs; i++)
	{
		PgcJobSlot *s = pgc_job_slot(i);

		if (s->in_use && s->state == PGC_JOB_QUEUED && s->job_id <= slot->job_id)
			n++;
	}
	return n;
}

/*
 * Cancel a job that has no process yet; caller holds the lock exclusively.
 * False when it is not queued (then its workers take the cancel).
 */
bool
pgc_queue_cancel(PgcJobSlot *slot)
{
	if (slot->state != PGC_JOB_QUEUED)
		return false;
	slot->cancel = true;
	slot->state = PGC_JOB_CANCELLED;
	slot->finished = GetCurrentTimestamp();
	strlcpy(slot->sqlstate, "57014", sizeof(slot->sqlstate));
	strlcpy(slot->error, "cancelled by pgclone.cancel() while queued", PGC_ERROR_MAX);
	strlcpy(slot->phase, "done", sizeof(slot->phase));
	memset(slot->conninfo, 0, PGC_CONNINFO_MAX);
	return true;
}

/* The history of a job cancel() took out of the queue; the queue moves on. */
void
pgc_queue_cancel_record(int64 job_id)
{
	char		idbuf[32];
	const char *arg[1] = {idbuf};

	snprintf(idbuf, sizeof(idbuf), INT64_FORMAT, job_id);
	pgc_job_sql("UPDATE pgclone.job_history SET state = 'cancelled', sqlstate = '57014',"
				" error = 'cancelled by pgclone.cancel() while queued', finished_at = now()"
				" WHERE job_id = $1::bigint AND state = 'queued'", 1, arg);
	pgc_jobs_dispatch();
}

/* The first error of a job, with its detail and hint; caller holds the lock. */
void
pgc_job_keep_error(PgcJobSlot *slot, ErrorData *e, const char *prefix)
{
	if (slot->sqlstate[0] != '\0')
		return;
	strlcpy(slot->sqlstate, unpack_sql_state(e->sqlerrcode), sizeof(slot->sqlstate));
	snprintf(slot->error, PGC_ERROR_MAX, "%s%s", prefix ? prefix : "",
			 e->message ? e->message : "unknown error");
	strlcpy(slot->detail, e->detail ? e->detail : "", PGC_ERROR_MAX);
	strlcpy(slot->hint, e->hint ? e->hint : "", PGC_ERROR_MAX);
}
