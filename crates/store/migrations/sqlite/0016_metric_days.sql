-- Each metric's points summarised per UTC day (how many, their total, the least, the greatest,
-- and the latest point by time, then id), kept in the same write as the points. A binding's
-- period (a cycle, a week, a month) starts and ends on a day, so its aggregate is read from its
-- days instead of every point: ingestion stays linear in the points it writes, not in those
-- already held.
CREATE TABLE metric_days (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    metric_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    n INTEGER NOT NULL,
    total REAL NOT NULL,
    lo REAL NOT NULL,
    hi REAL NOT NULL,
    latest_at INTEGER NOT NULL,
    latest_id INTEGER NOT NULL,
    latest_value REAL NOT NULL,
    PRIMARY KEY (tenant_id, metric_id, day)
);

-- The points already held.
INSERT INTO metric_days (tenant_id, metric_id, day, n, total, lo, hi, latest_at, latest_id, latest_value)
SELECT tenant_id, metric_id, day, COUNT(*), SUM(value), MIN(value), MAX(value), MAX(at), 0, 0
FROM (SELECT tenant_id, metric_id, value, at, at - (((at % 86400000000) + 86400000000) % 86400000000) AS day
      FROM metric_points) AS p
GROUP BY tenant_id, metric_id, day;

UPDATE metric_days SET
    latest_id = (SELECT p.id FROM metric_points p
                 WHERE p.tenant_id = metric_days.tenant_id AND p.metric_id = metric_days.metric_id
                   AND p.at = metric_days.latest_at ORDER BY p.id DESC LIMIT 1),
    latest_value = (SELECT p.value FROM metric_points p
                    WHERE p.tenant_id = metric_days.tenant_id AND p.metric_id = metric_days.metric_id
                      AND p.at = metric_days.latest_at ORDER BY p.id DESC LIMIT 1);
