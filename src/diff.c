/*
 * diff.c — pgclone.diff(): DDL drift between a source schema and the
 * same-named local schema, as one JSON document.  Plus the small helpers the
 * operations capabilities share (local catalog queries, session settings).
 *
 * Both sides are only read: the source in a REPEATABLE READ, READ ONLY
 * transaction, the target through catalog SELECTs.  Each category is one
 * catalog query run identically on both sides, ordered with COLLATE "C", and
 * merged here with strcmp (the same byte order).  Definitions come from the
 * server's own deparsers (pg_get_indexdef...) under identical settings
 * (search_path = pg_catalog...), so a faithful clone compares equal.
 */
#include "ops.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"

PG_FUNCTION_INFO_V1(pgclone_diff);

/* ---------- shared helpers ---------- */

PgcRows *
ops_local_query(const char *sql, int nparams, const char *const *params)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[4];
	Datum		values[4];
	char		nulls[4];
	PgcRows    *r;
	int			i,
				j,
				rc;

	Assert(nparams <= 4);
	for (i = 0; i < nparams; i++)
	{
		types[i] = TEXTOID;
		values[i] = params[i] ? CStringGetTextDatum(params[i]) : (Datum) 0;
		nulls[i] = params[i] ? ' ' : 'n';
	}
	SPI_connect();
	rc = SPI_execute_with_args(sql, nparams, types, values, nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pgclone: local catalog query failed: %s",
			 SPI_result_code_string(rc));

	/* copy out before SPI_finish frees the tuple table */
	{
		MemoryContext spictx = MemoryContextSwitchTo(caller);
		TupleDesc	desc = SPI_tuptable->tupdesc;

		r = palloc(sizeof(PgcRows));
		r->nrows = (int) SPI_processed;
		r->ncols = desc->natts;
		r->colnames = palloc(sizeof(char *) * Max(r->ncols, 1));
		r->values = palloc(sizeof(char *) * Max(r->nrows * r->ncols, 1));
		for (j = 0; j < r->ncols; j++)
			r->colnames[j] = pstrdup(NameStr(TupleDescAttr(desc, j)->attname));
		for (i = 0; i < r->nrows; i++)
			for (j = 0; j < r->ncols; j++)
				r->values[i * r->ncols + j] =
					SPI_getvalue(SPI_tuptable->vals[i], desc, j + 1);
		MemoryContextSwitchTo(spictx);
	}
	SPI_finish();
	return r;
}

static const char *const session_gucs[][2] = {
	{"search_path", "pg_catalog"},
	{"DateStyle", "ISO"},
	{"IntervalStyle", "postgres"},
	{"extra_float_digits", "3"},
	{"TimeZone", "UTC"},
	{"bytea_output", "hex"},
};

int
ops_session_begin(void)
{
	int			level = NewGUCNestLevel();
	int			i;

	for (i = 0; i < lengthof(session_gucs); i++)
		(void) set_config_option(session_gucs[i][0], session_gucs[i][1],
								 superuser() ? PGC_SUSET : PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
ops_session_end(int level)
{
	AtEOXact_GUC(true, level);
}

void
ops_source_session(PGconn *conn)
{
	/* pgc_begin_source_xact set the rest */
	pgc_command(conn, "SET TimeZone = 'UTC'; SET bytea_output = 'hex'");
}

void
ops_require_source_schema(PGconn *conn, const char *schema)
{
	const char *params[1] = {schema};
	PgcRows    *r = pgc_query_params(conn,
									 "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
									 1, params);

	if (r->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_SCHEMA_NAME),
				 errmsg("schema \"%s\" does not exist on the source", schema)));
}

void
ops_json_str(StringInfo buf, const char *s)
{
	if (s == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, s);
}

/* ---------- catalog queries: $1 is the schema name ---------- */

#define FROM_REL \
	" FROM pg_catalog.pg_class c" \
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE n.nspname = $1"
#define NOT_EXT(cls, oidcol) \
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d" \
	" WHERE d.classid = '" cls "'::pg_catalog.regclass AND d.objid = " oidcol \
	" AND d.deptype = 'e')"
#define C_ORDER(x) " " x " COLLATE \"C\""

static const char *tables_sql =
"SELECT c.relname" FROM_REL " AND c.relkind IN ('r', 'p')"
NOT_EXT("pg_catalog.pg_class", "c.oid")
" ORDER BY" C_ORDER("c.relname");

static const char *columns_sql =
"SELECT c.relname, a.attname,"
" pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,"
" a.attnotnull::text AS not_null,"
" pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS def"
" FROM pg_catalog.pg_attribute a"
" JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
" WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
NOT_EXT("pg_catalog.pg_class", "c.oid")
" ORDER BY" C_ORDER("c.relname") "," C_ORDER("a.attname");

/* Each category query returns key(s), the definition shown, what is compared */
typedef struct Category
{
	const char *name;
	int			nkeys;			/* 1: name; 2: table, name */
	bool		modified;		/* has a definition to compare */
	const char *sql;
} Category;

static const Category categories[] = {
	{"indexes", 1, true,
		"SELECT c.relname AS name, pg_catalog.pg_get_indexdef(c.oid) AS def,"
		" pg_catalog.pg_get_indexdef(c.oid) AS cmp"
		FROM_REL " AND c.relkind IN ('i', 'I')"
		" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
		"   JOIN pg_catalog.pg_constraint co ON co.conindid = i.indexrelid"
		"    AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')"
		"   WHERE i.indexrelid = c.oid)"
		NOT_EXT("pg_catalog.pg_class", "c.oid")
	" ORDER BY" C_ORDER("c.relname")},
	{"constraints", 2, true,
		"SELECT c.relname AS table, co.conname AS name,"
		" pg_catalog.pg_get_constraintdef(co.oid) AS def,"
		" pg_catalog.pg_get_constraintdef(co.oid) AS cmp"
		" FROM pg_catalog.pg_constraint co"
		" JOIN pg_catalog.pg_class c ON c.oid = co.conrelid"
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname = $1"
		NOT_EXT("pg_catalog.pg_class", "c.oid")
	" ORDER BY" C_ORDER("c.relname") "," C_ORDER("co.conname")},
	{"triggers", 2, true,
		"SELECT c.relname AS table, t.tgname AS name,"
		" pg_catalog.pg_get_triggerdef(t.oid) AS def,"
		" pg_catalog.pg_get_triggerdef(t.oid) AS cmp"
		" FROM pg_catalog.pg_trigger t"
		" JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname = $1 AND NOT t.tgisinternal"
		NOT_EXT("pg_catalog.pg_class", "c.oid")
	" ORDER BY" C_ORDER("c.relname") "," C_ORDER("t.tgname")},
	{"views", 1, true,
		"SELECT c.relname AS name, pg_catalog.pg_get_viewdef(c.oid) AS def,"
		" c.relkind::text || ':' || pg_catalog.pg_get_viewdef(c.oid) AS cmp"
		FROM_REL " AND c.relkind IN ('v', 'm')"
		NOT_EXT("pg_catalog.pg_class", "c.oid")
	" ORDER BY" C_ORDER("c.relname")},
	{"sequences", 1, false,
		"SELECT c.relname AS name, NULL::text AS def, NULL::text AS cmp"
		FROM_REL " AND c.relkind = 'S'"
		NOT_EXT("pg_catalog.pg_class", "c.oid")
	" ORDER BY" C_ORDER("c.relname")},
	{"functions", 1, true,
		"SELECT p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS name,"
		" CASE WHEN p.prokind = 'a' THEN"
		"   'AGGREGATE ' || p.oid::pg_catalog.regprocedure::text"
		"   || ' RETURNS ' || pg_catalog.pg_get_function_result(p.oid)"
		"   || ' SFUNC ' || ag.aggtransfn::pg_catalog.regproc::text"
		"   || ' STYPE ' || pg_catalog.format_type(ag.aggtranstype, NULL)"
		" ELSE pg_catalog.pg_get_functiondef(p.oid) END AS def,"
		" NULL::text AS cmp"
		" FROM pg_catalog.pg_proc p"
		" JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
		" LEFT JOIN pg_catalog.pg_aggregate ag ON ag.aggfnoid = p.oid"
		" WHERE n.nspname = $1"
		NOT_EXT("pg_catalog.pg_proc", "p.oid")
	" ORDER BY (p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid)"
	" || ')') COLLATE \"C\""},
	{"types", 1, true,
		"SELECT t.typname AS name, CASE t.typtype"
		" WHEN 'e' THEN 'ENUM (' || coalesce((SELECT string_agg(pg_catalog.quote_literal(e.enumlabel), ', '"
		"     ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '') || ')'"
		" WHEN 'd' THEN 'DOMAIN ' || pg_catalog.format_type(t.typbasetype, t.typtypmod)"
		"   || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END"
		"   || coalesce(' DEFAULT ' || t.typdefault, '')"
		"   || coalesce((SELECT string_agg(' CONSTRAINT ' || pg_catalog.quote_ident(co.conname) || ' '"
		"        || pg_catalog.pg_get_constraintdef(co.oid), '' ORDER BY co.conname COLLATE \"C\")"
		"      FROM pg_catalog.pg_constraint co WHERE co.contypid = t.oid), '')"
		" WHEN 'c' THEN 'COMPOSITE (' || coalesce((SELECT string_agg(pg_catalog.quote_ident(a.attname)"
		"     || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)"
		"     FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0"
		"     AND NOT a.attisdropped), '') || ')'"
		" WHEN 'r' THEN 'RANGE (SUBTYPE = ' || (SELECT pg_catalog.format_type(r.rngsubtype, NULL)"
		"     FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) || ')'"
		" ELSE 'BASE' END AS def, NULL::text AS cmp"
		" FROM pg_catalog.pg_type t"
		" JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
		" WHERE n.nspname = $1"
		" AND (t.typtype IN ('e', 'd', 'r')"
		"   OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')"
		"   OR (t.typtype = 'b' AND t.typcategory <> 'A'))"
		NOT_EXT("pg_catalog.pg_type", "t.oid")
	" ORDER BY" C_ORDER("t.typname")},
};

/* ---------- merging ---------- */

typedef struct DiffOut
{
	StringInfoData only_s;
	StringInfoData only_t;
	StringInfoData modified;
	int			n_s;
	int			n_t;
	int			n_m;
} DiffOut;

static void
diffout_init(DiffOut *d)
{
	memset(d, 0, sizeof(DiffOut));
	initStringInfo(&d->only_s);
	initStringInfo(&d->only_t);
	initStringInfo(&d->modified);
}

static void
sep(StringInfo buf)
{
	if (buf->len > 0)
		appendStringInfoString(buf, ", ");
}

static int
cmp_keys(PgcRows *a, int i, PgcRows *b, int j, int nkeys)
{
	int			k;

	for (k = 0; k < nkeys; k++)
	{
		int			c = strcmp(pgc_val(a, i, k), pgc_val(b, j, k));

		if (c != 0)
			return c;
	}
	return 0;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* An object's identity: "name" or {"table": t, "name": n} */
static void
emit_key(StringInfo buf, PgcRows *r, int i, int nkeys)
{
	if (nkeys == 1)
		ops_json_str(buf, pgc_val(r, i, 0));
	else
	{
		appendStringInfoString(buf, "{\"table\": ");
		ops_json_str(buf, pgc_val(r, i, 0));
		appendStringInfoString(buf, ", \"name\": ");
		ops_json_str(buf, pgc_val(r, i, 1));
		appendStringInfoChar(buf, '}');
	}
}

static void
emit_modified(DiffOut *d, PgcRows *s, int i, PgcRows *t, int j, int nkeys)
{
	StringInfo	buf = &d->modified;

	sep(buf);
	if (nkeys == 1)
		appendStringInfoString(buf, "{\"name\": ");
	else
	{
		appendStringInfoString(buf, "{\"table\": ");
		ops_json_str(buf, pgc_val(s, i, 0));
		appendStringInfoString(buf, ", \"name\": ");
	}
	ops_json_str(buf, pgc_val(s, i, nkeys - 1));
	appendStringInfoString(buf, ", \"source_definition\": ");
	ops_json_str(buf, pgc_val(s, i, nkeys));
	appendStringInfoString(buf, ", \"target_definition\": ");
	ops_json_str(buf, pgc_val(t, j, nkeys));
	appendStringInfoChar(buf, '}');
	d->n_m++;
}

/* Merge two key-sorted result sets; the compared text is cmp, else def. */
static void
merge_category(DiffOut *d, PgcRows *s, PgcRows *t, int nkeys, bool modified)
{
	int			i = 0,
				j = 0;
	int			cmpcol = s->ncols - 1;

	while (i < s->nrows || j < t->nrows)
	{
		int			c;

		if (i >= s->nrows)
			c = 1;
		else if (j >= t->nrows)
			c = -1;
		else
			c = cmp_keys(s, i, t, j, nkeys);

		if (c < 0)
		{
			sep(&d->only_s);
			emit_key(&d->only_s, s, i++, nkeys);
			d->n_s++;
		}
		else if (c > 0)
		{
			sep(&d->only_t);
			emit_key(&d->only_t, t, j++, nkeys);
			d->n_t++;
		}
		else
		{
			const char *a = pgc_val(s, i, cmpcol) ? pgc_val(s, i, cmpcol) : pgc_val(s, i, nkeys);
			const char *b = pgc_val(t, j, cmpcol) ? pgc_val(t, j, cmpcol) : pgc_val(t, j, nkeys);

			if (modified && !str_eq(a, b))
				emit_modified(d, s, i, t, j, nkeys);
			i++;
			j++;
		}
	}
}

/* ---------- tables and columns ---------- */

static void
emit_column(StringInfo buf, PgcRows *r, int i)
{
	sep(buf);
	appendStringInfoString(buf, "{\"name\": ");
	ops_json_str(buf, pgc_val(r, i, 1));
	appendStringInfoString(buf, ", \"type\": ");
	ops_json_str(buf, pgc_val(r, i, 2));
	appendStringInfo(buf, ", \"not_null\": %s, \"default\": ",
					 pgc_val(r, i, 3)[0] == 't' ? "true" : "false");
	ops_json_str(buf, pgc_val(r, i, 4));
	appendStringInfoChar(buf, '}');
}

static void
emit_drift(StringInfo buf, PgcRows *s, int i, PgcRows *t, int j)
{
	sep(buf);
	appendStringInfoString(buf, "{\"name\": ");
	ops_json_str(buf, pgc_val(s, i, 1));
	appendStringInfoString(buf, ", \"source_type\": ");
	ops_json_str(buf, pgc_val(s, i, 2));
	appendStringInfoString(buf, ", \"target_type\": ");
	ops_json_str(buf, pgc_val(t, j, 2));
	appendStringInfo(buf, ", \"source_not_null\": %s, \"target_not_null\": %s",
					 pgc_val(s, i, 3)[0] == 't' ? "true" : "false",
					 pgc_val(t, j, 3)[0] == 't' ? "true" : "false");
	appendStringInfoString(buf, ", \"source_default\": ");
	ops_json_str(buf, pgc_val(s, i, 4));
	appendStringInfoString(buf, ", \"target_default\": ");
	ops_json_str(buf, pgc_val(t, j, 4));
	appendStringInfoChar(buf, '}');
}

/* Advance *pos past rows of tables sorting before tbl; return end of tbl's rows */
static int
column_range(PgcRows *cols, int *pos, const char *tbl)
{
	int			end;

	while (*pos < cols->nrows && strcmp(pgc_val(cols, *pos, 0), tbl) < 0)
		(*pos)++;
	end = *pos;
	while (end < cols->nrows && strcmp(pgc_val(cols, end, 0), tbl) == 0)
		end++;
	return end;
}

/* Column differences of one table present on both sides; false if none */
static bool
diff_columns(StringInfo out, const char *tbl, PgcRows *cs, int *ps, PgcRows *ct, int *pt)
{
	StringInfoData os,
				ot,
				dr;
	int			es = column_range(cs, ps, tbl);
	int			et = column_range(ct, pt, tbl);
	int			i = *ps,
				j = *pt;

	initStringInfo(&os);
	initStringInfo(&ot);
	initStringInfo(&dr);
	while (i < es || j < et)
	{
		int			c = (i >= es) ? 1 : (j >= et) ? -1 :
			strcmp(pgc_val(cs, i, 1), pgc_val(ct, j, 1));

		if (c < 0)
			emit_column(&os, cs, i++);
		else if (c > 0)
			emit_column(&ot, ct, j++);
		else
		{
			if (!str_eq(pgc_val(cs, i, 2), pgc_val(ct, j, 2)) ||
				!str_eq(pgc_val(cs, i, 3), pgc_val(ct, j, 3)) ||
				!str_eq(pgc_val(cs, i, 4), pgc_val(ct, j, 4)))
				emit_drift(&dr, cs, i, ct, j);
			i++;
			j++;
		}
	}
	*ps = es;
	*pt = et;
	if (os.len == 0 && ot.len == 0 && dr.len == 0)
		return false;
	sep(out);
	appendStringInfoString(out, "{\"name\": ");
	ops_json_str(out, tbl);
	appendStringInfo(out, ", \"columns_only_in_source\": [%s], \"columns_only_in_target\": [%s],"
					 " \"columns_drift\": [%s]}", os.data, ot.data, dr.data);
	return true;
}

static void
diff_tables(DiffOut *d, PgcRows *ts, PgcRows *tt, PgcRows *cs, PgcRows *ct)
{
	int			i = 0,
				j = 0,
				ps = 0,
				pt = 0;

	while (i < ts->nrows || j < tt->nrows)
	{
		int			c = (i >= ts->nrows) ? 1 : (j >= tt->nrows) ? -1 :
			strcmp(pgc_val(ts, i, 0), pgc_val(tt, j, 0));

		if (c < 0)
		{
			sep(&d->only_s);
			ops_json_str(&d->only_s, pgc_val(ts, i++, 0));
			d->n_s++;
		}
		else if (c > 0)
		{
			sep(&d->only_t);
			ops_json_str(&d->only_t, pgc_val(tt, j++, 0));
			d->n_t++;
		}
		else
		{
			if (diff_columns(&d->modified, pgc_val(ts, i, 0), cs, &ps, ct, &pt))
				d->n_m++;
			i++;
			j++;
		}
	}
}

/* ---------- the function ---------- */

static void
emit_section(StringInfo out, const char *name, DiffOut *d, bool modified)
{
	appendStringInfo(out, ", \"%s\": {\"only_in_source\": [%s], \"only_in_target\": [%s]",
					 name, d->only_s.data, d->only_t.data);
	if (modified)
		appendStringInfo(out, ", \"modified\": [%s]", d->modified.data);
	appendStringInfoChar(out, '}');
}

static void
emit_counters(StringInfo sum, const char *name, DiffOut *d, bool modified)
{
	appendStringInfo(sum, "%s\"%s_only_in_source\": %d, \"%s_only_in_target\": %d",
					 sum->len > 0 ? ", " : "", name, d->n_s, name, d->n_t);
	if (modified)
		appendStringInfo(sum, ", \"%s_modified\": %d", name, d->n_m);
}

Datum
pgclone_diff(PG_FUNCTION_ARGS)
{
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *schema = pgc_text_arg(fcinfo, 1, "schema_name");
	const char *params[1] = {schema};
	PGconn	   *conn;
	DiffOut		tables;
	DiffOut		cat[lengthof(categories)];
	StringInfoData sum,
				sections,
				out;
	int			level,
				k,
				total;

	conn = pgc_connect(conninfo);
	pgc_begin_source_xact(conn, true, NULL);
	ops_source_session(conn);
	ops_require_source_schema(conn, schema);
	level = ops_session_begin();

	diffout_init(&tables);
	diff_tables(&tables,
				pgc_query_params(conn, tables_sql, 1, params),
				ops_local_query(tables_sql, 1, params),
				pgc_query_params(conn, columns_sql, 1, params),
				ops_local_query(columns_sql, 1, params));
	for (k = 0; k < lengthof(categories); k++)
	{
		diffout_init(&cat[k]);
		merge_category(&cat[k],
					   pgc_query_params(conn, categories[k].sql, 1, params),
					   ops_local_query(categories[k].sql, 1, params),
					   categories[k].nkeys, categories[k].modified);
	}
	ops_session_end(level);
	pgc_disconnect(conn);

	initStringInfo(&sum);
	initStringInfo(&sections);
	emit_counters(&sum, "tables", &tables, true);
	emit_section(&sections, "tables", &tables, true);
	total = tables.n_s + tables.n_t + tables.n_m;
	for (k = 0; k < lengthof(categories); k++)
	{
		emit_counters(&sum, categories[k].name, &cat[k], categories[k].modified);
		emit_section(&sections, categories[k].name, &cat[k], categories[k].modified);
		total += cat[k].n_s + cat[k].n_t + cat[k].n_m;
	}

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"schema\": ");
	ops_json_str(&out, schema);
	appendStringInfo(&out, ", \"in_sync\": %s, \"diff_count\": %d, \"summary\": {%s}%s}",
					 total == 0 ? "true" : "false", total, sum.data, sections.data);
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}
