/*
 * copy.c — the data path: COPY (SELECT ...) TO STDOUT on the source, streamed
 * into BeginCopyFrom() on the target, as logical replication's table sync
 * does.  Nothing is buffered beyond one CopyData message; memory stays flat
 * whatever the table size.
 */
#include "clone/schema.h"
#include "mask/mask.h"
#include "plan/subset.h"

#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "libpq/libpq-be-fe-helpers.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/wait_event.h"

/* copy_data_source_cb has no argument in 15: the stream state is static */
typedef struct CopyStream
{
	PGconn	   *conn;
	char	   *buf;			/* current CopyData message (libpq-owned) */
	int			len;
	int			pos;
	bool		done;
	uint64		bytes;
	const char *what;			/* for error context */
	WaitEventSet *wait;			/* latch + socket, built once per stream */
} CopyStream;

static CopyStream *stream = NULL;

/* Parallel workers a masked COPY may use on the source (0: none) */
static int	pgc_mask_parallel_workers = 0;

void
pgc_init_copy(void)
{
	DefineCustomIntVariable("pgclone.mask_parallel_workers",
							"Parallel workers a masked COPY may use on the source.",
							"Masks are evaluated by the source; its parallel "
							"workers share that work so the source keeps up with "
							"the target.  0 evaluates them in one process.",
							&pgc_mask_parallel_workers, 0, 0, 64,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* Optional progress hook (async jobs count bytes and rows as they arrive) */
void		(*pgc_copy_progress_hook) (uint64 bytes) = NULL;

static void
stream_finish(CopyStream *s)
{
	PGresult   *res;

	/* drain to the final result: a source-side error surfaces here */
	res = pgc_get_result_last(s->conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		pgc_report_remote(ERROR, res, s->conn, s->what);
	PQclear(res);
	s->done = true;
}

/*
 * The connection failed mid-stream.  The source may have said why just
 * before it closed (a FATAL): parse what is still buffered so that its
 * message and SQLSTATE are reported, not only libpq's "connection lost".
 */
static void
stream_lost(CopyStream *s)
{
	char	   *buf = NULL;
	int			n;

	while ((n = PQgetCopyData(s->conn, &buf, 1)) > 0)
	{
		PQfreemem(buf);
		buf = NULL;
	}
	if (n == -1)
		stream_finish(s);		/* raises the source's error */
	pgc_report_remote(ERROR, NULL, s->conn, s->what);
}

/*
 * Fill CopyFrom's buffer with as much as is already here: the source sends
 * one CopyData message per row, and handing rows over one call at a time
 * would cost a buffer reload per row.  Sleep only when nothing at all is
 * available yet (returning 0 would mean end of data).
 */
static int
copy_read_data(void *outbuf, int minread, int maxread)
{
	CopyStream *s = stream;
	int			copied = 0;

	while (copied < maxread)
	{
		int			n;

		if (s->buf && s->pos < s->len)
		{
			n = Min(s->len - s->pos, maxread - copied);
			memcpy((char *) outbuf + copied, s->buf + s->pos, n);
			s->pos += n;
			copied += n;
			continue;
		}
		if (s->buf)
		{
			PQfreemem(s->buf);
			s->buf = NULL;
		}
		if (s->done)
			break;

		n = PQgetCopyData(s->conn, &s->buf, 1);
		if (n > 0)
		{
			s->len = n;
			s->pos = 0;
			s->bytes += n;
			continue;
		}
		if (n == -1)
		{
			stream_finish(s);
			break;
		}
		if (n != 0)
			stream_lost(s);

		/* nothing buffered */
		if (copied >= Max(minread, 1))
			break;
		CHECK_FOR_INTERRUPTS();
		{
			/* WaitLatchOrSocket would build an epoll set on every wait */
			WaitEvent	ev;

			if (WaitEventSetWait(s->wait, -1L, &ev, 1, PG_WAIT_EXTENSION) > 0 &&
				(ev.events & WL_LATCH_SET))
				ResetLatch(MyLatch);
		}
		CHECK_FOR_INTERRUPTS();
		if (PQconsumeInput(s->conn) == 0)
			stream_lost(s);
	}
	if (pgc_copy_progress_hook && copied > 0)
		pgc_copy_progress_hook(s->bytes);
	return copied;
}

/* A subset's ON DELETE SET NULL column: kept when this holds, else NULL */
static char *
subset_null_cond(const PgcOptions *opts, const char *colname)
{
	ListCell   *lc,
			   *lk;

	if (opts->subset_rel == NULL)
		return NULL;
	forboth(lc, opts->subset_rel->null_cols, lk, opts->subset_rel->null_conds)
		if (strcmp(lfirst(lc), colname) == 0)
			return lfirst(lk);
	return NULL;
}

char *
pgc_copy_select_list(PgcTable *t, const PgcOptions *opts, int srcver,
					 bool *binary, bool *masked)
{
	StringInfoData buf;
	int			i;
	bool		first = true;

	*binary = true;
	*masked = false;
	initStringInfo(&buf);
	for (i = 0; i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];
		char	   *mexpr;
		char	   *nullcond;

		if (!c->selected || c->generated)
			continue;
		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		mexpr = opts->mask ? pgc_mask_expr(opts->mask, t, c, srcver, pgc_mask_salt(opts)) : NULL;
		if (mexpr)
			*masked = true;
		nullcond = subset_null_cond(opts, c->name);
		if (nullcond)
			appendStringInfo(&buf, "CASE WHEN %s THEN %s END AS %s", nullcond,
							 mexpr ? psprintf("(%s)::%s", mexpr, c->type) : quote_identifier(c->name),
							 quote_identifier(c->name));
		else if (mexpr)
			appendStringInfo(&buf, "(%s)::%s AS %s", mexpr, c->type,
							 quote_identifier(c->name));
		else
			appendStringInfoString(&buf, quote_identifier(c->name));
		if (!c->binary_ok)
			*binary = false;
	}
	return first ? NULL : buf.data;
}

/*
 * FREEZE is allowed only for a table created (or truncated) in this very
 * subtransaction, and only when no older snapshot could see the rows early.
 */
static bool
can_freeze(Relation rel)
{
	SubTransactionId sub = GetCurrentSubTransactionId();

	if (rel->rd_createSubid != sub && PGC_REL_NEW_FILE_SUBID(rel) != sub)
		return false;
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return false;
	/* as CopyFrom() does: the catalog snapshot is not a reader of the rows */
	InvalidateCatalogSnapshot();
	return ThereAreNoPriorRegisteredSnapshots() && ThereAreNoReadyPortals();
}

/*
 * Binary COPY of a column whose source type is not built in: safe when the
 * target column is an enum (sent and received as its label) or a domain
 * over a built-in scalar type (its base type's format, constraints checked
 * on receipt).  Arrays and composites carry type OIDs, which differ.
 */
static bool
local_binary_ok(Relation rel, const char *colname)
{
	AttrNumber	attno = attnameAttNum(rel, colname, false);
	Oid			typid;
	HeapTuple	tup;
	bool		ok;

	if (attno <= 0)
		return false;
	typid = getBaseType(TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid);
	if (type_is_enum(typid))
		return true;
	if (typid >= FirstNormalObjectId || get_typtype(typid) != TYPTYPE_BASE ||
		OidIsValid(get_element_type(typid)))
		return false;
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return false;
	ok = OidIsValid(((Form_pg_type) GETSTRUCT(tup))->typsend);
	ReleaseSysCache(tup);
	return ok;
}

/* Binary COPY for every selected column? (the list's answer, refined here) */
static bool
table_binary_ok(PgcTable *t, Relation rel, bool binary)
{
	int			i;

	if (binary)
		return true;
	for (i = 0; i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];

		if (c->selected && !c->generated && !c->binary_ok &&
			!local_binary_ok(rel, c->name))
			return false;
	}
	return true;
}

uint64
pgc_copy_table(PGconn *conn, PgcTable *t, PgcTarget *tgt,
			   const PgcOptions *opts, bool try_freeze)
{
	bool		binary;
	bool		masked;
	char	   *cols = pgc_copy_select_list(t, opts, pgc_server_version(conn),
											&binary, &masked);
	StringInfoData sql;
	Relation	rel;
	RangeVar   *rv;
	ParseState *pstate;
	List	   *attnames = NIL;
	List	   *copyopts = NIL;
	CopyFromState cstate;
	CopyStream	s;
	PGresult   *res;
	uint64		rows;
	int			i;

	if (cols == NULL)
		return 0;				/* only generated columns: nothing to copy */

	rv = makeRangeVar(tgt->nspname, tgt->relname, -1);
	rel = table_openrv(rv, RowExclusiveLock);
	binary = table_binary_ok(t, rel, binary);

	initStringInfo(&sql);

	/*
	 * "row_security": the rows the source role may see, as pg_dump
	 * --enable-row-security; in the COPY's own round trip.  By default
	 * row_security stays off: a clone is whole or it fails.
	 */
	if (opts->row_security)
		appendStringInfoString(&sql, "SET row_security = on; ");
	appendStringInfo(&sql, "COPY (%sSELECT %s FROM %s%s",
					 opts->subset_rel && opts->subset_rel->with ? opts->subset_rel->with : "",
					 cols, t->relkind == 'p' ? "" : "ONLY ",
					 pgc_qname(t->nspname, t->relname));
	if (opts->where)
		appendStringInfo(&sql, " WHERE (%s\n)", opts->where);
	/* the subset's predicate, built by plan/subset.c (the where option is not
	 * one of a schema clone's) */
	else if (opts->subset_rel && opts->subset_rel->where)
		appendStringInfo(&sql, " WHERE %s", opts->subset_rel->where);
	elog(DEBUG1, "pgclone: %s", sql.data);
	appendStringInfo(&sql, ") TO STDOUT%s", binary ? " (FORMAT binary)" : "");

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].selected && !t->cols[i].generated)
			attnames = lappend(attnames, makeString(t->cols[i].name));

	memset(&s, 0, sizeof(s));
	s.conn = conn;
	s.what = psprintf("copying %s", pgc_qname(t->nspname, t->relname));

	/*
	 * Per-row masks can make the source the slow end of the stream.  Costing
	 * the tuple transfer to the leader at zero lets the source's planner
	 * share the scan and the masks with parallel workers (tables from
	 * min_parallel_table_scan_size on); the rows then arrive in another
	 * order.  Reset after the COPY so later tables plan as usual.
	 */
	if (masked && pgc_mask_parallel_workers > 0)
		pgc_command(conn, psprintf("SET LOCAL parallel_tuple_cost = 0; "
								   "SET LOCAL max_parallel_workers_per_gather = %d",
								   pgc_mask_parallel_workers));

	/*
	 * A subset's semi-joins (EXISTS under OR when a key is nullable) are
	 * costed high: the source would spend seconds JIT-compiling queries that
	 * run in milliseconds.
	 */
	if (opts->subset_rel && (opts->subset_rel->restricted || opts->subset_rel->null_cols))
		pgc_command(conn, "SET LOCAL jit = off");

	if (!PQsendQuery(conn, sql.data))
		pgc_report_remote(ERROR, NULL, conn, s.what);
	res = pgc_get_result_last(conn);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		pgc_report_remote_hint(ERROR, res, conn, s.what, "42501",
							   t->rowsecurity ? psprintf(
														 "Row-level security filters %s for the source role: connect as a role with BYPASSRLS (ALTER ROLE ... BYPASSRLS) or as the table's owner%s, or clone only the rows it sees with the option {\"row_security\": true}; pgclone.preflight() lists every such table.",
														 pgc_qname(t->nspname, t->relname),
														 t->forcerowsecurity ? " after ALTER TABLE ... NO FORCE ROW LEVEL SECURITY" : "") : NULL);
	PQclear(res);

	if (binary)
		copyopts = lappend(copyopts, makeDefElem("format", (Node *) makeString("binary"), -1));
	if (try_freeze && can_freeze(rel))
		copyopts = lappend(copyopts, makeDefElem("freeze", (Node *) makeBoolean(true), -1));

	/* CopyFrom finds its result relation through the range table */
	pstate = make_parsestate(NULL);
	(void) addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock,
										 NULL, false, false);
	s.wait = pgc_create_wait_event_set(3);
	AddWaitEventToSet(s.wait, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(s.wait, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	AddWaitEventToSet(s.wait, WL_SOCKET_READABLE, PQsocket(conn), NULL, NULL);
	stream = &s;
	PG_TRY();
	{
		cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, copy_read_data,
							   attnames, copyopts);
		rows = CopyFrom(cstate);
		EndCopyFrom(cstate);
		if (!s.done)
		{
			/* CopyFrom stops at the binary trailer; finish the protocol */
			char		trash[1024];

			while (!s.done)
				(void) copy_read_data(trash, 0, sizeof(trash));
		}
	}
	PG_FINALLY();
	{
		FreeWaitEventSet(s.wait);
		stream = NULL;
		if (s.buf)
			PQfreemem(s.buf);
	}
	PG_END_TRY();

	if (masked && pgc_mask_parallel_workers > 0)
		pgc_command(conn, "RESET parallel_tuple_cost; "
					"RESET max_parallel_workers_per_gather");

	if (opts->subset_rel && (opts->subset_rel->restricted || opts->subset_rel->null_cols))
		pgc_command(conn, "RESET jit");

	free_parsestate(pstate);
	table_close(rel, NoLock);
	return rows;
}
