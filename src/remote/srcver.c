/*
 * srcver.c — the source-version layer: sources of PostgreSQL 12 to 18 for
 * a target of PostgreSQL 15, 17 or 18.
 *
 * pgclone's catalog queries are written once, against PostgreSQL 15's
 * catalogs.  For a source of another major, pgc_query_params() passes each
 * query through pgc_srcver_sql(), which puts a WITH list in front of it: for
 * every catalog the query names that has another shape on that source, an
 * item of the same name that gives it 15's shape.  An unqualified table name
 * resolves to a WITH item before the search path, so the query text itself
 * stays as it is.  A column the source does not have is not read: it gets
 * the value that means what the source does, as pg_dump assumes for that
 * version (no multirange before 14, default compression before 14, ...).
 * Rows 15 has no place for are left out where 15 keeps their meaning
 * elsewhere (17's NOT NULL constraints of domains and 18's of columns live
 * in pg_constraint; typnotnull and attnotnull still say it all).
 *
 * What a newer source can hold and the target cannot create at all is listed
 * by pgc_srcver_incompatible(): the clone refuses it with 0A000 before it
 * creates anything, and preflight() shows it under version_compat.  What the
 * target has too (compat.h's PGC_HAS_...) is cloned: the catalog stage reads
 * it with queries that name the catalog qualified (pg_catalog.pg_constraint
 * for 18's NOT NULL constraints, which the 15-shaped pg_constraint leaves
 * out), and the DDL stage writes it.
 */
#include "remote/srcver.h"
#include "remote/remote.h"

#include <limits.h>

#include "catalog/pg_class_d.h"
#include "utils/builtins.h"

/* A catalog in 15's shape, for sources in [minver, maxver) */
typedef struct CatalogShim
{
	const char *name;
	int			minver;
	int			maxver;
	const char *body;
} CatalogShim;

static const CatalogShim shims[] = {
	/* multiranges are 14's: a range type has none before */
	{"pg_range", 0, 140000,
	"SELECT r.*, 0::pg_catalog.oid AS rngmultitypid FROM pg_catalog.pg_range r"},
	/* column compression is 14's: before, every column has the default */
	{"pg_attribute", 0, 140000,
	"SELECT a.*, ''::pg_catalog.\"char\" AS attcompression FROM pg_catalog.pg_attribute a"},
	/* statistics objects get their own target in 13: before, the default */
	{"pg_statistic_ext", 0, 130000,
	"SELECT s.*, -1 AS stxstattarget FROM pg_catalog.pg_statistic_ext s"},

	/*
	 * tgparentid is 13's; on 12 a partition's clone of a trigger points to
	 * the parent's trigger through a partition dependency
	 */
	{"pg_trigger", 0, 130000,
		"SELECT t.*, coalesce((SELECT d.refobjid FROM pg_catalog.pg_depend d"
		" WHERE d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND d.objid = t.oid"
		" AND d.refclassid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND d.deptype = 'P'),"
	" 0) AS tgparentid FROM pg_catalog.pg_trigger t"},

	/*
	 * an ICU collation's locale: in collcollate before 15, in colliculocale
	 * in 15 and 16, in colllocale from 17 on
	 */
	{"pg_collation", 0, 150000,
		"SELECT c.*, CASE WHEN c.collprovider = 'i' THEN c.collcollate END AS colliculocale,"
	" NULL::pg_catalog.text AS collicurules FROM pg_catalog.pg_collation c"},
	/* ICU rules are 16's */
	{"pg_collation", 150000, 160000,
	"SELECT c.*, NULL::pg_catalog.text AS collicurules FROM pg_catalog.pg_collation c"},
	{"pg_collation", 170000, INT_MAX,
	"SELECT c.*, c.colllocale AS colliculocale FROM pg_catalog.pg_collation c"},

	/*
	 * NOT NULL constraints: 17 records a domain's in pg_constraint, 18 also a
	 * column's; 15 has them in typnotnull and attnotnull only (which 17 and
	 * 18 keep up to date), and no name for them
	 */
	{"pg_constraint", 170000, INT_MAX,
	"SELECT c.* FROM pg_catalog.pg_constraint c WHERE c.contype <> 'n'"},
};

int
pgc_srcver(PGconn *conn)
{
	int			v = PQserverVersion(conn);

	if (v < PGC_SRCVER_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("source server version %d.%d is not supported", v / 10000, v % 10000),
				 errdetail("pgclone reads sources of PostgreSQL 12 and later.")));
	return v;
}

/*
 * A session that the source's own guards do not end mid-clone: a database
 * or role default of transaction_timeout (17) or idle_session_timeout (14)
 * would cut the snapshot keeper's long transaction or an idle worker, as
 * pg_dump knows.  One statement, sent only to sources that have either.
 */
void
pgc_srcver_session_setup(PGconn *conn)
{
	int			v = PQserverVersion(conn);

	if (v >= 170000)
		pgc_command(conn, "SET transaction_timeout = 0; SET idle_session_timeout = 0");
	else if (v >= 140000)
		pgc_command(conn, "SET idle_session_timeout = 0");
}

/* Does sql name the catalog unqualified (not after '.', not inside '...')? */
static bool
names_catalog(const char *sql, const char *name)
{
	size_t		len = strlen(name);
	const char *p = sql;

	while ((p = strstr(p, name)) != NULL)
	{
		char		before = p == sql ? ' ' : p[-1];
		char		after = p[len];

		if (before != '.' && before != '\'' && before != '"' && before != '_' &&
			!isalnum((unsigned char) before) &&
			after != '_' && after != '\'' && after != '"' && !isalnum((unsigned char) after))
			return true;
		p += len;
	}
	return false;
}

const char *
pgc_srcver_sql(PGconn *conn, const char *sql)
{
	int			v = PQserverVersion(conn);
	StringInfoData with;
	const char *body = sql;
	bool		has_with = false;
	bool		recursive = false;
	int			i;

	/* only queries: SELECT ..., WITH ..., (SELECT ...) */
	while (isspace((unsigned char) *body))
		body++;
	if (pg_strncasecmp(body, "WITH", 4) == 0 && isspace((unsigned char) body[4]))
	{
		has_with = true;
		body += 5;
		while (isspace((unsigned char) *body))
			body++;
		if (pg_strncasecmp(body, "RECURSIVE", 9) == 0 && isspace((unsigned char) body[9]))
		{
			recursive = true;
			body += 10;
		}
	}
	else if (pg_strncasecmp(body, "SELECT", 6) != 0 && body[0] != '(')
		return sql;

	initStringInfo(&with);
	for (i = 0; i < lengthof(shims); i++)
	{
		if (v < shims[i].minver || v >= shims[i].maxver || !names_catalog(sql, shims[i].name))
			continue;
		appendStringInfo(&with, "%s%s AS NOT MATERIALIZED (%s)",
						 with.len ? ", " : "", shims[i].name, shims[i].body);
	}
	if (with.len == 0)
	{
		pfree(with.data);
		return sql;
	}
	/* our items first: the query's own may use them */
	if (has_with)
		return psprintf("WITH %s%s, %s", recursive ? "RECURSIVE " : "", with.data, body);
	return psprintf("WITH %s %s", with.data, body);
}

/* ---------- what the target cannot create ---------- */

/*
 * A feature of some source versions, as rows (classid, objid, nspname,
 * object, feature) of the objects that use it in the schemas $1 (text[]).
 */
typedef struct Feature
{
	int			minver;
	int			maxver;
	bool		target_has;		/* the target holds it too: not refused */
	const char *sql;
} Feature;

#define NSP_IN " n.nspname = ANY ($1::text[])"
#define REL_NAME " quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
#define REL_JOIN \
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"

static const Feature features[] = {
	{0, 140000, PGC_HAS_POSTFIX_OPERATORS,
		"SELECT 'pg_operator'::regclass::oid, o.oid, n.nspname, 'operator ' || o.oid::regoperator::text,"
		" 'postfix operators (removed in PostgreSQL 14)'"
		" FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace"
	" WHERE" NSP_IN " AND o.oprkind = 'r'"},
	{160000, INT_MAX, PGC_HAS_ICU_RULES,
		"SELECT 'pg_collation'::regclass::oid, c.oid, n.nspname,"
		" 'collation ' || quote_ident(n.nspname) || '.' || quote_ident(c.collname),"
		" 'ICU collation rules (PostgreSQL 16)'"
		" FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace"
	" WHERE" NSP_IN " AND c.collicurules IS NOT NULL"},
	{170000, INT_MAX, PGC_HAS_BUILTIN_COLLATIONS,
		"SELECT 'pg_collation'::regclass::oid, c.oid, n.nspname,"
		" 'collation ' || quote_ident(n.nspname) || '.' || quote_ident(c.collname),"
		" 'the builtin collation provider (PostgreSQL 17)'"
		" FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace"
	" WHERE" NSP_IN " AND c.collprovider = 'b'"},
	{170000, INT_MAX, PGC_HAS_PARTITIONED_IDENTITY,
		"SELECT 'pg_class'::regclass::oid, c.oid, n.nspname,"
		" 'column ' ||" REL_NAME " || '.' || quote_ident(a.attname),"
		" 'identity columns of partitioned tables (PostgreSQL 17)'"
		REL_JOIN " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
	" WHERE" NSP_IN " AND (c.relkind = 'p' OR c.relispartition) AND a.attidentity <> ''"},
	{170000, INT_MAX, PGC_HAS_MAINTAIN_PRIVILEGE,
		"SELECT 'pg_class'::regclass::oid, c.oid, n.nspname, 'relation ' ||" REL_NAME ","
		" 'the MAINTAIN privilege (PostgreSQL 17) granted without all the others'"
		REL_JOIN " WHERE" NSP_IN " AND EXISTS (SELECT 1 FROM pg_catalog.aclexplode(c.relacl) a"
		"  WHERE a.grantee <> c.relowner GROUP BY a.grantee, a.is_grantable"
	"  HAVING bool_or(a.privilege_type = 'MAINTAIN') AND count(*) < 8)"},
	{180000, INT_MAX, PGC_HAS_VIRTUAL_GENERATED,
		"SELECT 'pg_class'::regclass::oid, c.oid, n.nspname,"
		" 'column ' ||" REL_NAME " || '.' || quote_ident(a.attname),"
		" 'virtual generated columns (PostgreSQL 18)'"
		REL_JOIN " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
	" WHERE" NSP_IN " AND a.attgenerated = 'v' AND NOT a.attisdropped"},
	{180000, INT_MAX, PGC_HAS_NOT_ENFORCED,
		"SELECT 'pg_class'::regclass::oid, c.oid, n.nspname,"
		" 'constraint ' || quote_ident(k.conname) || ' of ' ||" REL_NAME ","
		" 'NOT ENFORCED constraints (PostgreSQL 18)'"
		REL_JOIN " JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid"
	" WHERE" NSP_IN " AND NOT k.conenforced"},
	{180000, INT_MAX, PGC_HAS_NOT_NULL_CONSTRAINTS,
		"SELECT 'pg_class'::regclass::oid, c.oid, n.nspname,"
		" 'constraint ' || quote_ident(k.conname) || ' of ' ||" REL_NAME ","
		" 'NOT NULL constraints that are NOT VALID (PostgreSQL 18)'"
		REL_JOIN " JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid"
	" WHERE" NSP_IN " AND k.contype = 'n' AND NOT k.convalidated"},
	{180000, INT_MAX, PGC_HAS_TEMPORAL_CONSTRAINTS,
		"SELECT 'pg_class'::regclass::oid, c.oid, n.nspname,"
		" 'constraint ' || quote_ident(k.conname) || ' of ' ||" REL_NAME ","
		" 'temporal constraints, WITHOUT OVERLAPS and PERIOD (PostgreSQL 18)'"
		REL_JOIN " JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid"
		" WHERE" NSP_IN " AND (k.conperiod"
	"  OR k.contype IN ('p', 'u') AND pg_catalog.pg_get_constraintdef(k.oid) LIKE '%WITHOUT OVERLAPS)%')"},
	/* a domain's: domain DDL has no place for them yet */
	{180000, INT_MAX, false,
		"SELECT 'pg_type'::regclass::oid, t.oid, n.nspname,"
		" 'domain ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname),"
		" 'NOT NULL constraints that are NOT VALID (PostgreSQL 18)'"
		" FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_type t ON t.oid = k.contypid"
		" JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
	" WHERE" NSP_IN " AND k.contype = 'n' AND NOT k.convalidated"},
};

List *
pgc_srcver_incompatible(PGconn *conn, List *schemas)
{
	int			v = pgc_srcver(conn);
	StringInfoData q;
	const char *params[1];
	PgcRows    *r;
	List	   *out = NIL;
	int			i;

	initStringInfo(&q);
	for (i = 0; i < lengthof(features); i++)
	{
		const char *sql = features[i].sql;

		if (v < features[i].minver || v >= features[i].maxver || features[i].target_has)
			continue;
		appendStringInfo(&q, "%s(%s)", q.len ? " UNION ALL " : "", sql);
	}
	if (q.len == 0)
		return NIL;
	appendStringInfoString(&q, " ORDER BY 3, 4");
	params[0] = pgc_names_literal(schemas);
	r = pgc_query_params(conn, q.data, 1, params);
	for (i = 0; i < r->nrows; i++)
	{
		PgcCompatItem *it = palloc(sizeof(PgcCompatItem));

		it->classid = (Oid) strtoul(pgc_val(r, i, 0), NULL, 10);
		it->objid = (Oid) strtoul(pgc_val(r, i, 1), NULL, 10);
		it->nspname = pgc_val(r, i, 2);
		it->object = pgc_val(r, i, 3);
		it->feature = pgc_val(r, i, 4);
		out = lappend(out, it);
	}
	return out;
}

void
pgc_srcver_refuse(PgcCompatItem *item)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("source %s uses %s, which the target (PostgreSQL %d) does not have",
					item->object, item->feature, PGC_TARGET_MAJOR),
			 errdetail("Nothing was created."),
			 errhint("pgclone.preflight() lists every such object under \"version_compat\".")));
}

void
pgc_srcver_check_object(List *items, Oid classid, Oid objid)
{
	ListCell   *lc;

	foreach(lc, items)
	{
		PgcCompatItem *it = lfirst(lc);

		if (it->classid == classid && it->objid == objid)
			pgc_srcver_refuse(it);
	}
}

bool
pgc_srcver_privilege_kept(const char *priv)
{
	/* the other cases are refused first (pgc_srcver_incompatible) */
	return PGC_HAS_MAINTAIN_PRIVILEGE || strcmp(priv, "MAINTAIN") != 0;
}

char *
pgc_srcver_privilege_list(const char *privs)
{
	StringInfoData b;
	char	   *copy = pstrdup(privs);
	char	   *tok;
	char	   *save = NULL;

	initStringInfo(&b);
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
	{
		if (!pgc_srcver_privilege_kept(tok))
			continue;
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", tok);
	}
	return b.len ? b.data : NULL;
}
