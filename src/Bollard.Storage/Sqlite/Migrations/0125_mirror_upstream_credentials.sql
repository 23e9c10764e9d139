-- Issue 10: credentials an admin stored for a mirror upstream at runtime (Core Mirror/IUpstreamCredentialStore), one row
-- per upstream name. Only sealed: AES-GCM under the key-encryption key file (Trust:KeyEncryptionKeyFile, not in the
-- database), with the upstream's name as associated data (format in Core Mirror/UpstreamCredentialSeal). Times are Unix
-- milliseconds (UTC). Rows of upstreams no longer configured stay (harmless, and back if the upstream is).
CREATE TABLE mirror_upstream_credentials (
    upstream         TEXT    PRIMARY KEY,
    sealed           BLOB    NOT NULL,
    updated_by       TEXT    NOT NULL,
    updated_at       INTEGER NOT NULL
);
