-- What each key result's retro decided for the next cycle, and the draft that decision became
-- there (none yet: the next cycle did not exist or had already ended; none ever: drop, to_kpi).

CREATE TABLE carry_overs (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    from_objective INTEGER NOT NULL,
    from_kr INTEGER NOT NULL,
    -- continue, revise, drop or to_kpi.
    decision TEXT NOT NULL,
    to_cycle INTEGER,
    to_objective INTEGER,
    to_kr INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX carry_overs_from ON carry_overs (tenant_id, from_objective);
CREATE INDEX carry_overs_to ON carry_overs (tenant_id, to_objective);
