/*
 * read_batch.c — reads bounded by the number of catalogs, not of objects.
 *
 * Every per-object query of the catalog stage is a PgcQuery: one parameter
 * ($1, an OID or a schema name) and the kinds of plan objects that share it.
 * The first time a clone asks a query for one object, the query runs once
 * for every object of those kinds in the plan:
 *
 *   SELECT k.key, q.* FROM unnest($1::text[]) WITH ORDINALITY k
 *   CROSS JOIN LATERAL (<the query, $1 replaced by k.key>) q
 *
 * and its rows, each carrying its object's key, are grouped into one PgcRows
 * per object (read_batch_group), exactly as the one-object query returns
 * them.  Later requests are answered from the model.  Outside a plan (a
 * single-table clone, an async worker's table) the same statement runs with
 * a one-element array.  Sequence positions are read the same way: one
 * statement for every sequence of the plan.
 *
 * The model lives in the memory context that was current at
 * pgc_catalog_begin (the plan's): a reset callback forgets it.
 *
 * The DDL stage asks through a PgcCatalog (pgc_catalog(conn), made by the
 * stage that holds the connection): the connection and the model stay
 * behind it, and a read through it is the same read as pgc_read_source's.
 */
#include "catalog/reader.h"

#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#define KEY_LEN (2 * NAMEDATALEN)

typedef struct RowsKey
{
	const void *query;			/* a PgcQuery, or &seqvals for sequences */
	char		key[KEY_LEN];	/* OID text, schema or sequence name */
} RowsKey;

typedef struct RowsEnt
{
	RowsKey		key;
	PgcRows    *rows;
} RowsEnt;

typedef struct PgcCatalogModel
{
	PGconn	   *conn;
	PgcObject  *objects;		/* the plan's, sorted; skip flags read lazily */
	int			nobjects;
	List	   *schemas;
	HTAB	   *rows;			/* (query, key) -> PgcRows */
	List	   *batched;		/* queries read for the whole plan */
	MemoryContextCallback cb;
} PgcCatalogModel;

/* The handle the later stages read through: the connection stays here */
struct PgcCatalog
{
	PGconn	   *conn;
};

static PgcCatalogModel *model = NULL;
static const char seqvals = 's';	/* RowsKey.query of sequence positions */

static void
model_forget(void *arg)
{
	if (model == arg)
		model = NULL;
}

void
pgc_catalog_begin(PGconn *conn, PgcObject *objects, int nobjects, List *schemas)
{
	PgcCatalogModel *m = palloc0(sizeof(PgcCatalogModel));
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(RowsKey);
	ctl.entrysize = sizeof(RowsEnt);
	ctl.hcxt = CurrentMemoryContext;
	m->rows = hash_create("pgclone source model", 1024, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	m->conn = conn;
	m->objects = objects;
	m->nobjects = nobjects;
	m->schemas = schemas;
	m->cb.func = model_forget;
	m->cb.arg = m;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &m->cb);
	model = m;
}

void
pgc_catalog_end(void)
{
	model = NULL;
}

static bool
key_fits(const char *key)
{
	return key != NULL && strlen(key) < KEY_LEN;
}

static RowsEnt *
model_entry(const void *query, const char *key, bool create)
{
	RowsKey		k;

	memset(&k, 0, sizeof(k));
	k.query = query;
	strlcpy(k.key, key, KEY_LEN);
	return hash_search(model->rows, &k, create ? HASH_ENTER : HASH_FIND, NULL);
}

/* '{"a","b"}' of C strings */
static char *
keys_literal(List *keys)
{
	return pgc_names_literal(keys);
}

/* sql with every $1 replaced by the batch key column */
static char *
batch_sql(const char *sql)
{
	StringInfoData b;
	const char *p;

	initStringInfo(&b);
	appendStringInfoString(&b,
						   "SELECT pgc_k.key AS pgc_key, pgc_q.* FROM unnest($1::text[])"
						   " WITH ORDINALITY AS pgc_k(key, ord) CROSS JOIN LATERAL"
						   " (SELECT pgc_s.*, row_number() OVER () AS pgc_n FROM (");
	for (p = sql; *p; p++)
	{
		if (p[0] == '$' && p[1] == '1' && !(p[2] >= '0' && p[2] <= '9'))
		{
			appendStringInfoString(&b, "pgc_k.key");
			p++;
		}
		else
			appendStringInfoChar(&b, *p);
	}
	appendStringInfoString(&b, ") pgc_s) pgc_q ORDER BY pgc_k.ord, pgc_q.pgc_n");
	return b.data;
}

/*
 * Group the rows of a batch by their first column (the key): one PgcRows per
 * key, without the key and row-number columns, in the batch's order.  Keys
 * without rows get an empty PgcRows.  Calls store(key, rows) for each.
 */
static void
read_batch_group(PgcRows *r, List *keys, void (*store) (const char *key, PgcRows *rows, void *arg),
				 void *arg)
{
	int			ncols = r->ncols - 2;
	int			row = 0;
	ListCell   *lc;

	foreach(lc, keys)
	{
		const char *key = lfirst(lc);
		PgcRows    *g = palloc0(sizeof(PgcRows));
		int			first = row;

		while (row < r->nrows && pgc_val(r, row, 0) && strcmp(pgc_val(r, row, 0), key) == 0)
			row++;
		g->ncols = ncols;
		g->colnames = r->colnames + 1;
		g->nrows = row - first;
		g->values = palloc(sizeof(char *) * Max(1, g->nrows * ncols));
		for (int i = 0; i < g->nrows; i++)
			memcpy(&g->values[i * ncols], &r->values[(first + i) * r->ncols + 1],
				   sizeof(char *) * ncols);
		store(key, g, arg);
	}
	if (row != r->nrows)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("unexpected row order in a batched catalog read from the source")));
}

/* Run q once for keys (distinct); store(key, rows) for each key. */
static void
read_batch(PGconn *conn, const PgcQuery *q, List *keys,
		   void (*store) (const char *key, PgcRows *rows, void *arg), void *arg)
{
	const char *params[1] = {keys_literal(keys)};

	read_batch_group(pgc_query_params(conn, batch_sql(q->sql), 1, params), keys, store, arg);
}

static void
store_model(const char *key, PgcRows *rows, void *arg)
{
	model_entry(arg, key, true)->rows = rows;
}

static void
store_one(const char *key, PgcRows *rows, void *arg)
{
	*(PgcRows **) arg = rows;
}

/* Keys of every object of the plan that q is for, key first */
static List *
plan_keys(const PgcQuery *q, const char *key)
{
	List	   *keys = list_make1((char *) key);
	ListCell   *lc;
	int			i;

	if (strchr(q->kinds, 'n'))
	{
		foreach(lc, model->schemas)
			if (strcmp(lfirst(lc), key) != 0 && key_fits(lfirst(lc)))
				keys = lappend(keys, lfirst(lc));
		return keys;
	}
	for (i = 0; i < model->nobjects; i++)
	{
		PgcObject  *o = &model->objects[i];

		if (!o->skip && strchr(q->kinds, o->kind) && strcmp(o->oid, key) != 0)
			keys = lappend(keys, o->oid);
	}
	return keys;
}

PgcCatalog *
pgc_catalog(PGconn *conn)
{
	PgcCatalog *cat = palloc(sizeof(PgcCatalog));

	cat->conn = conn;
	return cat;
}

PGconn *
pgc_catalog_conn(PgcCatalog *cat)
{
	return cat->conn;
}

char *
pgc_catalog_label(PgcCatalog *cat)
{
	return pgc_conn_label(cat->conn);
}

PgcRows *
pgc_read(PgcCatalog *cat, const PgcQuery *q, const char *key)
{
	return pgc_read_source(cat->conn, q, key);
}

PgcRows *
pgc_read_source(PGconn *conn, const PgcQuery *q, const char *key)
{
	RowsEnt    *e;
	PgcRows    *r = NULL;

	if (key == NULL)
	{
		const char *params[1] = {NULL};

		return pgc_query_params(conn, q->sql, 1, params);
	}
	if (model == NULL || model->conn != conn || q->kinds == NULL || !key_fits(key))
	{
		read_batch(conn, q, list_make1((char *) key), store_one, &r);
		return r;
	}
	e = model_entry(q, key, false);
	if (e == NULL && !list_member_ptr(model->batched, q))
	{
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(model));

		model->batched = lappend(model->batched, (void *) q);
		read_batch(conn, q, plan_keys(q, key), store_model, (void *) q);
		MemoryContextSwitchTo(old);
		e = model_entry(q, key, false);
	}
	if (e == NULL)
	{
		/* not an object of the plan: read it alone */
		read_batch(conn, q, list_make1((char *) key), store_one, &r);
		return r;
	}
	return e->rows;
}

PgcRows *
pgc_read_one(PgcCatalog *cat, const PgcQuery *q, const char *key)
{
	PgcRows    *r = pgc_read_source(cat->conn, q, key);

	if (r->nrows != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source %s with OID %s disappeared", q->what, key)));
	return r;
}

/*
 * Positions (last_value, is_called) of sequences, given by qualified name as
 * the source quoted them, in one statement; kept in the model.
 */
void
pgc_read_sequence_values(PGconn *conn, List *qnames)
{
	StringInfoData b;
	PgcRows    *r;
	ListCell   *lc;
	int			i = 0;

	MemoryContext old = CurrentMemoryContext;
	bool		keep = model != NULL && model->conn == conn;

	if (qnames == NIL)
		return;
	if (keep)
		MemoryContextSwitchTo(GetMemoryChunkContext(model));
	initStringInfo(&b);
	foreach(lc, qnames)
	{
		appendStringInfo(&b, "%sSELECT %d AS i, last_value, is_called FROM %s",
						 i ? " UNION ALL " : "", i, (char *) lfirst(lc));
		i++;
	}
	appendStringInfoString(&b, " ORDER BY 1");
	/* extended protocol: one statement only, whatever the names hold */
	r = pgc_query_params(conn, b.data, 0, NULL);
	if (r->nrows != list_length(qnames))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("source returned %d sequence positions for %d sequences",
						r->nrows, list_length(qnames))));
	i = 0;
	foreach(lc, qnames)
	{
		PgcRows    *g;

		if (!keep || !key_fits(lfirst(lc)))
		{
			i++;
			continue;
		}
		g = palloc0(sizeof(PgcRows));
		g->nrows = 1;
		g->ncols = 2;
		g->colnames = r->colnames + 1;
		g->values = &r->values[i * r->ncols + 1];
		model_entry(&seqvals, lfirst(lc), true)->rows = g;
		i++;
	}
	MemoryContextSwitchTo(old);
}

/* One sequence's position: from the model, or read alone. */
PgcRows *
pgc_read_sequence_value(PgcCatalog *cat, const char *qname)
{
	PGconn	   *conn = cat->conn;
	RowsEnt    *e = NULL;

	if (model && model->conn == conn && key_fits(qname))
		e = model_entry(&seqvals, qname, false);
	if (e)
		return e->rows;
	return pgc_query(conn, psprintf("SELECT last_value, is_called FROM %s", qname));
}
