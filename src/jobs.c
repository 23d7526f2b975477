/*
 * jobs.c — async job registry (placeholder until the async work lands).
 */
#include "pgclone.h"

void
pgc_init_jobs(void)
{
}
