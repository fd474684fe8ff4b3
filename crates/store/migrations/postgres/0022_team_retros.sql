-- One 复盘 per unit and cycle, for the team meeting: what worked and what did not, causes,
-- lessons and actions across the unit's objectives. Its lessons join the knowledge base, so a
-- lesson belongs to an objective's retro or to a unit's (exactly one of the two).
CREATE TABLE team_retros (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    unit_id BIGINT NOT NULL,
    cycle_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    author_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    acknowledged_by BIGINT,
    acknowledged_at BIGINT,
    PRIMARY KEY (tenant_id, unit_id, cycle_id)
);

ALTER TABLE lessons ALTER COLUMN objective_id DROP NOT NULL;
ALTER TABLE lessons ADD COLUMN unit_id BIGINT;
ALTER TABLE lessons ADD CONSTRAINT lessons_one_source CHECK ((objective_id IS NULL) <> (unit_id IS NULL));
CREATE INDEX lessons_unit ON lessons (tenant_id, unit_id, cycle_id);
