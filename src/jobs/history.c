/*
 * history.c — the durable record of async jobs: pgclone.job_history and
 * pgclone.job_tables (password-free), run as the bootstrap superuser.
 *
 * Writes: a job's start, its planned tables (the ones a resumed job's chain
 * finished stay done), its pre-data mark and its outcome (worker side).
 * Reads: a history row as a job for the views; a job the table says is
 * running but that has no live slot was interrupted (restart, crash) and is
 * shown as failed.
 */
#include "jobs/jobs_int.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

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

/* ---------- a history row as a job (reading) ---------- */

static TimestampTz
ts_or_zero(const char *v)
{
	if (v == NULL)
		return 0;
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(v),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
}

void
pgc_job_info_from_row(JobInfo *ji, PgcRows *r, int i)
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

/* ---------- job records (a queued job has its row already: queue.c) ---------- */

void
pgc_record_start(void)
{
	const char *a[12];
	char		par[16];
	char		owner[16];
	char		resumed[32];

	snprintf(par, sizeof(par), "%d", pgc_my_slot->parallel);
	snprintf(owner, sizeof(owner), "%u", pgc_my_slot->useroid);
	snprintf(resumed, sizeof(resumed), INT64_FORMAT, pgc_my_slot->resumed_from);
	a[0] = pgc_my_job_id;
	a[1] = pgc_my_slot->kind == PGC_KIND_TABLE ? "table" : "schema";
	a[2] = owner;
	a[3] = pgc_my_slot->safe_conninfo;
	a[4] = pgc_my_slot->schema;
	a[5] = pgc_my_slot->table[0] ? pgc_my_slot->table : NULL;
	a[6] = pgc_my_slot->target[0] ? pgc_my_slot->target : NULL;
	a[7] = pgc_my_slot->include_data ? "true" : "false";
	a[8] = pgc_my_options_json;
	a[9] = par;
	a[10] = pgc_my_slot->resumed_from ? resumed : NULL;
	/* a queued job starts now: its time in the queue is not its run time */
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_slot->started = GetCurrentTimestamp();
	LWLockRelease(pgc_jobs->lock);
	a[11] = timestamptz_to_str(pgc_my_slot->started);
	pgc_job_sql_xact("INSERT INTO pgclone.job_history (job_id, kind, owner_oid, source,"
					 " schema_name, table_name, target_name, include_data, options, parallel,"
					 " resumed_from, state, started_at) VALUES ($1::bigint, $2, $3::oid, $4, $5,"
					 " $6, $7, $8::boolean, $9, $10::int, $11::bigint, 'running', $12::timestamptz)"
					 " ON CONFLICT (job_id) DO UPDATE SET state = 'running', started_at = $12::timestamptz"
					 " WHERE job_history.state = 'queued'", 12, a);
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_slot->state = PGC_JOB_RUNNING;
	LWLockRelease(pgc_jobs->lock);
}

/*
 * Insert the job's tables (schema, name[, size]) in the caller's
 * transaction; ones a resumed job's chain already finished stay done.
 */
void
pgc_job_plan_tables_insert(PgcRows *tables)
{
	char		ordtxt[16];
	char		resumed[32];
	const char *a[5];
	int			i;

	snprintf(resumed, sizeof(resumed), INT64_FORMAT, pgc_my_slot->resumed_from);
	for (i = 0; i < tables->nrows; i++)
	{
		snprintf(ordtxt, sizeof(ordtxt), "%d", i);
		a[0] = pgc_my_job_id;
		a[1] = ordtxt;
		a[2] = pgc_val(tables, i, 0);
		a[3] = pgc_val(tables, i, 1);
		a[4] = pgc_my_slot->resumed_from ? resumed : NULL;
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
void
pgc_job_plan_counts(uint64 estimate)
{
	const char *a[1] = {pgc_my_job_id};
	PgcRows    *r;

	r = pgc_job_query_xact("SELECT count(*), count(*) FILTER (WHERE state = 'done'),"
					   " coalesce(sum(rows_copied), 0), coalesce(sum(bytes_copied), 0),"
					   " count(*) FILTER (WHERE state = 'failed')"
					   " FROM pgclone.job_tables WHERE job_id = $1::bigint", 1, a);
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_slot->tables_total = atoi(pgc_val(r, 0, 0));
	pgc_my_slot->tables_done = atoi(pgc_val(r, 0, 1));
	pgc_my_slot->rows_done = strtou64(pgc_val(r, 0, 2), NULL, 10);
	pgc_my_slot->bytes_done = strtou64(pgc_val(r, 0, 3), NULL, 10);
	pgc_my_slot->bytes_estimate = estimate;
	pgc_my_slot->tables_failed = atoi(pgc_val(r, 0, 4));
	LWLockRelease(pgc_jobs->lock);
}

/* Plan the job's tables in a transaction of their own. */
void
pgc_job_plan_tables(PgcRows *tables)
{
	uint64		estimate = 0;
	int			i;

	pgc_xact_begin();
	pgc_job_plan_tables_insert(tables);
	pgc_xact_commit();
	for (i = 0; i < tables->nrows; i++)
		if (tables->ncols > 2 && pgc_val(tables, i, 2))
			estimate += strtou64(pgc_val(tables, i, 2), NULL, 10);
	pgc_job_plan_counts(estimate);
}

/* Record the outcome: honest state from the per-table records. */
void
pgc_finish_job(ErrorData *e)
{
	bool		cancel = pgc_job_cancelled();
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

	a[0] = pgc_my_job_id;
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
	r = pgc_job_query_xact("SELECT a.*, f.sqlstate, CASE WHEN f.error IS NOT NULL THEN"
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

	if (cancel && !(pgc_my_all_done && e == NULL && failed == 0 && done == total))
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
			sqlstate = pgc_my_slot->sqlstate[0] ? pstrdup(pgc_my_slot->sqlstate) : "XX000";
			error = pgc_my_slot->error[0] ? pstrdup(pgc_my_slot->error) : "some tables were not cloned";
			detail = pgc_my_slot->detail[0] ? pstrdup(pgc_my_slot->detail) : NULL;
			hint = pgc_my_slot->hint[0] ? pstrdup(pgc_my_slot->hint) : NULL;
			LWLockRelease(pgc_jobs->lock);
		}
	}
	else
		st = PGC_JOB_COMPLETED;

	{
		const char *b[11];

		b[9] = detail;
		b[10] = hint;
		b[0] = pgc_my_job_id;
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
	pgc_my_slot->state = st;
	pgc_my_slot->finished = GetCurrentTimestamp();
	pgc_my_slot->tables_total = total;
	pgc_my_slot->tables_done = done;
	pgc_my_slot->tables_failed = failed;
	pgc_my_slot->rows_done = strtou64(pgc_val(r, 0, 3), NULL, 10);
	pgc_my_slot->bytes_done = strtou64(pgc_val(r, 0, 4), NULL, 10);
	strlcpy(pgc_my_slot->sqlstate, sqlstate ? sqlstate : "", sizeof(pgc_my_slot->sqlstate));
	strlcpy(pgc_my_slot->error, error ? error : "", PGC_ERROR_MAX);
	strlcpy(pgc_my_slot->detail, detail ? detail : "", PGC_ERROR_MAX);
	strlcpy(pgc_my_slot->hint, hint ? hint : "", PGC_ERROR_MAX);
	strlcpy(pgc_my_slot->phase, "done", sizeof(pgc_my_slot->phase));
	memset(pgc_my_slot->conninfo, 0, PGC_CONNINFO_MAX);	/* the password goes now */
	LWLockRelease(pgc_jobs->lock);
}

/* ---------- the pre-data mark of a schema job ---------- */

/*
 * The nearest job of the resume chain whose pre-data phase committed
 * (NULL: none, run it); *skipped gets the objects that phase skipped.
 */
char *
pgc_predata_done_by(char **skipped)
{
	char		resumed[32];
	const char *a[1] = {resumed};
	PgcRows    *r;

	*skipped = NULL;
	if (pgc_my_slot->resumed_from == 0)
		return NULL;
	snprintf(resumed, sizeof(resumed), INT64_FORMAT, pgc_my_slot->resumed_from);
	r = pgc_job_query_xact("WITH RECURSIVE chain(id, depth) AS (SELECT $1::bigint, 0 UNION ALL"
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
void
pgc_predata_record(const char *skipped)
{
	const char *a[2] = {pgc_my_job_id, skipped};

	pgc_job_sql("UPDATE pgclone.job_history SET predata_done = true, predata_skip = $2"
				" WHERE job_id = $1::bigint", 2, a);
}
