-- Issue 8: a layer's index goes with its blob. The garbage collector forgets a blob by deleting its `blobs` row
-- (SqliteGcStore.ForgetAsync, after the bytes are gone); the trigger drops the layer's cached indexes in the same
-- transaction, whatever deletes the row. Indexes of layers that never had a row (images scanned from a local OCI
-- layout or archive by `bollard scan`) are left alone.
CREATE TRIGGER layer_indexes_follow_blobs AFTER DELETE ON blobs
BEGIN
    DELETE FROM layer_indexes WHERE layer_digest = OLD.digest;
END;
