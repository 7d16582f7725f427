-- hub.db schema 2: the hub holds the district ledger and serves it over the network.

-- A one-time code (its SHA-256) for enrolment over the network, and when it was used.
ALTER TABLE enrolments ADD COLUMN code_hash TEXT;
ALTER TABLE enrolments ADD COLUMN used_at TEXT;
CREATE UNIQUE INDEX enrolments_by_code_hash ON enrolments (code_hash) WHERE code_hash IS NOT NULL;

-- Certificates of counter series that checked out against the district key.
CREATE TABLE certificates (
    counter_id  BLOB PRIMARY KEY,
    certificate TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    counter     TEXT NOT NULL,
    code        TEXT NOT NULL,
    received_at TEXT NOT NULL
) STRICT;

-- Every series the hub holds: its head (the hub holds series without gaps) and what its first
-- entry says. `position` keeps the order series were first taken in (a continuation after
-- the series it continues).
CREATE TABLE series (
    counter_id         BLOB PRIMARY KEY,
    position           INTEGER NOT NULL UNIQUE,
    seq                INTEGER NOT NULL,
    hash               BLOB NOT NULL,
    public_key         BLOB NOT NULL,
    community          TEXT NOT NULL,
    prefix             TEXT NOT NULL,
    counter            TEXT NOT NULL,
    home               TEXT NOT NULL,
    code               TEXT,
    utc_offset_minutes INTEGER NOT NULL,
    last_push_at       TEXT,
    last_pull_at       TEXT
) STRICT;
CREATE INDEX series_by_code ON series (prefix, code);

-- The entries, exactly as signed. A rowid table: rows of a few hundred bytes are too large to
-- keep in the key's own b-tree.
CREATE TABLE entries (
    counter_id  BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    id          BLOB NOT NULL UNIQUE,
    hash        BLOB NOT NULL,
    prev_hash   BLOB NOT NULL,
    signature   BLOB NOT NULL,
    body        BLOB NOT NULL,
    kind        TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (counter_id, seq)
) STRICT;

-- Entries not merged, kept as evidence: forks (the same seq with other content, signed by
-- the series' key) and entries refused for what they are (a bad signature, a broken link).
CREATE TABLE evidence (
    id         INTEGER PRIMARY KEY,
    counter_id BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    prev_hash  BLOB NOT NULL,
    signature  BLOB NOT NULL,
    body       BLOB NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL,
    source     TEXT NOT NULL,
    UNIQUE (counter_id, seq, hash)
) STRICT;

-- Residents' sealing keys, sealed to the district; gone when an erasure arrives.
CREATE TABLE resident_keys (
    resident   TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    ciphertext TEXT NOT NULL
) STRICT;

-- What the hub derives from the entries: balances (for overdrafts), passbooks and residents
-- (to name an overdrawn passbook's resident, masked).
CREATE TABLE balances (
    account TEXT PRIMARY KEY,
    points  INTEGER NOT NULL
) STRICT;
CREATE TABLE passbooks (
    passbook TEXT PRIMARY KEY,
    resident TEXT NOT NULL,
    home     TEXT NOT NULL
) STRICT;
CREATE TABLE residents (
    resident TEXT PRIMARY KEY,
    home     TEXT,
    sealed   TEXT,
    erased   INTEGER NOT NULL
) STRICT;

-- What the reports add up, as a counter's own ledger has them: per local day (the counter's
-- time zone) and counter home, earnings by activity, redemptions by item and adjustments,
-- reversals negated on the day they are made; the passbooks served; the names of items and
-- activities; every movement of a passbook (its statement).
CREATE TABLE tallies (
    day     TEXT NOT NULL,
    home    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    count   INTEGER NOT NULL,
    qty     INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    points  INTEGER NOT NULL,
    PRIMARY KEY (day, home, kind, key)
) STRICT, WITHOUT ROWID;
CREATE TABLE served (
    day      TEXT NOT NULL,
    home     TEXT NOT NULL,
    passbook TEXT NOT NULL,
    PRIMARY KEY (day, home, passbook)
) STRICT, WITHOUT ROWID;
-- The rows of `served` counted by day and counter (resident visits), kept beside them so a
-- month of the district reads a few hundred rows, not one a passbook a day.
CREATE TABLE visits (
    day    TEXT NOT NULL,
    home   TEXT NOT NULL,
    visits INTEGER NOT NULL,
    PRIMARY KEY (day, home)
) STRICT, WITHOUT ROWID;
CREATE TABLE names (
    home TEXT NOT NULL,
    what TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (home, what, code)
) STRICT, WITHOUT ROWID;
CREATE TABLE postings (
    account    TEXT NOT NULL,
    counter_id BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    points     INTEGER NOT NULL,
    PRIMARY KEY (account, counter_id, seq)
) STRICT, WITHOUT ROWID;

-- Nonces of signed requests, until they could no longer pass the clock window.
CREATE TABLE nonces (
    device     BLOB NOT NULL,
    nonce      TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (device, nonce)
) STRICT, WITHOUT ROWID;
CREATE INDEX nonces_by_expiry ON nonces (expires_ms);

-- Every push and pull served.
CREATE TABLE sync_log (
    id        INTEGER PRIMARY KEY,
    device    BLOB NOT NULL,
    at        TEXT NOT NULL,
    direction TEXT NOT NULL,
    entries   INTEGER NOT NULL,
    new       INTEGER NOT NULL,
    present   INTEGER NOT NULL,
    refused   INTEGER NOT NULL,
    forks     INTEGER NOT NULL
) STRICT;

-- The street office's web pages: administrators (argon2 password hashes, failed logins in a
-- row and a lock), and their sessions (the SHA-256 of the cookie's token).
CREATE TABLE admins (
    name         TEXT PRIMARY KEY,
    password     TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    admin      TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
) STRICT;
