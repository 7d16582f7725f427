-- A registration claims its resident number: the registrations held already get their claim
-- (the earliest registration of each number holds it), and any later registration of a
-- number is listed as a duplicate, as the counters' fold lists it.
INSERT OR IGNORE INTO claims (claim, id, counter_id, seq)
SELECT 'resident:' || json_extract(CAST(body AS TEXT), '$.body.resident_registered.resident'),
       MIN(id), counter_id, seq
FROM entries WHERE kind = 'resident_registered'
GROUP BY 1;

INSERT OR IGNORE INTO duplicates (counter_id, seq, claim)
SELECT e.counter_id, e.seq, c.claim
FROM entries e
JOIN claims c ON c.claim = 'resident:'
    || json_extract(CAST(e.body AS TEXT), '$.body.resident_registered.resident')
WHERE e.kind = 'resident_registered' AND e.id != c.id;
