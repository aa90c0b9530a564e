/*
 * Accuracy of identity resolution through the real pipeline: files imported by au_import_file
 * into an engine on a temporary data dir (mapping -> normalisation -> writer -> resolve hook ->
 * store), the engine closed, the profiles read back from the store and compared with the truth
 * by the eval module. Default matching configuration, mapping files only; the truth is read
 * from the input files by the test, never by the resolver. Also: the resolver restored at the
 * next open agrees with the store, and a store without assignments is resolved at open.
 * No .timeout: under AddressSanitizer Criterion's timeout timers were reported as leaked;
 * scripts/test.sh bounds the whole run.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "app/compose.h"
#include "core/engine.h"
#include "ingest/import.h"
#include "core/source.h"
#include "resolve/hook.h"
#include "gen/gen.h"
#include "lib/alloc.h"
#include "lib/csv.h"
#include "resolve/eval.h"
#include "store/store.h"

/* key/label lists for au_eval_keyed; strings owned */
typedef struct keyed {
    char **keys, **labels;
    size_t n, cap;
} keyed;

static void keyed_add(keyed *k, const char *source, const char *id, const char *label)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 4096;
        k->keys = au_realloc(k->keys, k->cap * sizeof(char *));
        k->labels = au_realloc(k->labels, k->cap * sizeof(char *));
        cr_assert(k->keys && k->labels);
    }
    k->keys[k->n] = au_asprintf("%s\x1f%s", source, id);
    k->labels[k->n++] = au_strdup(label);
}

static void keyed_cleanup(keyed *k)
{
    for (size_t i = 0; i < k->n; i++) {
        au_free(k->keys[i]);
        au_free(k->labels[i]);
    }
    au_free(k->keys);
    au_free(k->labels);
    memset(k, 0, sizeof(*k));
}

/* Truth from a CSV: key column `id_col`, label column `label_col`; with febrl set the label is
 * the entity number inside the FEBRL id ("rec-12-dup-0" -> "12"). */
static void read_truth(keyed *t, const char *path, const char *source, const char *id_col,
                       const char *label_col, int febrl)
{
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0, "cannot open %s", path);
    au_csv *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_csv_open_fd(fd, NULL, &c), AU_OK);
    cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
    long ci = -1, cl = -1, cs = -1;
    for (size_t i = 0; i < au_csv_header_count(c); i++) {
        if (strcmp(au_csv_header_name(c, i), id_col) == 0)
            ci = (long)i;
        if (strcmp(au_csv_header_name(c, i), label_col) == 0)
            cl = (long)i;
        if (!source && strcmp(au_csv_header_name(c, i), "source") == 0)
            cs = (long)i;
    }
    cr_assert(ci >= 0 && cl >= 0, "%s: columns %s/%s", path, id_col, label_col);
    for (;;) {
        au_csv_row row;
        cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK, "%s", err.message);
        if (row.eof)
            break;
        char label[64];
        const char *l = row.fields[cl];
        if (febrl) {
            const char *dash = strchr(l, '-');
            snprintf(label, sizeof(label), "%.*s", (int)strcspn(dash + 1, "-"), dash + 1);
            l = label;
        }
        keyed_add(t, source ? source : row.fields[cs], row.fields[ci], l);
    }
    au_csv_free(c);
    close(fd);
    au_err_cleanup(&err);
}

static int pred_row(void *ctx, const au_resolve_row *r)
{
    char label[32];
    if (r->profile) {
        snprintf(label, sizeof(label), "%lld", (long long)r->profile);
        keyed_add(ctx, r->source, r->record_id, label);
    }
    return 0;
}

static void make_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/aurum-rh-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

typedef struct input {
    const char *source, *path;
} input;

/* Imports the inputs through the engine on `dir`; returns records read, *rejected those the
 * mapping refused (NULL: none may be). */
static long import_some(const char *dir, const char *config, const input *in, size_t nin,
                        long *rejected)
{
    au_config *cfg = NULL;
    au_engine *e = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(config, &cfg, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_app_engine_open(cfg, dir, &e, &err), AU_OK, "%s", err.message);
    au_import_summary sum;
    au_import_summary_init(&sum);
    for (size_t i = 0; i < nin; i++) {
        au_import_opts o = {.source = in[i].source, .engine = e};
        cr_assert_eq(au_import_file(&o, in[i].path, &sum, &err), AU_OK, "%s", err.message);
    }
    if (rejected)
        *rejected = sum.rejected;
    else
        cr_assert_eq(sum.rejected, 0, "rows rejected: %s",
                     sum.nrejects ? sum.rejects[0].reason : "");
    long read = sum.read;
    au_import_summary_cleanup(&sum);
    au_engine_close(e);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return read;
}

static long import_all(const char *dir, const char *config, const input *in, size_t nin)
{
    return import_some(dir, config, in, nin, NULL);
}

/* Profiles in the store of `dir` against the truth; with tags (aligned with the truth), also
 * the errors per tag into *by. */
static au_eval_result evaluate_tags(const char *dir, keyed *truth, const uint64_t *tags,
                                    au_eval_by_tag *by)
{
    au_store *st = NULL;
    keyed pred = {0};
    au_eval_result r;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_store_open(dir, AU_STORE_RO, &st, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_store_resolve_scan(st, pred_row, &pred), AU_OK);
    if (!tags) /* with tags, refused records are missing: they count as singletons */
        cr_assert_eq(pred.n, truth->n, "every record has a profile (%zu of %zu)", pred.n, truth->n);
    cr_assert_eq(au_eval_keyed((const char *const *)truth->keys, (const char *const *)truth->labels,
                               truth->n, (const char *const *)pred.keys,
                               (const char *const *)pred.labels, pred.n, &r),
                 AU_OK);
    if (tags)
        cr_assert_eq(au_eval_keyed_tags((const char *const *)truth->keys,
                                        (const char *const *)truth->labels, tags, truth->n,
                                        (const char *const *)pred.keys,
                                        (const char *const *)pred.labels, pred.n, by),
                     AU_OK);
    keyed_cleanup(&pred);
    au_store_close(st);
    au_err_cleanup(&err);
    return r;
}

static au_eval_result evaluate(const char *dir, keyed *truth)
{
    return evaluate_tags(dir, truth, NULL, NULL);
}

static void log_result(const char *what, const au_eval_result *r)
{
    cr_log_info("%s: %zu records, pairwise P %.4f R %.4f F1 %.4f, B-cubed F1 %.4f", what, r->n,
                r->pair_p, r->pair_r, r->pair_f1, r->b3_f1);
}

static void febrl(const char *csv, long expect, au_eval_result *r)
{
    char dir[64];
    keyed t = {0};
    make_dir(dir, sizeof(dir));
    input in = {"febrl", csv};
    cr_assert_eq(import_all(dir, "tests/data/febrl.yaml", &in, 1), expect);
    read_truth(&t, csv, "febrl", "rec_id", "rec_id", 1);
    *r = evaluate(dir, &t);
    log_result(csv, r);
    keyed_cleanup(&t);
    remove_dir(dir);
}

Test(resolve_pipeline, febrl1)
{
    au_eval_result r;
    febrl("tests/data/febrl1.csv", 1000, &r);
    cr_assert_geq(r.pair_f1, 0.97, "pairwise F1 %.4f", r.pair_f1);
}

Test(resolve_pipeline, febrl2)
{
    au_eval_result r;
    febrl("tests/data/febrl2.csv", 5000, &r);
    cr_assert_geq(r.pair_f1, 0.97, "pairwise F1 %.4f", r.pair_f1);
}

Test(resolve_pipeline, fake_1000)
{
    char dir[64], config[128], *json = NULL;
    keyed t = {0};
    size_t len = 0;
    make_dir(dir, sizeof(dir));
    /* the JSON mapping is valid YAML flow syntax: wrap it as the one source of a config */
    FILE *f = fopen("tests/data/resolve/fake_1000.json", "r");
    cr_assert(f);
    cr_assert_eq(getdelim(&json, &len, '\0', f) > 0, 1);
    fclose(f);
    snprintf(config, sizeof(config), "%s/config.yaml", dir);
    f = fopen(config, "w");
    cr_assert(f);
    fprintf(f, "sources:\n  fake: %s\n", json);
    fclose(f);
    free(json);
    input in = {"fake", "tests/data/fake_1000.csv"};
    cr_assert_eq(import_all(dir, config, &in, 1), 1000);
    read_truth(&t, in.path, "fake", "unique_id", "cluster", 0);
    au_eval_result r = evaluate(dir, &t);
    log_result("fake_1000", &r);
    cr_assert_geq(r.pair_f1, 0.90, "pairwise F1 %.4f", r.pair_f1);
    keyed_cleanup(&t);
    remove_dir(dir);
}

/* A generated multi-source Northwind set: ~100 k records (2.65 records per person) in the
 * normal build; under AddressSanitizer, ~10 k so the suite stays quick. */
#if defined(__SANITIZE_ADDRESS__)
#define NORTHWIND_PEOPLE 4000
#else
#define NORTHWIND_PEOPLE 38000
#endif

Test(resolve_pipeline, northwind_multi_source)
{
    char dir[64], gen_dir[128], data_dir[128], paths[AU_GEN_NSYSTEMS][160], config[160];
    input in[AU_GEN_NSYSTEMS];
    keyed t = {0};
    au_err err;
    au_err_init(&err);
    make_dir(dir, sizeof(dir));
    snprintf(gen_dir, sizeof(gen_dir), "%s/gen", dir);
    snprintf(data_dir, sizeof(data_dir), "%s/data", dir);
    au_gen_opts o;
    au_gen_opts_init(&o);
    o.out_dir = gen_dir;
    o.people = NORTHWIND_PEOPLE;
    au_gen_stats gs;
    cr_assert_eq(au_gen_run(&o, &gs, &err), AU_OK, "%s", err.message);
    for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
        snprintf(paths[s], sizeof(paths[s]), "%s/%s.csv", gen_dir,
                 au_gen_system_name((au_gen_system)s));
        in[s] = (input){au_gen_system_name((au_gen_system)s), paths[s]};
    }
    snprintf(config, sizeof(config), "%s/northwind.yaml", gen_dir);
    cr_assert_eq(import_all(data_dir, config, in, AU_GEN_NSYSTEMS), gs.total_rows);
    snprintf(config, sizeof(config), "%s/truth.csv", gen_dir);
    read_truth(&t, config, NULL, "record_id", "person_id", 0);
    au_eval_result r = evaluate(data_dir, &t);
    log_result("northwind", &r);
    cr_assert_geq(r.pair_f1, 0.97, "pairwise F1 %.4f", r.pair_f1);
    keyed_cleanup(&t);
    au_err_cleanup(&err);
    remove_dir(dir);
}

/* A store whose records have no profiles (written before resolution existed) is resolved when
 * the engine opens it, as well as by the incremental path. */
Test(resolve_pipeline, records_without_profiles_are_resolved_at_open)
{
    char dir[64], db[128];
    keyed t = {0};
    au_config *cfg = NULL;
    au_engine *e = NULL;
    sqlite3 *h = NULL;
    au_err err;
    au_err_init(&err);
    make_dir(dir, sizeof(dir));
    input in = {"febrl", "tests/data/febrl1.csv"};
    cr_assert_eq(import_all(dir, "tests/data/febrl.yaml", &in, 1), 1000);
    snprintf(db, sizeof(db), "%s/aurum.db", dir);
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h,
                              "DELETE FROM assignments; DELETE FROM profile_redirects; "
                              "DELETE FROM changes;",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(h);
    cr_assert_eq(au_config_load("tests/data/febrl.yaml", &cfg, &err), AU_OK);
    cr_assert_eq(au_app_engine_open(cfg, dir, &e, &err), AU_OK, "%s", err.message);
    au_engine_close(e);
    au_config_free(cfg);
    read_truth(&t, in.path, "febrl", "rec_id", "rec_id", 1);
    au_eval_result r = evaluate(dir, &t); /* asserts every record has a profile again */
    log_result("febrl1 resolved at open", &r);
    cr_assert_geq(r.pair_f1, 0.97, "pairwise F1 %.4f", r.pair_f1);
    keyed_cleanup(&t);
    au_err_cleanup(&err);
    remove_dir(dir);
}

/* ---- the change feed --------------------------------------------------------------------- */

static void write_febrl(au_engine *e, const char *id, const char *first, const char *last,
                        const char *dob, const char *ssn)
{
    au_err err;
    au_err_init(&err);
    const au_source *src = au_engine_source_acquire(e, "febrl");
    cr_assert_not_null(src);
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "rec_id", id, "given_name", first, "surname",
                  last, "date_of_birth", dob, "soc_sec_id", ssn, "suburb", "kingston");
    au_record **recs = au_malloc(sizeof(*recs));
    cr_assert_eq(au_source_map(src, doc, 0, &recs[0], &err), AU_OK, "%s", err.message);
    au_engine_source_release(e, src);
    json_decref(doc);
    au_write_summary sum;
    cr_assert_eq(au_engine_write_records(e, recs, 1, "test", &sum, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

typedef struct feed {
    char rows[64][64]; /* "kind profile other" */
    int n;
} feed;

static int on_change(void *ctx, const au_change_row *c)
{
    feed *f = ctx;
    if (f->n < 64)
        snprintf(f->rows[f->n++], sizeof(f->rows[0]), "%s %lld %lld", c->kind,
                 (long long)c->profile, (long long)c->other);
    return 0;
}

static int has(const feed *f, const char *row)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->rows[i], row) == 0)
            return 1;
    return 0;
}

static int64_t profile(au_engine *e, const char *id)
{
    int64_t p = 0;
    au_store *st = au_engine_reader(e);
    cr_assert_eq(au_store_profile_of(st, "febrl", id, &p), AU_OK);
    au_engine_reader_release(e, st);
    return p;
}

Test(resolve_pipeline, the_change_feed_records_created_updated_split_merged_and_deleted)
{
    char dir[64];
    au_config *cfg = NULL;
    au_engine *e = NULL;
    au_err err;
    au_err_init(&err);
    feed f = {0};
    make_dir(dir, sizeof(dir));
    cr_assert_eq(au_config_load("tests/data/febrl.yaml", &cfg, &err), AU_OK);
    cr_assert_eq(au_app_engine_open(cfg, dir, &e, &err), AU_OK, "%s", err.message);
    write_febrl(e, "a", "joan", "fitzgerald", "19700102", "1234567");
    write_febrl(e, "b", "joan", "fitzgerald", "19700102", "1234567");
    write_febrl(e, "c", "walter", "yeung", "19881111", "7654321");
    int64_t p = profile(e, "a"), pc = profile(e, "c");
    cr_assert_eq(profile(e, "b"), p);
    /* b becomes someone else: it splits off into a new profile */
    write_febrl(e, "b", "theodora", "mcintyre", "19451230", "9990001");
    int64_t pb = profile(e, "b");
    cr_assert_neq(pb, p);
    /* a manual merge of c into a's profile: one of the two vanishes into the other */
    cr_assert_eq(au_resolve_merge(e, p, "febrl", "c", 0, "test", &err), AU_OK, "%s", err.message);
    int64_t pm = profile(e, "a");
    cr_assert_eq(profile(e, "c"), pm);
    int64_t gone = pm == p ? pc : p;
    /* deleting the only record of b's profile deletes the profile */
    cr_assert_eq(au_engine_delete_record(e, "febrl", "b", "test", &err), AU_OK);
    au_store *st = au_engine_reader(e);
    cr_assert_eq(au_store_changes_after(st, 0, 64, on_change, &f), AU_OK);
    int64_t into = 0;
    cr_assert_eq(au_store_redirect_get(st, gone, &into), AU_OK);
    cr_assert_eq(into, pm, "the vanished profile records where it went");
    au_engine_reader_release(e, st);
    char row[64];
    snprintf(row, sizeof(row), "created %lld 0", (long long)p);
    cr_assert(has(&f, row), "%s", row);
    snprintf(row, sizeof(row), "updated %lld 0", (long long)p);
    cr_assert(has(&f, row), "%s", row);
    snprintf(row, sizeof(row), "split %lld %lld", (long long)pb, (long long)p);
    cr_assert(has(&f, row), "%s", row);
    snprintf(row, sizeof(row), "merged %lld %lld", (long long)gone, (long long)pm);
    cr_assert(has(&f, row), "%s", row);
    snprintf(row, sizeof(row), "deleted %lld 0", (long long)pb);
    cr_assert(has(&f, row), "%s", row);
    au_engine_close(e);
    au_config_free(cfg);
    au_err_cleanup(&err);
    remove_dir(dir);
}

/* traps.csv of the generator -> the trap mask of each truth record (bit = au_gen_trap). */
static uint64_t *read_traps(const char *path, const keyed *truth)
{
    keyed tr = {0};
    read_truth(&tr, path, NULL, "record_id", "traps", 0);
    cr_assert_eq(tr.n, truth->n, "traps.csv has a row per record");
    uint64_t *tags = au_calloc(truth->n, sizeof(uint64_t));
    for (size_t i = 0; i < tr.n; i++) {
        /* both files list the records in the same order (the generator writes them together) */
        cr_assert_str_eq(tr.keys[i], truth->keys[i]);
        for (const char *s = tr.labels[i]; *s;) {
            size_t n = strcspn(s, " ");
            for (int k = 0; k < AU_GEN_NTRAPS; k++)
                if (strlen(au_gen_trap_name((au_gen_trap)k)) == n &&
                    strncmp(au_gen_trap_name((au_gen_trap)k), s, n) == 0)
                    tags[i] |= 1ULL << k;
            s += n + (s[n] == ' ');
        }
    }
    keyed_cleanup(&tr);
    return tags;
}

/* Issue 8's target on trap-rich data (PRODUCT.md, "Accuracy"): a generated Northwind set with
 * `--traps` (dirty dates, display-name, role and placeholder e-mails, reused and placeholder
 * national ids, foreign phones, country aliases, titles, Jr/Sr, twins, families), ~20,000
 * records, default configuration and the generated mapping only. No record may be refused
 * for a dirty value, pairwise precision >= 0.97 and F1 >= 0.95. The errors per trap kind are
 * logged so a failure says which kinds cause the false merges and the missed links. */
#if defined(__SANITIZE_ADDRESS__)
#define TRAPS_PEOPLE 2000
#else
#define TRAPS_PEOPLE 7500 /* 19,845 records with seed 20 */
#endif

Test(resolve_pipeline, northwind_traps_20k)
{
    char dir[64], gen_dir[128], data_dir[128], paths[AU_GEN_NSYSTEMS][160], path[160];
    input in[AU_GEN_NSYSTEMS];
    keyed t = {0};
    au_err err;
    au_err_init(&err);
    make_dir(dir, sizeof(dir));
    snprintf(gen_dir, sizeof(gen_dir), "%s/gen", dir);
    snprintf(data_dir, sizeof(data_dir), "%s/data", dir);
    au_gen_opts o;
    au_gen_opts_init(&o);
    o.out_dir = gen_dir;
    o.people = TRAPS_PEOPLE;
    o.seed = 20;
    o.traps = 1;
    au_gen_stats gs;
    cr_assert_eq(au_gen_run(&o, &gs, &err), AU_OK, "%s", err.message);
    cr_assert_gt(gs.trap_rows, gs.total_rows / 5, "trap-rich: %ld of %ld", gs.trap_rows,
                 gs.total_rows);
    for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
        snprintf(paths[s], sizeof(paths[s]), "%s/%s.csv", gen_dir,
                 au_gen_system_name((au_gen_system)s));
        in[s] = (input){au_gen_system_name((au_gen_system)s), paths[s]};
    }
    snprintf(path, sizeof(path), "%s/northwind.yaml", gen_dir);
    long rejected = 0;
    cr_assert_eq(import_some(data_dir, path, in, AU_GEN_NSYSTEMS, &rejected), gs.total_rows);
    snprintf(path, sizeof(path), "%s/truth.csv", gen_dir);
    read_truth(&t, path, NULL, "record_id", "person_id", 0);
    snprintf(path, sizeof(path), "%s/traps.csv", gen_dir);
    uint64_t *tags = read_traps(path, &t);
    au_eval_by_tag by;
    au_eval_result r = evaluate_tags(data_dir, &t, tags, &by);
    log_result("northwind --traps", &r);
    cr_log_info("northwind --traps: %ld of %ld records refused by the mapping", rejected,
                gs.total_rows);
    for (int k = 0; k < AU_GEN_NTRAPS; k++)
        cr_log_info("  %-24s false merges %6llu, precision %.4f; missed links %6llu, recall %.4f",
                    au_gen_trap_name((au_gen_trap)k), (unsigned long long)by.tag_fp[k],
                    by.tag_pred[k] ? 1.0 - (double)by.tag_fp[k] / (double)by.tag_pred[k] : 1.0,
                    (unsigned long long)by.tag_fn[k],
                    by.tag_true[k] ? 1.0 - (double)by.tag_fn[k] / (double)by.tag_true[k] : 1.0);
    cr_expect_eq(rejected, 0, "%ld records refused for a dirty value", rejected);
    cr_expect_geq(r.pair_p, 0.97, "pairwise precision %.4f (target 0.97)", r.pair_p);
    cr_expect_geq(r.pair_f1, 0.95, "pairwise F1 %.4f (target 0.95)", r.pair_f1);
    au_free(tags);
    keyed_cleanup(&t);
    au_err_cleanup(&err);
    remove_dir(dir);
}
