-- hub.db schema 3: the hub knows a counter by its community and code; a grant registers one
-- certificate, once; a counter can be revoked; refused enrolments are kept.

-- The community an enrolment is for (known from `hub enroll --community`, else from the
-- counter's series), and the key its grant registered (a grant is used once).
ALTER TABLE enrolments ADD COLUMN community TEXT;
ALTER TABLE enrolments ADD COLUMN registered_key BLOB;
ALTER TABLE enrolments ADD COLUMN registered_at TEXT;
UPDATE enrolments SET community =
    (SELECT s.community FROM series s WHERE s.code = enrolments.code ORDER BY s.position LIMIT 1);
-- Grants that already registered a certificate stay used by it.
UPDATE enrolments SET
    registered_key = (SELECT c.public_key FROM certificates c
        WHERE json_extract(json_extract(c.certificate, '$.grant.body'), '$.grant_id') = enrolments.grant_id
        ORDER BY c.received_at LIMIT 1),
    registered_at = (SELECT c.received_at FROM certificates c
        WHERE json_extract(json_extract(c.certificate, '$.grant.body'), '$.grant_id') = enrolments.grant_id
        ORDER BY c.received_at LIMIT 1);
CREATE INDEX enrolments_by_community ON enrolments (community, counter);

-- Certificates a grant was refused for (used already, expired, another counter's series …).
CREATE TABLE enrolment_refusals (
    id         INTEGER PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    code       TEXT NOT NULL,
    public_key BLOB NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL
) STRICT;
CREATE INDEX enrolment_refusals_by_code ON enrolment_refusals (code);

-- Series of revoked counters (a lost or stolen PC): their keys sign nothing from then on.
CREATE TABLE revoked (
    counter_id BLOB PRIMARY KEY,
    code       TEXT NOT NULL,
    at         TEXT NOT NULL
) STRICT;
