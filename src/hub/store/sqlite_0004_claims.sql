-- What only one entry of the district may claim (a txn of a counter, a reversal of a txn,
-- a settlement of an overdraft): the entry holding each claim (the smallest id among its
-- claimants), and the entries that lost one and move nothing.
CREATE TABLE claims (
    claim      TEXT PRIMARY KEY,
    id         BLOB NOT NULL,
    counter_id BLOB NOT NULL,
    seq        INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE duplicates (
    counter_id BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    claim      TEXT NOT NULL,
    PRIMARY KEY (counter_id, seq, claim)
) STRICT, WITHOUT ROWID;

-- Entries whose time cannot be right: dated after they arrived, or before their series'
-- previous entry (a clock years fast, then set right).
CREATE TABLE clock_skews (
    counter_id    BLOB NOT NULL,
    seq           INTEGER NOT NULL,
    skew          TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    compared_with TEXT NOT NULL,
    PRIMARY KEY (counter_id, seq)
) STRICT, WITHOUT ROWID;

-- The claims of the entries held already (settlements did not name their overdraft yet).
INSERT INTO claims (claim, id, counter_id, seq)
SELECT claim, MIN(id), counter_id, seq FROM (
    SELECT 'txn:' || s.home || ':' || json_extract(CAST(e.body AS TEXT), '$.txn') AS claim,
           e.id, e.counter_id, e.seq
    FROM entries e JOIN series s ON s.counter_id = e.counter_id
    WHERE e.kind IN ('points_earned', 'points_redeemed', 'reversed', 'points_adjusted')
      AND json_extract(CAST(e.body AS TEXT), '$.txn') IS NOT NULL
    UNION ALL
    SELECT 'reversal:' || s.home || ':'
               || json_extract(CAST(e.body AS TEXT), '$.body.reversed.of_txn'),
           e.id, e.counter_id, e.seq
    FROM entries e JOIN series s ON s.counter_id = e.counter_id
    WHERE e.kind = 'reversed'
)
GROUP BY claim;
