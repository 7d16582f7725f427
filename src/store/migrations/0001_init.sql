-- pointsdesk schema 1. Migrations are append-only: never edit an applied file, add the next.

-- Facts about this home that are not entries: which series is ours.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The log. One row per entry, never updated or deleted. `body` holds the envelope bytes
-- exactly as hashed; the other columns are copies kept for indexes and are checked by verify.
CREATE TABLE entries (
    position    INTEGER PRIMARY KEY,            -- local order of application
    counter_id  BLOB    NOT NULL,
    seq         INTEGER NOT NULL,
    id          BLOB    NOT NULL UNIQUE,
    prev_hash   BLOB    NOT NULL,
    hash        BLOB    NOT NULL,
    signature   BLOB    NOT NULL,
    recorded_at TEXT    NOT NULL,
    operator    TEXT,
    txn         TEXT,
    kind        TEXT    NOT NULL,
    body        BLOB    NOT NULL,
    UNIQUE (counter_id, seq)
) STRICT;
CREATE INDEX entries_by_txn ON entries (txn) WHERE txn IS NOT NULL;

-- Secrets kept outside the log. Destroying a resident key erases that person's sealed data.
CREATE TABLE resident_keys (
    resident TEXT PRIMARY KEY,
    key      BLOB NOT NULL
) STRICT;

-- Operator PINs (argon2 PHC strings) and failure counting; local to this counter.
CREATE TABLE operator_secrets (
    operator    TEXT PRIMARY KEY,
    pin_hash    TEXT NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- ===== Projections: derived from the log, rebuilt by `ledger rebuild`, checked by verify. =====

CREATE TABLE series_heads (
    counter_id   BLOB PRIMARY KEY,
    seq          INTEGER NOT NULL,
    hash         BLOB NOT NULL,
    public_key   BLOB NOT NULL,
    community    TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    counter      TEXT NOT NULL,
    utc_offset_minutes INTEGER NOT NULL
) STRICT;

CREATE TABLE balances (
    account TEXT PRIMARY KEY,
    points  INTEGER NOT NULL
) STRICT;

CREATE TABLE postings (
    account  TEXT NOT NULL,
    position INTEGER NOT NULL,
    points   INTEGER NOT NULL,
    PRIMARY KEY (account, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE operators (
    operator     TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    locked_until TEXT
) STRICT;

CREATE TABLE residents (
    resident      TEXT PRIMARY KEY,
    name          TEXT,
    phone         TEXT,
    address       TEXT,
    note          TEXT,
    erased        INTEGER NOT NULL,
    registered_at TEXT NOT NULL
) STRICT;

CREATE TABLE passbooks (
    passbook     TEXT PRIMARY KEY,
    resident     TEXT NOT NULL,
    community    TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    status       TEXT NOT NULL,
    issued_at    TEXT NOT NULL
) STRICT;
CREATE INDEX passbooks_by_resident ON passbooks (resident);

CREATE TABLE passbook_tokens (
    token_sha256 TEXT PRIMARY KEY,
    passbook     TEXT NOT NULL,
    status       TEXT NOT NULL
) STRICT;

CREATE TABLE activities (
    activity        TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    points_per_hour INTEGER NOT NULL,
    enabled         INTEGER NOT NULL
) STRICT;

CREATE TABLE items (
    item          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    points        INTEGER NOT NULL,
    barcode       TEXT,
    monthly_limit INTEGER,
    enabled       INTEGER NOT NULL
) STRICT;
CREATE INDEX items_by_barcode ON items (barcode) WHERE barcode IS NOT NULL;

CREATE TABLE stock (
    item TEXT PRIMARY KEY,
    qty  INTEGER NOT NULL
) STRICT;

CREATE TABLE usage (
    resident TEXT NOT NULL,
    item     TEXT NOT NULL,
    month    TEXT NOT NULL,
    qty      INTEGER NOT NULL,
    PRIMARY KEY (resident, item, month)
) STRICT, WITHOUT ROWID;

CREATE TABLE month_totals (
    passbook TEXT NOT NULL,
    month    TEXT NOT NULL,
    earned   INTEGER NOT NULL,
    spent    INTEGER NOT NULL,
    PRIMARY KEY (passbook, month)
) STRICT, WITHOUT ROWID;

CREATE TABLE daily_totals (
    day    TEXT NOT NULL,
    kind   TEXT NOT NULL,
    points INTEGER NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (day, kind)
) STRICT, WITHOUT ROWID;

CREATE TABLE reversed_txns (
    txn    TEXT PRIMARY KEY,
    by_txn TEXT NOT NULL
) STRICT;
