/*
 * The "profiles" engine hook. Inside the write transaction it keeps two indexes the profile
 * reads need, and nothing heavier (a bulk import of a million records must not pay for golden
 * records, which are computed at read time, see profiles.h):
 *   - profile_idents: e-mail, phone and name-word keys of every current record, for lookups and
 *     search (re-written when a record changes, cleared when it is deleted);
 *   - event_refs: each event under its customer reference (a source record, an e-mail key or a
 *     phone number), so a timeline finds the events of every member record; it also tells the
 *     writer whether a live record holds that reference (an event for nobody is warned about).
 * The change feed itself is written by the resolution hook (it knows merges and splits). After
 * every commit this hook bumps a generation counter and wakes long-polling change-feed readers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "normalize/normalize.h"
#include "profile/profiles_int.h"

static au_rc recover_bulk(au_profiles *p, au_store *st, au_err *err);

static au_rc hook_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    au_profiles *p = au_calloc(1, sizeof(*p));
    if (!p)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory opening profiles");
    p->engine = e;
    const json_t *sc = json_object_get(au_engine_config(e)->doc, "survivorship");
    au_rc rc = au_survive_config_parse(sc, &p->survive, err);
    if (rc) {
        au_free(p);
        return rc;
    }
    const char *c = au_engine_config(e)->default_country;
    if (c && strlen(c) == 2)
        memcpy(p->country, c, 3);
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_REALTIME);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_rwlock_init(&p->cache_mu, NULL);
    p->wst = st;
    if (au_store_change_last(st, &p->feed_seq) == AU_OK)
        p->cache = au_calloc(AU_PCACHE_SLOTS, sizeof(*p->cache));
    p->note_seq = p->feed_seq;
    p->cache_seq = p->feed_seq;
    *state = p;
    return recover_bulk(p, st, err); /* on error the engine closes the hook */
}

static void hook_close(void *state)
{
    au_profiles *p = state;
    if (!p)
        return;
    for (size_t i = 0; p->cache && i < AU_PCACHE_SLOTS; i++)
        au_free(p->cache[i].text);
    au_free(p->cache);
    au_free(p->pend);
    au_free(p->pend_keys);
    au_free(p->inv);
    pthread_rwlock_destroy(&p->cache_mu);
    au_survive_config_free(p->survive);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    au_free(p);
}

/* Identifier rows are not inserted one by one as records arrive: their keys are random, so
 * each insert descended the index to a different leaf (a third of the writer's time in a bulk
 * import). They are kept for the job and inserted sorted when it ends (job_applied), inside
 * its savepoint, so consecutive inserts land on the same pages. Anything that reads or clears
 * the index in the same job (an update, a delete, an event's reference check) flushes first. */
static au_rc defer_ident(au_profiles *p, int kind, const char *key, size_t n, int64_t rec)
{
    if (AU_ARRAY_GROW(p->pend, p->pend_cap, p->npend + 1, 1024) ||
        AU_ARRAY_GROW(p->pend_keys, p->pend_keys_cap, p->pend_len + n + 1, 16384))
        return AU_ERR_NOMEM;
    memcpy(p->pend_keys + p->pend_len, key, n);
    p->pend_keys[p->pend_len + n] = '\0';
    p->pend[p->npend++] = (au_ident_pending){rec, (uint32_t)p->pend_len, kind};
    p->pend_len += n + 1;
    return AU_OK;
}

static int pending_cmp(const void *a, const void *b, void *keys)
{
    const au_ident_pending *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    int c = strcmp((const char *)keys + x->key, (const char *)keys + y->key);
    if (c)
        return c;
    return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static void drop_idents(au_profiles *p)
{
    p->npend = 0;
    p->pend_len = 0;
    p->kept_npend = p->kept_len = p->done_npend = p->done_len = 0;
}

/* Inserts the deferred rows in (kind, key, rec) order, the index's own. */
static au_rc flush_idents(au_profiles *p, au_store *st)
{
    au_rc rc = AU_OK;
    if (!p->npend)
        return AU_OK; /* also: pend may still be NULL, which qsort_r must not see */
    /* In a bulk load, rows of other jobs written now are lost if this job rolls back. */
    p->flushed_open |= p->bulk && p->kept_npend > 0;
    qsort_r(p->pend, p->npend, sizeof(*p->pend), pending_cmp, p->pend_keys);
    for (size_t i = 0; i < p->npend && !rc; i++)
        rc = au_store_ident_put(st, p->pend[i].kind, p->pend_keys + p->pend[i].key, p->pend[i].rec);
    drop_idents(p);
    return rc;
}

/* Indexes every word of a name key (so "mary ann" is found by "ann" too). */
static au_rc put_words(au_profiles *p, const char *key, int64_t rec)
{
    au_rc rc = AU_OK;
    for (const char *s = key; s && *s && !rc;) {
        size_t n = strcspn(s, " ");
        if (n > 0 && n < 128)
            rc = defer_ident(p, AU_IDENT_NAME, s, n, rec);
        s += n;
        s += strspn(s, " ");
    }
    return rc;
}

static au_rc index_record(au_profiles *p, const au_record *r, int64_t rec)
{
    static const au_attr names[] = {AU_ATTR_FIRST_NAME, AU_ATTR_LAST_NAME, AU_ATTR_MIDDLE_NAME,
                                    AU_ATTR_FULL_NAME};
    /* full_name is derived from the parts when they exist: its words are then already in */
    size_t nnames = r->attrs[AU_ATTR_FIRST_NAME].key || r->attrs[AU_ATTR_LAST_NAME].key ? 3 : 4;
    const char *email = r->attrs[AU_ATTR_EMAIL].key, *phone = r->attrs[AU_ATTR_PHONE].key;
    au_rc rc = AU_OK;
    if (email)
        rc = defer_ident(p, AU_IDENT_EMAIL, email, strlen(email), rec);
    if (!rc && phone)
        rc = defer_ident(p, AU_IDENT_PHONE, phone, strlen(phone), rec);
    for (size_t i = 0; i < nnames && !rc; i++)
        rc = put_words(p, r->attrs[names[i]].key, rec);
    return rc;
}

typedef struct last_change {
    const au_record *r; /* the record just written */
    int same_record;    /* the newest row was written for it */
} last_change;

static int on_last_change(void *ctx, const au_change_row *c)
{
    last_change *l = ctx;
    l->same_record |= c->source && c->record_id && strcmp(c->source, l->r->source) == 0 &&
                      strcmp(c->record_id, l->r->record_id) == 0;
    return 0;
}

/* A record whose content changed without moving between profiles gets no row from resolution
 * (it notes moves, merges and splits); its profile's golden record did change, so the feed
 * says "updated". Rows resolution wrote since this hook last looked (p->note_seq) are checked
 * for one about this record; when there is one, nothing is added. */
static au_rc note_content_update(au_profiles *p, au_store *st, const au_record *r, int64_t rec,
                                 int64_t at_ms)
{
    int64_t profile = 0;
    last_change lc = {r, 0};
    au_rc rc = au_store_record_profile(st, rec, &profile);
    if (!rc)
        rc = au_store_changes_after(st, p->note_seq, 256, on_last_change, &lc);
    if (!rc && profile && !lc.same_record) {
        au_change_row c = {0, profile, "updated", 0, r->source, r->record_id, at_ms};
        rc = au_store_change_add(st, &c);
    }
    return rc;
}

static au_rc hook_record_written(void *state, au_store *st, const au_record *r,
                                 au_put_outcome outcome, int64_t version, int64_t at_ms)
{
    au_profiles *p = state;
    (void)version;
    au_rc rc;
    int64_t rec = au_store_record_last_no(st);
    /* A first version has nothing to clear: skipping the delete keeps bulk import cheap. */
    if (outcome != AU_PUT_INSERTED &&
        ((rc = flush_idents(p, st)) || (rc = au_store_ident_clear(st, rec))))
        return rc;
    if (p->bulk && outcome == AU_PUT_INSERTED && !p->bulk_from) {
        /* the marker commits with the bulk load's first record */
        if ((rc = au_store_ident_put(st, AU_IDENT_PENDING, "", -rec)))
            return rc;
        p->bulk_from = rec;
    }
    if (p->bulk && outcome == AU_PUT_INSERTED)
        p->bulk_last = rec; /* only sizes the load (flush_bulk) */
    if ((rc = index_record(p, r, rec)))
        return rc;
    /* An older record's rows are written at once: the marker covers only newer records. */
    if (p->bulk && outcome != AU_PUT_INSERTED && (rc = flush_idents(p, st)))
        return rc;
    if (outcome == AU_PUT_UPDATED && (rc = note_content_update(state, st, r, rec, at_ms)))
        return rc;
    return au_store_change_last(st, &((au_profiles *)state)->note_seq);
}

static au_rc hook_record_deleted(void *state, au_store *st, const char *source,
                                 const char *record_id, int64_t at_ms)
{
    int64_t rec = 0;
    (void)at_ms;
    au_rc rc = flush_idents(state, st);
    if (!rc)
        rc = au_store_record_no(st, source, record_id, &rec);
    return rc ? rc : au_store_ident_clear(st, rec);
}

/* The reference text of a customer: "r:SOURCE\x1fRECORD", "e:EMAILKEY" or "p:E164"; NULL
 * when it cannot be read (the event is then simply on no timeline). Caller frees. */
static char *customer_ref(const au_profiles *p, const char *customer)
{
    json_t *c = customer ? json_loads(customer, 0, NULL) : NULL;
    const char *src = json_string_value(json_object_get(c, "source"));
    const char *rec = json_string_value(json_object_get(c, "record"));
    const char *email = json_string_value(json_object_get(c, "email"));
    const char *phone = json_string_value(json_object_get(c, "phone"));
    char *key = NULL, *value = NULL, *ref = NULL;
    au_norm_why why;
    au_buf b;
    au_buf_init(&b, 4096);
    au_rc brc = AU_OK;
    if (src && rec)
        brc = au_buf_printf(&b, "r:%s\x1f%s", src, rec);
    else if (email && au_norm_email(email, &value, &key, &why) == AU_OK && key)
        brc = au_buf_printf(&b, "e:%s", key);
    else if (phone && au_norm_phone(phone, p->country[0] ? p->country : NULL, &key, &why) == AU_OK)
        brc = au_buf_printf(&b, "p:%s", key);
    if (!brc && b.len)
        ref = au_buf_steal(&b);
    au_buf_cleanup(&b);
    au_free(key);
    au_free(value);
    json_decref(c);
    return ref;
}

static int found_one(void *ctx, int64_t rec, const char *key)
{
    *(int *)ctx = 1;
    return 0;
}

/* Whether a live record holds reference `ref` now: the record it names exists and is not
 * deleted, or a record is indexed under the e-mail / phone key. */
static au_rc ref_held(au_store *st, const char *ref, int *held)
{
    int64_t profile = 0;
    const char *sep = ref[0] == 'r' ? strchr(ref, '\x1f') : NULL;
    *held = 0;
    if (sep) {
        char *src = au_strndup(ref + 2, (size_t)(sep - ref - 2));
        au_rc rc = src ? au_store_profile_of(st, src, sep + 1, &profile) : AU_ERR_NOMEM;
        au_free(src);
        *held = rc == AU_OK;
        return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
    }
    int kind = ref[0] == 'e' ? AU_IDENT_EMAIL : AU_IDENT_PHONE;
    return au_store_ident_find(st, kind, ref + 2, 0, 1, found_one, held);
}

/* Indexes the event under its customer reference and tells the writer whether anyone holds it
 * (an event for an unknown customer is kept, and warned about by the API). */
static au_rc hook_event_written(void *state, au_store *st, const au_event_row *ev)
{
    au_profiles *p = state;
    int held = 0;
    char *ref = customer_ref(p, ev->customer);
    au_rc rc = flush_idents(p, st);
    if (!rc && ref)
        rc = au_store_event_ref_put(st, ref, ev->source, ev->event_id);
    if (!rc && ref)
        rc = ref_held(st, ref, &held);
    if (!rc)
        au_engine_event_linked(p->engine, held);
    au_free(ref);
    return rc;
}

static void drop_slot(au_profiles *p, int64_t key)
{
    au_pcache_slot *sl = &p->cache[au_pcache_slot_of(key)];
    if (sl->key == key) {
        au_free(sl->text);
        memset(sl, 0, sizeof(*sl));
    }
}

/* Collects the profile ids of one committed change; the callback stops on a full list. */
static int on_committed_change(void *ctx, const au_change_row *c)
{
    au_profiles *p = ctx;
    if (AU_ARRAY_GROW(p->inv, p->inv_cap, p->ninv + 2, 1024)) {
        p->inv_failed = 1;
        return 1;
    }
    p->inv[p->ninv++] = c->profile;
    if (c->other)
        p->inv[p->ninv++] = c->other;
    p->feed_seq = c->seq;
    return 0;
}

/* Drops the cached profiles the committed group touched (the change feed names them all:
 * created, updated, merged with the profile it went into, split with the one it came from,
 * deleted). On any doubt the whole cache is dropped. Readers never wait for the feed query: the
 * epoch is bumped first (so text built from an older snapshot is not cached from now on), the
 * feed is read without the lock, and the lock is taken again only to drop the slots. */
static void invalidate(au_profiles *p)
{
    if (!p->cache)
        return;
    pthread_rwlock_wrlock(&p->cache_mu);
    p->epoch++;
    pthread_rwlock_unlock(&p->cache_mu);
    au_rc rc;
    p->ninv = 0;
    p->inv_failed = 0;
    do {
        int64_t before = p->feed_seq;
        rc = au_store_changes_after(p->wst, p->feed_seq, 4096, on_committed_change, p);
        if (rc || p->inv_failed || p->feed_seq == before)
            break;
    } while (1);
    pthread_rwlock_wrlock(&p->cache_mu);
    if (rc || p->inv_failed) {
        for (size_t i = 0; i < AU_PCACHE_SLOTS; i++)
            au_free(p->cache[i].text);
        memset(p->cache, 0, AU_PCACHE_SLOTS * sizeof(*p->cache));
        /* The cache is already empty, so a stale feed_seq only costs misses, never wrong text. */
        AU_BEST_EFFORT(au_store_change_last(p->wst, &p->feed_seq));
    } else {
        for (size_t i = 0; i < p->ninv; i++) {
            drop_slot(p, p->inv[i] * 2);
            drop_slot(p, p->inv[i] * 2 + 1);
        }
    }
    p->cache_seq = p->feed_seq;
    pthread_rwlock_unlock(&p->cache_mu);
}

/* A bulk load writes its rows when it ends, or here when they outgrow the memory bound. */
static au_rc hook_job_applied(void *state, au_store *st)
{
    au_profiles *p = state;
    if (p->bulk && p->npend < AU_IDENT_BULK_MAX && p->pend_len < AU_IDENT_BULK_BYTES)
        return AU_OK;
    return flush_idents(p, st);
}

static void hook_job_kept(void *state)
{
    au_profiles *p = state;
    p->kept_npend = p->npend;
    p->kept_len = p->pend_len;
}

/* Rows of a rolled-back job are gone: look again from the store's feed. A bulk load keeps the
 * rows of the jobs still standing; when rows it had written in this transaction were rolled
 * back, its end rebuilds them from the store. */
static void hook_rolled_back(void *state, au_store *st)
{
    au_profiles *p = state;
    if (p->bulk) {
        p->npend = p->kept_npend;
        p->pend_len = p->kept_len;
        p->bulk_from = p->bulk_from_kept; /* at worst a second marker: the end clears all */
        p->bulk_lost |= p->flushed_open;
    } else {
        drop_idents(p); /* the failed job's rows, never written */
    }
    if (au_store_change_last(st, &p->note_seq))
        p->note_seq = 0;
}

static void hook_group_rolled_back(void *state)
{
    au_profiles *p = state;
    p->npend = p->kept_npend = p->done_npend;
    p->pend_len = p->kept_len = p->done_len;
}

static void hook_committed(void *state)
{
    au_profiles *p = state;
    p->done_npend = p->kept_npend = p->npend;
    p->done_len = p->kept_len = p->pend_len;
    p->bulk_from_kept = p->bulk_from;
    p->flushed_open = 0;
    invalidate(p);
    pthread_mutex_lock(&p->mu);
    p->gen++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* ---- bulk load: identifier rows written once, sorted, when the load ends ------------------- */

static int on_marker(void *ctx, int64_t rec, const char *key)
{
    int64_t *from = ctx;
    (void)key;
    if (rec < 0 && (!*from || -rec < *from))
        *from = -rec;
    return 0;
}

/* The first record a bulk load left without identifier rows (0: none). */
static au_rc marker_from(au_store *st, int64_t *from)
{
    *from = 0;
    return au_store_ident_find(st, AU_IDENT_PENDING, "", 0, 64, on_marker, from);
}

static au_rc clear_markers(au_store *st)
{
    int64_t from = 0;
    au_rc rc;
    while (!(rc = marker_from(st, &from)) && from)
        if ((rc = au_store_ident_clear(st, -from)))
            break;
    return rc;
}

typedef struct rebuild_ctx {
    au_profiles *p;
    int64_t from;
    int64_t *nos; /* records whose old rows are cleared before the new ones are written */
    size_t nnos, cap;
    long bad; /* unreadable documents (also skipped by resolution) */
    au_rc rc;
} rebuild_ctx;

static int rebuild_row(void *ctx, const au_resolve_row *r)
{
    rebuild_ctx *c = ctx;
    if (r->no < c->from)
        return 0;
    json_t *j = r->doc ? json_loads(r->doc, 0, NULL) : NULL;
    au_record *rec = NULL;
    if (!j || au_record_from_json(r->source, r->record_id, j, &rec) != AU_OK) {
        json_decref(j);
        c->bad++;
        return 0;
    }
    json_decref(j);
    if (AU_ARRAY_GROW(c->nos, c->cap, c->nnos + 1, 1024))
        c->rc = AU_ERR_NOMEM;
    else
        c->nos[c->nnos++] = r->no;
    if (!c->rc)
        c->rc = index_record(c->p, rec, r->no);
    au_record_free(rec);
    return c->rc ? 1 : 0;
}

/* Writes the identifier rows of every live record from `from` on again from the stored
 * documents (after a crash, or rows a rollback took), then drops the markers. The rows are
 * collected during the scan and written after it (no writes under an open scan). */
static au_rc rebuild_from(au_profiles *p, au_store *st, int64_t from)
{
    rebuild_ctx c = {.p = p, .from = from};
    drop_idents(p);
    au_rc rc = au_store_resolve_scan(st, rebuild_row, &c);
    if (!rc)
        rc = c.rc;
    for (size_t i = 0; i < c.nnos && !rc; i++)
        rc = au_store_ident_clear(st, c.nos[i]);
    if (!rc)
        rc = flush_idents(p, st);
    if (!rc)
        rc = clear_markers(st);
    drop_idents(p);
    au_free(c.nos);
    if (c.bad)
        au_log(AU_LOG_WARN, "identifier rows skipped: unreadable documents", NULL);
    return rc;
}

/* At open: a bulk load that did not end (the process was killed) left a marker; its records'
 * rows are built now, before anyone reads the index. */
static au_rc recover_bulk(au_profiles *p, au_store *st, au_err *err)
{
    int64_t from = 0;
    au_rc rc = marker_from(st, &from);
    if (rc || !from)
        return rc ? au_err_set(err, rc, "reading the identifier index: %s", au_rc_message(rc))
                  : AU_OK;
    au_log(AU_LOG_INFO, "rebuilding identifier rows an interrupted bulk load left out", NULL);
    rc = au_store_begin(st);
    if (!rc && (rc = rebuild_from(p, st, from)))
        AU_BEST_EFFORT(au_store_rollback(st)); /* rc is the error to report */
    else if (!rc)
        rc = au_store_commit(st);
    if (rc)
        au_err_set(err, rc, "rebuilding the identifier index: %s", au_rc_message(rc));
    return rc;
}

static au_rc bulk_begin(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    au_profiles *p = ctx;
    (void)st, (void)at_ms, (void)err;
    drop_idents(p); /* nothing is pending between jobs outside a bulk load */
    p->bulk = 1;
    p->bulk_from = p->bulk_from_kept = p->bulk_last = 0;
    p->flushed_open = p->bulk_lost = 0;
    return AU_OK;
}

/* Writes the pending rows sorted by key. When the load's records outnumber those before it,
 * the by-record index is dropped meanwhile and built again with one sort (CREATE INDEX): kept,
 * it would take every row at a random place, as many inserts again as the rows themselves. */
static au_rc flush_bulk(au_profiles *p, au_store *st)
{
    int reindex = p->bulk_from > 0 && p->bulk_last - p->bulk_from + 1 >= p->bulk_from - 1;
    au_rc rc = reindex ? au_store_ident_rec_index(st, 0) : AU_OK;
    if (!rc)
        rc = flush_idents(p, st);
    if (!rc && reindex)
        rc = au_store_ident_rec_index(st, 1);
    return rc;
}

/* Writes the load's rows (sorted) and drops the marker, in one job. On failure the marker
 * stays and the next open rebuilds. */
static au_rc bulk_end(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    au_profiles *p = ctx;
    int64_t from = 0;
    (void)at_ms;
    int lost = p->bulk_lost;
    p->bulk = 0; /* from here on a rollback drops what is pending */
    au_rc rc = lost ? marker_from(st, &from) : AU_OK;
    if (!rc)
        rc = lost && from ? rebuild_from(p, st, from) : flush_bulk(p, st);
    if (!rc)
        rc = clear_markers(st);
    if (rc)
        au_err_set(err, rc, "writing the identifier index: %s", au_rc_message(rc));
    return rc;
}

au_rc au_profiles_bulk(au_engine *e, int on, au_err *err)
{
    au_profiles *p = au_profiles_of(e);
    if (!p)
        return AU_OK;
    return au_engine_call(e, on ? bulk_begin : bulk_end, p, on ? "bulk load" : "bulk load end",
                          err);
}

const au_engine_hook au_profiles_hook = {
    .name = "profiles",
    .open = hook_open,
    .close = hook_close,
    .record_written = hook_record_written,
    .record_deleted = hook_record_deleted,
    .event_written = hook_event_written,
    .job_applied = hook_job_applied,
    .job_kept = hook_job_kept,
    .rolled_back = hook_rolled_back,
    .group_rolled_back = hook_group_rolled_back,
    .committed = hook_committed,
};

au_profiles *au_profiles_of(au_engine *e)
{
    return au_engine_hook_state(e, "profiles");
}

uint64_t au_profiles_generation(au_profiles *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t g = p->gen;
    pthread_mutex_unlock(&p->mu);
    return g;
}

int au_profiles_wait(au_profiles *p, uint64_t gen, int64_t deadline_ms)
{
    struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};
    int changed;
    pthread_mutex_lock(&p->mu);
    while (p->gen == gen && pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
        ;
    changed = p->gen != gen;
    pthread_mutex_unlock(&p->mu);
    return changed;
}
