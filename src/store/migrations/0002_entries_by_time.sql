-- Reports cut days by local time: find a day's entries without reading the whole log.
CREATE INDEX entries_by_recorded_at ON entries (recorded_at);
