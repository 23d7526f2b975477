/*
 * fake.c — the fake_* masks: realistic values picked from dictionaries by a
 * keyed hash of the input, so the same input and salt give the same output
 * in every table, run and clone kind (joins on masked values still match).
 *
 * The dictionaries come from fake_dict.h, written at build time by
 * scripts/gen-fake-dict.py from the ruby-faker and python3-fake-factory
 * packages (Expat licence; see debian/copyright).  Each goes into the
 * source's COPY query as a name[] literal: name is a fixed-width type, so a
 * subscript is an offset, not a walk over the array, and nothing needs to
 * be installed on the source (md5() and arrays exist in every version).
 */
#include "mask/mask.h"

#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/memutils.h"

#include "fake_dict.h"

typedef struct FakeDict
{
	const char *const *words;
	int			n;
	bool		lower;			/* the words in lower case (e-mail addresses) */
	char	   *literal;		/* '{...}'::pg_catalog.name[], made once */
} FakeDict;

#define DICT(w) {w, lengthof(w), false, NULL}
static FakeDict d_first = DICT(fake_first_name);
static FakeDict d_last = DICT(fake_last_name);
static FakeDict d_street = DICT(fake_street_suffix);
static FakeDict d_city = DICT(fake_city_suffix);
static FakeDict d_company = DICT(fake_company_suffix);
static FakeDict d_state = DICT(fake_state_abbr);
static FakeDict d_first_lower = {fake_first_name, lengthof(fake_first_name), true, NULL};
static FakeDict d_last_lower = {fake_last_name, lengthof(fake_last_name), true, NULL};

/* the fake strategies, by name; "unique_ok": can be kept distinct */
static const struct
{
	const char *name;
	bool		unique_ok;
	int			minlen;			/* shortest column a unique form fits */
}			fakes[] =
{
	{"fake_first_name", true, 18},
	{"fake_last_name", true, 18},
	{"fake_name", true, 18},
	{"fake_email", true, 31},
	{"fake_phone", false, 0},
	{"fake_street_address", true, 18},
	{"fake_city", true, 18},
	{"fake_company", true, 18},
	{"fake_state", false, 0},
};

bool
pgc_fake_unique_ok(const char *name, int *minlen)
{
	int			i;

	for (i = 0; i < lengthof(fakes); i++)
		if (strcmp(fakes[i].name, name) == 0)
		{
			*minlen = fakes[i].minlen;
			return fakes[i].unique_ok;
		}
	return false;
}

static const char *
dict_literal(FakeDict *d)
{
	if (d->literal == NULL)
	{
		StringInfoData b;
		int			i;

		initStringInfo(&b);
		appendStringInfoChar(&b, '{');
		for (i = 0; i < d->n; i++)
		{
			const char *w = d->lower ? asc_tolower(d->words[i], strlen(d->words[i])) : d->words[i];

			appendStringInfo(&b, "%s\"%s\"", i ? "," : "", w);
		}
		appendStringInfoChar(&b, '}');
		d->literal = MemoryContextStrdup(TopMemoryContext,
										 psprintf("%s::pg_catalog.name[]",
												  quote_literal_cstr(b.data)));
	}
	return d->literal;
}

/*
 * The keyed hash of the input: md5 over a salt and the value, as 32 hex
 * digits.  The "pgclone" prefix keeps it apart from a plain md5 of the value.
 * What keeps a unique column's values distinct (64 bits of it).
 */
char *
pgc_keyed_hash(const char *salt, const char *v)
{
	return psprintf("pg_catalog.md5(%s || %s)",
					quote_literal_cstr(psprintf("pgclone:%s:", salt ? salt : "")), v);
}

/*
 * The hash that picks words: hashtextextended() (every source from 11 on)
 * over the value's bytes (collation "C": never a locale's sort key), with a
 * 64-bit seed made from the salt.  One int8 per row and dictionary, an
 * order of magnitude cheaper than md5 and text parsing; the seed is fixed
 * here, so the same value and salt pick the same words on every source.
 */
static char *
pick_hash(const char *salt, const char *v)
{
	const char *key = psprintf("pgclone:%s", salt ? salt : "");
	uint64		seed = hash_bytes_extended((const unsigned char *) key, strlen(key), 0);

	return psprintf("pg_catalog.hashtextextended(%s COLLATE pg_catalog.\"C\", " INT64_FORMAT ")",
					v, (int64) seed);
}

/* part 0 and 1: 28 bits each of the hash; part 2: 8 bits; modulo n, from 1 */
static char *
pick(const char *h, int part, int n)
{
	static const char *const bits[] = {
		"(%s & 268435455::pg_catalog.int8)",
		"((%s >> 28) & 268435455::pg_catalog.int8)",
		"((%s >> 56) & 255::pg_catalog.int8)",
	};

	return psprintf("(%s %% %d + 1)::pg_catalog.int4", psprintf(bits[part], h), n);
}

static char *
word(FakeDict *d, const char *h, int part)
{
	return psprintf("(%s)[%s]::pg_catalog.text", dict_literal(d), pick(h, part, d->n));
}

/* 64 bits of the keyed md5: the part that keeps a unique form distinct */
static char *
tag(const char *salt, const char *v)
{
	return psprintf("pg_catalog.substr(%s, 17, 16)", pgc_keyed_hash(salt, v));
}

/* 555-0100 .. 555-0199, as a dictionary: no number formatting per row */
static FakeDict *
phone_dict(void)
{
	static const char *words[100];
	static FakeDict d = {words, 100, false, NULL};

	if (words[0] == NULL)
		for (int i = 0; i < 100; i++)
			words[i] = MemoryContextStrdup(TopMemoryContext, psprintf("555-01%02d", i));
	return &d;
}

/*
 * The expression for fake strategy "name" over text expression v.  unique:
 * append 64 bits of the hash so distinct inputs stay distinct; maxlen (-1:
 * none) is the column's length, kept to by shortening the words, never the
 * hash or an e-mail's domain.
 */
char *
pgc_fake_expr(const char *name, const char *v, const char *salt, bool unique, int maxlen)
{
	char	   *h = pick_hash(salt, v);
	char	   *e;

	if (strcmp(name, "fake_email") == 0)
	{
		/* RFC 2606 names: no real mailbox can receive what a test sends */
		char	   *local = psprintf("%s || '.' || %s",
									 word(&d_first_lower, h, 0), word(&d_last_lower, h, 1));
		char	   *domain = psprintf("'@example.' || ('{com,net,org}'::pg_catalog.text[])[%s]",
									  pick(h, 2, 3));
		int			room = maxlen < 0 ? -1 : maxlen - 12 - (unique ? 17 : 0);

		if (room > 0)
			local = psprintf("pg_catalog.left(%s, %d)", local, room);
		if (unique)
			local = psprintf("%s || '.' || %s", local, tag(salt, v));
		return psprintf("(%s || %s)", local, domain);
	}
	if (strcmp(name, "fake_phone") == 0)
		/* the range reserved for fiction */
		return word(phone_dict(), h, 0);
	if (strcmp(name, "fake_state") == 0)
		return word(&d_state, h, 0);

	if (strcmp(name, "fake_first_name") == 0)
		e = word(&d_first, h, 0);
	else if (strcmp(name, "fake_last_name") == 0)
		e = word(&d_last, h, 0);
	else if (strcmp(name, "fake_name") == 0)
		e = psprintf("%s || ' ' || %s", word(&d_first, h, 0), word(&d_last, h, 1));
	else if (strcmp(name, "fake_street_address") == 0)
		e = psprintf("(%s + 99)::pg_catalog.text || ' ' || %s || ' ' || %s",
					 pick(h, 0, 9900), word(&d_last, h, 1), word(&d_street, h, 2));
	else if (strcmp(name, "fake_city") == 0)
		e = psprintf("%s || %s", word(&d_last, h, 0), word(&d_city, h, 1));
	else if (strcmp(name, "fake_company") == 0)
		e = psprintf("%s || ' ' || %s", word(&d_last, h, 0), word(&d_company, h, 1));
	else
		elog(ERROR, "pgclone: unknown fake strategy \"%s\"", name);

	if (unique)
	{
		if (maxlen > 0)
			e = psprintf("pg_catalog.left(%s, %d)", e, maxlen - 17);
		return psprintf("(%s || '-' || %s)", e, tag(salt, v));
	}
	return psprintf("(%s)", e);
}
