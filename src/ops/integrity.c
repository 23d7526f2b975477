/*
 * integrity.c — pgclone.verify(..., '{"mode": "integrity"}'): the foreign
 * keys of the target checked against its own rows, without the source.
 *
 * A subset clone (or a clone whose foreign keys were dropped, or added NOT
 * VALID) is consistent when no referencing row points to a missing row.  For
 * every foreign key of the target's tables this counts the rows whose key
 * columns are all non-NULL and match no referenced row (MATCH SIMPLE), with
 * the key's own equality operators; one result row per table.
 */
#include "ops/ops.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

/*
 * Foreign keys of the top-level tables of one schema ($1) or all user
 * schemas, each with the query counting its orphans.  The text is built
 * from the local catalogs with format(%I) and regclass output.
 */
static const char *fk_sql =
"SELECT n.nspname, c.relname, k.conname,"
" format('SELECT count(*) FROM %s%s c WHERE %s AND NOT EXISTS (SELECT 1 FROM %s%s p WHERE %s)',"
"   CASE WHEN c.relkind = 'p' THEN '' ELSE 'ONLY ' END, k.conrelid::pg_catalog.regclass,"
"   (SELECT string_agg(format('c.%I IS NOT NULL', fa.attname), ' AND ')"
"      FROM unnest(k.conkey) u(f) JOIN pg_catalog.pg_attribute fa"
"        ON fa.attrelid = k.conrelid AND fa.attnum = u.f),"
"   CASE WHEN pc.relkind = 'p' THEN '' ELSE 'ONLY ' END, k.confrelid::pg_catalog.regclass,"
"   (SELECT string_agg(format('p.%I OPERATOR(%I.%s) c.%I', pa.attname, opn.nspname, o.oprname,"
"                             fa.attname), ' AND ' ORDER BY u.i)"
"      FROM unnest(k.conkey, k.confkey, k.conpfeqop) WITH ORDINALITY u(f, r, op, i)"
"      JOIN pg_catalog.pg_attribute fa ON fa.attrelid = k.conrelid AND fa.attnum = u.f"
"      JOIN pg_catalog.pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = u.r"
"      JOIN pg_catalog.pg_operator o ON o.oid = u.op"
"      JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace)) AS q"
" FROM pg_catalog.pg_constraint k"
" JOIN pg_catalog.pg_class c ON c.oid = k.conrelid"
" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" JOIN pg_catalog.pg_class pc ON pc.oid = k.confrelid"
" WHERE k.contype = 'f' AND k.conparentid = 0 AND NOT c.relispartition"
"   AND ($1::text IS NULL OR n.nspname = $1::text)"
"   AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
" ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\", k.conname COLLATE \"C\"";

static const char *tables_sql =
"SELECT n.nspname, c.relname, c.relkind::text"
" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
"   AND ($1::text IS NULL OR n.nspname = $1::text)"
"   AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
"   AND n.nspname <> 'pgclone'"
" ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

void
ops_verify_integrity(ReturnSetInfo *rsinfo, const char *schema)
{
	const char *params[1] = {schema};
	int			level = ops_session_begin();
	PgcRows    *t = ops_local_query(tables_sql, 1, params);
	PgcRows    *k = ops_local_query(fk_sql, 1, params);
	int			i,
				j = 0;

	for (i = 0; i < t->nrows; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, true, false, false};
		StringInfoData bad;
		PgcRows    *r;

		initStringInfo(&bad);
		/* both lists are ordered by schema, table */
		while (j < k->nrows &&
			   (strcmp(pgc_val(k, j, 0), pgc_val(t, i, 0)) < 0 ||
				(strcmp(pgc_val(k, j, 0), pgc_val(t, i, 0)) == 0 &&
				 strcmp(pgc_val(k, j, 1), pgc_val(t, i, 1)) < 0)))
			j++;
		for (; j < k->nrows && strcmp(pgc_val(k, j, 0), pgc_val(t, i, 0)) == 0 &&
			 strcmp(pgc_val(k, j, 1), pgc_val(t, i, 1)) == 0; j++)
		{
			char	   *n;

			r = ops_local_query(pgc_val(k, j, 3), 0, NULL);
			n = pgc_val(r, 0, 0);
			if (strcmp(n, "0") != 0)
				appendStringInfo(&bad, "%s%s rows break %s", bad.len ? ", " : "", n,
								 quote_identifier(pgc_val(k, j, 2)));
		}
		r = ops_local_query(psprintf("SELECT count(*) FROM %s%s",
									 pgc_val(t, i, 2)[0] == 'r' ? "ONLY " : "",
									 pgc_qname(pgc_val(t, i, 0), pgc_val(t, i, 1))), 0, NULL);
		values[0] = CStringGetTextDatum(pgc_val(t, i, 0));
		values[1] = CStringGetTextDatum(pgc_val(t, i, 1));
		values[2] = (Datum) 0;	/* no source */
		values[3] = Int64GetDatum(strtoi64(pgc_val(r, 0, 0), NULL, 10));
		values[4] = CStringGetTextDatum(bad.len ? psprintf("\xe2\x9c\x97 (%s)", bad.data)
										: "\xe2\x9c\x93");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ops_session_end(level);
}
