/*
 * remote.c — libpq inside a backend: connect, run, relay errors, clean up.
 *
 * Every connection pgclone opens is registered here and closed at the end of
 * the (sub)transaction that opened it, whatever path leads there: an error,
 * a cancel, a ROLLBACK or a normal return.  Waits go through libpq's
 * backend helpers, which sleep on the latch and so stay interruptible.
 */
#include "remote/remote.h"
#include "remote/srcver.h"

#include "access/xact.h"
#include "libpq/libpq-be-fe-helpers.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/wait_event.h"

typedef struct OpenConn
{
	PGconn	   *conn;
	int			nestlevel;		/* transaction nesting level that opened it */
} OpenConn;

static OpenConn *open_conns = NULL;
static emit_log_hook_type prev_emit_log_hook = NULL;

/* Set while the current transaction handles a conninfo (it may hold a password) */
static bool hide_statement = false;
static int	n_open = 0;
static int	max_open = 0;
static bool callbacks_registered = false;

static void
forget_conn(int i)
{
	open_conns[i] = open_conns[--n_open];
}

static void
close_conns_from_level(int level)
{
	int			i = 0;

	while (i < n_open)
	{
		if (open_conns[i].nestlevel >= level)
		{
			PGconn	   *conn = open_conns[i].conn;

			forget_conn(i);
			libpqsrv_disconnect(conn);
		}
		else
			i++;
	}
}

static void
pgc_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			close_conns_from_level(0);
			hide_statement = false;
			break;
		default:
			break;
	}
}

static void
pgc_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		close_conns_from_level(GetCurrentTransactionNestLevel());
}

/*
 * A statement that fails while handling a conninfo is not echoed to the
 * server log ("STATEMENT: ..."): its text holds the conninfo, and so maybe a
 * password.  The server logs errors before it aborts the transaction, so the
 * flag is still set when this runs.
 */
static void
pgc_emit_log_hook(ErrorData *edata)
{
	if (hide_statement)
		edata->hide_stmt = true;

	/*
	 * An error raised before pgclone runs (say, permission denied on one of
	 * its functions) still must not echo a conninfo: leave out any failing
	 * statement whose text mentions a password.
	 */
	else if (edata->elevel >= ERROR && debug_query_string != NULL &&
			 strcasestr(debug_query_string, "password") != NULL)
		edata->hide_stmt = true;
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
pgc_init_remote(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = pgc_emit_log_hook;
	RegisterXactCallback(pgc_xact_callback, NULL);
	RegisterSubXactCallback(pgc_subxact_callback, NULL);
	callbacks_registered = true;
}

void
pgc_hide_statement(void)
{
	hide_statement = true;
}

static void
register_conn(PGconn *conn)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(pgc_xact_callback, NULL);
		RegisterSubXactCallback(pgc_subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (n_open == max_open)
	{
		max_open = Max(8, max_open * 2);
		if (open_conns == NULL)
			open_conns = MemoryContextAlloc(TopMemoryContext,
											max_open * sizeof(OpenConn));
		else
			open_conns = repalloc(open_conns, max_open * sizeof(OpenConn));
	}
	open_conns[n_open].conn = conn;
	open_conns[n_open].nestlevel = GetCurrentTransactionNestLevel();
	n_open++;
}

void
pgc_disconnect(PGconn *conn)
{
	int			i;

	for (i = 0; i < n_open; i++)
	{
		if (open_conns[i].conn == conn)
		{
			forget_conn(i);
			break;
		}
	}
	libpqsrv_disconnect(conn);
}

/*
 * Take a connection out of the transaction-end cleanup: the caller closes it
 * with pgc_disconnect.  Async workers keep one source connection (and its
 * snapshot) across many local transactions.
 */
void
pgc_conn_keep(PGconn *conn)
{
	int			i;

	for (i = 0; i < n_open; i++)
	{
		if (open_conns[i].conn == conn)
		{
			forget_conn(i);
			break;
		}
	}
}

char *
pgc_conn_label(PGconn *conn)
{
	const char *host = PQhost(conn);
	const char *port = PQport(conn);
	const char *db = PQdb(conn);

	return psprintf("host=%s port=%s dbname=%s",
					(host && *host) ? host : "(default)",
					(port && *port) ? port : "(default)",
					(db && *db) ? db : "(default)");
}

/*
 * PQconninfoParse, with a malformed string reported as the user's error
 * without echoing it (it may hold a password).  Free with PQconninfoFree.
 */
PQconninfoOption *
pgc_conninfo_parse(const char *conninfo)
{
	PQconninfoOption *opts;
	char	   *err = NULL;

	opts = PQconninfoParse(conninfo, &err);
	if (opts == NULL)
	{
		char	   *detail = err ? pstrdup(pchomp(err)) : pstrdup("out of memory");

		if (err)
			PQfreemem(err);
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("invalid source connection string"),
				 errdetail_internal("%s", detail)));
	}
	return opts;
}

/*
 * Options that make libpq, inside this server, read files of the server's
 * account: the server's key or certificate would be lent out, and the
 * contents or existence of its files probed.  Superuser only.
 */
static bool
server_file_option(const char *keyword)
{
	static const char *const opts[] = {
		"passfile", "sslkey", "sslcert", "sslrootcert", "sslcrl", "sslcrldir",
		"sslpassword", "service", "servicefile"
	};
	int			i;

	for (i = 0; i < lengthof(opts); i++)
		if (strcmp(keyword, opts[i]) == 0)
			return true;
	return false;
}

/*
 * Parse the conninfo ourselves first: a malformed string is the user's error
 * and must say so without echoing the string (it may hold a password).
 */
static void
check_conninfo(const char *conninfo)
{
	PQconninfoOption *opts;
	PQconninfoOption *opt;
	bool		has_password = false;

	hide_statement = true;
	opts = pgc_conninfo_parse(conninfo);

	PG_TRY();
	{
		pgc_check_proxy_conninfo_opts(opts);
		for (opt = opts; opt->keyword != NULL; opt++)
		{
			if (strcmp(opt->keyword, "password") == 0 &&
				opt->val != NULL && opt->val[0] != '\0')
				has_password = true;
			if (opt->val != NULL && !superuser() && server_file_option(opt->keyword))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set connection option \"%s\"", opt->keyword),
						 errdetail("Only superusers may name files the server's libpq reads (keys, certificates, password and service files).")));
		}
	}
	PG_FINALLY();
	{
		PQconninfoFree(opts);
	}
	PG_END_TRY();

	/* The dblink rule: the server's own identity is never lent out. */
	if (!superuser() && !has_password)
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required"),
				 errdetail("Non-superusers must provide a password in the connection string.")));
}

PGconn *
pgc_connect(const char *conninfo)
{
	const char *keywords[8];
	const char *values[8];
	PGconn	   *conn;

	check_conninfo(conninfo);

	/*
	 * TCP keepalives that probe within a few minutes: the kernel's default
	 * idle time (two hours) outlives the idle flows of NAT and cloud load
	 * balancers, and the snapshot keeper sits idle for a whole clone.  They
	 * come before the conninfo so that its own keepalives_* settings win.
	 */
	keywords[0] = "keepalives_idle";
	values[0] = "30";
	keywords[1] = "keepalives_interval";
	values[1] = "10";
	keywords[2] = "keepalives_count";
	values[2] = "6";
	keywords[3] = "dbname";
	values[3] = conninfo;
	keywords[4] = "fallback_application_name";
	values[4] = "pgclone";
	keywords[5] = "client_encoding";
	values[5] = GetDatabaseEncodingName();
	keywords[6] = values[6] = NULL;

	conn = libpqsrv_connect_params(keywords, values, true, PG_WAIT_EXTENSION);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		char	   *label = conn ? pgc_conn_label(conn) : pstrdup("(unknown)");
		char	   *msg = conn ? pchomp(PQerrorMessage(conn)) : "out of memory";

		libpqsrv_disconnect(conn);
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to source server (%s)", label),
				 errdetail_internal("%s", msg)));
	}

	if (!superuser() && !PQconnectionUsedPassword(conn))
	{
		libpqsrv_disconnect(conn);
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required"),
				 errdetail("Non-superuser cannot connect if the server does not request a password."),
				 errhint("Target server's authentication method must be changed.")));
	}

	register_conn(conn);

	/* a session the source's own timeouts do not end (transaction_timeout) */
	pgc_srcver_session_setup(conn);
	return conn;
}

/*
 * What the clone tells when the source went away: its transaction on the
 * target is undone whatever was copied so far.
 */
static const char *
lost_detail(void)
{
	return MyBackendType == B_BG_WORKER ?
		"The job's current step is rolled back on the target." :
		"Nothing was kept: the clone's transaction on the target is rolled back.";
}

/*
 * The connection is gone.  One ERROR instead of libpq's accumulated lines:
 * the source's own message and SQLSTATE when it said why (a FATAL such as
 * transaction_timeout or pg_terminate_backend), else 08006; what was being
 * done; that nothing was kept.
 */
static void
report_lost(PGconn *conn, const char *sqlstate, const char *primary,
			const char *detail, const char *context)
{
	const char *what = context ? context : "reading from it";

	if (sqlstate && strlen(sqlstate) == 5 && primary)
		ereport(ERROR,
				(errcode(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
									   sqlstate[3], sqlstate[4])),
				 errmsg("source server terminated the connection while %s: %s",
						what, primary),
				 detail ? errdetail_internal("%s\n%s", detail, lost_detail()) :
				 errdetail_internal("%s", lost_detail()),
				 errhint("Run the clone again once the source accepts connections; its server log says more.")));
	else
	{
		/* libpq's first line says how ("server closed the connection unexpectedly") */
		char	   *how = pstrdup(PQerrorMessage(conn));
		char	   *nl = strchr(how, '\n');

		if (nl)
			*nl = '\0';
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("lost the connection to the source server while %s", what),
				 how[0] ? errdetail_internal("%s.\n%s", how, lost_detail()) :
				 errdetail_internal("%s", lost_detail()),
				 errhint("Run the clone again once the source accepts connections; its server log says more.")));
	}
}

void
pgc_report_remote(int elevel, PGresult *res, PGconn *conn, const char *context)
{
	pgc_report_remote_hint(elevel, res, conn, context, NULL, NULL);
	pg_unreachable();
}

/*
 * pgc_report_remote, with our hint instead of the source's for an error of
 * SQLSTATE hint_for (five characters): what the user can do about it here.
 */
void
pgc_report_remote_hint(int elevel, PGresult *res, PGconn *conn, const char *context,
					   const char *hint_for, const char *our_hint)
{
	char	   *sqlstate = NULL;
	char	   *primary = NULL;
	char	   *detail = NULL;
	char	   *hint = NULL;
	char	   *rcontext = NULL;
	char	   *severity = NULL;
	int			code = ERRCODE_CONNECTION_FAILURE;

#define COPYFIELD(f) (PQresultErrorField(res, f) ? pstrdup(PQresultErrorField(res, f)) : NULL)
	if (res)
	{
		sqlstate = COPYFIELD(PG_DIAG_SQLSTATE);
		primary = COPYFIELD(PG_DIAG_MESSAGE_PRIMARY);
		detail = COPYFIELD(PG_DIAG_MESSAGE_DETAIL);
		hint = COPYFIELD(PG_DIAG_MESSAGE_HINT);
		rcontext = COPYFIELD(PG_DIAG_CONTEXT);
		severity = COPYFIELD(PG_DIAG_SEVERITY_NONLOCALIZED);
		PQclear(res);
	}
#undef COPYFIELD

	if (PQstatus(conn) == CONNECTION_BAD ||
		(severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0)))
		report_lost(conn, sqlstate, primary, detail, context);

	if (sqlstate && strlen(sqlstate) == 5)
		code = MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
							 sqlstate[3], sqlstate[4]);
	if (our_hint && hint_for && sqlstate && strcmp(sqlstate, hint_for) == 0)
		hint = pstrdup(our_hint);

	/*
	 * The source role may not read something the clone reads (a sequence
	 * when only tables were granted, typically): say what to grant.
	 */
	else if (hint == NULL && sqlstate && strcmp(sqlstate, "42501") == 0)
		hint = pstrdup("The source role must be able to read what the clone reads: GRANT SELECT ON ALL TABLES IN SCHEMA ... and GRANT SELECT ON ALL SEQUENCES IN SCHEMA ... to it on the source, or connect as the owner; pgclone.preflight() lists what it cannot read.");
	if (primary == NULL)
		primary = pstrdup(pchomp(PQerrorMessage(conn)));
	if (primary == NULL || primary[0] == '\0')
		primary = pstrdup("unknown error on the source server");

	ereport(elevel,
			(errcode(code),
			 errmsg_internal("%s", primary),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0,
			 rcontext ? errcontext("remote: %s", rcontext) : 0,
			 context ? errcontext("%s", context) : 0));
	pg_unreachable();
}

/*
 * The last result of a command, as libpqsrv_get_result_last(), except that
 * an error the server sent is kept over the bare "connection lost" result
 * libpq makes when the server closes the connection right after it (a
 * FATAL): the server's message and SQLSTATE are what the user needs.
 */
PGresult *
pgc_get_result_last(PGconn *conn)
{
	PGresult   *volatile last = NULL;
	PGresult   *volatile server_error = NULL;

	PG_TRY();
	{
		for (;;)
		{
			PGresult   *cur = libpqsrv_get_result(conn, PG_WAIT_EXTENSION);

			if (cur == NULL)
				break;
			if (server_error == NULL && PQresultStatus(cur) == PGRES_FATAL_ERROR &&
				PQresultErrorField(cur, PG_DIAG_SQLSTATE) != NULL)
			{
				server_error = cur;
				continue;
			}
			PQclear(last);
			last = cur;
			if (PQresultStatus(cur) == PGRES_COPY_IN ||
				PQresultStatus(cur) == PGRES_COPY_OUT ||
				PQresultStatus(cur) == PGRES_COPY_BOTH ||
				PQstatus(conn) == CONNECTION_BAD)
				break;
		}
	}
	PG_CATCH();
	{
		PQclear(last);
		PQclear(server_error);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (server_error == NULL)
		return last;
	PQclear(last);
	return server_error;
}

static PGresult *
exec_send(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	int			ok;

	if (nparams > 0)
		ok = PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	else
		ok = PQsendQuery(conn, sql);
	if (!ok)
		return NULL;
	return pgc_get_result_last(conn);
}

static PGresult *
exec_checked(PGconn *conn, const char *sql, int nparams,
			 const char *const *params, ExecStatusType expect)
{
	PGresult   *res;

	res = exec_send(conn, sql, nparams, params);

	if (PQresultStatus(res) != expect)
		pgc_report_remote(ERROR, res, conn, NULL);
	return res;
}

void
pgc_command(PGconn *conn, const char *sql)
{
	PQclear(exec_checked(conn, sql, 0, NULL, PGRES_COMMAND_OK));
}

static PgcRows *
copy_rows(PGresult *res)
{
	PgcRows    *r = palloc(sizeof(PgcRows));
	int			i,
				j;

	r->nrows = PQntuples(res);
	r->ncols = PQnfields(res);
	r->colnames = palloc(sizeof(char *) * Max(r->ncols, 1));
	r->values = palloc(sizeof(char *) * Max(r->nrows * r->ncols, 1));
	for (j = 0; j < r->ncols; j++)
		r->colnames[j] = pstrdup(PQfname(res, j));
	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->ncols; j++)
			r->values[i * r->ncols + j] = PQgetisnull(res, i, j) ? NULL :
				pstrdup(PQgetvalue(res, i, j));
	return r;
}

PgcRows *
pgc_query_params(PGconn *conn, const char *sql, int nparams,
				 const char *const *params)
{
	PGresult   *res;
	PgcRows    *r;

	/* written against 15's catalogs: adapted to the source's version */
	res = exec_checked(conn, pgc_srcver_sql(conn, sql), nparams, params, PGRES_TUPLES_OK);

	/* copy_rows only pallocs; an OOM there would leak res, which is fine */
	r = copy_rows(res);
	PQclear(res);
	return r;
}

PgcRows *
pgc_query(PGconn *conn, const char *sql)
{
	return pgc_query_params(conn, sql, 0, NULL);
}

int
pgc_colno(PgcRows *r, const char *name)
{
	int			j;

	for (j = 0; j < r->ncols; j++)
		if (strcmp(r->colnames[j], name) == 0)
			return j;
	elog(ERROR, "pgclone: catalog query returned no column \"%s\"", name);
	return -1;
}

char *
pgc_get(PgcRows *r, int row, const char *colname)
{
	return pgc_val(r, row, pgc_colno(r, colname));
}

bool
pgc_get_bool(PgcRows *r, int row, const char *colname)
{
	char	   *v = pgc_get(r, row, colname);

	return v != NULL && v[0] == 't';
}

int
pgc_get_int(PgcRows *r, int row, const char *colname)
{
	char	   *v = pgc_get(r, row, colname);

	return v ? atoi(v) : 0;
}

int
pgc_server_version(PGconn *conn)
{
	return PQserverVersion(conn);
}

void
pgc_begin_source_xact(PGconn *conn, bool consistent, const char *snapshot)
{
	(void) pgc_srcver(conn);	/* a major we cannot read: say so first */
	/* pg_dump's session setup: stable output whatever the server's defaults */
	pgc_command(conn,
				"SET search_path = pg_catalog; "
				"SET DateStyle = ISO; SET IntervalStyle = postgres; "
				"SET extra_float_digits = 3; SET statement_timeout = 0; "
				"SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
				"SET row_security = off; "
	/* JIT compiling a COPY's projection (masks) cost more than it saved */
				"SET jit = off");
	if (consistent || snapshot)
		pgc_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	else
		pgc_command(conn, "BEGIN ISOLATION LEVEL READ COMMITTED, READ ONLY");
	if (snapshot)
	{
		char	   *sql = psprintf("SET TRANSACTION SNAPSHOT %s",
								   quote_literal_cstr(snapshot));

		pgc_command(conn, sql);
	}
}

char *
pgc_export_snapshot(PGconn *conn)
{
	PgcRows    *r = pgc_query(conn, "SELECT pg_catalog.pg_export_snapshot()");

	return pgc_val(r, 0, 0);
}
