-- Metrics: named time series of business data; their points with provenance; push batches kept
-- by idempotency key; bindings that feed a key result or a KPI from a metric.

CREATE TABLE metrics (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE metric_points (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    metric_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    external_id TEXT,
    source TEXT NOT NULL,
    author_id BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX metric_points_external ON metric_points (tenant_id, metric_id, external_id);
CREATE INDEX metric_points_time ON metric_points (tenant_id, metric_id, at);

CREATE TABLE ingest_batches (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    metric_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    inserted BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, metric_id, idempotency_key)
);

CREATE TABLE metric_bindings (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    metric_id BIGINT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    aggregation TEXT NOT NULL,
    stale_after_days BIGINT NOT NULL DEFAULT 7,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, subject_type, subject_id)
);
CREATE INDEX metric_bindings_metric ON metric_bindings (tenant_id, metric_id);

-- Where a check-in came from: '' for a person, 'metric:<id>' for data that arrived by itself.
ALTER TABLE check_ins ADD COLUMN source TEXT NOT NULL DEFAULT '';
