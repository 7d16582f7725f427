-- The 单号 printed on a slip is the last 8 characters of its txn: find a txn by it (or by the
-- start of it) without reading the whole log.
CREATE INDEX entries_by_short_txn ON entries (substr(txn, -8)) WHERE txn IS NOT NULL;
