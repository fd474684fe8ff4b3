-- The review at cycle end: each key result's value frozen with its provenance when its cycle
-- moves to reviewing, the 复盘 (retro) of each objective, and its lessons kept apart for search.

CREATE TABLE kr_finals (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    kr_id BIGINT NOT NULL,
    objective_id BIGINT NOT NULL,
    cycle_id BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    -- Where the value came from: '' (typed by a person), 'metric:<id>', or 'setup' (never checked in).
    source TEXT NOT NULL,
    value_at BIGINT NOT NULL,
    author_id BIGINT,
    frozen_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kr_id)
);
CREATE INDEX kr_finals_cycle ON kr_finals (tenant_id, cycle_id);

CREATE TABLE retros (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    objective_id BIGINT NOT NULL,
    cycle_id BIGINT NOT NULL,
    -- The checked retro as JSON (self scores, worked, did not, causes, lessons, actions, carry-over).
    body TEXT NOT NULL,
    author_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    acknowledged_by BIGINT,
    acknowledged_at BIGINT,
    PRIMARY KEY (tenant_id, objective_id)
);
CREATE INDEX retros_cycle ON retros (tenant_id, cycle_id);

CREATE TABLE lessons (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    objective_id BIGINT NOT NULL,
    cycle_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    text TEXT NOT NULL,
    -- Tags joined by commas (a tag holds no comma).
    tags TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX lessons_objective ON lessons (tenant_id, objective_id);
