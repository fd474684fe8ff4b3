-- Goals: objectives, key results (with their owners, for shared KRs), horizontal links, KPIs.
-- tenants.goals_version counts goal writes, so every app server can tell that its in-memory
-- score projection is out of date with one primary-key read.

ALTER TABLE tenants ADD COLUMN goals_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE objectives (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    cycle_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    parent_id INTEGER,
    status TEXT NOT NULL,
    author_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX objectives_cycle ON objectives (tenant_id, cycle_id);
CREATE INDEX objectives_parent ON objectives (tenant_id, parent_id);

CREATE TABLE objective_supports (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    objective_id INTEGER NOT NULL,
    supports_id INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, objective_id, supports_id)
);

CREATE TABLE key_results (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    objective_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    measure TEXT NOT NULL,
    baseline REAL NOT NULL,
    target REAL NOT NULL,
    current REAL NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    weight REAL NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX key_results_objective ON key_results (tenant_id, objective_id);

CREATE TABLE kr_owners (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    kr_id INTEGER NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    weight REAL NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, kr_id, owner_type, owner_id)
);

CREATE TABLE kpis (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    cycle_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    granularity TEXT NOT NULL,
    direction TEXT NOT NULL,
    target REAL NOT NULL,
    pass_threshold REAL NOT NULL,
    warn_threshold REAL,
    unit TEXT NOT NULL DEFAULT '',
    weight REAL NOT NULL DEFAULT 1,
    derived_type TEXT,
    derived_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX kpis_owner ON kpis (tenant_id, owner_type, owner_id);
