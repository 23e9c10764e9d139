-- Issue 6 (A4, B7): the registry event outbox, subscriber cursors, and each repository's removal generation.

-- Every blob unlink and manifest delete increases it, so a reference check made before the write
-- transaction is known to still hold inside it when the generation has not moved.
ALTER TABLE repositories ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- Written in the same transaction as the change it describes. AUTOINCREMENT: a sequence is never reused,
-- and with one writer it increases in commit order.
CREATE TABLE registry_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    time            INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    repository      TEXT    NOT NULL,
    digest          TEXT,
    tag             TEXT,
    previous_digest TEXT,
    media_type      TEXT,
    size            INTEGER,
    principal       TEXT    NOT NULL,
    client          TEXT    NOT NULL,
    detail          TEXT
);

-- The last sequence each subscriber acknowledged.
CREATE TABLE event_cursors (
    subscriber  TEXT    PRIMARY KEY,
    position    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
