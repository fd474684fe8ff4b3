-- Weekly notices (check-in reminders, digests) sent once per tenant and week, whichever server
-- sends them; and the emails each person has turned off, by event.

CREATE TABLE notice_runs (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, period)
);

ALTER TABLE person_prefs ADD COLUMN email_off TEXT NOT NULL DEFAULT '';
