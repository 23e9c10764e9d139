-- Open upload sessions are capped per principal (RegistryOptions.MaxOpenUploadsPerPrincipal): the cap is
-- counted on every POST /v2/<name>/blobs/uploads/, so the count must be an index range scan.
CREATE INDEX uploads_owner ON uploads(owner);
