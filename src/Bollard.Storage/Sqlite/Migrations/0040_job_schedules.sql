-- Issue 7 (recurring jobs, GC): at most one active job per unique key, enforced by the database itself so that
-- several nodes sharing the store cannot enqueue two (PostgreSQL: the same partial unique index; the insert uses
-- ON CONFLICT DO NOTHING). A job leaves the index when it ends (Succeeded, Failed, Cancelled).
ALTER TABLE jobs ADD COLUMN unique_key TEXT;
CREATE UNIQUE INDEX jobs_unique_active ON jobs(unique_key) WHERE unique_key IS NOT NULL AND state IN ('Queued', 'Running');
CREATE INDEX jobs_kind ON jobs(kind, id);

-- One row per recurring job kind: when it is next due. Advanced in the same transaction that enqueues the run,
-- so of several nodes that wake at once exactly one enqueues it.
CREATE TABLE job_schedules (
    kind        TEXT    PRIMARY KEY,
    next_run_at INTEGER NOT NULL,
    last_job_id INTEGER
);
