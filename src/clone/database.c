/*
 * database.c — pgclone.database() and pgclone.database_create().
 *
 * pgclone.database() clones every user schema of the source into the
 * current database, in the caller's transaction, as one plan (so foreign
 * keys and views across schemas find their targets).
 *
 * pgclone.database_create() needs CREATE DATABASE, which cannot run inside a
 * transaction block or a function, and a clone that runs in the new
 * database.  Both happen in dynamic background workers started by the
 * caller: the first, connected to the caller's database as the caller's
 * role, calls createdb() in its own transaction; the second, connected to
 * the new database, installs pgclone there and runs the clone.  The
 * conninfo travels through a dynamic shared memory segment, never through
 * SQL text, a command line or the log; no loopback login (and so no trust
 * authentication) is needed.  The caller waits for each worker and re-raises
 * its error.  Like CREATE DATABASE, the function refuses to run inside a
 * transaction block, since the new database outlives a ROLLBACK.
 *
 * A database it creates is cloned in steps (locks.c): the worker commits
 * whenever a step's share of the lock table is used up, so any number of
 * relations fits; if the clone fails, a third worker drops that database.
 * An existing database is cloned into in one transaction, as database()
 * does (lock budget checked first): a failure leaves it as it was.
 */
#include "clone/schema.h"
#include "mask/mask.h"
#include "clone/locks.h"
#include "plan/subset.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

PG_FUNCTION_INFO_V1(pgclone_database);
PG_FUNCTION_INFO_V1(pgclone_database_create);

PGDLLEXPORT void pgclone_db_worker_main(Datum arg);

#define DBW_CREATE	1
#define DBW_CLONE	2
#define DBW_DROP	3

typedef struct DbShared
{
	int			mode;
	Oid			dbid;			/* where the worker connects */
	Oid			userid;
	bool		data;
	bool		ok;
	bool		created;
	Oid			newdb;
	char		dbname[NAMEDATALEN];
	char		sqlstate[6];
	char		message[2048];
	char		detail[1024];
	char		hint[512];
	char		result[1024];
	Size		conninfo_len;
	char		payload[FLEXIBLE_ARRAY_MEMBER]; /* conninfo \0 options \0 */
} DbShared;

static void
put_text(char *dst, Size size, const char *src)
{
	if (src)
		strlcpy(dst, src, size);
	else
		dst[0] = '\0';
}

/* Was the table created, or given a new file, in this transaction? */
static bool
new_in_this_xact(PgcTarget *tgt)
{
	Oid			relid = RangeVarGetRelid(makeRangeVar(tgt->nspname, tgt->relname, -1),
										 AccessShareLock, false);
	Relation	rel = relation_open(relid, NoLock);
	bool		fresh = rel->rd_createSubid != InvalidSubTransactionId ||
		PGC_REL_NEW_FILE_SUBID(rel) != InvalidSubTransactionId;

	relation_close(rel, NoLock);
	return fresh;
}

/*
 * The clone of a database this call created, in steps: pre-data, then each
 * table (its rows with COPY FREEZE: TRUNCATE gives it a new file if an
 * earlier step created it; then its own indexes and constraints), then the
 * rest of the post-data, committing whenever a step's share of the lock
 * table is used up.  The source is read through one snapshot throughout;
 * snap_time and rows (if not NULL) get the source's time of it and the
 * rows loaded.  The caller is
 * connected to the new database, in a transaction, without SPI.
 */
char *
pgc_clone_database_steps(const char *conninfo, bool data, const PgcOptions *opts,
						 char **snap_time, uint64 *rows)
{
	PGconn	   *conn;
	char	   *snapshot;
	List	   *schemas;
	PgcClonePlan *plan;
	PgcSubset  *subset;
	List	   *loaded = NIL,
			   *counts = NIL,
			   *post;
	ListCell   *lc;
	int			spi;
	int			nest;
	char	   *res;

	/* non-atomic: the steps commit under it */
	spi = pgc_spi_connect_ext(SPI_OPT_NONATOMIC);
	conn = pgc_snapshot_keeper(conninfo, opts->consistent, &snapshot);
	pgc_conn_keep(conn);		/* it outlives the steps' commits */
	if (snap_time)				/* refresh.c records it */
		*snap_time = MemoryContextStrdup(TopMemoryContext,
										 pgc_val(pgc_query(conn, "SELECT pg_catalog.now()::text"), 0, 0));
	schemas = pgc_source_user_schemas(conn);
	pgc_steps_begin();
	nest = pgc_plan_gucs();
	plan = pgc_plan_read(conn, schemas, false, true, opts);
	/* a subset is planned, and its mistakes found, before anything is created */
	subset = data ? pgc_subset_build(conn, plan->schemas, opts, true) : NULL;
	pgc_plan_pre_data(conn, plan, opts);
	(void) pgc_plan_masks(plan, opts);
	foreach(lc, plan->tables)
	{
		PgcPlanTable *pt = lfirst(lc);

		if (!pt->load)
			continue;
		pgc_steps_charge(3 + (pt->table->indexes ? pt->table->indexes->nrows : 0));
		if (data)
		{
			uint64	   *n = palloc(sizeof(uint64));

			if (!new_in_this_xact(&pt->target))
				pgc_local_exec(psprintf("TRUNCATE ONLY %s",
										pgc_qname(pt->target.nspname, pt->target.relname)));
			pgc_subset_assign(subset, pt);
			*n = pgc_copy_table(conn, pt->table, &pt->target, pt->opts, true);
			plan->rows += *n;
			loaded = lappend(loaded, pt);
			counts = lappend(counts, n);
		}
		post = pgc_plan_table_post_data(pt, opts);
		pgc_plan_count_post(plan, post);
		pgc_plan_exec(post);
	}
	pgc_subset_report(subset, loaded, counts);
	post = pgc_plan_post_data_ex(conn, plan, opts, false);
	pgc_plan_count_post(plan, post);
	pgc_steps_exec(post);
	(void) pgc_clone_large_objects(conn, data, opts->conflict);
	AtEOXact_GUC(true, nest);
	if (rows)
		*rows = plan->rows;
	res = MemoryContextStrdup(TopMemoryContext,
							  psprintf("%d schemas, %s", list_length(schemas),
									   pgc_plan_summary(plan)));
	elog(LOG, "pgclone: database clone committed in %d steps", pgc_steps_commits() + 1);
	pgc_steps_end();
	pgc_command(conn, "COMMIT");
	pgc_disconnect(conn);
	pgc_spi_finish(spi);
	return res;
}

void
pgclone_db_worker_main(Datum arg)
{
	int			spi;
	dsm_segment *seg;
	DbShared   *sh;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "pgclone database worker");
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgclone: could not attach to the shared memory segment")));
	sh = dsm_segment_address(seg);
	BackgroundWorkerInitializeConnectionByOid(sh->dbid, sh->userid, 0);

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (sh->mode == DBW_CREATE)
		{
			pgstat_report_activity(STATE_RUNNING, "pgclone: create database");
			sh->newdb = get_database_oid(sh->dbname, true);
			if (!OidIsValid(sh->newdb))
			{
				CreatedbStmt *stmt = makeNode(CreatedbStmt);

				stmt->dbname = sh->dbname;
				stmt->options = NIL;
				sh->newdb = createdb(make_parsestate(NULL), stmt);
				sh->created = true;
			}
		}
		else if (sh->mode == DBW_DROP)
		{
			pgstat_report_activity(STATE_RUNNING, "pgclone: drop database");
			dropdb(sh->dbname, true, false);
		}
		else
		{
			PgcOptions	opts;
			char	   *conninfo = sh->payload;
			char	   *options = sh->payload + sh->conninfo_len + 1;
			char	   *res;

			pgstat_report_activity(STATE_RUNNING, "pgclone: clone database");
			spi = pgc_spi_connect();
			pgc_local_exec("CREATE EXTENSION IF NOT EXISTS pgclone");
			pgc_spi_finish(spi);
			pgc_options_parse(&opts, options[0] ? options : NULL, PGC_OPTS_SCHEMA);
			if (sh->created)
				res = pgc_clone_database_steps(conninfo, sh->data, &opts, NULL, NULL);
			else
				res = pgc_clone_schemas(conninfo, NIL, sh->data, false, &opts,
										"cloning database");
			put_text(sh->result, sizeof(sh->result), res);
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
		sh->ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(TopMemoryContext);
		e = CopyErrorData();
		memcpy(sh->sqlstate, unpack_sql_state(e->sqlerrcode), 5);
		sh->sqlstate[5] = '\0';
		put_text(sh->message, sizeof(sh->message), e->message);
		put_text(sh->detail, sizeof(sh->detail), e->detail);
		put_text(sh->hint, sizeof(sh->hint), e->hint);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
	dsm_detach(seg);
	proc_exit(0);
}

/* Start a worker on the segment and wait for it; re-raise its error. */
static void
run_worker(dsm_segment *seg, DbShared *sh, const char *what)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus st;
	bool		waited = false;

	pgc_bgworker_init(&w, "pgclone_db_worker_main", "pgclone database worker");
	snprintf(w.bgw_name, BGW_MAXLEN, "pgclone: %s", what);
	w.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	w.bgw_notify_pid = MyProcPid;

	sh->ok = false;
	sh->message[0] = '\0';
	/* every slot taken (async jobs, parallel query): wait for one, cancellable */
	while (!RegisterDynamicBackgroundWorker(&w, &handle))
	{
		int			rc;

		if (!waited)
			ereport(NOTICE,
					(errmsg("pgclone: waiting for a free background worker to %s", what),
					 errdetail("All %d background worker slots (max_worker_processes) are in use.",
							   max_worker_processes)));
		waited = true;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   100, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	PG_TRY();
	{
		st = WaitForBackgroundWorkerShutdown(handle);
	}
	PG_CATCH();
	{
		/* wait for it to go: the database may have to be dropped next */
		HOLD_INTERRUPTS();
		TerminateBackgroundWorker(handle);
		(void) WaitForBackgroundWorkerShutdown(handle);
		RESUME_INTERRUPTS();
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (st == BGWH_POSTMASTER_DIED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("postmaster exited while pgclone was waiting for its worker")));
	if (!sh->ok)
		ereport(ERROR,
				(errcode(sh->message[0] ? MAKE_SQLSTATE(sh->sqlstate[0], sh->sqlstate[1],
														sh->sqlstate[2], sh->sqlstate[3],
														sh->sqlstate[4]) : ERRCODE_INTERNAL_ERROR),
				 errmsg("pgclone: could not %s: %s", what,
						sh->message[0] ? sh->message : "the worker exited without a result"),
				 sh->detail[0] ? errdetail_internal("%s", sh->detail) : 0,
				 sh->hint[0] ? errhint("%s", sh->hint) : 0));
}

/* A database name always in double quotes, as the result messages show it. */
static char *
quoted_db(const char *name)
{
	StringInfoData b;
	const char *p;

	initStringInfo(&b);
	appendStringInfoChar(&b, '"');
	for (p = name; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(&b, '"');
		appendStringInfoChar(&b, *p);
	}
	appendStringInfoChar(&b, '"');
	return b.data;
}

/*
 * The clone failed (error being handled): drop the database this call
 * created, in a worker of its own (DROP DATABASE cannot run in our
 * transaction); leave one that existed alone.  The error is re-thrown by
 * the caller.
 */
static void
clone_failed(dsm_segment *seg, DbShared *sh, const char *dbname, MemoryContext cxt)
{
	ErrorData  *e = CopyErrorData();

	FlushErrorState();
	if (!sh->created)
		ereport(NOTICE,
				(errmsg("database %s existed before pgclone.database_create() and is left as it was",
						quote_identifier(dbname)),
				 errdetail("The clone into an existing database runs in one transaction, which rolled back.")));
	else
	{
		PG_TRY();
		{
			sh->mode = DBW_DROP;
			sh->dbid = MyDatabaseId;
			run_worker(seg, sh, psprintf("drop database %s", quote_identifier(dbname)));
			ereport(NOTICE,
					(errmsg("dropped database %s, which pgclone.database_create() created, after the clone failed",
							quote_identifier(dbname))));
		}
		PG_CATCH();
		{
			ErrorData  *d;

			MemoryContextSwitchTo(cxt);
			d = CopyErrorData();
			FlushErrorState();
			ereport(WARNING,
					(errmsg("could not drop database %s after the clone failed: %s",
							quote_identifier(dbname), d->message),
					 errhint("Drop it with DROP DATABASE %s.", quote_identifier(dbname))));
		}
		PG_END_TRY();
	}
	ReThrowError(e);
}

/* pgclone.database(conninfo [, include_data [, options]]) */
Datum
pgclone_database(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	bool		data = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	PgcOptions	opts;
	char	   *res;

	pgc_options_parse(&opts, PG_NARGS() > 2 && !PG_ARGISNULL(2) ?
					  text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL, PGC_OPTS_SCHEMA);
	res = pgc_clone_schemas(conninfo, NIL, data, false, &opts, "cloning database");
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("OK: database cloned into %s (%s)",
											  quoted_db(get_database_name(MyDatabaseId)), res)));
}

/* pgclone.database_create(conninfo, target_db [, include_data [, options]]) */
Datum
pgclone_database_create(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *dbname = pgc_text_arg(fcinfo, 1, "target_database");
	bool		data = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	char	   *options = PG_NARGS() > 3 && !PG_ARGISNULL(3) ?
		text_to_cstring(PG_GETARG_TEXT_PP(3)) : "";
	PgcOptions	opts;
	dsm_segment *seg;
	DbShared   *sh;
	Size		clen = strlen(conninfo);
	MemoryContext outer = CurrentMemoryContext;
	char	   *res;

	PreventInTransactionBlock(true, "pgclone.database_create()");
	if (dbname[0] == '\0' || strlen(dbname) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid target database name \"%s\"", dbname)));
	/* bad options fail here, before anything is created */
	pgc_options_parse(&opts, options[0] ? options : NULL, PGC_OPTS_SCHEMA);

	seg = dsm_create(offsetof(DbShared, payload) + clen + strlen(options) + 2, 0);
	sh = dsm_segment_address(seg);
	memset(sh, 0, offsetof(DbShared, payload));
	sh->userid = GetUserId();
	sh->data = data;
	sh->conninfo_len = clen;
	strlcpy(sh->dbname, dbname, NAMEDATALEN);
	memcpy(sh->payload, conninfo, clen + 1);
	memcpy(sh->payload + clen + 1, options, strlen(options) + 1);

	PG_TRY();
	{
		sh->mode = DBW_CREATE;
		sh->dbid = MyDatabaseId;
		run_worker(seg, sh, psprintf("create database %s", quote_identifier(dbname)));
		sh->mode = DBW_CLONE;
		sh->dbid = sh->newdb;
		run_worker(seg, sh, psprintf("clone into database %s", quote_identifier(dbname)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(outer);
		memset(sh->payload, 0, clen);
		if (sh->mode == DBW_CLONE)
			clone_failed(seg, sh, dbname, outer);
		PG_RE_THROW();
	}
	PG_END_TRY();
	/* wipe the conninfo before the segment goes */
	memset(sh->payload, 0, clen);

	res = psprintf("OK: database %s %s (%s)", quoted_db(dbname),
				   sh->created ? "created and cloned" : "existed, cloned into it",
				   sh->result);
	dsm_detach(seg);
	PG_RETURN_TEXT_P(cstring_to_text(res));
}
