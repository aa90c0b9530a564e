/*
 * Store conformance tests, written against the au_store_* API only, so each case runs on every
 * back-end: CASE(name) defines store/<name> on SQLite and store_pg/<name> on a real PostgreSQL
 * (pgsuite.h: one server per run of test_unit, started by a report hook in the
 * runner process, one fresh database per test), with the same assertions. Covered: upsert
 * outcomes and versions, history, deletes and re-inserts, events idempotency, API keys,
 * sources, savepoints, reopening and migrations, readers, allocation failures and the
 * resolution domain. Tests named store/ only are about SQLite's files and directories;
 * store_pg/ only, about what PostgreSQL adds (locations, concurrent migration, aborted
 * transactions, domains not implemented yet).
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "store/store.h"

#include "../../support/fault.h"
#include "../../support/spawn.h"
#include "pgsuite.h"

static char dir[64];
static char loc[256]; /* the location every case opens: a directory or a postgres:// URI */
static au_store *st;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static au_store *open_at(const char *where, au_store_mode mode)
{
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_store_open(where, mode, &s, &err), AU_OK, "%s: %s", where, err.message);
    au_err_cleanup(&err);
    return s;
}

static void store_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aurum-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    /* a directory that does not exist yet: open must create it */
    snprintf(loc, sizeof(loc), "%s/data/inner", dir);
    st = open_at(loc, AU_STORE_RW);
}

static void store_teardown(void)
{
    au_store_close(st);
    st = NULL;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh database per test on the run's server (pgsuite.h). */
static void pg_setup(void)
{
    au_pgsuite_database(loc, sizeof(loc));
    dir[0] = 0;
    st = open_at(loc, AU_STORE_RW);
}

static void pg_teardown(void)
{
    au_store_close(st);
    st = NULL;
    au_pgrun_drop_mine();
}

static au_store *reopen(au_store_mode mode)
{
    return open_at(loc, mode);
}

TestSuite(store, .init = store_setup, .fini = store_teardown);
TestSuite(store_pg, .init = pg_setup, .fini = pg_teardown);

/* One body, two tests: store/<name> (SQLite) and store_pg/<name> (PostgreSQL). */
#define CASE(name)                                                                                 \
    static void name(void);                                                                        \
    Test(store, name)                                                                              \
    {                                                                                              \
        name();                                                                                    \
    }                                                                                              \
    Test(store_pg, name)                                                                           \
    {                                                                                              \
        name();                                                                                    \
    }                                                                                              \
    static void name(void)

static au_put_outcome put(au_store *s, const char *id, const char *doc, uint64_t hash,
                          int64_t *version)
{
    au_record_row row = {"crm", id, doc, hash, "test", 1000};
    au_put_outcome o;
    cr_assert_eq(au_store_record_put(s, &row, &o, version), AU_OK);
    return o;
}

Test(store, location_creates_the_directory_and_names_the_backend)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/data/inner/aurum.db", dir);
    cr_assert_eq(access(path, F_OK), 0, "aurum.db created in the directory");
    cr_assert_str_eq(au_store_backend(st), "sqlite");

    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    snprintf(path, sizeof(path), "sqlite:%s/other", dir);
    cr_assert_eq(au_store_open(path, AU_STORE_RW, &s, &err), AU_OK, "%s", err.message);
    au_store_close(s);
    snprintf(path, sizeof(path), "%s/other/aurum.db", dir);
    cr_assert_eq(access(path, F_OK), 0);
    cr_assert_eq(au_store_open("nosuchbackend:x", AU_STORE_RW, &s, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "nosuchbackend"));
    au_err_cleanup(&err);
}

static unsigned mode_of(const char *fmt, const char *name)
{
    char path[160];
    struct stat sb;
    snprintf(path, sizeof(path), fmt, dir, name);
    cr_assert_eq(stat(path, &sb), 0, "%s exists", path);
    return (unsigned)(sb.st_mode & 0777);
}

/* Whatever the umask: the directories 0700, the database and its WAL and SHM files 0600, and
 * a store file left 0644 by an older version is made 0600 when opened for writing. */
Test(store, directory_and_files_are_private_whatever_the_umask)
{
    mode_t old = umask(0);
    au_store_close(st);
    st = reopen(AU_STORE_RW);
    int64_t v;
    put(st, "c-1", "{}", 1, &v); /* a write makes the WAL and SHM files */
    cr_assert_eq(mode_of("%s/%s", "data"), 0700);
    cr_assert_eq(mode_of("%s/data/%s", "inner"), 0700);
    cr_assert_eq(mode_of("%s/data/inner/%s", "aurum.db"), 0600);
    cr_assert_eq(mode_of("%s/data/inner/%s", "aurum.db-wal"), 0600);
    cr_assert_eq(mode_of("%s/data/inner/%s", "aurum.db-shm"), 0600);
    au_store_close(st);
    char path[160];
    snprintf(path, sizeof(path), "%s/data/inner/aurum.db", dir);
    cr_assert_eq(chmod(path, 0644), 0);
    st = reopen(AU_STORE_RW);
    cr_assert_eq(mode_of("%s/data/inner/%s", "aurum.db"), 0600);
    umask(old);
}

CASE(put_unchanged_update_delete_reinsert)
{
    int64_t v = -1;
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(put(st, "r1", "{\"a\":1}", 11, &v), AU_PUT_INSERTED);
    cr_assert_eq(v, 1);
    cr_assert_eq(put(st, "r1", "{\"a\":1}", 11, &v), AU_PUT_UNCHANGED);
    cr_assert_eq(v, 1, "an unchanged put reports the current version");
    cr_assert_eq(put(st, "r1", "{\"a\":2}", 22, &v), AU_PUT_UPDATED);
    cr_assert_eq(v, 2);
    cr_assert_eq(au_store_record_delete(st, "crm", "r1", "test", 2000), AU_OK);
    cr_assert_eq(au_store_record_delete(st, "crm", "r1", "test", 2000), AU_ERR_NOT_FOUND,
                 "deleting a deleted record");
    cr_assert_eq(au_store_record_delete(st, "crm", "nope", "test", 2000), AU_ERR_NOT_FOUND);
    cr_assert_eq(put(st, "r1", "{\"a\":2}", 22, &v), AU_PUT_INSERTED,
                 "same content as before the delete is a re-insert");
    cr_assert_eq(v, 4);
    cr_assert_eq(au_store_commit(st), AU_OK);

    au_record_out r;
    cr_assert_eq(au_store_record_get(st, "crm", "r1", 0, &r), AU_OK);
    cr_assert_eq(r.version, 4);
    cr_assert_str_eq(r.doc, "{\"a\":2}");
    cr_assert_str_eq(r.source, "crm");
    cr_assert_str_eq(r.record_id, "r1");
    cr_assert_eq(r.hash, 22);
    cr_assert_eq(r.deleted, 0);
    au_record_out_cleanup(&r);
    cr_assert_eq(au_store_record_get(st, "crm", "r1", 3, &r), AU_OK);
    cr_assert(r.deleted);
    cr_assert_null(r.doc);
    cr_assert_eq(r.at_ms, 2000);
    au_record_out_cleanup(&r);
    cr_assert_eq(au_store_record_get(st, "crm", "r1", 1, &r), AU_OK);
    cr_assert_str_eq(r.doc, "{\"a\":1}");
    cr_assert_str_eq(r.origin, "test");
    au_record_out_cleanup(&r);
    cr_assert_eq(au_store_record_get(st, "crm", "r1", 9, &r), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_record_get(st, "crm", "zz", 0, &r), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_record_get(st, "pos", "r1", 0, &r), AU_ERR_NOT_FOUND,
                 "ids are per source");
}

CASE(current_tombstone_is_returned)
{
    int64_t v;
    au_record_out r;
    put(st, "gone", "{}", 5, &v);
    cr_assert_eq(au_store_record_delete(st, "crm", "gone", "api:k", 77), AU_OK);
    cr_assert_eq(au_store_record_get(st, "crm", "gone", 0, &r), AU_OK);
    cr_assert(r.deleted);
    cr_assert_eq(r.version, 2);
    cr_assert_str_eq(r.origin, "api:k");
    au_record_out_cleanup(&r);
}

typedef struct {
    int n;
    int64_t versions[8];
    int deleted[8];
    char ids[8][16];
} collected;

static int collect(void *ctx, const au_record_out *r)
{
    collected *c = ctx;
    if (c->n < 8) {
        c->versions[c->n] = r->version;
        c->deleted[c->n] = r->deleted;
        snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", r->record_id);
    }
    c->n++;
    return 0;
}

static int stop_at_first(void *ctx, const au_record_out *r)
{
    (*(int *)ctx)++;
    return 42;
}

CASE(history_lists_every_version_in_order)
{
    int64_t v;
    put(st, "h", "{\"v\":1}", 1, &v);
    put(st, "h", "{\"v\":2}", 2, &v);
    cr_assert_eq(au_store_record_delete(st, "crm", "h", "test", 3), AU_OK);
    put(st, "h", "{\"v\":3}", 3, &v);
    put(st, "other", "{}", 9, &v);
    collected c = {0};
    cr_assert_eq(au_store_record_history(st, "crm", "h", collect, &c), AU_OK);
    cr_assert_eq(c.n, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(c.versions[i], i + 1);
    cr_assert_eq(c.deleted[2], 1);
    cr_assert_eq(c.deleted[3], 0);
    int calls = 0;
    cr_assert_eq(au_store_record_history(st, "crm", "h", stop_at_first, &calls), 42,
                 "a callback's non-zero return stops the iteration and is returned");
    cr_assert_eq(calls, 1);
}

CASE(scan_and_count_skip_deleted_records)
{
    int64_t v, n = -1;
    put(st, "a", "{}", 1, &v);
    put(st, "b", "{}", 2, &v);
    put(st, "c", "{}", 3, &v);
    put(st, "a", "{\"x\":1}", 4, &v);
    cr_assert_eq(au_store_record_delete(st, "crm", "b", "test", 5), AU_OK);
    au_record_row other = {"pos", "p1", "{}", 7, "test", 1};
    au_put_outcome o;
    cr_assert_eq(au_store_record_put(st, &other, &o, NULL), AU_OK);

    collected c = {0};
    cr_assert_eq(au_store_record_scan(st, collect, &c), AU_OK);
    cr_assert_eq(c.n, 3);
    cr_assert_str_eq(c.ids[0], "a", "insertion order");
    cr_assert_eq(c.versions[0], 2, "current version only");
    cr_assert_str_eq(c.ids[1], "c");
    cr_assert_str_eq(c.ids[2], "p1");
    cr_assert_eq(au_store_record_count(st, "crm", &n), AU_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(au_store_record_count(st, "nobody", &n), AU_OK);
    cr_assert_eq(n, 0);
}

CASE(events_are_idempotent_on_source_and_id)
{
    au_event_row ev = {"billing",         "pay-1", "payment", 100, 200, "{\"source\":\"crm\"}",
                       "{\"amount\":10}", "api:k1"};
    au_put_outcome o;
    cr_assert_eq(au_store_event_put(st, &ev, &o), AU_OK);
    cr_assert_eq(o, AU_PUT_INSERTED);
    au_event_row again = ev;
    again.properties = "{\"amount\":99}";
    cr_assert_eq(au_store_event_put(st, &again, &o), AU_OK);
    cr_assert_eq(o, AU_PUT_UNCHANGED);
    au_event_row other_source = ev;
    other_source.source = "pos";
    cr_assert_eq(au_store_event_put(st, &other_source, &o), AU_OK);
    cr_assert_eq(o, AU_PUT_INSERTED, "event ids are per source");

    au_event_out e1, e2;
    cr_assert_eq(au_store_event_get(st, "billing", "pay-1", &e1), AU_OK);
    cr_assert_str_eq(e1.properties, "{\"amount\":10}", "the first write is kept");
    cr_assert_str_eq(e1.type, "payment");
    cr_assert_str_eq(e1.customer, "{\"source\":\"crm\"}");
    cr_assert_str_eq(e1.origin, "api:k1");
    cr_assert_eq(e1.at_ms, 100);
    cr_assert_eq(e1.received_ms, 200);
    cr_assert_eq(au_store_event_get(st, "pos", "pay-1", &e2), AU_OK);
    cr_assert_gt(e2.seq, e1.seq, "seq orders events by arrival");
    au_event_out_cleanup(&e1);
    au_event_out_cleanup(&e2);
    cr_assert_eq(au_store_event_get(st, "billing", "nope", &e1), AU_ERR_NOT_FOUND);
}

static int count_keys(void *ctx, const au_key_out *k)
{
    (*(int *)ctx)++;
    return 0;
}

CASE(keys_find_list_revoke)
{
    uint8_t h1[32], h2[32];
    memset(h1, 1, sizeof(h1));
    memset(h2, 2, sizeof(h2));
    au_key_row k1 = {"k1", h1, "[\"read\"]", "console", 10};
    au_key_row k2 = {"k2", h2, "[\"write\"]", NULL, 20};
    cr_assert_eq(au_store_key_put(st, &k1), AU_OK);
    cr_assert_eq(au_store_key_put(st, &k2), AU_OK);
    cr_assert_eq(au_store_key_put(st, &k1), AU_ERR_CONFLICT, "duplicate id");

    au_key_out k;
    cr_assert_eq(au_store_key_find(st, h2, &k), AU_OK);
    cr_assert_str_eq(k.id, "k2");
    cr_assert_str_eq(k.scopes, "[\"write\"]");
    cr_assert_null(k.name);
    cr_assert_eq(k.created_ms, 20);
    cr_assert_eq(k.revoked_ms, 0);
    au_key_out_cleanup(&k);
    uint8_t h3[32];
    memset(h3, 3, sizeof(h3));
    cr_assert_eq(au_store_key_find(st, h3, &k), AU_ERR_NOT_FOUND);

    cr_assert_eq(au_store_key_revoke(st, "k1", 500), AU_OK);
    cr_assert_eq(au_store_key_revoke(st, "k1", 900), AU_OK, "revoking twice is harmless");
    cr_assert_eq(au_store_key_revoke(st, "nope", 500), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_key_find(st, h1, &k), AU_OK);
    cr_assert_eq(k.revoked_ms, 500, "the first revocation time is kept");
    cr_assert_str_eq(k.name, "console");
    au_key_out_cleanup(&k);
    int n = 0;
    cr_assert_eq(au_store_key_list(st, count_keys, &n), AU_OK);
    cr_assert_eq(n, 2);
}

static int list_sources(void *ctx, const char *name, const char *def)
{
    char *out = ctx;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s=%s;", name, def);
    return 0;
}

CASE(sources_put_replace_get_list)
{
    char *def = NULL;
    cr_assert_eq(au_store_source_get(st, "crm", &def), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_source_put(st, "crm", "{\"v\":1}", 1), AU_OK);
    cr_assert_eq(au_store_source_put(st, "billing", "{\"b\":1}", 1), AU_OK);
    cr_assert_eq(au_store_source_put(st, "crm", "{\"v\":2}", 2), AU_OK);
    cr_assert_eq(au_store_source_get(st, "crm", &def), AU_OK);
    cr_assert_str_eq(def, "{\"v\":2}");
    au_free(def);
    char all[256] = "";
    cr_assert_eq(au_store_source_list(st, list_sources, all), AU_OK);
    cr_assert_str_eq(all, "billing={\"b\":1};crm={\"v\":2};");
}

CASE(savepoint_rollback_leaves_nothing)
{
    int64_t v, n;
    au_put_outcome o;
    cr_assert_eq(au_store_begin(st), AU_OK);
    put(st, "kept", "{}", 1, &v);
    cr_assert_eq(au_store_savepoint(st), AU_OK);
    put(st, "undone", "{}", 2, &v);
    put(st, "kept", "{\"changed\":1}", 3, &v);
    au_event_row ev = {"pos", "e1", "order", 1, 1, NULL, "{}", "t"};
    cr_assert_eq(au_store_event_put(st, &ev, &o), AU_OK);
    cr_assert_eq(au_store_source_put(st, "pos", "{}", 1), AU_OK);
    cr_assert_eq(au_store_savepoint_rollback(st), AU_OK);
    cr_assert_eq(au_store_savepoint(st), AU_OK);
    put(st, "released", "{}", 4, &v);
    cr_assert_eq(au_store_savepoint_release(st), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);

    au_record_out r;
    au_event_out e;
    char *def = NULL;
    cr_assert_eq(au_store_record_get(st, "crm", "undone", 0, &r), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_record_get(st, "crm", "kept", 0, &r), AU_OK);
    cr_assert_eq(r.version, 1, "the update inside the savepoint was undone");
    au_record_out_cleanup(&r);
    cr_assert_eq(au_store_event_get(st, "pos", "e1", &e), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_source_get(st, "pos", &def), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK);
    cr_assert_eq(n, 2);

    cr_assert_eq(au_store_begin(st), AU_OK);
    put(st, "rolled", "{}", 5, &v);
    cr_assert_eq(au_store_rollback(st), AU_OK);
    cr_assert_eq(au_store_record_get(st, "crm", "rolled", 0, &r), AU_ERR_NOT_FOUND);
}

CASE(reopen_keeps_data_and_migration_is_idempotent)
{
    int64_t v, n = 0;
    put(st, "r1", "{\"a\":1}", 1, &v);
    put(st, "r1", "{\"a\":2}", 2, &v);
    cr_assert_eq(au_store_source_put(st, "crm", "{}", 1), AU_OK);
    au_store_close(st);
    st = reopen(AU_STORE_RW);
    au_store_close(st);
    st = reopen(AU_STORE_RW);

    au_record_out r;
    cr_assert_eq(au_store_record_get(st, "crm", "r1", 0, &r), AU_OK);
    cr_assert_eq(r.version, 2);
    cr_assert_str_eq(r.doc, "{\"a\":2}");
    au_record_out_cleanup(&r);
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK);
    cr_assert_eq(n, 1, "re-running migrations neither duplicates nor drops rows");
    cr_assert_eq(put(st, "r2", "{}", 3, &v), AU_PUT_INSERTED);
}

CASE(readers_see_commits_and_cannot_write)
{
    int64_t v;
    au_store *ro = reopen(AU_STORE_RO);
    au_record_out r;
    cr_assert_eq(au_store_record_get(ro, "crm", "x", 0, &r), AU_ERR_NOT_FOUND);
    put(st, "x", "{}", 1, &v);
    cr_assert_eq(au_store_record_get(ro, "crm", "x", 0, &r), AU_OK);
    au_record_out_cleanup(&r);
    au_record_row row = {"crm", "y", "{}", 1, "t", 1};
    au_put_outcome o;
    cr_assert_eq(au_store_record_put(ro, &row, &o, NULL), AU_ERR_STORE,
                 "a read-only handle refuses writes with a store error");
    au_store_close(ro);
}

Test(store, read_only_open_of_a_missing_store_fails)
{
    char missing[128];
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    cr_assert_eq(au_store_open(missing, AU_STORE_RO, &s, &err), AU_ERR_NOT_FOUND);
    cr_assert_null(s);
    cr_assert(strstr(err.message, "missing/aurum.db does not exist"), "%s", err.message);
    struct stat sb;
    cr_assert_neq(stat(missing, &sb), 0, "a read-only open creates nothing");
    au_err_cleanup(&err);
}

/* Opens the store again and reads one record and one event; checks them on success. */
static au_rc open_and_read(void *arg)
{
    const char *where = arg;
    au_store *s = NULL;
    au_record_out r = {0};
    au_event_out e = {0};
    au_err err;
    au_err_init(&err);
    au_rc rc = au_store_open(where, AU_STORE_RW, &s, &err);
    cr_assert_eq(rc == AU_OK, s != NULL, "a store handle exactly when open succeeds");
    if (!rc && !(rc = au_store_record_get(s, "crm", "r1", 0, &r))) {
        cr_assert_eq(r.version, 1);
        au_record_out_cleanup(&r);
    }
    if (!rc && !(rc = au_store_event_get(s, "pos", "e1", &e))) {
        cr_assert_str_eq(e.type, "order");
        au_event_out_cleanup(&e);
    }
    au_store_close(s);
    au_err_cleanup(&err);
    return rc;
}

CASE(every_allocation_failure_is_reported_as_nomem)
{
    int64_t v;
    put(st, "r1", "{\"a\":1}", 1, &v);
    au_event_row ev = {"pos", "e1", "order", 1, 1, "{}", "{}", "t"};
    au_put_outcome o;
    cr_assert_eq(au_store_event_put(st, &ev, &o), AU_OK);
    au_fault_every_allocation(open_and_read, loc);
}

/* --- the resolution domain ---------------------------------------------------------------- */

typedef struct {
    int n;
    int64_t no[8], profile[8];
    char ids[8][16];
} resolved;

static int collect_resolve(void *ctx, const au_resolve_row *r)
{
    resolved *c = ctx;
    if (c->n < 8) {
        c->no[c->n] = r->no;
        c->profile[c->n] = r->profile;
        snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", r->record_id);
    }
    c->n++;
    return 0;
}

CASE(resolution_assignments_members_and_redirects)
{
    int64_t v, a, b, c, p = -1, max = -1;
    put(st, "a", "{\"n\":1}", 1, &v);
    a = au_store_record_last_no(st);
    put(st, "b", "{}", 2, &v);
    b = au_store_record_last_no(st);
    put(st, "c", "{}", 3, &v);
    c = au_store_record_last_no(st);
    cr_assert(a > 0 && b > a && c > b, "record numbers grow with insertion");
    cr_assert_eq(au_store_record_no(st, "crm", "b", &v), AU_OK);
    cr_assert_eq(v, b);
    cr_assert_eq(au_store_record_no(st, "crm", "zz", &v), AU_ERR_NOT_FOUND);
    char *src = NULL, *rid = NULL;
    cr_assert_eq(au_store_record_ref(st, c, &src, &rid), AU_OK);
    cr_assert_str_eq(src, "crm");
    cr_assert_str_eq(rid, "c");
    au_free(src);
    au_free(rid);
    cr_assert_eq(au_store_record_ref(st, c + 100, &src, &rid), AU_ERR_NOT_FOUND);

    cr_assert_eq(au_store_profile_max(st, &max), AU_OK);
    cr_assert_eq(max, 0);
    cr_assert_eq(au_store_assign_put(st, a, 7), AU_OK);
    cr_assert_eq(au_store_assign_put(st, b, 7), AU_OK);
    cr_assert_eq(au_store_assign_put(st, c, 9), AU_OK);
    cr_assert_eq(au_store_assign_put(st, c, 0), AU_OK, "0 removes the assignment");
    cr_assert_eq(au_store_profile_of(st, "crm", "a", &p), AU_OK);
    cr_assert_eq(p, 7);
    cr_assert_eq(au_store_profile_of(st, "crm", "c", &p), AU_OK);
    cr_assert_eq(p, 0, "unassigned");
    cr_assert_eq(au_store_profile_of(st, "crm", "zz", &p), AU_ERR_NOT_FOUND);

    resolved m = {0};
    cr_assert_eq(au_store_profile_members(st, 7, collect_resolve, &m), AU_OK);
    cr_assert_eq(m.n, 2);
    cr_assert_str_eq(m.ids[0], "a", "record-number order");
    cr_assert_str_eq(m.ids[1], "b");
    cr_assert_eq(m.profile[1], 7);
    cr_assert_eq(au_store_record_delete(st, "crm", "b", "t", 5), AU_OK);
    resolved s = {0};
    cr_assert_eq(au_store_resolve_scan(st, collect_resolve, &s), AU_OK);
    cr_assert_eq(s.n, 2, "the scan skips deleted records");
    cr_assert_eq(s.no[0], a);
    cr_assert_eq(s.profile[0], 7);
    cr_assert_eq(s.no[1], c);
    cr_assert_eq(s.profile[1], 0);

    cr_assert_eq(au_store_redirect_get(st, 9, &v), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_redirect_put(st, 9, 7, 100), AU_OK);
    cr_assert_eq(au_store_redirect_put(st, 12, 0, 100), AU_OK);
    cr_assert_eq(au_store_redirect_get(st, 9, &v), AU_OK);
    cr_assert_eq(v, 7);
    cr_assert_eq(au_store_profile_max(st, &max), AU_OK);
    cr_assert_eq(max, 12, "redirects count towards the highest profile number");
}

typedef struct {
    int n;
    char text[256];
    int64_t id[8]; /* outbox ids, in the order listed */
} listed;

static int list_override(void *ctx, const au_override_row *o)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%lld-%lld:%s:%s;", (long long)o->a,
             (long long)o->b, o->kind, o->origin);
    l->n++;
    return 0;
}

static int list_review(void *ctx, const au_review_row *r)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%lld-%lld:%.3f;", (long long)r->a,
             (long long)r->b, r->weight);
    l->n++;
    return 0;
}

static int list_change(void *ctx, const au_change_row *c)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%lld:%s:%lld:%s;", (long long)c->profile,
             c->kind, (long long)c->other, c->source ? c->source : "-");
    l->n++;
    return 0;
}

CASE(resolution_overrides_review_model_and_changes)
{
    au_override_row o1 = {1, 2, "must_link", "cli", 10};
    au_override_row o2 = {3, 4, "cannot_link", "api:k", 20};
    cr_assert_eq(au_store_override_put(st, &o2), AU_OK);
    cr_assert_eq(au_store_override_put(st, &o1), AU_OK);
    o1.kind = "cannot_link";
    o1.at_ms = 30;
    cr_assert_eq(au_store_override_put(st, &o1), AU_OK, "a new decision replaces the old");
    au_override_row none = {3, 4, "none", "cli", 40};
    cr_assert_eq(au_store_override_put(st, &none), AU_OK);
    listed l = {0};
    cr_assert_eq(au_store_override_list(st, list_override, &l), AU_OK);
    cr_assert_str_eq(l.text, "1-2:cannot_link:cli;");

    au_review_row r1 = {1, 2, 3.25, 1}, r2 = {1, 3, 5.5, 1}, r3 = {2, 3, 4.125, 1};
    cr_assert_eq(au_store_review_put(st, &r1), AU_OK);
    cr_assert_eq(au_store_review_put(st, &r2), AU_OK);
    cr_assert_eq(au_store_review_put(st, &r3), AU_OK);
    au_review_row gone = {1, 3, NAN, 2};
    cr_assert_eq(au_store_review_put(st, &gone), AU_OK, "NAN removes the pair");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_review_list(st, 10, list_review, &l), AU_OK);
    cr_assert_str_eq(l.text, "2-3:4.125;1-2:3.250;", "heaviest first");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_review_list(st, 1, list_review, &l), AU_OK);
    cr_assert_eq(l.n, 1, "the limit is applied");

    char *json = NULL;
    cr_assert_eq(au_store_model_get(st, &json), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_model_put(st, "{\"m\":1}", 1), AU_OK);
    cr_assert_eq(au_store_model_put(st, "{\"m\":2}", 2), AU_OK);
    cr_assert_eq(au_store_model_get(st, &json), AU_OK);
    cr_assert_str_eq(json, "{\"m\":2}", "the newest model");
    au_free(json);

    au_change_row c1 = {0, 5, "created", 0, "crm", "a", 1};
    au_change_row c2 = {0, 6, "merged", 5, NULL, NULL, 2};
    au_change_row c3 = {0, 5, "updated", 0, "crm", "b", 3};
    cr_assert_eq(au_store_change_add(st, &c1), AU_OK);
    cr_assert_eq(au_store_change_add(st, &c2), AU_OK);
    cr_assert_eq(au_store_change_add(st, &c3), AU_OK);
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_changes_after(st, 0, 10, list_change, &l), AU_OK);
    cr_assert_str_eq(l.text, "5:created:0:crm;6:merged:5:-;5:updated:0:crm;");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_changes_after(st, 0, 2, list_change, &l), AU_OK);
    cr_assert_eq(l.n, 2);
}

/* Counts the rows resolve_changed passes that carry a document. */
static int count_docs(void *ctx, const au_resolve_row *r)
{
    int *n = ctx;
    *n += r->doc != NULL;
    return 0;
}

static int first_seq(void *ctx, const au_change_row *c)
{
    *(int64_t *)ctx = c->seq;
    return 1; /* one is enough */
}

/* What a node reads to catch up with the others (docs/POSTGRES.md, "Several nodes"): the feed
 * position under the decision lock, the records a stretch of the feed names (with their
 * content) and the members of the profiles it names (without), and the profile numbers. */
CASE(resolution_catch_up_reads_what_the_feed_names)
{
    int64_t v, a, b, c, last = -1, next = -1, s1 = 0, s3 = 0;
    put(st, "a", "{\"n\":1}", 1, &v);
    a = au_store_record_last_no(st);
    put(st, "b", "{\"n\":2}", 2, &v);
    b = au_store_record_last_no(st);
    put(st, "c", "{\"n\":3}", 3, &v);
    c = au_store_record_last_no(st);
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_resolve_lock(st, &last), AU_OK);
    cr_assert_eq(last, 0, "an empty feed");
    cr_assert_eq(au_store_assign_put(st, a, 4), AU_OK);
    cr_assert_eq(au_store_assign_put(st, b, 4), AU_OK);
    cr_assert_eq(au_store_assign_put(st, c, 6), AU_OK);
    au_change_row c1 = {0, 4, "created", 0, "crm", "a", 1};
    au_change_row c2 = {0, 4, "updated", 0, "crm", "b", 2};
    au_change_row c3 = {0, 6, "created", 0, "crm", "c", 3};
    cr_assert_eq(au_store_change_add(st, &c1), AU_OK);
    cr_assert_eq(au_store_change_add(st, &c2), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
    cr_assert_eq(au_store_change_add(st, &c3), AU_OK);
    cr_assert_eq(au_store_change_last(st, &s3), AU_OK);
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_resolve_lock(st, &last), AU_OK);
    cr_assert_eq(last, s3, "the feed's end");
    cr_assert_eq(au_store_rollback(st), AU_OK);
    cr_assert_eq(au_store_changes_after(st, 0, 1, first_seq, &s1), 1);

    /* the first row: a named (content), b a member of profile 4 (no content) */
    resolved m = {0};
    int docs = 0;
    cr_assert_eq(au_store_resolve_changed(st, 0, s1, collect_resolve, &m), AU_OK);
    cr_assert_eq(m.n, 2);
    cr_assert_eq(m.no[0], a, "record-number order");
    cr_assert_eq(m.no[1], b);
    cr_assert_eq(m.profile[1], 4);
    cr_assert_eq(au_store_resolve_changed(st, 0, s1, count_docs, &docs), AU_OK);
    cr_assert_eq(docs, 1, "only the named record's content");
    /* the rows after it: b and c named, a a member of profile 4 */
    memset(&m, 0, sizeof(m));
    cr_assert_eq(au_store_resolve_changed(st, s1, s3, collect_resolve, &m), AU_OK);
    cr_assert_eq(m.n, 3);
    cr_assert_eq(m.no[2], c);
    cr_assert_eq(m.profile[2], 6);
    docs = 0;
    cr_assert_eq(au_store_resolve_changed(st, s1, s3, count_docs, &docs), AU_OK);
    cr_assert_eq(docs, 2);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(au_store_resolve_changed(st, s3, s3, collect_resolve, &m), AU_OK);
    cr_assert_eq(m.n, 0, "an empty stretch");

    /* a deleted record: no profile, no content */
    cr_assert_eq(au_store_record_delete(st, "crm", "c", "t", 9), AU_OK);
    cr_assert_eq(au_store_assign_put(st, c, 0), AU_OK);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(au_store_resolve_changed(st, s1, s3, collect_resolve, &m), AU_OK);
    cr_assert_eq(m.n, 3);
    cr_assert_eq(m.profile[2], 0);
    docs = 0;
    cr_assert_eq(au_store_resolve_changed(st, s1, s3, count_docs, &docs), AU_OK);
    cr_assert_eq(docs, 1);

    cr_assert_eq(au_store_profile_claim(st, 0, &next), AU_OK);
    cr_assert_eq(next, 5, "after the highest number in use (6 went with c's assignment)");
    cr_assert_eq(au_store_profile_claim(st, 20, &next), AU_OK);
    cr_assert_eq(next, 21, "after the numbers claimed");
}

/* A failed statement inside a savepoint is undone by rolling back to it, and the transaction
 * goes on (the engine's group commit relies on it; PostgreSQL otherwise aborts the whole
 * transaction at the first error). */
CASE(savepoint_rollback_recovers_from_a_failed_write)
{
    uint8_t h[32];
    int64_t v;
    memset(h, 7, sizeof(h));
    au_key_row k = {"k1", h, "[]", NULL, 1};
    cr_assert_eq(au_store_key_put(st, &k), AU_OK);
    cr_assert_eq(au_store_begin(st), AU_OK);
    put(st, "before", "{}", 1, &v);
    cr_assert_eq(au_store_savepoint(st), AU_OK);
    cr_assert_eq(au_store_key_put(st, &k), AU_ERR_CONFLICT);
    cr_assert_eq(au_store_savepoint_rollback(st), AU_OK);
    put(st, "after", "{}", 2, &v);
    cr_assert_eq(au_store_commit(st), AU_OK);
    int64_t n = 0;
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK);
    cr_assert_eq(n, 2, "both writes around the failed one are committed");
}

/* Many records: the scans page through them (PostgreSQL by record number) and miss none. */
CASE(scans_see_every_record_of_a_large_store)
{
    char id[32];
    int64_t v;
    cr_assert_eq(au_store_begin(st), AU_OK);
    for (int i = 0; i < 4500; i++) {
        snprintf(id, sizeof(id), "r%05d", i);
        put(st, id, "{}", (uint64_t)i + 1, &v);
    }
    cr_assert_eq(au_store_commit(st), AU_OK);
    collected c = {0};
    cr_assert_eq(au_store_record_scan(st, collect, &c), AU_OK);
    cr_assert_eq(c.n, 4500);
    resolved r = {0};
    cr_assert_eq(au_store_resolve_scan(st, collect_resolve, &r), AU_OK);
    cr_assert_eq(r.n, 4500);
    int calls = 0;
    cr_assert_eq(au_store_record_scan(st, stop_at_first, &calls), 42, "a stop ends the paging");
    cr_assert_eq(calls, 1);
}

/* --- quality and inbound ------------------------------------------------------------------ */

static int list_quality(void *ctx, const au_quality_row *q)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%s/%s/%s/%s=%lld%s%s;", q->source, q->attribute,
             q->status, q->reason, (long long)q->n, q->day ? "@" : "",
             q->day ? q->day : (q->examples ? q->examples : ""));
    l->n++;
    return 0;
}

CASE(quality_counts_add_up_and_list_in_key_order)
{
    au_quality_row a = {"crm", "email", "quarantined", "bad_syntax", NULL, 2, "[\"r1\"]"};
    au_quality_row b = {"crm", "", "records", "", NULL, 5, NULL};
    au_quality_row c = {"billing", "phone", "valid", "", NULL, 1, NULL};
    cr_assert_eq(au_store_quality_add(st, &a), AU_OK);
    cr_assert_eq(au_store_quality_add(st, &b), AU_OK);
    cr_assert_eq(au_store_quality_add(st, &c), AU_OK);
    a.n = 3;
    a.examples = NULL;
    cr_assert_eq(au_store_quality_add(st, &a), AU_OK, "adds, keeps the examples");
    b.n = -2;
    cr_assert_eq(au_store_quality_add(st, &b), AU_OK);
    au_quality_row d1 = {"crm", "email", "valid", "", "2026-12-01", 4, NULL};
    au_quality_row d2 = {"crm", "email", "valid", "", "2026-12-02", 1, NULL};
    cr_assert_eq(au_store_quality_add(st, &d1), AU_OK);
    cr_assert_eq(au_store_quality_add(st, &d1), AU_OK);
    cr_assert_eq(au_store_quality_add(st, &d2), AU_OK);

    listed l = {0};
    cr_assert_eq(au_store_quality_list(st, NULL, NULL, list_quality, &l), AU_OK);
    cr_assert_str_eq(l.text, "billing/phone/valid/=1;crm//records/=3;"
                             "crm/email/quarantined/bad_syntax=5[\"r1\"];");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_quality_list(st, "crm", "2026-12-02", list_quality, &l), AU_OK);
    cr_assert_str_eq(l.text, "crm/email/valid/=1@2026-12-02;", "days from `since` on");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_quality_list(st, "crm", "2026-01-01", list_quality, &l), AU_OK);
    cr_assert_str_eq(l.text, "crm/email/valid/=8@2026-12-01;crm/email/valid/=1@2026-12-02;");

    char *json = NULL;
    cr_assert_eq(au_store_quality_examples(st, "crm", "email", "bad_syntax", &json), AU_OK);
    cr_assert_str_eq(json, "[\"r1\"]");
    au_free(json);
    cr_assert_eq(au_store_quality_examples(st, "crm", "phone", "bad_syntax", &json), AU_OK);
    cr_assert_null(json, "none");
}

typedef struct {
    int n;
    int64_t last;
    char ids[256];
} paged;

static int collect_ids(void *ctx, int64_t rec, const char *id)
{
    paged *p = ctx;
    size_t len = strlen(p->ids);
    snprintf(p->ids + len, sizeof(p->ids) - len, "%s;", id);
    p->last = rec;
    p->n++;
    return 0;
}

CASE(record_ids_page_through_a_source)
{
    int64_t v;
    put(st, "a", "{}", 1, &v);
    put(st, "b", "{}", 2, &v);
    put(st, "c", "{}", 3, &v);
    put(st, "d", "{}", 4, &v);
    cr_assert_eq(au_store_record_delete(st, "crm", "b", "t", 5), AU_OK);
    au_record_row other = {"pos", "p1", "{}", 7, "t", 1};
    au_put_outcome o;
    cr_assert_eq(au_store_record_put(st, &other, &o, NULL), AU_OK);
    paged p = {0};
    cr_assert_eq(au_store_record_ids(st, "crm", 0, 2, collect_ids, &p), AU_OK);
    cr_assert_str_eq(p.ids, "a;c;", "live records only, in number order, at most the limit");
    p.ids[0] = 0;
    cr_assert_eq(au_store_record_ids(st, "crm", p.last, 2, collect_ids, &p), AU_OK);
    cr_assert_str_eq(p.ids, "d;");
}

CASE(inbound_cursor_state_and_files)
{
    char *cursor = NULL, *state = NULL, *outcome = NULL;
    cr_assert_eq(au_store_inbound_get(st, "crm", &cursor, &state), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_inbound_put(st, "crm", "c1", NULL, 1), AU_OK);
    cr_assert_eq(au_store_inbound_get(st, "crm", &cursor, &state), AU_OK);
    cr_assert_str_eq(cursor, "c1");
    cr_assert_null(state, "never set");
    au_free(cursor);
    cr_assert_eq(au_store_inbound_put(st, "crm", NULL, "{\"runs\":1}", 2), AU_OK);
    cr_assert_eq(au_store_inbound_get(st, "crm", &cursor, &state), AU_OK);
    cr_assert_str_eq(cursor, "c1", "a NULL cursor keeps the stored one");
    cr_assert_str_eq(state, "{\"runs\":1}");
    au_free(cursor);
    au_free(state);

    cr_assert_eq(au_store_inbound_file_get(st, "crm", "f1", &outcome), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_inbound_file_put(st, "crm", "f1", "a.csv", "failed", 1), AU_OK);
    cr_assert_eq(au_store_inbound_file_put(st, "crm", "f1", "a.csv", "done", 2), AU_OK);
    cr_assert_eq(au_store_inbound_file_get(st, "crm", "f1", &outcome), AU_OK);
    cr_assert_str_eq(outcome, "done", "the last outcome");
    au_free(outcome);
    cr_assert_eq(au_store_inbound_file_get(st, "pos", "f1", &outcome), AU_ERR_NOT_FOUND,
                 "fingerprints are per source");
}

/* Appends "source=state@ms;" for each listed connector. */
static au_rc list_inbound(void *ctx, const char *source, const char *state, int64_t updated_ms)
{
    char *out = ctx;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s=%s@%lld;", source, state, (long long)updated_ms);
    return AU_OK;
}

CASE(inbound_list_gives_every_stored_state_by_source)
{
    char out[256] = "";
    cr_assert_eq(au_store_inbound_put(st, "pos", NULL, "{\"b\":2}", 5), AU_OK);
    cr_assert_eq(au_store_inbound_put(st, "crm", NULL, "{\"a\":1}", 7), AU_OK);
    cr_assert_eq(au_store_inbound_put(st, "erp", "c9", NULL, 8), AU_OK);
    cr_assert_eq(au_store_inbound_list(st, list_inbound, out), AU_OK);
    cr_assert_str_eq(out, "crm={\"a\":1}@7;pos={\"b\":2}@5;",
                     "by source, only connectors that stored a state");
}

/* --- flows --------------------------------------------------------------------------------- */

static int list_flow(void *ctx, const char *name, const char *def)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%s=%s;", name, def);
    l->n++;
    return 0;
}

static int list_outbox(void *ctx, const au_outbox_row *o)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%s/%s/%s/%s:%d:%d;", o->flow, o->step_id,
             o->partition, o->input, o->status, o->attempts);
    if (l->n < 8)
        l->id[l->n] = o->id;
    l->n++;
    return 0;
}

static int list_run(void *ctx, const au_run_row *r)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%lld:%s:%d:%s;", (long long)r->id, r->status,
             r->pending, r->error ? r->error : "-");
    l->n++;
    return 0;
}

static int list_dead(void *ctx, const au_dead_row *d)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%s/%s:%s:%lld;", d->flow, d->step_id, d->reason,
             (long long)d->replayed_ms);
    l->n++;
    return 0;
}

CASE(flows_definitions_runs_outbox_and_dead_letters)
{
    listed l = {0};
    cr_assert_eq(au_store_flow_put(st, "welcome", "{\"v\":1}", 1), AU_OK);
    cr_assert_eq(au_store_flow_put(st, "alert", "{}", 1), AU_OK);
    cr_assert_eq(au_store_flow_put(st, "welcome", "{\"v\":2}", 2), AU_OK);
    cr_assert_eq(au_store_flow_delete(st, "alert"), AU_OK);
    cr_assert_eq(au_store_flow_delete(st, "alert"), AU_ERR_NOT_FOUND);
    cr_assert_eq(au_store_flow_list(st, list_flow, &l), AU_OK);
    cr_assert_str_eq(l.text, "welcome={\"v\":2};");

    int64_t run = 0, run2 = 0, dead = 0;
    au_run_row r = {.flow = "welcome",
                    .trigger = "event:pos/e1",
                    .input = "{\"x\":1}",
                    .condition = "true",
                    .status = "pending",
                    .pending = 2,
                    .started_ms = 10};
    cr_assert_eq(au_store_run_add(st, &r, &run), AU_OK);
    r.trigger = "event:pos/e2";
    r.pending = 1;
    cr_assert_eq(au_store_run_add(st, &r, &run2), AU_OK);
    cr_assert(run > 0 && run2 > run);
    int added = -1;
    au_outbox_row o = {.flow = "welcome",
                       .run_id = run,
                       .step_id = "mail",
                       .idem_key = "k1",
                       .partition = "p1",
                       .created_ms = 10};
    cr_assert_eq(au_store_outbox_add(st, &o, &added), AU_OK);
    cr_assert_eq(added, 1);
    cr_assert_eq(au_store_outbox_add(st, &o, &added), AU_OK);
    cr_assert_eq(added, 0, "the idempotency key is already there");
    o.step_id = "sms";
    o.idem_key = "k2";
    cr_assert_eq(au_store_outbox_add(st, &o, &added), AU_OK);
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_outbox_pending(st, 10, list_outbox, &l), AU_OK);
    cr_assert_str_eq(l.text, "welcome/mail/p1/{\"x\":1}:0:0;welcome/sms/p1/{\"x\":1}:0:0;",
                     "id order, with the run's input");
    int64_t mail = l.id[0], sms = l.id[1]; /* increasing, not necessarily dense */
    cr_assert_gt(sms, mail);

    /* first delivery done, the second fails for good: the run is failed with its error */
    cr_assert_eq(au_store_outbox_set(st, mail, AU_OUTBOX_DELIVERED, 1, 0, NULL), AU_OK);
    cr_assert_eq(au_store_run_step(st, run, "mail", "{\"status\":200}", 1, 0, NULL, 1, 20), AU_OK);
    cr_assert_eq(au_store_run_step(st, run, "sms", "{\"status\":500}", 1, 1, "boom", 3, 30), AU_OK);
    au_dead_row d = {.outbox_id = sms,
                     .run_id = run,
                     .flow = "welcome",
                     .step_id = "sms",
                     .request = "{}",
                     .response = "500",
                     .reason = "retries exhausted",
                     .created_ms = 30};
    cr_assert_eq(au_store_dead_add(st, &d, &dead), AU_OK);
    cr_assert_gt(dead, 0);
    cr_assert_eq(au_store_outbox_set(st, sms, AU_OUTBOX_DEAD, 3, 0, "boom"), AU_OK);
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_run_list(st, "welcome", NULL, 0, 10, list_run, &l), AU_OK);
    char want[128];
    snprintf(want, sizeof(want), "%lld:pending:1:-;%lld:failed:0:boom;", (long long)run2,
             (long long)run);
    cr_assert_str_eq(l.text, want, "newest first");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_run_list(st, "welcome", "dead", 0, 10, list_run, &l), AU_OK);
    cr_assert_eq(l.n, 1, "runs with an open dead letter");
    au_run_counts c;
    cr_assert_eq(au_store_run_counts(st, "welcome", &c), AU_OK);
    cr_assert_eq(c.total, 2);
    cr_assert_eq(c.failed, 1);
    cr_assert_eq(c.pending, 1);
    cr_assert_eq(c.dead_letters, 1);
    cr_assert_eq(c.retrying, 0);

    cr_assert_eq(au_store_dead_replay(st, dead, 40), AU_OK);
    cr_assert_eq(au_store_dead_replay(st, dead, 41), AU_ERR_CONFLICT, "already replayed");
    cr_assert_eq(au_store_dead_replay(st, dead + 100, 41), AU_ERR_NOT_FOUND);
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_dead_list(st, NULL, 0, 10, list_dead, &l), AU_OK);
    cr_assert_str_eq(l.text, "welcome/sms:retries exhausted:40;");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_dead_list(st, "welcome", 1, 10, list_dead, &l), AU_OK);
    cr_assert_eq(l.n, 0, "open only");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_outbox_pending(st, 10, list_outbox, &l), AU_OK);
    cr_assert_str_eq(l.text, "welcome/sms/p1/{\"x\":1}:0:0;", "the delivery is queued again");
    cr_assert_eq(au_store_run_counts(st, "welcome", &c), AU_OK);
    cr_assert_eq(c.pending, 2, "the replayed run is open again");
    cr_assert_eq(c.dead_letters, 0);

    cr_assert_eq(au_store_outbox_set(st, sms, AU_OUTBOX_PENDING, 1, 99, "timeout"), AU_OK);
    cr_assert_eq(au_store_run_counts(st, "welcome", &c), AU_OK);
    cr_assert_eq(c.retrying, 1);
    cr_assert_str_eq(c.last_retry_error, "timeout");

    int64_t seq = -1;
    cr_assert_eq(au_store_change_max(st, &seq), AU_OK);
    cr_assert_eq(seq, 0);
    au_event_out e;
    cr_assert_eq(au_store_event_latest(st, "order", NULL, &e), AU_ERR_NOT_FOUND);
    au_event_row e1 = {"pos", "e1", "order", 1, 1, NULL, "{}", "t"};
    au_event_row e2 = {"web", "e2", "order", 1, 2, NULL, "{}", "t"};
    au_put_outcome po;
    cr_assert_eq(au_store_event_put(st, &e1, &po), AU_OK);
    cr_assert_eq(au_store_event_put(st, &e2, &po), AU_OK);
    cr_assert_eq(au_store_event_latest(st, "order", NULL, &e), AU_OK);
    cr_assert_str_eq(e.event_id, "e2", "the newest by arrival");
    au_event_out_cleanup(&e);
    cr_assert_eq(au_store_event_latest(st, "order", "pos", &e), AU_OK);
    cr_assert_str_eq(e.event_id, "e1");
    au_event_out_cleanup(&e);
}

/* --- what only PostgreSQL has --------------------------------------------------------------- */

Test(store_pg, both_uri_schemes_select_the_backend_and_bad_locations_say_why)
{
    char other[256];
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_str_eq(au_store_backend(st), "postgres");
    snprintf(other, sizeof(other), "postgresql%s", strchr(loc, ':'));
    s = open_at(other, AU_STORE_RW);
    cr_assert_str_eq(au_store_backend(s), "postgresql");
    au_store_close(s);
    cr_assert_eq(au_store_open("postgres:nohost", AU_STORE_RW, &s, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "postgres://"), "%s", err.message);
    au_err_cleanup(&err);
    snprintf(other, sizeof(other), "postgres://postgres:secret@127.0.0.1:%d/nosuchdb",
             au_pgsuite_server()->port);
    cr_assert_eq(au_store_open(other, AU_STORE_RW, &s, &err), AU_ERR_UNAVAILABLE);
    cr_assert_null(s);
    cr_assert(strstr(err.message, "nosuchdb"), "%s", err.message);
    cr_assert_null(strstr(err.message, "secret"), "the password is never repeated");
    au_err_cleanup(&err);
}

/* A read-only handle cannot create the schema: a database without one is not a store. */
Test(store_pg, read_only_open_of_a_database_without_a_store_fails)
{
    char other[256];
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    snprintf(other, sizeof(other), "postgres://postgres@127.0.0.1:%d/postgres",
             au_pgsuite_server()->port);
    cr_assert_eq(au_store_open(other, AU_STORE_RO, &s, &err), AU_ERR_NOT_FOUND, "%s", err.message);
    cr_assert_null(s);
    cr_assert(strstr(err.message, "no Aurum store"), "%s", err.message);
    au_err_cleanup(&err);
}

typedef struct {
    const char *where;
    au_rc rc;
} opener;

static void *open_concurrently(void *arg)
{
    opener *o = arg;
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    o->rc = au_store_open(o->where, AU_STORE_RW, &s, &err);
    au_store_close(s);
    au_err_cleanup(&err);
    return NULL;
}

/* Nodes starting together on an empty database: the advisory lock makes one of them migrate
 * and the others find the schema done; every open succeeds. */
Test(store_pg, nodes_opening_a_new_database_at_once_migrate_it_once)
{
    char sql[96], fresh[256];
    snprintf(sql, sizeof(sql), "CREATE DATABASE n%d", (int)getpid());
    PQclear(au_pgserver_exec(au_pgsuite_server(), sql));
    snprintf(fresh, sizeof(fresh), "postgres://postgres@127.0.0.1:%d/n%d",
             au_pgsuite_server()->port, (int)getpid());
    pthread_t t[4];
    opener o[4];
    for (int i = 0; i < 4; i++) {
        o[i] = (opener){fresh, AU_ERR_INTERNAL};
        cr_assert_eq(pthread_create(&t[i], NULL, open_concurrently, &o[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(o[i].rc, AU_OK, "node %d", i);
    }
    au_store *s = open_at(fresh, AU_STORE_RO);
    int64_t n = -1;
    cr_assert_eq(au_store_record_count(s, NULL, &n), AU_OK);
    cr_assert_eq(n, 0);
    au_store_close(s);
}

/* In PostgreSQL an error aborts the transaction: its COMMIT must fail, not report success for
 * writes that were thrown away. */
Test(store_pg, commit_of_a_transaction_aborted_by_an_error_fails)
{
    uint8_t h[32];
    int64_t v, n = -1;
    memset(h, 9, sizeof(h));
    au_key_row k = {"k1", h, "[]", NULL, 1};
    cr_assert_eq(au_store_key_put(st, &k), AU_OK);
    cr_assert_eq(au_store_begin(st), AU_OK);
    put(st, "lost", "{}", 1, &v);
    cr_assert_eq(au_store_key_put(st, &k), AU_ERR_CONFLICT);
    cr_assert_eq(au_store_commit(st), AU_ERR_STORE);
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK, "the handle is usable again");
    cr_assert_eq(n, 0);
}

/* Both back-ends implement every domain (the engine refuses one that does not). */
/* --- several nodes on one store: outbox leases and schedule claims ------------------------ */

/* The ids an outbox_claim won, in the order granted (ascending for the same rows). */
typedef struct won {
    int n;
    int64_t id[8];
} won;

static int won_id(void *ctx, int64_t id)
{
    won *w = ctx;
    cr_assert_lt(w->n, 8);
    w->id[w->n++] = id;
    return 0;
}

/* Each pending row as "<claimed_by or ->@<lease_until>;". */
static int list_lease(void *ctx, const au_outbox_row *o)
{
    listed *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof(l->text) - len, "%s@%lld;", o->claimed_by ? o->claimed_by : "-",
             (long long)o->lease_until);
    if (l->n < 8)
        l->id[l->n] = o->id;
    l->n++;
    return 0;
}

/* Three pending rows of one run; their ids into ids[3]. */
static void three_rows(int64_t ids[3])
{
    int64_t run = 0;
    au_run_row r = {.flow = "f", .trigger = "t", .input = "{}", .status = "pending", .pending = 3};
    cr_assert_eq(au_store_run_add(st, &r, &run), AU_OK);
    static const char *const keys[] = {"k1", "k2", "k3"};
    for (int i = 0; i < 3; i++) {
        au_outbox_row o = {.flow = "f", .run_id = run, .step_id = keys[i], .idem_key = keys[i]};
        cr_assert_eq(au_store_outbox_add(st, &o, NULL), AU_OK);
    }
    listed l = {0};
    cr_assert_eq(au_store_outbox_pending(st, 10, list_lease, &l), AU_OK);
    cr_assert_eq(l.n, 3);
    memcpy(ids, l.id, 3 * sizeof(int64_t));
}

/* Two nodes (two handles on one database): a live lease keeps a row from the other node, a
 * lease that ran out is taken over, renewals extend only the node's own leases, an outcome
 * drops the lease, and a node's release frees everything it held. */
Test(store_pg, outbox_leases_of_two_nodes_never_overlap)
{
    int64_t ids[3];
    three_rows(ids);
    au_store *b = reopen(AU_STORE_RW);
    won wa = {0}, wb = {0};
    cr_assert_eq(au_store_outbox_claim(st, "a", ids, 2, 100, 200, won_id, &wa), AU_OK);
    cr_assert_eq(wa.n, 2);
    cr_assert_eq(au_store_outbox_claim(b, "b", ids, 3, 150, 250, won_id, &wb), AU_OK);
    cr_assert_eq(wb.n, 1, "a's live leases are not b's to take");
    cr_assert_eq(wb.id[0], ids[2]);
    listed l = {0};
    cr_assert_eq(au_store_outbox_pending(st, 10, list_lease, &l), AU_OK);
    cr_assert_str_eq(l.text, "a@200;a@200;b@250;");

    wb.n = 0;
    cr_assert_eq(au_store_outbox_claim(b, "b", ids, 1, 201, 300, won_id, &wb), AU_OK);
    cr_assert_eq(wb.n, 1, "a's lease ran out at 200: b takes the row over");
    cr_assert_eq(au_store_outbox_renew(st, "a", 500), AU_OK);
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_outbox_pending(st, 10, list_lease, &l), AU_OK);
    cr_assert_str_eq(l.text, "b@300;a@500;b@250;", "a renews only what it still holds");

    cr_assert_eq(au_store_outbox_set(st, ids[1], AU_OUTBOX_DELIVERED, 1, 0, NULL), AU_OK);
    wb.n = 0;
    cr_assert_eq(au_store_outbox_claim(b, "b", &ids[1], 1, 1000, 2000, won_id, &wb), AU_OK);
    cr_assert_eq(wb.n, 0, "a delivered row is nobody's to claim");
    cr_assert_eq(au_store_outbox_set(st, ids[2], AU_OUTBOX_PENDING, 1, 0, "retry"), AU_OK);
    int64_t released = -1;
    cr_assert_eq(au_store_outbox_release(b, "b", &released), AU_OK);
    cr_assert_eq(released, 1, "the retried row's lease went with its outcome");
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_outbox_pending(st, 10, list_lease, &l), AU_OK);
    cr_assert_str_eq(l.text, "-@0;-@0;");
    au_store_close(b);
}

/* A row another node is claiming in a transaction not yet committed is skipped at once, not
 * waited for (SKIP LOCKED); once that transaction rolled back it can be claimed. */
Test(store_pg, a_row_being_claimed_elsewhere_is_skipped_not_waited_for, .timeout = 30)
{
    int64_t ids[3];
    three_rows(ids);
    au_store *b = reopen(AU_STORE_RW);
    won wa = {0}, wb = {0};
    cr_assert_eq(au_store_begin(b), AU_OK);
    cr_assert_eq(au_store_outbox_claim(b, "b", ids, 1, 10, 20, won_id, &wb), AU_OK);
    cr_assert_eq(wb.n, 1);
    cr_assert_eq(au_store_outbox_claim(st, "a", ids, 3, 10, 20, won_id, &wa), AU_OK);
    cr_assert_eq(wa.n, 2, "the locked row is skipped, the others won");
    cr_assert_eq(wa.id[0], ids[1]);
    cr_assert_eq(au_store_rollback(b), AU_OK);
    wa.n = 0;
    cr_assert_eq(au_store_outbox_claim(st, "a", ids, 1, 10, 20, won_id, &wa), AU_OK);
    cr_assert_eq(wa.n, 1, "b's claim was rolled back");
    au_store_close(b);
}

/* The first node to claim a schedule's firing has it; the others do not, whatever the order;
 * a claim rolled back with its transaction is no claim. */
Test(store_pg, a_schedule_firing_is_claimed_once)
{
    au_store *b = reopen(AU_STORE_RW);
    int won_a = -1, won_b = -1;
    cr_assert_eq(au_store_schedule_claim(st, "flow:tick", 60, "a", 1, &won_a), AU_OK);
    cr_assert_eq(au_store_schedule_claim(b, "flow:tick", 60, "b", 2, &won_b), AU_OK);
    cr_assert_eq(won_a, 1);
    cr_assert_eq(won_b, 0);
    cr_assert_eq(au_store_schedule_claim(b, "flow:tick", 120, "b", 3, &won_b), AU_OK);
    cr_assert_eq(won_b, 1, "the next firing is a new claim");
    cr_assert_eq(au_store_schedule_claim(b, "inbound:crm", 60, "b", 3, &won_b), AU_OK);
    cr_assert_eq(won_b, 1, "another schedule's firing at the same time");
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_schedule_claim(st, "flow:tick", 180, "a", 4, &won_a), AU_OK);
    cr_assert_eq(won_a, 1);
    cr_assert_eq(au_store_rollback(st), AU_OK);
    cr_assert_eq(au_store_schedule_claim(b, "flow:tick", 180, "b", 5, &won_b), AU_OK);
    cr_assert_eq(won_b, 1, "a's rolled-back claim left the firing free");
    au_store_close(b);
}

/* One node owns a SQLite store: it is granted every row and every firing, and keeps no lease. */
Test(store, one_node_is_granted_every_claim)
{
    int64_t ids[3];
    three_rows(ids);
    won w = {0};
    cr_assert_eq(au_store_outbox_claim(st, "a", ids, 3, 10, 20, won_id, &w), AU_OK);
    cr_assert_eq(w.n, 3);
    cr_assert_eq(w.id[2], ids[2]);
    listed l = {0};
    cr_assert_eq(au_store_outbox_pending(st, 10, list_lease, &l), AU_OK);
    cr_assert_str_eq(l.text, "-@0;-@0;-@0;");
    int won1 = 0;
    cr_assert_eq(au_store_schedule_claim(st, "flow:tick", 60, "a", 1, &won1), AU_OK);
    cr_assert_eq(won1, 1);
    cr_assert_eq(au_store_outbox_renew(st, "a", 30), AU_OK);
    int64_t released = -1;
    cr_assert_eq(au_store_outbox_release(st, "a", &released), AU_OK);
    cr_assert_eq(released, 0);
}

Test(store_pg, postgres_implements_every_domain)
{
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_store_require_complete(st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

Test(store, sqlite_implements_every_domain)
{
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_store_require_complete(st, &err), AU_OK);
    au_err_cleanup(&err);
}

typedef struct {
    uint64_t hash_base;
    au_rc rc;
} writer;

/* One node: its own handle, the same 200 keys as the other node, 20 per transaction. */
static void *write_keys(void *arg)
{
    writer *w = arg;
    au_store *s = NULL;
    au_err err;
    char id[16];
    au_err_init(&err);
    w->rc = au_store_open(loc, AU_STORE_RW, &s, &err);
    for (int i = 0; !w->rc && i < 200; i++) {
        au_put_outcome o;
        snprintf(id, sizeof(id), "k%03d", i);
        au_record_row row = {"crm", id, "{}", w->hash_base + (uint64_t)i, "node", 1};
        if (i % 20 == 0)
            w->rc = au_store_begin(s);
        if (!w->rc)
            w->rc = au_store_record_put(s, &row, &o, NULL);
        if (!w->rc && i % 20 == 19)
            w->rc = au_store_commit(s);
    }
    au_store_close(s);
    au_err_cleanup(&err);
    return NULL;
}

/* Two nodes writing the same records at once: the row lock taken by record_put makes them take
 * turns, so every record ends with exactly two versions (one insert, one update), none lost,
 * no duplicate-key failure. */
Test(store_pg, nodes_writing_the_same_records_take_turns)
{
    pthread_t t[2];
    writer w[2] = {{1000, AU_ERR_INTERNAL}, {5000, AU_ERR_INTERNAL}};
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, write_keys, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(w[i].rc, AU_OK, "node %d", i);
    }
    int64_t n = 0;
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK);
    cr_assert_eq(n, 200);
    for (int i = 0; i < 200; i += 37) {
        char id[16];
        collected c = {0};
        snprintf(id, sizeof(id), "k%03d", i);
        cr_assert_eq(au_store_record_history(st, "crm", id, collect, &c), AU_OK);
        cr_assert_eq(c.n, 2, "%s has one version per node", id);
        cr_assert_eq(c.versions[0], 1);
        cr_assert_eq(c.versions[1], 2);
    }
}

/* Ends the store's server session (as a restart or a network cut would). */
static void kill_sessions(void)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
             "AND application_name = 'aurum'",
             strrchr(loc, '/') + 1);
    PGresult *r = au_pgserver_exec(au_pgsuite_server(), sql);
    cr_assert_not_null(r);
    cr_assert_eq(PQntuples(r), 1, "the store's one session");
    PQclear(r);
}

/* A connection lost inside a transaction loses the whole transaction: the writes after it
 * fail too (they must not each commit on a new session) and so does the commit; the handle
 * then reconnects. Outside a transaction, one call fails and the next reconnects. */
Test(store_pg, a_lost_connection_fails_the_transaction_then_reconnects)
{
    int64_t v, n = -1;
    au_record_row row = {"crm", "after-cut", "{}", 2, "t", 1};
    au_put_outcome o;
    cr_assert_eq(au_store_begin(st), AU_OK);
    put(st, "before-cut", "{}", 1, &v);
    kill_sessions();
    cr_assert_eq(au_store_record_put(st, &row, &o, NULL), AU_ERR_STORE);
    cr_assert_eq(au_store_record_put(st, &row, &o, NULL), AU_ERR_STORE, "still in the lost one");
    cr_assert_eq(au_store_commit(st), AU_ERR_STORE);
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK, "reconnected");
    cr_assert_eq(n, 0, "nothing of the lost transaction is stored");

    put(st, "autocommit", "{}", 3, &v);
    kill_sessions();
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_ERR_STORE);
    cr_assert_eq(au_store_record_count(st, NULL, &n), AU_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(au_store_begin(st), AU_OK);
    kill_sessions();
    cr_assert_eq(au_store_rollback(st), AU_OK, "the server already rolled back");
    cr_assert_eq(au_store_begin(st), AU_OK);
    put(st, "fine", "{}", 4, &v);
    cr_assert_eq(au_store_commit(st), AU_OK);
}

typedef struct {
    au_rc rc;
} feeder;

/* A second node appending to the change feed in its own transaction. */
static void *append_change(void *arg)
{
    feeder *f = arg;
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    au_change_row c = {0, 2, "created", 0, "pos", "b", 2};
    f->rc = au_store_open(loc, AU_STORE_RW, &s, &err);
    if (!f->rc)
        f->rc = au_store_begin(s);
    if (!f->rc)
        f->rc = au_store_change_add(s, &c);
    if (!f->rc)
        f->rc = au_store_commit(s);
    au_store_close(s);
    au_err_cleanup(&err);
    return NULL;
}

/* 1 when a session of the store waits for an advisory lock. */
static int someone_waits_for_the_feed(void)
{
    PGresult *r = au_pgserver_exec(au_pgsuite_server(),
                                   "SELECT 1 FROM pg_stat_activity WHERE application_name = "
                                   "'aurum' AND wait_event_type = 'Lock' AND wait_event = "
                                   "'advisory'");
    cr_assert_not_null(r);
    int n = PQntuples(r);
    PQclear(r);
    return n > 0;
}

/* While one node's transaction has appended to the change feed, another node's append waits
 * for its commit: feed positions are in commit order, so a reader paging by position never
 * sees a later position before an earlier one commits. */
Test(store_pg, change_feed_appends_from_two_nodes_commit_in_position_order, .timeout = 60)
{
    au_change_row c = {0, 1, "created", 0, "crm", "a", 1};
    feeder f = {AU_ERR_INTERNAL};
    pthread_t t;
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_change_add(st, &c), AU_OK);
    cr_assert_eq(pthread_create(&t, NULL, append_change, &f), 0);
    while (!someone_waits_for_the_feed())
        au_test_sleep_ms(20); /* the other node is blocked: no threshold, the loop just waits */
    listed l = {0};
    au_store *reader = open_at(loc, AU_STORE_RO);
    cr_assert_eq(au_store_changes_after(reader, 0, 10, list_change, &l), AU_OK);
    cr_assert_eq(l.n, 0, "nothing is visible before the first commit");
    cr_assert_eq(au_store_commit(st), AU_OK);
    pthread_join(t, NULL);
    cr_assert_eq(f.rc, AU_OK);
    memset(&l, 0, sizeof(l));
    cr_assert_eq(au_store_changes_after(reader, 0, 10, list_change, &l), AU_OK);
    cr_assert_str_eq(l.text, "1:created:0:crm;2:created:0:pos;", "commit order is feed order");
    au_store_close(reader);
}
