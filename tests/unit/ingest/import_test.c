/*
 * Tests of the import pipeline through the real engine and store in a temporary data
 * directory: the data-driven cases of tests/cases/import/, and an end-to-end import of the
 * FEBRL file in tests/data (first import, re-import, modified copy).
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "app/compose.h"
#include "core/engine.h"
#include "ingest/import.h"
#include "lib/lockfile.h"

#define CASES  "tests/cases/import"
#define FEBRL1 "tests/data/febrl1.csv"

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh engine on a new temporary directory; *dir to be freed and removed by the caller. */
static au_engine *open_engine(const char *config, au_config **cfg, char **dir)
{
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(config, cfg, &err), AU_OK, "%s", err.message);
    *dir = strdup("/tmp/aurum-import-XXXXXX");
    cr_assert_not_null(mkdtemp(*dir));
    au_engine *e = NULL;
    cr_assert_eq(au_app_engine_open(*cfg, *dir, &e, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    return e;
}

static void import(au_engine *e, const char *source, const char *path, au_import_summary *sum)
{
    au_import_opts o = {0};
    o.source = source;
    o.engine = e;
    o.batch = 3; /* small batches so cases cross batch boundaries */
    au_err err;
    au_err_init(&err);
    au_import_summary_init(sum);
    cr_assert_eq(au_import_file(&o, path, sum, &err), AU_OK, "%s: %s", path, err.message);
    au_err_cleanup(&err);
}

static void check_expected(const char *name, const char *expected, au_import_summary *s)
{
    FILE *f = fopen(expected, "r");
    cr_assert_not_null(f, "%s missing", expected);
    char line[512];
    size_t nrej = 0, nq = 0;
    while (fgets(line, sizeof line, f)) {
        char key[32], a[128], b[128];
        long n;
        if (sscanf(line, "quarantine %ld %127s %127s", &n, a, b) == 3) {
            cr_assert_lt(nq, s->nwarnings, "%s: fewer quarantined values kept than expected", name);
            const au_import_reject *w = &s->warnings[nq++];
            cr_assert_eq(w->line, n, "%s: quarantined value %zu at line %ld, want %ld (%s)", name,
                         nq, w->line, n, w->reason);
            cr_assert_str_eq(w->record_id, a, "%s: line %ld", name, n);
            cr_assert_str_eq(w->field, b, "%s: line %ld (%s)", name, n, w->reason);
            cr_assert(w->value && w->reason && *w->reason, "%s: line %ld", name, n);
            continue;
        }
        if (sscanf(line, "reject %ld %127s %127s", &n, a, b) == 3) {
            cr_assert_lt(nrej, s->nrejects, "%s: fewer rejections kept than expected", name);
            const au_import_reject *r = &s->rejects[nrej++];
            cr_assert_eq(r->line, n, "%s: rejection %zu at line %ld, want %ld (%s)", name, nrej,
                         r->line, n, r->reason);
            cr_assert_str_eq(r->record_id ? r->record_id : "-", a, "%s: line %ld", name, n);
            cr_assert_str_eq(r->field ? r->field : "-", b, "%s: line %ld (%s)", name, n, r->reason);
            continue;
        }
        if (sscanf(line, "%31s %ld", key, &n) != 2)
            continue;
        long got = strcmp(key, "read") == 0                  ? s->read
                   : strcmp(key, "inserted") == 0            ? s->inserted
                   : strcmp(key, "updated") == 0             ? s->updated
                   : strcmp(key, "unchanged") == 0           ? s->unchanged
                   : strcmp(key, "rejected") == 0            ? s->rejected
                   : strcmp(key, "quarantined") == 0         ? s->quarantined
                   : strcmp(key, "quarantined_records") == 0 ? s->quarantined_records
                                                             : -1;
        cr_assert_eq(got, n, "%s: %s %ld, want %ld", name, key, got, n);
    }
    cr_assert_eq(nrej, s->nrejects, "%s: %zu rejections kept, %zu expected", name, s->nrejects,
                 nrej);
    cr_assert_eq(nq, s->nwarnings, "%s: %zu quarantined values kept, %zu expected", name,
                 s->nwarnings, nq);
    fclose(f);
}

static void run_case(const char *name)
{
    char path[1024], input[1024];
    snprintf(path, sizeof path, "%s/%s/config.yaml", CASES, name);
    au_config *cfg = NULL;
    char *dir = NULL;
    au_engine *e = open_engine(path, &cfg, &dir);
    snprintf(input, sizeof input, "%s/%s/input.csv", CASES, name);
    if (access(input, R_OK) != 0)
        snprintf(input, sizeof input, "%s/%s/input.jsonl", CASES, name);
    au_import_summary sum;
    import(e, "src", input, &sum);
    snprintf(path, sizeof path, "%s/%s/expected", CASES, name);
    check_expected(name, path, &sum);
    au_import_summary_cleanup(&sum);
    au_engine_close(e);
    au_config_free(cfg);
    rm_rf(dir);
    free(dir);
}

Test(import_cases, every_case_matches_its_expected_summary)
{
    DIR *d = opendir(CASES);
    cr_assert_not_null(d, "run the tests from the repository root");
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s/expected", CASES, de->d_name);
        if (de->d_name[0] == '.' || access(p, R_OK) != 0)
            continue;
        run_case(de->d_name);
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 5, "only %d cases found", n);
}

/* Copies FEBRL1 with the surname of every 10th data row changed; returns how many changed. */
static long write_modified_copy(const char *to)
{
    FILE *in = fopen(FEBRL1, "r"), *out = fopen(to, "w");
    cr_assert(in && out);
    char line[4096];
    long row = -1, changed = 0;
    while (fgets(line, sizeof line, in)) {
        if (row >= 0 && row % 10 == 0) {
            char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
            char *c3 = c2 ? strchr(c2 + 1, ',') : NULL;
            cr_assert_not_null(c3);
            *c2 = 0;
            fprintf(out, "%s, zzchanged%s", line, c3);
            changed++;
        } else {
            fputs(line, out);
        }
        row++;
    }
    fclose(in);
    fclose(out);
    return changed;
}

Test(import_febrl, first_import_reimport_and_modified_copy)
{
    au_config *cfg = NULL;
    char *dir = NULL;
    au_engine *e = open_engine("tests/data/febrl.yaml", &cfg, &dir);
    au_import_summary s;
    import(e, "febrl", FEBRL1, &s);
    cr_assert_eq(s.read, 1000);
    cr_assert_eq(s.inserted, 1000);
    cr_assert_eq(s.rejected, 0, "first rejection: %s", s.nrejects ? s.rejects[0].reason : "");
    au_import_summary_cleanup(&s);

    import(e, "febrl", FEBRL1, &s);
    cr_assert_eq(s.read, 1000);
    cr_assert_eq(s.unchanged, 1000);
    cr_assert_eq(s.inserted + s.updated, 0);
    au_import_summary_cleanup(&s);

    char copy[1024];
    snprintf(copy, sizeof copy, "%s/febrl1-modified.csv", dir);
    long changed = write_modified_copy(copy);
    import(e, "febrl", copy, &s);
    cr_assert_eq(s.read, 1000);
    cr_assert_eq(s.updated, changed);
    cr_assert_eq(s.unchanged, 1000 - changed);
    cr_assert_eq(s.inserted, 0);
    au_import_summary_cleanup(&s);

    au_engine_close(e);
    au_config_free(cfg);
    rm_rf(dir);
    free(dir);
}

Test(import, unknown_source_is_an_error)
{
    au_config *cfg = NULL;
    char *dir = NULL;
    au_engine *e = open_engine("tests/data/febrl.yaml", &cfg, &dir);
    au_import_opts o = {0};
    o.source = "nope";
    o.engine = e;
    au_import_summary s;
    au_import_summary_init(&s);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_import_file(&o, FEBRL1, &s, &err), AU_ERR_NOT_FOUND);
    cr_assert(strstr(err.message, "nope"));
    au_err_cleanup(&err);
    au_err_init(&err);
    o.source = "febrl";
    cr_assert_eq(au_import_file(&o, "/nonexistent.csv", &s, &err), AU_ERR_IO);
    cr_assert(strstr(err.message, "/nonexistent.csv"));
    au_err_cleanup(&err);
    au_import_summary_cleanup(&s);
    au_engine_close(e);
    au_config_free(cfg);
    rm_rf(dir);
    free(dir);
}

Test(lockfile, a_second_holder_is_refused_until_release)
{
    char dir[] = "/tmp/aurum-lock-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    int a = -1, b = -1;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_lockfile_acquire(dir, &a, &err), AU_OK);
    cr_assert_eq(au_lockfile_acquire(dir, &b, &err), AU_ERR_BUSY);
    au_lockfile_release(a);
    cr_assert_eq(au_lockfile_acquire(dir, &b, &err), AU_OK);
    au_lockfile_release(b);
    au_err_cleanup(&err);
    rm_rf(dir);
}

#include "lib/alloc.h"
#include "../../support/fault.h"

/* One import of the ragged file (batches of 2) into ctx's engine; on success the counts must be
 * the reference import's: a swallowed allocation failure would lose or add a line. */
typedef struct import_run {
    au_engine *e;
    au_import_summary want; /* counts of the import without faults */
} import_run;

static au_rc import_once(void *ctx)
{
    import_run *ir = ctx;
    au_import_opts o = {0};
    o.source = "src";
    o.engine = ir->e;
    o.batch = 2;
    au_import_summary s;
    au_import_summary_init(&s);
    au_err err;
    au_err_init(&err);
    au_rc rc = au_import_file(&o, CASES "/ragged_and_missing_id/input.csv", &s, &err);
    if (!rc) {
        const au_import_summary *w = &ir->want;
        cr_assert_eq(s.read, w->read);
        cr_assert_eq(s.rejected, w->rejected);
        cr_assert_eq(s.quarantined, w->quarantined);
        cr_assert_eq(s.inserted + s.updated + s.unchanged, w->inserted + w->updated + w->unchanged);
    } else {
        cr_assert_eq(err.rc, rc, "the failure is described: %s", err.message);
    }
    au_import_summary_cleanup(&s);
    au_err_cleanup(&err);
    return rc;
}

/* Every allocation failure in the import path ends the import with AU_ERR_NOMEM, never a
 * crash, a leak (ASan build) or a silently different import; the engine's threads are not
 * affected (the fault counts are per thread). */
Test(import, allocation_failures_are_reported)
{
    au_config *cfg = NULL;
    char *dir = NULL;
    import_run ir = {0};
    ir.e = open_engine(CASES "/ragged_and_missing_id/config.yaml", &cfg, &dir);
    au_import_opts o = {0};
    o.source = "src";
    o.engine = ir.e;
    o.batch = 2;
    au_err err;
    au_err_init(&err);
    au_import_summary_init(&ir.want);
    cr_assert_eq(au_import_file(&o, CASES "/ragged_and_missing_id/input.csv", &ir.want, &err),
                 AU_OK);
    cr_assert_eq(ir.want.rejected, 3);
    au_fault_every_allocation(import_once, &ir);
    au_import_summary_cleanup(&ir.want);
    au_err_cleanup(&err);
    au_engine_close(ir.e);
    au_config_free(cfg);
    rm_rf(dir);
    free(dir);
}
