-- Issue 9: server-held image signing keys (Core Trust/IImageSigningKeyStore). The private key is stored only sealed
-- (AES-GCM under the key-encryption key file, Trust:KeyEncryptionKeyFile; format in Bollard.Trust Signing/KeyEncryptionKey).
-- Lists are JSON arrays of strings. Times are Unix milliseconds (UTC).
CREATE TABLE image_signing_keys (
    name                TEXT    PRIMARY KEY,
    algorithm           TEXT    NOT NULL,
    public_key_pem      TEXT    NOT NULL,
    fingerprint         TEXT    NOT NULL,
    encrypted_key       BLOB    NOT NULL,
    certificate_chain   TEXT    NOT NULL,
    allowed_principals  TEXT    NOT NULL,
    created_by          TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
