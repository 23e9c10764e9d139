-- Issue 10: what the pull-through mirror remembers about each cached tag (Core Mirror/IMirrorStore). Times are Unix
-- milliseconds (UTC). A row belongs to a tag of a mirrored repository and goes with it: with the tag (an admin removed
-- it), with its manifest, with the repository (tags cascade from manifests, manifests from repositories).
CREATE TABLE mirror_tags (
    repository_id    INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    tag              TEXT    NOT NULL,
    digest           TEXT    NOT NULL,
    checked_at       INTEGER NOT NULL,
    failed_at        INTEGER,
    last_error       TEXT,
    removed_upstream INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, tag),
    FOREIGN KEY (repository_id, tag) REFERENCES tags(repository_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
