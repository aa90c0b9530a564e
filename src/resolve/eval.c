/*
 * Clustering metrics by sorting: the contingency cells (truth, predicted) and the cluster sizes
 * on each side come from sorted label arrays, so evaluation is O(n log n) with no hash tables.
 * The per-tag error counts use the same idea once per tag: the errors among the records without
 * the tag, subtracted from all errors, are the errors that touch it (O(n log n + 64 n)).
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

/* Labels of the truth records and of their predictions, aligned (t[i], p[i]); the caller
 * frees both with au_free, also on error (they may be NULL). */
static au_rc align(const char *const *tk, const char *const *tl, size_t nt, const char *const *pk,
                   const char *const *pl, size_t np, uint64_t **tout, uint64_t **pout)
{
    au_rc rc = AU_ERR_NOMEM;
    keyed *pred = au_malloc((np ? np : 1) * sizeof *pred);
    uint64_t *t = au_malloc((nt ? nt : 1) * sizeof *t), *p = au_malloc((nt ? nt : 1) * sizeof *p);
    *tout = t;
    *pout = p;
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
    rc = AU_OK;
out:
    au_free(pred);
    return rc;
}

au_rc au_eval_keyed(const char *const *tk, const char *const *tl, size_t nt, const char *const *pk,
                    const char *const *pl, size_t np, au_eval_result *out)
{
    uint64_t *t = NULL, *p = NULL;
    memset(out, 0, sizeof *out);
    au_rc rc = align(tk, tl, nt, pk, pl, np, &t, &p);
    if (!rc)
        rc = au_eval_labels(t, p, nt, out);
    au_free(t);
    au_free(p);
    return rc;
}

/* A record for the per-tag counts: its labels and tags. */
typedef struct tagged {
    uint64_t t, p, tags;
} tagged;

static int tagged_by_tp(const void *x, const void *y)
{
    const tagged *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->p < b->p ? -1 : a->p > b->p;
}

static int tagged_by_pt(const void *x, const void *y)
{
    const tagged *a = x, *b = y;
    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

static uint64_t pairs(uint64_t c)
{
    return c * (c - (c > 0)) / 2;
}

/* Sum of C(c, 2) over runs of equal key (t or p, chosen by `by_p`) and, in `cells`, over runs
 * of equal (t, p), counting only records without any tag of `mask`. */
static uint64_t runs(const tagged *v, size_t n, int by_p, uint64_t mask, uint64_t *cells)
{
    uint64_t sum = 0, cell_sum = 0, c = 0, cc = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = by_p ? v[i].p : v[i].t;
        if (i > 0 && key != (by_p ? v[i - 1].p : v[i - 1].t)) {
            sum += pairs(c);
            c = 0;
        }
        if (i > 0 && (v[i].t != v[i - 1].t || v[i].p != v[i - 1].p)) {
            cell_sum += pairs(cc);
            cc = 0;
        }
        if (!(v[i].tags & mask)) {
            c++;
            cc++;
        }
    }
    *cells = cell_sum + pairs(cc);
    return sum + pairs(c);
}

/* Predicted pairs, true pairs, fp and fn among the records without any tag of mask: errors are
 * "pairs on one side minus pairs on both sides", over the sorted copies (by t then p, by p then
 * t). */
typedef struct pair_counts {
    uint64_t pred, truth, fp, fn;
} pair_counts;

static pair_counts counts_without(const tagged *tp, const tagged *pt, size_t n, uint64_t mask)
{
    uint64_t both, both2;
    pair_counts c;
    c.truth = runs(tp, n, 0, mask, &both);
    c.pred = runs(pt, n, 1, mask, &both2);
    c.fp = c.pred - both;
    c.fn = c.truth - both;
    return c;
}

au_rc au_eval_tags(const uint64_t *truth, const uint64_t *pred, const uint64_t *tags, size_t n,
                   au_eval_by_tag *out)
{
    memset(out, 0, sizeof *out);
    tagged *tp = au_malloc((n ? n : 1) * sizeof *tp), *pt = au_malloc((n ? n : 1) * sizeof *pt);
    if (!tp || !pt) {
        au_free(tp);
        au_free(pt);
        return AU_ERR_NOMEM;
    }
    uint64_t any = 0;
    for (size_t i = 0; i < n; i++) {
        tp[i] = pt[i] = (tagged){truth[i], pred[i], tags[i]};
        any |= tags[i];
    }
    qsort(tp, n, sizeof *tp, tagged_by_tp);
    qsort(pt, n, sizeof *pt, tagged_by_pt);
    pair_counts all = counts_without(tp, pt, n, 0), none = counts_without(tp, pt, n, ~0ULL);
    out->fp = all.fp;
    out->fn = all.fn;
    out->untagged_fp = none.fp;
    out->untagged_fn = none.fn;
    for (int k = 0; k < 64; k++) {
        if (!(any & (1ULL << k)))
            continue;
        pair_counts c = counts_without(tp, pt, n, 1ULL << k);
        out->tag_fp[k] = all.fp - c.fp;
        out->tag_fn[k] = all.fn - c.fn;
        out->tag_pred[k] = all.pred - c.pred;
        out->tag_true[k] = all.truth - c.truth;
    }
    au_free(tp);
    au_free(pt);
    return AU_OK;
}

au_rc au_eval_keyed_tags(const char *const *tk, const char *const *tl, const uint64_t *tags,
                         size_t nt, const char *const *pk, const char *const *pl, size_t np,
                         au_eval_by_tag *out)
{
    uint64_t *t = NULL, *p = NULL;
    memset(out, 0, sizeof *out);
    au_rc rc = align(tk, tl, nt, pk, pl, np, &t, &p);
    if (!rc)
        rc = au_eval_tags(t, p, tags, nt, out);
    au_free(t);
    au_free(p);
    return rc;
}
