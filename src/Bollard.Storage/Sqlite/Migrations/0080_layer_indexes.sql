-- Issue 8: the per-layer analysis cache (Core/Scanning/ILayerIndexStore). A layer's index (file table, whiteouts,
-- analyzer results; never file contents) is the scanning engine's own gzip'd JSON, opaque here, keyed by the layer
-- blob digest and the engine version that wrote it: a newer engine re-reads the layer instead of trusting an older
-- format, and storing a newer version drops the older ones of that layer.
CREATE TABLE layer_indexes (
    layer_digest    TEXT    NOT NULL,
    engine_version  INTEGER NOT NULL,
    data            BLOB    NOT NULL,
    PRIMARY KEY (layer_digest, engine_version)
) WITHOUT ROWID;
