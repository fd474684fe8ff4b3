-- Red-light alerts: raised once per cause while open, acknowledged with a note, resolved when
-- the cause goes away.

CREATE TABLE alerts (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    owner_id BIGINT,
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    raised_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    resolved_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
-- At most one unresolved alert per subject and cause.
CREATE UNIQUE INDEX alerts_open ON alerts (tenant_id, subject_type, subject_id, reason) WHERE state <> 'resolved';
