
-- ---------- refresh: a new generation swapped in (src/jobs/refresh.c) ----------
-- Each generation a refresh swaps in, and each rollback, is a row here.
CREATE TABLE pgclone.refresh_history (
    id                 bigserial PRIMARY KEY,
    job_id             bigint,                 -- the refresh job (NULL for a rollback)
    target_db          text NOT NULL,
    action             text NOT NULL,          -- refresh, rollback
    made_at            timestamptz NOT NULL DEFAULT now(),
    source             text,                   -- conninfo without password
    source_snapshot_at timestamptz,            -- the source's time of the clone's snapshot
    previous_name      text                    -- where the replaced generation is kept; NULL = dropped
);

REVOKE ALL ON pgclone.refresh_history, pgclone.refresh_history_id_seq FROM PUBLIC;

CREATE FUNCTION pgclone.refresh(source_conninfo text, target_db text,
                                include_data boolean DEFAULT true, options text DEFAULT NULL)
RETURNS int AS 'MODULE_PATHNAME', 'pgclone_refresh' LANGUAGE C VOLATILE;

CREATE FUNCTION pgclone.refresh_rollback(target_db text)
RETURNS text AS 'MODULE_PATHNAME', 'pgclone_refresh_rollback' LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION pgclone.refresh(text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgclone.refresh_rollback(text) FROM PUBLIC;
