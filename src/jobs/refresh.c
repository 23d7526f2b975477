/*
 * refresh.c — pgclone.refresh() and pgclone.refresh_rollback(): the SQL
 * functions, the refresh options, and the pieces of the swap.
 *
 * A refresh builds a new generation of a database beside it (T__pgc_new),
 * in a job's background workers (refresh_worker.c), and swaps it in by
 * renaming: the swap is one local transaction that holds the old database's
 * object lock (new sessions wait for it, see InitPostgres), ends or waits
 * for the sessions on it and renames T to T__pgc_prev and T__pgc_new to T.
 * Anything that fails before that transaction commits leaves T as it was.
 *
 * The properties that belong to a database rather than to its contents
 * (owner, ALTER DATABASE ... SET, GRANT ... ON DATABASE, comment, connection
 * limit) are copied from the old generation to the new one before the swap.
 */
#include "jobs/refresh.h"
#include "remote/remote.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_database.h"
#include "catalog/pg_db_role_setting.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "storage/latch.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

PG_FUNCTION_INFO_V1(pgclone_refresh);
PG_FUNCTION_INFO_V1(pgclone_refresh_rollback);

/* ---------- options ---------- */

static void
refresh_option_error(const char *key, const char *want)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("pgclone refresh option \"%s\" must be %s", key, want)));
}

static char *
jbv_string(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* "post_sql": an array of SQL texts, each parsed here so mistakes show now */
static List *
post_sql_option(JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	List	   *out = NIL;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		refresh_option_error("post_sql", "an array of SQL statements");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		char	   *sql;

		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvString)
			refresh_option_error("post_sql", "an array of SQL statements (strings)");
		sql = jbv_string(&e);
		if (raw_parser(sql, RAW_PARSE_DEFAULT) == NIL)
			refresh_option_error("post_sql", "an array of non-empty SQL statements");
		out = lappend(out, sql);
	}
	return out;
}

static const char *
verify_option(JsonbValue *v)
{
	char	   *m;

	if (v->type == jbvBool && !v->val.boolean)
		return NULL;
	if (v->type != jbvString)
		refresh_option_error("verify", "\"integrity\", \"fast\", \"exact\", \"checksum\" or false");
	m = jbv_string(v);
	if (strcmp(m, "integrity") != 0 && strcmp(m, "fast") != 0 &&
		strcmp(m, "exact") != 0 && strcmp(m, "checksum") != 0)
		refresh_option_error("verify", "\"integrity\", \"fast\", \"exact\", \"checksum\" or false");
	return m;
}

static Jsonb *
options_jsonb(const char *json)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *jb = NULL;

	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("pgclone options are not valid JSON")));
	}
	PG_END_TRY();
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone options must be a JSON object")));
	return jb;
}

static void
clone_options_context(void *arg)
{
	errcontext("pgclone.refresh() takes the clone options of pgclone.database_create(), and "
			   "post_sql, sessions, session_timeout, keep_previous, verify");
}

/*
 * The refresh's own keys are taken out; what is left are the clone's options
 * (the same as database_create()'s), checked by pgc_options_parse.
 */
void
pgc_refresh_options(const char *json, PgcRefreshOpts *ro, PgcOptions *copts)
{
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	List	   *mine = NIL;
	ListCell   *lc;
	ErrorContextCallback ctx;

	memset(ro, 0, sizeof(*ro));
	ro->session_timeout = 60;
	ro->keep_previous = true;
	ro->verify = "integrity";
	if (json == NULL || json[0] == '\0')
	{
		pgc_options_parse(copts, NULL, PGC_OPTS_SCHEMA);
		return;
	}
	jb = options_jsonb(json);
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = jbv_string(&v);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (strcmp(key, "post_sql") == 0)
			ro->post_sql = post_sql_option(&v);
		else if (strcmp(key, "sessions") == 0)
		{
			char	   *s = v.type == jbvString ? jbv_string(&v) : "";

			if (strcmp(s, "wait") != 0 && strcmp(s, "terminate") != 0)
				refresh_option_error(key, "\"terminate\" or \"wait\"");
			ro->wait_sessions = strcmp(s, "wait") == 0;
		}
		else if (strcmp(key, "session_timeout") == 0)
		{
			if (v.type != jbvNumeric)
				refresh_option_error(key, "a number of seconds from 0 to 86400");
			ro->session_timeout = DatumGetInt32(DirectFunctionCall1(numeric_int4,
																	NumericGetDatum(v.val.numeric)));
			if (ro->session_timeout < 0 || ro->session_timeout > 86400)
				refresh_option_error(key, "a number of seconds from 0 to 86400");
		}
		else if (strcmp(key, "keep_previous") == 0)
		{
			if (v.type != jbvBool)
				refresh_option_error(key, "a boolean");
			ro->keep_previous = v.val.boolean;
		}
		else if (strcmp(key, "verify") == 0)
			ro->verify = verify_option(&v);
		else
			continue;
		mine = lappend(mine, key);
	}
	foreach(lc, mine)
		jb = DatumGetJsonbP(DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(jb),
												CStringGetTextDatum(lfirst(lc))));
	if (JB_ROOT_COUNT(jb) > 0)
		ro->clone_json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	ctx.callback = clone_options_context;
	ctx.arg = NULL;
	ctx.previous = error_context_stack;
	error_context_stack = &ctx;
	pgc_options_parse(copts, ro->clone_json, PGC_OPTS_SCHEMA);
	error_context_stack = ctx.previous;
}

/* ---------- names, sessions, properties ---------- */

char *
pgc_refresh_name(const char *target, const char *suffix)
{
	return psprintf("%s%s", target, suffix);
}

static void
check_target_name(const char *target)
{
	if (target[0] == '\0' || strlen(target) + PGC_REFRESH_SUFFIX_LEN >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid target database name \"%s\"", target),
				 errdetail("A refreshed database's name must be 1 to %d bytes long, to leave room for \"%s\".",
						   NAMEDATALEN - 1 - PGC_REFRESH_SUFFIX_LEN, PGC_REFRESH_PREV)));
}

/* The target's oid: it must exist and not be the database we are in. */
static Oid
check_target(const char *target)
{
	Oid			dboid;

	check_target_name(target);
	dboid = get_database_oid(target, true);
	if (!OidIsValid(dboid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_DATABASE),
				 errmsg("database \"%s\" does not exist", target),
				 errhint("Create it first, e.g. with pgclone.database_create().")));
	if (dboid == MyDatabaseId)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot refresh the current database \"%s\"", target),
				 errhint("Call pgclone.refresh() and pgclone.refresh_rollback() from another database, e.g. postgres.")));
	return dboid;
}

void
pgc_refresh_sessions(Oid dboid, const char *dbname, bool wait, int timeout)
{
	TimestampTz end;

	if (!wait)
	{
		TerminateOtherDBBackends(dboid);
		return;
	}
	end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout * 1000);
	while (CountDBConnections(dboid) > 0)
	{
		int			rc;

		if (GetCurrentTimestamp() >= end)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("database \"%s\" still has sessions after %d seconds",
							dbname, timeout),
					 errhint("Raise the refresh option \"session_timeout\", or use \"sessions\": \"terminate\".")));
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   100, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Run one statement as the current user (SPI connected); text parameters */
static SPITupleTable *
spi_run(const char *sql, int nargs, const char **args)
{
	Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];
	char		nulls[4];
	int			i;
	int			rc;

	Assert(nargs <= 4);
	for (i = 0; i < nargs; i++)
	{
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "pgclone: SPI failed (%s) for: %s", SPI_result_code_string(rc), sql);
	return SPI_tuptable;
}

static char *
spi_val(SPITupleTable *t, int row, int col)
{
	return SPI_getvalue(t->vals[row], t->tupdesc, col);
}

/* ALTER DATABASE ... SET of every role: the catalog rows, copied as they are */
static void
copy_db_settings(Oid olddb, Oid newdb)
{
	Relation	rel = table_open(DbRoleSettingRelationId, RowExclusiveLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *copies = NIL;
	ListCell   *lc;

	ScanKeyInit(&key, Anum_pg_db_role_setting_setdatabase, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(olddb));
	scan = systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Datum		values[Natts_pg_db_role_setting];
		bool		nulls[Natts_pg_db_role_setting];

		heap_deform_tuple(tup, RelationGetDescr(rel), values, nulls);
		values[Anum_pg_db_role_setting_setdatabase - 1] = ObjectIdGetDatum(newdb);
		copies = lappend(copies, heap_form_tuple(RelationGetDescr(rel), values, nulls));
	}
	systable_endscan(scan);
	foreach(lc, copies)
		CatalogTupleInsert(rel, (HeapTuple) lfirst(lc));
	table_close(rel, RowExclusiveLock);
	CommandCounterIncrement();
}

/*
 * Owner, connection limit, comment, privileges and settings of olddb, given
 * to the database newname (SPI connected, as the job's role: its rights to
 * ALTER and GRANT are checked as if it typed the statements).
 */
void
pgc_refresh_copy_db_props(Oid olddb, const char *newname)
{
	char		oidtxt[16];
	const char *a[1] = {oidtxt};
	const char *q = quote_identifier(newname);
	SPITupleTable *t;
	char	   *owner,
			   *connlimit,
			   *comment;
	char	  **grants;
	uint64		i,
				n;

	snprintf(oidtxt, sizeof(oidtxt), "%u", olddb);
	t = spi_run("SELECT pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(datdba)), datconnlimit,"
				" pg_catalog.shobj_description(oid, 'pg_database')"
				" FROM pg_catalog.pg_database WHERE oid = $1::oid", 1, a);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_DATABASE),
				 errmsg("the database being refreshed disappeared")));
	owner = spi_val(t, 0, 1);
	connlimit = spi_val(t, 0, 2);
	comment = spi_val(t, 0, 3);
	pgc_local_exec(psprintf("ALTER DATABASE %s OWNER TO %s", q, owner));
	pgc_local_exec(psprintf("ALTER DATABASE %s CONNECTION LIMIT %s", q, connlimit));
	if (comment)
		pgc_local_exec(psprintf("COMMENT ON DATABASE %s IS %s", q, quote_literal_cstr(comment)));

	/* the new database starts with the defaults: make its ACL the old one's */
	pgc_local_exec(psprintf("REVOKE ALL ON DATABASE %s FROM PUBLIC", q));
	t = spi_run("SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
				"  ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,"
				" a.privilege_type, a.is_grantable"
				" FROM pg_catalog.pg_database d,"
				"  pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) a"
				" WHERE d.oid = $1::oid AND a.grantee <> d.datdba ORDER BY 1, 2", 1, a);
	n = SPI_processed;
	grants = palloc(sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++)
	{
		char	   *priv = spi_val(t, i, 2);

		pgc_check_privilege(priv);
		grants[i] = psprintf("GRANT %s ON DATABASE %s TO %s%s", priv, q, spi_val(t, i, 1),
							 strcmp(spi_val(t, i, 3), "t") == 0 ? " WITH GRANT OPTION" : "");
	}
	for (i = 0; i < n; i++)
		pgc_local_exec(grants[i]);
	copy_db_settings(olddb, get_database_oid(newname, false));
}

void
pgc_refresh_rename(const char *from, const char *to)
{
	pgc_local_exec(psprintf("ALTER DATABASE %s RENAME TO %s",
							quote_identifier(from), quote_identifier(to)));
}

/* ---------- the SQL functions ---------- */

/*
 * A refresh creates and drops databases, installs pgclone (superuser = true)
 * in the new one and ends other roles' sessions: a superuser's work.
 */
static void
require_superuser(const char *fn)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s must be run by a superuser", fn),
				 errdetail("It creates and drops databases, installs pgclone in the new one and ends other sessions.")));
}

bool
pgc_refresh_running(const char *target)
{
	int			i;

	for (i = 0; i < pgc_jobs->max_jobs; i++)
	{
		PgcJobSlot *s = pgc_job_slot(i);

		if (s->in_use && s->kind == PGC_KIND_REFRESH && !PGC_JOB_TERMINAL(s->state) &&
			strcmp(s->target, target) == 0)
			return true;
	}
	return false;
}

/* pgclone.refresh(conninfo, target_db [, include_data [, options]]) -> job id */
Datum
pgclone_refresh(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	JobRequest	req;
	PgcRefreshOpts ro;
	PgcOptions	copts;
	char	   *options;
	int64		job_id;

	pgc_jobs_require();
	require_superuser("pgclone.refresh()");
	memset(&req, 0, sizeof(req));
	req.kind = PGC_KIND_REFRESH;
	req.conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	req.target = pgc_text_arg(fcinfo, 1, "target_db");
	req.include_data = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	options = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	/* everything that can be checked now is, before a job exists */
	pgc_refresh_options(options, &ro, &copts);
	(void) check_target(req.target);
	pgc_disconnect(pgc_connect(req.conninfo));

	req.schema = "";
	req.options = options ? options : "";
	req.parallel = 1;
	job_id = pgc_start_job(&req);
	if (job_id > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("job id " INT64_FORMAT " is out of range", job_id)));
	PG_RETURN_INT32((int32) job_id);
}

/*
 * pgclone.refresh_rollback(target_db): swap the previous generation back in,
 * in the caller's transaction (the old one becomes the previous one, so a
 * second call undoes the first).
 */
Datum
pgclone_refresh_rollback(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	char	   *target = pgc_text_arg(fcinfo, 0, "target_db");
	Oid			cur;
	char	   *prev;
	char	   *tmp;
	Oid			prevoid;
	const char *a[2];
	int			spi;

	require_superuser("pgclone.refresh_rollback()");
	cur = check_target(target);
	prev = pgc_refresh_name(target, PGC_REFRESH_PREV);
	tmp = pgc_refresh_name(target, PGC_REFRESH_DROP);
	prevoid = get_database_oid(prev, true);

	if (!OidIsValid(prevoid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database \"%s\" has no previous generation to roll back to", target),
				 errdetail("Database \"%s\" does not exist.", prev),
				 errhint("A refresh keeps one unless its option \"keep_previous\" is false.")));
	if (pgc_jobs)
	{
		bool		running;

		LWLockAcquire(pgc_jobs->lock, LW_SHARED);
		running = pgc_refresh_running(target);
		LWLockRelease(pgc_jobs->lock);
		if (running)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("a refresh of database \"%s\" is running", target),
					 errhint("Wait for it to finish, or cancel it with pgclone.cancel(job_id).")));
	}
	if (OidIsValid(get_database_oid(tmp, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_DATABASE),
				 errmsg("database \"%s\" exists", tmp),
				 errhint("Drop it: pgclone uses that name for a generation on its way out.")));

	/* new sessions on either wait for our commit; the current ones end */
	LockSharedObject(DatabaseRelationId, cur, 0, AccessExclusiveLock);
	LockSharedObject(DatabaseRelationId, prevoid, 0, AccessExclusiveLock);
	pgc_refresh_sessions(cur, target, false, 0);
	pgc_refresh_sessions(prevoid, prev, false, 0);
	spi = pgc_spi_connect();
	pgc_refresh_rename(target, tmp);
	pgc_refresh_rename(prev, target);
	pgc_refresh_rename(tmp, prev);
	pgc_spi_finish(spi);
	a[0] = target;
	a[1] = prev;
	pgc_job_sql("INSERT INTO pgclone.refresh_history (target_db, action, previous_name)"
				" VALUES ($1, 'rollback', $2)", 2, a);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("OK: database %s rolled back to its previous generation"
											  " (the one it replaced is now %s)",
											  quote_identifier(target), quote_identifier(prev))));
}
