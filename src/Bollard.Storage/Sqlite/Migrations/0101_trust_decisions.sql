-- Issue 9: a bounded log of recent policy decisions (pruned to Trust:Decisions:LogSize rows by the server).
-- reasons is a JSON array of strings. Times are Unix milliseconds (UTC).
CREATE TABLE trust_decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    time            INTEGER NOT NULL,
    repository      TEXT    NOT NULL,
    digest          TEXT    NOT NULL,
    point           TEXT    NOT NULL,
    allowed         INTEGER NOT NULL,
    mode            TEXT    NOT NULL,
    policy          TEXT,
    policy_version  INTEGER,
    reasons         TEXT    NOT NULL,
    principal       TEXT    NOT NULL
);
CREATE INDEX trust_decisions_repository ON trust_decisions(repository, id);
