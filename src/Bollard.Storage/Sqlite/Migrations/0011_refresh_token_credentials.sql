-- Refresh tokens are revoked with the credential that obtained them and rotated on use (issue 6, B3).
-- credential: 'password', 'pat:ID' or 'robot' ('' for tokens issued before this migration: revoked with any of
-- the principal's credentials). family: shared by a token and its replacements (a replayed token revokes the
-- family). used_at: set when the token was exchanged for its replacement.
ALTER TABLE refresh_tokens ADD COLUMN credential TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN family TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN used_at INTEGER;
UPDATE refresh_tokens SET family = hash;
CREATE INDEX refresh_tokens_by_principal ON refresh_tokens(kind, principal_id);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens(family);
