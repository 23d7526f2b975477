/*
 * read_table.c — a table's definition, read from the source catalogs into
 * the model (PgcTable, PgcColumn; catalog/pgc_model.h).
 *
 * Everything comes from pg_get_*def(), format_type() and pg_get_expr() run on
 * the source with search_path = pg_catalog, so every name in the text is
 * schema-qualified and quoted by the source itself.  ddl/ddl_table.c turns
 * the model into statements.
 */
#include "catalog/reader.h"

#include "utils/builtins.h"

#define TABLE_SQL \
	"SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relreplident," \
	" c.relrowsecurity, c.relforcerowsecurity, c.relispartition," \
	" CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey," \
	" CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partbound," \
	" (SELECT quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)" \
	"    FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent" \
	"    JOIN pg_namespace pn ON pn.oid = pc.relnamespace" \
	"   WHERE i.inhrelid = c.oid ORDER BY i.inhseqno LIMIT 1) AS parent," \
	" (SELECT string_agg(quote_ident(option_name) || '=' || quote_literal(option_value), ', ')" \
	"    FROM pg_options_to_table(c.reloptions)) AS reloptions," \
	" obj_description(c.oid, 'pg_class') AS comment," \
	" pg_get_userbyid(c.relowner) AS owner" \
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"

#define COLUMNS_SQL \
	"SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type," \
	" a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS defexpr," \
	" a.attidentity, a.attgenerated," \
	" CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN" \
	"   quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation," \
	" CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END AS storage," \
	" CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression," \
	" a.attstattarget," \
	" (SELECT string_agg(quote_ident(option_name) || '=' || quote_literal(option_value), ', ')" \
	"    FROM pg_options_to_table(a.attoptions)" \
	"   WHERE left(option_name, 3) <> 'pg_') AS attoptions," /* reserved, server-set */ \
	" col_description(a.attrelid, a.attnum) AS comment," \
	" (a.atttypid < 16384 AND t.typsend <> 0 AND t.typtype IN ('b', 'r', 'm')) AS binary_ok," \
	" ARRAY(SELECT dd.refobjsubid FROM pg_depend dd" \
	"        WHERE dd.classid = 'pg_attrdef'::regclass AND dd.objid = d.oid" \
	"          AND dd.refobjid = a.attrelid AND dd.refobjsubid > 0" \
	"          AND dd.refobjsubid <> a.attnum)::text AS deps," \
	" a.attislocal, nn.conname AS nn_name, nn.convalidated AS nn_valid," \
	" nn.connoinherit AS nn_noinherit, nn.conislocal AS nn_local," \
	" (SELECT pn.conname FROM pg_inherits i" \
	"   JOIN pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname" \
	"   JOIN pg_catalog.pg_constraint pn ON pn.conrelid = i.inhparent AND pn.contype = 'n'" \
	"    AND pn.conkey[1] = pa.attnum" \
	"  WHERE i.inhrelid = a.attrelid AND nn.conname IS NOT NULL" \
	"  ORDER BY i.inhseqno LIMIT 1) AS nn_parent_name" \
	" FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid" \
	/* 18's NOT NULL constraints, qualified: the 15-shaped pg_constraint has none */ \
	" LEFT JOIN pg_catalog.pg_constraint nn ON nn.conrelid = a.attrelid AND nn.contype = 'n'" \
	"  AND nn.conkey[1] = a.attnum" \
	" LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum" \
	" LEFT JOIN pg_collation co ON co.oid = a.attcollation" \
	" LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace" \
	" WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped" \
	" ORDER BY a.attnum"

/* the source columns an object reads, by attnum, as an int[] text */
#define DEPS_OF(classid, objid) \
	" ARRAY(SELECT DISTINCT dd.refobjsubid FROM pg_depend dd" \
	"        WHERE dd.classid = '" classid "'::regclass AND dd.objid = " objid \
	"          AND dd.refclassid = 'pg_class'::regclass" \
	"          AND dd.refobjid = $1::oid AND dd.refobjsubid > 0)::text AS deps"

#define SEQUENCES_SQL \
	"SELECT sc.relname, quote_ident(sn.nspname) || '.' || quote_ident(sc.relname) AS qname, sc.relpersistence," \
	" d.refobjsubid AS attnum, d.deptype, format_type(s.seqtypid, NULL) AS seqtype," \
	" s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle," \
	" format('nextval(%L::regclass)', quote_ident(sn.nspname) || '.' || quote_ident(sc.relname)) AS nextval_expr," \
	" obj_description(sc.oid, 'pg_class') AS comment" \
	" FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid" \
	" JOIN pg_class sc ON sc.oid = s.seqrelid JOIN pg_namespace sn ON sn.oid = sc.relnamespace" \
	" WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass" \
	"   AND d.refobjid = $1::oid AND d.deptype IN ('a', 'i')" \
	" ORDER BY sc.relname"

#define CONSTRAINTS_SQL \
	"SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) AS def, c.conislocal," \
	" c.confrelid <> 0 AS is_fkey, c.confrelid = c.conrelid AS self_ref," \
	" CASE WHEN c.confrelid <> 0 THEN (SELECT rn.nspname FROM pg_class rc JOIN pg_namespace rn" \
	"   ON rn.oid = rc.relnamespace WHERE rc.oid = c.confrelid) END AS ref_nsp," \
	" CASE WHEN c.confrelid <> 0 THEN (SELECT rc.relname FROM pg_class rc WHERE rc.oid = c.confrelid) END AS ref_rel," \
	" obj_description(c.oid, 'pg_constraint') AS comment," \
	" c.conkey::text AS conkey, c.confkey::text AS confkey," \
	DEPS_OF("pg_constraint", "c.oid") \
	" FROM pg_constraint c WHERE c.conrelid = $1::oid AND c.contype IN ('p','u','c','f','x')" \
	" ORDER BY c.contype = 'f', c.conname"

#define INDEXES_SQL \
	"SELECT ic.relname, pg_get_indexdef(i.indexrelid) AS def, i.indisunique," \
	" i.indkey::int2[]::text AS indkey," \
	" i.indisclustered, i.indisreplident," \
	" 'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '" \
	"   || quote_ident(ic.relname) || ' ON ' || CASE WHEN c.relkind = 'p' THEN 'ONLY ' ELSE '' END" \
	"   || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' USING ' AS def_prefix," \
	" EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid" \
	"          AND k.conrelid = i.indrelid AND k.contype IN ('p','u','x')) AS for_constraint," \
	" obj_description(i.indexrelid, 'pg_class') AS comment," \
	" (SELECT string_agg(format('ALTER COLUMN %s SET STATISTICS %s', a.attnum, a.attstattarget), ', ')" \
	"    FROM pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0) AS stats," \
	DEPS_OF("pg_class", "i.indexrelid") \
	" FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid" \
	" JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE i.indrelid = $1::oid ORDER BY ic.relname"

#define TRIGGERS_SQL \
	"SELECT t.tgname, pg_get_triggerdef(t.oid) AS def, t.tgenabled," \
	" ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' ' AS on_clause," \
	" obj_description(t.oid, 'pg_trigger') AS comment," \
	DEPS_OF("pg_trigger", "t.oid") \
	" FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid" \
	" JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE t.tgrelid = $1::oid AND NOT t.tgisinternal AND t.tgparentid = 0" \
	" ORDER BY t.tgname"

#define POLICIES_SQL \
	"SELECT p.polname, p.polpermissive, p.polcmd," \
	" CASE WHEN p.polroles = '{0}' THEN 'PUBLIC' ELSE" \
	"   (SELECT string_agg(quote_ident(pg_get_userbyid(r)), ', ' ORDER BY r) FROM unnest(p.polroles) r) END AS roles," \
	" ARRAY(SELECT pg_get_userbyid(r) FROM unnest(p.polroles) r WHERE r <> 0)::text AS role_names," \
	" pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS withcheck," \
	" obj_description(p.oid, 'pg_policy') AS comment," \
	DEPS_OF("pg_policy", "p.oid") \
	" FROM pg_policy p WHERE p.polrelid = $1::oid ORDER BY p.polname"

/* in the order of the source's ACL, which pg_dump keeps */
#define ACL_SQL \
	"SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee," \
	" string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privs, a.is_grantable" \
	" FROM pg_class c, aclexplode(c.relacl) WITH ORDINALITY a" \
	" WHERE c.oid = $1::oid AND a.grantee <> c.relowner" \
	" GROUP BY a.grantee, a.is_grantable ORDER BY min(a.ordinality)"

#define COLACL_SQL \
	"SELECT at.attnum, CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee," \
	" string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privs, a.is_grantable" \
	" FROM pg_attribute at, aclexplode(at.attacl) a" \
	" WHERE at.attrelid = $1::oid AND at.attacl IS NOT NULL AND NOT at.attisdropped" \
	" GROUP BY at.attnum, a.grantee, a.is_grantable ORDER BY 1, 2 NULLS FIRST, 4"

#define STATISTICS_SQL \
	"SELECT s.stxname, quote_ident(sn.nspname) AS qnsp, pg_get_statisticsobjdef(s.oid) AS def," \
	" s.stxstattarget, obj_description(s.oid, 'pg_statistic_ext') AS comment," \
	" 'CREATE STATISTICS ' || quote_ident(sn.nspname) || '.' || quote_ident(s.stxname) AS def_prefix," \
	" ' FROM ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS def_suffix," \
	DEPS_OF("pg_statistic_ext", "s.oid") \
	" FROM pg_statistic_ext s JOIN pg_namespace sn ON sn.oid = s.stxnamespace" \
	" JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE s.stxrelid = $1::oid ORDER BY s.stxname"

static const PgcQuery q_columns = {COLUMNS_SQL, "columns", "R"};
static const PgcQuery q_sequences = {SEQUENCES_SQL, "sequences", "R"};
static const PgcQuery q_constraints = {CONSTRAINTS_SQL, "constraints", "R"};
static const PgcQuery q_indexes = {INDEXES_SQL, "indexes", "R"};
static const PgcQuery q_triggers = {TRIGGERS_SQL, "triggers", "R"};
static const PgcQuery q_policies = {POLICIES_SQL, "policies", "R"};
static const PgcQuery q_acl = {ACL_SQL, "acl", "R"};
static const PgcQuery q_statistics = {STATISTICS_SQL, "statistics", "R"};
static const PgcQuery q_colacl = {COLACL_SQL, "colacl", "R"};
static const PgcQuery q_table = {TABLE_SQL " WHERE c.oid = $1::oid", "table", "R"};

/* Parse an int[] text such as "{1,3}" */
int *
pgc_parse_int_array(const char *s, int *n)
{
	int		   *out = palloc(sizeof(int) * (strlen(s) / 2 + 1));
	const char *p = s;

	*n = 0;
	while (*p)
	{
		if (*p >= '0' && *p <= '9')
		{
			out[(*n)++] = atoi(p);
			while (*p >= '0' && *p <= '9')
				p++;
		}
		else
			p++;
	}
	return out;
}

PgcColumn *
pgc_table_column(PgcTable *t, int attnum)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].attnum == attnum)
			return &t->cols[i];
	return NULL;
}


static void
fetch_columns(PGconn *conn, PgcTable *t, const PgcOptions *opts)
{
	PgcRows    *r = pgc_read_source(conn, &q_columns, t->oid);
	ListCell   *lc;
	int			i;

	t->ncols = r->nrows;
	t->cols = palloc0(sizeof(PgcColumn) * Max(r->nrows, 1));
	for (i = 0; i < r->nrows; i++)
	{
		PgcColumn  *c = &t->cols[i];
		char	   *s;

		c->attnum = pgc_get_int(r, i, "attnum");
		c->name = pgc_get(r, i, "attname");
		c->type = pgc_get(r, i, "type");
		c->notnull = pgc_get_bool(r, i, "attnotnull");
		c->defexpr = pgc_get(r, i, "defexpr");
		s = pgc_get(r, i, "attidentity");
		c->identity = s ? s[0] : '\0';
		s = pgc_get(r, i, "attgenerated");
		c->generated = s ? s[0] : '\0';
		c->collation = pgc_get(r, i, "collation");
		s = pgc_get(r, i, "storage");
		if (s)
			c->storage_sql = psprintf("SET STORAGE %s",
									  s[0] == 'p' ? "PLAIN" : s[0] == 'e' ? "EXTERNAL" :
									  s[0] == 'm' ? "MAIN" : "EXTENDED");
		c->compression = pgc_get(r, i, "compression");
		/* NULL from 17 on, -1 before: the default */
		c->stattarget = pgc_get(r, i, "attstattarget") ? pgc_get_int(r, i, "attstattarget") : -1;
		c->attoptions = pgc_get(r, i, "attoptions");
		c->comment = pgc_get(r, i, "comment");
		c->binary_ok = pgc_get_bool(r, i, "binary_ok");
		c->deps = pgc_parse_int_array(pgc_get(r, i, "deps"), &c->ndeps);
		c->nn_name = pgc_get(r, i, "nn_name");
		if (c->nn_name)
		{
			c->nn_valid = pgc_get_bool(r, i, "nn_valid");
			c->nn_noinherit = pgc_get_bool(r, i, "nn_noinherit");
			c->nn_local = pgc_get_bool(r, i, "nn_local");
			c->nn_parent_name = pgc_get(r, i, "nn_parent_name");
		}
		c->selected = (opts == NULL || opts->columns == NIL);
	}

	if (opts == NULL || opts->columns == NIL)
		return;

	/* "columns": every name must exist; generated columns need their inputs */
	foreach(lc, opts->columns)
	{
		char	   *name = lfirst(lc);
		bool		found = false;

		for (i = 0; i < t->ncols; i++)
			if (strcmp(t->cols[i].name, name) == 0)
			{
				t->cols[i].selected = found = true;
				break;
			}
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" listed in \"columns\" does not exist in source table %s",
							name, pgc_qname(t->nspname, t->relname))));
	}
	for (i = 0; i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];
		int			k;

		if (!c->selected || c->generated == '\0')
			continue;
		for (k = 0; k < c->ndeps; k++)
		{
			PgcColumn  *dep = pgc_table_column(t, c->deps[k]);

			if (dep && !dep->selected)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("generated column \"%s\" needs column \"%s\", which is not in \"columns\"",
								c->name, dep->name)));
		}
	}
}

static PgcTable *
fetch_table(PGconn *conn, PgcRows *r, const PgcOptions *opts)
{
	PgcTable   *t = palloc0(sizeof(PgcTable));
	char	   *s;

	t->oid = pgc_get(r, 0, "oid");
	t->nspname = pgc_get(r, 0, "nspname");
	t->relname = pgc_get(r, 0, "relname");
	t->relkind = pgc_get(r, 0, "relkind")[0];
	t->relpersistence = pgc_get(r, 0, "relpersistence")[0];
	t->replident = pgc_get(r, 0, "relreplident")[0];
	t->rowsecurity = pgc_get_bool(r, 0, "relrowsecurity");
	t->forcerowsecurity = pgc_get_bool(r, 0, "relforcerowsecurity");
	t->ispartition = pgc_get_bool(r, 0, "relispartition");
	t->partkey = pgc_get(r, 0, "partkey");
	t->partbound = pgc_get(r, 0, "partbound");
	t->parent = pgc_get(r, 0, "parent");
	t->reloptions = pgc_get(r, 0, "reloptions");
	t->comment = pgc_get(r, 0, "comment");
	t->owner = pgc_get(r, 0, "owner");

	if (t->relkind != 'r' && t->relkind != 'p')
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("source relation %s is not a table",
						pgc_qname(t->nspname, t->relname))));

	fetch_columns(conn, t, opts);
	t->sequences = pgc_read_source(conn, &q_sequences, t->oid);
	t->constraints = pgc_read_source(conn, &q_constraints, t->oid);
	t->indexes = pgc_read_source(conn, &q_indexes, t->oid);
	t->triggers = pgc_read_source(conn, &q_triggers, t->oid);
	t->policies = pgc_read_source(conn, &q_policies, t->oid);
	t->acl = pgc_read_source(conn, &q_acl, t->oid);
	t->statistics = pgc_read_source(conn, &q_statistics, t->oid);
	{
		PgcRows    *ca = pgc_read_source(conn, &q_colacl, t->oid);
		int			i;

		for (i = 0; i < ca->nrows; i++)
		{
			PgcColumn  *c = pgc_table_column(t, pgc_get_int(ca, i, "attnum"));
			char	   *grantee = pgc_get(ca, i, "grantee");

			if (c == NULL)
				continue;
			s = psprintf("%s%s\x1f%s\x1f%s\x1e", c->acl_sql ? c->acl_sql : "",
						 grantee ? grantee : "",
						 pgc_get(ca, i, "privs"),
						 pgc_get(ca, i, "is_grantable"));
			c->acl_sql = s;
		}
	}
	return t;
}

PgcTable *
pgc_fetch_table(PGconn *conn, const char *nspname, const char *relname,
				const PgcOptions *opts)
{
	const char *params[2] = {nspname, relname};
	PgcRows    *r;

	r = pgc_query_params(conn, TABLE_SQL
						 " WHERE n.nspname = $1 AND c.relname = $2", 2, params);
	if (r->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("source table %s does not exist",
						pgc_qname(nspname, relname)),
				 errdetail("Source server: %s.", pgc_conn_label(conn))));
	return fetch_table(conn, r, opts);
}

PgcTable *
pgc_fetch_table_oid(PGconn *conn, const char *oid, const PgcOptions *opts)
{
	PgcRows    *r = pgc_read_source(conn, &q_table, oid);

	if (r->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("source table with OID %s disappeared", oid)));
	return fetch_table(conn, r, opts);
}
