/*
 * tsearch.c — text search objects of a schema: templates ('W'), parsers
 * ('P'), dictionaries ('D') and configurations ('X').
 *
 * All are nodes of the dependency sort: a template or parser comes after its
 * functions (C functions of PostgreSQL or an extension, which must exist on
 * the target), a dictionary after its template, a configuration after its
 * parser and the dictionaries it maps to, and a table whose generated column
 * or default names a configuration after that.  Every name is read raw from
 * the source and quoted here; a dictionary's options are parsed back into
 * name/value pairs rather than pasted, since the source is untrusted.
 */
#include "ddl/ddl.h"

#include "commands/defrem.h"
#include "utils/builtins.h"

#define DICT_SQL \
	"SELECT n.nspname, d.dictname, tn.nspname AS tmplnsp, t.tmplname, d.dictinitoption," \
	" pg_get_userbyid(d.dictowner) AS owner, obj_description(d.oid, 'pg_ts_dict') AS comment" \
	" FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace" \
	" JOIN pg_ts_template t ON t.oid = d.dicttemplate" \
	" JOIN pg_namespace tn ON tn.oid = t.tmplnamespace WHERE d.oid = $1::oid"

#define CONFIG_SQL \
	"SELECT n.nspname, c.cfgname, pn.nspname AS prsnsp, p.prsname," \
	" pg_get_userbyid(c.cfgowner) AS owner, obj_description(c.oid, 'pg_ts_config') AS comment" \
	" FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace" \
	" JOIN pg_ts_parser p ON p.oid = c.cfgparser" \
	" JOIN pg_namespace pn ON pn.oid = p.prsnamespace WHERE c.oid = $1::oid"

/* a function of a template or parser: schema and name, NULL if none */
#define TS_FN(col, alias) \
	" (SELECT pn.nspname FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace" \
	"   WHERE p.oid = " col ") AS " alias "_nsp," \
	" (SELECT p.proname FROM pg_proc p WHERE p.oid = " col ") AS " alias "_name,"

#define TEMPLATE_SQL \
	"SELECT n.nspname, t.tmplname AS name," TS_FN("t.tmplinit", "init") TS_FN("t.tmpllexize", "lexize") \
	" obj_description(t.oid, 'pg_ts_template') AS comment" \
	" FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace WHERE t.oid = $1::oid"

#define PARSER_SQL \
	"SELECT n.nspname, p0.prsname AS name," TS_FN("p0.prsstart", "start") TS_FN("p0.prstoken", "gettoken") \
	TS_FN("p0.prsend", "end") TS_FN("p0.prslextype", "lextypes") TS_FN("p0.prsheadline", "headline") \
	" obj_description(p0.oid, 'pg_ts_parser') AS comment" \
	" FROM pg_ts_parser p0 JOIN pg_namespace n ON n.oid = p0.prsnamespace WHERE p0.oid = $1::oid"

/* one row per token type and dictionary, in mapping order */
#define MAPPING_SQL \
	"SELECT (SELECT t.alias FROM ts_token_type(c.cfgparser) t WHERE t.tokid = m.maptokentype) AS token," \
	" dn.nspname, d.dictname" \
	" FROM pg_ts_config_map m JOIN pg_ts_config c ON c.oid = m.mapcfg" \
	" JOIN pg_ts_dict d ON d.oid = m.mapdict JOIN pg_namespace dn ON dn.oid = d.dictnamespace" \
	" WHERE m.mapcfg = $1::oid ORDER BY m.maptokentype, m.mapseqno"

static PgcRows *
ts_row(PGconn *conn, const char *sql, PgcObject *o, const char *what)
{
	return pgc_source_row(conn, sql, o->oid, what);
}

static List *
dictionary_sql(PGconn *conn, PgcObject *o)
{
	PgcRows    *r = ts_row(conn, DICT_SQL, o, "text search dictionary");
	char	   *q = pgc_qname(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "dictname"));
	char	   *opts = pgc_get(r, 0, "dictinitoption");
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE TEXT SEARCH DICTIONARY %s (TEMPLATE = %s", q,
					 pgc_qname(pgc_get(r, 0, "tmplnsp"), pgc_get(r, 0, "tmplname")));
	/* "a = 'x', b = y": the format PostgreSQL stores; an invalid one is an ERROR */
	if (opts)
		foreach(lc, deserialize_deflist(CStringGetTextDatum(opts)))
		{
			DefElem    *d = lfirst(lc);

			appendStringInfo(&b, ", %s = %s", quote_identifier(d->defname),
							 quote_literal_cstr(defGetString(d)));
		}
	appendStringInfoChar(&b, ')');
	return pgc_comment_owner(list_make1(b.data), "TEXT SEARCH DICTIONARY", q,
							 pgc_get(r, 0, "comment"), pgc_get(r, 0, "owner"));
}

static List *
configuration_sql(PGconn *conn, PgcObject *o)
{
	PgcRows    *r = ts_row(conn, CONFIG_SQL, o, "text search configuration");
	const char *params[1] = {o->oid};
	PgcRows    *m = pgc_query_params(conn, MAPPING_SQL, 1, params);
	char	   *q = pgc_qname(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "cfgname"));
	List	   *out;
	StringInfoData b;
	int			i;

	out = list_make1(psprintf("CREATE TEXT SEARCH CONFIGURATION %s (PARSER = %s)", q,
							  pgc_qname(pgc_get(r, 0, "prsnsp"), pgc_get(r, 0, "prsname"))));
	initStringInfo(&b);
	for (i = 0; i < m->nrows; i++)
	{
		char	   *token = pgc_get(m, i, "token");
		char	   *dict = pgc_qname(pgc_get(m, i, "nspname"), pgc_get(m, i, "dictname"));

		if (token == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("text search configuration %s maps a token type its parser does not have", q)));
		if (i == 0 || strcmp(token, pgc_get(m, i - 1, "token")) != 0)
		{
			if (b.len > 0)
				out = lappend(out, pstrdup(b.data));
			resetStringInfo(&b);
			appendStringInfo(&b, "ALTER TEXT SEARCH CONFIGURATION %s ADD MAPPING FOR %s WITH %s",
							 q, quote_identifier(token), dict);
		}
		else
			appendStringInfo(&b, ", %s", dict);
	}
	if (b.len > 0)
		out = lappend(out, b.data);
	return pgc_comment_owner(out, "TEXT SEARCH CONFIGURATION", q,
							 pgc_get(r, 0, "comment"), pgc_get(r, 0, "owner"));
}

/* CREATE TEXT SEARCH TEMPLATE/PARSER: "KEY = fn" for each function it has */
static List *
template_or_parser_sql(PGconn *conn, PgcObject *o)
{
	static const char *const tmpl[] = {"INIT", "init", "LEXIZE", "lexize", NULL};
	static const char *const prs[] = {"START", "start", "GETTOKEN", "gettoken", "END", "end",
	"LEXTYPES", "lextypes", "HEADLINE", "headline", NULL};
	bool		is_tmpl = o->kind == 'W';
	const char *word = is_tmpl ? "TEXT SEARCH TEMPLATE" : "TEXT SEARCH PARSER";
	PgcRows    *r = ts_row(conn, is_tmpl ? TEMPLATE_SQL : PARSER_SQL, o, is_tmpl ?
						   "text search template" : "text search parser");
	const char *const *keys = is_tmpl ? tmpl : prs;
	char	   *q = pgc_qname(pgc_get(r, 0, "nspname"), pgc_get(r, 0, "name"));
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	appendStringInfo(&b, "CREATE %s %s (", word, q);
	for (i = 0; keys[i]; i += 2)
	{
		char	   *fn = pgc_get(r, 0, psprintf("%s_name", keys[i + 1]));

		if (fn)
			appendStringInfo(&b, "%s%s = %s", b.data[b.len - 1] == '(' ? "" : ", ", keys[i],
							 pgc_qname(pgc_get(r, 0, psprintf("%s_nsp", keys[i + 1])), fn));
	}
	appendStringInfoChar(&b, ')');
	return pgc_comment_owner(list_make1(b.data), word, q, pgc_get(r, 0, "comment"), NULL);
}

List *
pgc_tsearch_sql(PGconn *conn, PgcObject *o)
{
	switch (o->kind)
	{
		case 'D':
			return dictionary_sql(conn, o);
		case 'X':
			return configuration_sql(conn, o);
		default:
			return template_or_parser_sql(conn, o);
	}
}
