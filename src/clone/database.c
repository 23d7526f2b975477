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
 */
#include "clone/schema.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(pgclone_database);
PG_FUNCTION_INFO_V1(pgclone_database_create);

PGDLLEXPORT void pgclone_db_worker_main(Datum arg);

#define DBW_CREATE	1
#define DBW_CLONE	2

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

	pgc_bgworker_init(&w, "pgclone_db_worker_main", "pgclone database worker");
	snprintf(w.bgw_name, BGW_MAXLEN, "pgclone: %s", what);
	w.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	w.bgw_notify_pid = MyProcPid;

	sh->ok = false;
	sh->message[0] = '\0';
	if (!RegisterDynamicBackgroundWorker(&w, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("pgclone: could not start a background worker to %s", what),
				 errhint("Raise max_worker_processes.")));
	PG_TRY();
	{
		st = WaitForBackgroundWorkerShutdown(handle);
	}
	PG_CATCH();
	{
		TerminateBackgroundWorker(handle);
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

/* pgclone.database(conninfo [, include_data [, options]]) */
Datum
pgclone_database(PG_FUNCTION_ARGS)
{
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	bool		data = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	PgcOptions	opts;
	char	   *res;

	pgc_options_parse(&opts, PG_NARGS() > 2 && !PG_ARGISNULL(2) ?
					  text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL, PGC_OPTS_SCHEMA);
	res = pgc_clone_schemas(conninfo, NIL, data, false, &opts, "cloning database");
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("OK: database cloned (%s)", res)));
}

/* pgclone.database_create(conninfo, target_db [, include_data [, options]]) */
Datum
pgclone_database_create(PG_FUNCTION_ARGS)
{
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *dbname = pgc_text_arg(fcinfo, 1, "target_database");
	bool		data = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	char	   *options = PG_NARGS() > 3 && !PG_ARGISNULL(3) ?
		text_to_cstring(PG_GETARG_TEXT_PP(3)) : "";
	PgcOptions	opts;
	dsm_segment *seg;
	DbShared   *sh;
	Size		clen = strlen(conninfo);
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
	PG_FINALLY();
	{
		/* wipe the conninfo before the segment goes */
		memset(sh->payload, 0, clen);
	}
	PG_END_TRY();

	res = psprintf("OK: database %s %s (%s)", quote_identifier(dbname),
				   sh->created ? "created and cloned" : "existed, cloned into it",
				   sh->result);
	dsm_detach(seg);
	PG_RETURN_TEXT_P(cstring_to_text(res));
}
