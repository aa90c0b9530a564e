/*
 * Comparison-rate benchmark: loads the first N records of a `aurum gen --single-source`
 * people.csv into a resolver (mapped by its people.yaml exactly as an import maps them), then
 * scores pairs with the full Fellegi-Sunter comparison (every column, term-frequency adjustment,
 * no early exit) and reports comparisons per CPU second: random pairs (almost all non-matches)
 * and pairs of consecutive records sharing a block key (the candidates resolution scores).
 * Build and run: see docs/BENCHMARKS.md ("Identity resolution").
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/source.h"
#include "lib/csv.h"
#include "resolve/resolve_int.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: compare_rate people.csv people.yaml [N]\n");
        return 2;
    }
    long limit = argc > 3 ? atol(argv[3]) : 200000;
    au_config *cfg = NULL;
    au_source *src = NULL;
    au_resolver *res = NULL;
    au_model m;
    au_err err;
    au_err_init(&err);
    if (au_config_load(argv[2], &cfg, &err) ||
        au_source_new("people", json_object_get(cfg->sources, "people"), &src, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    au_model_default(&m);
    au_resolver_new(&m, &res);
    int fd = open(argv[1], O_RDONLY);
    au_csv *c = NULL;
    if (fd < 0 || au_csv_open_fd(fd, NULL, &c) || au_csv_read_header(c, &err))
        return 1;
    uint32_t n = 0;
    while (n < (uint32_t)limit) {
        au_csv_row row;
        if (au_csv_next_record(c, &row, &err) || row.eof)
            break;
        json_t *doc = json_object();
        for (size_t i = 0; i < row.nfields; i++)
            json_object_set_new(doc, au_csv_header_name(c, i), json_string(row.fields[i]));
        au_record *r = NULL;
        if (au_source_map(src, doc, (long)n, &r, &err) == AU_OK) {
            au_resolver_add(res, n, r, NULL);
            au_record_free(r);
            n++;
        }
        json_decref(doc);
    }
    double sink = 0, t0 = cpu_now();
    long pairs = 5000000;
    for (long i = 0; i < pairs; i++) {
        uint32_t a = (uint32_t)(next_rand() % n), b = (uint32_t)(next_rand() % n);
        sink += au_score_pair(res, &res->f[a], &res->f[b], NULL);
    }
    double t1 = cpu_now();
    /* candidates: each record against the members of its own profile and its neighbours */
    long cand = 0;
    for (uint32_t a = 1; a < n && cand < pairs; a++) {
        uint32_t p = au_resolver_profile_of(res, a);
        size_t k = 0;
        const uint32_t *mem = au_resolver_members(res, p, &k);
        for (size_t j = 0; j < k; j++, cand++)
            sink += au_score_pair(res, &res->f[a], &res->f[mem[j]], NULL);
        sink += au_score_pair(res, &res->f[a], &res->f[a - 1], NULL);
        cand++;
    }
    double t2 = cpu_now();
    printf("%u records loaded\n", n);
    printf("random pairs:    %ld in %.2f s CPU = %.2f M comparisons/s\n", pairs, t1 - t0,
           (double)pairs / (t1 - t0) / 1e6);
    printf("candidate pairs: %ld in %.2f s CPU = %.2f M comparisons/s  (checksum %.0f)\n", cand,
           t2 - t1, (double)cand / (t2 - t1) / 1e6, sink);
    au_resolver_free(res);
    au_source_free(src);
    au_config_free(cfg);
    au_csv_free(c);
    close(fd);
    return 0;
}
