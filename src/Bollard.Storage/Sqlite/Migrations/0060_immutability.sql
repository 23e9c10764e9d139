-- Issue 7: tag immutability rules (Core Immutability/). Ids are never reused, so "rule 3" in an audit entry or a
-- refusal always means the same rule. Times are Unix milliseconds (UTC).
CREATE TABLE immutability_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace    TEXT    NOT NULL,
    tag_pattern  TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (namespace, tag_pattern)
);
