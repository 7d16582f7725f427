-- pointsdesk schema 13: whom each passbook token was issued to.
--
-- Two series of one counter that numbered in the same block (a PC restored twice and lost
-- before the hub saw its newest series) can issue one passbook number to two people whose
-- resident numbers differ: both QR codes then opened one balance. A token now carries the
-- resident its issue named, so a number whose active tokens name two people is frozen and
-- listed until an administrator sorts it out. The fold fills the column for tokens held.
ALTER TABLE passbook_tokens ADD COLUMN resident TEXT NOT NULL DEFAULT '';
CREATE INDEX passbook_tokens_by_passbook ON passbook_tokens (passbook);

INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', '13');
