-- Whom each passbook token was issued to, and whether it was revoked: a passbook number whose
-- active tokens name two people (two series of a counter that numbered in one block issued
-- it) is listed by `hub report`, as every counter lists it. Filled from the entries held.
CREATE TABLE passbook_tokens (
    token_sha256 TEXT PRIMARY KEY,
    passbook     TEXT NOT NULL,
    resident     TEXT NOT NULL DEFAULT '',
    revoked      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX passbook_tokens_by_passbook ON passbook_tokens (passbook);
INSERT INTO passbook_tokens (token_sha256, passbook, resident, revoked)
    SELECT b -> 'passbook_issued' ->> 'token_sha256', b -> 'passbook_issued' ->> 'passbook',
           b -> 'passbook_issued' ->> 'resident', FALSE
    FROM (SELECT convert_from(body, 'UTF8')::jsonb -> 'body' AS b FROM entries
          WHERE kind = 'passbook_issued') issued
    ON CONFLICT (token_sha256) DO NOTHING;
INSERT INTO passbook_tokens (token_sha256, passbook, resident, revoked)
    SELECT b -> 'passbook_revoked' ->> 'token_sha256', b -> 'passbook_revoked' ->> 'passbook',
           '', TRUE
    FROM (SELECT convert_from(body, 'UTF8')::jsonb -> 'body' AS b FROM entries
          WHERE kind = 'passbook_revoked') revoked
    ON CONFLICT (token_sha256) DO UPDATE SET revoked = TRUE;
