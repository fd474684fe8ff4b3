-- Red-light alerts: raised once per cause while open, acknowledged with a note, resolved when
-- the cause goes away.

CREATE TABLE alerts (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    owner_id INTEGER,
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    raised_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    resolved_at INTEGER,
    PRIMARY KEY (tenant_id, id)
);
-- At most one unresolved alert per subject and cause.
CREATE UNIQUE INDEX alerts_open ON alerts (tenant_id, subject_type, subject_id, reason) WHERE state <> 'resolved';
