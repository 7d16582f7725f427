-- pointsdesk schema 5: many counters in one district ledger.
--
-- What a counter defines now carries its home (the counter's lasting id, the first series of
-- it): operators, activities, items and stock are keyed by home, so two counters' "001" or
-- "G001" never meet; daily totals are per counter. Residents keep their sealed data (a key
-- that arrives after the entry still opens it) and erasures that arrive before the
-- registration; a passbook's status is its current token's, so a block from any counter
-- holds whatever the order. The projection tables are derived: they are recreated empty here
-- and filled again from the log when the database is opened (`store::open` rebuilds after a
-- migration that asks for it).

DROP TABLE series_heads;
CREATE TABLE series_heads (
    counter_id   BLOB PRIMARY KEY,
    seq          INTEGER NOT NULL,
    hash         BLOB NOT NULL,
    public_key   BLOB NOT NULL,
    community    TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    counter      TEXT NOT NULL,
    utc_offset_minutes INTEGER NOT NULL,
    home         TEXT NOT NULL,
    code         TEXT
) STRICT;
CREATE INDEX series_heads_by_home ON series_heads (home);

DROP TABLE operators;
CREATE TABLE operators (
    home         TEXT NOT NULL,
    operator     TEXT NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    locked_until TEXT,
    PRIMARY KEY (home, operator)
) STRICT;

DROP TABLE residents;
CREATE TABLE residents (
    resident      TEXT PRIMARY KEY,
    home          TEXT,
    sealed        TEXT,
    name          TEXT,
    phone         TEXT,
    address       TEXT,
    note          TEXT,
    erased        INTEGER NOT NULL,
    registered_at TEXT
) STRICT;

DROP INDEX passbooks_by_resident;
DROP TABLE passbooks;
CREATE TABLE passbooks (
    passbook     TEXT PRIMARY KEY,
    home         TEXT NOT NULL,
    resident     TEXT NOT NULL,
    community    TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    issued_at    TEXT NOT NULL
) STRICT;
CREATE INDEX passbooks_by_resident ON passbooks (resident);

DELETE FROM passbook_tokens;

DROP TABLE activities;
CREATE TABLE activities (
    home            TEXT NOT NULL,
    activity        TEXT NOT NULL,
    name            TEXT NOT NULL,
    points_per_hour INTEGER NOT NULL,
    enabled         INTEGER NOT NULL,
    PRIMARY KEY (home, activity)
) STRICT;

DROP INDEX items_by_barcode;
DROP TABLE items;
CREATE TABLE items (
    home          TEXT NOT NULL,
    item          TEXT NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    points        INTEGER NOT NULL,
    barcode       TEXT,
    monthly_limit INTEGER,
    enabled       INTEGER NOT NULL,
    PRIMARY KEY (home, item)
) STRICT;
CREATE INDEX items_by_barcode ON items (home, barcode) WHERE barcode IS NOT NULL;
CREATE INDEX items_by_code ON items (item);

DROP TABLE stock;
CREATE TABLE stock (
    home TEXT NOT NULL,
    item TEXT NOT NULL,
    qty  INTEGER NOT NULL,
    PRIMARY KEY (home, item)
) STRICT;

DROP TABLE usage;
CREATE TABLE usage (
    resident TEXT NOT NULL,
    home     TEXT NOT NULL,
    item     TEXT NOT NULL,
    month    TEXT NOT NULL,
    qty      INTEGER NOT NULL,
    PRIMARY KEY (resident, home, item, month)
) STRICT, WITHOUT ROWID;

DROP TABLE daily_totals;
CREATE TABLE daily_totals (
    day    TEXT NOT NULL,
    home   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    points INTEGER NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (day, home, kind)
) STRICT, WITHOUT ROWID;

DELETE FROM balances;
DELETE FROM postings;
DELETE FROM month_totals;
DELETE FROM reversed_txns;
-- The seals name balances as they were; the rebuilt rows are checked against the log again.
DELETE FROM balance_seals;

-- ===== Local to this counter, not projections =====

-- The district this counter belongs to, from its enrolment file: whose key certifies the
-- counters, and the key that seals resident keys on their way between counters.
CREATE TABLE district (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    district_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    data_key    BLOB NOT NULL,
    enrolled_at TEXT NOT NULL
) STRICT;

-- Certificates of counter series (this counter's own and those that arrived with bundles):
-- a series is taken in only when the district certified its key.
CREATE TABLE certificates (
    counter_id  BLOB PRIMARY KEY,
    certificate BLOB NOT NULL,
    received_at TEXT NOT NULL
) STRICT;

-- Forks: an entry of a known series at a seq already taken by another entry, signed by the
-- series' key. Never merged; kept as evidence and reported.
CREATE TABLE forks (
    counter_id BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    prev_hash  BLOB NOT NULL,
    signature  BLOB NOT NULL,
    body       BLOB NOT NULL,
    found_at   TEXT NOT NULL,
    source     TEXT NOT NULL,
    PRIMARY KEY (counter_id, seq, hash)
) STRICT;

-- Each import and export of a bundle, for the sync screen and `sync status`.
CREATE TABLE sync_log (
    position  INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    direction TEXT NOT NULL,
    file      TEXT NOT NULL,
    peer      TEXT,
    entries   INTEGER NOT NULL,
    new       INTEGER NOT NULL,
    present   INTEGER NOT NULL,
    refused   INTEGER NOT NULL,
    forks     INTEGER NOT NULL
) STRICT;

-- When entries of each series last arrived here and were last sent from here.
CREATE TABLE series_sync (
    counter_id     BLOB PRIMARY KEY,
    last_import_at TEXT,
    last_export_at TEXT
) STRICT;

-- The projections above are empty until the log is folded into them again.
INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', '5');
