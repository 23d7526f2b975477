/*
 * snapshot_coord.c — the snapshot coordinator of a parallel, consistent
 * schema job: it exports a snapshot on the source and holds its
 * transaction until every importer (the leader and each pool worker) is
 * bound to it; the importers wait here for the snapshot and count in.
 */
#include "jobs/jobs_int.h"

#include <signal.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/memutils.h"

/* ---------- the importers' side ---------- */

char *
pgc_wait_snapshot(BackgroundWorkerHandle *coord)
{
	pid_t		pid;

	for (;;)
	{
		char	   *snap = NULL;
		bool		failed;
		char		state[6];
		char		why[PGC_ERROR_MAX];

		LWLockAcquire(pgc_jobs->lock, LW_SHARED);
		if (pgc_my_slot->snapshot[0])
			snap = pstrdup(pgc_my_slot->snapshot);
		failed = pgc_my_slot->coord_failed;
		memcpy(state, pgc_my_slot->sqlstate, sizeof(state));
		strlcpy(why, pgc_my_slot->error, sizeof(why));
		LWLockRelease(pgc_jobs->lock);
		if (snap)
			return snap;
		if (failed || (coord && GetBackgroundWorkerPid(coord, &pid) == BGWH_STOPPED))
			ereport(ERROR,
					(errcode(state[0] ? MAKE_SQLSTATE(state[0], state[1], state[2],
													  state[3], state[4]) :
							 ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("%s", why[0] ? why :
							"the snapshot coordinator could not export a snapshot")));
		if (pgc_job_cancelled())
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling the job due to user request")));
		pgc_wait_a_bit(10);
	}
}

void
pgc_count_attached(void)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_slot->nattached++;
	LWLockRelease(pgc_jobs->lock);
}

void
pgc_release_snapshot(void)
{
	LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
	pgc_my_slot->release_snapshot = true;
	LWLockRelease(pgc_jobs->lock);
}

/* ---------- entry point ---------- */

void
pgclone_coord_main(Datum main_arg)
{
	pgc_worker_setup(true);
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("pgclone job %s: holding the exported snapshot", pgc_my_job_id));
	PG_TRY();
	{
		PGconn	   *conn;
		char	   *snap;
		pid_t		leader;

		pgc_xact_begin();
		conn = pgc_connect(pgc_my_conninfo);
		pgc_begin_source_xact(conn, true, NULL);
		snap = MemoryContextStrdup(TopMemoryContext, pgc_export_snapshot(conn));
		pgc_conn_keep(conn);
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		strlcpy(pgc_my_slot->snapshot, snap, sizeof(pgc_my_slot->snapshot));
		leader = pgc_my_slot->leader_pid;
		LWLockRelease(pgc_jobs->lock);
		pgc_xact_commit();

		/* hold the exporting transaction until every importer is bound */
		for (;;)
		{
			bool		done;
			int			nattached;

			LWLockAcquire(pgc_jobs->lock, LW_SHARED);
			done = pgc_my_slot->release_snapshot || pgc_my_slot->cancel ||
				(pgc_my_slot->nexpected > 0 && pgc_my_slot->nattached >= pgc_my_slot->nexpected);
			nattached = pgc_my_slot->nattached;
			LWLockRelease(pgc_jobs->lock);
			if (done || kill(leader, 0) != 0)
			{
				ereport(LOG,
						(errmsg("pgclone job %s: snapshot coordinator released snapshot %s"
								" after %d importers", pgc_my_job_id, snap, nattached)));
				break;
			}
			pgc_wait_a_bit(10);
		}
		pgc_xact_begin();
		pgc_command(conn, "COMMIT");
		pgc_disconnect(conn);
		pgc_xact_commit();
	}
	PG_CATCH();
	{
		ErrorData  *e = pgc_catch_error();

		ereport(LOG, (errmsg("pgclone job %s: snapshot coordinator failed: %s",
							 pgc_my_job_id, e->message)));
		LWLockAcquire(pgc_jobs->lock, LW_EXCLUSIVE);
		pgc_my_slot->coord_failed = true;
		LWLockRelease(pgc_jobs->lock);
		pgc_note_error(e, "snapshot coordinator: ");
	}
	PG_END_TRY();
	proc_exit(0);
}
