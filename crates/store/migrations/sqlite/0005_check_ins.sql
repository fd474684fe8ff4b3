-- Check-ins: a key result's new value with a confidence and the three weekly questions.

CREATE TABLE check_ins (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    kr_id INTEGER NOT NULL,
    author_id INTEGER NOT NULL,
    value REAL NOT NULL,
    previous REAL NOT NULL,
    confidence INTEGER NOT NULL,
    progress TEXT NOT NULL DEFAULT '',
    blockers TEXT NOT NULL DEFAULT '',
    help TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX check_ins_kr ON check_ins (tenant_id, kr_id, created_at);
