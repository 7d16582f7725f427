-- What only one entry of the district may claim (a txn of a counter, a reversal of a txn,
-- a settlement of an overdraft): the entry holding each claim (the smallest id among its
-- claimants), and the entries that lost one and move nothing.
CREATE TABLE claims (
    claim      TEXT PRIMARY KEY,
    id         BYTEA NOT NULL,
    counter_id BYTEA NOT NULL,
    seq        BIGINT NOT NULL
);
CREATE TABLE duplicates (
    counter_id BYTEA NOT NULL,
    seq        BIGINT NOT NULL,
    claim      TEXT NOT NULL,
    PRIMARY KEY (counter_id, seq, claim)
);

-- Entries whose time cannot be right: dated after they arrived, or before their series'
-- previous entry (a clock years fast, then set right).
CREATE TABLE clock_skews (
    counter_id    BYTEA NOT NULL,
    seq           BIGINT NOT NULL,
    skew          TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    compared_with TEXT NOT NULL,
    PRIMARY KEY (counter_id, seq)
);

-- The claims of the entries held already (settlements did not name their overdraft yet).
INSERT INTO claims (claim, id, counter_id, seq)
SELECT DISTINCT ON (claim) claim, id, counter_id, seq FROM (
    SELECT 'txn:' || s.home || ':' || (convert_from(e.body, 'UTF8')::jsonb ->> 'txn') AS claim,
           e.id, e.counter_id, e.seq
    FROM entries e JOIN series s ON s.counter_id = e.counter_id
    WHERE e.kind IN ('points_earned', 'points_redeemed', 'reversed', 'points_adjusted')
      AND convert_from(e.body, 'UTF8')::jsonb ->> 'txn' IS NOT NULL
    UNION ALL
    SELECT 'reversal:' || s.home || ':'
               || (convert_from(e.body, 'UTF8')::jsonb -> 'body' -> 'reversed' ->> 'of_txn'),
           e.id, e.counter_id, e.seq
    FROM entries e JOIN series s ON s.counter_id = e.counter_id
    WHERE e.kind = 'reversed'
) AS c
ORDER BY claim, id;
