-- Local time: each tenant has a time zone (IANA name; times are shown, weeks begin and reminders
-- go out in it), and a person may have their own.
ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai';
ALTER TABLE people ADD COLUMN time_zone TEXT;
