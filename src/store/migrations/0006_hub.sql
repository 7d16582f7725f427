-- pointsdesk schema 6: the hub this counter syncs with over the network.
--
-- Local to this counter, not projections: the address `sync enroll --hub` gave, and the hub's
-- certificate authority (PEM) when the street office uses its own.
ALTER TABLE district ADD COLUMN hub_url TEXT;
ALTER TABLE district ADD COLUMN hub_ca TEXT;
