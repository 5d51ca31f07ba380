-- A `timestamp without time zone` watermark column stores the local time of the sessions that write it. The extract
-- compared it with timestamptz bounds in its own session zone (UTC), so rows written by sessions behind UTC looked
-- hours old and fell below the watermark. The registry now names the writers' zone; such a table is refused until it
-- does (src/extract/extractTable.ts).
ALTER TABLE dwh_control.source_tables ADD COLUMN IF NOT EXISTS watermark_time_zone text;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'source_tables_watermark_time_zone_check'
                      AND conrelid = 'dwh_control.source_tables'::regclass) THEN
        ALTER TABLE dwh_control.source_tables ADD CONSTRAINT source_tables_watermark_time_zone_check
            CHECK (watermark_time_zone IS NULL OR watermark_column IS NOT NULL);
    END IF;
END
$$;
