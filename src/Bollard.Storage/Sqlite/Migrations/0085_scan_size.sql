-- The size report of an image (compact JSON of ImageSizeReport), made with its inventory; the base-image share is
-- recomputed when read, from the layers other manifests reference at that time.
ALTER TABLE scan_inventories ADD COLUMN size_report BLOB;
