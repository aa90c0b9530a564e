/*
 * Store conformance tests, written against the au_store_* API only so the same cases can run
 * against every back-end (PostgreSQL later): upsert outcomes and versions, history, deletes and
 * re-inserts, events idempotency, API keys, sources, savepoints, reopening and migrations.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "store/store.h"

#include "../../support/fault.h"

static char dir[64];
static au_store *st;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void store_setup(void)
{
    au_err err;
    snprintf(dir, sizeof(dir), "/tmp/aurum-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    au_err_init(&err);
    char loc[128];
    /* a directory that does not exist yet: open must create it */
    snprintf(loc, sizeof(loc), "%s/data/inner", dir);
    cr_assert_eq(au_store_open(loc, AU_STORE_RW, &st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

static void store_teardown(void)
{
    au_store_close(st);
    st = NULL;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static au_store *reopen(au_store_mode mode)
{
    char loc[128];
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    snprintf(loc, sizeof(loc), "%s/data/inner", dir);
    cr_assert_eq(au_store_open(loc, mode, &s, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    return s;
}

static au_put_outcome put(au_store *s, const char *id, const char *doc, uint64_t hash,
                          int64_t *version)
{
    au_record_row row = {"crm", id, doc, hash, "test", 1000};
    au_put_outcome o;
    cr_assert_eq(au_store_record_put(s, &row, &o, version), AU_OK);
    return o;
}

TestSuite(store, .init = store_setup, .fini = store_teardown);

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

Test(store, put_unchanged_update_delete_reinsert)
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

Test(store, current_tombstone_is_returned)
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

Test(store, history_lists_every_version_in_order)
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

Test(store, scan_and_count_skip_deleted_records)
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

Test(store, events_are_idempotent_on_source_and_id)
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

Test(store, keys_find_list_revoke)
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

Test(store, sources_put_replace_get_list)
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

Test(store, savepoint_rollback_leaves_nothing)
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

Test(store, reopen_keeps_data_and_migration_is_idempotent)
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

Test(store, readers_see_commits_and_cannot_write)
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
    char loc[128];
    au_store *s = NULL;
    au_err err;
    au_err_init(&err);
    snprintf(loc, sizeof(loc), "%s/missing", dir);
    cr_assert_eq(au_store_open(loc, AU_STORE_RO, &s, &err), AU_ERR_NOT_FOUND);
    cr_assert_null(s);
    cr_assert(strstr(err.message, "missing/aurum.db does not exist"), "%s", err.message);
    struct stat sb;
    cr_assert_neq(stat(loc, &sb), 0, "a read-only open creates nothing");
    au_err_cleanup(&err);
}

/* Opens the store again and reads one record and one event; checks them on success. */
static au_rc open_and_read(void *arg)
{
    const char *loc = arg;
    au_store *s = NULL;
    au_record_out r = {0};
    au_event_out e = {0};
    au_err err;
    au_err_init(&err);
    au_rc rc = au_store_open(loc, AU_STORE_RW, &s, &err);
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

Test(store, every_allocation_failure_is_reported_as_nomem)
{
    int64_t v;
    put(st, "r1", "{\"a\":1}", 1, &v);
    au_event_row ev = {"pos", "e1", "order", 1, 1, "{}", "{}", "t"};
    au_put_outcome o;
    cr_assert_eq(au_store_event_put(st, &ev, &o), AU_OK);
    char loc[128];
    snprintf(loc, sizeof(loc), "%s/data/inner", dir);
    au_fault_every_allocation(open_and_read, loc);
}
