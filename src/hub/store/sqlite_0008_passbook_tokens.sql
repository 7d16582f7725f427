-- Whom each passbook token was issued to, and whether it was revoked: a passbook number whose
-- active tokens name two people (two series of a counter that numbered in one block issued
-- it) is listed by `hub report`, as every counter lists it. Filled from the entries held.
CREATE TABLE passbook_tokens (
    token_sha256 TEXT PRIMARY KEY,
    passbook     TEXT NOT NULL,
    resident     TEXT NOT NULL DEFAULT '',
    revoked      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX passbook_tokens_by_passbook ON passbook_tokens (passbook);
INSERT INTO passbook_tokens (token_sha256, passbook, resident, revoked)
    SELECT json_extract(CAST(body AS TEXT), '$.body.passbook_issued.token_sha256'),
           json_extract(CAST(body AS TEXT), '$.body.passbook_issued.passbook'),
           json_extract(CAST(body AS TEXT), '$.body.passbook_issued.resident'), 0
    FROM entries WHERE kind = 'passbook_issued'
    ON CONFLICT (token_sha256) DO NOTHING;
INSERT INTO passbook_tokens (token_sha256, passbook, resident, revoked)
    SELECT json_extract(CAST(body AS TEXT), '$.body.passbook_revoked.token_sha256'),
           json_extract(CAST(body AS TEXT), '$.body.passbook_revoked.passbook'), '', 1
    FROM entries WHERE kind = 'passbook_revoked'
    ON CONFLICT (token_sha256) DO UPDATE SET revoked = 1;
