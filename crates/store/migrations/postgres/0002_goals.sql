-- Goals: objectives, key results (with their owners, for shared KRs), horizontal links, KPIs.
-- tenants.goals_version counts goal writes, so every app server can tell that its in-memory
-- score projection is out of date with one primary-key read.

ALTER TABLE tenants ADD COLUMN goals_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE objectives (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    cycle_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    parent_id BIGINT,
    status TEXT NOT NULL,
    author_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX objectives_cycle ON objectives (tenant_id, cycle_id);
CREATE INDEX objectives_parent ON objectives (tenant_id, parent_id);

CREATE TABLE objective_supports (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    objective_id BIGINT NOT NULL,
    supports_id BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, objective_id, supports_id)
);

CREATE TABLE key_results (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    objective_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    measure TEXT NOT NULL,
    baseline DOUBLE PRECISION NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    current DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    weight DOUBLE PRECISION NOT NULL DEFAULT 1,
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX key_results_objective ON key_results (tenant_id, objective_id);

CREATE TABLE kr_owners (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    kr_id BIGINT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    weight DOUBLE PRECISION NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, kr_id, owner_type, owner_id)
);

CREATE TABLE kpis (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    cycle_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    granularity TEXT NOT NULL,
    direction TEXT NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    pass_threshold DOUBLE PRECISION NOT NULL,
    warn_threshold DOUBLE PRECISION,
    unit TEXT NOT NULL DEFAULT '',
    weight DOUBLE PRECISION NOT NULL DEFAULT 1,
    derived_type TEXT,
    derived_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX kpis_owner ON kpis (tenant_id, owner_type, owner_id);
