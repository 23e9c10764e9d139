-- Access control: identities, role bindings, token keys, audit log. Times are Unix milliseconds (UTC).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE robots (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    secret_hash   TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    expires_at    INTEGER,
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE access_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    hash        TEXT    NOT NULL UNIQUE,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL
);

-- kind: 1 = user, 2 = robot (PrincipalKind).
CREATE TABLE refresh_tokens (
    hash          TEXT    PRIMARY KEY,
    kind          INTEGER NOT NULL,
    principal_id  INTEGER NOT NULL,
    audience      TEXT    NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE role_bindings (
    id            INTEGER PRIMARY KEY,
    kind          INTEGER NOT NULL,
    principal_id  INTEGER NOT NULL,
    role          INTEGER NOT NULL,
    pattern       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (kind, principal_id, role, pattern)
);

CREATE TABLE public_namespaces (
    pattern TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE signing_keys (
    key_id      TEXT    PRIMARY KEY,
    private_key BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) WITHOUT ROWID;

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time        INTEGER NOT NULL,
    principal   TEXT    NOT NULL,
    client      TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    repository  TEXT,
    reference   TEXT,
    outcome     TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX audit_events_by_time ON audit_events(time);
CREATE INDEX audit_events_by_principal ON audit_events(principal, id);

-- Append-only, also against a bug: the database itself refuses to change or remove audit events.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

-- Uploads belong to the principal that opened them, not only to a repository.
ALTER TABLE uploads ADD COLUMN owner TEXT NOT NULL DEFAULT '';
