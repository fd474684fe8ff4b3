-- One 复盘 per unit and cycle, for the team meeting: what worked and what did not, causes,
-- lessons and actions across the unit's objectives. Its lessons join the knowledge base, so a
-- lesson belongs to an objective's retro or to a unit's (exactly one of the two).
CREATE TABLE team_retros (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    unit_id INTEGER NOT NULL,
    cycle_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    author_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    acknowledged_by INTEGER,
    acknowledged_at INTEGER,
    PRIMARY KEY (tenant_id, unit_id, cycle_id)
);

CREATE TABLE lessons_new (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    objective_id INTEGER,
    unit_id INTEGER,
    cycle_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK ((objective_id IS NULL) <> (unit_id IS NULL))
);
INSERT INTO lessons_new (tenant_id, id, objective_id, unit_id, cycle_id, position, text, tags, created_at)
    SELECT tenant_id, id, objective_id, NULL, cycle_id, position, text, tags, created_at FROM lessons;
DROP TABLE lessons;
ALTER TABLE lessons_new RENAME TO lessons;
CREATE INDEX lessons_objective ON lessons (tenant_id, objective_id);
CREATE INDEX lessons_unit ON lessons (tenant_id, unit_id, cycle_id);
