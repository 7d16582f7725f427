-- Claims, duplicates and passbook tokens are looked up and written by every push, keyed by
-- text that is no one's language (`txn:<origin>:<txn>`, a hex digest): compared byte by byte
-- (collation "C") their indexes need no locale's rules, which cost the ingest of a million
-- entries a third of its time on a database created with a locale (C.UTF-8, zh_CN.UTF-8).
ALTER TABLE claims ALTER COLUMN claim TYPE TEXT COLLATE "C";
ALTER TABLE duplicates ALTER COLUMN claim TYPE TEXT COLLATE "C";
ALTER TABLE passbook_tokens ALTER COLUMN token_sha256 TYPE TEXT COLLATE "C";
