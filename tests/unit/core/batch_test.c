/*
 * Tests of the shared intake routine (src/core/batch.c) against a real engine with no hooks:
 * documents are mapped by their source, a refused one leaves the batch as it was, quarantined
 * values are noted by index, and the records reach the store in one job. The upsert of a batch
 * through the engine fails with AU_ERR_NOMEM at every allocation of the caller's thread and
 * writes nothing then (SQLite-style fault injection, tests/support/fault.h).
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "lib/alloc.h"
#include "../../support/fault.h"
#include "../both.h"

static char dir[64];
static au_config cfg;
static au_engine *eng;
static const au_source *src;
static const au_engine_hook *const no_hooks[] = {NULL};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void setup(void)
{
    au_err err;
    au_err_init(&err);
    snprintf(dir, sizeof(dir), "/tmp/aurum-batch-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = dir;
    cfg.group_commit_max = 64;
    cfg.sources = json_pack("{s:{s:s, s:{s:s, s:s, s:s}}}", "crm", "record_id", "id", "fields",
                            "first_name", "first", "email", "email", "date_of_birth", "dob");
    cr_assert_eq(au_engine_open_at(&cfg, au_both_store(dir), dir, no_hooks, &eng, &err), AU_OK,
                 "%s", err.message);
    cr_assert_not_null(src = au_engine_source_acquire(eng, "crm"));
    au_err_cleanup(&err);
}

static void teardown(void)
{
    au_engine_source_release(eng, src);
    au_engine_close(eng);
    json_decref(cfg.sources);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

AU_BOTH_SUITE(batch, setup, teardown);

static int64_t stored(void)
{
    int64_t n = -1;
    au_store *r = au_engine_reader(eng);
    cr_assert_not_null(r);
    cr_assert_eq(au_store_record_count(r, NULL, &n), AU_OK);
    au_engine_reader_release(eng, r);
    return n;
}

AU_BOTH_TEST(batch, maps_notes_quarantined_values_and_writes_in_one_job)
{
    au_warnings w;
    au_record_batch b;
    au_err err;
    au_err_init(&err);
    au_warnings_init(&w, AU_WARNINGS_MAX);
    au_record_batch_init(&b, src, &w);
    json_t *docs = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "a1", "first", "Ann", "email",
                             "ann@example.com", "id", "a2", "first", "Bob", "dob", "31/02/1990");
    for (size_t i = 0; i < json_array_size(docs); i++)
        cr_assert_eq(au_record_batch_add(&b, json_array_get(docs, i), (long)i, &err), AU_OK, "%s",
                     err.message);
    cr_assert_eq(b.n, 2);
    cr_assert_str_eq(b.recs[1]->record_id, "a2");
    cr_assert_eq(w.records, 1, "the impossible date is quarantined, not refused");
    json_t *first = json_array_get(w.list, 0);
    cr_assert_eq(json_integer_value(json_object_get(first, "index")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(first, "field")), "dob");
    au_write_summary sum;
    cr_assert_eq(au_record_batch_write(&b, eng, "test", &sum, &err), AU_OK, "%s", err.message);
    cr_assert_eq(sum.inserted, 2);
    cr_assert_eq(b.n, 0, "the engine took the records");
    cr_assert_null(b.recs);
    cr_assert_eq(stored(), 2);
    cr_assert_eq(au_record_batch_write(&b, eng, "test", &sum, &err), AU_OK, "empty: nothing");
    cr_assert_eq(sum.inserted, 0);
    au_record_batch_cleanup(&b);
    au_warnings_cleanup(&w);
    au_err_cleanup(&err);
    json_decref(docs);
}

AU_BOTH_TEST(batch, a_refused_document_leaves_the_batch_as_it_was)
{
    au_record_batch b;
    au_err err;
    au_err_init(&err);
    au_record_batch_init(&b, src, NULL);
    json_t *good = json_pack("{s:s,s:s}", "id", "g1", "first", "Gil");
    json_t *no_id = json_pack("{s:s}", "first", "Nobody");
    json_t *not_object = json_string("id=g2");
    cr_assert_eq(au_record_batch_add(&b, good, 0, &err), AU_OK);
    cr_assert_eq(au_record_batch_add(&b, no_id, 1, &err), AU_ERR_INVALID);
    cr_assert_geq(err.ndetails, 1, "the refusal names what is wrong");
    cr_assert_eq(err.details[0].index, 1);
    au_err_cleanup(&err);
    au_err_init(&err);
    cr_assert_eq(au_record_batch_add(&b, not_object, 2, &err), AU_ERR_INVALID);
    cr_assert_eq(b.n, 1, "only the good document was kept");
    au_record_batch_cleanup(&b);
    cr_assert_eq(b.n, 0);
    cr_assert_eq(stored(), 0, "cleanup writes nothing");
    au_err_cleanup(&err);
    json_decref(good);
    json_decref(no_id);
    json_decref(not_object);
}

/* One upsert of three documents through the engine, under fresh record ids each run. */
typedef struct upsert_run {
    int runs;
} upsert_run;

static au_rc upsert_three(void *ctx)
{
    upsert_run *u = ctx;
    char id[32];
    au_warnings w;
    au_record_batch b;
    au_err err;
    au_write_summary sum = {0};
    au_rc rc = AU_OK;
    int run = u->runs++;
    au_err_init(&err);
    au_warnings_init(&w, AU_WARNINGS_MAX);
    au_record_batch_init(&b, src, &w);
    for (int i = 0; i < 3 && !rc; i++) {
        snprintf(id, sizeof(id), "u%d-%d", run, i);
        json_t *doc = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "first", "Una", "email",
                                "una@example.com", "dob", i == 2 ? "1990-02-31" : "1990-02-03");
        rc = doc ? au_record_batch_add(&b, doc, i, &err) : AU_ERR_NOMEM;
        json_decref(doc);
    }
    if (!rc)
        rc = au_record_batch_write(&b, eng, "test", &sum, &err);
    if (!rc) {
        cr_assert_eq(sum.inserted, 3);
        cr_assert_eq(w.total, 1, "the one impossible date");
    }
    au_record_batch_cleanup(&b);
    au_warnings_cleanup(&w);
    au_err_cleanup(&err);
    return rc;
}

AU_BOTH_TEST(batch, every_allocation_failure_of_an_upsert_is_nomem_and_writes_nothing)
{
    upsert_run u = {0};
    long n = au_fault_every_allocation(upsert_three, &u);
    cr_assert_eq(u.runs, n + 2);
    cr_assert_eq(stored(), 6, "only the first run and the last one wrote their three records");
}
