-- A KPI's value per period (week, month or quarter), with who or what reported it.

CREATE TABLE kpi_values (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    kpi_id INTEGER NOT NULL,
    period TEXT NOT NULL,
    value REAL NOT NULL,
    author_id INTEGER,
    source TEXT NOT NULL DEFAULT 'manual',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, kpi_id, period)
);
