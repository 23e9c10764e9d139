-- Storage usage (issue 7), kept by triggers in the transactions that link/unlink blobs and store/delete manifests,
-- so reads are lookups. A scope is a set of repositories whose usage is kept:
--   kind 'r' key = repository name   (the repository itself)
--   kind 'n' key = first path component (the namespace the usage listing shows; Core's UsageNamespaces)
--   kind 'g' key = ''                (the whole registry)
--   kind 'q' key = namespace pattern  (a quota; quota_bytes is its limit; members are added by
--                                      SqliteMetadataTransaction.EnsureRepositoryAsync and SqliteUsageStore.SetAsync,
--                                      because pattern matching is Core's NamespacePattern, not SQL)
-- A blob counts once per scope (usage_scope_blobs.refs = how many member repositories link it); it is unique to the
-- scope when every link of it in the registry is inside (refs = usage_blobs.refs). Manifests are stored per
-- repository, so their bytes count in full in every scope of their repository.
CREATE TABLE usage_scopes (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('r', 'n', 'g', 'q')),
    key            TEXT    NOT NULL,
    blob_total     INTEGER NOT NULL DEFAULT 0,
    blob_unique    INTEGER NOT NULL DEFAULT 0,
    blobs          INTEGER NOT NULL DEFAULT 0,
    manifest_bytes INTEGER NOT NULL DEFAULT 0,
    manifests      INTEGER NOT NULL DEFAULT 0,
    quota_bytes    INTEGER,
    UNIQUE (kind, key)
);

CREATE TABLE usage_scope_members (
    repository_id INTEGER NOT NULL,
    scope_id      INTEGER NOT NULL REFERENCES usage_scopes(id) ON DELETE CASCADE,
    PRIMARY KEY (repository_id, scope_id)
) WITHOUT ROWID;
CREATE INDEX usage_scope_members_by_scope ON usage_scope_members(scope_id);

CREATE TABLE usage_scope_blobs (
    scope_id INTEGER NOT NULL REFERENCES usage_scopes(id) ON DELETE CASCADE,
    digest   TEXT    NOT NULL,
    size     INTEGER NOT NULL,
    refs     INTEGER NOT NULL,
    PRIMARY KEY (scope_id, digest)
) WITHOUT ROWID;
CREATE INDEX usage_scope_blobs_by_digest ON usage_scope_blobs(digest);

-- How many repositories link each blob.
CREATE TABLE usage_blobs (
    digest TEXT    PRIMARY KEY,
    size   INTEGER NOT NULL,
    refs   INTEGER NOT NULL
) WITHOUT ROWID;

-- The state of an existing registry.
INSERT INTO usage_scopes(kind, key) VALUES ('g', '');
INSERT INTO usage_scopes(kind, key) SELECT 'r', name FROM repositories;
INSERT OR IGNORE INTO usage_scopes(kind, key)
    SELECT 'n', CASE WHEN instr(name, '/') > 0 THEN substr(name, 1, instr(name, '/') - 1) ELSE name END FROM repositories;
INSERT INTO usage_scope_members(repository_id, scope_id)
    SELECT r.id, s.id FROM repositories r JOIN usage_scopes s
    ON s.kind = 'g'
    OR (s.kind = 'r' AND s.key = r.name)
    OR (s.kind = 'n' AND s.key = CASE WHEN instr(r.name, '/') > 0 THEN substr(r.name, 1, instr(r.name, '/') - 1) ELSE r.name END);
INSERT INTO usage_blobs(digest, size, refs) SELECT digest, MAX(size), COUNT(*) FROM repository_blobs GROUP BY digest;
INSERT INTO usage_scope_blobs(scope_id, digest, size, refs)
    SELECT m.scope_id, b.digest, MAX(b.size), COUNT(*) FROM repository_blobs b JOIN usage_scope_members m ON m.repository_id = b.repository_id
    GROUP BY m.scope_id, b.digest;
UPDATE usage_scopes SET
    blob_total = (SELECT COALESCE(SUM(sb.size), 0) FROM usage_scope_blobs sb WHERE sb.scope_id = usage_scopes.id),
    blobs = (SELECT COUNT(*) FROM usage_scope_blobs sb WHERE sb.scope_id = usage_scopes.id),
    blob_unique = (SELECT COALESCE(SUM(sb.size), 0) FROM usage_scope_blobs sb JOIN usage_blobs g ON g.digest = sb.digest
                   WHERE sb.scope_id = usage_scopes.id AND sb.refs = g.refs),
    manifest_bytes = (SELECT COALESCE(SUM(mf.size), 0) FROM manifests mf JOIN usage_scope_members m ON m.repository_id = mf.repository_id
                      WHERE m.scope_id = usage_scopes.id),
    manifests = (SELECT COUNT(*) FROM manifests mf JOIN usage_scope_members m ON m.repository_id = mf.repository_id
                 WHERE m.scope_id = usage_scopes.id);

CREATE TRIGGER usage_repository_created AFTER INSERT ON repositories BEGIN
    INSERT OR IGNORE INTO usage_scopes(kind, key) VALUES ('r', NEW.name);
    INSERT OR IGNORE INTO usage_scopes(kind, key)
        VALUES ('n', CASE WHEN instr(NEW.name, '/') > 0 THEN substr(NEW.name, 1, instr(NEW.name, '/') - 1) ELSE NEW.name END);
    INSERT OR IGNORE INTO usage_scope_members(repository_id, scope_id)
        SELECT NEW.id, id FROM usage_scopes
        WHERE kind = 'g'
           OR (kind = 'r' AND key = NEW.name)
           OR (kind = 'n' AND key = CASE WHEN instr(NEW.name, '/') > 0 THEN substr(NEW.name, 1, instr(NEW.name, '/') - 1) ELSE NEW.name END);
END;

-- A repository is emptied first (SqliteMetadataTransaction.DeleteRepositoryAsync), so its scopes are at zero here.
CREATE TRIGGER usage_repository_deleted AFTER DELETE ON repositories BEGIN
    DELETE FROM usage_scope_members WHERE repository_id = OLD.id;
    DELETE FROM usage_scopes WHERE kind = 'r' AND key = OLD.name;
    DELETE FROM usage_scopes WHERE kind = 'n'
        AND key = CASE WHEN instr(OLD.name, '/') > 0 THEN substr(OLD.name, 1, instr(OLD.name, '/') - 1) ELSE OLD.name END
        AND NOT EXISTS (SELECT 1 FROM usage_scope_members m WHERE m.scope_id = usage_scopes.id);
END;

CREATE TRIGGER usage_blob_linked AFTER INSERT ON repository_blobs BEGIN
    -- Scopes without this repository that held every link of the blob now share it.
    UPDATE usage_scopes SET blob_unique = blob_unique - NEW.size
    WHERE id IN (SELECT sb.scope_id FROM usage_scope_blobs sb JOIN usage_blobs g ON g.digest = sb.digest
                 WHERE sb.digest = NEW.digest AND sb.refs = g.refs
                   AND NOT EXISTS (SELECT 1 FROM usage_scope_members m WHERE m.repository_id = NEW.repository_id AND m.scope_id = sb.scope_id));
    -- Scopes of this repository that did not hold it now do: uniquely when no repository linked it before.
    UPDATE usage_scopes SET blob_total = blob_total + NEW.size, blobs = blobs + 1,
        blob_unique = blob_unique + CASE WHEN EXISTS (SELECT 1 FROM usage_blobs WHERE digest = NEW.digest) THEN 0 ELSE NEW.size END
    WHERE id IN (SELECT m.scope_id FROM usage_scope_members m WHERE m.repository_id = NEW.repository_id
                 AND NOT EXISTS (SELECT 1 FROM usage_scope_blobs sb WHERE sb.scope_id = m.scope_id AND sb.digest = NEW.digest));
    INSERT INTO usage_scope_blobs(scope_id, digest, size, refs)
        SELECT scope_id, NEW.digest, NEW.size, 1 FROM usage_scope_members WHERE repository_id = NEW.repository_id
        ON CONFLICT(scope_id, digest) DO UPDATE SET refs = refs + 1;
    INSERT INTO usage_blobs(digest, size, refs) VALUES (NEW.digest, NEW.size, 1)
        ON CONFLICT(digest) DO UPDATE SET refs = refs + 1;
END;

CREATE TRIGGER usage_blob_unlinked AFTER DELETE ON repository_blobs BEGIN
    -- Scopes of this repository where it was the last link: the blob leaves them (it was unique when it had no other link).
    UPDATE usage_scopes SET blob_total = blob_total - OLD.size, blobs = blobs - 1,
        blob_unique = blob_unique - CASE WHEN (SELECT refs FROM usage_blobs WHERE digest = OLD.digest) = 1 THEN OLD.size ELSE 0 END
    WHERE id IN (SELECT sb.scope_id FROM usage_scope_blobs sb JOIN usage_scope_members m ON m.scope_id = sb.scope_id
                 WHERE m.repository_id = OLD.repository_id AND sb.digest = OLD.digest AND sb.refs = 1);
    -- Scopes without this repository that now hold every remaining link: the blob becomes unique to them.
    UPDATE usage_scopes SET blob_unique = blob_unique + OLD.size
    WHERE id IN (SELECT sb.scope_id FROM usage_scope_blobs sb JOIN usage_blobs g ON g.digest = sb.digest
                 WHERE sb.digest = OLD.digest AND sb.refs = g.refs - 1
                   AND NOT EXISTS (SELECT 1 FROM usage_scope_members m WHERE m.repository_id = OLD.repository_id AND m.scope_id = sb.scope_id));
    UPDATE usage_scope_blobs SET refs = refs - 1
    WHERE digest = OLD.digest AND scope_id IN (SELECT scope_id FROM usage_scope_members WHERE repository_id = OLD.repository_id);
    DELETE FROM usage_scope_blobs WHERE digest = OLD.digest AND refs = 0;
    UPDATE usage_blobs SET refs = refs - 1 WHERE digest = OLD.digest;
    DELETE FROM usage_blobs WHERE digest = OLD.digest AND refs = 0;
END;

CREATE TRIGGER usage_manifest_stored AFTER INSERT ON manifests BEGIN
    UPDATE usage_scopes SET manifest_bytes = manifest_bytes + NEW.size, manifests = manifests + 1
    WHERE id IN (SELECT scope_id FROM usage_scope_members WHERE repository_id = NEW.repository_id);
END;

CREATE TRIGGER usage_manifest_deleted AFTER DELETE ON manifests BEGIN
    UPDATE usage_scopes SET manifest_bytes = manifest_bytes - OLD.size, manifests = manifests - 1
    WHERE id IN (SELECT scope_id FROM usage_scope_members WHERE repository_id = OLD.repository_id);
END;
