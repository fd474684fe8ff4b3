-- When an objective was first published (µs), or NULL for one never published. Archiving keeps
-- it: a draft that was archived without ever being published stays its author's and managers'
-- only, and history from before publication is theirs only too.
ALTER TABLE objectives ADD COLUMN published_at INTEGER;

-- Objectives written before this column: the first logged version that was published.
UPDATE objectives SET published_at = (
    SELECT MIN(e.at) FROM events e
    WHERE e.tenant_id = objectives.tenant_id AND e.entity = 'objective' AND e.entity_id = objectives.id
      AND e.after_json LIKE '%"status":"published"%'
) WHERE status <> 'draft';
-- A published one with no such version in the log (loaded in bulk): since it was created.
UPDATE objectives SET published_at = created_at WHERE status = 'published' AND published_at IS NULL;
