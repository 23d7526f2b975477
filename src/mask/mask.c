/*
 * mask.c — masking expressions.
 *
 * A mask maps column names to strategies: {"email": "email", "salary":
 * {"type": "random_int", "min": 1, "max": 9}}.  Each strategy becomes a SQL
 * expression over the column, built only from quote_identifier()'d names and
 * quote_literal_cstr()'d values.  Clone-time masking evaluates it on the
 * source inside COPY (SELECT ...) so raw values never reach the target;
 * mask_in_place() and masking policies evaluate it locally.
 */
#include "mask/mask.h"

#include <errno.h>
#include <limits.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

typedef enum MaskKind
{
	MASK_EMAIL,
	MASK_NAME,
	MASK_PHONE,
	MASK_PARTIAL,
	MASK_HASH,
	MASK_NULL,
	MASK_RANDOM_INT,
	MASK_CONSTANT,
	MASK_FAKE					/* fake.c: kindname says which */
} MaskKind;

/* Each strategy, the keys its object form accepts, and whether the string form works */
static const struct
{
	const char *name;
	MaskKind	kind;
	const char *keys;			/* space-separated, besides "type" */
	bool		bare_ok;		/* usable as a plain string */
}			strategies[] =
{
	{"email", MASK_EMAIL, "", true},
	{"name", MASK_NAME, "", true},
	{"phone", MASK_PHONE, "", true},
	{"partial", MASK_PARTIAL, "prefix suffix", false},
	{"hash", MASK_HASH, "salt algorithm", true},
	{"null", MASK_NULL, "", true},
	{"random_int", MASK_RANDOM_INT, "min max", true},
	{"constant", MASK_CONSTANT, "value", false},
	{"fake_first_name", MASK_FAKE, "salt", true},
	{"fake_last_name", MASK_FAKE, "salt", true},
	{"fake_name", MASK_FAKE, "salt", true},
	{"fake_email", MASK_FAKE, "salt", true},
	{"fake_phone", MASK_FAKE, "salt", true},
	{"fake_street_address", MASK_FAKE, "salt", true},
	{"fake_city", MASK_FAKE, "salt", true},
	{"fake_company", MASK_FAKE, "salt", true},
	{"fake_state", MASK_FAKE, "salt", true},
};

#define VALID_STRATEGIES "Valid strategies are: email, name, phone, partial, hash, null, random_int, constant, " \
	"fake_first_name, fake_last_name, fake_name, fake_email, fake_phone, fake_street_address, fake_city, fake_company, fake_state."

/*
 * Keys a foreign-key family's mask carries (strict.c sets them): every
 * column of the family gets the same form, unique and as long as its
 * shortest member, so both ends map a value alike.
 */
#define FAMILY_UNIQUE_KEY	"_pgclone_unique"
#define FAMILY_LENGTH_KEY	"_pgclone_length"

/* random_int given as a plain string */
#define RANDOM_INT_DEFAULT_MIN	0
#define RANDOM_INT_DEFAULT_MAX	100000

typedef struct MaskSpec
{
	MaskKind	kind;
	const char *kindname;
	int64		prefix;
	int64		suffix;
	int64		min;
	int64		max;
	bool		has_range;
	char	   *value;			/* constant */
	char	   *salt;			/* hash, fake_*; NULL = the clone's */
	const char *algorithm;		/* hash: "md5", "sha256", "sha512" */
	bool		family_unique;	/* FAMILY_UNIQUE_KEY */
	int			family_length;	/* FAMILY_LENGTH_KEY; 0 = not given */
} MaskSpec;

static char *
jstr(const JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static void
bad_mask(const char *col, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid mask for column \"%s\": %s", col, msg),
			 hint ? errhint("%s", hint) : 0));
}

static int
find_strategy(const char *col, const char *name)
{
	int			i;

	for (i = 0; i < lengthof(strategies); i++)
		if (strcmp(strategies[i].name, name) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown mask strategy \"%s\" for column \"%s\"", name, col),
			 errhint(VALID_STRATEGIES)));
	return -1;					/* keep compiler quiet */
}

/* A JSON number that is an integer within int64, or ERROR. */
static int64
want_int(const char *col, const char *key, const JsonbValue *v)
{
	char	   *s;
	char	   *end;
	int64		r;
	int			i;

	if (v->type != jbvNumeric)
		bad_mask(col, psprintf("\"%s\" must be an integer", key), NULL);
	s = numeric_normalize(v->val.numeric);
	for (i = (s[0] == '-') ? 1 : 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			bad_mask(col, psprintf("\"%s\" must be an integer, not %s", key, s), NULL);
	errno = 0;
	r = strtoi64(s, &end, 10);
	if (errno == ERANGE || *end != '\0')
		bad_mask(col, psprintf("\"%s\" is out of range: %s", key, s), NULL);
	return r;
}

static char *
want_str(const char *col, const char *key, const JsonbValue *v)
{
	if (v->type != jbvString)
		bad_mask(col, psprintf("\"%s\" must be a string", key), NULL);
	return jstr(v);
}

/* The constant's text: strings as they are, numbers and booleans as JSON writes them */
static char *
want_scalar_text(const char *col, const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return jstr(v);
		case jbvNumeric:
			return numeric_normalize(v->val.numeric);
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNull:
			bad_mask(col, "\"value\" must not be null", "Use the \"null\" strategy to replace values by NULL.");
			break;
		default:
			bad_mask(col, "\"value\" must be a string, number or boolean", NULL);
	}
	return NULL;
}

static bool
key_allowed(const char *keys, const char *key)
{
	const char *p = keys;
	size_t		len = strlen(key);

	while (*p)
	{
		const char *e = strchr(p, ' ');
		size_t		n = e ? (size_t) (e - p) : strlen(p);

		if (n == len && strncmp(p, key, n) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* The parameters of an object-form mask {"type": ..., ...} */
static void
parse_object(const char *col, JsonbContainer *obj, MaskSpec *m)
{
	JsonbValue *tv = getKeyJsonValueFromContainer(obj, "type", 4, NULL);
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	k;
	JsonbValue	v;
	bool		has_min = false,
				has_max = false,
				has_value = false;
	int			si;

	if (JsonContainerIsArray(obj))
		bad_mask(col, "expected a strategy name or an object", NULL);
	if (tv == NULL)
		bad_mask(col, "the object has no \"type\"", VALID_STRATEGIES);
	if (tv->type != jbvString)
		bad_mask(col, "\"type\" must be a string", VALID_STRATEGIES);
	si = find_strategy(col, jstr(tv));
	m->kind = strategies[si].kind;
	m->kindname = strategies[si].name;

	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = jstr(&k);
		tok = JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "type") == 0)
			continue;
		if (strcmp(key, FAMILY_UNIQUE_KEY) == 0)
		{
			m->family_unique = (v.type == jbvBool && v.val.boolean);
			continue;
		}
		if (strcmp(key, FAMILY_LENGTH_KEY) == 0)
		{
			m->family_length = (int) want_int(col, key, &v);
			continue;
		}
		if (!key_allowed(strategies[si].keys, key))
			bad_mask(col, psprintf("unknown key \"%s\" for strategy \"%s\"", key, m->kindname),
					 strategies[si].keys[0] ?
					 psprintf("Strategy \"%s\" accepts: type, %s.", m->kindname, strategies[si].keys) :
					 psprintf("Strategy \"%s\" takes no parameters.", m->kindname));
		if (strcmp(key, "prefix") == 0)
			m->prefix = want_int(col, key, &v);
		else if (strcmp(key, "suffix") == 0)
			m->suffix = want_int(col, key, &v);
		else if (strcmp(key, "min") == 0)
			m->min = want_int(col, key, &v), has_min = true;
		else if (strcmp(key, "max") == 0)
			m->max = want_int(col, key, &v), has_max = true;
		else if (strcmp(key, "value") == 0)
			m->value = want_scalar_text(col, &v), has_value = true;
		else if (strcmp(key, "salt") == 0)
			m->salt = want_str(col, key, &v);
		else if (strcmp(key, "algorithm") == 0)
		{
			char	   *a = want_str(col, key, &v);

			if (strcmp(a, "md5") == 0)
				m->algorithm = "md5";
			else if (strcmp(a, "sha256") == 0)
				m->algorithm = "sha256";
			else if (strcmp(a, "sha512") == 0)
				m->algorithm = "sha512";
			else
				bad_mask(col, psprintf("unknown hash algorithm \"%s\"", a),
						 "Valid algorithms are: md5, sha256, sha512.");
		}
	}

	if (m->prefix < 0 || m->suffix < 0 || m->prefix > 1000 || m->suffix > 1000)
		bad_mask(col, "\"prefix\" and \"suffix\" must be between 0 and 1000", NULL);
	if (m->kind == MASK_RANDOM_INT)
	{
		if (!has_min || !has_max)
			bad_mask(col, "strategy \"random_int\" needs both \"min\" and \"max\"",
					 "Example: {\"type\": \"random_int\", \"min\": 1, \"max\": 100}");
		if (m->min > m->max)
			bad_mask(col, psprintf("\"min\" (" INT64_FORMAT ") is greater than \"max\" (" INT64_FORMAT ")",
								   m->min, m->max), NULL);
		m->has_range = true;
	}
	if (m->kind == MASK_CONSTANT && !has_value)
		bad_mask(col, "strategy \"constant\" needs a \"value\"",
				 "Example: {\"type\": \"constant\", \"value\": \"REDACTED\"}");
}

/* Parse the mask of one column; ERROR if malformed. */
static void
parse_spec(const char *col, const JsonbValue *v, MaskSpec *m)
{
	memset(m, 0, sizeof(*m));
	m->algorithm = "md5";
	if (v->type == jbvString)
	{
		int			si = find_strategy(col, jstr(v));

		if (!strategies[si].bare_ok)
			bad_mask(col, psprintf("strategy \"%s\" needs parameters", strategies[si].name),
					 strategies[si].kind == MASK_PARTIAL ?
					 "Example: {\"type\": \"partial\", \"prefix\": 2, \"suffix\": 3}" :
					 "Example: {\"type\": \"constant\", \"value\": \"REDACTED\"}");
		m->kind = strategies[si].kind;
		m->kindname = strategies[si].name;
	}
	else if (v->type == jbvBinary)
		parse_object(col, v->val.binary.data, m);
	else
		bad_mask(col, "expected a strategy name or an object", VALID_STRATEGIES);
}

/* Integer range of an integer type, by name */
static bool
integer_type_range(const char *type, int64 *lo, int64 *hi)
{
	if (strcmp(type, "smallint") == 0)
		*lo = PG_INT16_MIN, *hi = PG_INT16_MAX;
	else if (strcmp(type, "integer") == 0)
		*lo = PG_INT32_MIN, *hi = PG_INT32_MAX;
	else if (strcmp(type, "bigint") == 0)
		*lo = PG_INT64_MIN, *hi = PG_INT64_MAX;
	else
		return false;
	return true;
}

/*
 * A column type as this server knows it: its base type (a domain counts as
 * what it is over) with that type's typmod.  InvalidOid for a type that does
 * not exist here (yet: a schema clone creates it later); the checks then go
 * by name.
 */
typedef struct LocalType
{
	Oid			base;
	int32		typmod;
	const char *name;			/* the base type's name, or the column's type */
} LocalType;

static LocalType
local_type(const char *type)
{
	LocalType	lt = {InvalidOid, -1, type};
	Type		tup = LookupTypeName(NULL, pgc_type_string_to_typename(type), &lt.typmod, true);

	if (tup == NULL)
		return lt;
	lt.base = getBaseTypeAndTypmod(((Form_pg_type) GETSTRUCT(tup))->oid, &lt.typmod);
	ReleaseSysCache(tup);
	lt.name = format_type_be(lt.base);
	return lt;
}

/*
 * The integers a column can hold: integer types, and numeric(p, s) with room
 * for fewer than 19 integer digits.
 */
static bool
column_int_range(const LocalType *lt, int64 *lo, int64 *hi)
{
	int			digits;

	if (integer_type_range(lt->name, lo, hi))
		return true;
	if (lt->base != NUMERICOID || lt->typmod < (int32) VARHDRSZ)
		return false;
	/* typmod: precision in the high 16 bits, scale (signed, 11 bits) below */
	digits = (((lt->typmod - VARHDRSZ) >> 16) & 0xffff) -
		((((lt->typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024);
	if (digits >= 19)
		return false;
	*hi = 0;
	while (digits-- > 0)
		*hi = *hi * 10 + 9;
	*lo = -*hi;
	return true;
}

/* random_int writes numbers: integer, numeric and float columns take them */
bool
pgc_mask_numeric_column(const char *type)
{
	int64		lo,
				hi;

	return integer_type_range(type, &lo, &hi) ||
		strcmp(type, "numeric") == 0 || strncmp(type, "numeric(", 8) == 0 ||
		strcmp(type, "real") == 0 || strcmp(type, "double precision") == 0;
}

/* Whether the text a strategy produces can be stored in the column */
static bool
text_fits(const MaskSpec *m, Oid base)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(base, &category, &preferred);
	if (category == TYPCATEGORY_STRING)
		return true;
	/* an md5 digest in hex is a valid uuid */
	return m->kind == MASK_HASH && base == UUIDOID && strcmp(m->algorithm, "md5") == 0;
}

/*
 * The length a character column holds (varchar(n), char(n), or a domain over
 * one), -1 if unlimited or not a character type.
 */
int
pgc_mask_column_length(PgcColumn *c)
{
	LocalType	lt = local_type(c->type);
	const char *p;

	if ((lt.base == VARCHAROID || lt.base == BPCHAROID) && lt.typmod >= (int32) VARHDRSZ)
		return lt.typmod - VARHDRSZ;
	/* a type the target does not have yet: by the source's name for it */
	if (!OidIsValid(lt.base) &&
		(strncmp(c->type, "character varying(", 18) == 0 || strncmp(c->type, "character(", 10) == 0) &&
		(p = strchr(c->type, '(')) != NULL)
		return atoi(p + 1);
	return -1;
}

/* Does a unique index (or PRIMARY KEY / UNIQUE constraint) read column c? */
bool
pgc_mask_column_unique(PgcTable *t, PgcColumn *c)
{
	PgcRows    *x = t->indexes;
	int			i,
				j;

	if (c->unique)
		return true;
	for (i = 0; x && i < x->nrows; i++)
	{
		int			n;
		int		   *deps;

		if (!pgc_get_bool(x, i, "indisunique"))
			continue;
		/* key columns, and those its expressions or predicate read */
		deps = pgc_parse_int_array(pgc_get(x, i, "indkey"), &n);
		for (j = 0; j < n; j++)
			if (deps[j] == c->attnum)
				return true;
		deps = pgc_parse_int_array(pgc_get(x, i, "deps"), &n);
		for (j = 0; j < n; j++)
			if (deps[j] == c->attnum)
				return true;
	}
	return false;
}

/*
 * On a column a unique index reads, a mask must keep distinct values
 * distinct.  "hash", "email" and most fake_* strategies do (a keyed hash of
 * the value becomes part of the result); the others cannot.
 */
static void
check_unique(const MaskSpec *m, PgcTable *t, PgcColumn *c, int len)
{
	int			minlen = 0;

	if (m->kind == MASK_HASH || m->kind == MASK_EMAIL)
		return;
	if (m->kind == MASK_FAKE && pgc_fake_unique_ok(m->kindname, &minlen))
	{
		if (len >= 0 && len < minlen)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid mask for column \"%s\" of table %s: a unique %s needs a column of at least %d characters, not %s",
							c->name, pgc_qname(t->nspname, t->relname), m->kindname, minlen, c->type),
					 errdetail("A unique index covers the column; masked values keep 64 bits of a keyed hash to stay distinct."),
					 errhint("Use \"hash\" on this column.")));
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid mask for column \"%s\" of table %s: strategy \"%s\" cannot keep the values of a unique column distinct",
					c->name, pgc_qname(t->nspname, t->relname), m->kindname),
			 errdetail("A primary key, unique constraint or unique index covers the column (or one of its foreign keys points at one)."),
			 errhint("Use \"hash\", \"email\" or a fake_* strategy such as \"fake_email\" or \"fake_name\" on this column.")));
}

/* Checks that need the column: type and nullability */
static void
check_column(const MaskSpec *m, PgcTable *t, PgcColumn *c)
{
	LocalType	lt = local_type(c->type);
	bool		numeric = pgc_mask_numeric_column(lt.name);
	int64		lo,
				hi;

	if (c->generated)
		bad_mask(c->name, "the column is generated",
				 "Mask the columns it is computed from instead.");
	if (m->kind == MASK_NULL && c->notnull)
		bad_mask(c->name, "strategy \"null\" on a NOT NULL column", "Use \"hash\", \"name\" or \"constant\" instead.");
	c->unique = pgc_mask_column_unique(t, c);
	if (c->unique || m->family_unique)
		check_unique(m, t, c, m->family_length > 0 ? m->family_length : pgc_mask_column_length(c));
	if (m->kind == MASK_NULL || m->kind == MASK_CONSTANT)
		return;					/* the constant is checked by the cast */
	if (m->kind == MASK_RANDOM_INT)
	{
		if (!numeric)
			bad_mask(c->name, psprintf("strategy \"random_int\" needs a numeric column, not %s", c->type),
					 "Use it on smallint, integer, bigint, numeric, real or double precision columns (or domains over them).");
		if (m->has_range && column_int_range(&lt, &lo, &hi) && (m->min < lo || m->max > hi))
			bad_mask(c->name, psprintf("range [" INT64_FORMAT ", " INT64_FORMAT "] does not fit type %s",
									   m->min, m->max, c->type), NULL);
		return;
	}
	/* text results: say so before anything is created if the type cannot take them */
	if (numeric)
		bad_mask(c->name, psprintf("strategy \"%s\" produces text, which type %s cannot hold",
								   m->kindname, c->type),
				 "Use \"random_int\", \"constant\" or \"null\" on numeric columns.");
	if (OidIsValid(lt.base) && !text_fits(m, lt.base))
		bad_mask(c->name, psprintf("strategy \"%s\" produces text, which type %s cannot hold",
								   m->kindname, c->type),
				 m->kind == MASK_HASH && lt.base == UUIDOID ?
				 "An md5 digest fits a uuid column; sha256 and sha512 do not." :
				 "Text strategies need a text-like column; use \"constant\" or \"null\" here.");

}

static PgcColumn *
find_col(PgcTable *t, const char *name)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

void
pgc_mask_validate(Jsonb *mask, PgcTable *t)
{
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	k;
	JsonbValue	v;

	if (!JB_ROOT_IS_OBJECT(mask) || JB_ROOT_IS_SCALAR(mask))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mask must be a JSON object mapping column names to strategies")));
	it = JsonbIteratorInit(&mask->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *col;
		PgcColumn  *c;
		MaskSpec	m;

		if (tok != WJB_KEY)
			continue;
		col = jstr(&k);
		(void) JsonbIteratorNext(&it, &v, true);
		parse_spec(col, &v, &m);
		c = find_col(t, col);
		if (c == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("mask names column \"%s\", which does not exist in table %s",
							col, pgc_qname(t->nspname, t->relname))));
		if (!c->selected)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("mask names column \"%s\", which is not among the cloned \"columns\"",
							col),
					 errhint("Add it to \"columns\" or remove its mask.")));
		check_column(&m, t, c);
	}
}

/*
 * Text strategies read the value as text, whatever the column type.  They
 * run once per row on the source and can make it the slow end of the
 * stream, so each is written with few calls and no regex; they rely on the
 * functions being strict to keep NULL rather than testing for it.
 * srcver is the server version that evaluates the expression.
 */
static char *
masked_expr(const MaskSpec *m, PgcColumn *c, int srcver, const char *salt,
			bool unique, int len)
{
	const char *q = quote_identifier(c->name);
	char	   *v = psprintf("%s::pg_catalog.text", q);
	char	   *dom;
	int64		lo,
				hi;

	switch (m->kind)
	{
		case MASK_EMAIL:
			/*
			 * a***@domain; the domain follows the last '@' (a quoted local
			 * part may hold one); no '@' -> '***'.  split_part takes a
			 * negative field number from 14 on.
			 */
			dom = srcver >= 140000 ?
				psprintf("pg_catalog.split_part(%s, '@', -1)", v) :
				psprintf("pg_catalog.reverse(pg_catalog.split_part(pg_catalog.reverse(%s), '@', 1))", v);
			if (unique)
			{
				/*
				 * distinct: 64 bits of a keyed hash before the domain, or as
				 * many as a shorter column holds (a collision is then an
				 * error before commit, strict.c)
				 */
				char	   *h = pgc_keyed_hash(salt, v);

				return len < 0 ?
					psprintf("CASE pg_catalog.strpos(%s, '@') WHEN 0 THEN pg_catalog.left(%s, 16)"
							 " ELSE pg_catalog.left(%s, 16) || '@' || %s END", v, h, h, dom) :
					psprintf("CASE pg_catalog.strpos(%s, '@') WHEN 0 THEN pg_catalog.left(%s, %d)"
							 " ELSE pg_catalog.left(%s, LEAST(16, %d - 1 - pg_catalog.length(%s))) || '@' || %s END",
							 v, h, Min(len, 16), h, len, dom, dom);
			}
			return psprintf("CASE pg_catalog.strpos(%s, '@') WHEN 0 THEN '***'"
							" WHEN 1 THEN '***@' || %s"
							" ELSE pg_catalog.left(%s, 1) || '***@' || %s END",
							v, dom, v, dom);
		case MASK_NAME:
			return psprintf("CASE WHEN %s IS NULL THEN NULL ELSE 'XXXX' END", q);
		case MASK_PHONE:
			{
				/*
				 * The last 4 digits; "***-****" when there are no more than 4.
				 * The common case (8+ bytes ending in 4 digits) needs no
				 * digit extraction.  Its test strips trailing digit bytes
				 * with the byte-wise rtrim(bytea) of 14+ (SQL_ASCII: no
				 * conversion, same bytes), cheaper than the character-wise
				 * translate() older servers get; regexes cost more than both.
				 */
				char	   *tail4 = srcver >= 140000 ?
					psprintf("pg_catalog.octet_length(%s) - pg_catalog.octet_length(pg_catalog.rtrim("
							 "pg_catalog.convert_to(%s, 'SQL_ASCII'), '0123456789'::pg_catalog.bytea)) >= 4",
							 v, v) :
					psprintf("pg_catalog.translate(pg_catalog.right(%s, 4), '0123456789', '') = ''", v);

				return psprintf("CASE WHEN pg_catalog.octet_length(%s) >= 8 AND %s"
								" THEN '***-' || pg_catalog.right(%s, 4)"
								" WHEN pg_catalog.length(%s) - pg_catalog.length(pg_catalog.translate(%s, '0123456789', '')) <= 4"
								" THEN '***-****'"
								" ELSE '***-' || pg_catalog.right(pg_catalog.translate(%s, pg_catalog.translate(%s, '0123456789', ''), ''), 4)"
								" END", v, tail4, v, v, v, v, v);
			}
		case MASK_PARTIAL:
			/* a value no longer than prefix+suffix would be shown whole: hide it */
			return psprintf("CASE WHEN pg_catalog.length(%s) <= " INT64_FORMAT " THEN '***'"
							" ELSE pg_catalog.left(%s, " INT64_FORMAT ") || '***' || pg_catalog.right(%s, " INT64_FORMAT ")"
							" END",
							v, m->prefix + m->suffix, v, m->prefix, v, m->suffix);
		case MASK_HASH:
			{
				const char *key = m->salt ? m->salt : salt;
				char	   *in = key && key[0] ?
					psprintf("(%s || %s)", quote_literal_cstr(key), v) : v;

				if (strcmp(m->algorithm, "md5") == 0)
					return psprintf("pg_catalog.md5(%s)", in);
				return psprintf("pg_catalog.encode(pg_catalog.%s(pg_catalog.convert_to(%s, 'UTF8')), 'hex')",
								m->algorithm, in);
			}
		case MASK_NULL:
			return pstrdup("NULL");
		case MASK_RANDOM_INT:
			{
				int64		mn = m->min,
							mx = m->max;

				if (!m->has_range)
				{
					LocalType	lt = local_type(c->type);

					mn = RANDOM_INT_DEFAULT_MIN;
					mx = RANDOM_INT_DEFAULT_MAX;
					if (column_int_range(&lt, &lo, &hi) && mx > hi)
						mx = hi;
				}
				/* float8 is exact below 2^53 and fast; numeric beyond; random() < 1 keeps it <= max */
				if (mn > -(INT64CONST(1) << 51) && mx < (INT64CONST(1) << 51))
					return psprintf("(" INT64_FORMAT "::pg_catalog.float8 + pg_catalog.floor(pg_catalog.random() * "
									INT64_FORMAT "::pg_catalog.float8))", mn, mx - mn + 1);
				return psprintf("(" INT64_FORMAT "::pg_catalog.numeric + pg_catalog.floor(pg_catalog.random()::pg_catalog.numeric"
								" * (" INT64_FORMAT "::pg_catalog.numeric - " INT64_FORMAT "::pg_catalog.numeric + 1)))",
								mn, mx, mn);
			}
		case MASK_CONSTANT:
			return quote_literal_cstr(m->value);
		case MASK_FAKE:
			return pgc_fake_expr(m->kindname, v, m->salt ? m->salt : salt, unique, len);
	}
	return NULL;
}

char *
pgc_mask_expr(Jsonb *mask, PgcTable *t, PgcColumn *c, int srcver, const char *salt)
{
	JsonbValue *v;
	MaskSpec	m;
	bool		unique;
	int			len;

	if (mask == NULL || !JB_ROOT_IS_OBJECT(mask) || JB_ROOT_IS_SCALAR(mask))
		return NULL;
	v = getKeyJsonValueFromContainer(&mask->root, c->name, strlen(c->name), NULL);
	if (v == NULL)
		return NULL;
	parse_spec(c->name, v, &m);
	unique = m.family_unique || pgc_mask_column_unique(t, c);
	len = m.family_length > 0 ? m.family_length : pgc_mask_column_length(c);
	if (unique && (m.kind == MASK_HASH || m.kind == MASK_EMAIL || m.kind == MASK_FAKE))
		pgc_mask_note_unique(t, c->name);
	return masked_expr(&m, c, srcver, salt, unique, len);
}

Jsonb *
pgc_mask_for_table(Jsonb *mask, const char *nspname, const char *relname)
{
	JsonbValue *v;
	char	   *qualified = psprintf("%s.%s", nspname, relname);

	if (mask == NULL || !JB_ROOT_IS_OBJECT(mask) || JB_ROOT_IS_SCALAR(mask))
		return NULL;
	/* "schema.table" first: it tells apart same-named tables of a database */
	v = getKeyJsonValueFromContainer(&mask->root, qualified, strlen(qualified), NULL);
	if (v == NULL)
		v = getKeyJsonValueFromContainer(&mask->root, relname, strlen(relname), NULL);
	else
		relname = qualified;
	if (v == NULL)
		return NULL;
	if (v->type != jbvBinary || JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mask for table \"%s\" must be an object mapping column names to strategies",
						relname),
				 errhint("Schema and database clones name masks per table: {\"employees\": {\"email\": \"email\"}}.")));
	return JsonbValueToJsonb(v);
}

Jsonb *
pgc_mask_parse_text(const char *json, const char *argname)
{
	Jsonb	   *j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));

	if (!JB_ROOT_IS_OBJECT(j) || JB_ROOT_IS_SCALAR(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must be a JSON object mapping column names to strategies",
						argname)));
	return j;
}

int
pgc_mask_ncolumns(Jsonb *mask)
{
	return JB_ROOT_COUNT(mask);
}

char *
pgc_mask_strategy_of(const JsonbValue *v)
{
	JsonbValue *tv;

	if (v->type == jbvString)
		return jstr(v);
	if (v->type != jbvBinary)
		return pstrdup("");
	tv = getKeyJsonValueFromContainer(v->val.binary.data, "type", 4, NULL);
	return tv && tv->type == jbvString ? jstr(tv) : pstrdup("");
}
