/*
 * verify.c — pgclone.verify(): compare source and target tables row by row
 * count (fast, from reltuples), by exact count(*), or by content checksum.
 *
 * One row per top-level table: regular tables and partitioned tables (whose
 * figure covers all their leaf partitions); partitions themselves are not
 * listed, so nothing is counted twice.  The source side runs in one
 * REPEATABLE READ, READ ONLY transaction, so every figure comes from the same
 * snapshot.
 */
#include "ops/ops.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(pgclone_verify);

#define MARK_OK		"\xe2\x9c\x93"
#define MARK_DIFF	"\xe2\x9c\x97"
#define MARK_MISSING "\xe2\x9c\x97 (missing)"

typedef enum VerifyMode
{
	VERIFY_FAST,				/* reltuples (exact count when never analyzed) */
	VERIFY_EXACT,				/* count(*) */
	VERIFY_CHECKSUM,			/* count(*) + content checksum */
	VERIFY_INTEGRITY			/* the target's foreign keys, no source */
} VerifyMode;

/*
 * Top-level tables of one schema ($1) or of every user schema ($1 NULL),
 * with the reltuples estimate: NULL when some leaf was never analyzed.
 */
static const char *tables_sql =
"SELECT n.nspname, c.relname, c.relkind::text AS relkind,"
"  CASE WHEN c.relkind = 'r' THEN"
"    CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END"
"  ELSE (SELECT CASE WHEN bool_or(l.reltuples < 0) THEN NULL"
"               ELSE coalesce(sum(l.reltuples), 0)::bigint END"
"        FROM pg_catalog.pg_partition_tree(c.oid) pt"
"        JOIN pg_catalog.pg_class l ON l.oid = pt.relid"
"        WHERE pt.isleaf AND l.relkind = 'r') END AS estimate"
" FROM pg_catalog.pg_class c"
" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
"   AND ($1::text IS NULL OR n.nspname = $1::text)"
"   AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
"                   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"                     AND d.objid = c.oid AND d.deptype = 'e')"
" ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

static VerifyMode
parse_verify_options(const char *json)
{
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		exact = false;
	bool		checksum = false;
	bool		integrity = false;
	char	   *key = NULL;

	if (json == NULL || json[0] == '\0')
		return VERIFY_FAST;
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("verify options must be a JSON object")));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			bool	   *dst;

			if (strcmp(key, "mode") == 0)
			{
				char	   *m = v.type == jbvString ?
					pnstrdup(v.val.string.val, v.val.string.len) : "";

				if (strcmp(m, "integrity") == 0)
					integrity = true;
				else if (strcmp(m, "exact") == 0)
					exact = true;
				else if (strcmp(m, "checksum") == 0)
					checksum = true;
				else if (strcmp(m, "fast") != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("verify option \"mode\" must be \"fast\", \"exact\", \"checksum\" or \"integrity\"")));
				continue;
			}
			if (strcmp(key, "exact") == 0)
				dst = &exact;
			else if (strcmp(key, "checksum") == 0)
				dst = &checksum;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown verify option \"%s\"", key),
						 errhint("Valid options are \"exact\", \"checksum\" and \"mode\".")));
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("verify option \"%s\" must be a boolean", key)));
			*dst = v.val.boolean;
		}
	}
	if (integrity)
		return VERIFY_INTEGRITY;
	if (checksum)
		return VERIFY_CHECKSUM;
	return exact ? VERIFY_EXACT : VERIFY_FAST;
}

/* count(*) [+ checksum] of one table; ONLY for a regular table (inheritance) */
static char *
count_sql(const char *nsp, const char *rel, const char *relkind, bool checksum)
{
	return psprintf("SELECT count(*)::text%s FROM %s%s AS t",
					checksum ? ", coalesce(sum(pg_catalog.hashtextextended(ROW(t.*)::text, 0)::numeric), 0)::text" : "",
					relkind[0] == 'r' ? "ONLY " : "",
					pgc_qname(nsp, rel));
}

typedef struct Figure
{
	int64		rows;
	char	   *checksum;		/* NULL unless checksum mode */
} Figure;

static Figure
measure(PGconn *conn, const char *nsp, const char *rel, const char *relkind,
		const char *estimate, VerifyMode mode)
{
	Figure		f = {0, NULL};
	PgcRows    *r;
	char	   *sql;

	if (mode == VERIFY_FAST && estimate != NULL)
	{
		f.rows = strtoi64(estimate, NULL, 10);
		return f;
	}
	sql = count_sql(nsp, rel, relkind, mode == VERIFY_CHECKSUM);
	r = conn ? pgc_query(conn, sql) : ops_local_query(sql, 0, NULL);
	f.rows = strtoi64(pgc_val(r, 0, 0), NULL, 10);
	if (mode == VERIFY_CHECKSUM)
		f.checksum = pgc_val(r, 0, 1);
	return f;
}

static int
cmp_table(PgcRows *a, int i, PgcRows *b, int j)
{
	int			c = strcmp(pgc_val(a, i, 0), pgc_val(b, j, 0));

	return c != 0 ? c : strcmp(pgc_val(a, i, 1), pgc_val(b, j, 1));
}

Datum
pgclone_verify(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *conninfo;
	char	   *schema = NULL;
	VerifyMode	mode = VERIFY_FAST;
	PGconn	   *conn;
	PgcRows    *src;
	PgcRows    *tgt;
	const char *params[1];
	int			level;
	int			i,
				j = 0;

	pgc_hide_statement();		/* the conninfo may hold a password */
	/* verify(c, schema): schema required; verify(c, schema, opts): NULL = all */
	if (PG_NARGS() >= 2)
	{
		if (PG_NARGS() == 2 || !PG_ARGISNULL(1))
			schema = pgc_text_arg(fcinfo, 1, "schema_name");
	}
	if (PG_NARGS() >= 3 && !PG_ARGISNULL(2))
		mode = parse_verify_options(text_to_cstring(PG_GETARG_TEXT_PP(2)));

	InitMaterializedSRF(fcinfo, 0);
	/* the target alone: the conninfo is not used (NULL allowed) */
	if (mode == VERIFY_INTEGRITY)
	{
		ops_verify_integrity(rsinfo, schema);
		return (Datum) 0;
	}
	conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");

	conn = pgc_connect(conninfo);
	pgc_begin_source_xact(conn, true, NULL);
	ops_source_session(conn);
	if (schema)
		ops_require_source_schema(conn, schema);
	level = ops_session_begin();

	params[0] = schema;
	src = pgc_query_params(conn, tables_sql, 1, params);
	tgt = ops_local_query(tables_sql, 1, params);

	for (i = 0; i < src->nrows; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		Figure		s;
		Figure		t = {0, NULL};
		const char *match;
		int			c = 1;

		while (j < tgt->nrows && (c = cmp_table(tgt, j, src, i)) < 0)
			j++;
		if (j >= tgt->nrows)
			c = 1;

		s = measure(conn, pgc_val(src, i, 0), pgc_val(src, i, 1),
					pgc_val(src, i, 2), pgc_val(src, i, 3), mode);
		if (c == 0)
		{
			t = measure(NULL, pgc_val(tgt, j, 0), pgc_val(tgt, j, 1),
						pgc_val(tgt, j, 2), pgc_val(tgt, j, 3), mode);
			if (s.rows == t.rows &&
				(mode != VERIFY_CHECKSUM || strcmp(s.checksum, t.checksum) == 0))
				match = MARK_OK;
			else
				match = MARK_DIFF;
		}
		else
			match = MARK_MISSING;

		values[0] = CStringGetTextDatum(pgc_val(src, i, 0));
		values[1] = CStringGetTextDatum(pgc_val(src, i, 1));
		values[2] = Int64GetDatum(s.rows);
		values[3] = Int64GetDatum(t.rows);
		values[4] = CStringGetTextDatum(match);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	ops_session_end(level);
	pgc_disconnect(conn);
	return (Datum) 0;
}
