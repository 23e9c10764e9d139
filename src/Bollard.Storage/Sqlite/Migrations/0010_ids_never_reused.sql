-- Token and role-binding ids are never handed out twice (issue 6, C3): with a plain INTEGER PRIMARY KEY, SQLite
-- reuses the largest id after it is deleted, so an audit entry "token.delete 7" or a script's "binding remove 12"
-- could mean a different object later. AUTOINCREMENT never reuses an id. The tables are rebuilt with their data
-- (ids kept; the sequence starts after the largest id that exists now).
CREATE TABLE access_tokens_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    hash        TEXT    NOT NULL UNIQUE,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL
);
INSERT INTO access_tokens_new(id, user_id, name, hash, expires_at, created_at)
    SELECT id, user_id, name, hash, expires_at, created_at FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_new RENAME TO access_tokens;
CREATE INDEX access_tokens_by_user ON access_tokens(user_id);

CREATE TABLE role_bindings_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          INTEGER NOT NULL,
    principal_id  INTEGER NOT NULL,
    role          INTEGER NOT NULL,
    pattern       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (kind, principal_id, role, pattern)
);
INSERT INTO role_bindings_new(id, kind, principal_id, role, pattern, created_at)
    SELECT id, kind, principal_id, role, pattern, created_at FROM role_bindings;
DROP TABLE role_bindings;
ALTER TABLE role_bindings_new RENAME TO role_bindings;
