-- Schema 2: the hub knows a counter by its community and code; a grant registers one
-- certificate, once; a counter can be revoked; refused enrolments are kept.
ALTER TABLE enrolments ADD COLUMN community TEXT;
ALTER TABLE enrolments ADD COLUMN registered_key BYTEA;
ALTER TABLE enrolments ADD COLUMN registered_at TEXT;
UPDATE enrolments SET community =
    (SELECT s.community FROM series s WHERE s.code = enrolments.code ORDER BY s.position LIMIT 1);
UPDATE enrolments SET
    registered_key = (SELECT c.public_key FROM certificates c
        WHERE ((c.certificate::json -> 'grant' ->> 'body')::json ->> 'grant_id') = enrolments.grant_id
        ORDER BY c.received_at LIMIT 1),
    registered_at = (SELECT c.received_at FROM certificates c
        WHERE ((c.certificate::json -> 'grant' ->> 'body')::json ->> 'grant_id') = enrolments.grant_id
        ORDER BY c.received_at LIMIT 1);
CREATE INDEX enrolments_by_community ON enrolments (community, counter);
CREATE TABLE enrolment_refusals (
    id         BIGSERIAL PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    code       TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX enrolment_refusals_by_code ON enrolment_refusals (code);
CREATE TABLE revoked (
    counter_id BYTEA PRIMARY KEY,
    code       TEXT NOT NULL,
    at         TEXT NOT NULL
);
