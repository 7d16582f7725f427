-- pointsdesk schema 9: the district's data keys from before a `hub rekey`.
--
-- `district.data_key` is the newest, which seals the resident keys this counter sends; the
-- earlier ones still open resident keys sealed before the rekey (a bundle from a counter that
-- has not synced since). Local to this counter, not a projection.
CREATE TABLE earlier_data_keys (
    data_key BLOB PRIMARY KEY
) STRICT, WITHOUT ROWID;
