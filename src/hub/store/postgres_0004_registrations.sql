-- A registration claims its resident number: the registrations held already get their claim
-- (the earliest registration of each number holds it), and any later registration of a
-- number is listed as a duplicate, as the counters' fold lists it.
INSERT INTO claims (claim, id, counter_id, seq)
SELECT DISTINCT ON (claim) claim, id, counter_id, seq FROM (
    SELECT 'resident:' || (convert_from(body, 'UTF8')::jsonb -> 'body'
                -> 'resident_registered' ->> 'resident') AS claim,
           id, counter_id, seq
    FROM entries WHERE kind = 'resident_registered'
) AS r
ORDER BY claim, id
ON CONFLICT (claim) DO NOTHING;

INSERT INTO duplicates (counter_id, seq, claim)
SELECT e.counter_id, e.seq, c.claim
FROM entries e
JOIN claims c ON c.claim = 'resident:'
    || (convert_from(e.body, 'UTF8')::jsonb -> 'body' -> 'resident_registered' ->> 'resident')
WHERE e.kind = 'resident_registered' AND e.id != c.id
ON CONFLICT DO NOTHING;
