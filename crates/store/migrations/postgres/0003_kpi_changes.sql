-- KPI change requests: a locked KPI changes only through a request with a reason that HR
-- approves or rejects; the decision and the applied change are in the event log too.

CREATE TABLE kpi_change_requests (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    kpi_id BIGINT NOT NULL,
    requested_by BIGINT NOT NULL,
    reason TEXT NOT NULL,
    changes_json TEXT NOT NULL,
    before_json TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT,
    decision_note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX kpi_change_requests_kpi ON kpi_change_requests (tenant_id, kpi_id);
