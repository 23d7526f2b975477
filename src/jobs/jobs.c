/*
 * jobs.c — async clone jobs: GUCs, the shared-memory registry, and the SQL
 * functions table_async, schema_async, progress, jobs, progress_detail,
 * cancel, resume and clear_jobs.
 *
 * The calling backend only validates, fills a slot and starts the job's
 * leader worker (worker.c); everything else happens in background workers.
 * Live state is read from shared memory, history from pgclone.job_history:
 * a job the table says is running but that has no live slot was interrupted
 * (restart, crash) and is shown as failed.
 */
#include "jobs/jobs.h"

#include <math.h>
#include <signal.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(pgclone_table_async);
PG_FUNCTION_INFO_V1(pgclone_schema_async);
PG_FUNCTION_INFO_V1(pgclone_progress_detail);
PG_FUNCTION_INFO_V1(pgclone_progress);
PG_FUNCTION_INFO_V1(pgclone_jobs);
PG_FUNCTION_INFO_V1(pgclone_cancel);
PG_FUNCTION_INFO_V1(pgclone_resume);
PG_FUNCTION_INFO_V1(pgclone_clear_jobs);

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

/* ---------- bookkeeping SQL, run as the bootstrap superuser ---------- */

static PgcRows *
job_query_internal(const char *sql, int nargs, const char **args, bool want_rows)
{
	MemoryContext outer = CurrentMemoryContext;
	Oid			types[16];
	Datum		values[16];
	char		nulls[16];
	Oid			saved_user;
	int			saved_sec;
	int			gucnest;
	int			rc,
				i,
				j;
	PgcRows    *r;

	Assert(nargs <= 16);
	for (i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	/* as superuser, so never through the caller's search_path */
	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	gucnest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "pgclone: job bookkeeping failed (%s)", SPI_result_code_string(rc));

	r = MemoryContextAllocZero(outer, sizeof(PgcRows));
	r->nrows = SPI_processed;
	if (want_rows && SPI_tuptable)
	{
		TupleDesc	td = SPI_tuptable->tupdesc;

		r->ncols = td->natts;
		r->colnames = MemoryContextAlloc(outer, sizeof(char *) * Max(r->ncols, 1));
		r->values = MemoryContextAlloc(outer, sizeof(char *) * Max(r->nrows * r->ncols, 1));
		for (j = 0; j < r->ncols; j++)
			r->colnames[j] = MemoryContextStrdup(outer, NameStr(TupleDescAttr(td, j)->attname));
		for (i = 0; i < r->nrows; i++)
			for (j = 0; j < r->ncols; j++)
			{
				char	   *v = SPI_getvalue(SPI_tuptable->vals[i], td, j + 1);

				r->values[i * r->ncols + j] = v ? MemoryContextStrdup(outer, v) : NULL;
			}
	}
	SPI_finish();
	AtEOXact_GUC(true, gucnest);
	SetUserIdAndSecContext(saved_user, saved_sec);
	return r;
}

PgcRows *
pgc_job_query(const char *sql, int nargs, const char **args)
{
	return job_query_internal(sql, nargs, args, true);
}

int
pgc_job_sql(const char *sql, int nargs, const char **args)
{
	return job_query_internal(sql, nargs, args, false)->nrows;
}

/* ---------- conninfo without its password ---------- */

static void
append_conn_value(StringInfo buf, const char *val)
{
	const char *p;

	appendStringInfoChar(buf, '\'');
	for (p = val; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '\'');
}

/* keyword='value' pairs of every set option except the secrets */
static char *
strip_password(const char *conninfo)
{
	PQconninfoOption *opts;
	PQconninfoOption *o;
	StringInfoData buf;

	opts = pgc_conninfo_parse(conninfo);
	initStringInfo(&buf);
	for (o = opts; o->keyword; o++)
	{
		if (o->val == NULL || o->val[0] == '\0' ||
			strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0)
			continue;
		if (buf.len > 0)
			appendStringInfoChar(&buf, ' ');
		appendStringInfo(&buf, "%s=", o->keyword);
		append_conn_value(&buf, o->val);
	}
	PQconninfoFree(opts);
	return buf.data;
}

/* ---------- starting a job ---------- */

int64
pgc_start_job(JobRequest *req)
{
	char	   *safe = strip_password(req->conninfo);
	PgcRows    *r;
	int64		job_id;
	int			slotno;
	PgcJobSlot *slot;
	int			need = pgc_job_workers_needed(req->kind, req->options);
	int			i;

	pgc_job_check_len("the connection string", req->conninfo, PGC_CONNINFO_MAX);
	pgc_job_check_len("the options", req->options, PGC_OPTIONS_MAX);
	pgc_job_check_len("the schema name", req->schema, NAMEDATALEN);
	pgc_job_check_len("the table name", req->table, NAMEDATALEN);
	pgc_job_check_len("the target name", req->target, NAMEDATALEN);
	if (req->parallel > pgc_max_workers)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"parallel\" is %d but pgclone.max_workers is %d",
						req->parallel, pgc_max_workers),
				 errhint("Raise pgclone.max_workers (and max_worker_processes) and restart.")));
	pgc_queue_check_fits(need, req->parallel);

	r = pgc_job_query("SELECT nextval('pgclone.job_id_seq')", 0, NULL);
	job_id = strtoi64(pgc_val(r, 0, 0), NULL, 10);

	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	slotno = pgc_job_claim_slot();
	if (req->kind == PGC_KIND_REFRESH && pgc_refresh_running(req->target))
	{
		LWLockRelease(pgc_jobs->lock);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("a refresh of database \"%s\" is already running", req->target),
				 errhint("Wait for it to finish (see pgclone.jobs_view), or cancel it with pgclone.cancel(job_id).")));
	}
	if (slotno < 0)
	{
		LWLockRelease(pgc_jobs->lock);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many async clone jobs are running"),
				 errhint("Wait for a job to finish, or raise pgclone.max_jobs and restart.")));
	}
	slot = pgc_job_slot(slotno);
	memset(slot, 0, offsetof(PgcJobSlot, workers));
	for (i = 0; i <= pgc_jobs->max_workers; i++)
	{
		slot->workers[i].pid = 0;
		slot->workers[i].table[0] = '\0';
		pg_atomic_write_u64(&slot->workers[i].bytes, 0);
	}
	slot->in_use = true;
	slot->job_id = job_id;
	slot->dboid = MyDatabaseId;
	slot->useroid = GetUserId();
	slot->kind = req->kind;
	slot->state = PGC_JOB_QUEUED;
	slot->workers_needed = need;
	slot->include_data = req->include_data;
	slot->parallel = req->parallel;
	slot->resumed_from = req->resumed_from;
	slot->started = GetCurrentTimestamp();
	strlcpy(slot->phase, "queued", sizeof(slot->phase));
	strlcpy(slot->schema, req->schema, NAMEDATALEN);
	strlcpy(slot->table, req->table ? req->table : "", NAMEDATALEN);
	strlcpy(slot->target, req->target ? req->target : "", NAMEDATALEN);
	strlcpy(slot->conninfo, req->conninfo, PGC_CONNINFO_MAX);
	strlcpy(slot->safe_conninfo, safe, PGC_CONNINFO_MAX);
	strlcpy(slot->options, req->options, PGC_OPTIONS_MAX);
	LWLockRelease(pgc_jobs->lock);

	/* started now if its workers fit, else it waits its turn */
	pgc_jobs_dispatch();
	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	i = pgc_queue_position(slot);
	LWLockRelease(pgc_jobs->lock);
	if (i > 0)
		pgc_queue_record(slot, i);
	return job_id;
}

static int32
job_id_result(int64 job_id)
{
	if (job_id > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("job id " INT64_FORMAT " is out of range", job_id)));
	return (int32) job_id;
}

/* pgclone.table_async(conninfo, schema, table [, include_data, target, options]) */
Datum
pgclone_table_async(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	JobRequest	req;
	PgcOptions	opts;

	pgc_jobs_require();
	memset(&req, 0, sizeof(req));
	req.kind = PGC_KIND_TABLE;
	req.conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	req.schema = pgc_text_arg(fcinfo, 1, "schema_name");
	req.table = pgc_text_arg(fcinfo, 2, "table_name");
	req.include_data = PG_ARGISNULL(3) ? true : PG_GETARG_BOOL(3);
	req.target = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (req.target && req.target[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target table name must not be empty")));
	pgc_options_parse(&opts, PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5)),
					  PGC_OPTS_TABLE);
	req.options = pgc_options_to_json(&opts);
	req.parallel = 1;
	PG_RETURN_INT32(job_id_result(pgc_start_job(&req)));
}

/* pgclone.schema_async(conninfo, schema [, include_data, options]) */
Datum
pgclone_schema_async(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	JobRequest	req;
	PgcOptions	opts;

	pgc_jobs_require();
	memset(&req, 0, sizeof(req));
	req.kind = PGC_KIND_SCHEMA;
	req.conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	req.schema = pgc_text_arg(fcinfo, 1, "schema_name");
	req.include_data = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	pgc_options_parse(&opts, PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
					  PGC_OPTS_SCHEMA | PGC_OPT_PARALLEL);
	req.options = pgc_options_to_json(&opts);
	req.parallel = opts.parallel;
	PG_RETURN_INT32(job_id_result(pgc_start_job(&req)));
}

/* ---------- reading jobs: shared memory over the history table ---------- */

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

static bool
pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static char *
nz(const char *s)
{
	return (s && s[0]) ? pstrdup(s) : NULL;
}

/* Fill ji from a live slot; caller holds the lock (shared). */
static void
info_from_slot(JobInfo *ji, PgcJobSlot *s)
{
	StringInfoData cur;
	StringInfoData wk;
	uint64		inflight = 0;
	int			i;
	bool		leader_alive = true;

	initStringInfo(&cur);
	initStringInfo(&wk);
	for (i = 0; i <= pgc_jobs->max_workers; i++)
	{
		PgcWorkerEntry *w = &s->workers[i];

		if (w->pid == 0)
			continue;
		if (w->table[0])
		{
			appendStringInfo(&cur, "%s%s", cur.len ? ", " : "", w->table);
			inflight += pg_atomic_read_u64(&w->bytes);
		}
		appendStringInfo(&wk, "%s%s %d (pid %d)", wk.len ? ", " : "",
						 i == 0 ? "pgclone: job leader" : "pgclone: pool worker",
						 i, (int) w->pid);
	}
	if (s->leader_pid && s->workers[0].pid == 0)
		appendStringInfo(&wk, "%spgclone: job leader (pid %d)",
						 wk.len ? ", " : "", (int) s->leader_pid);
	if (s->coord_pid)
		appendStringInfo(&wk, "%spgclone: snapshot coordinator (pid %d)",
						 wk.len ? ", " : "", (int) s->coord_pid);
	if (s->state == PGC_JOB_RUNNING && !pid_alive(s->leader_pid))
		leader_alive = false;

	ji->live = true;
	ji->job_id = s->job_id;
	ji->kind = pstrdup(s->kind == PGC_KIND_TABLE ? "table" :
					   s->kind == PGC_KIND_REFRESH ? "refresh" : "schema");
	ji->state = pstrdup(leader_alive ? pgc_job_state_name(s->state) : "failed");
	ji->phase = nz(s->phase);
	ji->source = pstrdup(s->safe_conninfo);
	ji->schema = pstrdup(s->schema);
	ji->table = nz(s->table);
	ji->target = nz(s->target);
	ji->parallel = s->parallel;
	ji->resumed_from = s->resumed_from;
	ji->tables_total = s->tables_total;
	ji->tables_done = s->tables_done;
	ji->tables_failed = s->tables_failed;
	ji->rows = s->rows_done;
	ji->bytes = s->bytes_done + inflight;
	ji->current = cur.len ? cur.data : NULL;
	ji->workers = wk.len ? wk.data : NULL;
	ji->started = s->started;
	ji->finished = PGC_JOB_TERMINAL(s->state) ? s->finished : 0;
	ji->sqlstate = nz(s->sqlstate);
	ji->error = leader_alive ? nz(s->error) :
		pstrdup("interrupted: the job's worker exited unexpectedly");
	ji->detail = leader_alive ? nz(s->detail) : NULL;
	ji->hint = leader_alive ? nz(s->hint) : NULL;
	ji->queue_position = pgc_queue_position(s);
	ji->owner = s->useroid;
	if (s->state == PGC_JOB_COMPLETED)
		ji->percent = 100.0;
	else if (s->tables_total > 0)
	{
		double		pt = 100.0 * s->tables_done / s->tables_total;
		double		pb = s->bytes_estimate > 0 ?
			100.0 * ji->bytes / s->bytes_estimate : 0.0;

		ji->percent = Min(Max(pt, pb), 99.9);
		if (s->tables_done == s->tables_total)
			ji->percent = 99.9;
	}
}

static TimestampTz
ts_or_zero(const char *v)
{
	if (v == NULL)
		return 0;
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(v),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
}

static void
info_from_row(JobInfo *ji, PgcRows *r, int i)
{
	char	   *v;

	ji->job_id = strtoi64(pgc_get(r, i, "job_id"), NULL, 10);
	ji->kind = pgc_get(r, i, "kind");
	ji->state = pgc_get(r, i, "state");
	ji->source = pgc_get(r, i, "source");
	ji->schema = pgc_get(r, i, "schema_name");
	ji->table = pgc_get(r, i, "table_name");
	ji->target = pgc_get(r, i, "target_name");
	ji->parallel = pgc_get_int(r, i, "parallel");
	v = pgc_get(r, i, "resumed_from");
	ji->resumed_from = v ? strtoi64(v, NULL, 10) : 0;
	ji->tables_total = pgc_get_int(r, i, "tables_total");
	ji->tables_done = pgc_get_int(r, i, "tables_done");
	ji->tables_failed = pgc_get_int(r, i, "tables_failed");
	ji->rows = strtoi64(pgc_get(r, i, "rows_copied"), NULL, 10);
	ji->bytes = strtoi64(pgc_get(r, i, "bytes_copied"), NULL, 10);
	ji->started = ts_or_zero(pgc_get(r, i, "started_at"));
	ji->finished = ts_or_zero(pgc_get(r, i, "finished_at"));
	ji->sqlstate = pgc_get(r, i, "sqlstate");
	ji->error = pgc_get(r, i, "error");
	ji->detail = pgc_get(r, i, "error_detail");
	ji->hint = pgc_get(r, i, "error_hint");
	ji->owner = (Oid) strtoul(pgc_get(r, i, "owner_oid"), NULL, 10);
	ji->phase = pstrdup("done");
	if (strcmp(ji->state, "running") == 0 || strcmp(ji->state, "pending") == 0 ||
		strcmp(ji->state, "queued") == 0)
	{
		/* nothing runs it any more: a restart or crash interrupted it */
		ji->stale = true;
		ji->state = pstrdup("failed");
		ji->sqlstate = pstrdup("57P01");
		ji->error = pstrdup("interrupted: the server restarted while the job was running");
		ji->detail = ji->hint = NULL;
		ji->phase = pstrdup("interrupted");
		ji->finished = 0;
	}
	ji->percent = strcmp(ji->state, "completed") == 0 ? 100.0 :
		(ji->tables_total > 0 ? 100.0 * ji->tables_done / ji->tables_total : 0.0);
}

/* Every job of this database the caller may see, ordered by job id. */
static List *
collect_jobs(int64 only_job)
{
	List	   *out = NIL;
	PgcRows    *r;
	char		idbuf[32];
	const char *arg[1];
	int			i;
	bool		su = superuser();

	/* a watched queue moves even if what held it up was no job of ours */
	pgc_jobs_dispatch();
	snprintf(idbuf, sizeof(idbuf), INT64_FORMAT, only_job);
	arg[0] = only_job > 0 ? idbuf : NULL;
	r = pgc_job_query("SELECT * FROM pgclone.job_history"
					  " WHERE $1 IS NULL OR job_id = $1::bigint ORDER BY job_id",
					  1, arg);

	LWLockAcquire(pgc_jobs->lock, LW_SHARED);
	for (i = 0; i < r->nrows; i++)
	{
		JobInfo    *ji = palloc0(sizeof(JobInfo));
		int			k;

		info_from_row(ji, r, i);
		for (k = 0; k < pgc_jobs->max_jobs; k++)
		{
			PgcJobSlot *s = pgc_job_slot(k);

			if (s->in_use && s->dboid == MyDatabaseId && s->job_id == ji->job_id)
			{
				memset(ji, 0, sizeof(JobInfo));
				info_from_slot(ji, s);
				break;
			}
		}
		if (su || ji->owner == GetUserId())
			out = lappend(out, ji);
	}
	/* live jobs whose leader has not recorded them yet */
	for (i = 0; i < pgc_jobs->max_jobs; i++)
	{
		PgcJobSlot *s = pgc_job_slot(i);
		ListCell   *lc;
		bool		seen = false;
		int			k;

		if (!s->in_use || s->dboid != MyDatabaseId ||
			(only_job > 0 && s->job_id != only_job))
			continue;
		foreach(lc, out)
			if (((JobInfo *) lfirst(lc))->job_id == s->job_id)
				seen = true;
		for (k = 0; k < r->nrows && !seen; k++)
			if (strtoi64(pgc_get(r, k, "job_id"), NULL, 10) == s->job_id)
				seen = true;
		if (!seen && (su || s->useroid == GetUserId()))
		{
			JobInfo    *ji = palloc0(sizeof(JobInfo));

			info_from_slot(ji, s);
			out = lappend(out, ji);
		}
	}
	LWLockRelease(pgc_jobs->lock);
	return out;
}

static int64
elapsed_usecs(JobInfo *ji)
{
	TimestampTz end = ji->finished ? ji->finished : GetCurrentTimestamp();

	return ji->started ? end - ji->started : 0;
}

/* ETA from the pace so far; -1 when unknown */
static int64
eta_usecs(JobInfo *ji)
{
	if (strcmp(ji->state, "running") != 0 || ji->percent <= 0.0)
		return -1;
	return (int64) (elapsed_usecs(ji) * (100.0 - ji->percent) / ji->percent);
}

/*
 * The columns of progress_detail() / jobs_view and the keys of progress()
 * and jobs(), in one list so that they cannot drift apart: the original
 * pgclone's eighteen first, by name, type and order, then ours.
 */
typedef struct JobColumn
{
	const char *name;
	Oid			type;
} JobColumn;

static const JobColumn job_columns[] = {
	{"job_id", INT4OID},
	{"status", TEXTOID},
	{"op_type", TEXTOID},
	{"schema_name", TEXTOID},
	{"table_name", TEXTOID},
	{"current_phase", TEXTOID},
	{"current_table", TEXTOID},
	{"tables_total", INT8OID},
	{"tables_completed", INT8OID},
	{"rows_copied", INT8OID},
	{"bytes_copied", INT8OID},
	{"elapsed_ms", INT8OID},
	{"start_time", TIMESTAMPTZOID},
	{"end_time", TIMESTAMPTZOID},
	{"error_message", TEXTOID},
	{"pct_complete", FLOAT8OID},
	{"progress_bar", TEXTOID},
	{"elapsed_time", TEXTOID},
	/* ours */
	{"target_name", TEXTOID},
	{"source", TEXTOID},
	{"parallel", INT4OID},
	{"resumed_from", INT4OID},
	{"tables_failed", INT8OID},
	{"workers", TEXTOID},
	{"eta_ms", INT8OID},
	{"eta_time", TEXTOID},
	{"sqlstate", TEXTOID},
	{"error_detail", TEXTOID},
	{"error_hint", TEXTOID},
	{"queue_position", INT4OID},
};

#define JOB_NCOLS lengthof(job_columns)

static TupleDesc
job_tupdesc(void)
{
	TupleDesc	td = CreateTemplateTupleDesc(JOB_NCOLS);
	int			i;

	for (i = 0; i < JOB_NCOLS; i++)
		TupleDescInitEntry(td, i + 1, job_columns[i].name, job_columns[i].type, -1, 0);
	return BlessTupleDesc(td);
}

/* HH:MM:SS, hours unbounded */
static char *
hms(int64 usecs)
{
	int64		s = usecs / USECS_PER_SEC;

	return psprintf("%02d:%02d:%02d", (int) (s / 3600), (int) (s % 3600 / 60), (int) (s % 60));
}

/* "[####----] 42.5% | 1234 rows | 00:01:02 elapsed", the original's layout */
static char *
progress_bar(double pct, int64 rows, int64 elapsed)
{
	StringInfoData buf;
	int			filled = (int) (pct / 5.0);
	int			i;

	filled = Min(Max(filled, 0), 20);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < 20; i++)
	{
		/* block characters when the database can store them */
		if (GetDatabaseEncoding() == PG_UTF8)
			appendStringInfoString(&buf, i < filled ? "\xe2\x96\x88" : "\xe2\x96\x91");
		else
			appendStringInfoChar(&buf, i < filled ? '#' : '-');
	}
	appendStringInfo(&buf, "] %.1f%% | " INT64_FORMAT " rows | %s elapsed",
					 pct, rows, hms(elapsed));
	return buf.data;
}

/* One job as a row of job_columns */
static void
job_values(JobInfo *ji, Datum *v, bool *n)
{
	int64		elapsed = elapsed_usecs(ji);
	int64		eta = eta_usecs(ji);
	double		pct = rint(ji->percent * 10.0) / 10.0;
	int			k = 0;

	memset(n, 0, sizeof(bool) * JOB_NCOLS);
#define PUT_TEXT(s) do { if (s) v[k] = CStringGetTextDatum(s); else n[k] = true; k++; } while (0)
#define PUT_TS(t) do { if (t) v[k] = TimestampTzGetDatum(t); else n[k] = true; k++; } while (0)
	v[k++] = Int32GetDatum((int32) ji->job_id);
	PUT_TEXT(ji->state);
	PUT_TEXT(ji->kind);
	PUT_TEXT(ji->schema);
	PUT_TEXT(ji->table);
	PUT_TEXT(ji->phase);
	PUT_TEXT(ji->current);
	v[k++] = Int64GetDatum(ji->tables_total);
	v[k++] = Int64GetDatum(ji->tables_done);
	v[k++] = Int64GetDatum(ji->rows);
	v[k++] = Int64GetDatum(ji->bytes);
	v[k++] = Int64GetDatum(elapsed / 1000);
	PUT_TS(ji->started);
	PUT_TS(ji->finished);
	PUT_TEXT(ji->error);
	v[k++] = Float8GetDatum(pct);
	PUT_TEXT(progress_bar(pct, ji->rows, elapsed));
	PUT_TEXT(hms(elapsed));
	/* ours */
	PUT_TEXT(ji->target);
	PUT_TEXT(ji->source);
	v[k++] = Int32GetDatum(ji->parallel);
	if (ji->resumed_from)
		v[k] = Int32GetDatum((int32) ji->resumed_from);
	else
		n[k] = true;
	k++;
	v[k++] = Int64GetDatum(ji->tables_failed);
	PUT_TEXT(ji->workers);
	if (eta >= 0)
		v[k] = Int64GetDatum(eta / 1000);
	else
		n[k] = true;
	k++;
	PUT_TEXT(eta >= 0 ? hms(eta) : NULL);
	PUT_TEXT(ji->sqlstate);
	PUT_TEXT(ji->detail);
	PUT_TEXT(ji->hint);
	if (ji->queue_position > 0)
		v[k] = Int32GetDatum(ji->queue_position);
	else
		n[k] = true;
	k++;
#undef PUT_TEXT
#undef PUT_TS
	Assert(k == JOB_NCOLS);
}

Datum
pgclone_progress_detail(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	pgc_jobs_require();
	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != JOB_NCOLS)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgclone.progress_detail() returns %d columns, the library %d",
						rsinfo->setDesc->natts, (int) JOB_NCOLS),
				 errhint("Run ALTER EXTENSION pgclone UPDATE.")));
	foreach(lc, collect_jobs(0))
	{
		Datum		v[JOB_NCOLS];
		bool		n[JOB_NCOLS];

		job_values(lfirst(lc), v, n);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	return (Datum) 0;
}

/* One job as a JSON object with the same keys as the view's columns */
static void
job_json(StringInfo buf, TupleDesc td, JobInfo *ji)
{
	Datum		v[JOB_NCOLS];
	bool		n[JOB_NCOLS];
	HeapTuple	tup;

	job_values(ji, v, n);
	tup = heap_form_tuple(td, v, n);
	appendStringInfoString(buf, TextDatumGetCString(
		DirectFunctionCall1(row_to_json, HeapTupleGetDatum(tup))));
}

static void
json_str(StringInfo buf, const char *key, const char *val)
{
	appendStringInfo(buf, "%s\"%s\": ", buf->data[buf->len - 1] == '{' ? "" : ", ", key);
	if (val)
		escape_json(buf, val);
	else
		appendStringInfoString(buf, "null");
}

static void
json_num(StringInfo buf, const char *key, const char *val)
{
	appendStringInfo(buf, "%s\"%s\": %s", buf->data[buf->len - 1] == '{' ? "" : ", ",
					 key, val);
}

static int64
job_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("job_id must not be NULL")));
	return PG_GETARG_INT32(0);
}

static JobInfo *
find_job(int64 job_id)
{
	List	   *l = collect_jobs(job_id);

	if (l == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pgclone job " INT64_FORMAT " does not exist", job_id)));
	return linitial(l);
}

/* pgclone.progress(job_id) -> json; per-table detail included */
Datum
pgclone_progress(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int64		job_id = job_arg(fcinfo);
	JobInfo    *ji;
	StringInfoData buf;
	PgcRows    *r;
	char		idbuf[32];
	const char *arg[1] = {idbuf};
	int			i;

	pgc_jobs_require();
	ji = find_job(job_id);
	initStringInfo(&buf);
	job_json(&buf, job_tupdesc(), ji);
	buf.len--;					/* reopen the object for "tables" */
	snprintf(idbuf, sizeof(idbuf), INT64_FORMAT, job_id);
	r = pgc_job_query("SELECT schema_name, table_name, state, rows_copied, bytes_copied,"
					  " sqlstate, error, error_detail, error_hint FROM pgclone.job_tables WHERE job_id = $1::bigint"
					  " ORDER BY ord", 1, arg);
	appendStringInfoString(&buf, ", \"tables\": [");
	for (i = 0; i < r->nrows; i++)
	{
		appendStringInfoString(&buf, i ? ", {" : "{");
		json_str(&buf, "schema_name", pgc_val(r, i, 0));
		json_str(&buf, "table_name", pgc_val(r, i, 1));
		json_str(&buf, "status", pgc_val(r, i, 2));
		json_num(&buf, "rows_copied", pgc_val(r, i, 3) ? pgc_val(r, i, 3) : "null");
		json_num(&buf, "bytes_copied", pgc_val(r, i, 4) ? pgc_val(r, i, 4) : "null");
		json_str(&buf, "error_message", pgc_val(r, i, 6));
		json_str(&buf, "sqlstate", pgc_val(r, i, 5));
		json_str(&buf, "error_detail", pgc_val(r, i, 7));
		json_str(&buf, "error_hint", pgc_val(r, i, 8));
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(json_in, CStringGetDatum(buf.data)));
}

/* pgclone.jobs() -> json array of every job */
Datum
pgclone_jobs(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	StringInfoData buf;
	TupleDesc	td;
	ListCell   *lc;

	pgc_jobs_require();
	td = job_tupdesc();
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, collect_jobs(0))
	{
		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		job_json(&buf, td, lfirst(lc));
	}
	appendStringInfoChar(&buf, ']');
	PG_RETURN_DATUM(DirectFunctionCall1(json_in, CStringGetDatum(buf.data)));
}

static void
check_owner(Oid owner, int64 job_id)
{
	if (!superuser() && owner != GetUserId())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgclone job " INT64_FORMAT " belongs to another role", job_id)));
}

/* pgclone.cancel(job_id): signal every worker of a running job */
Datum
pgclone_cancel(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int64		job_id = job_arg(fcinfo);
	pid_t		pids[65];
	int			npids = 0;
	bool		found = false;
	int			i;

	pgc_jobs_require();
	(void) find_job(job_id);	/* ERROR if unknown or not visible */
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	for (i = 0; i < pgc_jobs->max_jobs; i++)
	{
		PgcJobSlot *s = pgc_job_slot(i);
		int			w;

		if (!s->in_use || s->dboid != MyDatabaseId || s->job_id != job_id ||
			PGC_JOB_TERMINAL(s->state))
			continue;
		if (!superuser() && s->useroid != GetUserId())
		{
			LWLockRelease(pgc_jobs->lock);
			check_owner(s->useroid, job_id);
		}
		found = true;
		if (pgc_queue_cancel(s))
			continue;			/* no process yet: cancelled here */
		s->cancel = true;
		/* workers doing table work take SIGINT: their statement is cancelled */
		for (w = 0; w <= pgc_jobs->max_workers && npids < 65; w++)
			if (s->workers[w].pid)
				pids[npids++] = s->workers[w].pid;
	}
	LWLockRelease(pgc_jobs->lock);
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGINT);
	if (found)
		pgc_queue_cancel_record(job_id);
	if (!found)
		ereport(NOTICE,
				(errmsg("pgclone job " INT64_FORMAT " is not running", job_id)));
	PG_RETURN_BOOL(found);
}

/* pgclone.resume(job_id [, conninfo]): a new job redoing what did not finish */
Datum
pgclone_resume(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int64		job_id = job_arg(fcinfo);
	JobInfo    *ji;
	JobRequest	req;
	PgcRows    *r;
	char		idbuf[32];
	const char *arg[1] = {idbuf};

	/* a conninfo may carry a password: keep the statement out of the log */
	if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
		pgc_hide_statement();
	pgc_jobs_require();
	ji = find_job(job_id);
	check_owner(ji->owner, job_id);
	if (strcmp(ji->state, "completed") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgclone job " INT64_FORMAT " completed: nothing to resume", job_id)));
	if (strcmp(ji->kind, "refresh") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pgclone job " INT64_FORMAT " is a refresh, which is not resumed", job_id),
				 errhint("Run pgclone.refresh() again: a failed refresh left the old database serving.")));
	if (strcmp(ji->state, "failed") != 0 && strcmp(ji->state, "cancelled") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgclone job " INT64_FORMAT " is still %s", job_id, ji->state),
				 errhint("Cancel it first with pgclone.cancel(" INT64_FORMAT ").", job_id)));

	snprintf(idbuf, sizeof(idbuf), INT64_FORMAT, job_id);
	r = pgc_job_query("SELECT include_data, options, parallel FROM pgclone.job_history"
					  " WHERE job_id = $1::bigint", 1, arg);
	if (r->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgclone job " INT64_FORMAT " has no history to resume from yet", job_id)));
	if (ji->stale)
		pgc_job_sql("UPDATE pgclone.job_history SET state = 'failed', sqlstate = '57P01',"
					" error = 'interrupted: the server restarted while the job was running',"
					" finished_at = coalesce(finished_at, now())"
					" WHERE job_id = $1::bigint", 1, arg);

	memset(&req, 0, sizeof(req));
	req.kind = strcmp(ji->kind, "table") == 0 ? PGC_KIND_TABLE : PGC_KIND_SCHEMA;
	req.conninfo = (PG_NARGS() > 1 && !PG_ARGISNULL(1)) ?
		text_to_cstring(PG_GETARG_TEXT_PP(1)) : ji->source;
	req.schema = ji->schema;
	req.table = ji->table;
	req.target = ji->target;
	req.include_data = pgc_val(r, 0, 0)[0] == 't';
	req.options = pgc_val(r, 0, 1);
	req.parallel = atoi(pgc_val(r, 0, 2));
	req.resumed_from = job_id;
	PG_RETURN_INT32(job_id_result(pgc_start_job(&req)));
}

/* pgclone.clear_jobs(): forget finished jobs; returns how many */
Datum
pgclone_clear_jobs(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	StringInfoData live;
	const char *args[2];
	int			n;
	int			i;

	pgc_jobs_require();
	initStringInfo(&live);
	appendStringInfoChar(&live, '{');
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	for (i = 0; i < pgc_jobs->max_jobs; i++)
	{
		PgcJobSlot *s = pgc_job_slot(i);

		if (!s->in_use || s->dboid != MyDatabaseId)
			continue;
		if (!PGC_JOB_TERMINAL(s->state))
			appendStringInfo(&live, "%s" INT64_FORMAT, live.len > 1 ? "," : "", s->job_id);
		else if (superuser() || s->useroid == GetUserId())
			s->in_use = false;
	}
	LWLockRelease(pgc_jobs->lock);
	appendStringInfoChar(&live, '}');
	args[0] = live.data;
	args[1] = superuser() ? NULL : psprintf("%u", GetUserId());
	n = pgc_job_sql("DELETE FROM pgclone.job_history WHERE job_id <> ALL ($1::bigint[])"
					" AND ($2 IS NULL OR owner_oid = $2::oid)", 2, args);
	PG_RETURN_INT32(n);
}
