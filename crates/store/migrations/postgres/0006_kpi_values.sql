-- A KPI's value per period (week, month or quarter), with who or what reported it.

CREATE TABLE kpi_values (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    kpi_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    author_id BIGINT,
    source TEXT NOT NULL DEFAULT 'manual',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, kpi_id, period)
);
