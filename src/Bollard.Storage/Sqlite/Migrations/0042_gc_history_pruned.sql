-- A GC run's record and its items live as long as the run's job: the recurring job jobs-prune (Jobs:Retention,
-- Jobs:KeepPerKind) deletes old ended jobs, and with a gc job its history goes too, so gc_run_items (one row per
-- freed blob, link or manifest) stays bounded.
CREATE TRIGGER jobs_delete_gc_history AFTER DELETE ON jobs WHEN OLD.kind = 'gc'
BEGIN
    DELETE FROM gc_run_items WHERE job_id = OLD.id;
    DELETE FROM gc_runs WHERE job_id = OLD.id;
END;
