-- tenants.org_version counts writes to org units and people, so every app server can tell that
-- its in-memory org chart is current with one cheap read (as goals_version does for goals).
ALTER TABLE tenants ADD COLUMN org_version INTEGER NOT NULL DEFAULT 0;
