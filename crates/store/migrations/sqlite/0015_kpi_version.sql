-- tenants.kpi_version counts writes to KPIs and their values, so an app server can tell with one
-- cheap read whether what it last derived from them (the red lights) is still current.
ALTER TABLE tenants ADD COLUMN kpi_version INTEGER NOT NULL DEFAULT 0;
