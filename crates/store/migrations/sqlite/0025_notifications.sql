-- The in-app notification centre: what each person was told (red lights, mentions, decided
-- change requests, upstream changes, weekly reminders), where it points, and when they read it.
CREATE TABLE notifications (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    event TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    href TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notifications_person ON notifications (tenant_id, person_id, created_at);
CREATE INDEX notifications_unread ON notifications (tenant_id, person_id) WHERE read_at IS NULL;
