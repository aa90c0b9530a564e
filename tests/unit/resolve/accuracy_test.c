/*
 * Accuracy of the default model on public record-linkage sets with ground truth: each file is
 * read with the CSV reader, mapped and normalised by a source mapping (the YAML files in
 * tests/data/resolve) exactly as an import would, resolved record by record, and scored against the
 * truth carried in the record ids / cluster column (used only for scoring, never by the matcher).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/source.h"
#include "gen/gen.h"
#include "lib/alloc.h"
#include "lib/csv.h"
#include "resolve/eval.h"
#include "resolve/resolve.h"

/* A source definition: a JSON file, or the source `name` of a YAML configuration (its first
 * source when it has none of that name). */
static au_source *load_source(const char *name, const char *path)
{
    json_t *doc = NULL;
    au_source *s = NULL;
    au_err err;
    au_err_init(&err);
    if (strstr(path, ".yaml")) {
        static char text[16384];
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "cannot open %s", path);
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        cr_assert_eq(au_yaml_to_json(text, n, &doc, &err), AU_OK, "%s", err.message);
    } else {
        json_error_t je;
        doc = json_load_file(path, 0, &je);
        cr_assert_not_null(doc, "%s: %s", path, je.text);
    }
    json_t *def = NULL, *srcs = json_object_get(doc, "sources");
    if (json_is_object(srcs))
        def = json_object_get(srcs, name) ? json_object_get(srcs, name)
                                          : json_object_iter_value(json_object_iter(srcs));
    cr_assert_eq(au_source_new(name, def ? def : doc, &s, &err), AU_OK, "%s", err.message);
    json_decref(doc);
    au_err_cleanup(&err);
    return s;
}

/* Truth label of a row: FEBRL "rec-<N>-org|dup-<k>" -> N; otherwise the named column. */
static uint64_t truth_of(const au_csv *c, const au_csv_row *row, const char *truth_col)
{
    for (size_t i = 0; i < row->nfields; i++) {
        if (strcmp(au_csv_header_name(c, i), truth_col) != 0)
            continue;
        const char *v = row->fields[i];
        if (strncmp(v, "rec-", 4) == 0)
            v += 4;
        return strtoull(v, NULL, 10);
    }
    cr_assert_fail("no column %s", truth_col);
    return 0;
}

/* Maps doc; with on_invalid: keep_raw in the mappings a refused value (an e-mail without a dot
 * in its domain, month 13) is kept as raw only and the record accepted. */
static au_record *map(const au_source *src, json_t *doc, long index, size_t *refused)
{
    au_record *r = NULL;
    au_err err;
    au_err_init(&err);
    if (au_source_map(src, doc, index, &r, &err) != AU_OK) {
        r = NULL;
        (*refused)++;
    }
    au_err_cleanup(&err);
    return r;
}

typedef struct acc_result {
    au_eval_result e;
    size_t records, refused;
    double map_s, resolve_s; /* CPU seconds mapping+normalising and resolving (logged only) */
} acc_result;

static void resolve_file(const char *csv_path, const char *map_path, const char *truth_col,
                         acc_result *out)
{
    au_source *src = load_source("test", map_path);
    au_model m;
    au_model_default(&m);
    au_resolver *res = NULL;
    cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
    int fd = open(csv_path, O_RDONLY);
    cr_assert_geq(fd, 0, "cannot open %s", csv_path);
    au_csv *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_csv_open_fd(fd, NULL, &c), AU_OK);
    cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
    size_t cap = 1024, n = 0;
    uint64_t *truth = au_malloc(cap * sizeof *truth), *pred = au_malloc(cap * sizeof *pred);
    memset(out, 0, sizeof *out);
    for (;;) {
        au_csv_row row;
        cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK, "%s", err.message);
        if (row.eof)
            break;
        json_t *doc = json_object();
        for (size_t i = 0; i < row.nfields; i++)
            json_object_set_new(doc, au_csv_header_name(c, i), json_string(row.fields[i]));
        if (n == cap) {
            cap *= 2;
            truth = au_realloc(truth, cap * sizeof *truth);
            pred = au_realloc(pred, cap * sizeof *pred);
        }
        truth[n] = truth_of(c, &row, truth_col);
        clock_t t0 = clock();
        au_record *r = map(src, doc, (long)n, &out->refused);
        clock_t t1 = clock();
        out->map_s += (double)(t1 - t0) / CLOCKS_PER_SEC;
        if (r) {
            cr_assert_eq(au_resolver_add(res, (uint32_t)n, r, NULL), AU_OK);
            out->resolve_s += (double)(clock() - t1) / CLOCKS_PER_SEC;
            au_record_free(r);
        }
        json_decref(doc);
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t p = au_resolver_profile_of(res, (uint32_t)i);
        pred[i] = p ? p : (1ull << 40) + i;
    }
    cr_assert_eq(au_eval_labels(truth, pred, n, &out->e), AU_OK);
    out->records = n;
    cr_log_info("%s: %zu records (%zu refused by the mapping), pairwise "
                "P %.4f R %.4f F1 %.4f, B-cubed F1 %.4f; CPU map %.3fs resolve %.3fs",
                csv_path, n, out->refused, out->e.pair_p, out->e.pair_r, out->e.pair_f1,
                out->e.b3_f1, out->map_s, out->resolve_s);
    au_free(truth);
    au_free(pred);
    au_csv_free(c);
    close(fd);
    au_err_cleanup(&err);
    au_resolver_free(res);
    au_source_free(src);
}

Test(accuracy, febrl1, .timeout = 120)
{
    acc_result r;
    resolve_file("tests/data/febrl1.csv", "tests/data/febrl.yaml", "rec_id", &r);
    cr_assert_eq(r.refused, 0);
    cr_assert_eq(r.records, 1000);
    cr_assert_geq(r.e.pair_f1, 0.97, "pairwise F1 %.4f", r.e.pair_f1);
}

Test(accuracy, febrl2, .timeout = 120)
{
    acc_result r;
    resolve_file("tests/data/febrl2.csv", "tests/data/febrl.yaml", "rec_id", &r);
    cr_assert_eq(r.records, 5000);
    cr_assert_geq(r.e.pair_f1, 0.97, "pairwise F1 %.4f", r.e.pair_f1);
}

Test(accuracy, fake_1000, .timeout = 120)
{
    acc_result r;
    resolve_file("tests/data/fake_1000.csv", "tests/data/resolve/fake_1000.json", "cluster", &r);
    cr_assert_eq(r.records, 1000);
    cr_assert_geq(r.e.pair_f1, 0.90, "pairwise F1 %.4f", r.e.pair_f1);
}

/* Reads a CSV file into (key, label) string lists: key = the first two columns joined by a
 * comma, label = the third. For truth.csv (source,record_id,person_id). */
static size_t read_truth(const char *path, char ***keys, char ***labels)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[512];
    size_t n = 0, cap = 1024;
    *keys = au_malloc(cap * sizeof(char *));
    *labels = au_malloc(cap * sizeof(char *));
    cr_assert_not_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *comma = strrchr(line, ',');
        cr_assert_not_null(comma);
        *comma = '\0';
        if (n == cap) {
            cap *= 2;
            *keys = au_realloc(*keys, cap * sizeof(char *));
            *labels = au_realloc(*labels, cap * sizeof(char *));
        }
        (*keys)[n] = au_strdup(line);
        (*labels)[n] = au_strdup(comma + 1);
        n++;
    }
    fclose(f);
    return n;
}

/* The generated Northwind set: six systems with their own layouts, mapped by the generated
 * northwind.yaml only, about 100,000 records of 38,000 people. */
Test(accuracy, northwind_100k, .timeout = 600)
{
    char dir[] = "/tmp/aurum-nw-XXXXXX", path[512], yaml[600];
    cr_assert_not_null(mkdtemp(dir));
    au_gen_opts o;
    au_gen_opts_init(&o);
    o.out_dir = dir;
    o.people = 38000;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_gen_run(&o, NULL, &err), AU_OK, "%s", err.message);
    snprintf(yaml, sizeof yaml, "%s/northwind.yaml", dir);
    au_model m;
    au_model_default(&m);
    au_resolver *res = NULL;
    cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
    size_t cap = 1 << 17, n = 0;
    char **keys = au_malloc(cap * sizeof(char *)), **labels = NULL;
    for (int sys = 0; sys < AU_GEN_NSYSTEMS; sys++) {
        const char *name = au_gen_system_name((au_gen_system)sys);
        au_source *src = load_source(name, yaml);
        snprintf(path, sizeof path, "%s/%s.csv", dir, name);
        int fd = open(path, O_RDONLY);
        cr_assert_geq(fd, 0, "cannot open %s", path);
        au_csv *c = NULL;
        cr_assert_eq(au_csv_open_fd(fd, NULL, &c), AU_OK);
        cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
        for (;;) {
            au_csv_row row;
            cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK, "%s", err.message);
            if (row.eof)
                break;
            json_t *doc = json_object();
            for (size_t i = 0; i < row.nfields; i++)
                json_object_set_new(doc, au_csv_header_name(c, i), json_string(row.fields[i]));
            size_t refused = 0;
            au_record *r = map(src, doc, (long)n, &refused);
            cr_assert_not_null(r, "%s row %ld refused", name, row.line);
            if (n == cap) {
                cap *= 2;
                keys = au_realloc(keys, cap * sizeof(char *));
            }
            keys[n] = au_asprintf("%s,%s", name, r->record_id);
            cr_assert_eq(au_resolver_add(res, (uint32_t)n, r, NULL), AU_OK);
            au_record_free(r);
            json_decref(doc);
            n++;
        }
        au_csv_free(c);
        close(fd);
        au_source_free(src);
    }
    labels = au_malloc(n * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        labels[i] = au_asprintf("%u", au_resolver_profile_of(res, (uint32_t)i));
    char **tk = NULL, **tl = NULL;
    snprintf(path, sizeof path, "%s/truth.csv", dir);
    size_t nt = read_truth(path, &tk, &tl);
    cr_assert_eq(nt, n, "every generated record is in the truth");
    au_eval_result e;
    cr_assert_eq(au_eval_keyed((const char *const *)tk, (const char *const *)tl, nt,
                               (const char *const *)keys, (const char *const *)labels, n, &e),
                 AU_OK);
    cr_log_info("northwind: %zu records, %zu profiles, pairwise P %.4f R %.4f F1 %.4f, B-cubed "
                "F1 %.4f",
                n, au_resolver_profile_count(res), e.pair_p, e.pair_r, e.pair_f1, e.b3_f1);
    cr_assert_geq(e.pair_f1, 0.97, "pairwise F1 %.4f", e.pair_f1);
    for (size_t i = 0; i < n; i++) {
        au_free(keys[i]);
        au_free(labels[i]);
        au_free(tk[i]);
        au_free(tl[i]);
    }
    au_free(keys);
    au_free(labels);
    au_free(tk);
    au_free(tl);
    au_resolver_free(res);
    au_err_cleanup(&err);
    for (int sys = 0; sys < AU_GEN_NSYSTEMS; sys++) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, au_gen_system_name((au_gen_system)sys));
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/truth.csv", dir);
    unlink(path);
    unlink(yaml);
    rmdir(dir);
}
