-- pointsdesk schema 11: one name for one thing. The id of a series (one device key's gapless
-- log) was called `counter_id`, though a counter lives on through several series; it is
-- `series_id` now, in the database as in the code and on the wire.
ALTER TABLE entries RENAME COLUMN counter_id TO series_id;
ALTER TABLE series_heads RENAME COLUMN counter_id TO series_id;
ALTER TABLE certificates RENAME COLUMN counter_id TO series_id;
ALTER TABLE forks RENAME COLUMN counter_id TO series_id;
ALTER TABLE series_sync RENAME COLUMN counter_id TO series_id;
ALTER TABLE duplicates RENAME COLUMN counter_id TO series_id;
