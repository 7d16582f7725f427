-- pointsdesk schema 7: what reports add up, per local day and counter.
--
-- `tallies`: earnings by activity (minutes, points), redemptions by item (units, points) and
-- adjustments, with reversals counted negated on the day they are made. `served`: the
-- passbooks that earned or redeemed at a counter on a day (residents served, counted
-- distinct over any period). Both are projections: filled from the log when the database is
-- next opened.
CREATE TABLE tallies (
    day     TEXT NOT NULL,
    home    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    count   INTEGER NOT NULL,
    qty     INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    points  INTEGER NOT NULL,
    PRIMARY KEY (day, home, kind, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE served (
    day      TEXT NOT NULL,
    home     TEXT NOT NULL,
    passbook TEXT NOT NULL,
    seen     INTEGER NOT NULL,
    PRIMARY KEY (day, home, passbook)
) STRICT, WITHOUT ROWID;

INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', '7');
