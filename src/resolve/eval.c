/*
 * Clustering metrics by sorting: the contingency cells (truth, predicted) and the cluster sizes
 * on each side come from sorted label arrays, so evaluation is O(n log n) with no hash tables.
 */
#include "resolve/eval.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lib/alloc.h"

typedef struct tp_pair {
    uint64_t t, p;
    uint32_t idx;
} tp_pair;

static int by_t(const void *x, const void *y)
{
    const tp_pair *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->p < b->p ? -1 : a->p > b->p;
}

static int by_p(const void *x, const void *y)
{
    const tp_pair *a = x, *b = y;
    return a->p < b->p ? -1 : a->p > b->p;
}

static double f1(double p, double r)
{
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

au_rc au_eval_labels(const uint64_t *truth, const uint64_t *pred, size_t n, au_eval_result *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n == 0)
        return AU_OK;
    tp_pair *v = au_malloc(n * sizeof *v);
    uint32_t *tsize = au_malloc(n * sizeof *tsize), *psize = au_malloc(n * sizeof *psize);
    if (!v || !tsize || !psize) {
        au_free(v);
        au_free(tsize);
        au_free(psize);
        return AU_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (tp_pair){truth[i], pred[i], (uint32_t)i};
    uint64_t pred_pairs = 0, true_pairs = 0, both = 0;
    qsort(v, n, sizeof *v, by_p);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].p == v[i].p)
            j++;
        pred_pairs += (uint64_t)(j - i) * (j - i - 1) / 2;
        for (size_t k = i; k < j; k++)
            psize[v[k].idx] = (uint32_t)(j - i);
        i = j;
    }
    qsort(v, n, sizeof *v, by_t);
    double b3p = 0, b3r = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].t == v[i].t)
            j++;
        true_pairs += (uint64_t)(j - i) * (j - i - 1) / 2;
        for (size_t k = i; k < j; k++)
            tsize[v[k].idx] = (uint32_t)(j - i);
        for (size_t a = i; a < j;) { /* cells: same t, same p (sorted by p within t) */
            size_t b = a;
            while (b < j && v[b].p == v[a].p)
                b++;
            uint64_t c = b - a;
            both += c * (c - 1) / 2;
            for (size_t k = a; k < b; k++) {
                b3p += (double)c / psize[v[k].idx];
                b3r += (double)c / tsize[v[k].idx];
            }
            a = b;
        }
        i = j;
    }
    out->tp = both;
    out->fp = pred_pairs - both;
    out->fn = true_pairs - both;
    out->pair_p = pred_pairs ? (double)both / (double)pred_pairs : 1.0;
    out->pair_r = true_pairs ? (double)both / (double)true_pairs : 1.0;
    out->pair_f1 = f1(out->pair_p, out->pair_r);
    out->b3_p = b3p / (double)n;
    out->b3_r = b3r / (double)n;
    out->b3_f1 = f1(out->b3_p, out->b3_r);
    au_free(v);
    au_free(tsize);
    au_free(psize);
    return AU_OK;
}

typedef struct keyed {
    const char *key;
    uint64_t label;
} keyed;

static int by_key(const void *x, const void *y)
{
    return strcmp(((const keyed *)x)->key, ((const keyed *)y)->key);
}

static uint64_t hash_label(const char *s)
{
    return XXH3_64bits(s, strlen(s));
}

au_rc au_eval_keyed(const char *const *tk, const char *const *tl, size_t nt, const char *const *pk,
                    const char *const *pl, size_t np, au_eval_result *out)
{
    au_rc rc = AU_ERR_NOMEM;
    keyed *pred = au_malloc((np ? np : 1) * sizeof *pred);
    uint64_t *t = au_malloc((nt ? nt : 1) * sizeof *t), *p = au_malloc((nt ? nt : 1) * sizeof *p);
    memset(out, 0, sizeof *out);
    if (!pred || !t || !p)
        goto out;
    for (size_t i = 0; i < np; i++)
        pred[i] = (keyed){pk[i], hash_label(pl[i])};
    qsort(pred, np, sizeof *pred, by_key);
    rc = AU_ERR_INVALID;
    for (size_t i = 1; i < np; i++)
        if (strcmp(pred[i - 1].key, pred[i].key) == 0)
            goto out;
    for (size_t i = 0; i < nt; i++) {
        keyed probe = {tk[i], 0};
        keyed *hit = np ? bsearch(&probe, pred, np, sizeof *pred, by_key) : NULL;
        t[i] = hash_label(tl[i]);
        /* A record the prediction does not know is its own cluster: a label no hash produces
         * twice in practice (the high bit marks it, the index makes it unique). */
        p[i] = hit ? hit->label & ~(1ull << 63) : (1ull << 63) | i;
    }
    rc = au_eval_labels(t, p, nt, out);
out:
    au_free(pred);
    au_free(t);
    au_free(p);
    return rc;
}
