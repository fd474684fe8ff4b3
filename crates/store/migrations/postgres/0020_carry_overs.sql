-- What each key result's retro decided for the next cycle, and the draft that decision became
-- there (none yet: the next cycle did not exist or had already ended; none ever: drop, to_kpi).

CREATE TABLE carry_overs (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    from_objective BIGINT NOT NULL,
    from_kr BIGINT NOT NULL,
    -- continue, revise, drop or to_kpi.
    decision TEXT NOT NULL,
    to_cycle BIGINT,
    to_objective BIGINT,
    to_kr BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX carry_overs_from ON carry_overs (tenant_id, from_objective);
CREATE INDEX carry_overs_to ON carry_overs (tenant_id, to_objective);
