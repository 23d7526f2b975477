/*
 * jobs_int.h — declarations shared by the files of src/jobs/ only; the
 * stage's public header is jobs.h.
 *
 * registry.c        shared memory: the slots, their lock, the GUCs
 * history.c         pgclone.job_history and pgclone.job_tables
 * jobs.c            table_async, schema_async, cancel, resume, clear_jobs
 * progress.c        progress(), jobs(), progress_detail()
 * queue.c           admission of jobs to background workers
 * worker.c          what every worker of a job shares
 * leader.c          the job leader
 * pool.c            table loads, the pool workers
 * snapshot_coord.c  the snapshot coordinator
 */
#ifndef PGCLONE_JOBS_INT_H
#define PGCLONE_JOBS_INT_H

#include "jobs/jobs.h"
#include "remote/remote.h"

/* ---------- reading jobs (progress.c, history.c, jobs.c) ---------- */

typedef struct JobInfo
{
	int64		job_id;
	char	   *kind;
	char	   *state;
	char	   *phase;
	char	   *source;
	char	   *schema;
	char	   *table;
	char	   *target;
	int			parallel;
	int64		resumed_from;
	int			tables_total;
	int			tables_done;
	int			tables_failed;
	int64		rows;
	int64		bytes;
	double		percent;
	char	   *current;
	char	   *workers;
	TimestampTz started;
	TimestampTz finished;		/* 0 = running */
	char	   *sqlstate;
	char	   *error;
	char	   *detail;
	char	   *hint;
	int			queue_position; /* 0 = not queued */
	bool		live;			/* found in shared memory */
	bool		stale;			/* the table says running, nothing runs it */
	Oid			owner;
} JobInfo;

/* history.c */
extern void pgc_job_info_from_row(JobInfo *ji, PgcRows *r, int i);

/* progress.c */
extern int64 pgc_job_arg(FunctionCallInfo fcinfo);
extern JobInfo *pgc_find_job(int64 job_id);

/* ---------- the worker process's job (worker.c) ---------- */

extern PgcWorkerArg pgc_my_arg;
extern PgcJobSlot *pgc_my_slot;
extern PgcWorkerEntry *pgc_my_entry;
extern PgcOptions pgc_my_opts;
extern char *pgc_my_conninfo;
extern char *pgc_my_options_json;
extern char pgc_my_job_id[32];
extern bool pgc_my_all_done;

extern void pgc_xact_begin(void);
extern void pgc_xact_commit(void);
extern PgcRows *pgc_job_query_xact(const char *sql, int nargs, const char **args);
extern ErrorData *pgc_catch_error(void);
extern void pgc_wait_a_bit(long ms);
extern bool pgc_job_cancelled(void);
extern void pgc_set_phase(const char *phase);
extern void pgc_set_interruptible(bool on);
extern void pgc_note_error(ErrorData *e, const char *prefix);
extern void pgc_worker_setup(bool coord);
extern void pgc_parse_options(void);
extern PGconn *pgc_source_open(bool consistent, const char *snapshot);

/* pool.c: one table in one local transaction; the claiming loop */
extern bool pgc_run_table(PGconn *conn, int ord, const char *nsp, const char *rel,
						  const char *tgtname, bool table_job);
extern void pgc_pool_loop(PGconn *conn);

/* history.c: the worker's records */
extern void pgc_record_start(void);
extern void pgc_job_plan_tables_insert(PgcRows *tables);
extern void pgc_job_plan_tables(PgcRows *tables);
extern void pgc_job_plan_counts(uint64 estimate);
extern void pgc_finish_job(ErrorData *e);
extern char *pgc_predata_done_by(char **skipped);
extern void pgc_predata_record(const char *skipped);

/* snapshot_coord.c: the importers' side */
extern char *pgc_wait_snapshot(struct BackgroundWorkerHandle *coord);
extern void pgc_count_attached(void);
extern void pgc_release_snapshot(void);

#endif							/* PGCLONE_JOBS_INT_H */
