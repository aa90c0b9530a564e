/*
 * Unsupervised estimation of the Fellegi-Sunter parameters. u comes from random pairs, m from
 * EM over the candidate pairs the blocking index produces. Comparison levels are computed once
 * per pair (12 bytes each), so EM iterations are cheap passes over a flat array.
 */
#include "resolve/train.h"

#include <math.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/array.h"
#include "resolve/resolve_int.h"

void au_train_opts_default(au_train_opts *o)
{
    o->u_samples = 200000;
    o->max_pairs = 2000000;
    o->max_iter = 50;
    o->tol = 1e-4;
    o->seed = 1;
}

static uint64_t rnd(uint64_t *s)
{
    /* splitmix64: reproducible across platforms, good enough for sampling. */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef signed char lv_t[AU_COL_COUNT];

static void smooth(const double *cnt, int nl, double *out)
{
    double tot = 0;
    for (int l = 0; l < nl; l++)
        tot += cnt[l];
    for (int l = 0; l < nl; l++)
        out[l] = (cnt[l] + 0.5) / (tot + 0.5 * nl);
}

static au_rc live_list(const au_resolver *res, uint32_t **out, size_t *n)
{
    uint32_t *ids = au_malloc((res->live ? res->live : 1) * sizeof *ids);
    if (!ids)
        return AU_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < res->nf && k < res->live; i++)
        if (res->f[i].alive)
            ids[k++] = (uint32_t)i;
    *out = ids;
    *n = k;
    return AU_OK;
}

static void estimate_u(const au_resolver *res, const uint32_t *ids, size_t n,
                       const au_train_opts *o, au_model *out, au_train_report *rep)
{
    double cnt[AU_COL_COUNT][AU_MAX_LEVELS];
    uint64_t seed = o->seed;
    memset(cnt, 0, sizeof cnt);
    for (size_t k = 0; k < o->u_samples; k++) {
        uint32_t a = ids[rnd(&seed) % n], b = ids[rnd(&seed) % n];
        if (a == b)
            continue;
        au_score s;
        au_score_pair(res, &res->f[a], &res->f[b], &s);
        for (int c = 0; c < AU_COL_COUNT; c++)
            if (s.level[c] >= 0)
                cnt[c][s.level[c]] += 1;
        rep->u_pairs++;
    }
    for (int c = 0; c < AU_COL_COUNT; c++)
        smooth(cnt[c], out->col[c].nlevels, out->col[c].u);
}

/* Candidate pairs (each once: b's number greater than a's) with their levels. */
static au_rc collect_pairs(const au_resolver *res, const uint32_t *ids, size_t n, size_t max,
                           lv_t **out, size_t *npairs)
{
    size_t cap = 1024, np = 0;
    lv_t *lv = au_malloc(cap * sizeof *lv);
    uint32_t *seen = au_calloc(res->nf, sizeof *seen);
    if (!lv || !seen) {
        au_free(lv);
        au_free(seen);
        return AU_ERR_NOMEM;
    }
    for (size_t i = 0; i < n && np < max; i++) {
        uint32_t a = ids[i];
        uint64_t keys[AU_MAX_BKEYS];
        int nk = au_feat_block_keys(res, &res->f[a], keys, NULL);
        for (int k = 0; k < nk && np < max; k++) {
            const au_block *b = au_bindex_find(&res->bx, keys[k]);
            if (!b || b->oversized)
                continue;
            for (uint32_t j = 0; j < b->n && np < max; j++) {
                uint32_t c = au_block_ids(b)[j];
                if (c <= a || seen[c] == a + 1 || !res->f[c].alive)
                    continue;
                seen[c] = a + 1;
                if (AU_ARRAY_GROW(lv, cap, np + 1, 1024)) {
                    au_free(lv);
                    au_free(seen);
                    return AU_ERR_NOMEM;
                }
                au_score s;
                au_score_pair(res, &res->f[a], &res->f[c], &s);
                memcpy(lv[np++], s.level, sizeof(lv_t));
            }
        }
    }
    au_free(seen);
    *out = lv;
    *npairs = np;
    return AU_OK;
}

static void em(const lv_t *lv, size_t np, const au_train_opts *o, au_model *out,
               au_train_report *rep)
{
    double lambda = 0.1;
    for (int it = 0; it < o->max_iter; it++) {
        double cnt[AU_COL_COUNT][AU_MAX_LEVELS], psum = 0;
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < np; i++) {
            double lm = log(lambda), lu = log(1 - lambda);
            for (int c = 0; c < AU_COL_COUNT; c++) {
                int l = lv[i][c];
                if (l < 0 || !out->col[c].enabled)
                    continue;
                lm += log(out->col[c].m[l]);
                lu += log(out->col[c].u[l]);
            }
            double p = 1.0 / (1.0 + exp(lu - lm));
            psum += p;
            for (int c = 0; c < AU_COL_COUNT; c++)
                if (lv[i][c] >= 0)
                    cnt[c][lv[i][c]] += p;
        }
        double delta = 0;
        for (int c = 0; c < AU_COL_COUNT; c++) {
            double nm[AU_MAX_LEVELS];
            smooth(cnt[c], out->col[c].nlevels, nm);
            for (int l = 0; l < out->col[c].nlevels; l++) {
                delta = fmax(delta, fabs(nm[l] - out->col[c].m[l]));
                out->col[c].m[l] = nm[l];
            }
        }
        lambda = fmin(fmax(psum / (double)np, 1e-6), 1 - 1e-6);
        rep->iterations = it + 1;
        rep->lambda = lambda;
        if (delta < o->tol) {
            rep->converged = 1;
            break;
        }
    }
}

au_rc au_train_unsupervised(const au_resolver *res, const au_train_opts *o, au_model *out,
                            au_train_report *rep)
{
    au_rc rc;
    uint32_t *ids = NULL;
    lv_t *lv = NULL;
    size_t n = 0, np = 0;
    memset(rep, 0, sizeof *rep);
    *out = res->model;
    if ((rc = live_list(res, &ids, &n)))
        goto out;
    if (n < 2) {
        rc = AU_ERR_INVALID;
        goto out;
    }
    estimate_u(res, ids, n, o, out, rep);
    if ((rc = collect_pairs(res, ids, n, o->max_pairs, &lv, &np)))
        goto out;
    rep->em_pairs = np;
    if (np > 0)
        em(lv, np, o, out, rep);
    au_model_refresh(out);
out:
    au_free(ids);
    au_free(lv);
    return rc;
}

au_rc au_train_labelled(const au_resolver *res, const uint32_t (*pairs)[2], const int *match,
                        size_t n, au_model *out)
{
    double cm[AU_COL_COUNT][AU_MAX_LEVELS], cu[AU_COL_COUNT][AU_MAX_LEVELS];
    size_t nm = 0, nu = 0;
    memset(cm, 0, sizeof cm);
    memset(cu, 0, sizeof cu);
    *out = res->model;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = pairs[i][0], b = pairs[i][1];
        if (a >= res->nf || b >= res->nf || !res->f[a].alive || !res->f[b].alive)
            return AU_ERR_NOT_FOUND;
        au_score s;
        au_score_pair(res, &res->f[a], &res->f[b], &s);
        for (int c = 0; c < AU_COL_COUNT; c++)
            if (s.level[c] >= 0)
                (match[i] ? cm : cu)[c][s.level[c]] += 1;
        *(match[i] ? &nm : &nu) += 1;
    }
    for (int c = 0; c < AU_COL_COUNT; c++) {
        if (nm)
            smooth(cm[c], out->col[c].nlevels, out->col[c].m);
        if (nu)
            smooth(cu[c], out->col[c].nlevels, out->col[c].u);
    }
    au_model_refresh(out);
    return AU_OK;
}

json_t *au_train_report_json(const au_train_report *rep, const au_model *m)
{
    json_t *doc = json_object();
    if (!doc)
        return NULL;
    json_object_set_new(doc, "u_pairs", json_integer((json_int_t)rep->u_pairs));
    json_object_set_new(doc, "em_pairs", json_integer((json_int_t)rep->em_pairs));
    json_object_set_new(doc, "iterations", json_integer(rep->iterations));
    json_object_set_new(doc, "converged", json_boolean(rep->converged));
    json_object_set_new(doc, "lambda", json_real(rep->lambda));
    json_object_set_new(doc, "model", au_model_to_json(m));
    return doc;
}
