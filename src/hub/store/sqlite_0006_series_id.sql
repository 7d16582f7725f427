-- One name for one thing: the id of a series (one device key's gapless log) was called
-- `counter_id` in the ledger's tables and `device` in the request log, though a counter lives
-- on through several series; it is `series_id` now, as on the counters and on the wire.
ALTER TABLE certificates RENAME COLUMN counter_id TO series_id;
ALTER TABLE series RENAME COLUMN counter_id TO series_id;
ALTER TABLE entries RENAME COLUMN counter_id TO series_id;
ALTER TABLE evidence RENAME COLUMN counter_id TO series_id;
ALTER TABLE postings RENAME COLUMN counter_id TO series_id;
ALTER TABLE revoked RENAME COLUMN counter_id TO series_id;
ALTER TABLE claims RENAME COLUMN counter_id TO series_id;
ALTER TABLE duplicates RENAME COLUMN counter_id TO series_id;
ALTER TABLE clock_skews RENAME COLUMN counter_id TO series_id;
ALTER TABLE nonces RENAME COLUMN device TO series_id;
ALTER TABLE sync_log RENAME COLUMN device TO series_id;
