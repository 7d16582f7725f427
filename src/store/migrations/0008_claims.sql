-- pointsdesk schema 8: what only one entry of the district may claim.
--
-- `claims`: for each reversal (`reversal:<home>:<txn>`) and settlement
-- (`settlement:<passbook>:<n>`) claimed, the id of the entry that claims it first (the
-- smallest id); txn claims are found through `entries` itself. `duplicates`: entries that
-- lost a claim to another entry and move nothing, listed. `reversed_txns` is keyed by the
-- counter that made the txn: a txn id of one counter never names another's. All three are
-- projections: filled from the log when the database is next opened.
CREATE TABLE claims (
    claim TEXT PRIMARY KEY,
    entry BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE duplicates (
    counter_id BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    claim      TEXT NOT NULL,
    PRIMARY KEY (counter_id, seq, claim)
) STRICT, WITHOUT ROWID;

DROP TABLE reversed_txns;
CREATE TABLE reversed_txns (
    home   TEXT NOT NULL,
    txn    TEXT NOT NULL,
    by_txn TEXT NOT NULL,
    PRIMARY KEY (home, txn)
) STRICT, WITHOUT ROWID;

INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', '8');
