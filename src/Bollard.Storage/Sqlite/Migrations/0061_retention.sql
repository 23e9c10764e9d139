-- Issue 7: retention policies and last-pull times (Core Retention/). Times are Unix milliseconds (UTC).
-- keep_tags: tag patterns joined with ',' (a pattern cannot contain one); untagged_after: milliseconds or NULL.
CREATE TABLE retention_policies (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace       TEXT    NOT NULL UNIQUE,
    keep_last       INTEGER,
    order_by        TEXT    NOT NULL CHECK (order_by IN ('push', 'pull')),
    keep_tags       TEXT    NOT NULL,
    untagged_after  INTEGER,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Written in batches by the pull-time recorder, never per pull. A row older than the tag's updated_at (or the
-- manifest's created_at) belongs to an earlier tag or manifest of that name and is ignored when read; rows go with
-- their repository (rows of deleted tags stay until then: bounded by the names that existed, ignored when read).
CREATE TABLE tag_pulls (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    tag           TEXT    NOT NULL,
    pulled_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, tag)
) WITHOUT ROWID;

CREATE TABLE manifest_pulls (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest        TEXT    NOT NULL,
    pulled_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
