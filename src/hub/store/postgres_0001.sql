-- The hub's store in PostgreSQL, schema 1: the same tables as hub.db (see sqlite_0002_ledger.sql
-- for what each holds).
CREATE TABLE district (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    district_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE enrolments (
    grant_id   TEXT PRIMARY KEY,
    counter    TEXT NOT NULL,
    code       TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    code_hash  TEXT UNIQUE,
    used_at    TEXT
);
CREATE INDEX enrolments_by_code ON enrolments (code);
CREATE INDEX enrolments_by_counter ON enrolments (counter);
CREATE TABLE certificates (
    counter_id  BYTEA PRIMARY KEY,
    certificate TEXT NOT NULL,
    public_key  BYTEA NOT NULL,
    counter     TEXT NOT NULL,
    code        TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE series (
    counter_id         BYTEA PRIMARY KEY,
    position           BIGSERIAL NOT NULL UNIQUE,
    seq                BIGINT NOT NULL,
    hash               BYTEA NOT NULL,
    public_key         BYTEA NOT NULL,
    community          TEXT NOT NULL,
    prefix             TEXT NOT NULL,
    counter            TEXT NOT NULL,
    home               TEXT NOT NULL,
    code               TEXT,
    utc_offset_minutes INTEGER NOT NULL,
    last_push_at       TEXT,
    last_pull_at       TEXT
);
CREATE INDEX series_by_code ON series (prefix, code);
CREATE TABLE entries (
    counter_id  BYTEA NOT NULL,
    seq         BIGINT NOT NULL,
    id          BYTEA NOT NULL UNIQUE,
    hash        BYTEA NOT NULL,
    prev_hash   BYTEA NOT NULL,
    signature   BYTEA NOT NULL,
    body        BYTEA NOT NULL,
    kind        TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (counter_id, seq)
);
CREATE TABLE evidence (
    id         BIGSERIAL PRIMARY KEY,
    counter_id BYTEA NOT NULL,
    seq        BIGINT NOT NULL,
    hash       BYTEA NOT NULL,
    prev_hash  BYTEA NOT NULL,
    signature  BYTEA NOT NULL,
    body       BYTEA NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL,
    source     TEXT NOT NULL,
    UNIQUE (counter_id, seq, hash)
);
CREATE TABLE resident_keys (
    resident   TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    ciphertext TEXT NOT NULL
);
CREATE TABLE balances (
    account TEXT PRIMARY KEY,
    points  BIGINT NOT NULL
);
CREATE TABLE passbooks (
    passbook TEXT PRIMARY KEY,
    resident TEXT NOT NULL,
    home     TEXT NOT NULL
);
CREATE TABLE residents (
    resident TEXT PRIMARY KEY,
    home     TEXT,
    sealed   TEXT,
    erased   INTEGER NOT NULL
);
CREATE TABLE tallies (
    day     TEXT NOT NULL,
    home    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    count   BIGINT NOT NULL,
    qty     BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    points  BIGINT NOT NULL,
    PRIMARY KEY (day, home, kind, key)
);
CREATE TABLE served (
    day      TEXT NOT NULL,
    home     TEXT NOT NULL,
    passbook TEXT NOT NULL,
    PRIMARY KEY (day, home, passbook)
);
-- The rows of `served` counted by day and counter (resident visits).
CREATE TABLE visits (
    day    TEXT NOT NULL,
    home   TEXT NOT NULL,
    visits BIGINT NOT NULL,
    PRIMARY KEY (day, home)
);
CREATE TABLE names (
    home TEXT NOT NULL,
    what TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (home, what, code)
);
CREATE TABLE postings (
    account    TEXT NOT NULL,
    counter_id BYTEA NOT NULL,
    seq        BIGINT NOT NULL,
    points     BIGINT NOT NULL,
    PRIMARY KEY (account, counter_id, seq)
);
CREATE TABLE nonces (
    device     BYTEA NOT NULL,
    nonce      TEXT NOT NULL,
    expires_ms BIGINT NOT NULL,
    PRIMARY KEY (device, nonce)
);
CREATE INDEX nonces_by_expiry ON nonces (expires_ms);
CREATE TABLE sync_log (
    id        BIGSERIAL PRIMARY KEY,
    device    BYTEA NOT NULL,
    at        TEXT NOT NULL,
    direction TEXT NOT NULL,
    entries   BIGINT NOT NULL,
    new       BIGINT NOT NULL,
    present   BIGINT NOT NULL,
    refused   BIGINT NOT NULL,
    forks     BIGINT NOT NULL
);
CREATE TABLE admins (
    name         TEXT PRIMARY KEY,
    password     TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    admin      TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
