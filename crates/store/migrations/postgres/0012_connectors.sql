-- Scheduled pulls: connectors that read a business database (read-only SQL) or an HTTP JSON
-- endpoint into a metric on a cron schedule, with a lease per run and a log of every run.
-- The connection string or credential is stored encrypted (`secret_enc`), never in the clear.

CREATE TABLE connectors (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    engine TEXT NOT NULL DEFAULT '',
    metric_id BIGINT NOT NULL,
    config TEXT NOT NULL,
    secret_enc TEXT NOT NULL DEFAULT '',
    schedule TEXT NOT NULL,
    timeout_ms BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    next_run_at BIGINT,
    lease_until BIGINT,
    last_run_at BIGINT,
    last_status TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX connectors_due ON connectors (next_run_at) WHERE active = 1;

CREATE TABLE connector_runs (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    connector_id BIGINT NOT NULL,
    cause TEXT NOT NULL,
    scheduled_for BIGINT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    status TEXT NOT NULL DEFAULT 'running',
    fetched BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    runner TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX connector_runs_of ON connector_runs (tenant_id, connector_id, started_at);
-- One run per scheduled time, whichever server takes it.
CREATE UNIQUE INDEX connector_runs_once ON connector_runs (tenant_id, connector_id, scheduled_for);

-- Messages for a channel that was removed are dropped, not sent.
ALTER TABLE outbox ADD COLUMN dropped_at BIGINT;
