-- What each person wants to hear about by email (no row: the defaults).

CREATE TABLE person_prefs (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    person_id BIGINT NOT NULL,
    email_alerts BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, person_id)
);
