-- What each person wants to hear about by email (no row: the defaults).

CREATE TABLE person_prefs (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    person_id INTEGER NOT NULL,
    email_alerts INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, person_id)
);
