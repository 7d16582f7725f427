-- Local, not a projection: a keyed seal over each passbook balance this counter wrote or
-- checked (account, points, the position of its newest posting), so that a debit can trust the
-- balances row without verifying a signature, and a row changed by hand fails its seal.
CREATE TABLE balance_seals (
    account  TEXT PRIMARY KEY,
    points   INTEGER NOT NULL,
    position INTEGER NOT NULL,
    seal     BLOB NOT NULL
) STRICT;
