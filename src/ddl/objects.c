/*
 * objects.c — DDL of the objects of a schema that are not tables: types,
 * standalone sequences, functions, aggregates, views, materialized views,
 * rules, triggers on views, comments, owners and grants.
 *
 * As in ddl_table.c, everything is read on the source with search_path =
 * pg_catalog, so names in pg_get_*def() output come schema-qualified and
 * quoted by the source; names we splice in go through quote_ident() on the
 * source or quote_identifier() here.
 */
#include "ddl/ddl.h"
#include "remote/srcver.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "miscadmin.h"

/* Strip the ';' pg_get_viewdef() and pg_get_ruledef() end with. */
static char *
strip_semicolon(const char *def)
{
	char	   *s = pstrdup(def);
	size_t		n = strlen(s);

	while (n > 0 && (s[n - 1] == ';' || s[n - 1] == ' ' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

bool
pgc_role_usable(const char *role, const char *what)
{
	if (role == NULL || role[0] == '\0' || OidIsValid(get_role_oid(role, true)))
		return true;
	ereport(NOTICE,
			(errmsg("skipping %s: role \"%s\" does not exist on the target", what, role)));
	return false;
}

/*
 * Owner and grants.  acl is aclexplode() of a non-default ACL, minus the
 * owner's own entries: reset to nothing for PUBLIC, then grant each entry.
 */
List *
pgc_owner_acl(List *out, PgcRows *r, const char *kind, const char *what)
{
	char	   *owner = pgc_get(r, 0, "owner");
	char	   *acl = pgc_get(r, 0, "acl");

	if (owner && pgc_role_usable(owner, psprintf("owner of %s %s", kind, what)))
		out = lappend(out, psprintf("ALTER %s %s OWNER TO %s", kind, what,
									quote_identifier(owner)));
	if (!pgc_get_bool(r, 0, "has_acl"))
		return out;
	out = lappend(out, psprintf("REVOKE ALL ON %s %s FROM PUBLIC",
								strcmp(kind, "VIEW") == 0 || strcmp(kind, "MATERIALIZED VIEW") == 0 ||
								strcmp(kind, "FOREIGN TABLE") == 0 ?
								"TABLE" : strcmp(kind, "PROCEDURE") == 0 || strcmp(kind, "AGGREGATE") == 0 ?
								"FUNCTION" : kind, what));
	/* records: grantee \x1f privilege \x1f grantable \x1e */
	while (acl && *acl)
	{
		char	   *end = strchr(acl, '\x1e');
		char	   *f1 = strchr(acl, '\x1f');
		char	   *f2 = f1 ? strchr(f1 + 1, '\x1f') : NULL;
		char	   *grantee;
		char	   *priv;
		const char *on = kind;

		if (end == NULL || f2 == NULL || f2 > end)
			elog(ERROR, "pgclone: malformed ACL from the source");
		grantee = pnstrdup(acl, f1 - acl);
		priv = pnstrdup(f1 + 1, f2 - f1 - 1);
		if (!pgc_srcver_privilege_kept(priv))
		{
			acl = end + 1;
			continue;
		}
		pgc_check_privilege(priv);
		if (strcmp(kind, "VIEW") == 0 || strcmp(kind, "MATERIALIZED VIEW") == 0 ||
			strcmp(kind, "FOREIGN TABLE") == 0)
			on = "TABLE";
		else if (strcmp(kind, "PROCEDURE") == 0 || strcmp(kind, "AGGREGATE") == 0)
			on = "FUNCTION";
		if (pgc_role_usable(grantee, psprintf("grant on %s", what)))
			out = lappend(out, psprintf("GRANT %s ON %s %s TO %s%s", priv, on, what,
										grantee[0] ? quote_identifier(grantee) : "PUBLIC",
										f2[1] == 't' ? " WITH GRANT OPTION" : ""));
		acl = end + 1;
	}
	return out;
}

/* ALTER kind q ADD CONSTRAINT for each row (conname, def) of k */
List *
pgc_add_constraints(List *out, const char *kind, const char *q, PgcRows *k)
{
	int			i;

	for (i = 0; i < k->nrows; i++)
		out = lappend(out, pgc_check_def(psprintf("ALTER %s %s ADD CONSTRAINT %s %s", kind, q,
												  quote_identifier(pgc_get(k, i, "conname")),
												  pgc_get(k, i, "def")),
										 strcmp(kind, "DOMAIN") == 0 ? T_AlterDomainStmt : T_AlterTableStmt,
										 psprintf("constraint \"%s\" of %s", pgc_get(k, i, "conname"), q),
										 NULL, NULL));
	return out;
}

/*
 * COMMENT ON word what, then ALTER word what OWNER TO owner (when the role
 * exists here), for objects without grants.  Either may be NULL.
 */
List *
pgc_comment_owner(List *out, const char *word, const char *what,
				  const char *comment, const char *owner)
{
	if (comment)
		out = lappend(out, psprintf("COMMENT ON %s %s IS %s", word, what,
									quote_literal_cstr(comment)));
	if (owner && pgc_role_usable(owner, psprintf("owner of %s %s", word, what)))
		out = lappend(out, psprintf("ALTER %s %s OWNER TO %s", word, what,
									quote_identifier(owner)));
	return out;
}

List *
pgc_comment_on(List *out, PgcRows *r, const char *kind, const char *what)
{
	char	   *c = pgc_get(r, 0, "comment");

	if (c)
		out = lappend(out, psprintf("COMMENT ON %s %s IS %s", kind, what,
									quote_literal_cstr(c)));
	return out;
}

static List *
type_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_type, o->oid);
	char	   *q = pgc_get(r, 0, "qname");
	List	   *out = NIL;

	switch (pgc_get(r, 0, "typtype")[0])
	{
		case 'e':
			out = lappend(out, psprintf("CREATE TYPE %s AS ENUM (%s)", q,
										pgc_get(r, 0, "labels") ? pgc_get(r, 0, "labels") : ""));
			break;
		case 'c':
			out = lappend(out, psprintf("CREATE TYPE %s AS (%s)", q,
										pgc_get(r, 0, "attrs") ? pgc_get(r, 0, "attrs") : ""));
			break;
		case 'r':
			out = lappend(out, psprintf("CREATE TYPE %s AS RANGE (%s)", q, pgc_get(r, 0, "range")));
			break;
		case 'd':
			{
				StringInfoData b;
				PgcRows    *k;

				initStringInfo(&b);
				appendStringInfo(&b, "CREATE DOMAIN %s AS %s", q, pgc_get(r, 0, "basetype"));
				if (pgc_get(r, 0, "collation"))
					appendStringInfo(&b, " COLLATE %s", pgc_get(r, 0, "collation"));
				if (pgc_get(r, 0, "typdefault"))
					appendStringInfo(&b, " DEFAULT %s", pgc_get(r, 0, "typdefault"));
				/* its name, where the target keeps one (17) */
				if (PGC_HAS_DOMAIN_NOT_NULL_CONSTRAINTS && pgc_get(r, 0, "nn_name"))
					appendStringInfo(&b, " CONSTRAINT %s NOT NULL",
									 quote_identifier(pgc_get(r, 0, "nn_name")));
				else if (pgc_get_bool(r, 0, "typnotnull"))
					appendStringInfoString(&b, " NOT NULL");
				out = lappend(out, b.data);
				k = pgc_read(cat, &pgc_q_domain_checks, o->oid);
				out = pgc_add_constraints(out, "DOMAIN", q, k);
				out = pgc_comment_on(out, r, "DOMAIN", q);
				return pgc_owner_acl(out, r, "DOMAIN", q);
			}
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot clone type %s: base types need C functions", q)));
	}
	out = pgc_comment_on(out, r, "TYPE", q);
	return pgc_owner_acl(out, r, "TYPE", q);
}

static List *
sequence_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_sequence, o->oid);
	char	   *q = pgc_get(r, 0, "qname");
	List	   *out = NIL;

	out = lappend(out, psprintf("CREATE %sSEQUENCE %s AS %s START WITH %s INCREMENT BY %s"
								" MINVALUE %s MAXVALUE %s CACHE %s%s",
								pgc_get(r, 0, "relpersistence")[0] == 'u' ? "UNLOGGED " : "",
								q, pgc_get(r, 0, "seqtype"), pgc_get(r, 0, "seqstart"),
								pgc_get(r, 0, "seqincrement"), pgc_get(r, 0, "seqmin"),
								pgc_get(r, 0, "seqmax"), pgc_get(r, 0, "seqcache"),
								pgc_get_bool(r, 0, "seqcycle") ? " CYCLE" : ""));
	out = pgc_comment_on(out, r, "SEQUENCE", q);
	return pgc_owner_acl(out, r, "SEQUENCE", q);
}

static void
agg_opt(StringInfo b, const char *key, const char *val, bool literal)
{
	if (val)
		appendStringInfo(b, ",\n    %s = %s", key, literal ? quote_literal_cstr(val) : val);
}

static const char *
modify_word(const char *c)
{
	return c[0] == 'r' ? "READ_ONLY" : c[0] == 's' ? "SHAREABLE" : "READ_WRITE";
}

static char *
aggregate_sql(PgcCatalog *cat, PgcObject *o, PgcRows *f)
{
	PgcRows    *a = pgc_read_one(cat, &pgc_q_aggregate, o->oid);
	StringInfoData b;
	char		par = pgc_get(f, 0, "proparallel")[0];
	char		kind = pgc_get(a, 0, "aggkind")[0];

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE AGGREGATE %s(%s) (\n    SFUNC = %s,\n    STYPE = %s",
					 pgc_get(f, 0, "qname"),
					 pgc_get(f, 0, "args")[0] ? pgc_get(f, 0, "args") : "*",
					 pgc_get(a, 0, "sfunc"), pgc_get(a, 0, "stype"));
	if (strcmp(pgc_get(a, 0, "aggtransspace"), "0") != 0)
		agg_opt(&b, "SSPACE", pgc_get(a, 0, "aggtransspace"), false);
	agg_opt(&b, "FINALFUNC", pgc_get(a, 0, "finalfunc"), false);
	if (pgc_get(a, 0, "finalfunc"))
	{
		if (pgc_get_bool(a, 0, "aggfinalextra"))
			appendStringInfoString(&b, ",\n    FINALFUNC_EXTRA");
		agg_opt(&b, "FINALFUNC_MODIFY", modify_word(pgc_get(a, 0, "aggfinalmodify")), false);
	}
	agg_opt(&b, "COMBINEFUNC", pgc_get(a, 0, "combinefunc"), false);
	agg_opt(&b, "SERIALFUNC", pgc_get(a, 0, "serialfunc"), false);
	agg_opt(&b, "DESERIALFUNC", pgc_get(a, 0, "deserialfunc"), false);
	agg_opt(&b, "INITCOND", pgc_get(a, 0, "agginitval"), true);
	if (pgc_get(a, 0, "msfunc"))
	{
		agg_opt(&b, "MSFUNC", pgc_get(a, 0, "msfunc"), false);
		agg_opt(&b, "MINVFUNC", pgc_get(a, 0, "minvfunc"), false);
		agg_opt(&b, "MSTYPE", pgc_get(a, 0, "mstype"), false);
		if (strcmp(pgc_get(a, 0, "aggmtransspace"), "0") != 0)
			agg_opt(&b, "MSSPACE", pgc_get(a, 0, "aggmtransspace"), false);
		agg_opt(&b, "MFINALFUNC", pgc_get(a, 0, "mfinalfunc"), false);
		if (pgc_get(a, 0, "mfinalfunc"))
		{
			if (pgc_get_bool(a, 0, "aggmfinalextra"))
				appendStringInfoString(&b, ",\n    MFINALFUNC_EXTRA");
			agg_opt(&b, "MFINALFUNC_MODIFY", modify_word(pgc_get(a, 0, "aggmfinalmodify")), false);
		}
		agg_opt(&b, "MINITCOND", pgc_get(a, 0, "aggminitval"), true);
	}
	agg_opt(&b, "SORTOP", pgc_get(a, 0, "sortop"), false);
	if (kind == 'h')
		appendStringInfoString(&b, ",\n    HYPOTHETICAL");
	if (par != 'u')
		appendStringInfo(&b, ",\n    PARALLEL = %s", par == 's' ? "SAFE" : "RESTRICTED");
	appendStringInfoString(&b, "\n)");
	return b.data;
}

static List *
function_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_function, o->oid);
	char		kind = pgc_get(r, 0, "prokind")[0];
	char	   *sig = pgc_get(r, 0, "sig");
	const char *word = kind == 'p' ? "PROCEDURE" : kind == 'a' ? "AGGREGATE" : "FUNCTION";
	List	   *out = NIL;

	if (kind == 'a')
		out = lappend(out, aggregate_sql(cat, o, r));
	else
		out = lappend(out, pgc_check_def(pgc_get(r, 0, "def"), T_CreateFunctionStmt,
										 psprintf("%s %s", kind == 'p' ? "procedure" : "function",
												  pgc_qname(o->nspname, o->name)),
										 NULL, o->name));
	out = pgc_comment_on(out, r, (char *) word, sig);
	return pgc_owner_acl(out, r, (char *) word, sig);
}

static List *
view_sql(PgcCatalog *cat, PgcObject *o, bool post_data, const PgcOptions *opts)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_view, o->oid);
	char	   *q = pgc_get(r, 0, "qname");
	bool		mat = o->kind == 'M';
	bool		deferred = pgc_get_bool(r, 0, "needs_constraint");
	const char *word = mat ? "MATERIALIZED VIEW" : "VIEW";
	StringInfoData b;
	List	   *out = NIL;
	PgcRows    *cols;
	int			i;

	if (post_data && !deferred)
		return NIL;
	if (post_data && !opts->constraints)
	{
		/* the constraint it relies on is left out: so is the view */
		ereport(NOTICE,
				(errmsg("skipping view %s: it relies on a constraint that \"constraints\": false leaves out",
						q)));
		return list_make1(psprintf("DROP VIEW %s CASCADE", q));
	}
	if (!post_data && deferred)
		return list_make1(psprintf("CREATE VIEW %s AS SELECT %s", q,
								   pgc_get(r, 0, "placeholder")));

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE %s%s %s", deferred ? "OR REPLACE " : "", word, q);
	if (mat && pgc_get(r, 0, "am"))
		appendStringInfo(&b, " USING %s", pgc_get(r, 0, "am"));
	if (pgc_get(r, 0, "reloptions"))
		appendStringInfo(&b, " WITH (%s)", pgc_get(r, 0, "reloptions"));
	appendStringInfo(&b, " AS\n%s", strip_semicolon(pgc_get(r, 0, "def")));
	if (mat)
		appendStringInfoString(&b, "\n  WITH NO DATA");
	out = lappend(out, pgc_check_def(b.data, mat ? T_CreateTableAsStmt : T_ViewStmt,
									 psprintf("%s %s", mat ? "materialized view" : "view", q),
									 o->nspname, o->name));

	cols = pgc_read(cat, &pgc_q_relcols, o->oid);
	for (i = 0; i < cols->nrows; i++)
	{
		if (pgc_get(cols, i, "defexpr"))
			out = lappend(out, psprintf("ALTER VIEW %s ALTER COLUMN %s SET DEFAULT %s", q,
										pgc_get(cols, i, "col"), pgc_get(cols, i, "defexpr")));
		if (pgc_get(cols, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON COLUMN %s.%s IS %s", q,
										pgc_get(cols, i, "col"),
										quote_literal_cstr(pgc_get(cols, i, "comment"))));
	}
	out = pgc_comment_on(out, r, (char *) word, q);
	return pgc_owner_acl(out, r, (char *) word, q);
}

static List *
collation_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_collation, o->oid);
	char	   *q = pgc_get(r, 0, "qname");
	char		prov = pgc_get(r, 0, "collprovider")[0];
	StringInfoData b;
	List	   *out = NIL;

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE COLLATION %s (provider = %s", q,
					 prov == 'i' ? "icu" : prov == 'b' ? "builtin" : "libc");
	/* the builtin provider (17) keeps its locale where ICU does */
	if (prov == 'i' || prov == 'b')
		appendStringInfo(&b, ", locale = %s", quote_literal_cstr(pgc_get(r, 0, "colliculocale")));
	else if (prov == 'c')
		appendStringInfo(&b, ", lc_collate = %s, lc_ctype = %s",
						 quote_literal_cstr(pgc_get(r, 0, "collcollate")),
						 quote_literal_cstr(pgc_get(r, 0, "collctype")));
	else
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot clone collation %s with the default provider", q)));
	if (!pgc_get_bool(r, 0, "collisdeterministic"))
		appendStringInfoString(&b, ", deterministic = false");
	/* ICU rules (16): a source that has them is refused on older targets */
	if (pgc_get(r, 0, "collicurules"))
		appendStringInfo(&b, ", rules = %s", quote_literal_cstr(pgc_get(r, 0, "collicurules")));
	appendStringInfoChar(&b, ')');
	out = lappend(out, b.data);
	return pgc_comment_owner(out, "COLLATION", q, pgc_get(r, 0, "comment"), pgc_get(r, 0, "owner"));
}

static List *
conversion_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_conversion, o->oid);
	char	   *q = pgc_qname(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "conname"));
	List	   *out;

	out = list_make1(psprintf("CREATE %sCONVERSION %s FOR %s TO %s FROM %s",
							  pgc_get_bool(r, 0, "condefault") ? "DEFAULT " : "", q,
							  quote_literal_cstr(pgc_get(r, 0, "src")),
							  quote_literal_cstr(pgc_get(r, 0, "dst")),
							  pgc_qname(pgc_get(r, 0, "fnsp"), pgc_get(r, 0, "fname"))));
	return pgc_comment_owner(out, "CONVERSION", q, pgc_get(r, 0, "comment"), pgc_get(r, 0, "owner"));
}

List *
pgc_object_pre_data(PgcCatalog *cat, PgcObject *o, const PgcOptions *opts)
{
	switch (o->kind)
	{
		case 'C':
			return collation_sql(cat, o);
		case 'N':
			return conversion_sql(cat, o);
		case 'W':
		case 'P':
		case 'D':
		case 'X':
			return pgc_tsearch_sql(cat, o);
		case 'E':
			return pgc_foreign_table_sql(cat, o);
		case 'O':
			return pgc_operator_sql(cat, o);
		case 'Y':
		case 'Z':
			return pgc_opclass_sql(cat, o);
		case 'K':
			return pgc_cast_sql(cat, o);
		case 'T':
			return type_sql(cat, o);
		case 'S':
			return sequence_sql(cat, o);
		case 'F':
		case 'A':
			return function_sql(cat, o);
		case 'V':
		case 'M':
			return view_sql(cat, o, false, opts);
		default:
			return NIL;
	}
}

/* Rules (not a view's _RETURN) of a table, view or matview */
List *
pgc_relation_rules(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read(cat, &pgc_q_rules, o->oid);
	char	   *q = pgc_qname(o->nspname, o->name);
	List	   *out = NIL;
	int			i;

	for (i = 0; i < r->nrows; i++)
	{
		char		en = pgc_get(r, i, "ev_enabled")[0];
		char	   *qr = pgc_qident(pgc_get(r, i, "rulename"));

		out = lappend(out, pgc_check_def(strip_semicolon(pgc_get(r, i, "def")), T_RuleStmt,
										 psprintf("rule \"%s\" on %s", pgc_get(r, i, "rulename"), q),
										 o->nspname, o->name));
		if (en == 'D')
			out = lappend(out, psprintf("ALTER TABLE %s DISABLE RULE %s", q, qr));
		else if (en == 'A')
			out = lappend(out, psprintf("ALTER TABLE %s ENABLE ALWAYS RULE %s", q, qr));
		else if (en == 'R')
			out = lappend(out, psprintf("ALTER TABLE %s ENABLE REPLICA RULE %s", q, qr));
		if (pgc_get(r, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON RULE %s ON %s IS %s", qr, q,
										quote_literal_cstr(pgc_get(r, i, "comment"))));
	}
	return out;
}

/* After the data: a matview's indexes, the triggers of a view or foreign table. */
List *
pgc_object_post_data(PgcCatalog *cat, PgcObject *o, const PgcOptions *opts)
{
	char	   *q = pgc_qname(o->nspname, o->name);
	List	   *out = NIL;
	PgcRows    *r;
	int			i;

	if (o->kind == 'V')
		out = view_sql(cat, o, true, opts);
	if (o->kind == 'M' && opts->indexes)
	{
		r = pgc_read(cat, &pgc_q_relindexes, o->oid);
		for (i = 0; i < r->nrows; i++)
		{
			out = lappend(out, pgc_check_def(pgc_get(r, i, "def"), T_IndexStmt,
											 psprintf("an index of %s", q), o->nspname, o->name));
			if (pgc_get_bool(r, i, "indisclustered"))
				out = lappend(out, psprintf("ALTER MATERIALIZED VIEW %s CLUSTER ON %s", q,
											pgc_get(r, i, "qidx")));
			if (pgc_get(r, i, "comment"))
				out = lappend(out, psprintf("COMMENT ON INDEX %s.%s IS %s",
											quote_identifier(o->nspname), pgc_get(r, i, "qidx"),
											quote_literal_cstr(pgc_get(r, i, "comment"))));
		}
	}
	if ((o->kind == 'V' || o->kind == 'E') && opts->triggers)
	{
		const char *alter = o->kind == 'E' ? "ALTER FOREIGN TABLE" : "ALTER TABLE";

		r = pgc_read(cat, &pgc_q_view_triggers, o->oid);
		for (i = 0; i < r->nrows; i++)
		{
			char		en = pgc_get(r, i, "tgenabled")[0];
			char	   *qt = pgc_qident(pgc_get(r, i, "tgname"));

			out = lappend(out, pgc_check_def(pgc_get(r, i, "def"), T_CreateTrigStmt,
											 psprintf("trigger %s on %s", qt, q), o->nspname, o->name));
			if (en == 'D' || en == 'R' || en == 'A')
				out = lappend(out, psprintf("%s %s %s TRIGGER %s", alter, q,
											en == 'D' ? "DISABLE" : en == 'R' ? "ENABLE REPLICA" : "ENABLE ALWAYS",
											qt));
			if (pgc_get(r, i, "comment"))
				out = lappend(out, psprintf("COMMENT ON TRIGGER %s ON %s IS %s", qt, q,
											quote_literal_cstr(pgc_get(r, i, "comment"))));
		}
	}
	return out;
}

/*
 * Does a local query with text parameters (NULL allowed, at most 4) return a
 * row?  Not read-only: it must see what this clone just created or dropped.
 */
bool
pgc_local_exists(const char *sql, int nargs, const char *const *args)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	int			i;

	Assert(nargs <= 4);
	for (i = 0; i < nargs; i++)
	{
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	if (SPI_execute_with_args(sql, nargs, argtypes, values, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: local lookup failed");
	return SPI_processed > 0;
}

/* Run a one-parameter boolean query locally. */
static bool
local_bool(const char *sql, const char *arg)
{
	return pgc_local_exists(psprintf("SELECT 1 WHERE (%s)", sql), 1, &arg);
}

/* Is there a row of this catalog with the object's schema and name here? */
static bool
local_named(const char *catalog, const char *nspcol, const char *namecol, PgcObject *o)
{
	return local_bool(psprintf("SELECT EXISTS (SELECT 1 FROM pg_catalog.%s"
							   " WHERE %s = %s::pg_catalog.regnamespace AND %s = $1)",
							   catalog, nspcol,
							   quote_literal_cstr(quote_identifier(o->nspname)), namecol),
					  o->name);
}

/* Does an object of this name already exist on the target? */
bool
pgc_object_exists_locally(PgcCatalog *cat, PgcObject *o)
{
	switch (o->kind)
	{
		case 'R':
		case 'E':
		case 'V':
		case 'M':
		case 'S':
			return pgc_local_relation_exists(o->nspname, o->name);
		case 'T':
			return local_bool("SELECT pg_catalog.to_regtype($1) IS NOT NULL",
							  pgc_qname(o->nspname, o->name));
		case 'C':
			return local_named("pg_collation", "collnamespace", "collname", o);
		case 'N':
			return local_named("pg_conversion", "connamespace", "conname", o);
		case 'W':
			return local_named("pg_ts_template", "tmplnamespace", "tmplname", o);
		case 'P':
			return local_named("pg_ts_parser", "prsnamespace", "prsname", o);
		case 'D':
			return local_named("pg_ts_dict", "dictnamespace", "dictname", o);
		case 'O':
			return pgc_operator_exists_locally(cat, o);
		case 'K':
			return pgc_cast_exists_locally(cat, o);
		case 'Y':
			return local_named("pg_opfamily", "opfnamespace", "opfname", o);
		case 'Z':
			return local_named("pg_opclass", "opcnamespace", "opcname", o);
		case 'X':
			return local_named("pg_ts_config", "cfgnamespace", "cfgname", o);
		default:
			{
				/* by name and identity arguments: the types may not exist here */
				PgcRows    *r = pgc_read(cat, &pgc_q_function_identity, o->oid);

				return r->nrows == 1 &&
					local_bool(psprintf("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p"
										" WHERE p.pronamespace = %s::pg_catalog.regnamespace"
										" AND p.proname = %s"
										" AND pg_catalog.pg_get_function_identity_arguments(p.oid) = $1)",
										quote_literal_cstr(quote_identifier(o->nspname)),
										quote_literal_cstr(o->name)),
							   pgc_val(r, 0, 0));
			}
	}
}

char *
pgc_object_drop_sql(PgcCatalog *cat, PgcObject *o)
{
	char	   *q = pgc_qname(o->nspname, o->name);

	switch (o->kind)
	{
		case 'V':
			return psprintf("DROP VIEW IF EXISTS %s CASCADE", q);
		case 'M':
			return psprintf("DROP MATERIALIZED VIEW IF EXISTS %s CASCADE", q);
		case 'S':
			return psprintf("DROP SEQUENCE IF EXISTS %s CASCADE", q);
		case 'T':
			return psprintf("DROP TYPE IF EXISTS %s CASCADE", q);
		case 'C':
			return psprintf("DROP COLLATION IF EXISTS %s CASCADE", q);
		case 'N':
			return psprintf("DROP CONVERSION IF EXISTS %s CASCADE", q);
		case 'W':
			return psprintf("DROP TEXT SEARCH TEMPLATE IF EXISTS %s CASCADE", q);
		case 'P':
			return psprintf("DROP TEXT SEARCH PARSER IF EXISTS %s CASCADE", q);
		case 'D':
			return psprintf("DROP TEXT SEARCH DICTIONARY IF EXISTS %s CASCADE", q);
		case 'E':
			return psprintf("DROP FOREIGN TABLE IF EXISTS %s CASCADE", q);
		case 'O':
			return pgc_operator_drop_sql(cat, o);
		case 'Y':
		case 'Z':
			return psprintf("DROP %s CASCADE", pgc_opclass_label(cat, o));
		case 'K':
			return pgc_cast_drop_sql(cat, o);
		case 'X':
			return psprintf("DROP TEXT SEARCH CONFIGURATION IF EXISTS %s CASCADE", q);
		default:
			return NULL;		/* functions: CREATE OR REPLACE */
	}
}

/*
 * ALTER DEFAULT PRIVILEGES of a source schema, or the database-wide ones
 * (nspname NULL).  Run after everything else (pg_dump restores them last
 * too): the clone's own objects must not pick them up.  A role that is
 * missing here, or that the cloning user cannot act for, is skipped with a
 * NOTICE.
 */
List *
pgc_default_privileges(PgcCatalog *cat, const char *nspname)
{
	PgcRows    *r = pgc_read(cat, &pgc_q_default_acl, nspname);
	char	   *in = nspname ? psprintf(" IN SCHEMA %s", quote_identifier(nspname)) : "";
	List	   *out = NIL;
	int			i;

	for (i = 0; i < r->nrows; i++)
	{
		char	   *role = pgc_get(r, i, "role");
		char	   *grantee = pgc_get(r, i, "grantee");
		char	   *priv = pgc_get(r, i, "privilege_type");
		bool		grant = strcmp(pgc_get(r, i, "op"), "GRANT") == 0;
		char	   *to = grantee[0] ? pgc_qident(grantee) : "PUBLIC";
		const char *what;
		char	   *label;

		switch (pgc_get(r, i, "objtype")[0])
		{
			case 'r':
				what = "TABLES";
				break;
			case 'S':
				what = "SEQUENCES";
				break;
			case 'f':
				what = "FUNCTIONS";
				break;
			case 'T':
				what = "TYPES";
				break;
			case 'n':
				what = "SCHEMAS";
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("source returned an unknown default privilege object type \"%s\"",
								pgc_get(r, i, "objtype"))));
		}
		if (!pgc_srcver_privilege_kept(priv))
			continue;
		pgc_check_privilege(priv);
		label = nspname ?
			psprintf("default privileges of role \"%s\" in schema %s", role, quote_identifier(nspname)) :
			psprintf("default privileges of role \"%s\"", role);
		if (!pgc_role_usable(role, label) || !pgc_role_usable(grantee, label))
			continue;
		if (!has_privs_of_role(GetUserId(), get_role_oid(role, false)))
		{
			ereport(NOTICE,
					(errmsg("skipping %s: the current user does not have the privileges of that role",
							label)));
			continue;
		}
		out = lappend(out, psprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s%s %s %s ON %s %s %s%s",
									quote_identifier(role), in, grant ? "GRANT" : "REVOKE",
									priv, what, grant ? "TO" : "FROM", to,
									grant && pgc_get_bool(r, i, "is_grantable") ? " WITH GRANT OPTION" : ""));
	}
	return out;
}

/* CREATE SCHEMA (if missing), its comment, owner and grants */
List *
pgc_schema_header(PgcCatalog *cat, const char *nspname)
{
	PgcRows    *r = pgc_read(cat, &pgc_q_schema, nspname);
	char	   *q;
	List	   *out = NIL;

	if (r->nrows != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_SCHEMA_NAME),
				 errmsg("source schema %s does not exist", quote_identifier(nspname)),
				 errdetail("Source server: %s.", pgc_catalog_label(cat))));
	q = pgc_get(r, 0, "qname");
	out = lappend(out, psprintf("CREATE SCHEMA IF NOT EXISTS %s", q));
	out = pgc_comment_on(out, r, "SCHEMA", q);
	return pgc_owner_acl(out, r, "SCHEMA", q);
}
