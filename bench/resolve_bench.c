/*
 * Resolver benchmark: maps the people.csv written by `aurum gen --single-source` with its
 * people.yaml exactly as an import would, feeds each record to au_resolver_add and reports the
 * CPU time spent in resolution only (mapping excluded), the resolver's memory, the process
 * peak RSS and the pairwise F1 against truth.csv (same row order as people.csv).
 * Build and run: see docs/BENCHMARKS.md ("Identity resolution").
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/source.h"
#include "lib/alloc.h"
#include "lib/csv.h"
#include "resolve/eval.h"
#include "resolve/resolve.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static au_source *load_source(const char *path)
{
    static char text[16384];
    json_t *doc = NULL;
    au_source *s = NULL;
    au_err err;
    au_err_init(&err);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    if (au_yaml_to_json(text, n, &doc, &err) == AU_OK) {
        json_t *srcs = json_object_get(doc, "sources");
        json_t *def = json_object_iter_value(json_object_iter(srcs));
        if (au_source_new("people", def, &s, &err) != AU_OK)
            fprintf(stderr, "%s\n", err.message);
    }
    json_decref(doc);
    au_err_cleanup(&err);
    return s;
}

/* Truth labels "P00000123" of the first `max` rows of truth.csv, in file order. */
static uint64_t *read_truth(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    char line[512];
    uint64_t *t = au_calloc(max, sizeof *t);
    size_t n = 0;
    if (!f || !t || !fgets(line, sizeof line, f)) {
        if (f)
            fclose(f);
        au_free(t);
        return NULL;
    }
    while (n < max && fgets(line, sizeof line, f)) {
        char *c = strrchr(line, ',');
        t[n++] = c ? strtoull(c + 2, NULL, 10) : 0;
    }
    fclose(f);
    return t;
}

int main(int argc, char **argv)
{
    char path[600];
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [MAX_RECORDS]\n", argv[0]);
        return 2;
    }
    size_t max = argc > 2 ? strtoull(argv[2], NULL, 10) : SIZE_MAX;
    snprintf(path, sizeof path, "%s/people.yaml", argv[1]);
    au_source *src = load_source(path);
    snprintf(path, sizeof path, "%s/people.csv", argv[1]);
    int fd = open(path, O_RDONLY);
    if (!src || fd < 0) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    au_csv *c = NULL;
    au_err err;
    au_err_init(&err);
    if (au_csv_open_fd(fd, NULL, &c) || au_csv_read_header(c, &err))
        return 1;
    au_model m;
    au_model_default(&m);
    au_resolver *res = NULL;
    if (au_resolver_new(&m, &res))
        return 1;
    if (max != SIZE_MAX)
        au_resolver_expect_records(res, max);
    double t_res = 0;
    size_t n = 0;
    while (n < max) {
        au_csv_row row;
        if (au_csv_next_record(c, &row, &err) || row.eof)
            break;
        json_t *doc = json_object();
        for (size_t i = 0; i < row.nfields; i++)
            json_object_set_new(doc, au_csv_header_name(c, i), json_string(row.fields[i]));
        au_record *r = NULL;
        if (au_source_map(src, doc, (long)n, &r, &err) == AU_OK) {
            double t0 = now();
            if (au_resolver_add(res, (uint32_t)n, r, NULL))
                return 1;
            t_res += now() - t0;
            au_record_free(r);
        }
        json_decref(doc);
        n++;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("records %zu profiles %zu resolve %.3f s CPU (%.2f us/record) resolver %.1f MB "
           "peak RSS %.1f MB\n",
           n, au_resolver_profile_count(res), t_res, t_res * 1e6 / (double)n,
           (double)au_resolver_memory(res) / 1e6, (double)ru.ru_maxrss / 1e3);
    snprintf(path, sizeof path, "%s/truth.csv", argv[1]);
    uint64_t *truth = read_truth(path, n), *pred = au_calloc(n, sizeof *pred);
    au_eval_result e;
    if (truth && pred) {
        for (size_t i = 0; i < n; i++) {
            uint32_t p = au_resolver_profile_of(res, (uint32_t)i);
            pred[i] = p ? p : (1ull << 40) + i;
        }
        if (au_eval_labels(truth, pred, n, &e) == AU_OK)
            printf("pairwise P %.4f R %.4f F1 %.4f, B-cubed F1 %.4f\n", e.pair_p, e.pair_r,
                   e.pair_f1, e.b3_f1);
    }
    au_free(truth);
    au_free(pred);
    au_resolver_free(res);
    au_csv_free(c);
    close(fd);
    au_source_free(src);
    au_err_cleanup(&err);
    return 0;
}
