/*
 * mask.c — masking expressions (placeholder until masking lands).
 */
#include "pgclone.h"

void
pgc_mask_validate(Jsonb *mask, PgcTable *t)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("the \"mask\" option is not implemented yet")));
}

char *
pgc_mask_expr(Jsonb *mask, PgcColumn *c)
{
	return NULL;
}
