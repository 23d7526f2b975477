/*
 * jobs.h — async clone jobs: the shared-memory registry and the workers.
 *
 * A job lives in one shared-memory slot while it runs (live progress, the
 * worker pids, the conninfo with its password) and durably in the tables
 * pgclone.job_history and pgclone.job_tables (password-free), so that the
 * history survives a restart and resume() knows what is left to do.
 */
#ifndef PGCLONE_JOBS_H
#define PGCLONE_JOBS_H

#include "pgclone.h"

#include "port/atomics.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

#define PGC_CONNINFO_MAX	1024
#define PGC_OPTIONS_MAX		8192
#define PGC_ERROR_MAX		512
#define PGC_RELNAME_MAX		(2 * NAMEDATALEN + 8)

typedef enum PgcJobState
{
	PGC_JOB_QUEUED,				/* waiting for background workers (queue.c) */
	PGC_JOB_PENDING,
	PGC_JOB_RUNNING,
	PGC_JOB_COMPLETED,
	PGC_JOB_FAILED,
	PGC_JOB_CANCELLED
} PgcJobState;

#define PGC_JOB_TERMINAL(s) ((s) >= PGC_JOB_COMPLETED)

typedef enum PgcJobKind
{
	PGC_KIND_TABLE,
	PGC_KIND_SCHEMA,
	PGC_KIND_REFRESH			/* refresh.c: target holds the database name */
} PgcJobKind;

/* One process working for a job: the leader (0) or a pool worker (1..N). */
typedef struct PgcWorkerEntry
{
	pid_t		pid;			/* 0 when idle/exited */
	char		table[PGC_RELNAME_MAX]; /* table being cloned, "" if none */
	pg_atomic_uint64 bytes;		/* COPY bytes of that table so far */
} PgcWorkerEntry;

typedef struct PgcJobSlot
{
	bool		in_use;
	int64		job_id;
	Oid			dboid;
	Oid			useroid;
	PgcJobKind	kind;
	PgcJobState state;
	bool		cancel;			/* cancel() was called */
	bool		include_data;
	int			parallel;
	int64		resumed_from;	/* 0 = none */
	TimestampTz started;
	TimestampTz finished;
	char		phase[32];
	char		schema[NAMEDATALEN];
	char		table[NAMEDATALEN];
	char		target[NAMEDATALEN];	/* "" = same as table */
	char		conninfo[PGC_CONNINFO_MAX]; /* with password; wiped at end */
	char		safe_conninfo[PGC_CONNINFO_MAX];	/* password removed */
	char		options[PGC_OPTIONS_MAX];	/* canonical JSON */
	pid_t		leader_pid;
	int			workers_needed; /* leader + coordinator + pool (queue.c) */
	/* snapshot coordination (parallel pool) */
	pid_t		coord_pid;
	char		snapshot[64];
	bool		coord_failed;
	int			nexpected;		/* importers the coordinator waits for */
	int			nattached;		/* importers done (or given up) */
	bool		release_snapshot;
	/* progress (tables done count committed tables only) */
	int			tables_total;
	int			tables_done;
	int			tables_failed;
	uint64		rows_done;
	uint64		bytes_done;
	uint64		bytes_estimate;
	char		sqlstate[6];
	char		error[PGC_ERROR_MAX];
	char		detail[PGC_ERROR_MAX];	/* of that error, "" if none */
	char		hint[PGC_ERROR_MAX];
	char		note[PGC_ERROR_MAX];	/* what the job does not clone */
	int			nworkers;		/* entries in use: leader + pool */
	PgcWorkerEntry workers[FLEXIBLE_ARRAY_MEMBER];
} PgcJobSlot;

typedef struct PgcJobsShared
{
	LWLock	   *lock;
	int			max_jobs;
	int			max_workers;
	Size		slot_size;
	char		slots[FLEXIBLE_ARRAY_MEMBER];
} PgcJobsShared;

/* Passed to every worker in bgw_extra */
typedef struct PgcWorkerArg
{
	int64		job_id;
	int			slotno;
	int			workerno;
} PgcWorkerArg;

extern PgcJobsShared *pgc_jobs;
extern int	pgc_max_jobs;
extern int	pgc_max_workers;

extern PgcJobSlot *pgc_job_slot(int slotno);
extern const char *pgc_job_state_name(PgcJobState s);
extern void pgc_job_leader_gone(PgcJobSlot *s, const char *who);
extern void pgc_jobs_require(void);

/* Run SQL (text parameters, NULL = SQL NULL) as the bookkeeping superuser */
extern PgcRows *pgc_job_query(const char *sql, int nargs, const char **args);
extern int	pgc_job_sql(const char *sql, int nargs, const char **args);
extern void pgc_job_sql_xact(const char *sql, int nargs, const char **args);

/* What a new job is; jobs.c starts it (refresh.c too) */
typedef struct JobRequest
{
	PgcJobKind	kind;
	const char *conninfo;
	const char *schema;
	const char *table;
	const char *target;
	bool		include_data;
	const char *options;		/* canonical JSON */
	int			parallel;
	int64		resumed_from;
} JobRequest;

extern int64 pgc_start_job(JobRequest *req);

/* refresh.c: is a refresh of database target running?  Caller holds the lock */
extern bool pgc_refresh_running(const char *target);
extern PGDLLEXPORT void pgclone_refresh_main(Datum arg);
extern PGDLLEXPORT void pgclone_refresh_clone_main(Datum arg);

/* bgworker entry points: leader.c, pool.c, snapshot_coord.c */
extern PGDLLEXPORT void pgclone_job_main(Datum arg);
extern PGDLLEXPORT void pgclone_pool_main(Datum arg);
extern PGDLLEXPORT void pgclone_coord_main(Datum arg);

/*
 * queue.c: admission of jobs to background workers.  A job reserves the
 * workers it needs (leader, snapshot coordinator, pool); one that does not
 * fit waits as "queued" and is started, oldest first, when reservations end.
 */
extern int	pgc_job_workers_needed(PgcJobKind kind, const char *options_json);
extern void pgc_job_check_len(const char *what, const char *s, int max);
extern int	pgc_job_claim_slot(void);
extern void pgc_queue_check_fits(int need, int parallel);
extern void pgc_queue_record(PgcJobSlot *slot, int position);
extern void pgc_queue_cancel_record(int64 job_id);
extern void pgc_jobs_dispatch(void);
extern int	pgc_queue_position(PgcJobSlot *slot);
extern bool pgc_queue_cancel(PgcJobSlot *slot);
extern struct BackgroundWorkerHandle *pgc_start_worker(PgcJobSlot *slot, int slotno,
													   const char *func,
													   const char *type,
													   int workerno, bool notify);
extern struct BackgroundWorkerHandle *pgc_start_worker_wait(PgcJobSlot *slot, int slotno,
															const char *func,
															const char *type,
															int workerno, long timeout_ms);
/* an error's detail and hint into the slot's fields (caller holds the lock) */
extern void pgc_job_keep_error(PgcJobSlot *slot, ErrorData *e, const char *prefix);

#endif							/* PGCLONE_JOBS_H */
