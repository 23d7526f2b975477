/*
 * pgclone.c — module entry: _PG_init and pgclone.version().
 */
#include "pgclone.h"
#include "plan/subset.h"

#include "utils/builtins.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(pgclone_version);

void
_PG_init(void)
{
	pgc_init_remote();
	pgc_init_copy();
	pgc_init_subset();
	pgc_init_jobs();
}

Datum
pgclone_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text("pgclone " PGCLONE_VERSION));
}
