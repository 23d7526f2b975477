/*
 * extensions.c — the extensions a clone needs, and creating them.
 *
 * Needed: an extension some member of which (a type, function, operator,
 * operator class, text search dictionary, foreign-data wrapper, ...) is
 * referenced in pg_depend by an object the clone creates.  No list of kinds:
 * every pg_depend row that points at an extension member counts, and an
 * object with no schema of its own (a column default, trigger, constraint,
 * policy, rule, pg_amop row, text search mapping...) is followed up its
 * 'a'/'i' dependencies to the object that has one (its table, type,
 * operator family...).  Extensions those need (pg_extension -> pg_extension)
 * are needed too.  A whole-database clone takes every extension of the
 * source, as pg_dump does, needed or not.
 */
#include "clone/schema.h"

#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"

/* Is an extension (at this version, unless NULL) installable here?  SPI connected. */
bool
pgc_extension_available(const char *name, const char *version)
{
	const char *args[2] = {name, version};

	return pgc_local_exists("SELECT 1 FROM pg_catalog.pg_available_extension_versions"
							" WHERE name = $1 AND ($2 IS NULL OR version = $2)", 2, args);
}

/*
 * check = true: ERROR (42704) unless every extension is installed or
 * installable here, before anything is created.  check = false: create the
 * missing ones, in their source schema, at the source's version when the
 * target has it, else at the default version (NOTICE).  Returns how many
 * were created.
 */
int
pgc_extensions_create(List *exts, bool check)
{
	ListCell   *lc;
	StringInfoData missing;
	int			n = 0;

	initStringInfo(&missing);
	foreach(lc, exts)
	{
		PgcExtension *e = lfirst(lc);

		if (!OidIsValid(get_extension_oid(e->name, true)) &&
			!pgc_extension_available(e->name, NULL))
			appendStringInfo(&missing, "%s%s", missing.len ? ", " : "", quote_identifier(e->name));
	}
	if (missing.len)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the source objects need extensions that are not available on the target: %s",
						missing.data),
				 errhint("Install the extension packages on the target server, then retry.")));
	if (check)
		return 0;

	foreach(lc, exts)
	{
		PgcExtension *e = lfirst(lc);
		bool		same = pgc_extension_available(e->name, e->version);

		if (OidIsValid(get_extension_oid(e->name, true)))
			continue;
		if (!OidIsValid(get_namespace_oid(e->nspname, true)))
			pgc_local_exec(psprintf("CREATE SCHEMA %s", quote_identifier(e->nspname)));
		pgc_local_exec(psprintf("CREATE EXTENSION %s WITH SCHEMA %s%s%s",
								quote_identifier(e->name), quote_identifier(e->nspname),
								same ? " VERSION " : "",
								same ? quote_literal_cstr(e->version) : ""));
		if (same)
			ereport(NOTICE, (errmsg("created extension %s on the target", quote_identifier(e->name))));
		else
			ereport(NOTICE,
					(errmsg("created extension %s on the target at its default version",
							quote_identifier(e->name)),
					 errdetail("Version %s, as on the source, is not available here.",
							   quote_literal_cstr(e->version))));
		n++;
	}
	return n;
}
