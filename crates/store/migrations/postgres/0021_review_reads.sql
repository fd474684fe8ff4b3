-- The knowledge base's version: bumped by every write of a retro's lessons, so that a server's
-- cached lesson index knows when to read them again.
ALTER TABLE tenants ADD COLUMN lessons_version BIGINT NOT NULL DEFAULT 0;

-- A unit's review reads the frozen key results of its own objectives.
CREATE INDEX kr_finals_objective ON kr_finals (tenant_id, objective_id);
