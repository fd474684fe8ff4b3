-- Discussion on goals, and HR's KPI library (templates per job family).

CREATE TABLE comments (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    author_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX comments_entity ON comments (tenant_id, entity, entity_id);

CREATE TABLE kpi_templates (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    job_family TEXT NOT NULL,
    name TEXT NOT NULL,
    granularity TEXT NOT NULL,
    direction TEXT NOT NULL,
    pass_threshold DOUBLE PRECISION NOT NULL,
    warn_threshold DOUBLE PRECISION,
    unit TEXT NOT NULL DEFAULT '',
    weight DOUBLE PRECISION NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
