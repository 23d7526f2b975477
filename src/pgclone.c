/*
 * pgclone.c — module entry: _PG_init, pgclone.version() and the check that
 * the loaded library and the installed SQL objects are the same version.
 *
 * A package upgrade replaces the library at once, but each database keeps
 * the SQL objects of the version it was created or last updated with until
 * someone runs ALTER EXTENSION pgclone UPDATE.  The C code of one version
 * assumes that version's functions (argument lists, result columns) and
 * tables, so every entry point other than version() calls
 * pgc_check_sql_version() first.  The library keeps the C symbols of every
 * released SQL version, so that CREATE EXTENSION pgclone VERSION '1.0' and
 * the update path work with the newest library.
 */
#include "pgclone.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(pgclone_version);

#ifndef PGCLONE_EXTVERSION
#error "PGCLONE_EXTVERSION (the SQL version, EXTVERSION of the Makefile) must be defined"
#endif

/*
 * True once this backend found the installed SQL version equal to the
 * library's.  Only a match is remembered: a mismatch is looked up again on
 * the next call, so ALTER EXTENSION UPDATE in any session cures it.  Any
 * change to pg_proc or to a relation (what CREATE/DROP/ALTER EXTENSION do)
 * forgets the match, so DROP + CREATE EXTENSION VERSION '1.0' in this
 * session is caught too.  Between such changes the check costs one branch.
 */
static bool sql_version_ok = false;

/* loaded by shared_preload_libraries: a new library needs a restart */
static bool preloaded = false;

static void
forget_sql_version(Datum arg, int cacheid, uint32 hashvalue)
{
	sql_version_ok = false;
}

static void
forget_sql_version_rel(Datum arg, Oid relid)
{
	sql_version_ok = false;
}

void
_PG_init(void)
{
	preloaded = process_shared_preload_libraries_in_progress;
	CacheRegisterSyscacheCallback(PROCOID, forget_sql_version, (Datum) 0);
	CacheRegisterRelcacheCallback(forget_sql_version_rel, (Datum) 0);

	pgc_init_remote();
	pgc_init_copy();
	pgc_init_mask();
	pgc_init_subset();
	pgc_init_jobs();
}

/* extversion of pgclone in this database (palloc'd), NULL if not installed */
static char *
installed_sql_version(void)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("pgclone"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = text_to_cstring(DatumGetTextPP(d));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/* "1.10" > "1.9": dot-separated numbers compared as numbers; -1, 0, 1 */
static int
compare_versions(const char *a, const char *b)
{
	while (*a || *b)
	{
		char	   *ea;
		char	   *eb;
		long		x = strtol(a, &ea, 10);
		long		y = strtol(b, &eb, 10);

		if ((ea == a && *a) || (eb == b && *b))
		{
			int			c = strcmp(a, b);	/* not a number: as text */

			return c < 0 ? -1 : c > 0;
		}
		if (x != y)
			return x < y ? -1 : 1;
		a = (*ea == '.') ? ea + 1 : ea;
		b = (*eb == '.') ? eb + 1 : eb;
	}
	return 0;
}

bool
pgc_check_sql_version(void)
{
	char	   *installed;

	if (likely(sql_version_ok))
		return true;

	installed = installed_sql_version();
	if (installed != NULL && strcmp(installed, PGCLONE_EXTVERSION) == 0)
	{
		sql_version_ok = true;
		return true;
	}

	if (installed == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pgclone\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION pgclone.")));
	if (compare_versions(installed, PGCLONE_EXTVERSION) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgclone's SQL objects in this database are version %s, but the loaded library %s needs version %s",
						installed, PGCLONE_VERSION, PGCLONE_EXTVERSION),
				 errdetail("The pgclone package was upgraded; the extension in this database was not."),
				 errhint("Run ALTER EXTENSION pgclone UPDATE in this database.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("pgclone's SQL objects in this database are version %s, newer than the loaded library %s (SQL version %s)",
					installed, PGCLONE_VERSION, PGCLONE_EXTVERSION),
			 errdetail("The extension was updated, but this server process still runs the old library."),
			 preloaded ?
			 errhint("Restart PostgreSQL: pgclone is in shared_preload_libraries, so the new library is loaded at server start.") :
			 errhint("Start a new session: it loads the new library.")));
	return false;				/* not reached */
}

/*
 * pgclone.version(): "pgclone 1.1.0 (SQL 1.1)".  Never fails on a version
 * mismatch, it is what a DBA runs to see one: then it says what to do.
 */
Datum
pgclone_version(PG_FUNCTION_ARGS)
{
	char	   *installed = installed_sql_version();
	char	   *result;

	if (installed == NULL)
		result = psprintf("pgclone %s (SQL not installed in this database)",
						  PGCLONE_VERSION);
	else if (strcmp(installed, PGCLONE_EXTVERSION) == 0)
		result = psprintf("pgclone %s (SQL %s)", PGCLONE_VERSION, installed);
	else if (compare_versions(installed, PGCLONE_EXTVERSION) < 0)
		result = psprintf("pgclone %s (SQL %s installed, library needs %s: run ALTER EXTENSION pgclone UPDATE)",
						  PGCLONE_VERSION, installed, PGCLONE_EXTVERSION);
	else
		result = psprintf("pgclone %s (SQL %s installed, library needs %s: %s)",
						  PGCLONE_VERSION, installed, PGCLONE_EXTVERSION,
						  preloaded ? "restart PostgreSQL" : "start a new session");
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/*
 * The original pgclone's progress_detail() names this symbol.  A database
 * that still has the original's SQL objects must be able to load our
 * library (to run ALTER EXTENSION pgclone UPDATE, pgclone--4.4.2--1.1.sql):
 * a call there gets the version check's "run ALTER EXTENSION pgclone
 * UPDATE"; no object of ours names it.
 */
PG_FUNCTION_INFO_V1(pgclone_progress_view);

Datum
pgclone_progress_view(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_FUNCTION),
			 errmsg("pgclone_progress_view is a function of the original pgclone"),
			 errhint("Use pgclone.progress_detail() or pgclone.jobs_view.")));
	PG_RETURN_NULL();			/* not reached */
}
