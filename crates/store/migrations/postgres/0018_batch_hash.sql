-- What a batch held (a hash of its checked points), so that an idempotency key sent again with
-- different points is refused instead of silently answering as the first time. NULL for
-- batches kept before: they replay as they did.
ALTER TABLE ingest_batches ADD COLUMN points_hash TEXT;
