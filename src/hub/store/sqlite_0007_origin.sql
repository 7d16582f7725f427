-- One name for one thing: a counter's lasting id (the id of its first series, which every
-- later series of it keeps, and which what it registers carries) was called `home`, the word
-- for the folder on a PC; it is `origin` now, as on the counters and on the wire.
ALTER TABLE series RENAME COLUMN home TO origin;
ALTER TABLE passbooks RENAME COLUMN home TO origin;
ALTER TABLE residents RENAME COLUMN home TO origin;
ALTER TABLE tallies RENAME COLUMN home TO origin;
ALTER TABLE served RENAME COLUMN home TO origin;
ALTER TABLE visits RENAME COLUMN home TO origin;
ALTER TABLE names RENAME COLUMN home TO origin;
