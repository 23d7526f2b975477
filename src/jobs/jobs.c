/*
 * jobs.c — the SQL functions that start and steer async clone jobs:
 * table_async, schema_async, cancel, resume and clear_jobs.
 *
 * The calling backend only validates, fills a slot and starts the job's
 * leader worker (leader.c), or queues it (queue.c); everything else happens
 * in background workers.  Reading jobs is progress.c's.
 */
#include "jobs/jobs_int.h"

#include <signal.h>

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(pgclone_table_async);
PG_FUNCTION_INFO_V1(pgclone_schema_async);
PG_FUNCTION_INFO_V1(pgclone_cancel);
PG_FUNCTION_INFO_V1(pgclone_resume);
PG_FUNCTION_INFO_V1(pgclone_clear_jobs);

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
	int64		job_id = pgc_job_arg(fcinfo);
	pid_t		pids[65];
	int			npids = 0;
	bool		found = false;
	int			i;

	pgc_jobs_require();
	(void) pgc_find_job(job_id);	/* ERROR if unknown or not visible */
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
	int64		job_id = pgc_job_arg(fcinfo);
	JobInfo    *ji;
	JobRequest	req;
	PgcRows    *r;
	char		idbuf[32];
	const char *arg[1] = {idbuf};

	/* a conninfo may carry a password: keep the statement out of the log */
	if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
		pgc_hide_statement();
	pgc_jobs_require();
	ji = pgc_find_job(job_id);
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
