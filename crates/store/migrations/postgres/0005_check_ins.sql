-- Check-ins: a key result's new value with a confidence and the three weekly questions.

CREATE TABLE check_ins (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    id BIGINT NOT NULL,
    kr_id BIGINT NOT NULL,
    author_id BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    previous DOUBLE PRECISION NOT NULL,
    confidence BIGINT NOT NULL,
    progress TEXT NOT NULL DEFAULT '',
    blockers TEXT NOT NULL DEFAULT '',
    help TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX check_ins_kr ON check_ins (tenant_id, kr_id, created_at);
