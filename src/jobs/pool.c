/*
 * pool.c — loading tables: one table in one local transaction (TRUNCATE +
 * COPY FREEZE, its own indexes and constraints, marked done in
 * pgclone.job_tables), the loop claiming pending tables one at a time
 * (FOR UPDATE SKIP LOCKED), and the pool worker that runs it beside the
 * job leader, on the snapshot the coordinator exported.
 */
#include "jobs/jobs_int.h"
#include "clone/schema.h"
#include "plan/subset.h"

#include <ctype.h>

#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

/* ---------- one table ---------- */

/*
 * A pool worker reads table definitions in batches, as the synchronous clone
 * reads its whole plan (catalog/read_batch.c): before it loads a table that
 * is not in its current batch, it reads the definitions of that table and of
 * the next PREFETCH - 1 pending ones in one statement per catalog.  Tables
 * are still claimed one at a time, largest first, so the balance between
 * workers is kept; a definition read for a table that another worker then
 * claims costs only its rows.  The batch lives across the per-table
 * transactions, in its own memory context.
 */
#define PREFETCH 64

static MemoryContext prefetch_cxt = NULL;
static PgcObject *prefetched = NULL;
static int	nprefetched = 0;

static const char *
prefetched_oid(const char *nsp, const char *rel)
{
	int			i;

	for (i = 0; i < nprefetched; i++)
		if (strcmp(prefetched[i].nspname, nsp) == 0 && strcmp(prefetched[i].name, rel) == 0)
			return prefetched[i].oid;
	return NULL;
}

/* Make table ord, and the pending tables after it, the current batch. */
static void
prefetch_tables(PGconn *conn, int ord, const char *nsp, const char *rel)
{
	char		ordtxt[16];
	char		limit[16];
	const char *args[3] = {pgc_my_job_id, ordtxt, limit};
	List	   *nsps = NIL,
			   *rels = NIL;
	PgcRows    *r;
	MemoryContext old;
	int			i;

	if (prefetched_oid(nsp, rel) != NULL)
		return;
	if (prefetch_cxt == NULL)
		prefetch_cxt = AllocSetContextCreate(TopMemoryContext, "pgclone prefetch",
											 ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(prefetch_cxt);	/* forgets the last batch's model */
	prefetched = NULL;
	nprefetched = 0;
	old = MemoryContextSwitchTo(prefetch_cxt);
	snprintf(ordtxt, sizeof(ordtxt), "%d", ord);
	snprintf(limit, sizeof(limit), "%d", PREFETCH);
	r = pgc_job_query_xact("SELECT schema_name, table_name FROM pgclone.job_tables"
					   " WHERE job_id = $1::bigint"
					   "  AND (ord = $2::int OR state = 'pending' AND ord > $2::int)"
					   " ORDER BY ord LIMIT $3::int", 3, args);
	for (i = 0; i < r->nrows; i++)
	{
		nsps = lappend(nsps, pgc_val(r, i, 0));
		rels = lappend(rels, pgc_val(r, i, 1));
	}
	r = pgc_read_table_oids(conn, nsps, rels);
	prefetched = palloc0(sizeof(PgcObject) * Max(r->nrows, 1));
	for (i = 0; i < r->nrows; i++)
	{
		PgcObject  *o = &prefetched[i];

		o->kind = 'R';
		o->classid = RelationRelationId;
		o->oid = pgc_val(r, i, 2);
		o->objid = (Oid) strtoul(o->oid, NULL, 10);
		o->nspname = pgc_val(r, i, 0);
		o->name = pgc_val(r, i, 1);
	}
	nprefetched = r->nrows;
	pgc_catalog_begin(conn, prefetched, nprefetched, list_make1(pstrdup(pgc_my_slot->schema)));
	MemoryContextSwitchTo(old);
}

/*
 * A schema job's table, created empty by the pre-data phase: TRUNCATE gives
 * it a new file in this transaction (so COPY still uses FREEZE, and a
 * failure rolls back to the empty table), then its rows and its own
 * post-data as pgclone.schema() does them.  Foreign keys, sequence values
 * and the rest come in the post-data phase.
 */
static uint64
clone_pool_table(PGconn *conn, const char *nsp, const char *rel)
{
	PgcPlanTable *pt = pgc_plan_table_fetch(conn, prefetched_oid(nsp, rel), nsp, rel, &pgc_my_opts);
	int			nest = pgc_plan_gucs();
	uint64		rows = 0;

	pgc_local_exec(psprintf("TRUNCATE ONLY %s", pgc_qname(nsp, rel)));
	if (pgc_my_slot->include_data)
	{
		/* checked by the pre-data phase */
		pgc_subset_assign(pgc_subset_build(conn, list_make1(pstrdup(pgc_my_slot->schema)),
										   &pgc_my_opts, false), pt);
		rows = pgc_copy_table(conn, pt->table, &pt->target, pt->opts, true);
	}
	pgc_plan_exec(pgc_plan_table_post_data(pt, &pgc_my_opts));
	AtEOXact_GUC(true, nest);
	return rows;
}

/* A table job: exactly pgclone.table(); rows read back from its result */
static uint64
clone_job_table(PGconn *conn, const char *nsp, const char *rel, const char *tgtname)
{
	char	   *res = pgc_clone_table(conn, nsp, rel, tgtname, pgc_my_slot->include_data, &pgc_my_opts);
	char	   *p = strrchr(res, '(');

	return (p && isdigit((unsigned char) p[1])) ? strtou64(p + 1, NULL, 10) : 0;
}

static void
record_table_failure(int ord, ErrorData *e)
{
	bool		cancelled = pgc_job_cancelled() && e->sqlerrcode == ERRCODE_QUERY_CANCELED;
	char		ordtxt[16];
	const char *args[7];

	snprintf(ordtxt, sizeof(ordtxt), "%d", ord);
	args[0] = pgc_my_job_id;
	args[1] = ordtxt;
	args[2] = cancelled ? "cancelled" : "failed";
	args[3] = unpack_sql_state(e->sqlerrcode);
	args[4] = e->message ? e->message : "unknown error";
	args[5] = e->detail;
	args[6] = e->hint;
	pgc_job_sql_xact("UPDATE pgclone.job_tables SET state = $3, sqlstate = $4, error = $5,"
					 " error_detail = $6, error_hint = $7,"
					 " finished_at = now() WHERE job_id = $1::bigint AND ord = $2::int",
					 7, args);
	if (!cancelled)
	{
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		pgc_my_slot->tables_failed++;
		LWLockRelease(pgc_jobs->lock);
		pgc_note_error(e, NULL);
	}
}

/*
 * Create, load and index one table in one local transaction that also marks
 * it done: committed whole or not at all.  Returns false on failure.
 */
bool
pgc_run_table(PGconn *conn, int ord, const char *nsp, const char *rel,
		  const char *tgtname, bool table_job)
{
	int			spi;
	volatile uint64 rows = 0;
	volatile uint64 bytes = 0;
	volatile bool ok = true;
	char	   *qn = pgc_qname(nsp, rel);

	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	strlcpy(pgc_my_entry->table, qn, PGC_RELNAME_MAX);
	pg_atomic_write_u64(&pgc_my_entry->bytes, 0);
	LWLockRelease(pgc_jobs->lock);

	PG_TRY();
	{
		char		ordtxt[16];
		char		rowstxt[32];
		char		bytestxt[32];
		const char *args[4];

		pgc_xact_begin();
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("pgclone job %s: cloning %s", pgc_my_job_id, qn));
		spi = pgc_spi_connect();
		rows = table_job ? clone_job_table(conn, nsp, rel, tgtname) :
			clone_pool_table(conn, nsp, rel);
		pgc_spi_finish(spi);
		bytes = pg_atomic_read_u64(&pgc_my_entry->bytes);
		snprintf(ordtxt, sizeof(ordtxt), "%d", ord);
		snprintf(rowstxt, sizeof(rowstxt), UINT64_FORMAT, (uint64) rows);
		snprintf(bytestxt, sizeof(bytestxt), UINT64_FORMAT, (uint64) bytes);
		args[0] = pgc_my_job_id;
		args[1] = ordtxt;
		args[2] = rowstxt;
		args[3] = bytestxt;
		pgc_job_sql("UPDATE pgclone.job_tables SET state = 'done', rows_copied = $3::bigint,"
					" bytes_copied = $4::bigint, finished_at = now()"
					" WHERE job_id = $1::bigint AND ord = $2::int", 4, args);
		pgc_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *e = pgc_catch_error();

		ok = false;
		ereport(LOG,
				(errmsg("pgclone job %s: table %s failed: %s", pgc_my_job_id, qn, e->message)));
		record_table_failure(ord, e);
	}
	PG_END_TRY();

	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	if (ok)
	{
		pgc_my_slot->tables_done++;
		pgc_my_slot->rows_done += rows;
		pgc_my_slot->bytes_done += bytes;
	}
	pgc_my_entry->table[0] = '\0';
	pg_atomic_write_u64(&pgc_my_entry->bytes, 0);
	LWLockRelease(pgc_jobs->lock);
	return ok;
}

/* Claim pending tables one at a time until none is left (or we must stop). */
void
pgc_pool_loop(PGconn *conn)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "pgclone pool",
											  ALLOCSET_DEFAULT_SIZES);
	const char *args[1] = {pgc_my_job_id};

	for (;;)
	{
		MemoryContext old;
		PgcRows    *r;
		bool		ok;

		CHECK_FOR_INTERRUPTS();
		if (pgc_job_cancelled())
			break;
		MemoryContextReset(cxt);
		old = MemoryContextSwitchTo(cxt);
		r = pgc_job_query_xact("UPDATE pgclone.job_tables SET state = 'running', started_at = now()"
						   " WHERE job_id = $1::bigint AND ord = ("
						   "  SELECT ord FROM pgclone.job_tables WHERE job_id = $1::bigint"
						   "   AND state = 'pending' ORDER BY ord LIMIT 1 FOR UPDATE SKIP LOCKED)"
						   " RETURNING ord, schema_name, table_name", 1, args);
		MemoryContextSwitchTo(old);
		if (r->nrows == 0)
			break;
		prefetch_tables(conn, atoi(pgc_val(r, 0, 0)), pgc_val(r, 0, 1), pgc_val(r, 0, 2));
		ok = pgc_run_table(conn, atoi(pgc_val(r, 0, 0)), pgc_val(r, 0, 1), pgc_val(r, 0, 2),
					   NULL, false);
		/* after an error the source session is only reusable if still idle in its xact */
		if (!ok && PQtransactionStatus(conn) != PQTRANS_INTRANS)
			break;
	}
	MemoryContextDelete(cxt);
}

/* ---------- entry point ---------- */

void
pgclone_pool_main(Datum main_arg)
{
	volatile bool counted = false;
	PGconn	   *conn;

	pgc_worker_setup(false);
	PG_TRY();
	{
		char	   *snapshot = NULL;

		pgc_parse_options();
		if (pgc_my_opts.consistent)
			snapshot = pgc_wait_snapshot(NULL);
		conn = pgc_source_open(pgc_my_opts.consistent, snapshot);
		pgc_count_attached();
		counted = true;
		pgc_pool_loop(conn);
		pgc_disconnect(conn);
	}
	PG_CATCH();
	{
		ErrorData  *e = pgc_catch_error();

		if (!counted)
			pgc_count_attached();
		if (!pgc_job_cancelled())
		{
			ereport(LOG, (errmsg("pgclone job %s: pool worker %d failed: %s",
								 pgc_my_job_id, pgc_my_arg.workerno, e->message)));
			pgc_note_error(e, "pool worker: ");
		}
	}
	PG_END_TRY();
	proc_exit(0);
}
