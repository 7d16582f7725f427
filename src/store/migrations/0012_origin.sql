-- pointsdesk schema 12: one name for one thing. A counter's lasting id (the id of its first
-- series, which every later series of it keeps, and which what it registers carries) was
-- called `home`, the word for the folder on a PC; it is `origin` now, in the database as in
-- the code and on the wire.
ALTER TABLE series_heads RENAME COLUMN home TO origin;
DROP INDEX series_heads_by_home;
CREATE INDEX series_heads_by_origin ON series_heads (origin);
ALTER TABLE operators RENAME COLUMN home TO origin;
ALTER TABLE residents RENAME COLUMN home TO origin;
ALTER TABLE passbooks RENAME COLUMN home TO origin;
ALTER TABLE activities RENAME COLUMN home TO origin;
ALTER TABLE items RENAME COLUMN home TO origin;
ALTER TABLE stock RENAME COLUMN home TO origin;
ALTER TABLE usage RENAME COLUMN home TO origin;
ALTER TABLE daily_totals RENAME COLUMN home TO origin;
ALTER TABLE tallies RENAME COLUMN home TO origin;
ALTER TABLE served RENAME COLUMN home TO origin;
ALTER TABLE reversed_txns RENAME COLUMN home TO origin;
-- Schema 11 renamed the series id's columns but not its row in `meta`, which the code has read
-- as `series_id` since: a home made before it could not restore a backup (the backup's series
-- read as missing). A home made since has the row under its new name only.
DELETE FROM meta WHERE key = 'counter_id' AND EXISTS (SELECT 1 FROM meta WHERE key = 'series_id');
UPDATE meta SET key = 'series_id' WHERE key = 'counter_id';
