-- Identical pulls within one audit batch are stored once with how many there were (AuditRecorder).
ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
