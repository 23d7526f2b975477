/*
 * discover.c — finding sensitive columns: the name patterns (one table shared
 * by discover_sensitive and masking_report), pgclone.discover_sensitive()
 * (remote, read-only) and pgclone.masking_report() (local).
 */
#include "mask/mask.h"
#include "remote/remote.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(pgclone_discover_sensitive);
PG_FUNCTION_INFO_V1(pgclone_masking_report);

/* Categories, with the strategy suggested for a text column */
static const PgcSensitive cat_email = {"Email", "fake_email"};
static const PgcSensitive cat_name = {"PII - Name", "fake_name"};
static const PgcSensitive cat_phone = {"Phone", "fake_phone"};
static const PgcSensitive cat_natid = {"National ID", "null"};
static const PgcSensitive cat_fin = {"Financial", "random_int"};
static const PgcSensitive cat_cred = {"Credential", "hash"};
static const PgcSensitive cat_addr = {"Address", "fake_street_address"};
static const PgcSensitive cat_dob = {"Date of Birth", "null"};
static const PgcSensitive cat_card = {"Credit Card", "partial"};
static const PgcSensitive cat_ip = {"IP Address", "hash"};

/*
 * Name patterns, first match wins (so "email_address" is an Email and
 * "ip_address" an IP Address, not an Address).  WORD patterns must be a whole
 * word of the name (delimited by non-alphanumerics): "ip" matches "client_ip"
 * but not "zipcode".  SUB patterns match anywhere.
 */
typedef enum
{
	SUB,
	WORD
} MatchMode;

static const struct
{
	const char *pattern;
	MatchMode	mode;
	const PgcSensitive *cat;
}			patterns[] =
{
	{"credit_card", SUB, &cat_card},
	{"creditcard", SUB, &cat_card},
	{"card_number", SUB, &cat_card},
	{"cardnumber", SUB, &cat_card},
	{"cc_number", SUB, &cat_card},
	{"cvv", WORD, &cat_card},
	{"ip_address", SUB, &cat_ip},
	{"ipaddress", SUB, &cat_ip},
	{"ip_addr", SUB, &cat_ip},
	{"ip", WORD, &cat_ip},
	{"email", SUB, &cat_email},
	{"e_mail", SUB, &cat_email},
	{"mail", WORD, &cat_email},
	{"first_name", SUB, &cat_name},
	{"firstname", SUB, &cat_name},
	{"last_name", SUB, &cat_name},
	{"lastname", SUB, &cat_name},
	{"full_name", SUB, &cat_name},
	{"fullname", SUB, &cat_name},
	{"middle_name", SUB, &cat_name},
	{"maiden_name", SUB, &cat_name},
	{"given_name", SUB, &cat_name},
	{"family_name", SUB, &cat_name},
	{"surname", SUB, &cat_name},
	{"fname", WORD, &cat_name},
	{"lname", WORD, &cat_name},
	{"phone", SUB, &cat_phone},
	{"mobile", SUB, &cat_phone},
	{"cell", WORD, &cat_phone},
	{"fax", WORD, &cat_phone},
	{"ssn", WORD, &cat_natid},
	{"social_security", SUB, &cat_natid},
	{"national_id", SUB, &cat_natid},
	{"passport", SUB, &cat_natid},
	{"tax_id", SUB, &cat_natid},
	{"salary", SUB, &cat_fin},
	{"income", SUB, &cat_fin},
	{"wage", SUB, &cat_fin},
	{"compensation", SUB, &cat_fin},
	{"iban", WORD, &cat_fin},
	{"bank_account", SUB, &cat_fin},
	{"password", SUB, &cat_cred},
	{"passwd", SUB, &cat_cred},
	{"pwd", WORD, &cat_cred},
	{"secret", SUB, &cat_cred},
	{"token", SUB, &cat_cred},
	{"api_key", SUB, &cat_cred},
	{"apikey", SUB, &cat_cred},
	{"private_key", SUB, &cat_cred},
	{"date_of_birth", SUB, &cat_dob},
	{"birth_date", SUB, &cat_dob},
	{"birthdate", SUB, &cat_dob},
	{"birthday", SUB, &cat_dob},
	{"dob", WORD, &cat_dob},
	{"address", SUB, &cat_addr},
	{"street", SUB, &cat_addr},
	{"postal_code", SUB, &cat_addr},
	{"postcode", SUB, &cat_addr},
	{"zip", WORD, &cat_addr},
	{"zipcode", WORD, &cat_addr},
};

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
match_word(const char *name, const char *w)
{
	size_t		len = strlen(w);
	const char *p = name;

	while ((p = strstr(p, w)) != NULL)
	{
		if ((p == name || !is_alnum(p[-1])) && !is_alnum(p[len]))
			return true;
		p++;
	}
	return false;
}

const PgcSensitive *
pgc_sensitive_match(const char *colname)
{
	char	   *lower = pstrdup(colname);
	char	   *p;
	int			i;

	for (p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	for (i = 0; i < lengthof(patterns); i++)
	{
		bool		hit = patterns[i].mode == SUB ?
			strstr(lower, patterns[i].pattern) != NULL :
			match_word(lower, patterns[i].pattern);

		if (hit)
			return patterns[i].cat;
	}
	return NULL;
}

/* A value no strategy but "constant" fits: a NOT NULL date or network column */
static char *
constant_for(char typcategory)
{
	if (typcategory == TYPCATEGORY_DATETIME)
		return pstrdup("{\"type\": \"constant\", \"value\": \"1900-01-01\"}");
	if (typcategory == TYPCATEGORY_NETWORK)
		return pstrdup("{\"type\": \"constant\", \"value\": \"0.0.0.0\"}");
	return NULL;
}

char *
pgc_sensitive_suggestion(const PgcSensitive *s, const char *type,
						 char typcategory, bool notnull, bool unique)
{
	const char *st = s->strategy;
	bool		text = (typcategory == TYPCATEGORY_STRING);
	bool		number = pgc_mask_numeric_column(type);
	char	   *c;

	/* a uniqueness-preserving mask keeps UNIQUE/PRIMARY KEY indexes buildable */
	if (unique && text)
		return pstrdup("\"hash\"");
	if (strcmp(st, "random_int") == 0 && !number)
		st = text ? "fake_name" : "null";
	else if (strcmp(st, "random_int") != 0 && strcmp(st, "null") != 0 && !text)
		st = number ? "random_int" : "null";
	if (strcmp(st, "null") == 0 && notnull)
	{
		if (text)
			st = "hash";
		else if (number)
			st = "random_int";
		else if ((c = constant_for(typcategory)) != NULL)
			return c;
	}
	if (strcmp(st, "partial") == 0)
		return pstrdup("{\"type\": \"partial\", \"prefix\": 0, \"suffix\": 4}");
	return psprintf("\"%s\"", st);
}

const char *
pgc_suggestion_strategy(const char *suggestion)
{
	static const char *const names[] = {"email", "name", "phone", "partial", "hash",
		"null", "random_int", "constant", "fake_first_name", "fake_last_name", "fake_name",
		"fake_email", "fake_phone", "fake_street_address", "fake_city", "fake_company",
	"fake_state"};
	int			i;

	for (i = 0; i < lengthof(names); i++)
	{
		char	   *bare = psprintf("\"%s\"", names[i]);
		char	   *typed = psprintf("\"type\": \"%s\"", names[i]);

		if (strcmp(suggestion, bare) == 0 || strstr(suggestion, typed) != NULL)
			return names[i];
	}
	return suggestion;
}

/* ---------- pgclone.discover_sensitive(conninfo, schema [, options]) ---------- */

#define COLUMNS_SQL \
	"SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type," \
	" t.typcategory, a.attnotnull," \
	" EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisunique" \
	"   AND i.indnatts = 1 AND a.attnum = i.indkey[0]) AS uniq," \
	" pg_catalog.has_table_privilege(c.oid, 'SELECT') AS readable, %s AS generated" \
	" FROM pg_catalog.pg_class c" \
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace" \
	" JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid" \
	" JOIN pg_catalog.pg_type t ON t.oid = a.atttypid" \
	" WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped" \
	" ORDER BY c.relname COLLATE \"C\", a.attname COLLATE \"C\""

/* Value shapes recognised by sampling, checked on text columns the names missed */
static const struct
{
	const char *regex;
	const PgcSensitive *cat;
}			shapes[] =
{
	{"^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", &cat_email},
	{"^[0-9]{3}-[0-9]{2}-[0-9]{4}$", &cat_natid},
	{"^[0-9]{4}([ -]?[0-9]{4}){3}$", &cat_card},
	{"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$", &cat_ip},
};

#define SAMPLE_ROWS 1000
/* share of the sampled non-NULL values that must have the shape */
#define SAMPLE_SHARE 0.8

typedef struct DiscCol
{
	char	   *rel;
	char	   *col;
	const PgcSensitive *cat;	/* NULL = not (yet) sensitive */
	char	   *suggestion;
} DiscCol;

static bool
parse_discover_options(const char *json)
{
	Jsonb	   *j;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	k,
				v;
	bool		sample = false;

	if (json == NULL || json[0] == '\0')
		return false;
	j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(j) || JB_ROOT_IS_SCALAR(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discover_sensitive options must be a JSON object")));
	it = JsonbIteratorInit(&j->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "sample") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown discover_sensitive option \"%s\"", key),
					 errhint("Valid options are: sample.")));
		if (v.type != jbvBool)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"sample\" must be a boolean")));
		sample = v.val.boolean;
	}
	return sample;
}

/*
 * Sample one table's unmatched text columns (cols[from..to)): one query, the
 * first SAMPLE_ROWS rows, counting the values of each shape.
 */
static void
sample_table(PGconn *conn, const char *nsp, DiscCol *cols, PgcRows *r, int from, int to)
{
	StringInfoData q;
	StringInfoData inner;
	int			i,
				s,
				n = 0;
	PgcRows    *res;

	initStringInfo(&q);
	initStringInfo(&inner);
	appendStringInfoString(&q, "SELECT ");
	for (i = from; i < to; i++)
	{
		const char *qc;

		if (cols[i].cat || pgc_get(r, i, "typcategory")[0] != TYPCATEGORY_STRING ||
			strcmp(pgc_get(r, i, "generated"), "t") == 0)
			continue;
		qc = quote_identifier(cols[i].col);
		appendStringInfo(&inner, "%s%s::pg_catalog.text AS c%d", n ? ", " : "", qc, i);
		appendStringInfo(&q, "%spg_catalog.count(c%d)", n ? ", " : "", i);
		for (s = 0; s < lengthof(shapes); s++)
			appendStringInfo(&q, ", pg_catalog.count(*) FILTER (WHERE c%d OPERATOR(pg_catalog.~) %s)",
							 i, quote_literal_cstr(shapes[s].regex));
		n++;
	}
	if (n == 0)
		return;
	appendStringInfo(&q, " FROM (SELECT %s FROM %s LIMIT %d) AS pgc_sample",
					 inner.data, pgc_qname(nsp, cols[from].rel), SAMPLE_ROWS);
	res = pgc_query(conn, q.data);
	n = 0;
	for (i = from; i < to; i++)
	{
		double		nonnull;

		if (cols[i].cat || pgc_get(r, i, "typcategory")[0] != TYPCATEGORY_STRING ||
			strcmp(pgc_get(r, i, "generated"), "t") == 0)
			continue;
		nonnull = atof(pgc_val(res, 0, n));
		for (s = 0; s < lengthof(shapes) && nonnull > 0; s++)
			if (atof(pgc_val(res, 0, n + 1 + s)) >= nonnull * SAMPLE_SHARE)
			{
				cols[i].cat = shapes[s].cat;
				break;
			}
		n += 1 + lengthof(shapes);
	}
}

static char *
discover_json(DiscCol *cols, int ncols)
{
	StringInfoData out;
	int			i;
	const char *cur = NULL;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	for (i = 0; i < ncols; i++)
	{
		if (cols[i].cat == NULL)
			continue;
		if (cur == NULL || strcmp(cur, cols[i].rel) != 0)
		{
			if (cur)
				appendStringInfoString(&out, "}, ");
			escape_json(&out, cols[i].rel);
			appendStringInfoString(&out, ": {");
			cur = cols[i].rel;
		}
		else
			appendStringInfoString(&out, ", ");
		escape_json(&out, cols[i].col);
		appendStringInfo(&out, ": %s", cols[i].suggestion);
	}
	if (cur)
		appendStringInfoChar(&out, '}');
	appendStringInfoChar(&out, '}');
	return out.data;
}

Datum
pgclone_discover_sensitive(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	char	   *conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	char	   *schema = pgc_text_arg(fcinfo, 1, "schema_name");
	bool		sample = parse_discover_options(PG_NARGS() > 2 && !PG_ARGISNULL(2) ?
											   text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL);
	PGconn	   *conn = pgc_connect(conninfo);
	const char *params[1] = {schema};
	PgcRows    *r;
	DiscCol    *cols;
	int			i,
				start;

	pgc_begin_source_xact(conn, true, NULL);
	r = pgc_query_params(conn, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
						 1, params);
	if (r->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist on the source", schema)));
	r = pgc_query_params(conn,
						 psprintf(COLUMNS_SQL,
								  pgc_server_version(conn) >= 120000 ?
								  "a.attgenerated <> ''" : "false"),
						 1, params);
	cols = palloc0(sizeof(DiscCol) * Max(r->nrows, 1));
	for (i = 0; i < r->nrows; i++)
	{
		cols[i].rel = pgc_get(r, i, "relname");
		cols[i].col = pgc_get(r, i, "attname");
		/* a generated column is computed on the target: nothing to mask */
		if (strcmp(pgc_get(r, i, "generated"), "t") != 0)
			cols[i].cat = pgc_sensitive_match(cols[i].col);
	}
	for (start = 0; sample && start < r->nrows; start = i)
	{
		for (i = start; i < r->nrows && strcmp(cols[i].rel, cols[start].rel) == 0; i++)
			;
		if (pgc_get_bool(r, start, "readable"))
			sample_table(conn, schema, cols, r, start, i);
	}
	for (i = 0; i < r->nrows; i++)
		if (cols[i].cat)
			cols[i].suggestion =
				pgc_sensitive_suggestion(cols[i].cat, pgc_get(r, i, "type"),
										 pgc_get(r, i, "typcategory")[0],
										 pgc_get_bool(r, i, "attnotnull"),
										 pgc_get_bool(r, i, "uniq"));
	pgc_disconnect(conn);
	PG_RETURN_TEXT_P(cstring_to_text(discover_json(cols, r->nrows)));
}

/* ---------- pgclone.masking_report(schema) ---------- */

#define REPORT_SQL \
	"SELECT c.relname::pg_catalog.text, a.attname::pg_catalog.text," \
	" pg_catalog.format_type(a.atttypid, a.atttypmod), t.typcategory::pg_catalog.text," \
	" a.attnotnull," \
	" EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisunique" \
	"   AND i.indnatts = 1 AND a.attnum = i.indkey[0])," \
	" v.relname::pg_catalog.text," \
	" p.mask IS NULL OR p.mask OPERATOR(pg_catalog.?) a.attname::pg_catalog.text" \
	" FROM pg_catalog.pg_class c" \
	" JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid" \
	" JOIN pg_catalog.pg_type t ON t.oid = a.atttypid" \
	" LEFT JOIN pg_catalog.pg_class v ON v.relnamespace = c.relnamespace AND v.relkind = 'v'" \
	"   AND v.relname OPERATOR(pg_catalog.=) (c.relname::pg_catalog.text || '_masked')::pg_catalog.name" \
	" LEFT JOIN pgclone.masking_policies p ON p.relid = c.oid" \
	" WHERE c.relnamespace = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0" \
	"   AND NOT a.attisdropped AND a.attgenerated = ''" \
	" ORDER BY c.relname COLLATE \"C\", a.attnum"

static void
report_row(ReturnSetInfo *rsinfo, const char *schema, HeapTuple tup, TupleDesc td)
{
	char	   *rel = SPI_getvalue(tup, td, 1);
	char	   *col = SPI_getvalue(tup, td, 2);
	const PgcSensitive *s = pgc_sensitive_match(col);
	char	   *view;
	bool		in_policy;
	bool		isnull;
	Datum		values[6];
	bool		nulls[6] = {0};
	char	   *sugg;
	const char *status;
	char	   *rec;

	if (s == NULL)
		return;
	sugg = pgc_sensitive_suggestion(s, SPI_getvalue(tup, td, 3),
									SPI_getvalue(tup, td, 4)[0],
									DatumGetBool(SPI_getbinval(tup, td, 5, &isnull)),
									DatumGetBool(SPI_getbinval(tup, td, 6, &isnull)));
	view = SPI_getvalue(tup, td, 7);
	in_policy = DatumGetBool(SPI_getbinval(tup, td, 8, &isnull));
	if (view && in_policy)
	{
		status = "MASKED (view)";
		rec = psprintf("OK - masked via %s view", view);
	}
	else if (view)
	{
		status = "UNMASKED";
		rec = psprintf("Not masked in %s view: apply mask strategy: %s",
					   view, pgc_suggestion_strategy(sugg));
	}
	else
	{
		status = "UNMASKED";
		rec = psprintf("Apply mask strategy: %s", pgc_suggestion_strategy(sugg));
	}
	values[0] = CStringGetTextDatum(schema);
	values[1] = CStringGetTextDatum(rel);
	values[2] = CStringGetTextDatum(col);
	values[3] = CStringGetTextDatum(s->category);
	values[4] = CStringGetTextDatum(status);
	values[5] = CStringGetTextDatum(rec);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
pgclone_masking_report(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	int			spi;
	char	   *schema = pgc_text_arg(fcinfo, 0, "schema_name");
	Oid			nsp = get_namespace_oid(schema, false);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(nsp)};
	uint64		i;

	InitMaterializedSRF(fcinfo, 0);
	spi = pgc_spi_connect();
	if (SPI_execute_with_args(REPORT_SQL, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not read the catalog of schema \"%s\"", schema);
	for (i = 0; i < SPI_processed; i++)
		report_row(rsinfo, schema, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
	pgc_spi_finish(spi);
	PG_RETURN_VOID();
}
