/*
 * Quality ledger tests: the hook's arithmetic driven through the engine's protocol on a real
 * SQLite store (insert, update, delete, a job's savepoint rolled back, a whole group rolled
 * back), the report read back from the store, the /metrics families, the rebuild of a ledger
 * for records written before it existed, and the engine end to end with real mapping:
 * a wrong date format quarantines, a fixed definition plus renormalisation makes the values
 * valid.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "quality/quality.h"
#include "app/compose.h"
#include "record/reason.h"
#include "core/renormalize.h"
#include "lib/alloc.h"
#include "../both.h"

/* 2026-12-05T12:00:00Z */
#define T0 1796472000000LL

static char dir[64];
static au_store *st;
static void *state;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void store_setup(void)
{
    au_err err;
    au_err_init(&err);
    snprintf(dir, sizeof(dir), "/tmp/aurum-quality-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(au_store_open(au_both_store(dir), AU_STORE_RW, &st, &err), AU_OK, "%s",
                 err.message);
    cr_assert_eq(au_quality_hook.open(NULL, st, &state, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

static void store_teardown(void)
{
    au_quality_hook.close(state);
    state = NULL;
    au_store_close(st);
    st = NULL;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A crm record with a valid first name and a date of birth that is valid or quarantined. */
static au_record *mk(const char *id, const char *dob, int quarantined)
{
    au_record *r = au_record_new();
    r->source = au_strdup("crm");
    r->record_id = au_strdup(id);
    au_record_set(r, AU_ATTR_FIRST_NAME, au_strdup("Ann"), au_strdup("Ann"), au_strdup("ann"));
    if (quarantined)
        au_record_quarantine(r, AU_ATTR_DATE_OF_BIRTH, au_strdup(dob),
                             au_strdup("month 13 out of range"));
    else
        au_record_set(r, AU_ATTR_DATE_OF_BIRTH, au_strdup(dob), au_strdup(dob), au_strdup(dob));
    au_record_hash(r);
    return r;
}

/* Writes r (freed) and tells the hook, as the engine's writer does. */
static void put(au_record *r)
{
    char *doc = au_record_to_text(r);
    au_record_row row = {r->source, r->record_id, doc, r->hash, "test", T0};
    au_put_outcome o;
    int64_t v;
    cr_assert_eq(au_store_record_put(st, &row, &o, &v), AU_OK);
    if (o != AU_PUT_UNCHANGED)
        cr_assert_eq(au_quality_hook.record_written(state, st, r, o, v, T0), AU_OK);
    au_free(doc);
    au_record_free(r);
}

static void del(const char *id)
{
    cr_assert_eq(au_store_record_delete(st, "crm", id, "test", T0), AU_OK);
    cr_assert_eq(au_quality_hook.record_deleted(state, st, "crm", id, T0), AU_OK);
}

static void job_begin(void)
{
    cr_assert_eq(au_store_savepoint(st), AU_OK);
}

static void job_keep(void)
{
    cr_assert_eq(au_store_savepoint_release(st), AU_OK);
    au_quality_hook.job_kept(state);
}

static void job_fail(void)
{
    cr_assert_eq(au_store_savepoint_rollback(st), AU_OK);
    au_quality_hook.rolled_back(state, st);
}

static void group_commit(void)
{
    cr_assert_eq(au_quality_hook.before_commit(state, st), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
}

static json_t *report(au_store *from)
{
    au_quality_query q = {.source = "crm", .days = 1, .now_ms = T0};
    json_t *out = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_quality_report(from, &q, &out, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    return out;
}

static json_t *attr_of(json_t *rep, const char *attr)
{
    json_t *src = json_array_get(json_object_get(rep, "sources"), 0), *a;
    size_t i;
    json_array_foreach(json_object_get(src, "attributes"), i,
                       a) if (strcmp(json_string_value(json_object_get(a, "attribute")), attr) ==
                              0) return a;
    return NULL;
}

/* Field `field` of attribute `attr` ("records" of the source when attr is NULL). */
static long long count(const char *attr, const char *field)
{
    json_t *rep = report(st);
    json_t *o = attr ? attr_of(rep, attr) : json_array_get(json_object_get(rep, "sources"), 0);
    long long n = json_integer_value(json_object_get(o, field));
    json_decref(rep);
    return n;
}

/* Today's arrivals of `field` for attribute `attr` ("arrived" for the records). */
static long long arrived(const char *attr, const char *field)
{
    json_t *rep = report(st);
    json_t *day = json_array_get(json_object_get(attr_of(rep, attr), "days"), 0);
    long long n = json_integer_value(json_object_get(day, field));
    json_decref(rep);
    return n;
}

/* The examples of date_of_birth's date_impossible reason as "a,b" ("" when none). */
static void examples(char *buf, size_t cap)
{
    json_t *rep = report(st), *r, *id;
    size_t i, k;
    buf[0] = 0;
    json_array_foreach(json_object_get(attr_of(rep, "date_of_birth"), "reasons"), i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "reason")), "date_impossible") != 0)
            continue;
        json_array_foreach(json_object_get(r, "examples"), k, id)
        {
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, "%s%s", n ? "," : "", json_string_value(id));
        }
    }
    json_decref(rep);
}

AU_BOTH_SUITE(quality, store_setup, store_teardown);

AU_BOTH_TEST(quality, insert_counts_and_a_rolled_back_job_counts_nothing)
{
    char ex[256];
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-13-01", 1));
    put(mk("r2", "1981-01-02", 0));
    job_keep();
    job_begin();
    put(mk("r3", "1990-13-13", 1));
    put(mk("r4", "1990-01-01", 0));
    job_fail();
    group_commit();

    cr_assert_eq(count(NULL, "records"), 2);
    cr_assert_eq(count("date_of_birth", "valid"), 1);
    cr_assert_eq(count("date_of_birth", "quarantined"), 1);
    cr_assert_eq(count("date_of_birth", "missing"), 0);
    cr_assert_eq(count("first_name", "valid"), 2);
    cr_assert_eq(arrived("date_of_birth", "arrived"), 2);
    cr_assert_eq(arrived("date_of_birth", "quarantined"), 1);
    examples(ex, sizeof(ex));
    cr_assert_str_eq(ex, "r1", "the rolled-back r3 is no example");
}

AU_BOTH_TEST(quality, update_moves_counts_and_delete_subtracts)
{
    char ex[256];
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-13-01", 1));
    put(mk("r2", "1982-13-01", 1));
    job_keep();
    group_commit();
    examples(ex, sizeof(ex));
    cr_assert_str_eq(ex, "r1,r2");

    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-01-13", 0)); /* fixed at the source */
    job_keep();
    group_commit();
    cr_assert_eq(count(NULL, "records"), 2, "an update adds no record");
    cr_assert_eq(count("date_of_birth", "valid"), 1);
    cr_assert_eq(count("date_of_birth", "quarantined"), 1);
    cr_assert_eq(arrived("date_of_birth", "arrived"), 3, "the day counts every arrival");
    examples(ex, sizeof(ex));
    cr_assert_str_eq(ex, "r2", "r1 left the bucket and is no longer an example");

    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    del("r2");
    job_keep();
    group_commit();
    cr_assert_eq(count(NULL, "records"), 1);
    cr_assert_eq(count("date_of_birth", "valid"), 1);
    cr_assert_eq(count("date_of_birth", "quarantined"), 0);
    cr_assert_eq(count("first_name", "valid"), 1);
}

AU_BOTH_TEST(quality, a_record_moving_within_one_group_is_counted_once)
{
    char ex[256];
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-13-01", 1));
    job_keep();
    job_begin();
    put(mk("r1", "1981-01-13", 0));
    job_keep();
    group_commit();
    cr_assert_eq(count(NULL, "records"), 1);
    cr_assert_eq(count("date_of_birth", "valid"), 1);
    cr_assert_eq(count("date_of_birth", "quarantined"), 0);
    examples(ex, sizeof(ex));
    cr_assert_str_eq(ex, "");
}

AU_BOTH_TEST(quality, a_mass_fix_removes_only_the_examples_that_left)
{
    char ex[256], id[16];
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof(id), "r%02d", i);
        put(mk(id, "1981-13-01", 1));
    }
    job_keep();
    group_commit();
    examples(ex, sizeof(ex));
    cr_assert_str_eq(ex, "r00,r01,r02,r03,r04", "the first records that entered are listed");

    /* One listed record and 35 unlisted ones are fixed in one group. */
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r03", "1981-01-13", 0));
    for (int i = 5; i < 40; i++) {
        snprintf(id, sizeof(id), "r%02d", i);
        put(mk(id, "1981-01-13", 0));
    }
    job_keep();
    group_commit();
    cr_assert_eq(count("date_of_birth", "quarantined"), 4);
    cr_assert_eq(count("date_of_birth", "valid"), 36);
    examples(ex, sizeof(ex));
    cr_assert_str_eq(ex, "r00,r01,r02,r04");
}

AU_BOTH_TEST(quality, a_group_rolled_back_counts_nothing)
{
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-13-01", 1));
    job_keep();
    cr_assert_eq(au_store_rollback(st), AU_OK);
    au_quality_hook.rolled_back(state, st);
    au_quality_hook.group_rolled_back(state);
    cr_assert_eq(au_store_begin(st), AU_OK);
    group_commit();
    cr_assert_eq(count(NULL, "records"), 0);
    cr_assert_eq(count("date_of_birth", "quarantined"), 0);
}

AU_BOTH_TEST(quality, metrics_name_source_attribute_and_reason_code)
{
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-13-01", 1));
    put(mk("r2", "1981-13-02", 1));
    job_keep();
    group_commit();
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-01-13", 0));
    job_keep();
    group_commit();
    au_buf b;
    au_buf_init(&b, 1 << 16);
    cr_assert_eq(au_quality_metrics(st, &b), AU_OK);
    cr_assert_eq(au_buf_putc(&b, 0), AU_OK);
    cr_assert_not_null(strstr(b.data,
                              "aurum_values_quarantined{source=\"crm\","
                              "attribute=\"date_of_birth\",reason=\"date_impossible\"} 1\n"),
                       "%s", b.data);
    cr_assert_not_null(strstr(b.data,
                              "aurum_values_quarantined_total{source=\"crm\","
                              "attribute=\"date_of_birth\",reason=\"date_impossible\"} 2\n"),
                       "%s", b.data);
    au_buf_cleanup(&b);
}

AU_BOTH_TEST(quality, a_store_without_a_ledger_gets_one_at_open)
{
    /* Records written without the hook, as before migration 5. */
    cr_assert_eq(au_store_begin(st), AU_OK);
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        au_record *r = mk(ids[i], "1981-13-01", i == 0);
        char *doc = au_record_to_text(r);
        au_record_row row = {"crm", ids[i], doc, r->hash, "test", T0};
        au_put_outcome o;
        int64_t v;
        cr_assert_eq(au_store_record_put(st, &row, &o, &v), AU_OK);
        au_free(doc);
        au_record_free(r);
    }
    cr_assert_eq(au_store_commit(st), AU_OK);
    au_quality_hook.close(state);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_quality_hook.open(NULL, st, &state, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    cr_assert_eq(count(NULL, "records"), 3);
    cr_assert_eq(count("date_of_birth", "quarantined"), 1);
    cr_assert_eq(count("date_of_birth", "valid"), 2);
}

/* Writes r (freed) to the store only; the hook is told by the caller. *v gets the version. */
static au_put_outcome put_only(au_record *r, int64_t *v)
{
    char *doc = au_record_to_text(r);
    au_record_row row = {r->source, r->record_id, doc, r->hash, "test", T0};
    au_put_outcome o;
    cr_assert_eq(au_store_record_put(st, &row, &o, v), AU_OK);
    au_free(doc);
    return o;
}

/* One group (an update of r1 to valid, an insert of quarantined r2) with the n-th allocation of
 * the hook failing: returns what the engine would see, after undoing what it would undo. */
static au_rc group_failing_at(long n)
{
    au_record *r1 = mk("r1", "1981-01-13", 0), *r2 = mk("r2", "1982-13-01", 1);
    int64_t v1, v2;
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    au_put_outcome o1 = put_only(r1, &v1), o2 = put_only(r2, &v2);
    au_alloc_fail_after(n);
    au_rc rc = au_quality_hook.record_written(state, st, r1, o1, v1, T0);
    if (!rc)
        rc = au_quality_hook.record_written(state, st, r2, o2, v2, T0);
    if (rc) {
        au_alloc_fail_after(-1);
        job_fail();
        cr_assert_eq(au_store_rollback(st), AU_OK);
        au_quality_hook.group_rolled_back(state);
        goto out;
    }
    job_keep();
    rc = au_quality_hook.before_commit(state, st);
    au_alloc_fail_after(-1);
    if (rc) {
        cr_assert_eq(au_store_rollback(st), AU_OK);
        au_quality_hook.group_rolled_back(state);
        goto out;
    }
    cr_assert_eq(au_store_commit(st), AU_OK);
out:
    au_record_free(r1);
    au_record_free(r2);
    return rc;
}

AU_BOTH_TEST(quality, allocation_failures_count_all_or_nothing)
{
    char ex[256];
    cr_assert_eq(au_store_begin(st), AU_OK);
    job_begin();
    put(mk("r1", "1981-13-01", 1));
    job_keep();
    group_commit();
    long n = 0;
    au_rc rc;
    while ((rc = group_failing_at(n)) == AU_ERR_NOMEM) {
        /* A failed group counted nothing: still r1 alone, quarantined. */
        cr_assert_eq(count(NULL, "records"), 1, "after failing allocation %ld", n);
        cr_assert_eq(count("date_of_birth", "quarantined"), 1, "after failing allocation %ld", n);
        cr_assert_eq(count("date_of_birth", "valid"), 0, "after failing allocation %ld", n);
        n++;
        cr_assert_lt(n, 10000, "never succeeds");
    }
    cr_assert_eq(rc, AU_OK);
    cr_assert_gt(n, 0, "the hook allocates, so some step must have failed");
    cr_assert_eq(count(NULL, "records"), 2);
    cr_assert_eq(count("date_of_birth", "valid"), 1);
    cr_assert_eq(count("date_of_birth", "quarantined"), 1);
    examples(ex, sizeof(ex));
    cr_assert_str_eq(ex, "r2");
}

/* ---- the engine end to end --------------------------------------------------------------- */

static au_config cfg;
static au_engine *eng;

static void engine_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aurum-quality-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = dir;
    cfg.group_commit_max = 64;
    cfg.sources = json_object();
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_app_engine_open_at(&cfg, au_both_store(dir), dir, &eng, &err), AU_OK, "%s",
                 err.message);
    au_err_cleanup(&err);
}

static void engine_teardown(void)
{
    au_engine_close(eng);
    eng = NULL;
    json_decref(cfg.sources);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void define(const char *date_format)
{
    json_t *def =
        json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s}}}", "record_id", "id", "fields", "first_name",
                  "first", "email", "mail", "date_of_birth", "from", "dob", "format", date_format);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_engine_source_put(eng, "crm", def, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    json_decref(def);
}

/* Maps and writes {"id","first","dob"} documents through the source. */
static void write_docs(const char *const *docs, size_t n)
{
    au_record **recs = au_calloc(n, sizeof(*recs));
    const au_source *s = au_engine_source_acquire(eng, "crm");
    au_err err;
    au_err_init(&err);
    for (size_t i = 0; i < n; i++) {
        json_t *doc = json_loads(docs[i], 0, NULL);
        cr_assert_eq(au_source_map(s, doc, (long)i, &recs[i], &err), AU_OK, "%s", err.message);
        json_decref(doc);
    }
    au_engine_source_release(eng, s);
    cr_assert_eq(au_engine_write_records(eng, recs, n, "test", NULL, &err), AU_OK, "%s",
                 err.message);
    au_err_cleanup(&err);
}

static long long engine_count(const char *attr, const char *field, const char *reason)
{
    au_store *rd = au_engine_reader(eng);
    json_t *rep = report(rd), *r;
    au_engine_reader_release(eng, rd);
    json_t *a = attr_of(rep, attr);
    long long n = json_integer_value(json_object_get(a, field));
    size_t i;
    if (reason) {
        n = 0;
        json_array_foreach(json_object_get(a, "reasons"), i,
                           r) if (strcmp(json_string_value(json_object_get(r, "reason")), reason) ==
                                  0) n = json_integer_value(json_object_get(r, "count"));
    }
    json_decref(rep);
    return n;
}

AU_BOTH_SUITE(quality_engine, engine_setup, engine_teardown);

AU_BOTH_TEST(quality_engine, wrong_date_format_then_fixed_definition_and_renormalize)
{
    static const char *const docs[] = {
        "{\"id\":\"1\",\"first\":\"Ann\",\"dob\":\"23/09/1981\",\"mail\":\"ann@x.com\"}",
        "{\"id\":\"2\",\"first\":\"Bob\",\"dob\":\"30/01/1975\"}",
        "{\"id\":\"3\",\"first\":\"Cy\",\"dob\":\"31/02/1990\",\"mail\":\"not-mail\"}",
    };
    define("YYYYMMDD"); /* the source actually writes D/M/Y */
    write_docs(docs, 3);
    cr_assert_eq(engine_count("date_of_birth", "quarantined", NULL), 3);
    cr_assert_eq(engine_count("date_of_birth", "x", "date_format_mismatch"), 3);
    cr_assert_eq(engine_count("date_of_birth", "valid", NULL), 0);
    cr_assert_eq(engine_count("email", "valid", NULL), 1);
    cr_assert_eq(engine_count("email", "missing", NULL), 1, "record 2 has no e-mail");
    cr_assert_eq(engine_count("email", "x", "email_invalid"), 1);

    define("DMY");
    au_remap_summary sum;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_renormalize(eng, "crm", "test", NULL, NULL, &sum, &err), AU_OK, "%s",
                 err.message);
    au_err_cleanup(&err);
    cr_assert_eq(sum.records, 3);
    cr_assert_eq(sum.changed, 3, "the third date is still refused, for a new reason");
    cr_assert_eq(sum.unchanged, 0);
    cr_assert_eq(sum.quarantined, 1);
    cr_assert_eq(engine_count("date_of_birth", "valid", NULL), 2);
    cr_assert_eq(engine_count("date_of_birth", "quarantined", NULL), 1);
    cr_assert_eq(engine_count("date_of_birth", "x", "date_format_mismatch"), 0);
    cr_assert_eq(engine_count("date_of_birth", "x", "date_impossible"), 1);
    cr_assert_eq(engine_count("email", "valid", NULL), 1, "other attributes keep their counts");

    au_store *rd = au_engine_reader(eng);
    au_record_out out;
    cr_assert_eq(au_store_record_get(rd, "crm", "1", 0, &out), AU_OK);
    cr_assert_not_null(strstr(out.doc, "\"value\":\"1981-09-23\""), "%s", out.doc);
    cr_assert_eq(out.version, 2);
    au_record_out_cleanup(&out);
    au_engine_reader_release(eng, rd);

    cr_assert_eq(au_renormalize(eng, "crm", "test", NULL, NULL, &sum, &err), AU_OK);
    cr_assert_eq(sum.changed, 0, "a second run changes nothing");
    cr_assert_eq(sum.unchanged, 3);
}
