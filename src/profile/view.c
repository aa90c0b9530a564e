/*
 * The reads of the single customer view. A golden record is built on demand: the profile's
 * members are read through the store's membership functions, their current versions parsed and
 * handed to au_survive with the trust of their sources. Lookups and search go through the record
 * identifier index and map records to profiles at read time, so they follow merges and splits.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/buf.h"
#include "lib/cursor.h"
#include "normalize/normalize.h"
#include "profile/profiles_int.h"
#include "lib/clock.h"

#define MAX_MEMBERS   1000 /* a profile larger than this is read partially (and says so) */
#define MAX_REDIRECTS 32   /* hops followed through merged-away ids */

typedef struct members {
    int64_t *recs;
    size_t n, cap;
} members;

static int add_no(members *m, int64_t rec)
{
    if (AU_ARRAY_GROW(m->recs, m->cap, m->n + 1, 8))
        return AU_ERR_NOMEM;
    m->recs[m->n++] = rec;
    return m->n >= MAX_MEMBERS ? 1 : 0;
}

static int on_member(void *ctx, const au_resolve_row *r)
{
    return add_no(ctx, r->no);
}

static int on_ident(void *ctx, int64_t rec, const char *key)
{
    (void)key;
    return add_no(ctx, rec);
}

static void iso_time(int64_t ms, char buf[40])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%03dZ", (int)(ms % 1000));
}

/* Follows redirects from `id`; *final is the live profile id (a profile that emptied keeps its
 * id, and then has no members). */
static au_rc follow(au_store *st, int64_t id, int64_t *final)
{
    int64_t into = 0;
    for (int i = 0; i < MAX_REDIRECTS; i++) {
        au_rc rc = au_store_redirect_get(st, id, &into);
        if (rc == AU_ERR_NOT_FOUND)
            break;
        if (rc)
            return rc;
        if (!into || into == id)
            break;
        id = into;
    }
    *final = id;
    return AU_OK;
}

/* The parsed members of a profile, for survivorship. */
typedef struct loaded {
    au_record_out *outs;
    au_record **recs;
    au_survive_member *sm;
    const au_source **srcs;
    double (*trust)[AU_ATTR_COUNT];
    size_t n;
    int64_t updated_ms;
} loaded;

static void loaded_free(au_engine *e, loaded *l)
{
    for (size_t i = 0; i < l->n; i++) {
        au_record_out_cleanup(&l->outs[i]);
        au_record_free(l->recs[i]);
        if (l->srcs[i])
            au_engine_source_release(e, l->srcs[i]);
    }
    au_free(l->outs);
    au_free(l->recs);
    au_free(l->sm);
    au_free(l->srcs);
    au_free(l->trust);
}

/* Parses a stored document without its "input" member (the source document as received, about
 * a third of the text, which survivorship never reads): the direct writer puts it last, so the
 * text is cut there. Anything unexpected falls back to parsing the whole document. */
static json_t *parse_doc(const char *doc)
{
    const char *cut = strstr(doc, ",\"input\":");
    if (cut && strncmp(doc, "{\"attrs\":", 9) == 0) {
        size_t n = (size_t)(cut - doc);
        char *tmp = au_malloc(n + 2);
        json_t *j = NULL;
        if (tmp) {
            memcpy(tmp, doc, n);
            tmp[n] = '}';
            tmp[n + 1] = '\0';
            j = json_loadb(tmp, n + 1, 0, NULL);
            au_free(tmp);
        }
        if (j && json_is_object(json_object_get(j, "attrs")))
            return j;
        json_decref(j);
    }
    return json_loads(doc, 0, NULL);
}

static au_rc load_one(au_engine *e, au_store *st, int64_t rec, loaded *l)
{
    size_t i = l->n;
    au_rc rc = au_store_record_by_no(st, rec, &l->outs[i]);
    if (rc == AU_ERR_NOT_FOUND)
        return AU_OK; /* deleted between the membership read and now: not a member */
    if (rc)
        return rc;
    json_t *doc = l->outs[i].doc ? parse_doc(l->outs[i].doc) : NULL;
    if (!doc || l->outs[i].deleted) {
        json_decref(doc);
        au_record_out_cleanup(&l->outs[i]);
        return AU_OK;
    }
    rc = au_record_from_json(l->outs[i].source, l->outs[i].record_id, doc, &l->recs[i]);
    json_decref(doc);
    if (rc) {
        au_record_out_cleanup(&l->outs[i]);
        return rc;
    }
    l->srcs[i] = au_engine_source_acquire(e, l->outs[i].source);
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        l->trust[i][a] = l->srcs[i] ? au_source_trust(l->srcs[i], (au_attr)a) : 0.5;
    l->sm[i] = (au_survive_member){l->recs[i],         l->outs[i].source, l->outs[i].record_id,
                                   l->outs[i].version, l->outs[i].at_ms,  l->trust[i]};
    if (l->outs[i].at_ms > l->updated_ms)
        l->updated_ms = l->outs[i].at_ms;
    l->n++;
    return AU_OK;
}

static au_rc load_members(au_engine *e, au_store *st, const members *m, loaded *l)
{
    memset(l, 0, sizeof(*l));
    size_t n = m->n ? m->n : 1;
    l->outs = au_calloc(n, sizeof(*l->outs));
    l->recs = au_calloc(n, sizeof(*l->recs));
    l->sm = au_calloc(n, sizeof(*l->sm));
    l->srcs = au_calloc(n, sizeof(*l->srcs));
    l->trust = au_calloc(n, sizeof(*l->trust));
    if (!l->outs || !l->recs || !l->sm || !l->srcs || !l->trust)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < m->n; i++) {
        au_rc rc = load_one(e, st, m->recs[i], l);
        if (rc)
            return rc;
    }
    return AU_OK;
}

au_rc au_profile_get(au_engine *e, au_store *st, int64_t id, int lineage, json_t **out, au_err *err)
{
    au_profiles *p = au_profiles_of(e);
    members m = {0};
    loaded l = {0};
    json_t *prof = NULL;
    int64_t live = id;
    char at[40];
    au_rc rc = follow(st, id, &live);
    if (!rc)
        rc = au_store_profile_members(st, live, on_member, &m);
    if (rc == 1)
        rc = AU_OK; /* stopped at MAX_MEMBERS */
    if (rc)
        goto out;
    if ((rc = load_members(e, st, &m, &l)))
        goto out;
    if (l.n == 0) {
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no profile %lld", (long long)id);
        goto out;
    }
    if ((rc = au_survive(l.sm, l.n, p->survive, &prof, err)))
        goto out;
    iso_time(l.updated_ms, at);
    json_object_set_new(prof, "id", json_integer(live));
    json_object_set_new(prof, "updated_at", json_string(at));
    json_object_set_new(prof, "records", json_integer((json_int_t)l.n));
    if (m.n >= MAX_MEMBERS)
        json_object_set_new(prof, "truncated", json_true());
    if (live != id) {
        json_object_set_new(prof, "requested_id", json_integer(id));
        json_object_set_new(prof, "merged_into", json_integer(live));
    }
    if (!lineage)
        json_object_del(prof, "lineage");
    *out = prof;
    prof = NULL;
out:
    loaded_free(e, &l);
    au_free(m.recs);
    json_decref(prof);
    return rc;
}

/* A copy of the cached text for key, or NULL; also NULL when the store's feed is past what the
 * cache reflects (`feed`: another node sharing the store changed profiles this node has not
 * invalidated yet). */
static char *cache_get(au_profiles *p, int64_t key, int64_t feed, size_t *len, uint64_t *epoch)
{
    char *out = NULL;
    pthread_rwlock_rdlock(&p->cache_mu);
    *epoch = p->epoch;
    const au_pcache_slot *sl = &p->cache[au_pcache_slot_of(key)];
    if (sl->key == key && feed <= p->cache_seq && au_wall_ms() - sl->at_ms < AU_PCACHE_TTL_MS &&
        (out = au_malloc(sl->len + 1))) {
        memcpy(out, sl->text, sl->len + 1);
        *len = sl->len;
    }
    pthread_rwlock_unlock(&p->cache_mu);
    return out;
}

/* Caches text unless an invalidation happened since `epoch` was read (the text may then have
 * been built from data a commit has since changed). */
static void cache_put(au_profiles *p, int64_t key, const char *text, size_t len, uint64_t epoch)
{
    char *copy = au_malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, text, len + 1);
    pthread_rwlock_wrlock(&p->cache_mu);
    if (p->epoch == epoch) {
        au_pcache_slot *sl = &p->cache[au_pcache_slot_of(key)];
        au_free(sl->text);
        *sl = (au_pcache_slot){key, copy, len, au_wall_ms()};
        copy = NULL;
    }
    pthread_rwlock_unlock(&p->cache_mu);
    au_free(copy);
}

/* Ends the read transaction of get_in_snapshot; a read-only one has nothing to keep, so a
 * failed answer just rolls it back. */
static au_rc snapshot_end(au_store *st, au_rc rc)
{
    if (rc) {
        AU_BEST_EFFORT(au_store_rollback(st)); /* rc is the error to report */
        return rc;
    }
    return au_store_commit(st);
}

/* The golden record of `id` read in one read transaction: its statements see one snapshot (the
 * members and their versions agree) and take one WAL read lock instead of one each. Measured
 * with bench/read_write.sh: every statement that began its own transaction after a commit made
 * SQLite drop the connection's page cache (and, with a memory map, unmap it), so while records
 * were written a profile read paid that up to four times. */
static au_rc get_in_snapshot(au_engine *e, au_store *st, int64_t id, int lineage, json_t **prof,
                             au_err *err)
{
    *prof = NULL;
    au_rc rc = au_store_begin(st);
    if (rc)
        return au_err_set(err, rc, "cannot begin a read transaction");
    rc = snapshot_end(st, au_profile_get(e, st, id, lineage, prof, err));
    if (rc) {
        json_decref(*prof); /* only when the commit of the finished read failed */
        *prof = NULL;
    }
    return rc;
}

/* Only for a reader handle outside any transaction (the API's, from au_engine_reader): lookups
 * are also made by hooks on the writer's handle inside its write transaction, where a BEGIN
 * would fail, so au_profile_lookup and au_profile_get take no transaction of their own. */
au_rc au_profile_get_text(au_engine *e, au_store *st, int64_t id, int lineage, char **text,
                          size_t *len, au_err *err)
{
    au_profiles *p = au_profiles_of(e);
    int64_t key = id * 2 + (lineage ? 1 : 0);
    uint64_t epoch = 0;
    json_t *prof = NULL;
    int64_t feed = 0;
    /* one indexed max() per read: the cache may only answer for a feed it has seen */
    if (p->cache && id > 0 && id < INT64_MAX / 4 && au_store_change_last(st, &feed) == AU_OK &&
        (*text = cache_get(p, key, feed, len, &epoch)))
        return AU_OK;
    au_rc rc = get_in_snapshot(e, st, id, lineage, &prof, err);
    if (rc)
        return rc;
    char *s = json_dumps(prof, JSON_COMPACT);
    /* a merged-away id answers with another profile: not cached under the old id */
    int redirected = json_object_get(prof, "merged_into") != NULL;
    json_decref(prof);
    if (!s)
        return AU_ERR_NOMEM;
    *len = strlen(s);
    *text = au_malloc(*len + 1);
    if (*text)
        memcpy(*text, s, *len + 1);
    if (*text && p->cache && !redirected && id > 0 && id < INT64_MAX / 4)
        cache_put(p, key, s, *len, epoch);
    free(s);
    return *text ? AU_OK : AU_ERR_NOMEM;
}

/* Distinct profiles of a list of records, in first-seen order. */
static au_rc profiles_of_records(au_store *st, const members *recs, members *profs)
{
    for (size_t i = 0; i < recs->n; i++) {
        int64_t prof = 0;
        au_rc rc = au_store_record_profile(st, recs->recs[i], &prof);
        if (!rc)
            rc = follow(st, prof, &prof);
        if (rc)
            return rc;
        size_t k = 0;
        while (k < profs->n && profs->recs[k] != prof)
            k++;
        if (prof && k == profs->n && (rc = add_no(profs, prof)) < 0)
            return rc;
    }
    return AU_OK;
}

au_rc au_profile_lookup(au_engine *e, au_store *st, const char *email, const char *phone,
                        const char *source, const char *record, int lineage, json_t **out,
                        au_err *err)
{
    au_profiles *p = au_profiles_of(e);
    members recs = {0}, profs = {0};
    char *key = NULL, *value = NULL;
    json_t *list = json_array();
    au_norm_why why;
    au_rc rc = list ? AU_OK : AU_ERR_NOMEM;
    if (rc)
        goto out;
    if (source && record) {
        int64_t no = 0;
        rc = au_store_record_no(st, source, record, &no);
        if (rc == AU_ERR_NOT_FOUND)
            rc = AU_OK;
        else if (!rc)
            rc = add_no(&recs, no);
    } else if (email) {
        if (au_norm_email(email, &value, &key, &why) != AU_OK) {
            rc = au_err_set(err, AU_ERR_INVALID, "email: %s", why.reason);
            goto out;
        }
        rc = au_store_ident_find(st, AU_IDENT_EMAIL, key, 0, MAX_MEMBERS, on_ident, &recs);
    } else if (phone) {
        if (au_norm_phone(phone, p->country[0] ? p->country : NULL, &key, &why) != AU_OK) {
            rc = au_err_set(err, AU_ERR_INVALID, "phone: %s", why.reason);
            goto out;
        }
        rc = au_store_ident_find(st, AU_IDENT_PHONE, key, 0, MAX_MEMBERS, on_ident, &recs);
    } else {
        rc = au_err_set(err, AU_ERR_INVALID,
                        "give one of email, phone, or source and record as query parameters");
        goto out;
    }
    if (rc == 1)
        rc = AU_OK;
    if (!rc)
        rc = profiles_of_records(st, &recs, &profs);
    for (size_t i = 0; i < profs.n && !rc; i++) {
        json_t *prof = NULL;
        rc = au_profile_get(e, st, profs.recs[i], lineage, &prof, err);
        if (rc == AU_ERR_NOT_FOUND) {
            rc = AU_OK;
            continue;
        }
        if (!rc)
            json_array_append_new(list, prof);
    }
    if (!rc) {
        *out = list;
        list = NULL;
    }
out:
    au_free(key);
    au_free(value);
    au_free(recs.recs);
    au_free(profs.recs);
    json_decref(list);
    return rc;
}

/* --- search ------------------------------------------------------------------------------- */

#define SEARCH_WORDS      6
#define SEARCH_CANDIDATES 2000
/* Candidate keys one request may examine over all its words: each costs two store lookups, so
 * this bounds the work of a search whatever q is (`search?q=a` once cost 1.5 s). */
#define SEARCH_BUDGET 4000

/* Edit distance of two short byte strings with adjacent transpositions counting one edit
 * (optimal string alignment), capped at 3. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int d[40][40];
    if (la >= 40 || lb >= 40 || (la > lb ? la - lb : lb - la) > 2)
        return 3;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb] < 3 ? d[la][lb] : 3;
}

typedef struct hit {
    int64_t rec;
    int score;
} hit;

typedef struct search_ctx {
    const char *word;
    size_t nword;
    hit *hits; /* best score per record for this word */
    size_t n, cap;
    long budget; /* candidates this request may still examine (SEARCH_BUDGET) */
} search_ctx;

/* exact 100, prefix 60, one edit 40, two edits (words of 6+ letters) 20 */
static int word_score(const char *word, const char *key)
{
    size_t lw = strlen(word);
    if (strcmp(word, key) == 0)
        return 100;
    if (strncmp(word, key, lw) == 0)
        return 60;
    int d = edit_distance(word, key);
    if (d == 1)
        return 40;
    if (d == 2 && lw >= 6)
        return 20;
    return 0;
}

static int on_candidate(void *vctx, int64_t rec, const char *key)
{
    search_ctx *c = vctx;
    c->budget--;
    int s = word_score(c->word, key ? key : "");
    if (!s)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->hits[i].rec == rec) {
            if (s > c->hits[i].score)
                c->hits[i].score = s;
            return 0;
        }
    if (AU_ARRAY_GROW(c->hits, c->cap, c->n + 1, 64))
        return AU_ERR_NOMEM;
    c->hits[c->n++] = (hit){rec, s};
    return 0;
}

/* The most candidates the next lookup may return. */
static int candidates_left(const search_ctx *c)
{
    return c->budget < SEARCH_CANDIDATES ? (int)(c->budget > 0 ? c->budget : 0) : SEARCH_CANDIDATES;
}

/* Candidates for one word: exact and prefix matches, plus keys sharing its first letter (for
 * typos after it; at most SEARCH_CANDIDATES of them, in key order). A one-letter word matches
 * exactly only: as a prefix it would match a large share of all names. */
static au_rc search_word(au_store *st, const char *word, search_ctx *c)
{
    char pre[8];
    size_t lw = strlen(word);
    c->word = word;
    if (candidates_left(c) == 0)
        return AU_OK;
    au_rc rc =
        au_store_ident_find(st, AU_IDENT_NAME, word, lw > 1, candidates_left(c), on_candidate, c);
    if (!rc && lw >= 3 && candidates_left(c) > 0) {
        unsigned char c0 = (unsigned char)word[0];
        size_t k = c0 < 0x80 ? 1 : c0 < 0xe0 ? 2 : c0 < 0xf0 ? 3 : 4; /* one UTF-8 character */
        if (k > lw)
            k = lw;
        memcpy(pre, word, k);
        pre[k] = '\0';
        rc = au_store_ident_find(st, AU_IDENT_NAME, pre, 1, candidates_left(c), on_candidate, c);
    }
    return rc;
}

typedef struct ranked {
    int64_t profile;
    int score;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->profile < y->profile ? -1 : x->profile > y->profile;
}

/* Adds a record's word score to its profile's total (best record per profile per word). */
static au_rc add_scores(au_store *st, search_ctx *c, ranked **rk, size_t *nrk, size_t *caprk)
{
    for (size_t i = 0; i < c->n; i++) {
        int64_t prof = 0;
        au_rc rc = au_store_record_profile(st, c->hits[i].rec, &prof);
        if (!rc)
            rc = follow(st, prof, &prof);
        if (rc)
            return rc;
        if (!prof)
            continue;
        size_t k = 0;
        while (k < *nrk && (*rk)[k].profile != prof)
            k++;
        if (k == *nrk) {
            if (AU_ARRAY_GROW(*rk, *caprk, *nrk + 1, 64))
                return AU_ERR_NOMEM;
            (*rk)[(*nrk)++] = (ranked){prof, 0};
        }
        (*rk)[k].score += c->hits[i].score;
    }
    return AU_OK;
}

static json_t *search_row(au_engine *e, au_store *st, const ranked *r)
{
    json_t *prof = NULL, *row = NULL;
    au_err err;
    au_err_init(&err);
    if (au_profile_get(e, st, r->profile, 0, &prof, &err) == AU_OK) {
        json_t *attrs = json_object_get(prof, "attributes");
        json_t *name = json_object_get(attrs, "full_name");
        row = json_pack("{s:I, s:i, s:O, s:O, s:O}", "id", (json_int_t)r->profile, "score",
                        r->score, "name", name ? name : json_null(), "email",
                        json_object_get(attrs, "email") ? json_object_get(attrs, "email")
                                                        : json_null(),
                        "attributes", attrs ? attrs : json_null());
    }
    au_err_cleanup(&err);
    json_decref(prof);
    return row;
}

au_rc au_profile_search(au_engine *e, au_store *st, const char *q, int limit, json_t **out,
                        au_err *err)
{
    char *key = NULL, *save = NULL;
    ranked *rk = NULL;
    size_t nrk = 0, caprk = 0, nwords = 0;
    search_ctx c = {.budget = SEARCH_BUDGET};
    json_t *list = NULL;
    au_rc rc = au_norm_key(q ? q : "", &key);
    if (rc)
        goto out;
    for (char *w = strtok_r(key, " ", &save); w && nwords < SEARCH_WORDS;
         w = strtok_r(NULL, " ", &save), nwords++) {
        c.n = 0;
        if ((rc = search_word(st, w, &c)) < 0)
            goto out;
        /* A record scores each word once; a profile takes the sum over its records, which
         * ranks a profile whose several records carry the name above a single record. */
        if ((rc = add_scores(st, &c, &rk, &nrk, &caprk)))
            goto out;
    }
    if (nwords == 0) {
        rc = au_err_set(err, AU_ERR_INVALID, "q: give at least one word of a name");
        goto out;
    }
    if (nrk) /* no hit leaves rk NULL, which qsort must not be given */
        qsort(rk, nrk, sizeof(*rk), by_score);
    if (!(list = json_array())) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nrk && (int)json_array_size(list) < limit; i++) {
        json_t *row = search_row(e, st, &rk[i]);
        if (row)
            json_array_append_new(list, row);
    }
    *out = list;
    list = NULL;
out:
    au_free(key);
    au_free(rk);
    au_free(c.hits);
    json_decref(list);
    return rc;
}

/* --- timeline ----------------------------------------------------------------------------- */

/* The references under which events of these members were filed. */
static json_t *member_refs(const loaded *l)
{
    json_t *refs = json_array();
    char buf[600];
    for (size_t i = 0; refs && i < l->n; i++) {
        const au_record *r = l->recs[i];
        snprintf(buf, sizeof(buf), "r:%s\x1f%s", l->outs[i].source, l->outs[i].record_id);
        json_array_append_new(refs, json_string(buf));
        if (r->attrs[AU_ATTR_EMAIL].key) {
            snprintf(buf, sizeof(buf), "e:%s", r->attrs[AU_ATTR_EMAIL].key);
            json_array_append_new(refs, json_string(buf));
        }
        if (r->attrs[AU_ATTR_PHONE].key) {
            snprintf(buf, sizeof(buf), "p:%s", r->attrs[AU_ATTR_PHONE].key);
            json_array_append_new(refs, json_string(buf));
        }
    }
    return refs;
}

typedef struct tl_ctx {
    json_t *events;
    int limit;        /* events shown; one more is read to know whether a page follows */
    int64_t last_seq; /* seq of the last event shown: the next page's cursor */
} tl_ctx;

static int on_event(void *vctx, const au_event_out *ev)
{
    tl_ctx *c = vctx;
    char at[40];
    iso_time(ev->at_ms, at);
    json_t *cust = ev->customer ? json_loads(ev->customer, 0, NULL) : NULL;
    json_t *props = ev->properties ? json_loads(ev->properties, 0, NULL) : NULL;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "source", ev->source, "event_id",
                          ev->event_id, "type", ev->type, "at", at, "at_ms", (json_int_t)ev->at_ms,
                          "customer", cust ? cust : json_null(), "properties",
                          props ? props : json_object());
    if (!o || json_array_append_new(c->events, o))
        return AU_ERR_NOMEM;
    if ((int)json_array_size(c->events) <= c->limit)
        c->last_seq = ev->seq;
    return 0;
}

au_rc au_profile_timeline(au_engine *e, au_store *st, int64_t id, int64_t before_seq,
                          const char *type, const char *source, int limit, json_t **out,
                          au_err *err)
{
    members m = {0};
    loaded l = {0};
    json_t *refs = NULL;
    char *refs_text = NULL;
    tl_ctx c = {json_array(), limit, 0};
    int64_t live = id;
    au_rc rc = c.events ? follow(st, id, &live) : AU_ERR_NOMEM;
    if (!rc)
        rc = au_store_profile_members(st, live, on_member, &m);
    if (rc == 1)
        rc = AU_OK;
    if (!rc)
        rc = load_members(e, st, &m, &l);
    if (rc)
        goto out;
    if (l.n == 0) {
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no profile %lld", (long long)id);
        goto out;
    }
    if (!(refs = member_refs(&l)) || !(refs_text = json_dumps(refs, JSON_COMPACT))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    /* One more than asked tells whether there is a next page. */
    if ((rc = au_store_timeline(st, refs_text, before_seq, type, source, limit + 1, on_event, &c)))
        goto out;
    json_t *next = json_null();
    size_t n = json_array_size(c.events);
    if ((int)n > limit) {
        json_array_remove(c.events, n - 1);
        /* the cursor names the last event shown */
        char cur[AU_CURSOR_LEN + 1];
        au_cursor_encode((uint64_t)c.last_seq, cur);
        next = json_string(cur);
    }
    *out = json_pack("{s:I, s:o, s:o}", "profile", (json_int_t)live, "events", c.events,
                     "next_cursor", next);
    c.events = NULL;
    rc = *out ? AU_OK : AU_ERR_NOMEM;
out:
    loaded_free(e, &l);
    au_free(m.recs);
    json_decref(refs);
    free(refs_text);
    json_decref(c.events);
    return rc;
}

/* --- change feed -------------------------------------------------------------------------- */

static int on_change(void *vctx, const au_change_row *ch)
{
    json_t *list = vctx;
    char cur[AU_CURSOR_LEN + 1], at[40];
    au_cursor_encode((uint64_t)ch->seq, cur);
    iso_time(ch->at_ms, at);
    json_t *o =
        json_pack("{s:s, s:I, s:I, s:s, s:s}", "cursor", cur, "seq", (json_int_t)ch->seq, "profile",
                  (json_int_t)ch->profile, "kind", ch->kind ? ch->kind : "", "at", at);
    if (!o)
        return AU_ERR_NOMEM;
    if (ch->other)
        json_object_set_new(o, "other", json_integer(ch->other));
    if (ch->source)
        json_object_set_new(o, "source", json_string(ch->source));
    if (ch->record_id)
        json_object_set_new(o, "record_id", json_string(ch->record_id));
    return json_array_append_new(list, o) ? AU_ERR_NOMEM : 0;
}

au_rc au_profile_changes(au_store *st, int64_t after, int limit, json_t **out, int64_t *last)
{
    json_t *list = json_array();
    au_rc rc = list ? au_store_changes_after(st, after, limit, on_change, list) : AU_ERR_NOMEM;
    if (rc) {
        json_decref(list);
        return rc;
    }
    size_t n = json_array_size(list);
    *last = n ? json_integer_value(json_object_get(json_array_get(list, n - 1), "seq")) : after;
    *out = list;
    return AU_OK;
}

au_rc au_profile_changes_now(au_store *st, int64_t *seq)
{
    *seq = 0;
    return au_store_change_last(st, seq);
}
