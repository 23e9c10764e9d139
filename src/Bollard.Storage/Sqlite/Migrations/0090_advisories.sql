-- Issue 8: the advisory database (Core Scanning/Advisories/IAdvisoryStore). Times are Unix milliseconds (UTC).
-- An advisory is unique per feed (the data set one import replaces, e.g. 'osv:go'); body is AdvisoryJson's form,
-- hash its SHA-256 (what an incremental re-import compares). The ids and package keys are denormalized for lookups:
-- advisory_ids holds the id and every alias (lower case) for GET /api/v1/advisories/{id}; advisory_packages the
-- (type, release, name) index keys, read back by a re-import to name what a changed or removed advisory affected.
CREATE TABLE advisories (
    feed        TEXT NOT NULL,
    id          TEXT NOT NULL,
    source      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    modified_at INTEGER,
    body        BLOB NOT NULL,
    PRIMARY KEY (feed, id)
) WITHOUT ROWID;

CREATE TABLE advisory_ids (
    feed        TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    alias       TEXT NOT NULL,
    PRIMARY KEY (feed, advisory_id, alias),
    FOREIGN KEY (feed, advisory_id) REFERENCES advisories(feed, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX advisory_ids_alias ON advisory_ids(alias);

CREATE TABLE advisory_packages (
    feed        TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    release     TEXT NOT NULL,  -- '' for none
    name        TEXT NOT NULL,
    PRIMARY KEY (feed, advisory_id, type, release, name),
    FOREIGN KEY (feed, advisory_id) REFERENCES advisories(feed, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE advisory_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    imported_at INTEGER NOT NULL,
    feed        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    added       INTEGER NOT NULL,
    changed     INTEGER NOT NULL,
    removed     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    warnings    INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
);
