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

    /* 6: privacy (docs/PRIVACY.md): erasure receipts, the suppression list of hashed
     * identifiers, and the purge of a data subject as one function (store_pg_privacy.c), so
     * an erasure is one round trip whatever the number of records; and audit
     * (docs/SECURITY.md): the hash-chained log (ids consecutive, set by src/audit) and the
     * anchor a retention sweep leaves. */
    "CREATE TABLE erasures ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  at_ms bigint NOT NULL,"
    "  key_id text NOT NULL,"
    "  profile bigint NOT NULL,"
    "  identifiers text NOT NULL,"
    "  counts text NOT NULL,"
    "  suppress integer NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE suppressions ("
    "  hash text COLLATE \"C\" PRIMARY KEY,"
    "  erasure bigint NOT NULL,"
    "  at_ms bigint NOT NULL"
    ");"
    "CREATE TABLE audit ("
    "  id bigint PRIMARY KEY,"
    "  at_ms bigint NOT NULL,"
    "  action text NOT NULL,"
    "  key_id text COLLATE \"C\" NOT NULL,"
    "  client text NOT NULL,"
    "  route text COLLATE \"C\" NOT NULL,"
    "  profiles text NOT NULL,"
    "  records text NOT NULL,"
    "  hash bytea NOT NULL"
    ");"
    "CREATE INDEX audit_at ON audit(at_ms);"
    "CREATE TABLE audit_anchor ("
    "  one integer PRIMARY KEY CHECK (one = 1),"
    "  id bigint NOT NULL,"
    "  hash bytea NOT NULL,"
    "  at_ms bigint NOT NULL"
    ");"
    /* The steps and their order are those of store_sqlite_privacy.c: runs are collected
     * before their rows go, versions before the tombstone. */
    "CREATE FUNCTION aurum_subject_purge(p_members jsonb, p_refs jsonb, p_needles jsonb,"
    "  p_at bigint, OUT o_records bigint, OUT o_versions bigint, OUT o_events bigint,"
    "  OUT o_runs bigint, OUT o_dead bigint, OUT o_outbox bigint, OUT o_changes bigint)"
    " LANGUAGE plpgsql AS $$"
    " DECLARE recs bigint[]; runs bigint[]; needles text[]; refs text[];"
    " BEGIN"
    "  SELECT coalesce(array_agg((m->>'no')::bigint), '{}') INTO recs"
    "   FROM jsonb_array_elements(p_members) m;"
    "  SELECT coalesce(array_agg(n), '{}') INTO needles FROM jsonb_array_elements_text(p_needles) "
    "n;"
    "  SELECT coalesce(array_agg(r), '{}') INTO refs FROM jsonb_array_elements_text(p_refs) r;"
    "  SELECT coalesce(array_agg(DISTINCT x.id), '{}') INTO runs FROM ("
    "   SELECT f.id FROM flow_runs f WHERE EXISTS (SELECT 1 FROM unnest(needles) n"
    "    WHERE strpos(f.input, n) > 0 OR strpos(f.steps, n) > 0 OR strpos(f.error, n) > 0)"
    "   UNION SELECT d.run_id FROM dead_letters d WHERE EXISTS (SELECT 1 FROM unnest(needles) n"
    "    WHERE strpos(d.request, n) > 0 OR strpos(d.response, n) > 0)) x;"
    "  DELETE FROM outbox WHERE run_id = ANY(runs); GET DIAGNOSTICS o_outbox = ROW_COUNT;"
    "  DELETE FROM dead_letters WHERE run_id = ANY(runs); GET DIAGNOSTICS o_dead = ROW_COUNT;"
    "  DELETE FROM flow_runs WHERE id = ANY(runs); GET DIAGNOSTICS o_runs = ROW_COUNT;"
    "  DELETE FROM events e WHERE e.seq IN (SELECT seq FROM event_refs WHERE ref = ANY(refs))"
    "   OR EXISTS (SELECT 1 FROM unnest(needles) n WHERE strpos(e.customer, n) > 0);"
    "  GET DIAGNOSTICS o_events = ROW_COUNT;"
    "  DELETE FROM event_refs r WHERE r.ref = ANY(refs)"
    "   OR NOT EXISTS (SELECT 1 FROM events e WHERE e.seq = r.seq);"
    "  UPDATE changes c SET source = NULL, record_id = NULL WHERE EXISTS (SELECT 1 FROM"
    "   jsonb_array_elements(p_members) m WHERE m->>'s' = c.source AND m->>'r' = c.record_id);"
    "  GET DIAGNOSTICS o_changes = ROW_COUNT;"
    "  UPDATE quality q SET examples = (SELECT coalesce(jsonb_agg(e), '[]'::jsonb)::text"
    "   FROM jsonb_array_elements(q.examples::jsonb) e WHERE NOT EXISTS (SELECT 1 FROM"
    "   jsonb_array_elements(p_members) m WHERE m->>'s' = q.source AND m->>'r' = e #>> '{}'))"
    "   WHERE q.examples IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements(p_members) m"
    "   WHERE m->>'s' = q.source AND strpos(q.examples, to_jsonb(m->>'r')::text) > 0);"
    "  DELETE FROM profile_idents WHERE rec = ANY(recs);"
    "  DELETE FROM assignments WHERE rec = ANY(recs);"
    "  DELETE FROM overrides WHERE a = ANY(recs) OR b = ANY(recs);"
    "  DELETE FROM review WHERE a = ANY(recs) OR b = ANY(recs);"
    "  DELETE FROM record_versions WHERE rec = ANY(recs); GET DIAGNOSTICS o_versions = ROW_COUNT;"
    "  UPDATE records SET record_id = 'erased:' || id, hash = 0, deleted = true"
    "   WHERE id = ANY(recs);"
    "  GET DIAGNOSTICS o_records = ROW_COUNT;"
    "  INSERT INTO record_versions(rec, version, doc, hash, origin, at_ms, deleted)"
    "   SELECT id, version, NULL, 0, 'erasure', p_at, true FROM records WHERE id = ANY(recs);"
    " END $$;",
    /* 7: several nodes on one database (docs/POSTGRES.md): profile numbers from one sequence,
     * a high-water mark that only moves forward (never below a number already used, so an
     * erased profile's number is not handed out again) */
    "CREATE SEQUENCE profile_numbers AS bigint MINVALUE 0 START WITH 0;"
    "SELECT setval('profile_numbers', greatest("
    "  coalesce((SELECT max(profile) FROM assignments), 0),"
    "  coalesce((SELECT max(from_profile) FROM profile_redirects), 0)));",

    /* 8: flows on several nodes (docs/POSTGRES.md): an outbox row is leased by the node
     * sending it (claimed_by, lease_until in Unix ms) so no other node sends it while the lease
     * runs; schedule_fires holds one row per firing of a schedule, so a firing runs once
     * whichever nodes see it due. */
    "ALTER TABLE outbox ADD COLUMN claimed_by text COLLATE \"C\","
    "  ADD COLUMN lease_until bigint NOT NULL DEFAULT 0;"
    "CREATE INDEX outbox_claimed ON outbox(claimed_by) WHERE claimed_by IS NOT NULL;"
    "CREATE TABLE schedule_fires ("
    "  name text COLLATE \"C\" NOT NULL,"
    "  at_s bigint NOT NULL,"
    "  node text NOT NULL,"
    "  claimed_ms bigint NOT NULL,"
    "  PRIMARY KEY (name, at_s)"
    ");",
};

int au_pg_schema_version(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *au_pg_migration(int i)
{
    return i >= 0 && i < au_pg_schema_version() ? migrations[i] : NULL;
}
