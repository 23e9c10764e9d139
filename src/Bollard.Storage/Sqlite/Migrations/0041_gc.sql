-- Issue 7: online garbage collection (docs/architecture.md, "Garbage collection"). Times are Unix milliseconds (UTC).

-- When a manifest last became untagged (NULL while a tag points at it), for IUntaggedManifestPolicy.
ALTER TABLE manifests ADD COLUMN untagged_at INTEGER;
UPDATE manifests SET untagged_at = created_at
    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = manifests.repository_id AND t.manifest_digest = manifests.digest);
CREATE INDEX manifests_untagged ON manifests(repository_id, untagged_at) WHERE untagged_at IS NOT NULL;

-- When the last manifest referencing a link was deleted: a link's age for the grace period is the later of this
-- and created_at, so a layer whose manifest was deleted a moment ago is not collected under a client re-pushing it.
ALTER TABLE repository_blobs ADD COLUMN released_at INTEGER;

-- Every blob in the blob store, with its GC state. A row appears with the first link (trigger below; populated
-- here from the links that exist). 'deleting': GC has decided to delete the bytes and no link may be made until
-- the row is gone (the bytes are deleted only while the row says 'deleting').
CREATE TABLE blobs (
    digest         TEXT    PRIMARY KEY,
    size           INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'deleting')),
    deleting_since INTEGER
) WITHOUT ROWID;
INSERT INTO blobs(digest, size, created_at) SELECT digest, MAX(size), MIN(created_at) FROM repository_blobs GROUP BY digest;
CREATE INDEX blobs_deleting ON blobs(state) WHERE state = 'deleting';

CREATE TRIGGER repository_blobs_refuse_deleting BEFORE INSERT ON repository_blobs
    WHEN EXISTS (SELECT 1 FROM blobs WHERE digest = NEW.digest AND state = 'deleting')
BEGIN
    SELECT RAISE(ABORT, 'bollard: the blob is being garbage-collected');
END;
CREATE TRIGGER repository_blobs_track AFTER INSERT ON repository_blobs
BEGIN
    INSERT OR IGNORE INTO blobs(digest, size, created_at) VALUES (NEW.digest, NEW.size, NEW.created_at);
END;

-- A linker (upload commit, mount) pins the digest before it moves bytes into the store and links them; GC never
-- marks a pinned digest 'deleting', and a pin is refused while it is. A pin left by a crash expires.
CREATE TABLE blob_pins (
    token      TEXT    PRIMARY KEY,
    digest     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blob_pins_by_digest ON blob_pins(digest, expires_at);

-- One row per GC run (the job id), with its progress; the items it removed (or would remove).
CREATE TABLE gc_runs (
    job_id             INTEGER PRIMARY KEY,
    dry_run            INTEGER NOT NULL,
    requested_by       TEXT    NOT NULL,
    phase              TEXT    NOT NULL,
    started_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    finished_at        INTEGER,
    manifests_total    INTEGER NOT NULL DEFAULT 0,
    manifests_examined INTEGER NOT NULL DEFAULT 0,
    blobs_total        INTEGER NOT NULL DEFAULT 0,
    blobs_examined     INTEGER NOT NULL DEFAULT 0,
    planned            INTEGER NOT NULL DEFAULT 0,
    done               INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE gc_run_items (
    job_id     INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    repository TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    detail     TEXT,
    PRIMARY KEY (job_id, kind, repository, digest)
) WITHOUT ROWID;
