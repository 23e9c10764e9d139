-- Issue 6 (A5): background jobs with leases (IJobStore). Times are Unix milliseconds (UTC).
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    next_run_at      INTEGER NOT NULL,
    progress         REAL    NOT NULL DEFAULT 0,
    progress_message TEXT,
    last_error       TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- The claim scans only live jobs, oldest due first.
CREATE INDEX jobs_runnable ON jobs(next_run_at, id) WHERE state IN ('Queued', 'Running');
