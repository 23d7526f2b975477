/*
 * registry.c — the shared-memory registry of async clone jobs: the GUCs
 * pgclone.max_jobs and pgclone.max_workers, the slot array and its lock
 * (requested and initialised by the shmem hooks), and the job states' names.
 *
 * A running job lives in one slot (live progress, the worker pids, the
 * conninfo with its password); queue.c claims and frees slots.
 */
#include "jobs/jobs_int.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"

PgcJobsShared *pgc_jobs = NULL;
int			pgc_max_jobs = 16;
int			pgc_max_workers = 8;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
slot_size(void)
{
	return MAXALIGN(offsetof(PgcJobSlot, workers) +
					(pgc_max_workers + 1) * sizeof(PgcWorkerEntry));
}

static Size
jobs_shmem_size(void)
{
	return add_size(offsetof(PgcJobsShared, slots),
					mul_size(pgc_max_jobs, slot_size()));
}

static void
jobs_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(jobs_shmem_size());
	RequestNamedLWLockTranche("pgclone_jobs", 1);
}

static void
jobs_shmem_startup(void)
{
	bool		found;
	int			i,
				j;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pgc_jobs = ShmemInitStruct("pgclone jobs", jobs_shmem_size(), &found);
	if (!found)
	{
		memset(pgc_jobs, 0, jobs_shmem_size());
		pgc_jobs->lock = &(GetNamedLWLockTranche("pgclone_jobs"))->lock;
		pgc_jobs->max_jobs = pgc_max_jobs;
		pgc_jobs->max_workers = pgc_max_workers;
		pgc_jobs->slot_size = slot_size();
		for (i = 0; i < pgc_max_jobs; i++)
			for (j = 0; j <= pgc_max_workers; j++)
				pg_atomic_init_u64(&pgc_job_slot(i)->workers[j].bytes, 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
pgc_init_jobs(void)
{
	/*
	 * Shared memory only exists when loaded by shared_preload_libraries, and
	 * PGC_POSTMASTER settings cannot be defined later: without preload the
	 * async functions report how to fix it (pgc_jobs_require).
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("pgclone.max_jobs",
							"Maximum number of async clone jobs kept in shared memory.",
							"Running jobs each need one slot; finished ones are "
							"recycled oldest first.",
							&pgc_max_jobs, 16, 1, 1024,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgclone.max_workers",
							"Maximum number of pool workers of one parallel job.",
							"Each pool worker is a background worker: "
							"max_worker_processes must leave room for them.",
							&pgc_max_workers, 8, 1, 64,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = jobs_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = jobs_shmem_startup;
}

PgcJobSlot *
pgc_job_slot(int slotno)
{
	return (PgcJobSlot *) (pgc_jobs->slots + slotno * pgc_jobs->slot_size);
}

void
pgc_jobs_require(void)
{
	if (pgc_jobs == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgclone async jobs need pgclone in shared_preload_libraries"),
				 errhint("Add pgclone to shared_preload_libraries in postgresql.conf "
						 "(shared_preload_libraries = 'pgclone') and restart the server.")));
}

const char *
pgc_job_state_name(PgcJobState s)
{
	switch (s)
	{
		case PGC_JOB_QUEUED:
			return "queued";
		case PGC_JOB_PENDING:
			return "pending";
		case PGC_JOB_RUNNING:
			return "running";
		case PGC_JOB_COMPLETED:
			return "completed";
		case PGC_JOB_FAILED:
			return "failed";
		case PGC_JOB_CANCELLED:
			return "cancelled";
	}
	return "unknown";
}

/*
 * A job's leader exits: a job it left without an outcome (terminated, FATAL)
 * fails as interrupted by "who"; its password goes with it.  Caller holds
 * the lock.
 */
void
pgc_job_leader_gone(PgcJobSlot *s, const char *who)
{
	if (!PGC_JOB_TERMINAL(s->state))
	{
		s->state = PGC_JOB_FAILED;
		s->finished = GetCurrentTimestamp();
		strlcpy(s->sqlstate, "57P01", sizeof(s->sqlstate));
		snprintf(s->error, PGC_ERROR_MAX, "interrupted: the %s was terminated", who);
	}
	memset(s->conninfo, 0, PGC_CONNINFO_MAX);
	s->leader_pid = 0;
}
