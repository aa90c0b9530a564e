/*
 * Incremental clustering of records into profiles (see resolve.h for the joining rules and the
 * chaining guard). A new record is blocked against the index, scored against its candidates
 * and joined to the profiles it is justified to join; an update or removal re-evaluates only
 * the record's own profile, which may then split. Profile numbers are stable: in a merge the
 * larger (then older) profile survives and the others redirect to it; in a split the larger
 * (then older) part keeps the number and the other parts get new ones.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/array.h"
#include "resolve/resolve_int.h"

/* Profiles larger than this are not re-evaluated pairwise (kept as they are). */
#define REEVAL_MAX 256
/* Bound on a single pair's contribution to a mean support, so that one extreme pair does not
 * decide a cluster alone. */
#define SUPPORT_CLAMP 25.0

/* ---- change lists ---------------------------------------------------------------------- */

void au_resolve_changes_init(au_resolve_changes *c)
{
    memset(c, 0, sizeof *c);
}

void au_resolve_changes_reset(au_resolve_changes *c)
{
    c->nmoves = c->nredirects = c->npossible = 0;
}

void au_resolve_changes_cleanup(au_resolve_changes *c)
{
    au_free(c->moves);
    au_free(c->redirects);
    au_free(c->possible);
    memset(c, 0, sizeof *c);
}

static au_rc grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    return au_array_reserve(arr, cap, need, elem, 16);
}

static au_rc ch_move(au_resolve_changes *c, uint32_t rec, uint32_t from, uint32_t to)
{
    if (!c || from == to)
        return AU_OK;
    if (grow((void **)&c->moves, &c->capmoves, c->nmoves + 1, sizeof *c->moves))
        return AU_ERR_NOMEM;
    c->moves[c->nmoves++] = (au_resolve_move){rec, from, to};
    return AU_OK;
}

static au_rc ch_redirect(au_resolve_changes *c, uint32_t from, uint32_t into)
{
    if (!c)
        return AU_OK;
    if (grow((void **)&c->redirects, &c->capredirects, c->nredirects + 1, sizeof *c->redirects))
        return AU_ERR_NOMEM;
    c->redirects[c->nredirects++] = (au_resolve_redirect){from, into};
    return AU_OK;
}

static au_rc ch_possible(au_resolve_changes *c, uint32_t a, uint32_t b, double w)
{
    if (!c)
        return AU_OK;
    if (grow((void **)&c->possible, &c->cappossible, c->npossible + 1, sizeof *c->possible))
        return AU_ERR_NOMEM;
    c->possible[c->npossible++] = (au_resolve_possible){a, b, w};
    return AU_OK;
}

static int move_cmp(const void *x, const void *y)
{
    const au_resolve_move *a = x, *b = y;
    if (a->record_no != b->record_no)
        return a->record_no < b->record_no ? -1 : 1;
    return 0;
}

/* Folds the moves appended since `start` into one per record (first old, last new). Moves are
 * tagged with their order in old_profile's high bits would be fragile, so a stable merge is
 * done by sorting (index, move) pairs. */
static void coalesce(au_resolve_changes *c, size_t start)
{
    if (!c || c->nmoves - start < 2)
        return;
    size_t n = c->nmoves - start;
    au_resolve_move *m = c->moves + start;
    /* Stable: insertion sort for small runs, qsort plus order repair otherwise is overkill
     * because moves of one record are appended in order and qsort is not stable; use an
     * index-tagged copy. */
    typedef struct {
        au_resolve_move mv;
        size_t ord;
    } tagged;
    tagged *t = au_malloc(n * sizeof *t);
    if (!t)
        return; /* unfolded moves are still correct when applied in order */
    for (size_t i = 0; i < n; i++)
        t[i] = (tagged){m[i], i};
    for (size_t i = 1; i < n; i++) { /* insertion sort by (record, ord): runs are short */
        tagged x = t[i];
        size_t j = i;
        while (j > 0 && (move_cmp(&t[j - 1].mv, &x.mv) > 0 ||
                         (t[j - 1].mv.record_no == x.mv.record_no && t[j - 1].ord > x.ord))) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && t[j + 1].mv.record_no == t[i].mv.record_no)
            j++;
        au_resolve_move mv = {t[i].mv.record_no, t[i].mv.old_profile, t[j].mv.new_profile};
        if (mv.old_profile != mv.new_profile)
            m[out++] = mv;
        i = j + 1;
    }
    c->nmoves = start + out;
    au_free(t);
}

/* ---- overrides ------------------------------------------------------------------------- */

#define OVR_DEL UINT64_MAX

static uint64_t pair_key(uint32_t a, uint32_t b)
{
    return a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
}

static size_t ovr_slot(const au_ovr *o, uint64_t k)
{
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 17) & (o->nslots - 1);
}

au_link_kind au_ovr_get(const au_ovr *o, uint32_t a, uint32_t b)
{
    if (!o->used || (o->per_rec && (!o->per_rec[a] || !o->per_rec[b])))
        return AU_LINK_NONE;
    uint64_t k = pair_key(a, b);
    for (size_t i = ovr_slot(o, k);; i = (i + 1) & (o->nslots - 1)) {
        if (o->keys[i] == k)
            return (au_link_kind)o->kind[i];
        if (!o->keys[i])
            return AU_LINK_NONE;
    }
}

static au_rc ovr_set(au_ovr *o, uint32_t a, uint32_t b, au_link_kind kind)
{
    uint64_t k = pair_key(a, b) + 1; /* never 0 (empty) */
    k -= 1;
    if ((o->used + 1) * 2 > o->nslots) {
        size_t ns = o->nslots ? o->nslots * 2 : 64;
        uint64_t *nk = au_calloc(ns, sizeof(uint64_t));
        uint8_t *nd = au_calloc(ns, 1);
        if (!nk || !nd) {
            au_free(nk);
            au_free(nd);
            return AU_ERR_NOMEM;
        }
        au_ovr old = *o;
        o->keys = nk;
        o->kind = nd;
        o->nslots = ns;
        o->used = 0;
        for (size_t i = 0; i < old.nslots; i++) {
            if (old.keys[i] && old.keys[i] != OVR_DEL) {
                size_t j = ovr_slot(o, old.keys[i]);
                while (o->keys[j])
                    j = (j + 1) & (ns - 1);
                o->keys[j] = old.keys[i];
                o->kind[j] = old.kind[i];
                o->used++;
            }
        }
        au_free(old.keys);
        au_free(old.kind);
    }
    size_t i = ovr_slot(o, k), tomb = SIZE_MAX;
    for (;; i = (i + 1) & (o->nslots - 1)) {
        if (o->keys[i] == k)
            break;
        if (o->keys[i] == OVR_DEL && tomb == SIZE_MAX)
            tomb = i;
        if (!o->keys[i]) {
            if (kind == AU_LINK_NONE)
                return AU_OK;
            if (tomb != SIZE_MAX)
                i = tomb;
            o->keys[i] = k;
            o->used++;
            o->per_rec[a]++;
            o->per_rec[b]++;
            break;
        }
    }
    if (kind == AU_LINK_NONE) {
        o->keys[i] = OVR_DEL;
        o->per_rec[a]--;
        o->per_rec[b]--;
    } else {
        o->kind[i] = (uint8_t)kind;
    }
    return AU_OK;
}

/* ---- records and profiles -------------------------------------------------------------- */

/* Grows the per-record settling arrays from res->nf to nn rows (zeroed). */
static au_rc ensure_settle_rows(au_resolver *res, size_t nn)
{
    au_adj *a = au_realloc(res->adj, nn * sizeof *a);
    if (!a)
        return AU_ERR_NOMEM;
    res->adj = a;
    uint64_t *k = au_realloc(res->okey, nn * sizeof *k);
    if (!k)
        return AU_ERR_NOMEM;
    res->okey = k;
    uint32_t *m = au_realloc(res->mark, nn * sizeof *m);
    if (!m)
        return AU_ERR_NOMEM;
    res->mark = m;
    memset(a + res->nf, 0, (nn - res->nf) * sizeof *a);
    memset(k + res->nf, 0, (nn - res->nf) * sizeof *k);
    memset(m + res->nf, 0, (nn - res->nf) * sizeof *m);
    return AU_OK;
}

static au_rc ensure_rec(au_resolver *res, uint32_t no)
{
    if (no < res->nf)
        return AU_OK;
    size_t nn = res->nf ? res->nf : 1024;
    while (nn <= no)
        nn *= 2;
    au_feat *f = au_realloc(res->f, nn * sizeof *f);
    if (!f)
        return AU_ERR_NOMEM;
    res->f = f;
    uint32_t *st = au_realloc(res->stamp, nn * sizeof *st);
    if (!st)
        return AU_ERR_NOMEM;
    res->stamp = st;
    uint32_t *pr = au_realloc(res->ovr.per_rec, nn * sizeof *pr);
    if (!pr)
        return AU_ERR_NOMEM;
    res->ovr.per_rec = pr;
    memset(pr + res->nf, 0, (nn - res->nf) * sizeof *pr);
    if (ensure_settle_rows(res, nn))
        return AU_ERR_NOMEM;
    memset(f + res->nf, 0, (nn - res->nf) * sizeof *f);
    memset(st + res->nf, 0, (nn - res->nf) * sizeof *st);
    res->nf = nn;
    return AU_OK;
}

static au_rc ensure_profile(au_resolver *res, uint32_t p)
{
    if (p < res->np)
        return AU_OK;
    size_t nn = res->np ? res->np : 1024;
    while (nn <= p)
        nn *= 2;
    au_profile *q = au_realloc(res->p, nn * sizeof *q);
    if (!q)
        return AU_ERR_NOMEM;
    memset(q + res->np, 0, (nn - res->np) * sizeof *q);
    res->p = q;
    res->np = nn;
    return AU_OK;
}

static au_rc prof_add(au_resolver *res, uint32_t p, uint32_t rec)
{
    au_profile *pr = &res->p[p];
    size_t cap = pr->cap; /* the profile keeps 32-bit counts: a million profiles add up */
    if (AU_ARRAY_GROW(pr->m, cap, (size_t)pr->n + 1, 2) || cap > UINT32_MAX)
        return AU_ERR_NOMEM;
    pr->cap = (uint32_t)cap;
    if (pr->n == 0)
        res->live_profiles++;
    pr->fwd = 0;
    pr->m[pr->n++] = rec;
    res->f[rec].profile = p;
    return AU_OK;
}

static void prof_del(au_resolver *res, uint32_t p, uint32_t rec)
{
    au_profile *pr = &res->p[p];
    for (uint32_t i = 0; i < pr->n; i++) {
        if (pr->m[i] == rec) {
            pr->m[i] = pr->m[--pr->n];
            break;
        }
    }
    if (pr->n == 0) {
        au_free(pr->m);
        pr->m = NULL;
        pr->cap = 0;
        res->live_profiles--;
    }
}

static au_rc new_profile(au_resolver *res, uint32_t *p)
{
    if (ensure_profile(res, (uint32_t)res->next_profile))
        return AU_ERR_NOMEM;
    *p = (uint32_t)res->next_profile++;
    return AU_OK;
}

static uint32_t prof_oldest(const au_resolver *res, uint32_t p)
{
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < res->p[p].n; i++)
        if (res->p[p].m[i] < best)
            best = res->p[p].m[i];
    return best;
}

/* 1 when profile a should survive a merge with b: larger, then older. */
static int survives(const au_resolver *res, uint32_t a, uint32_t b)
{
    if (res->p[a].n != res->p[b].n)
        return res->p[a].n > res->p[b].n;
    return prof_oldest(res, a) < prof_oldest(res, b);
}

static au_rc merge(au_resolver *res, uint32_t into, uint32_t from, au_resolve_changes *ch)
{
    au_rc rc = AU_OK;
    au_profile *src = &res->p[from];
    uint32_t n = src->n;
    uint32_t *m = src->m;
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = prof_add(res, into, m[i])) || (rc = ch_move(ch, m[i], from, into)))
            return rc;
    }
    src = &res->p[from];
    au_free(src->m);
    src->m = NULL;
    src->n = src->cap = 0;
    src->fwd = into;
    res->live_profiles--;
    return ch_redirect(ch, from, into);
}

/* ---- links and settling marks ----------------------------------------------------------- */

/* The order of a record inside a settled component: a hash of its source and id, which is the
 * same whatever order the records arrived in (record numbers are not). FNV-1a, 64 bits. */
static uint64_t order_key(const au_record *rec)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *s = rec->source ? rec->source : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    h = (h ^ 0x1f) * 0x100000001b3ull;
    for (const char *s = rec->record_id ? rec->record_id : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* Appends b to a's links unless present. */
static au_rc adj_push(au_resolver *res, uint32_t a, uint32_t b)
{
    au_adj *x = &res->adj[a];
    for (uint32_t i = 0; i < x->n; i++)
        if (x->v[i] == b)
            return AU_OK;
    size_t cap = x->cap;
    if (AU_ARRAY_GROW(x->v, cap, (size_t)x->n + 1, 2) || cap >= (1u << 30))
        return AU_ERR_NOMEM;
    x->cap = (uint32_t)cap;
    x->v[x->n++] = b;
    return AU_OK;
}

static au_rc adj_link(au_resolver *res, uint32_t a, uint32_t b)
{
    if (!res->model.settle) /* nobody walks the links */
        return AU_OK;
    au_rc rc = adj_push(res, a, b);
    return rc ? rc : adj_push(res, b, a);
}

/* Forgets every link of r (its content changed or it went): its neighbours' lists drop it. */
static void adj_drop(au_resolver *res, uint32_t r)
{
    au_adj *x = &res->adj[r];
    for (uint32_t i = 0; i < x->n; i++) {
        au_adj *y = &res->adj[x->v[i]];
        for (uint32_t j = 0; j < y->n; j++)
            if (y->v[j] == r) {
                y->v[j] = y->v[--y->n];
                break;
            }
    }
    au_free(x->v);
    x->v = NULL;
    x->n = x->cap = 0;
    x->known = 0;
}

/* Queues r for the next au_resolver_settle. */
static au_rc mark_dirty(au_resolver *res, uint32_t r)
{
    if (!res->model.settle || res->adj[r].dirty)
        return AU_OK;
    if (grow((void **)&res->dirty, &res->capdirty, res->ndirty + 1, sizeof *res->dirty))
        return AU_ERR_NOMEM;
    res->dirty[res->ndirty++] = r;
    res->adj[r].dirty = 1;
    return AU_OK;
}

/* ---- support ---------------------------------------------------------------------------- */

/* A pair's contribution to a mean support; *block set when the pair may never share a profile
 * (cannot-link, or conflicting strong ids without a must-link), *must on a must-link. */
static double support(const au_resolver *res, uint32_t a, uint32_t b, int *block, int *must,
                      int *link)
{
    au_score s;
    au_link_kind k = au_ovr_get(&res->ovr, a, b);
    double w = au_score_pair(res, &res->f[a], &res->f[b], &s);
    *must = k == AU_LINK_MUST;
    /* strong negative evidence (suffixes, parent and child, family, twins) keeps two records
     * out of one profile like conflicting ids do: a third record must not bridge them */
    *block = k == AU_LINK_CANNOT || ((s.conflict || s.negative) && !*must);
    if (link)
        *link = *must || au_score_links(res, &s);
    w = au_score_link_weight(res, &s, w);
    return w > SUPPORT_CLAMP ? SUPPORT_CLAMP : w < -SUPPORT_CLAMP ? -SUPPORT_CLAMP : w;
}

/* Whether record r may join profile p (conflicts, cannot-links, mean support). */
static int justified(const au_resolver *res, uint32_t r, uint32_t p)
{
    const au_profile *pr = &res->p[p];
    const au_feat *fr = &res->f[r];
    int must_any = 0;
    for (uint32_t i = 0; i < pr->n; i++) {
        au_link_kind k = au_ovr_get(&res->ovr, r, pr->m[i]);
        if (k == AU_LINK_CANNOT)
            return 0;
        if (k == AU_LINK_MUST)
            must_any = 1;
    }
    if (must_any)
        return 1;
    if (fr->nid || fr->passport)
        for (uint32_t i = 0; i < pr->n; i++)
            if (au_feat_conflict(res, fr, &res->f[pr->m[i]]))
                return 0;
    uint32_t cnt = pr->n < (uint32_t)res->model.cluster_check_max
                       ? pr->n
                       : (uint32_t)res->model.cluster_check_max;
    double sum = 0;
    for (uint32_t j = 0; j < cnt; j++) {
        uint32_t x = pr->m[(uint64_t)j * pr->n / cnt];
        int block, must;
        double w = support(res, r, x, &block, &must, NULL);
        if (block || w < res->model.join_min_weight)
            return 0;
        sum += w;
    }
    return sum / cnt >= res->model.join_mean_weight;
}

/* Whether two profiles may become one: no blocking pair, mean cross support. */
static int compatible(const au_resolver *res, uint32_t p, uint32_t q)
{
    const au_profile *a = &res->p[p], *b = &res->p[q];
    uint32_t na = a->n < 8 ? a->n : 8, nb = b->n < 8 ? b->n : 8;
    double sum = 0;
    /* Only members carrying a strong id or an override can block: the cross check stays
     * linear in practice even for large profiles. */
    for (uint32_t i = 0; i < a->n; i++) {
        const au_feat *fa = &res->f[a->m[i]];
        if (!fa->nid && !fa->passport && !res->ovr.per_rec[a->m[i]])
            continue;
        for (uint32_t j = 0; j < b->n; j++) {
            if (au_ovr_get(&res->ovr, a->m[i], b->m[j]) == AU_LINK_CANNOT ||
                au_feat_conflict(res, fa, &res->f[b->m[j]]))
                return 0;
        }
    }
    for (uint32_t i = 0; i < na; i++)
        for (uint32_t j = 0; j < nb; j++) {
            int block, must;
            double w = support(res, a->m[(uint64_t)i * a->n / na], b->m[(uint64_t)j * b->n / nb],
                               &block, &must, NULL);
            if (block || w < res->model.join_min_weight)
                return 0; /* strong negative evidence between members, like a conflict */
            sum += w;
        }
    return sum / (na * nb) >= res->model.join_mean_weight;
}

/* ---- attach / detach ------------------------------------------------------------------- */

typedef struct plink {
    uint32_t profile;
    double best;
    int forced; /* must-link */
} plink;

static int plink_cmp(const void *x, const void *y)
{
    const plink *a = x, *b = y;
    if (a->forced != b->forced)
        return b->forced - a->forced;
    return a->best > b->best ? -1 : a->best < b->best ? 1 : (a->profile < b->profile ? -1 : 1);
}

static au_rc add_plink(plink **pl, size_t *n, size_t *cap, uint32_t p, double w, int forced)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*pl)[i].profile == p) {
            if (w > (*pl)[i].best)
                (*pl)[i].best = w;
            (*pl)[i].forced |= forced;
            return AU_OK;
        }
    }
    if (grow((void **)pl, cap, *n + 1, sizeof **pl))
        return AU_ERR_NOMEM;
    (*pl)[(*n)++] = (plink){p, w, forced};
    return AU_OK;
}

static au_rc index_keys(au_resolver *res, uint32_t r, int add)
{
    uint64_t keys[AU_MAX_BKEYS];
    int nstrong, nk = au_feat_block_keys(res, &res->f[r], keys, &nstrong);
    int weak = au_weak_block_cap(&res->model);
    for (int i = 0; i < nk; i++) {
        if (!add)
            au_bindex_remove(&res->bx, keys[i], r);
        else if (au_bindex_add(&res->bx, keys[i], r, i < nstrong ? res->model.block_cap : weak))
            return AU_ERR_NOMEM;
    }
    return AU_OK;
}

/* Collects the links of record r to existing profiles into *pl. slots (may be NULL) receives
 * the index slot of each of r's nk blocking keys, for au_bindex_add_at. */
static au_rc find_links(au_resolver *res, uint32_t r, const uint64_t *keys, int nk, size_t *slots,
                        plink **pl, size_t *npl, size_t *cappl, au_resolve_changes *ch)
{
    au_rc rc = AU_OK;
    if (++res->round == 0) {
        memset(res->stamp, 0, res->nf * sizeof(uint32_t));
        res->round = 1;
    }
    res->stamp[r] = res->round;
    /* In three passes so that the memory reads of each pass (index slots, then visit stamps,
     * then feature rows, nearly all cache misses at scale) are issued together instead of
     * one after the other; candidates are scored in the same order as a single pass would. */
    for (int i = 0; i < nk; i++)
        __builtin_prefetch(&res->bx.slots[au_bindex_home(&res->bx, keys[i])]);
    size_t n = 0;
    for (int i = 0; i < nk; i++) {
        size_t slot = au_bindex_probe(&res->bx, keys[i]);
        const au_block *b = &res->bx.slots[slot];
        if (slots)
            slots[i] = slot;
        if (!b->key || b->oversized)
            continue;
        if ((rc = grow((void **)&res->cand, &res->capcand, n + b->n, sizeof *res->cand)))
            return rc;
        /* Blocks hold live records only (removal takes a record out of its blocks). */
        const uint32_t *ids = au_block_ids(b);
        for (uint32_t j = 0; j < b->n; j++) {
            __builtin_prefetch(&res->stamp[ids[j]]);
            res->cand[n++] = ids[j];
        }
    }
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        uint32_t c = res->cand[j];
        if (res->stamp[c] == res->round)
            continue;
        res->stamp[c] = res->round;
        __builtin_prefetch(&res->f[c]);
        __builtin_prefetch((const char *)&res->f[c] + sizeof(au_feat) - 1);
        res->cand[m++] = c;
    }
    for (size_t j = 0; j < m; j++) {
        uint32_t c = res->cand[j];
        if (j + 1 < m)
            au_score_prefetch(res, &res->f[r], &res->f[res->cand[j + 1]]);
        au_score s;
        /* in order-key order: whichever of the two records came last, the pair scores alike */
        int fwd = !res->model.settle || res->okey[r] < res->okey[c] ||
                  (res->okey[r] == res->okey[c] && r < c);
        double w = au_score_bounded(res, &res->f[fwd ? r : c], &res->f[fwd ? c : r],
                                    res->model.possible_weight, &s);
        /* Must-links are added after the loop, with infinite weight; a cannot-link is skipped. */
        au_link_kind ov = au_ovr_get(&res->ovr, r, c);
        if (ov == AU_LINK_CANNOT)
            continue;
        au_decision d = au_score_decide(res, AU_LINK_NONE, &s, w);
        if (d == AU_DECIDE_MATCH) {
            if ((rc = add_plink(pl, npl, cappl, res->f[c].profile, au_score_link_weight(res, &s, w),
                                0)) ||
                (rc = adj_link(res, r, c)))
                return rc;
        } else if (d == AU_DECIDE_POSSIBLE) {
            if ((rc = ch_possible(ch, c, r, w)))
                return rc;
        }
    }
    if (res->ovr.per_rec[r]) { /* must-links of r, found by a scan: overrides are rare */
        for (size_t i = 0; i < res->ovr.nslots; i++) {
            uint64_t k = res->ovr.keys[i];
            if (!k || k == OVR_DEL || res->ovr.kind[i] != AU_LINK_MUST)
                continue;
            uint32_t a = (uint32_t)(k >> 32), b = (uint32_t)k;
            uint32_t o = a == r ? b : b == r ? a : UINT32_MAX;
            if (o != UINT32_MAX && o < res->nf && res->f[o].alive && res->f[o].profile &&
                ((rc = add_plink(pl, npl, cappl, res->f[o].profile, INFINITY, 1)) ||
                 (rc = adj_link(res, r, o))))
                return rc;
        }
    }
    res->adj[r].known = 1;
    return AU_OK;
}

/* Resolves live record r (not in any profile yet). */
static au_rc attach(au_resolver *res, uint32_t r, au_resolve_changes *ch)
{
    au_rc rc;
    plink *pl = NULL;
    size_t npl = 0, cappl = 0, nacc = 0, slots[AU_MAX_BKEYS];
    uint64_t keys[AU_MAX_BKEYS];
    int nstrong, nk = au_feat_block_keys(res, &res->f[r], keys, &nstrong);
    /* No rehash until r is indexed: the slots found while collecting candidates are reused. */
    if ((rc = au_bindex_reserve(&res->bx, (size_t)nk)) ||
        (rc = find_links(res, r, keys, nk, slots, &pl, &npl, &cappl, ch)))
        goto out;
    if (npl > 1)
        qsort(pl, npl, sizeof *pl, plink_cmp);
    /* Accepted profiles are compacted to the front of pl. */
    for (size_t i = 0; i < npl; i++) {
        uint32_t p = pl[i].profile;
        if (!pl[i].forced && !justified(res, r, p))
            continue;
        if (nacc > 0 && !pl[i].forced && !compatible(res, pl[0].profile, p))
            continue;
        pl[nacc++] = pl[i];
    }
    uint32_t target;
    if (nacc == 0) {
        if ((rc = new_profile(res, &target)))
            goto out;
    } else {
        target = pl[0].profile;
        for (size_t i = 1; i < nacc; i++)
            if (survives(res, pl[i].profile, target))
                target = pl[i].profile;
    }
    if ((rc = prof_add(res, target, r)) || (rc = ch_move(ch, r, 0, target)))
        goto out;
    for (size_t i = 0; i < nacc; i++)
        if (pl[i].profile != target && res->p[pl[i].profile].n > 0 &&
            (rc = merge(res, target, pl[i].profile, ch)))
            goto out;
    for (int i = 0; i < nk && !rc; i++)
        rc = au_bindex_add_at(&res->bx, slots[i], keys[i], r,
                              i < nstrong ? res->model.block_cap : au_weak_block_cap(&res->model));
out:
    au_free(pl);
    return rc;
}

/* Takes live record r out of its profile and the index. Returns the profile it left; an
 * emptied profile is reported as vanished. */
static au_rc detach(au_resolver *res, uint32_t r, uint32_t *left, au_resolve_changes *ch)
{
    au_rc rc;
    uint32_t p = res->f[r].profile;
    *left = p;
    index_keys(res, r, 0);
    au_feat_count(res, &res->f[r], -1);
    prof_del(res, p, r);
    res->f[r].profile = 0;
    if ((rc = ch_move(ch, r, p, 0)))
        return rc;
    if (res->p[p].n == 0)
        return ch_redirect(ch, p, 0);
    return AU_OK;
}

/* ---- re-evaluation -------------------------------------------------------------------- */

typedef struct edge {
    float w;
    uint16_t i, j;
    uint8_t must;
} edge;

/* Must-links first, then strongest first; equal weights by node index, so that the members'
 * order alone decides (settling orders them by key, not by arrival). */
static int edge_cmp(const void *x, const void *y)
{
    const edge *a = x, *b = y;
    if (a->must != b->must)
        return b->must - a->must;
    if (a->w != b->w)
        return a->w > b->w ? -1 : 1;
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    return a->j < b->j ? -1 : a->j > b->j;
}

typedef struct reeval {
    size_t n;
    uint32_t *m;  /* members */
    float *w;     /* n*n supports */
    uint8_t *blk; /* n*n: 1 blocked */
    edge *e;      /* links */
    size_t ne;
    uint16_t *comp; /* node -> component root */
    uint16_t *next; /* node -> next node of its component, 0xffff ends */
    uint16_t *head; /* root -> first node */
    uint16_t *size; /* root -> size */
} reeval;

static void reeval_free(reeval *v)
{
    au_free(v->m);
    au_free(v->w);
    au_free(v->blk);
    au_free(v->e);
    au_free(v->comp);
    au_free(v->next);
    au_free(v->head);
    au_free(v->size);
}

/* Whether components a and b may join along an edge (must: only cannot-links block). */
static int may_union(const reeval *v, uint16_t a, uint16_t b, int must, double meanw, double minw)
{
    double sum = 0;
    size_t cnt = 0;
    for (uint16_t x = v->head[a]; x != 0xffff; x = v->next[x])
        for (uint16_t y = v->head[b]; y != 0xffff; y = v->next[y]) {
            if (v->blk[x * v->n + y] == 2 || (!must && v->blk[x * v->n + y]))
                return 0;
            if (!must && v->w[x * v->n + y] < minw)
                return 0;
            sum += v->w[x * v->n + y];
            cnt++;
        }
    return must || sum / (double)cnt >= meanw;
}

static void do_union(reeval *v, uint16_t a, uint16_t b)
{
    uint16_t x = v->head[b], last = x;
    for (; x != 0xffff; x = v->next[x]) {
        v->comp[x] = a;
        last = x;
    }
    v->next[last] = v->head[a];
    v->head[a] = v->head[b];
    v->size[a] += v->size[b];
    v->size[b] = 0;
}

typedef struct part {
    uint16_t root, size;
    uint32_t oldest;
} part;

static int part_cmp(const void *x, const void *y)
{
    const part *a = x, *b = y;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return a->oldest < b->oldest ? -1 : 1;
}

/* Whether b is among a's links. */
static int adjacent(const au_resolver *res, uint32_t a, uint32_t b)
{
    const au_adj *x = &res->adj[a];
    for (uint32_t i = 0; i < x->n; i++)
        if (x->v[i] == b)
            return 1;
    return 0;
}

/* The support matrix and links of n members (copied; n <= 0xffff). With `found` a pair is a
 * link only when it was also found as one through the blocking index (au_adj): which other
 * records a component holds depends on the order records came in (old profile members), and a
 * pair that shares no blocking key is a link only when both happen to be there. */
static au_rc reeval_build(const au_resolver *res, const uint32_t *members, size_t n, int found,
                          reeval *v)
{
    v->n = n;
    v->m = au_malloc(n * sizeof *v->m);
    v->w = au_malloc(n * n * sizeof *v->w);
    v->blk = au_calloc(n * n, 1);
    v->e = au_malloc(n * (n - 1) / 2 * sizeof *v->e + sizeof *v->e);
    v->comp = au_malloc(n * sizeof(uint16_t));
    v->next = au_malloc(n * sizeof(uint16_t));
    v->head = au_malloc(n * sizeof(uint16_t));
    v->size = au_malloc(n * sizeof(uint16_t));
    if (!v->m || !v->w || !v->blk || !v->e || !v->comp || !v->next || !v->head || !v->size)
        return AU_ERR_NOMEM;
    memcpy(v->m, members, n * sizeof *v->m);
    for (size_t i = 0; i < n; i++) {
        v->comp[i] = v->head[i] = (uint16_t)i;
        v->next[i] = 0xffff;
        v->size[i] = 1;
        v->w[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) {
            int block, must, link;
            double w = support(res, v->m[i], v->m[j], &block, &must, &link);
            int cannot = au_ovr_get(&res->ovr, v->m[i], v->m[j]) == AU_LINK_CANNOT;
            v->w[i * n + j] = v->w[j * n + i] = (float)w;
            v->blk[i * n + j] = v->blk[j * n + i] = (uint8_t)(cannot ? 2 : block ? 1 : 0);
            if (link && !block && (!found || adjacent(res, v->m[i], v->m[j])))
                v->e[v->ne++] = (edge){(float)w, (uint16_t)i, (uint16_t)j, (uint8_t)must};
        }
    }
    return AU_OK;
}

/* Clusters n members from their pairwise links with the chaining guard (strongest links
 * first, a union only when every cross pair may share a profile and the mean support holds).
 * The parts, largest then oldest first, go to *parts (caller frees), their count to *np. */
static au_rc cluster(const au_resolver *res, const uint32_t *members, size_t n, int found,
                     reeval *v, part **parts, size_t *np)
{
    au_rc rc = reeval_build(res, members, n, found, v);
    *np = 0;
    if (rc)
        return rc;
    qsort(v->e, v->ne, sizeof *v->e, edge_cmp);
    for (size_t k = 0; k < v->ne; k++) {
        uint16_t a = v->comp[v->e[k].i], b = v->comp[v->e[k].j];
        if (a != b && may_union(v, a, b, v->e[k].must, res->model.join_mean_weight,
                                res->model.join_min_weight))
            do_union(v, a, b);
    }
    if (!(*parts = au_malloc(n * sizeof **parts)))
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (v->size[i] == 0 || v->comp[i] != i)
            continue;
        part pt = {(uint16_t)i, v->size[i], UINT32_MAX};
        for (uint16_t x = v->head[i]; x != 0xffff; x = v->next[x])
            if (v->m[x] < pt.oldest)
                pt.oldest = v->m[x];
        (*parts)[(*np)++] = pt;
    }
    qsort(*parts, *np, sizeof **parts, part_cmp);
    return AU_OK;
}

/* The profile part `pt` goes to: the unclaimed profile holding most of its members (ties: the
 * lower number), else a new one. claimed[0..nclaimed) are the profiles earlier parts took. */
static au_rc part_target(au_resolver *res, const reeval *v, const part *pt, const uint32_t *claimed,
                         size_t nclaimed, uint32_t *target)
{
    uint32_t best = 0, best_n = 0;
    for (uint16_t x = v->head[pt->root]; x != 0xffff; x = v->next[x]) {
        uint32_t p = res->f[v->m[x]].profile, cnt = 0;
        int taken = 0;
        for (size_t k = 0; k < nclaimed && !taken; k++)
            taken = claimed[k] == p;
        if (taken || p == best)
            continue;
        for (uint16_t y = v->head[pt->root]; y != 0xffff; y = v->next[y])
            cnt += res->f[v->m[y]].profile == p;
        if (cnt > best_n || (cnt == best_n && p < best)) {
            best = p;
            best_n = cnt;
        }
    }
    if (best) {
        *target = best;
        return AU_OK;
    }
    return new_profile(res, target);
}

/* Moves the members of every part into one profile per part (see part_target): the parts are
 * taken largest first, so in a split the larger part keeps the number; a profile emptied on
 * the way redirects to where its last member went. */
static au_rc apply_parts(au_resolver *res, const reeval *v, const part *parts, size_t np,
                         au_resolve_changes *ch)
{
    au_rc rc = AU_OK;
    uint32_t *claimed = au_malloc((np ? np : 1) * sizeof *claimed);
    if (!claimed)
        return AU_ERR_NOMEM;
    for (size_t k = 0; k < np && !rc; k++) {
        uint32_t t;
        if ((rc = part_target(res, v, &parts[k], claimed, k, &t)))
            break;
        claimed[k] = t;
        for (uint16_t x = v->head[parts[k].root]; x != 0xffff && !rc; x = v->next[x]) {
            uint32_t r = v->m[x], q = res->f[r].profile;
            if (q == t)
                continue;
            prof_del(res, q, r);
            if ((rc = prof_add(res, t, r)) || (rc = ch_move(ch, r, q, t)))
                break;
            if (res->p[q].n == 0) {
                res->p[q].fwd = t;
                rc = ch_redirect(ch, q, t);
            }
        }
    }
    au_free(claimed);
    return rc;
}

/* Rebuilds profile p from its pairwise links; splits it when they no longer hold together. */
static au_rc reevaluate(au_resolver *res, uint32_t p, au_resolve_changes *ch)
{
    au_rc rc;
    reeval v;
    part *parts = NULL;
    size_t np = 0;
    memset(&v, 0, sizeof v);
    if (res->p[p].n <= 1 || res->p[p].n > REEVAL_MAX)
        return AU_OK;
    if (!(rc = cluster(res, res->p[p].m, res->p[p].n, 0, &v, &parts, &np)) && np > 1)
        rc = apply_parts(res, &v, parts, np, ch);
    au_free(parts);
    reeval_free(&v);
    return rc;
}

/* Joins the profile of live record r with other profiles r is justified to join. */
static au_rc relink(au_resolver *res, uint32_t r, au_resolve_changes *ch)
{
    au_rc rc;
    plink *pl = NULL;
    size_t npl = 0, cappl = 0;
    uint64_t keys[AU_MAX_BKEYS];
    int nk = au_feat_block_keys(res, &res->f[r], keys, NULL);
    if ((rc = find_links(res, r, keys, nk, NULL, &pl, &npl, &cappl, ch)))
        goto out;
    if (npl > 1)
        qsort(pl, npl, sizeof *pl, plink_cmp);
    for (size_t i = 0; i < npl; i++) {
        uint32_t q = res->f[r].profile, p = pl[i].profile;
        if (p == q || res->p[p].n == 0)
            continue;
        if (!pl[i].forced && (!justified(res, r, p) || !compatible(res, q, p)))
            continue;
        uint32_t into = survives(res, q, p) ? q : p;
        if ((rc = merge(res, into, into == q ? p : q, ch)))
            goto out;
    }
out:
    au_free(pl);
    return rc;
}

/* ---- settling ---------------------------------------------------------------------------- */

/* Scores the candidates of a record whose links are not known (restored at start-up, where
 * nothing is scored) so that settling can follow them. Changes nothing but the link lists. */
static au_rc complete_links(au_resolver *res, uint32_t r)
{
    plink *pl = NULL;
    size_t npl = 0, cappl = 0;
    uint64_t keys[AU_MAX_BKEYS];
    int nk = au_feat_block_keys(res, &res->f[r], keys, NULL);
    au_rc rc = find_links(res, r, keys, nk, NULL, &pl, &npl, &cappl, NULL);
    au_free(pl);
    return rc;
}

/* Appends live record r to the component being collected unless this round reached it. */
static au_rc comp_push(au_resolver *res, uint32_t r, uint32_t **comp, size_t *n, size_t *cap)
{
    if (!res->f[r].alive || res->mark[r] == res->mark_round)
        return AU_OK;
    res->mark[r] = res->mark_round;
    if (grow((void **)comp, cap, *n + 1, sizeof **comp))
        return AU_ERR_NOMEM;
    (*comp)[(*n)++] = r;
    return AU_OK;
}

/* The records reachable from seed through links and shared profiles, into *comp; *n stops
 * above AU_SETTLE_MAX (the component is then too large to settle). */
static au_rc collect(au_resolver *res, uint32_t seed, uint32_t **comp, size_t *n, size_t *cap)
{
    au_rc rc = comp_push(res, seed, comp, n, cap);
    for (size_t k = 0; k < *n && *n <= AU_SETTLE_MAX && !rc; k++) {
        uint32_t x = (*comp)[k];
        if (!res->adj[x].known && (rc = complete_links(res, x)))
            break;
        const au_adj *a = &res->adj[x];
        for (uint32_t i = 0; i < a->n && !rc; i++)
            rc = comp_push(res, a->v[i], comp, n, cap);
        const au_profile *pr = &res->p[res->f[x].profile];
        for (uint32_t i = 0; i < pr->n && !rc; i++)
            rc = comp_push(res, pr->m[i], comp, n, cap);
    }
    return rc;
}

typedef struct keyed_rec {
    uint64_t key;
    uint32_t no;
} keyed_rec;

static int keyed_cmp(const void *x, const void *y)
{
    const keyed_rec *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->no < b->no ? -1 : a->no > b->no;
}

/* Sorts the component by order key (record number only breaks a hash collision). */
static au_rc sort_by_key(const au_resolver *res, uint32_t *comp, size_t n)
{
    keyed_rec *k = au_malloc(n * sizeof *k);
    if (!k)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed_rec){res->okey[comp[i]], comp[i]};
    qsort(k, n, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < n; i++)
        comp[i] = k[i].no;
    au_free(k);
    return AU_OK;
}

/* Settles the component of seed: clusters it from scratch in key order and moves its records
 * accordingly. A lone record in a profile of its own is already settled. */
static au_rc settle_one(au_resolver *res, uint32_t seed, uint32_t **comp, size_t *cap,
                        au_resolve_changes *ch)
{
    size_t n = 0, np = 0;
    part *parts = NULL;
    reeval v;
    au_rc rc = collect(res, seed, comp, &n, cap);
    if (rc || n <= 1 || n > AU_SETTLE_MAX)
        return rc;
    memset(&v, 0, sizeof v);
    if (!(rc = sort_by_key(res, *comp, n)) && !(rc = cluster(res, *comp, n, 1, &v, &parts, &np)))
        rc = apply_parts(res, &v, parts, np, ch);

    au_free(parts);
    reeval_free(&v);
    return rc;
}

au_rc au_resolver_settle(au_resolver *res, au_resolve_changes *ch)
{
    au_rc rc = AU_OK;
    uint32_t *comp = NULL;
    size_t cap = 0, start = ch ? ch->nmoves : 0;
    if (++res->mark_round == 0) {
        memset(res->mark, 0, res->nf * sizeof *res->mark);
        res->mark_round = 1;
    }
    /* The links found as each record came were scored with the record count, term frequencies
     * and blocks of that moment: found again now, with the state every order of the same
     * records reaches, and from both sides (all dropped first, then all scored). */
    for (size_t i = 0; i < res->ndirty; i++)
        if (res->f[res->dirty[i]].alive)
            adj_drop(res, res->dirty[i]);
    for (size_t i = 0; i < res->ndirty && !rc; i++)
        if (res->f[res->dirty[i]].alive)
            rc = complete_links(res, res->dirty[i]);
    for (size_t i = 0; i < res->ndirty && !rc; i++) {
        uint32_t r = res->dirty[i];
        res->adj[r].dirty = 0;
        if (res->f[r].alive && res->mark[r] != res->mark_round)
            rc = settle_one(res, r, &comp, &cap, ch);
    }
    for (size_t i = 0; i < res->ndirty; i++) /* after an error too: the list starts over */
        res->adj[res->dirty[i]].dirty = 0;
    res->ndirty = 0;
    au_free(comp);
    coalesce(ch, start);
    return rc;
}

/* ---- generic values --------------------------------------------------------------------- */

/* The value of generic-capable column c in a feature row. */
static uint32_t gen_value(const au_feat *x, au_gcol c)
{
    return c == AU_GCOL_EMAIL         ? x->email
           : c == AU_GCOL_PHONE       ? (x->phone_q ? 0 : x->phone)
           : c == AU_GCOL_NATIONAL_ID ? x->nid
                                      : x->addr;
}

/* Whether value id of column c, held by r, is held by at least the model's number of clearly
 * different people among the records of its block (the block lists every live holder until it
 * outgrows the cap). Holders are counted greedily: a record counts when it clearly differs from
 * every record counted before it. */
static int held_by_many(au_resolver *res, uint32_t r, au_gcol c, uint32_t id, const au_block *b)
{
    uint32_t reps[64];
    int nrep = 0, need = res->model.generic_min_people[c];
    const uint32_t *ids = au_block_ids(b);
    reps[nrep++] = r;
    for (uint32_t i = 0; i < b->n && nrep < need && nrep < 64; i++) {
        const au_feat *x = &res->f[ids[i]];
        if (ids[i] == r || gen_value(x, c) != id) /* blocks of two keys may share a slot */
            continue;
        int distinct = 1;
        for (int k = 0; k < nrep && distinct; k++)
            distinct = au_feat_distinct_people(res, x, &res->f[reps[k]]);
        if (distinct)
            reps[nrep++] = ids[i];
    }
    return nrep >= need;
}

/* Marks value id generic (held by many different people) and, when `rebuild` is set,
 * re-evaluates every profile holding it: links that rested on it no longer hold. Its block is
 * dropped (a generic value is no key). */
static au_rc make_generic(au_resolver *res, uint32_t r, au_gcol c, uint32_t id, int rebuild,
                          au_resolve_changes *ch)
{
    au_rc rc = AU_OK;
    au_intern *t = c == AU_GCOL_ADDRESS ? &res->text : &res->ids;
    uint64_t key = au_gen_block_key(c, id);
    t->gen[id] |= AU_GEN_SHARED;
    const au_block *b = au_bindex_find(&res->bx, key);
    uint32_t prof[64];
    size_t np = 0;
    for (uint32_t i = 0; b && !b->oversized && i < b->n; i++) {
        au_feat *x = &res->f[au_block_ids(b)[i]];
        uint32_t p = x->profile, k = 0;
        if (gen_value(x, c) != id) /* blocks of two keys may share a slot */
            continue;
        x->generic |= (uint8_t)(1u << c); /* the holders' rows stay exact */
        while (rebuild && k < np && prof[k] != p)
            k++;
        if (rebuild && k == np && p && np < 64)
            prof[np++] = p;
    }
    res->f[r].generic |= (uint8_t)(1u << c);
    au_bindex_drop(&res->bx, key);
    for (size_t k = 0; k < np && !rc; k++)
        if (res->p[prof[k]].n)
            rc = reevaluate(res, prof[k], ch);
    return rc;
}

/* Checks the e-mail, phone, national id and address of record r (not yet indexed) against the
 * records already holding them: a value held by enough clearly different people becomes
 * generic. */
static au_rc observe_generic(au_resolver *res, uint32_t r, int rebuild, au_resolve_changes *ch)
{
    const au_feat *f = &res->f[r];
    const uint32_t v[AU_GCOL_COUNT] = {0, f->email, f->phone_q ? 0 : f->phone, f->nid, f->addr};
    au_rc rc = AU_OK;
    for (int c = 1; c < AU_GCOL_COUNT && !rc; c++) {
        const au_intern *t = c == AU_GCOL_ADDRESS ? &res->text : &res->ids;
        uint8_t g = v[c] ? t->gen[v[c]] : 0;
        /* A value no earlier record held is shared by nobody: no block to look at. */
        if (!(g & AU_GEN_REPEAT) || (g & (AU_GEN_SHARED | AU_GEN_NEVER)) || au_gen_is(t, v[c]))
            continue;
        const au_block *b = au_bindex_find(&res->bx, au_gen_block_key((au_gcol)c, v[c]));
        if (!b || b->oversized || (uint32_t)b->n + 1 < (uint32_t)res->model.generic_min_people[c])
            continue;
        if (held_by_many(res, r, (au_gcol)c, v[c], b))
            rc = make_generic(res, r, (au_gcol)c, v[c], rebuild, ch);
    }
    return rc;
}

/* ---- public API ------------------------------------------------------------------------ */

au_rc au_resolver_new(const au_model *model, au_resolver **out)
{
    au_rc rc = AU_ERR_NOMEM;
    au_resolver *res = au_calloc(1, sizeof *res);
    *out = NULL;
    if (!res)
        return rc;
    res->model = *model;
    au_model_refresh(&res->model);
    res->next_profile = 1;
    au_resolver_refresh_prior(res);
    res->memo = au_calloc((size_t)1 << AU_MEMO_BITS, sizeof(au_memo));
    if (!res->memo || (rc = au_nick_new(&res->nick)) || (rc = au_intern_init(&res->names, 1, 1)) ||
        (rc = au_intern_init(&res->codes, 0, 0)) || (rc = au_intern_init(&res->ids, 0, 0)) ||
        (rc = au_intern_init(&res->text, 0, 0)) || (rc = au_bindex_init(&res->bx)) ||
        (rc = ensure_rec(res, 0)) || (rc = ensure_profile(res, 1)) ||
        (rc = au_gen_apply_config(res))) {
        rc = rc ? rc : AU_ERR_NOMEM;
        au_resolver_free(res);
        return rc;
    }
    *out = res;
    return AU_OK;
}

void au_resolver_free(au_resolver *res)
{
    if (!res)
        return;
    au_nick_free(res->nick);
    au_intern_cleanup(&res->names);
    au_intern_cleanup(&res->codes);
    au_intern_cleanup(&res->ids);
    au_intern_cleanup(&res->text);
    au_bindex_cleanup(&res->bx);
    for (size_t i = 0; i < res->np; i++)
        au_free(res->p[i].m);
    au_free(res->p);
    au_free(res->f);
    au_free(res->stamp);
    au_free(res->cand);
    au_free(res->memo);
    au_free(res->ovr.keys);
    au_free(res->ovr.kind);
    au_free(res->ovr.per_rec);
    for (size_t i = 0; res->adj && i < res->nf; i++)
        au_free(res->adj[i].v);
    au_free(res->adj);
    au_free(res->okey);
    au_free(res->mark);
    au_free(res->dirty);
    au_free(res);
}

void au_resolver_refresh_prior(au_resolver *res)
{
    double n = (double)(res->live > res->expected ? res->live : res->expected);
    res->prior_w = au_model_prior_weight(&res->model, n);
}

void au_resolver_expect_records(au_resolver *res, size_t n)
{
    res->expected = n;
    au_resolver_refresh_prior(res);
}

const au_model *au_resolver_model(const au_resolver *res)
{
    return &res->model;
}

/* Builds and counts the feature row of record no (not yet in any profile). */
static au_rc load_record(au_resolver *res, uint32_t no, const au_record *rec)
{
    au_feat f;
    au_rc rc = au_feat_build(res, rec, &f);
    if (rc)
        return rc;
    f.alive = 1;
    res->f[no] = f;
    au_feat_count(res, &res->f[no], 1);
    res->live++;
    au_resolver_refresh_prior(res);
    return AU_OK;
}

au_rc au_resolver_add(au_resolver *res, uint32_t no, const au_record *rec, au_resolve_changes *ch)
{
    au_rc rc;
    size_t start = ch ? ch->nmoves : 0;
    if (no == UINT32_MAX)
        return AU_ERR_INVALID;
    if ((rc = ensure_rec(res, no)))
        return rc;
    if (res->f[no].alive)
        return AU_ERR_CONFLICT;
    if ((rc = load_record(res, no, rec)))
        return rc;
    res->okey[no] = order_key(rec);
    if (!(rc = observe_generic(res, no, 1, ch)) && !(rc = attach(res, no, ch)))
        rc = mark_dirty(res, no);
    coalesce(ch, start);
    return rc;
}

au_rc au_resolver_update(au_resolver *res, uint32_t no, const au_record *rec,
                         au_resolve_changes *ch)
{
    au_rc rc;
    au_feat nf;
    size_t start = ch ? ch->nmoves : 0;
    if (no >= res->nf || !res->f[no].alive)
        return au_resolver_add(res, no, rec, ch);
    /* The record stays in its profile while its content changes, then the profile is
     * re-evaluated (it may split, the larger/older part keeping the number) and the record's
     * part may join other profiles on the new evidence. */
    if ((rc = au_feat_build(res, rec, &nf)))
        return rc;
    index_keys(res, no, 0);
    adj_drop(res, no); /* its links rested on the old content; relink finds the new ones */
    res->okey[no] = order_key(rec);
    au_feat_count(res, &res->f[no], -1);
    nf.alive = 1;
    nf.profile = res->f[no].profile;
    res->f[no] = nf;
    au_feat_count(res, &res->f[no], 1);
    if ((rc = observe_generic(res, no, 1, ch)) || (rc = index_keys(res, no, 1)) ||
        (rc = reevaluate(res, res->f[no].profile, ch)))
        goto out;
    if (!(rc = relink(res, no, ch)))
        rc = mark_dirty(res, no);
out:
    coalesce(ch, start);
    return rc;
}

au_rc au_resolver_remove(au_resolver *res, uint32_t no, au_resolve_changes *ch)
{
    au_rc rc;
    uint32_t left;
    size_t start = ch ? ch->nmoves : 0;
    if (no >= res->nf || !res->f[no].alive)
        return AU_ERR_NOT_FOUND;
    if ((rc = detach(res, no, &left, ch)))
        goto out;
    adj_drop(res, no);
    res->f[no].alive = 0;
    res->live--;
    au_resolver_refresh_prior(res);
    rc = reevaluate(res, left, ch);
out:
    coalesce(ch, start);
    return rc;
}

au_rc au_resolver_override(au_resolver *res, uint32_t a, uint32_t b, au_link_kind kind,
                           au_resolve_changes *ch)
{
    au_rc rc;
    size_t start = ch ? ch->nmoves : 0;
    if (a == b || a >= res->nf || b >= res->nf || !res->f[a].alive || !res->f[b].alive)
        return AU_ERR_NOT_FOUND;
    if ((rc = ovr_set(&res->ovr, a, b, kind)))
        return rc;
    uint32_t pa = res->f[a].profile, pb = res->f[b].profile;
    if (kind == AU_LINK_MUST && pa != pb) {
        uint32_t into = survives(res, pa, pb) ? pa : pb;
        rc = merge(res, into, into == pa ? pb : pa, ch);
    } else if (kind != AU_LINK_MUST && pa == pb) {
        rc = reevaluate(res, pa, ch);
    }
    coalesce(ch, start);
    return rc;
}

au_rc au_resolver_cannot_links(const au_resolver *res, uint32_t pa, uint32_t pb, uint32_t **pairs,
                               size_t *n)
{
    size_t na = 0, nb = 0, cap = 0;
    const uint32_t *ma = au_resolver_members(res, pa, &na);
    const uint32_t *mb = au_resolver_members(res, pb, &nb);
    *pairs = NULL;
    *n = 0;
    /* Only members that carry an override at all can hold one: the scan stays short. */
    for (size_t i = 0; i < na; i++) {
        if (!res->ovr.per_rec || !res->ovr.per_rec[ma[i]])
            continue;
        for (size_t j = 0; j < nb; j++) {
            if (au_ovr_get(&res->ovr, ma[i], mb[j]) != AU_LINK_CANNOT)
                continue;
            if (AU_ARRAY_GROW(*pairs, cap, 2 * (*n + 1), 16)) {
                au_free(*pairs);
                *pairs = NULL;
                *n = 0;
                return AU_ERR_NOMEM;
            }
            (*pairs)[2 * *n] = ma[i];
            (*pairs)[2 * *n + 1] = mb[j];
            (*n)++;
        }
    }
    return AU_OK;
}

au_rc au_resolver_restore(au_resolver *res, uint32_t no, const au_record *rec, uint32_t profile)
{
    au_rc rc;
    if (!profile || profile == UINT32_MAX || no == UINT32_MAX)
        return AU_ERR_INVALID;
    if ((rc = ensure_rec(res, no)) || (rc = ensure_profile(res, profile)))
        return rc;
    if (res->f[no].alive)
        return AU_ERR_CONFLICT;
    if ((rc = load_record(res, no, rec)) || (rc = prof_add(res, profile, no)) ||
        (rc = observe_generic(res, no, 0, NULL)))
        return rc;
    res->okey[no] = order_key(rec);
    if (profile >= res->next_profile)
        res->next_profile = profile + 1;
    return index_keys(res, no, 1);
}

/* Replaces the content of live record no without scoring (au_resolver_adopt). */
static au_rc adopt_content(au_resolver *res, uint32_t no, const au_record *rec)
{
    au_feat nf;
    au_rc rc = au_feat_build(res, rec, &nf);
    if (rc)
        return rc;
    index_keys(res, no, 0);
    au_feat_count(res, &res->f[no], -1);
    nf.alive = 1;
    nf.profile = res->f[no].profile;
    res->f[no] = nf;
    au_feat_count(res, &res->f[no], 1);
    if ((rc = observe_generic(res, no, 0, NULL)))
        return rc;
    return index_keys(res, no, 1);
}

au_rc au_resolver_adopt(au_resolver *res, uint32_t no, const au_record *rec, uint32_t profile)
{
    au_rc rc;
    if (no == UINT32_MAX || profile == UINT32_MAX)
        return AU_ERR_INVALID;
    if (no >= res->nf || !res->f[no].alive) {
        if (!profile)
            return AU_OK;
        return rec ? au_resolver_restore(res, no, rec, profile) : AU_ERR_NOT_FOUND;
    }
    uint32_t old = res->f[no].profile;
    if (!profile) { /* deleted elsewhere: gone, with nothing re-evaluated here */
        index_keys(res, no, 0);
        au_feat_count(res, &res->f[no], -1);
        prof_del(res, old, no);
        res->f[no].profile = 0;
        res->f[no].alive = 0;
        res->live--;
        au_resolver_refresh_prior(res);
        return AU_OK;
    }
    if (rec && (rc = adopt_content(res, no, rec)))
        return rc;
    if (profile != old) {
        if ((rc = ensure_profile(res, profile)))
            return rc;
        prof_del(res, old, no);
        if ((rc = prof_add(res, profile, no)))
            return rc;
    }
    if (profile >= res->next_profile)
        res->next_profile = profile + 1;
    return AU_OK;
}

au_rc au_resolver_restore_override(au_resolver *res, uint32_t a, uint32_t b, au_link_kind kind)
{
    au_rc rc;
    if (a == b)
        return AU_ERR_INVALID;
    if ((rc = ensure_rec(res, a > b ? a : b)))
        return rc;
    return ovr_set(&res->ovr, a, b, kind);
}

void au_resolver_set_next_profile(au_resolver *res, uint32_t next)
{
    if (next > res->next_profile)
        res->next_profile = next;
}

uint32_t au_resolver_profile_of(const au_resolver *res, uint32_t no)
{
    return no < res->nf && res->f[no].alive ? res->f[no].profile : 0;
}

uint32_t au_resolver_profile_resolve(const au_resolver *res, uint32_t p)
{
    for (int hops = 0; hops < 64 && p && p < res->np; hops++) {
        if (res->p[p].n)
            return p;
        p = res->p[p].fwd;
    }
    return 0;
}

const uint32_t *au_resolver_members(const au_resolver *res, uint32_t p, size_t *n)
{
    *n = p && p < res->np ? res->p[p].n : 0;
    return *n ? res->p[p].m : NULL;
}

size_t au_resolver_record_count(const au_resolver *res)
{
    return res->live;
}

size_t au_resolver_profile_count(const au_resolver *res)
{
    return res->live_profiles;
}

size_t au_resolver_memory(const au_resolver *res)
{
    size_t b = sizeof *res + ((size_t)1 << AU_MEMO_BITS) * sizeof(au_memo) +
               res->nf * (sizeof(au_feat) + 2 * sizeof(uint32_t)) + res->np * sizeof(au_profile) +
               res->bx.nslots * sizeof(au_block) + res->bx.entries * sizeof(uint32_t) +
               res->ovr.nslots * 9;
    for (size_t i = 0; i < res->np; i++)
        b += res->p[i].cap * sizeof(uint32_t);
    b += res->nf * (sizeof(au_adj) + sizeof(uint64_t) + sizeof(uint32_t)) +
         res->capdirty * sizeof(uint32_t);
    for (size_t i = 0; i < res->nf; i++)
        b += res->adj[i].cap * sizeof(uint32_t);
    return b + au_intern_memory(&res->names) + au_intern_memory(&res->codes) +
           au_intern_memory(&res->ids) + au_intern_memory(&res->text);
}
