/*
 * util.c — small helpers shared by every capability: quoting, arguments,
 * local SPI execution.
 */
#include "pgclone.h"

#include "catalog/namespace.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "postmaster/bgworker.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

/* A name the source sent as NULL where PostgreSQL never has one */
static void
name_present(const char *name)
{
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("the source returned no name where one is required")));
}

char *
pgc_qident(const char *ident)
{
	const char *q;

	name_present(ident);
	q = quote_identifier(ident);

	return q == ident ? pstrdup(ident) : (char *) q;
}

char *
pgc_qname(const char *nspname, const char *relname)
{
	name_present(nspname);
	name_present(relname);
	return psprintf("%s.%s", quote_identifier(nspname), quote_identifier(relname));
}

/*
 * A privilege name read from the source goes into a GRANT: it must be one
 * PostgreSQL has, or the source is not speaking PostgreSQL.
 */
void
pgc_check_privilege(const char *priv)
{
	static const char *const privs[] = {
		"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
		"TRIGGER", "USAGE", "CREATE", "EXECUTE", "CONNECT", "TEMPORARY",
		"MAINTAIN"				/* 17's; left out before, on older targets */
	};
	int			i;

	for (i = 0; i < lengthof(privs); i++)
		if (strcmp(priv, privs[i]) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("source returned an unknown privilege \"%s\"", priv)));
}

/* A text argument that may not be NULL: a clear ERROR instead of a crash. */
char *
pgc_text_arg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	/* a conninfo may carry a password: keep the statement out of the log */
	if (strstr(argname, "conninfo") != NULL)
		pgc_hide_statement();
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be NULL", argname)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * Every local statement pgclone runs goes through an SPI connection opened
 * here: it runs under search_path = pg_catalog, pg_temp, so a function,
 * operator or type that any user with CREATE on a schema of the caller's
 * search_path made (CVE-2018-1058) can never capture a name pgclone uses.
 * Returns the GUC nest level for pgc_spi_finish(); an error unwinds both.
 */
int
pgc_spi_connect(void)
{
	return pgc_spi_connect_ext(0);
}

/*
 * With SPI_OPT_NONATOMIC (background workers that commit in steps) the
 * search_path is set for the session, so that it survives the commits.
 */
int
pgc_spi_connect_ext(int options)
{
	int			nest;

	SPI_connect_ext(options);
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION,
							 (options & SPI_OPT_NONATOMIC) ? GUC_ACTION_SET : GUC_ACTION_SAVE,
							 true, 0, false);
	return nest;
}

void
pgc_spi_finish(int nest)
{
	SPI_finish();
	AtEOXact_GUC(true, nest);
}

/*
 * Run one utility or DML statement locally, in the caller's transaction.
 * The caller holds an SPI connection (pgc_spi_connect).
 */
void
pgc_local_exec(const char *sql)
{
	int			rc;

	if (pgc_unique_violation_hook == NULL)
		rc = SPI_execute(sql, false, 0);
	else
	{
		MemoryContext cxt = CurrentMemoryContext;

		PG_TRY();
		{
			rc = SPI_execute(sql, false, 0);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			pgc_unique_violation_hook(edata);	/* returns if not its own */
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	if (rc < 0)
		elog(ERROR, "pgclone: SPI_execute failed (%s) for: %s",
			 SPI_result_code_string(rc), sql);
}

void		(*pgc_unique_violation_hook) (ErrorData *edata) = NULL;

bool
pgc_local_relation_exists(const char *nspname, const char *relname)
{
	Oid			nsp = get_namespace_oid(nspname, true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(relname, nsp));
}

/*
 * Run fn(arg) in a subtransaction.  On success return NULL; on error roll
 * the subtransaction back and return the error, so the caller can turn it
 * into a NOTICE, a report entry or a fallback.
 */
ErrorData *
pgc_try_subxact(void (*fn) (void *arg), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}

/*
 * A dynamic background worker of pgclone: connects to a database, starts
 * after recovery, is never restarted.  The caller sets the argument, the
 * name and whom to notify.
 */
void
pgc_bgworker_init(BackgroundWorker *w, const char *function, const char *type)
{
	memset(w, 0, sizeof(*w));
	w->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w->bgw_start_time = BgWorkerStart_RecoveryFinished;
	w->bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(w->bgw_library_name, "pgclone", BGW_MAXLEN);
	strlcpy(w->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(w->bgw_type, type, BGW_MAXLEN);
}

/* Run local statements in order */
void
pgc_exec_list(List *stmts)
{
	ListCell   *lc;

	foreach(lc, stmts)
		pgc_local_exec((char *) lfirst(lc));
}

/* A text[] literal of names: every element double-quoted and escaped. */
char *
pgc_names_literal(List *names)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	foreach(lc, names)
	{
		const char *p;

		if (lc != list_head(names))
			appendStringInfoChar(&b, ',');
		appendStringInfoChar(&b, '"');
		for (p = lfirst(lc); *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&b, '\\');
			appendStringInfoChar(&b, *p);
		}
		appendStringInfoChar(&b, '"');
	}
	appendStringInfoChar(&b, '}');
	return b.data;
}
