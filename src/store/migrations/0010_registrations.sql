-- pointsdesk schema 10: a resident number registered twice.
--
-- A registration claims its resident number (`resident:<number>` in `claims`); a second
-- registration of the number is a duplicate, and the number's passbook is frozen until an
-- administrator resolves it. `resolved_registrations` holds the registrations resolved so.
-- A passbook's row is now its latest issue whichever order the issues arrive in. The fold
-- fills the claims of the registrations held already.
CREATE TABLE resolved_registrations (
    resident TEXT NOT NULL,
    entry    BLOB NOT NULL,
    PRIMARY KEY (resident, entry)
) STRICT, WITHOUT ROWID;

INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', '10');
