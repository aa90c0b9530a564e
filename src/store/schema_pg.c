/*
 * The PostgreSQL schema as an ordered list of migration steps, the same shape as
 * schema_sqlite.c: step i brings a database from version i to i + 1 (the version is the one row
 * of aurum_schema). store_pg.c applies the missing steps in one transaction at open, holding a
 * transaction-level advisory lock so that several nodes starting at once migrate exactly once.
 * A later change adds tables by appending a step, never by editing an applied one.
 *
 * Mapping from the SQLite schema (docs/POSTGRES.md):
 * - INTEGER PRIMARY KEY rowids become bigint identity columns (records.id is the record number,
 *   events.seq and changes.seq the cursors); identity values are unique across nodes but, unlike
 *   SQLite's, are not in commit order (see docs/POSTGRES.md, change feed).
 * - hashes are bigint (the uint64 stored as its two's complement), API key hashes bytea, JSON
 *   documents text: the store keeps the bytes the engine wrote, it never queries inside them.
 * - WITHOUT ROWID tables become plain tables with the same primary key.
 * - text keys are COLLATE "C": byte order, as SQLite's BINARY, whatever the database's locale
 *   (orderings and prefix ranges agree across back-ends), and memcmp-fast comparisons.
 */
#include <stddef.h>

#include "store/store_pg_int.h"

static const char *const migrations[] = {
    /* 1: sources, records and their versions, events, API keys */
    "CREATE TABLE sources ("
    "  name text COLLATE \"C\" PRIMARY KEY,"
    "  definition text NOT NULL,"
    "  updated_ms bigint NOT NULL"
    ");"
    "CREATE TABLE records ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  source text COLLATE \"C\" NOT NULL,"
    "  record_id text COLLATE \"C\" NOT NULL,"
    "  version bigint NOT NULL,"
    "  hash bigint NOT NULL,"
    "  deleted boolean NOT NULL DEFAULT false,"
    "  UNIQUE (source, record_id)"
    ");"
    "CREATE TABLE record_versions ("
    "  rec bigint NOT NULL,"
    "  version bigint NOT NULL,"
    "  doc text,"
    "  hash bigint NOT NULL,"
    "  origin text NOT NULL,"
    "  at_ms bigint NOT NULL,"
    "  deleted boolean NOT NULL DEFAULT false,"
    "  PRIMARY KEY (rec, version)"
    ");"
    "CREATE TABLE events ("
    "  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  source text COLLATE \"C\" NOT NULL,"
    "  event_id text COLLATE \"C\" NOT NULL,"
    "  type text COLLATE \"C\" NOT NULL,"
    "  at_ms bigint NOT NULL,"
    "  received_ms bigint NOT NULL,"
    "  customer text,"
    "  properties text,"
    "  origin text NOT NULL,"
    "  UNIQUE (source, event_id)"
    ");"
    "CREATE TABLE api_keys ("
    "  id text COLLATE \"C\" PRIMARY KEY,"
    "  hash bytea NOT NULL UNIQUE,"
    "  scopes text NOT NULL,"
    "  name text,"
    "  created_ms bigint NOT NULL,"
    "  revoked_ms bigint NOT NULL DEFAULT 0"
    ");"
    /* record_put in one round trip (store_pg.c): insert the key or lock its current row,
     * compare the hash, write the next version. outcome is au_put_outcome. */
    "CREATE FUNCTION aurum_record_put(p_source text, p_record_id text, p_doc text,"
    "  p_hash bigint, p_origin text, p_at bigint,"
    "  OUT o_id bigint, OUT o_version bigint, OUT o_outcome integer)"
    " LANGUAGE plpgsql AS $$"
    " DECLARE c_version bigint; c_hash bigint; c_deleted boolean;"
    " BEGIN"
    "  INSERT INTO records(source, record_id, version, hash, deleted)"
    "   VALUES (p_source, p_record_id, 1, p_hash, false)"
    "   ON CONFLICT (source, record_id) DO NOTHING RETURNING id INTO o_id;"
    "  IF FOUND THEN"
    "   o_version := 1; o_outcome := 0;"
    "  ELSE"
    "   SELECT id, version, hash, deleted INTO o_id, c_version, c_hash, c_deleted FROM records"
    "    WHERE source = p_source AND record_id = p_record_id FOR UPDATE;"
    "   IF NOT c_deleted AND c_hash = p_hash THEN"
    "    o_version := c_version; o_outcome := 2; RETURN;"
    "   END IF;"
    "   o_outcome := CASE WHEN c_deleted THEN 0 ELSE 1 END;"
    "   o_version := c_version + 1;"
    "   UPDATE records SET version = o_version, hash = p_hash, deleted = false WHERE id = o_id;"
    "  END IF;"
    "  INSERT INTO record_versions(rec, version, doc, hash, origin, at_ms, deleted)"
    "   VALUES (o_id, o_version, p_doc, p_hash, p_origin, p_at, false);"
    " END $$;",

    /* 2: resolution: record -> profile assignments, vanished profiles, manual overrides, the
     * review queue, trained models and the change feed. */
    "CREATE TABLE assignments ("
    "  rec bigint PRIMARY KEY,"
    "  profile bigint NOT NULL"
    ");"
    "CREATE INDEX assignments_profile ON assignments(profile);"
    "CREATE TABLE profile_redirects ("
    "  from_profile bigint PRIMARY KEY,"
    "  into_profile bigint NOT NULL,"
    "  at_ms bigint NOT NULL"
    ");"
    "CREATE TABLE overrides ("
    "  a bigint NOT NULL,"
    "  b bigint NOT NULL,"
    "  kind text NOT NULL,"
    "  origin text NOT NULL,"
    "  at_ms bigint NOT NULL,"
    "  PRIMARY KEY (a, b)"
    ");"
    "CREATE TABLE review ("
    "  a bigint NOT NULL,"
    "  b bigint NOT NULL,"
    "  weight double precision NOT NULL,"
    "  at_ms bigint NOT NULL,"
    "  PRIMARY KEY (a, b)"
    ");"
    "CREATE INDEX review_weight ON review(weight DESC, a, b);"
    "CREATE TABLE models ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  model text NOT NULL,"
    "  at_ms bigint NOT NULL"
    ");"
    "CREATE TABLE changes ("
    "  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  profile bigint NOT NULL,"
    "  kind text NOT NULL,"
    "  other bigint,"
    "  source text,"
    "  record_id text,"
    "  at_ms bigint NOT NULL"
    ");",

    /* 3: profiles: identifier index of records (lookups, name search) and customer references
     * of events (timeline) */
    "CREATE TABLE profile_idents ("
    "  kind integer NOT NULL,"
    "  key text COLLATE \"C\" NOT NULL,"
    "  rec bigint NOT NULL,"
    "  PRIMARY KEY (kind, key, rec)"
    ");"
    "CREATE INDEX profile_idents_rec ON profile_idents(rec);"
    "CREATE TABLE event_refs ("
    "  ref text COLLATE \"C\" NOT NULL,"
    "  seq bigint NOT NULL,"
    "  PRIMARY KEY (ref, seq)"
    ");",

    /* 4: the data-quality ledger (current counts and per-day arrivals, docs/QUALITY.md) and the
     * inbound connectors' state and imported files (docs/CONNECTORS.md) */
    "CREATE TABLE quality ("
    "  source text COLLATE \"C\" NOT NULL,"
    "  attribute text COLLATE \"C\" NOT NULL,"
    "  status text COLLATE \"C\" NOT NULL,"
    "  reason text COLLATE \"C\" NOT NULL,"
    "  n bigint NOT NULL,"
    "  examples text,"
    "  PRIMARY KEY (source, attribute, status, reason)"
    ");"
    "CREATE TABLE quality_days ("
    "  source text COLLATE \"C\" NOT NULL,"
    "  day text COLLATE \"C\" NOT NULL,"
    "  attribute text COLLATE \"C\" NOT NULL,"
    "  status text COLLATE \"C\" NOT NULL,"
    "  reason text COLLATE \"C\" NOT NULL,"
    "  n bigint NOT NULL,"
    "  PRIMARY KEY (source, day, attribute, status, reason)"
    ");"
    "CREATE TABLE inbound_state ("
    "  source text COLLATE \"C\" PRIMARY KEY,"
    "  cursor text,"
    "  state text,"
    "  updated_ms bigint NOT NULL"
    ");"
    "CREATE TABLE inbound_files ("
    "  source text COLLATE \"C\" NOT NULL,"
    "  fingerprint text COLLATE \"C\" NOT NULL,"
    "  name text NOT NULL,"
    "  outcome text NOT NULL,"
    "  at_ms bigint NOT NULL,"
    "  PRIMARY KEY (source, fingerprint)"
    ");",

    /* 5: flows: definitions saved over the API, runs, the transactional outbox, dead letters
     * (docs/FLOWS.md) */
    "CREATE TABLE flows ("
    "  name text COLLATE \"C\" PRIMARY KEY,"
    "  definition text NOT NULL,"
    "  updated_ms bigint NOT NULL"
    ");"
    "CREATE TABLE flow_runs ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  flow text COLLATE \"C\" NOT NULL,"
    "  trigger text NOT NULL,"
    "  input text NOT NULL,"
    "  condition text,"
    "  steps text NOT NULL DEFAULT '{}',"
    "  status text NOT NULL,"
    "  error text,"
    "  pending integer NOT NULL DEFAULT 0,"
    "  attempts integer NOT NULL DEFAULT 0,"
    "  started_ms bigint NOT NULL,"
    "  finished_ms bigint NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX flow_runs_by_flow ON flow_runs(flow, id);"
    "CREATE INDEX flow_runs_started ON flow_runs(started_ms);"
    "CREATE TABLE outbox ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  flow text COLLATE \"C\" NOT NULL,"
    "  run_id bigint NOT NULL,"
    "  step_id text NOT NULL,"
    "  idem_key text COLLATE \"C\" NOT NULL UNIQUE,"
    "  partition_key text COLLATE \"C\" NOT NULL DEFAULT '',"
    "  status integer NOT NULL DEFAULT 0,"
    "  attempts integer NOT NULL DEFAULT 0,"
    "  next_ms bigint NOT NULL DEFAULT 0,"
    "  created_ms bigint NOT NULL,"
    "  last_error text"
    ");"
    "CREATE INDEX outbox_pending ON outbox(status, id);"
    "CREATE TABLE dead_letters ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  outbox_id bigint NOT NULL,"
    "  run_id bigint NOT NULL,"
    "  flow text COLLATE \"C\" NOT NULL,"
    "  step_id text NOT NULL,"
    "  request text,"
    "  response text,"
    "  reason text NOT NULL,"
    "  created_ms bigint NOT NULL,"
    "  replayed_ms bigint NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX dead_letters_by_flow ON dead_letters(flow, id);",
};

int au_pg_schema_version(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *au_pg_migration(int i)
{
    return i >= 0 && i < au_pg_schema_version() ? migrations[i] : NULL;
}
