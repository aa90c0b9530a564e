/*
 * The SQLite schema as an ordered list of migration steps. Step i brings a database from
 * user_version i to i + 1; au_sqlite_migrate applies the missing steps in one transaction at open,
 * so an existing store is upgraded in place and opening an up-to-date store changes nothing.
 * A later issue adds tables by appending a step here, never by editing an applied one.
 *
 * Layout notes (the bulk import writes through these tables, so they are shaped for it):
 * - records holds one compact row per (source, record_id): current version, hash and deleted flag.
 *   Its rowid is the internal record number that profiles, clusters and indexes will refer to.
 * - versions (record_versions before step 9, now a view of it) holds every version, document
 *   included, keyed by (rec, version) WITHOUT ROWID, so a fresh load appends to the end of one
 *   b-tree and history is a range scan. Documents are packed (store_sqlite_doc.c).
 * - versions.rec deliberately has no REFERENCES clause: the only writer of both tables is
 *   record_put/record_delete, and a foreign-key probe per inserted version costs measurable
 *   import throughput. foreign_keys is on for the tables that do declare them.
 * - events.seq and the rowids are monotonically increasing: they can serve as cursors later
 *   (change feed, outbox) without another counter.
 */
#include "store/store_sqlite_int.h"

static const char *const migrations[] = {
    /* 1: sources, records and their versions, events, API keys */
    "CREATE TABLE sources ("
    "  name TEXT PRIMARY KEY,"
    "  definition TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE records ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  record_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  hash INTEGER NOT NULL,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (source, record_id)"
    ");"
    "CREATE TABLE record_versions ("
    "  rec INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  doc TEXT,"
    "  hash INTEGER NOT NULL,"
    "  origin TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (rec, version)"
    ") WITHOUT ROWID;"
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  received_ms INTEGER NOT NULL,"
    "  customer TEXT,"
    "  properties TEXT,"
    "  origin TEXT NOT NULL,"
    "  UNIQUE (source, event_id)"
    ");"
    "CREATE TABLE api_keys ("
    "  id TEXT PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  scopes TEXT NOT NULL,"
    "  name TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  revoked_ms INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;",

    /* 2: resolution: record -> profile assignments (keyed by records.id), vanished profiles,
     * manual overrides, the review queue, trained models and the change feed. */
    "CREATE TABLE assignments ("
    "  rec INTEGER PRIMARY KEY,"
    "  profile INTEGER NOT NULL"
    ");"
    "CREATE INDEX assignments_profile ON assignments(profile);"
    "CREATE TABLE profile_redirects ("
    "  from_profile INTEGER PRIMARY KEY,"
    "  into_profile INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE overrides ("
    "  a INTEGER NOT NULL,"
    "  b INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  origin TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (a, b)"
    ") WITHOUT ROWID;"
    "CREATE TABLE review ("
    "  a INTEGER NOT NULL,"
    "  b INTEGER NOT NULL,"
    "  weight REAL NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (a, b)"
    ") WITHOUT ROWID;"
    "CREATE TABLE models ("
    "  id INTEGER PRIMARY KEY,"
    "  model TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE changes ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  profile INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  other INTEGER,"
    "  source TEXT,"
    "  record_id TEXT,"
    "  at_ms INTEGER NOT NULL"
    ");",

    /* 3: profiles: identifier index of records (lookups, name search) and customer references
     * of events (timeline) */
    "CREATE TABLE profile_idents ("
    "  kind INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  rec INTEGER NOT NULL,"
    "  PRIMARY KEY (kind, key, rec)"
    ") WITHOUT ROWID;"
    "CREATE INDEX profile_idents_rec ON profile_idents(rec);"
    "CREATE TABLE event_refs ("
    "  ref TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (ref, seq)"
    ") WITHOUT ROWID;",

    /* 4: flows: definitions saved over the API, runs, the transactional outbox, dead letters.
     * IF NOT EXISTS because the step's position depends on whether steps 2 and 3 exist. */
    "CREATE TABLE IF NOT EXISTS flows ("
    "  name TEXT PRIMARY KEY,"
    "  definition TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS flow_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  flow TEXT NOT NULL,"
    "  trigger TEXT NOT NULL,"
    "  input TEXT NOT NULL,"
    "  condition TEXT,"
    "  steps TEXT NOT NULL DEFAULT '{}',"
    "  status TEXT NOT NULL,"
    "  error TEXT,"
    "  pending INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  started_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX IF NOT EXISTS flow_runs_by_flow ON flow_runs(flow, id);"
    "CREATE TABLE IF NOT EXISTS outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  flow TEXT NOT NULL,"
    "  run_id INTEGER NOT NULL,"
    "  step_id TEXT NOT NULL,"
    "  idem_key TEXT NOT NULL UNIQUE,"
    "  partition_key TEXT NOT NULL DEFAULT '',"
    "  status INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_ms INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
    "  last_error TEXT"
    ");"
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, id);"
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    "  id INTEGER PRIMARY KEY,"
    "  outbox_id INTEGER NOT NULL,"
    "  run_id INTEGER NOT NULL,"
    "  flow TEXT NOT NULL,"
    "  step_id TEXT NOT NULL,"
    "  request TEXT,"
    "  response TEXT,"
    "  reason TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  replayed_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX IF NOT EXISTS dead_letters_by_flow ON dead_letters(flow, id);",

    /* 5: the data-quality ledger: per source and attribute the current counts of valid and
     * quarantined values (by reason code, with a few example record ids) and the source's live
     * record count (attribute ''), and the same counts of what arrived per UTC day. Kept
     * incrementally by src/core/quality.c, one upsert per touched key and transaction. */
    "CREATE TABLE IF NOT EXISTS quality ("
    "  source TEXT NOT NULL,"
    "  attribute TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  examples TEXT,"
    "  PRIMARY KEY (source, attribute, status, reason)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS quality_days ("
    "  source TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  attribute TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (source, day, attribute, status, reason)"
    ") WITHOUT ROWID;",

    /* 6 (privacy, docs/PRIVACY.md): the receipts of erasures (hashed identifiers, who, when,
     * what was removed) and the suppression list of hashed identifiers refused on re-import. */
    "CREATE TABLE IF NOT EXISTS erasures ("
    "  id INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  profile INTEGER NOT NULL,"
    "  identifiers TEXT NOT NULL,"
    "  counts TEXT NOT NULL,"
    "  suppress INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE IF NOT EXISTS suppressions ("
    "  hash TEXT PRIMARY KEY,"
    "  erasure INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    /* 7 (audit, docs/SECURITY.md): the append-only audit log of reads and changes of personal
     * data, hash-chained by src/audit (ids are consecutive: a hole is a removed entry), and the
     * anchor a retention sweep leaves (the hash of the newest entry it removed). Entries name
     * profiles and record numbers, never values or source record ids, so erasure leaves them. */
    "CREATE TABLE IF NOT EXISTS audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  client TEXT NOT NULL,"
    "  route TEXT NOT NULL,"
    "  profiles TEXT NOT NULL,"
    "  records TEXT NOT NULL,"
    "  hash BLOB NOT NULL"
    ");"
    "CREATE TABLE IF NOT EXISTS audit_anchor ("
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  id INTEGER NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  at_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX IF NOT EXISTS audit_at ON audit(at_ms);"
    "CREATE INDEX IF NOT EXISTS flow_runs_started ON flow_runs(started_ms);",
    /* 8 (inbound connectors, docs/CONNECTORS.md): per source the cursor its connector resumes
     * from and its run state (JSON), and the fingerprints of the files a file drop imported. */
    "CREATE TABLE IF NOT EXISTS inbound_state ("
    "  source TEXT PRIMARY KEY,"
    "  cursor TEXT,"
    "  state TEXT,"
    "  updated_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS inbound_files ("
    "  source TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (source, fingerprint)"
    ") WITHOUT ROWID;",

    /* 9 (disk, docs/STORE.md): the slimmer versions table. Documents are stored packed
     * (au_doc_pack: deflate with a preset dictionary of the schema's keys, store_sqlite_doc.c)
     * and origins by number (a handful of distinct strings repeated on every version), which
     * takes a version row from ~750 to ~210 bytes. The old rows are converted in place, in key
     * order (an append to the new b-tree); DROP TABLE zeroes the old pages (secure_delete).
     * record_versions becomes a view with the old columns, so SQL that read it still works
     * (it needs au_doc_text, registered on every connection the store opens). */
    "CREATE TABLE origins ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE"
    ");"
    "INSERT INTO origins(name) VALUES ('erasure');"
    "INSERT OR IGNORE INTO origins(name) SELECT DISTINCT origin FROM record_versions;"
    "CREATE TABLE versions ("
    "  rec INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  doc BLOB,"
    "  hash INTEGER NOT NULL,"
    "  origin INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (rec, version)"
    ") WITHOUT ROWID;"
    "INSERT INTO versions(rec, version, doc, hash, origin, at_ms, deleted) "
    "  SELECT v.rec, v.version, au_doc_pack(v.doc), v.hash, o.id, v.at_ms, v.deleted "
    "  FROM record_versions v JOIN origins o ON o.name = v.origin ORDER BY v.rec, v.version;"
    "DROP TABLE record_versions;"
    "CREATE VIEW record_versions AS"
    "  SELECT v.rec, v.version, au_doc_text(v.doc) AS doc, v.hash, o.name AS origin, v.at_ms,"
    "  v.deleted FROM versions v JOIN origins o ON o.id = v.origin;",
};

int au_sqlite_schema_version(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *au_sqlite_migration(int i)
{
    return i >= 0 && i < au_sqlite_schema_version() ? migrations[i] : NULL;
}
