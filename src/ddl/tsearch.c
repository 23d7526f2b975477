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


static List *
dictionary_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_ts_dictionary, o->oid);
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
			char	   *v = defGetString(d);

			/*
			 * A number or boolean was stored unquoted and stays so (pg_dump
			 * shows the stored text); only plain words go out unquoted.
			 */
			if (!IsA(d->arg, String) && strspn(v, "0123456789.+-eEaflnrstuxinfy") == strlen(v))
				appendStringInfo(&b, ", %s = %s", quote_identifier(d->defname), v);
			else
				appendStringInfo(&b, ", %s = %s", quote_identifier(d->defname),
								 quote_literal_cstr(v));
		}
	appendStringInfoChar(&b, ')');
	return pgc_comment_owner(list_make1(b.data), "TEXT SEARCH DICTIONARY", q,
							 pgc_get(r, 0, "comment"), pgc_get(r, 0, "owner"));
}

static List *
configuration_sql(PgcCatalog *cat, PgcObject *o)
{
	PgcRows    *r = pgc_read_one(cat, &pgc_q_ts_configuration, o->oid);
	PgcRows    *m = pgc_read(cat, &pgc_q_ts_mapping, o->oid);
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
template_or_parser_sql(PgcCatalog *cat, PgcObject *o)
{
	static const char *const tmpl[] = {"INIT", "init", "LEXIZE", "lexize", NULL};
	static const char *const prs[] = {"START", "start", "GETTOKEN", "gettoken", "END", "end",
	"LEXTYPES", "lextypes", "HEADLINE", "headline", NULL};
	bool		is_tmpl = o->kind == 'W';
	const char *word = is_tmpl ? "TEXT SEARCH TEMPLATE" : "TEXT SEARCH PARSER";
	PgcRows    *r = pgc_read_one(cat, is_tmpl ? &pgc_q_ts_template : &pgc_q_ts_parser, o->oid);
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
pgc_tsearch_sql(PgcCatalog *cat, PgcObject *o)
{
	switch (o->kind)
	{
		case 'D':
			return dictionary_sql(cat, o);
		case 'X':
			return configuration_sql(cat, o);
		default:
			return template_or_parser_sql(cat, o);
	}
}
