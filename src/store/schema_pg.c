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
 */
#include <stddef.h>

#include "store/store_pg_int.h"

static const char *const migrations[] = {
    /* 1: sources, records and their versions, events, API keys */
    "CREATE TABLE sources ("
    "  name text PRIMARY KEY,"
    "  definition text NOT NULL,"
    "  updated_ms bigint NOT NULL"
    ");"
    "CREATE TABLE records ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  source text NOT NULL,"
    "  record_id text NOT NULL,"
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
    "  source text NOT NULL,"
    "  event_id text NOT NULL,"
    "  type text NOT NULL,"
    "  at_ms bigint NOT NULL,"
    "  received_ms bigint NOT NULL,"
    "  customer text,"
    "  properties text,"
    "  origin text NOT NULL,"
    "  UNIQUE (source, event_id)"
    ");"
    "CREATE TABLE api_keys ("
    "  id text PRIMARY KEY,"
    "  hash bytea NOT NULL UNIQUE,"
    "  scopes text NOT NULL,"
    "  name text,"
    "  created_ms bigint NOT NULL,"
    "  revoked_ms bigint NOT NULL DEFAULT 0"
    ");",

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
};

int au_pg_schema_version(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *au_pg_migration(int i)
{
    return i >= 0 && i < au_pg_schema_version() ? migrations[i] : NULL;
}
