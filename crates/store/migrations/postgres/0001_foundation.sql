-- Foundation: tenants, org, people, cycles, credentials, the event log, id blocks.
-- Every tenant-owned table leads its primary key with tenant_id (Citus-ready).
-- Times are integer microseconds since the Unix epoch; dates are 'YYYY-MM-DD' text.

CREATE TABLE id_blocks (
    name TEXT NOT NULL PRIMARY KEY,
    next_id BIGINT NOT NULL
);
INSERT INTO id_blocks (name, next_id) VALUES ('global', 1000);

CREATE TABLE tenants (
    id BIGINT NOT NULL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    band_yellow DOUBLE PRECISION NOT NULL DEFAULT 0.4,
    band_green DOUBLE PRECISION NOT NULL DEFAULT 0.7,
    created_at BIGINT NOT NULL
);

CREATE TABLE org_units (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    parent_id BIGINT,
    manager_id BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX org_units_parent ON org_units (tenant_id, parent_id);

CREATE TABLE people (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    org_unit_id BIGINT,
    title TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT 'member',
    lang TEXT NOT NULL DEFAULT 'zh',
    password_hash TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);
CREATE INDEX people_email ON people (email);
CREATE INDEX people_unit ON people (tenant_id, org_unit_id);

CREATE TABLE cycles (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    state TEXT NOT NULL,
    parent_id BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE credentials (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    csrf TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    revoked_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX credentials_person ON credentials (tenant_id, person_id);

CREATE TABLE events (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    reason TEXT,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX events_entity ON events (tenant_id, entity, entity_id);
