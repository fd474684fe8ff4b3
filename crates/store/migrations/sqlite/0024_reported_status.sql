-- A key result's status as its owner reports it with a check-in (on_track, at_risk, delayed;
-- '' when they leave it to the forecast), and the reason for it.
ALTER TABLE check_ins ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE check_ins ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
