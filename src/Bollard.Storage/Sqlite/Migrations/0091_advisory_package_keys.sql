-- Issue 8: advisory_packages by index key, so a one-shot scan (bollard scan) reads only the advisories naming the
-- image's packages (IAdvisoryStore.ReadByKeysAsync) instead of deserializing the whole database. The table is
-- WITHOUT ROWID, so the index carries its primary key (feed, advisory_id) and the lookup never touches the table.
CREATE INDEX advisory_packages_key ON advisory_packages(type, release, name);
