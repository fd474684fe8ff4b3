-- Discussion on goals, and HR's KPI library (templates per job family).

CREATE TABLE comments (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    author_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX comments_entity ON comments (tenant_id, entity, entity_id);

CREATE TABLE kpi_templates (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    job_family TEXT NOT NULL,
    name TEXT NOT NULL,
    granularity TEXT NOT NULL,
    direction TEXT NOT NULL,
    pass_threshold REAL NOT NULL,
    warn_threshold REAL,
    unit TEXT NOT NULL DEFAULT '',
    weight REAL NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
