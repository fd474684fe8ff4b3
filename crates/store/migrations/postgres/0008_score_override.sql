-- At cycle close a manager may override a key result's final score, with a written reason.
ALTER TABLE key_results ADD COLUMN override_score DOUBLE PRECISION;
ALTER TABLE key_results ADD COLUMN override_reason TEXT;
