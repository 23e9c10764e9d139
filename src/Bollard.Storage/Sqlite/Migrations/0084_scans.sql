-- Scan pipeline (issue 8). Everything is keyed by the image manifest digest, not by repository: the same image pushed
-- to ten repositories is analysed once, and its inventory is shared. Rows are removed when the last manifest row with
-- the digest is gone (the scan subscriber on ManifestDeleted; see docs/scanning.md, "Scan pipeline").

-- Scan state: queued / running / done / failed (with the reason) / skipped (not an image, or an index).
CREATE TABLE scan_images (
    digest              TEXT    PRIMARY KEY,
    state               TEXT    NOT NULL,
    reason              TEXT,
    job_id              INTEGER,
    engine_version      INTEGER,
    advisory_generation TEXT,
    platform            TEXT,
    packages            INTEGER NOT NULL DEFAULT 0,
    findings            INTEGER NOT NULL DEFAULT 0,
    warnings            TEXT,
    queued_at           INTEGER,
    started_at          INTEGER,
    finished_at         INTEGER,
    matched_at          INTEGER,
    updated_at          INTEGER NOT NULL
) WITHOUT ROWID;

-- The stored inventory (compact JSON of ImageInventory): re-matched after every advisory import, never re-read from layers.
CREATE TABLE scan_inventories (
    digest          TEXT    PRIMARY KEY,
    engine_version  INTEGER NOT NULL,
    inventory       BLOB    NOT NULL
) WITHOUT ROWID;

-- The package index: one row per package of an inventory. key_name (and key_source, the source package of OS packages)
-- is the name as advisories are keyed (AdvisoryKey.NormalizeName), so a re-match finds the images of a changed key
-- without opening any inventory; purl_base is the purl without version, qualifiers and subpath (the log4j question).
CREATE TABLE scan_packages (
    digest      TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    key_name    TEXT    NOT NULL,
    key_source  TEXT,
    purl_base   TEXT    NOT NULL,
    purl        TEXT    NOT NULL,
    path        TEXT    NOT NULL
);
CREATE INDEX scan_packages_by_digest ON scan_packages(digest);
CREATE INDEX scan_packages_by_key ON scan_packages(type, key_name);
CREATE INDEX scan_packages_by_source ON scan_packages(type, key_source) WHERE key_source IS NOT NULL;
CREATE INDEX scan_packages_by_purl ON scan_packages(purl_base);
CREATE INDEX scan_packages_by_name ON scan_packages(name);

-- The findings of an image as the matcher made them (Affected / Unfixed). OpenVEX and exceptions are applied when read,
-- per repository: VEX documents are referrers of one repository and exception scopes name namespaces, and an exception
-- expires without any event.
CREATE TABLE scan_findings (
    digest          TEXT    NOT NULL,
    advisory_id     TEXT    NOT NULL,
    package_type    TEXT    NOT NULL,
    package_name    TEXT    NOT NULL,
    severity        TEXT    NOT NULL,
    finding         TEXT    NOT NULL
);
CREATE INDEX scan_findings_by_digest ON scan_findings(digest);
CREATE INDEX scan_findings_by_advisory ON scan_findings(advisory_id);

-- Exceptions: an advisory hidden in a scope until it expires.
CREATE TABLE scan_exceptions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id     TEXT    NOT NULL,
    namespace       TEXT    NOT NULL,
    image_digest    TEXT,
    package         TEXT,
    reason          TEXT    NOT NULL,
    owner           TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Which repositories hold an image: the packages query and the cleanup look manifests up by digest alone.
CREATE INDEX IF NOT EXISTS manifests_by_digest ON manifests(digest);
