-- Issue 7: webhooks (IWebhookStore), their persisted delivery queues and bounded delivery logs. Times are Unix ms (UTC).
CREATE TABLE webhooks (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    pattern              TEXT    NOT NULL,
    url                  TEXT    NOT NULL,
    events               TEXT    NOT NULL, -- comma-separated RegistryEventKind names
    format               TEXT    NOT NULL,
    description          TEXT    NOT NULL DEFAULT '',
    secret               TEXT    NOT NULL, -- the HMAC key; never returned by the API after creation
    enabled              INTEGER NOT NULL DEFAULT 1,
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since        INTEGER,
    fanout_sequence      INTEGER NOT NULL, -- events up to here were fanned out (or predate the webhook)
    created_by           TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

-- The queue: undelivered rows are sent oldest id first, one at a time per webhook; delivered ones are the log's bodies.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    sequence        INTEGER NOT NULL,
    event_id        TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    body            BLOB    NOT NULL,
    delivered       INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries(webhook_id, id) WHERE delivered = 0;
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, id);

CREATE TABLE webhook_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id    INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    delivery_id   INTEGER NOT NULL,
    sequence      INTEGER NOT NULL,
    event_id      TEXT    NOT NULL,
    attempt       INTEGER NOT NULL,
    time          INTEGER NOT NULL,
    outcome       TEXT    NOT NULL,
    latency_ms    INTEGER NOT NULL,
    response_code INTEGER,
    error         TEXT
);
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts(webhook_id, id);
