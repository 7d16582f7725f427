-- The counters (origins) whose txn claims are written. A txn claim can only collide with
-- another series of the same counter, so a counter's txn claims are written from when it has a
-- second series at the hub (a restore, a new PC), its txns held already claimed at that
-- moment; until then each of its entries would write a claim row that nothing can contest, a
-- fifth of a PostgreSQL hub's ingest. Every claim written before this migration stays.
CREATE TABLE claims_kept (origin TEXT COLLATE "C" PRIMARY KEY);
INSERT INTO claims_kept (origin)
    SELECT origin FROM series GROUP BY origin HAVING count(*) > 1;
