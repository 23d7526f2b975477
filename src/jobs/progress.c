/*
 * progress.c — reading jobs: shared memory over the history table, as rows
 * (progress_detail(), behind jobs_view) and as JSON (progress(), jobs()).
 */
#include "jobs/jobs_int.h"

#include <math.h>
#include <signal.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"

PG_FUNCTION_INFO_V1(pgclone_progress_detail);
PG_FUNCTION_INFO_V1(pgclone_progress);
PG_FUNCTION_INFO_V1(pgclone_jobs);

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

		pgc_job_info_from_row(ji, r, i);
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

int64
pgc_job_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("job_id must not be NULL")));
	return PG_GETARG_INT32(0);
}

JobInfo *
pgc_find_job(int64 job_id)
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
	int64		job_id = pgc_job_arg(fcinfo);
	JobInfo    *ji;
	StringInfoData buf;
	PgcRows    *r;
	char		idbuf[32];
	const char *arg[1] = {idbuf};
	int			i;

	pgc_jobs_require();
	ji = pgc_find_job(job_id);
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
