-- KPI change requests: a locked KPI changes only through a request with a reason that HR
-- approves or rejects; the decision and the applied change are in the event log too.

CREATE TABLE kpi_change_requests (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    kpi_id INTEGER NOT NULL,
    requested_by INTEGER NOT NULL,
    reason TEXT NOT NULL,
    changes_json TEXT NOT NULL,
    before_json TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by INTEGER,
    decided_at INTEGER,
    decision_note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX kpi_change_requests_kpi ON kpi_change_requests (tenant_id, kpi_id);
