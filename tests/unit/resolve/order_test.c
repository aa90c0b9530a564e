/*
 * Order independence of identity resolution through the real pipeline (au_import_file ->
 * engine -> resolve hook -> store): the same records imported in two orders into two fresh
 * data dirs must end in the same partition into profiles (profile numbers may differ, the sets
 * of records held together may not). The number of records whose cluster differs is logged.
 * Settling is switched on in the configs (matching.settle: 1; off by default, see
 * docs/MATCHING.md). Within one write job settling (au_resolver_settle) makes the result a function
 * of the records alone except for the greedy choice of generic values; across jobs a component
 * settled early keeps the record count and term frequencies of its time. So FEBRL2 must agree
 * exactly, and the generated sets within a bound 10 to 50 times below what main gave
 * (docs/BENCHMARKS.md, "Order independence"): 271 of 20,000 and 517 of 7,968 records.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/compose.h"
#include "core/config.h"
#include "core/engine.h"
#include "gen/gen.h"
#include "ingest/import.h"
#include "lib/alloc.h"
#include "resolve/eval.h"
#include "store/store.h"

/* One record of a run: "source\x1frecord" (owned) and its profile. */
typedef struct placed {
    char *key;
    int64_t profile;
} placed;

typedef struct run {
    placed *v;
    size_t n, cap;
} run;

static int on_row(void *ctx, const au_resolve_row *r)
{
    run *u = ctx;
    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 4096;
        u->v = au_realloc(u->v, u->cap * sizeof(*u->v));
        cr_assert(u->v);
    }
    u->v[u->n++] = (placed){au_asprintf("%s\x1f%s", r->source, r->record_id), r->profile};
    return 0;
}

static int placed_cmp(const void *a, const void *b)
{
    return strcmp(((const placed *)a)->key, ((const placed *)b)->key);
}

static void run_free(run *u)
{
    for (size_t i = 0; i < u->n; i++)
        au_free(u->v[i].key);
    au_free(u->v);
}

/* Imports the files (in that order, `batch` records per write job, 0: the default) into data
 * dir `dir` and reads every record's profile, sorted by key. */
static void import_run(const char *dir, const char *config, const char *const *sources,
                       const char *const *paths, size_t n, size_t batch, run *out)
{
    au_config *cfg = NULL;
    au_engine *e = NULL;
    au_store *st = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(config, &cfg, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_app_engine_open(cfg, dir, &e, &err), AU_OK, "%s", err.message);
    au_import_summary sum;
    au_import_summary_init(&sum);
    for (size_t i = 0; i < n; i++) {
        au_import_opts o = {.source = sources[i], .engine = e, .batch = batch};
        cr_assert_eq(au_import_file(&o, paths[i], &sum, &err), AU_OK, "%s", err.message);
    }
    au_import_summary_cleanup(&sum);
    au_engine_close(e);
    au_config_free(cfg);
    memset(out, 0, sizeof(*out));
    cr_assert_eq(au_store_open(dir, AU_STORE_RO, &st, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_store_resolve_scan(st, on_row, out), AU_OK);
    au_store_close(st);
    qsort(out->v, out->n, sizeof(*out->v), placed_cmp);
    au_err_cleanup(&err);
}

/* Record i of both runs (same keys, same order) with its profile in each run. */
typedef struct both {
    int64_t pa, pb;
    size_t i;
} both;

static int by_pa(const void *x, const void *y)
{
    const both *a = x, *b = y;
    return a->pa != b->pa ? (a->pa < b->pa ? -1 : 1) : (a->pb < b->pb ? -1 : a->pb > b->pb);
}

static int by_pb(const void *x, const void *y)
{
    const both *a = x, *b = y;
    return a->pb < b->pb ? -1 : a->pb > b->pb;
}

/* Size of the run of equal elements around each element of sorted v, by `same`, into out[i]. */
static void run_sizes(const both *v, size_t n, int (*same)(const both *, const both *), size_t *out)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && same(&v[i], &v[j]))
            j++;
        for (size_t k = i; k < j; k++)
            out[v[k].i] = j - i;
        i = j;
    }
}

static int same_a(const both *x, const both *y)
{
    return x->pa == y->pa;
}

static int same_ab(const both *x, const both *y)
{
    return x->pa == y->pa && x->pb == y->pb;
}

static int same_b(const both *x, const both *y)
{
    return x->pb == y->pb;
}

/* Records whose cluster (the set of records sharing its profile) differs between the runs: a
 * record keeps its cluster exactly when its cluster in a, its cluster in b and their
 * intersection all have the same size. */
static size_t differing(const run *a, const run *b)
{
    cr_assert_eq(a->n, b->n, "both runs hold every record (%zu, %zu)", a->n, b->n);
    size_t n = a->n, diff = 0;
    both *v = au_malloc(n * sizeof(*v));
    size_t *sa = au_malloc(n * sizeof(size_t)), *sb = au_malloc(n * sizeof(size_t));
    size_t *sab = au_malloc(n * sizeof(size_t));
    cr_assert(v && sa && sb && sab);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(a->v[i].key, b->v[i].key);
        cr_assert(a->v[i].profile && b->v[i].profile, "%s has a profile", a->v[i].key);
        v[i] = (both){a->v[i].profile, b->v[i].profile, i};
    }
    qsort(v, n, sizeof(*v), by_pa);
    run_sizes(v, n, same_a, sa);
    run_sizes(v, n, same_ab, sab);
    qsort(v, n, sizeof(*v), by_pb);
    run_sizes(v, n, same_b, sb);
    for (size_t i = 0; i < n; i++)
        diff += sa[i] != sab[i] || sb[i] != sab[i];
    au_free(v);
    au_free(sa);
    au_free(sb);
    au_free(sab);
    return diff;
}

/* Copies CSV `in` to `out` with its data rows in reverse order (header first). The inputs hold
 * one row per line (no quoted line breaks). */
static void reverse_csv(const char *in, const char *out)
{
    FILE *f = fopen(in, "r");
    cr_assert(f, "open %s", in);
    char **lines = NULL, *line = NULL;
    size_t n = 0, cap = 0, len = 0;
    while (getline(&line, &len, f) > 0) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            lines = realloc(lines, cap * sizeof(*lines));
            cr_assert(lines);
        }
        lines[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    FILE *o = fopen(out, "w");
    cr_assert(o && n > 0);
    fputs(lines[0], o);
    for (size_t i = n; i-- > 1;) {
        size_t l = strlen(lines[i]);
        fputs(lines[i], o);
        if (l == 0 || lines[i][l - 1] != '\n') /* the last row may lack its newline */
            fputc('\n', o);
    }
    fclose(o);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* Copies config `in` to `out` with settling switched on (matching.settle: 1). */
static void settle_config(const char *in, const char *out)
{
    FILE *f = fopen(in, "r"), *o = fopen(out, "w");
    cr_assert(f && o, "copy %s to %s", in, out);
    int ch;
    while ((ch = fgetc(f)) != EOF)
        fputc(ch, o);
    fputs("\nmatching:\n  settle: 1\n", o);
    fclose(f);
    fclose(o);
}

static void make_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/aurum-order-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* FEBRL2 (5,000 records, two import batches) in file order and in reverse order. */
Test(resolve_order, febrl2_file_order_and_reversed_give_the_same_clusters)
{
    char dir[64], da[128], db[128], rev[128];
    const char *src[] = {"febrl"}, *fwd[] = {"tests/data/febrl2.csv"}, *bwd[] = {rev};
    run a, b;
    make_dir(dir, sizeof(dir));
    snprintf(da, sizeof(da), "%s/a", dir);
    snprintf(db, sizeof(db), "%s/b", dir);
    snprintf(rev, sizeof(rev), "%s/febrl2_reversed.csv", dir);
    char config[128];
    snprintf(config, sizeof(config), "%s/febrl.yaml", dir);
    settle_config("tests/data/febrl.yaml", config);
    reverse_csv(fwd[0], rev);
    import_run(da, config, src, fwd, 1, 0, &a);
    import_run(db, config, src, bwd, 1, 0, &b);
    size_t diff = differing(&a, &b);
    cr_log_info("febrl2: %zu of %zu records in a different cluster after a reversed load", diff,
                a.n);
    cr_expect_eq(diff, 0, "%zu of %zu records in different clusters", diff, a.n);
    run_free(&a);
    run_free(&b);
    remove_dir(dir);
}

/* A generated trap-rich Northwind set (six systems, about 8,000 records, seed 13): the systems
 * in order with their rows as written, then the systems in reverse order with every file's rows
 * reversed. */
#if defined(__SANITIZE_ADDRESS__)
#define ORDER_PEOPLE 1000
#else
#define ORDER_PEOPLE 3000
#endif

Test(resolve_order, traps_set_in_two_orders_gives_the_same_clusters)
{
    char dir[64], gen[128], da[128], db[128], config[160], path[160];
    char fwd[AU_GEN_NSYSTEMS][160], bwd[AU_GEN_NSYSTEMS][160];
    const char *src_a[AU_GEN_NSYSTEMS], *src_b[AU_GEN_NSYSTEMS];
    const char *pa[AU_GEN_NSYSTEMS], *pb[AU_GEN_NSYSTEMS];
    run a, b;
    au_err err;
    au_err_init(&err);
    make_dir(dir, sizeof(dir));
    snprintf(gen, sizeof(gen), "%s/gen", dir);
    snprintf(da, sizeof(da), "%s/a", dir);
    snprintf(db, sizeof(db), "%s/b", dir);
    au_gen_opts o;
    au_gen_opts_init(&o);
    o.out_dir = gen;
    o.people = ORDER_PEOPLE;
    o.seed = 13;
    o.traps = 1;
    au_gen_stats gs;
    cr_assert_eq(au_gen_run(&o, &gs, &err), AU_OK, "%s", err.message);
    for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
        const char *name = au_gen_system_name((au_gen_system)s);
        int r = AU_GEN_NSYSTEMS - 1 - s;
        snprintf(fwd[s], sizeof(fwd[s]), "%s/%s.csv", gen, name);
        snprintf(bwd[s], sizeof(bwd[s]), "%s/%s_reversed.csv", gen, name);
        reverse_csv(fwd[s], bwd[s]);
        src_a[s] = name;
        pa[s] = fwd[s];
        src_b[r] = name;
        pb[r] = bwd[s];
    }
    snprintf(path, sizeof(path), "%s/northwind.yaml", gen);
    snprintf(config, sizeof(config), "%s/settle.yaml", gen);
    settle_config(path, config);
    import_run(da, config, src_a, pa, AU_GEN_NSYSTEMS, 0, &a);
    import_run(db, config, src_b, pb, AU_GEN_NSYSTEMS, 0, &b);
    size_t diff = differing(&a, &b);
    cr_log_info("traps set: %zu of %zu records in a different cluster after a reversed load", diff,
                a.n);
    cr_expect_leq(diff * 100, a.n, "%zu of %zu records in different clusters (at most 1 %%)", diff,
                  a.n);
    run_free(&a);
    run_free(&b);
    au_err_cleanup(&err);
    remove_dir(dir);
}

/* The single-source generated set (people.csv, ~30 % repeated people, seed 3) that showed the
 * order dependence first (docs/BENCHMARKS.md): file order and reversed, each in one write job
 * (one settle over every record). */
#if defined(__SANITIZE_ADDRESS__)
#define ORDER_RECORDS 5000
#else
#define ORDER_RECORDS 20000
#endif

Test(resolve_order, single_source_set_reversed_gives_the_same_clusters)
{
    char dir[64], gen[128], da[128], db[128], config[160], path[160], rev[160], dir_yaml[160];
    const char *src[] = {"people"}, *fwd[] = {path}, *bwd[] = {rev};
    run a, b;
    au_err err;
    au_err_init(&err);
    make_dir(dir, sizeof(dir));
    snprintf(gen, sizeof(gen), "%s/gen", dir);
    snprintf(da, sizeof(da), "%s/a", dir);
    snprintf(db, sizeof(db), "%s/b", dir);
    au_gen_opts o;
    au_gen_opts_init(&o);
    o.out_dir = gen;
    o.single_source = 1;
    o.people = 0;
    o.records = ORDER_RECORDS;
    o.seed = 3;
    au_gen_stats gs;
    cr_assert_eq(au_gen_run(&o, &gs, &err), AU_OK, "%s", err.message);
    snprintf(path, sizeof(path), "%s/people.csv", gen);
    snprintf(rev, sizeof(rev), "%s/people_reversed.csv", gen);
    snprintf(config, sizeof(config), "%s/settle.yaml", gen);
    snprintf(dir_yaml, sizeof(dir_yaml), "%s/people.yaml", gen);
    settle_config(dir_yaml, config);
    reverse_csv(path, rev);
    import_run(da, config, src, fwd, 1, ORDER_RECORDS, &a);
    import_run(db, config, src, bwd, 1, ORDER_RECORDS, &b);
    size_t diff = differing(&a, &b);
    cr_log_info("single source: %zu of %zu records in a different cluster after a reversed load",
                diff, a.n);
    cr_expect_leq(diff * 1000, a.n, "%zu of %zu records in different clusters (at most 0.1 %%)",
                  diff, a.n);
    run_free(&a);
    run_free(&b);
    au_err_cleanup(&err);
    remove_dir(dir);
}
