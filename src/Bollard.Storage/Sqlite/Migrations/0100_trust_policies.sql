-- Issue 9: trust policies, versioned. Every create, change and delete is a row; the latest row of a name is the policy
-- (a row with a NULL document is a delete, a tombstone). Version numbers per name are never reused, so (name, version)
-- names one document forever. Times are Unix milliseconds (UTC).
CREATE TABLE trust_policy_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    pattern     TEXT    NOT NULL,
    mode        TEXT    NOT NULL,
    document    TEXT,
    locked      INTEGER NOT NULL DEFAULT 0,
    changed_by  TEXT    NOT NULL,
    changed_at  INTEGER NOT NULL,
    comment     TEXT,
    UNIQUE (name, version)
);
