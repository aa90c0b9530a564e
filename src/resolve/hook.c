/*
 * The "resolve" engine hook (see resolve_hook.h): keeps the in-memory resolver and the store's
 * resolution tables in step, inside the writer's transactions. A rollback rebuilds the resolver
 * from the store (the resolver has no undo log; rollbacks are rare - a failed job or a failed
 * commit - and correctness matters more than their speed: at 1 M records a rebuild takes as
 * long as a start-up).
 */
#include "resolve/hook.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/array.h"
#include "lib/log.h"

#define AU_CHANGE_KINDS 5

struct au_resolve_state {
    pthread_rwlock_t lk;   /* taken exclusively around every resolver call (scoring writes memos) */
    au_resolver *res;      /* owned */
    au_model model;        /* the model the resolver was built with */
    au_resolve_changes ch; /* scratch: what the current call changed */
    uint32_t max_profile;  /* highest profile number known: above it a profile is new */
    /* Several nodes on one store (writer thread): the feed position the resolver includes
     * (every decision at or below it, whichever node made it), the position to take on when
     * the current transaction commits, and whether it holds the store's decision lock. */
    int64_t seen, seen_at_commit;
    int locked;
    int64_t job_at_ms; /* time of the job's last write: settling's change rows carry it */
    /* Change-feed rows by kind (change_kinds order) for /metrics: staged per job and per group
     * on the writer, published when the group commits, so a rollback counts nothing. */
    uint64_t job_changes[AU_CHANGE_KINDS], group_changes[AU_CHANGE_KINDS];
    _Atomic uint64_t changes_total[AU_CHANGE_KINDS]; /* read by /metrics on any thread */
};

/* The kinds of the change feed, in the order of the counters above. */
static const char *const change_kinds[AU_CHANGE_KINDS] = {"created", "updated", "merged", "split",
                                                          "deleted"};

/* ---- model ------------------------------------------------------------------------------- */

au_rc au_resolve_load_model(au_store *st, const au_config *cfg, au_model *m, au_err *err)
{
    char *text = NULL;
    json_t *doc = NULL;
    au_rc rc;

    au_model_default(m);
    rc = au_store_model_get(st, &text);
    if (rc == AU_ERR_NOT_FOUND) {
        rc = AU_OK;
    } else if (!rc) {
        json_error_t jerr;
        doc = json_loads(text, 0, &jerr);
        if (!doc) {
            rc = au_err_set(err, AU_ERR_STORE, "stored match model is not JSON: %s", jerr.text);
            goto out;
        }
        rc = au_model_from_json(m, doc, err);
        if (rc)
            goto out;
    } else {
        au_err_set(err, rc, "cannot read the match model: %s", au_rc_message(rc));
        goto out;
    }
    json_t *cm = cfg && cfg->doc ? json_object_get(cfg->doc, "matching") : NULL;
    if (cm && !json_is_null(cm))
        rc = au_model_from_json(m, cm, err);
    if (!rc)
        au_model_refresh(m);
out:
    json_decref(doc);
    au_free(text);
    return rc;
}

/* ---- persisting what a resolver call changed ---------------------------------------------- */

typedef struct change_ent {
    uint32_t profile, other;
    const char *kind;
} change_ent;

/* Adds (profile, kind) unless already listed for this call. */
static void change_note(change_ent *v, size_t *n, size_t cap, uint32_t p, const char *kind,
                        uint32_t other)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i].profile == p && strcmp(v[i].kind, kind) == 0)
            return;
    if (*n < cap)
        v[(*n)++] = (change_ent){p, other, kind};
}

static int redirected(const au_resolve_changes *ch, uint32_t p)
{
    for (size_t i = 0; i < ch->nredirects; i++)
        if (ch->redirects[i].from == p)
            return 1;
    return 0;
}

/* Derives the change-feed rows of one call: one per (profile, kind). */
static au_rc write_changes(au_store *st, const au_resolve_changes *ch, uint32_t max_before,
                           const char *source, const char *record_id, int64_t at_ms,
                           uint64_t *counts)
{
    size_t cap = 2 * ch->nmoves + ch->nredirects + 1, n = 0;
    change_ent *v = au_malloc(cap * sizeof(*v));
    au_rc rc = AU_OK;
    if (!v)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < ch->nmoves; i++) {
        const au_resolve_move *m = &ch->moves[i];
        if (m->new_profile && m->new_profile > max_before)
            change_note(v, &n, cap, m->new_profile, m->old_profile ? "split" : "created",
                        m->old_profile);
        else if (m->new_profile)
            change_note(v, &n, cap, m->new_profile, "updated", 0);
        if (m->old_profile && m->old_profile != m->new_profile && !redirected(ch, m->old_profile))
            change_note(v, &n, cap, m->old_profile, "updated", 0);
    }
    for (size_t i = 0; i < ch->nredirects; i++) {
        const au_resolve_redirect *r = &ch->redirects[i];
        change_note(v, &n, cap, r->from, r->into ? "merged" : "deleted", r->into);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        au_change_row c = {0, v[i].profile, v[i].kind, v[i].other, source, record_id, at_ms};
        rc = au_store_change_add(st, &c);
        for (size_t k = 0; !rc && k < AU_CHANGE_KINDS; k++)
            counts[k] += strcmp(v[i].kind, change_kinds[k]) == 0;
    }
    au_free(v);
    return rc;
}

/* Writes assignments, redirects, review entries and change rows of s->ch, then resets it. */
static au_rc persist(au_resolve_state *s, au_store *st, const char *source, const char *record_id,
                     int64_t at_ms)
{
    au_resolve_changes *ch = &s->ch;
    uint32_t max_before = s->max_profile;
    au_rc rc = AU_OK;

    for (size_t i = 0; i < ch->nmoves && !rc; i++) {
        const au_resolve_move *m = &ch->moves[i];
        rc = au_store_assign_put(st, m->record_no, m->new_profile);
        if (m->new_profile > s->max_profile)
            s->max_profile = m->new_profile;
    }
    for (size_t i = 0; i < ch->nredirects && !rc; i++)
        rc = au_store_redirect_put(st, ch->redirects[i].from, ch->redirects[i].into, at_ms);
    for (size_t i = 0; i < ch->npossible && !rc; i++) {
        const au_resolve_possible *p = &ch->possible[i];
        au_review_row r = {p->a < p->b ? p->a : p->b, p->a < p->b ? p->b : p->a, p->weight, at_ms};
        rc = au_store_review_put(st, &r);
    }
    if (!rc)
        rc = write_changes(st, ch, max_before, source, record_id, at_ms, s->job_changes);
    au_resolve_changes_reset(ch);
    return rc;
}

/* ---- restore ----------------------------------------------------------------------------- */

typedef struct restore_ctx {
    au_resolver *res;
    uint32_t *pend; /* records without a profile (numbers only: a million parsed records would
                       not fit the memory budget), resolved after the scan */
    size_t npend, cappend;
    au_rc rc;
    long bad; /* documents that could not be read */
} restore_ctx;

/* A record with the forms the resolver reads: only the comparison keys, plus custom fields when
 * the model declares shared ids. NULL when the document cannot be read. */
static au_record *doc_record(const au_resolver *res, const char *doc, const char *source,
                             const char *record_id)
{
    au_record *rec = NULL;
    if (!doc)
        return NULL;
    if (au_resolver_model(res)->nshared_ids == 0 &&
        au_resolve_keys_from_doc(doc, source, record_id, &rec) == AU_OK)
        return rec;
    json_t *j = json_loads(doc, 0, NULL);
    if (!j || au_record_from_json(source, record_id, j, &rec) != AU_OK)
        rec = NULL;
    json_decref(j);
    return rec;
}

static int restore_row(void *ctx, const au_resolve_row *r)
{
    restore_ctx *c = ctx;
    if (r->profile > 0) {
        au_record *rec = doc_record(c->res, r->doc, r->source, r->record_id);
        if (!rec) {
            c->bad++;
            return 0;
        }
        c->rc = au_resolver_restore(c->res, (uint32_t)r->no, rec, (uint32_t)r->profile);
        au_record_free(rec);
        return c->rc ? 1 : 0;
    }
    if (AU_ARRAY_GROW(c->pend, c->cappend, c->npend + 1, 1024)) {
        c->rc = AU_ERR_NOMEM;
        return 1;
    }
    c->pend[c->npend++] = (uint32_t)r->no;
    return 0;
}

static int restore_override(void *ctx, const au_override_row *o)
{
    restore_ctx *c = ctx;
    int k = au_resolve_link_kind(o->kind);
    if (k <= 0)
        return 0;
    c->rc = au_resolver_restore_override(c->res, (uint32_t)o->a, (uint32_t)o->b, (au_link_kind)k);
    return c->rc ? 1 : 0;
}

/* Resolves the records that had no profile, reading each one again; with persist, writes
 * what changed. */
static au_rc resolve_pending(au_resolver *res, restore_ctx *c, au_store *st, int persist_it)
{
    au_resolve_state tmp = {.res = res};
    au_rc rc = AU_OK;
    int64_t max = 0;
    au_resolve_changes_init(&tmp.ch);
    if (persist_it)
        rc = au_store_profile_max(st, &max);
    tmp.max_profile = (uint32_t)max;
    for (size_t i = 0; i < c->npend && !rc; i++) {
        au_record_out out = {0};
        rc = au_store_record_by_no(st, c->pend[i], &out);
        au_record *rec = rc ? NULL : doc_record(res, out.doc, out.source, out.record_id);
        if (!rc && !rec)
            c->bad++;
        if (rec)
            rc = au_resolver_add(res, c->pend[i], rec, &tmp.ch);
        if (rec && !rc && persist_it)
            rc = persist(&tmp, st, rec->source, rec->record_id, 0);
        au_resolve_changes_reset(&tmp.ch);
        au_record_free(rec);
        au_record_out_cleanup(&out);
    }
    /* The records came in store order: settle them so the clusters do not depend on it. */
    if (!rc)
        rc = au_resolver_settle(res, &tmp.ch);
    if (!rc && persist_it)
        rc = persist(&tmp, st, NULL, NULL, 0);
    au_resolve_changes_cleanup(&tmp.ch);
    return rc;
}

au_rc au_resolve_restore_all(au_resolver *res, au_store *st, int persist_it, au_err *err)
{
    restore_ctx c = {.res = res};
    int64_t max = 0;
    au_rc rc = au_store_resolve_scan(st, restore_row, &c);
    if (c.rc)
        rc = c.rc;
    if (!rc)
        rc = au_store_override_list(st, restore_override, &c);
    if (c.rc)
        rc = c.rc;
    if (!rc)
        rc = au_store_profile_max(st, &max);
    if (!rc) {
        au_resolver_set_next_profile(res, (uint32_t)max + 1);
        if (c.npend) {
            au_resolver_expect_records(res, au_resolver_record_count(res) + c.npend);
            rc = resolve_pending(res, &c, st, persist_it);
        }
    }
    if (c.bad)
        au_log(AU_LOG_WARN, "stored records skipped by resolution: unreadable documents", NULL);
    au_free(c.pend);
    if (rc)
        au_err_set(err, rc, "restoring identity resolution from the store: %s", au_rc_message(rc));
    return rc;
}

/* ---- the hook ---------------------------------------------------------------------------- */

/* (Re)builds s->res from the store; with persist, inside a transaction the caller manages. */
static au_rc rebuild(au_resolve_state *s, au_store *st, int persist_it, au_err *err)
{
    au_resolver *res = NULL;
    int64_t max = 0, seen = 0;
    au_rc rc = au_resolver_new(&s->model, &res);
    if (rc)
        return au_err_set(err, rc, "cannot create the resolver");
    /* The feed position first: what other nodes commit during the scan is then taken in again
     * by the next catch-up, which is harmless (catch_up applies the store's state as it is). */
    rc = au_store_change_last(st, &seen);
    if (!rc)
        rc = au_resolve_restore_all(res, st, persist_it, err);
    if (!rc)
        rc = au_store_profile_max(st, &max);
    if (rc) {
        au_resolver_free(res);
        return rc;
    }
    pthread_rwlock_wrlock(&s->lk);
    au_resolver_free(s->res);
    s->res = res;
    s->seen = seen;
    s->max_profile = (uint32_t)max;
    au_resolve_changes_reset(&s->ch);
    pthread_rwlock_unlock(&s->lk);
    return AU_OK;
}

static void rh_close(void *state)
{
    au_resolve_state *s = state;
    if (!s)
        return;
    au_resolver_free(s->res);
    au_resolve_changes_cleanup(&s->ch);
    pthread_rwlock_destroy(&s->lk);
    au_free(s);
}

static au_rc rh_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    au_resolve_state *s = au_calloc(1, sizeof(*s));
    au_rc rc;
    if (!s)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    pthread_rwlock_init(&s->lk, NULL);
    au_resolve_changes_init(&s->ch);
    rc = au_resolve_load_model(st, au_engine_config(e), &s->model, err);
    if (!rc)
        rc = au_store_begin(st);
    if (!rc) {
        rc = rebuild(s, st, 1, err);
        if (rc)
            AU_BEST_EFFORT(au_store_rollback(st)); /* rc is the error to report */
        else
            rc = au_store_commit(st);
    }
    if (rc) {
        if (!err || !err->rc)
            au_err_set(err, rc, "identity resolution: %s", au_rc_message(rc));
        rh_close(s);
        return rc;
    }
    *state = s;
    return AU_OK;
}

static au_rc rh_record_written(void *state, au_store *st, const au_record *r,
                               au_put_outcome outcome, int64_t version, int64_t at_ms)
{
    au_resolve_state *s = state;
    uint32_t no = (uint32_t)au_store_record_last_no(st);
    s->job_at_ms = at_ms;
    pthread_rwlock_wrlock(&s->lk);
    au_rc rc = au_resolver_profile_of(s->res, no) ? au_resolver_update(s->res, no, r, &s->ch)
                                                  : au_resolver_add(s->res, no, r, &s->ch);
    pthread_rwlock_unlock(&s->lk);
    if (!rc)
        rc = persist(s, st, r->source, r->record_id, at_ms);
    return rc;
}

static au_rc rh_record_deleted(void *state, au_store *st, const char *source, const char *record_id,
                               int64_t at_ms)
{
    au_resolve_state *s = state;
    uint32_t no = (uint32_t)au_store_record_last_no(st);
    s->job_at_ms = at_ms;
    pthread_rwlock_wrlock(&s->lk);
    au_rc rc = au_resolver_remove(s->res, no, &s->ch);
    pthread_rwlock_unlock(&s->lk);
    if (rc == AU_ERR_NOT_FOUND) /* a record the resolver never took (unreadable document) */
        rc = AU_OK;
    if (!rc)
        rc = persist(s, st, source, record_id, at_ms);
    return rc;
}

/* ---- several nodes on one store (docs/POSTGRES.md, "Several nodes") ----------------------- */

typedef struct adopt_ctx {
    au_resolve_state *s;
    au_store *st;
    au_rc rc;
    long bad;  /* documents that could not be read */
    long rows; /* records taken in */
} adopt_ctx;

/* Takes in one record as another node left it: its content when the feed names it (doc), its
 * profile always (0: gone). A record already in that profile and not named is left alone. */
static int adopt_row(void *ctx, const au_resolve_row *r)
{
    adopt_ctx *a = ctx;
    au_resolver *res = a->s->res;
    uint32_t no = (uint32_t)r->no, p = (uint32_t)r->profile;
    au_record_out out = {0};
    au_record *rec = NULL;
    if (!r->doc && p && au_resolver_profile_of(res, no) == p)
        return 0;
    if (r->doc)
        rec = doc_record(res, r->doc, r->source, r->record_id);
    else if (p && !au_resolver_profile_of(res, no) &&
             !(a->rc = au_store_record_by_no(a->st, r->no, &out)))
        rec = doc_record(res, out.doc, out.source, out.record_id);
    if (!a->rc)
        a->rc = au_resolver_adopt(res, no, rec, p);
    if (a->rc == AU_ERR_NOT_FOUND) { /* unreadable here, as at start-up: skipped */
        a->rc = AU_OK;
        a->bad++;
    }
    if (p > a->s->max_profile)
        a->s->max_profile = p;
    a->rows++;
    au_record_free(rec);
    au_record_out_cleanup(&out);
    return a->rc ? 1 : 0;
}

/* Feed positions per catch-up query: bounds the rows one query returns after a long pause. */
#define CATCH_UP_WINDOW 4096

/* Makes the resolver what the store says for every feed row in (s->seen, last]: the records
 * named and the members of the profiles named. Overrides are read again when anything changed
 * (another node's manual decision must win here too). Writer thread, under the decision lock. */
static au_rc catch_up(au_resolve_state *s, au_store *st, int64_t last)
{
    adopt_ctx a = {s, st, AU_OK, 0, 0};
    au_rc rc = AU_OK;
    pthread_rwlock_wrlock(&s->lk);
    for (int64_t from = s->seen; !rc && from < last; from += CATCH_UP_WINDOW) {
        int64_t upto = last - from > CATCH_UP_WINDOW ? from + CATCH_UP_WINDOW : last;
        rc = au_store_resolve_changed(st, from, upto, adopt_row, &a);
        if (a.rc)
            rc = a.rc;
    }
    if (!rc && a.rows) {
        restore_ctx o = {.res = s->res};
        rc = au_store_override_list(st, restore_override, &o);
        if (o.rc)
            rc = o.rc;
    }
    pthread_rwlock_unlock(&s->lk);
    if (a.bad)
        au_log(AU_LOG_WARN, "records of other nodes skipped by resolution: unreadable documents",
               NULL);
    if (!rc)
        s->seen = last;
    return rc;
}

/* Before the first decision of a transaction: wait for the other nodes' decisions on the
 * store's decision lock (held to the commit), take in what they committed, and continue the
 * shared sequence of profile numbers. */
static au_rc rh_deciding(void *state, au_store *st)
{
    au_resolve_state *s = state;
    int64_t last = 0, next = 0;
    au_rc rc = au_store_resolve_lock(st, &last);
    if (!rc)
        s->locked = 1;
    if (!rc && last > s->seen)
        rc = catch_up(s, st, last);
    if (!rc)
        rc = au_store_profile_claim(st, 0, &next);
    if (!rc && next > 0 && next <= UINT32_MAX) {
        pthread_rwlock_wrlock(&s->lk);
        au_resolver_set_next_profile(s->res, (uint32_t)next);
        pthread_rwlock_unlock(&s->lk);
        if ((uint32_t)(next - 1) > s->max_profile)
            s->max_profile = (uint32_t)(next - 1);
    }
    return rc;
}

/* Still under the lock: the numbers this transaction used are claimed, and the feed's end is
 * where this node stands once it commits (its own rows are in memory already). */
static au_rc rh_before_commit(void *state, au_store *st)
{
    au_resolve_state *s = state;
    int64_t next = 0;
    if (!s->locked)
        return AU_OK;
    au_rc rc = au_store_profile_claim(st, s->max_profile, &next);
    if (!rc)
        rc = au_store_change_last(st, &s->seen_at_commit);
    return rc;
}

/* Every record of the job is resolved: settle the components they touched, so that the
 * clusters do not depend on the order the records came in (au_resolver_settle). What moves is
 * written in the job's savepoint like any write's changes; its change rows name no record (no
 * single write caused them). */
static au_rc rh_job_applied(void *state, au_store *st)
{
    au_resolve_state *s = state;
    pthread_rwlock_wrlock(&s->lk);
    au_rc rc = au_resolver_settle(s->res, &s->ch);
    pthread_rwlock_unlock(&s->lk);
    if (!rc)
        rc = persist(s, st, NULL, NULL, s->job_at_ms);
    return rc;
}

/* The job's changes belong to the group now. */
static void rh_job_kept(void *state)
{
    au_resolve_state *s = state;
    for (size_t k = 0; k < AU_CHANGE_KINDS; k++) {
        s->group_changes[k] += s->job_changes[k];
        s->job_changes[k] = 0;
    }
}

static void rh_group_rolled_back(void *state)
{
    au_resolve_state *s = state;
    memset(s->group_changes, 0, sizeof(s->group_changes));
    s->locked = 0; /* rh_rolled_back rebuilt the resolver and set s->seen */
}

static void rh_committed(void *state)
{
    au_resolve_state *s = state;
    if (s->locked && s->seen_at_commit > s->seen)
        s->seen = s->seen_at_commit;
    s->locked = 0;
    for (size_t k = 0; k < AU_CHANGE_KINDS; k++) {
        atomic_fetch_add(&s->changes_total[k], s->group_changes[k]);
        s->group_changes[k] = 0;
    }
}

au_rc au_resolve_metrics(au_resolve_state *s, au_buf *out)
{
    au_rc rc = au_buf_puts(out, "# HELP aurum_profile_changes_total Resolution decisions: "
                                "change-feed rows by kind (created, updated, merged, split, "
                                "deleted).\n# TYPE aurum_profile_changes_total counter\n");
    for (size_t k = 0; !rc && k < AU_CHANGE_KINDS; k++)
        rc = au_buf_printf(out, "aurum_profile_changes_total{kind=\"%s\"} %llu\n", change_kinds[k],
                           (unsigned long long)atomic_load(&s->changes_total[k]));
    return rc;
}

static void rh_rolled_back(void *state, au_store *st)
{
    au_resolve_state *s = state;
    memset(s->job_changes, 0, sizeof(s->job_changes));
    au_err err;
    au_err_init(&err);
    au_log(AU_LOG_INFO, "write rolled back: rebuilding identity resolution from the store", NULL);
    if (rebuild(s, st, 0, &err))
        au_log(AU_LOG_ERROR, "cannot rebuild identity resolution", "error", err.message, NULL);
    au_err_cleanup(&err);
}

au_rc au_resolve_state_load(au_store *st, const au_config *cfg, au_resolve_state **out, au_err *err)
{
    au_resolve_state *s = au_calloc(1, sizeof(*s));
    au_rc rc;
    *out = NULL;
    if (!s)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    pthread_rwlock_init(&s->lk, NULL);
    au_resolve_changes_init(&s->ch);
    rc = au_resolve_load_model(st, cfg, &s->model, err);
    if (!rc)
        rc = rebuild(s, st, 0, err);
    if (rc) {
        rh_close(s);
        return rc;
    }
    *out = s;
    return AU_OK;
}

void au_resolve_state_free(au_resolve_state *s)
{
    rh_close(s);
}

const au_resolver *au_resolve_state_resolver(const au_resolve_state *s)
{
    return s->res;
}

const au_engine_hook au_resolve_hook = {
    .name = "resolve",
    .open = rh_open,
    .close = rh_close,
    .record_written = rh_record_written,
    .record_deleted = rh_record_deleted,
    .rolled_back = rh_rolled_back,
    .committed = rh_committed,
    .job_kept = rh_job_kept,
    .job_applied = rh_job_applied,
    .group_rolled_back = rh_group_rolled_back,
    .deciding = rh_deciding,
    .before_commit = rh_before_commit,
};

/* ---- reads ------------------------------------------------------------------------------- */

/* Replaces the record number under `key` of o by {"source","record"}. */
static void name_record(json_t *o, const char *key, au_store *st)
{
    json_t *v = json_object_get(o, key);
    char *src = NULL, *rid = NULL;
    if (!json_is_integer(v) || au_store_record_ref(st, json_integer_value(v), &src, &rid))
        return;
    json_object_set_new(o, key, json_pack("{s:s, s:s}", "source", src, "record", rid));
    au_free(src);
    au_free(rid);
}

static au_rc lookup_no(au_store *st, const char *source, const char *record, uint32_t *no,
                       au_err *err)
{
    int64_t v = 0;
    au_rc rc = au_store_record_no(st, source, record, &v);
    if (rc == AU_ERR_NOT_FOUND)
        return au_err_set(err, rc, "record '%s' not found in source '%s'", record, source);
    if (rc)
        return au_err_set(err, rc, "%s", au_rc_message(rc));
    *no = (uint32_t)v;
    return AU_OK;
}

json_t *au_resolve_explain_pair(au_resolve_state *s, au_store *st, const char *sa, const char *ra,
                                const char *sb, const char *rb, au_err *err)
{
    uint32_t a = 0, b = 0;
    json_t *doc = NULL;
    if (lookup_no(st, sa, ra, &a, err) || lookup_no(st, sb, rb, &b, err))
        return NULL;
    /* exclusive: scoring writes the resolver's memo table, even through a const resolver */
    pthread_rwlock_wrlock(&s->lk);
    doc = au_resolver_explain_pair(s->res, a, b);
    pthread_rwlock_unlock(&s->lk);
    if (!doc) {
        au_err_set(err, AU_ERR_NOT_FOUND, "a record is deleted or not resolved");
        return NULL;
    }
    name_record(doc, "a", st);
    name_record(doc, "b", st);
    return doc;
}

json_t *au_resolve_explain_profile(au_resolve_state *s, au_store *st, int64_t profile, au_err *err)
{
    json_t *doc = NULL, *m;
    size_t i;
    if (profile <= 0 || profile > UINT32_MAX) {
        au_err_set(err, AU_ERR_NOT_FOUND, "profile %lld does not exist", (long long)profile);
        return NULL;
    }
    pthread_rwlock_wrlock(&s->lk); /* exclusive: see au_resolve_explain_pair */
    doc = au_resolver_explain_profile(s->res, (uint32_t)profile);
    pthread_rwlock_unlock(&s->lk);
    if (!doc) {
        int64_t into = 0;
        if (au_store_redirect_get(st, profile, &into) == AU_OK)
            au_err_set(err, AU_ERR_NOT_FOUND, "profile %lld no longer exists (merged into %lld)",
                       (long long)profile, (long long)into);
        else
            au_err_set(err, AU_ERR_NOT_FOUND, "profile %lld does not exist", (long long)profile);
        return NULL;
    }
    json_array_foreach(json_object_get(doc, "members"), i, m)
    {
        name_record(m, "record", st);
        json_t *link = json_object_get(m, "best_link");
        if (json_is_object(link)) {
            name_record(link, "a", st);
            name_record(link, "b", st);
        }
    }
    return doc;
}

json_t *au_resolve_generic_list(au_resolve_state *s, size_t max)
{
    pthread_rwlock_rdlock(&s->lk); /* a read: nothing is scored */
    json_t *doc = au_resolver_generic_list(s->res, max);
    pthread_rwlock_unlock(&s->lk);
    return doc;
}

/* ---- manual decisions -------------------------------------------------------------------- */

int au_resolve_link_kind(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "must_link") == 0)
        return AU_LINK_MUST;
    if (strcmp(name, "cannot_link") == 0)
        return AU_LINK_CANNOT;
    if (strcmp(name, "none") == 0)
        return AU_LINK_NONE;
    return -1;
}

const char *au_resolve_link_name(au_link_kind k)
{
    return k == AU_LINK_MUST ? "must_link" : k == AU_LINK_CANNOT ? "cannot_link" : "none";
}

/* One decision on (a, b), applied and persisted; the caller holds no lock (writer thread). */
static au_rc apply_override(au_resolve_state *s, au_store *st, uint32_t a, uint32_t b,
                            au_link_kind kind, const char *origin, int64_t at_ms, au_err *err)
{
    if (a == b)
        return au_err_set(err, AU_ERR_INVALID, "a decision needs two different records");
    au_override_row o = {a < b ? a : b, a < b ? b : a, au_resolve_link_name(kind), origin, at_ms};
    au_rc rc = au_store_override_put(st, &o);
    if (rc)
        return au_err_set(err, rc, "%s", au_rc_message(rc));
    pthread_rwlock_wrlock(&s->lk);
    rc = au_resolver_override(s->res, a, b, kind, &s->ch);
    pthread_rwlock_unlock(&s->lk);
    if (!rc)
        rc = persist(s, st, NULL, NULL, at_ms);
    if (rc)
        au_err_set(err, rc, "applying the decision: %s", au_rc_message(rc));
    return rc;
}

/* A decision recorded (store and resolver) without re-evaluating anything yet: the caller
 * applies the last of a set with apply_override, which re-evaluates once. */
static au_rc stage_override(au_resolve_state *s, au_store *st, uint32_t a, uint32_t b,
                            au_link_kind kind, const char *origin, int64_t at_ms, au_err *err)
{
    au_override_row o = {a < b ? a : b, a < b ? b : a, au_resolve_link_name(kind), origin, at_ms};
    au_rc rc = au_store_override_put(st, &o);
    if (!rc) {
        pthread_rwlock_wrlock(&s->lk);
        rc = au_resolver_restore_override(s->res, a, b, kind);
        pthread_rwlock_unlock(&s->lk);
    }
    return rc ? au_err_set(err, rc, "recording the decision: %s", au_rc_message(rc)) : AU_OK;
}

typedef struct decision {
    au_engine *e;
    const char *origin;
    /* pair */
    const char *sa, *ra, *sb, *rb;
    au_link_kind kind;
    /* merge / split */
    int64_t profile, other;
    const char *const *sources, *const *records;
    size_t n;
} decision;

static au_resolve_state *state_of(au_engine *e, au_err *err)
{
    au_resolve_state *s = au_engine_hook_state(e, "resolve");
    if (!s)
        au_err_set(err, AU_ERR_UNAVAILABLE, "identity resolution is not running");
    return s;
}

static au_rc call_pair(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    decision *d = ctx;
    au_resolve_state *s = state_of(d->e, err);
    uint32_t a = 0, b = 0;
    if (!s)
        return AU_ERR_UNAVAILABLE;
    au_rc rc = lookup_no(st, d->sa, d->ra, &a, err);
    if (!rc)
        rc = lookup_no(st, d->sb, d->rb, &b, err);
    if (!rc && (!au_resolver_profile_of(s->res, a) || !au_resolver_profile_of(s->res, b)))
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "a record of the pair is deleted");
    if (!rc)
        rc = apply_override(s, st, a, b, d->kind, d->origin, at_ms, err);
    return rc;
}

au_rc au_resolve_override(au_engine *e, const char *sa, const char *ra, const char *sb,
                          const char *rb, au_link_kind kind, const char *origin, au_err *err)
{
    decision d = {.e = e, .origin = origin, .sa = sa, .ra = ra, .sb = sb, .rb = rb, .kind = kind};
    return au_engine_call(e, call_pair, &d, origin, err);
}

/* The first member of a live profile (following redirects). */
static au_rc first_member(au_resolve_state *s, int64_t p, uint32_t *no, au_err *err)
{
    size_t n = 0;
    const uint32_t *m = NULL;
    if (p > 0 && p <= UINT32_MAX)
        m = au_resolver_members(s->res, (uint32_t)p, &n);
    if (!m || n == 0)
        return au_err_set(err, AU_ERR_NOT_FOUND, "profile %lld does not exist", (long long)p);
    *no = m[0];
    return AU_OK;
}

/* A merge says the two profiles are one person: every do-not-link between their members (a
 * split's, or one made by hand) contradicts it and is forgotten first, or the next
 * re-evaluation would split them again and a merge after a split would undo nothing. The two
 * profiles stay apart while this runs (forgetting a decision between different profiles moves
 * no record). */
static au_rc forget_cannot_links(au_resolve_state *s, au_store *st, uint32_t a, uint32_t b,
                                 const char *origin, int64_t at_ms, au_err *err)
{
    uint32_t *pairs = NULL;
    size_t n = 0;
    pthread_rwlock_rdlock(&s->lk);
    au_rc rc = au_resolver_cannot_links(s->res, au_resolver_profile_of(s->res, a),
                                        au_resolver_profile_of(s->res, b), &pairs, &n);
    pthread_rwlock_unlock(&s->lk);
    if (rc)
        return au_err_set(err, rc, "out of memory");
    for (size_t i = 0; i < n && !rc; i++)
        rc =
            apply_override(s, st, pairs[2 * i], pairs[2 * i + 1], AU_LINK_NONE, origin, at_ms, err);
    au_free(pairs);
    return rc;
}

static au_rc call_merge(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    decision *d = ctx;
    au_resolve_state *s = state_of(d->e, err);
    uint32_t a = 0, b = 0;
    if (!s)
        return AU_ERR_UNAVAILABLE;
    au_rc rc = first_member(s, d->profile, &a, err);
    if (!rc)
        rc = d->sa ? lookup_no(st, d->sa, d->ra, &b, err) : first_member(s, d->other, &b, err);
    if (!rc && !au_resolver_profile_of(s->res, b))
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "record '%s' is deleted", d->ra);
    if (!rc && au_resolver_profile_of(s->res, a) == au_resolver_profile_of(s->res, b))
        return AU_OK; /* already one profile: nothing to decide */
    if (!rc)
        rc = forget_cannot_links(s, st, a, b, d->origin, at_ms, err);
    if (!rc)
        rc = apply_override(s, st, a, b, AU_LINK_MUST, d->origin, at_ms, err);
    return rc;
}

au_rc au_resolve_merge(au_engine *e, int64_t a, const char *source, const char *record, int64_t b,
                       const char *origin, au_err *err)
{
    decision d = {.e = e, .origin = origin, .profile = a, .other = b, .sa = source, .ra = record};
    return au_engine_call(e, call_merge, &d, origin, err);
}

static au_rc call_split(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    decision *d = ctx;
    au_resolve_state *s = state_of(d->e, err);
    uint32_t *out = NULL, *rest = NULL;
    size_t n = 0, nrest = 0;
    au_rc rc = AU_OK;
    if (!s)
        return AU_ERR_UNAVAILABLE;
    const uint32_t *m = d->profile > 0 && d->profile <= UINT32_MAX
                            ? au_resolver_members(s->res, (uint32_t)d->profile, &n)
                            : NULL;
    if (!m || n == 0)
        return au_err_set(err, AU_ERR_NOT_FOUND, "profile %lld does not exist",
                          (long long)d->profile);
    out = au_calloc(d->n + 1, sizeof(*out));
    rest = au_calloc(n + 1, sizeof(*rest));
    if (!out || !rest) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < d->n && !rc; i++) {
        rc = lookup_no(st, d->sources[i], d->records[i], &out[i], err);
        if (!rc && au_resolver_profile_of(s->res, out[i]) != (uint32_t)d->profile)
            rc =
                au_err_set(err, AU_ERR_INVALID, "record '%s' of source '%s' is not in profile %lld",
                           d->records[i], d->sources[i], (long long)d->profile);
    }
    if (rc)
        goto out;
    /* the member list is borrowed until the next mutation: copy the members that stay */
    for (size_t i = 0; i < n; i++) {
        int listed = 0;
        for (size_t k = 0; k < d->n; k++)
            listed |= out[k] == m[i];
        if (!listed)
            rest[nrest++] = m[i];
    }
    if (nrest == 0) {
        rc = au_err_set(err, AU_ERR_INVALID, "a split must leave at least one record behind");
        goto out;
    }
    /* Every rule is recorded first and the profile re-evaluated once, with all of them: one
     * re-evaluation per rule would cut the records that stay apart from each other too (after
     * the first rule the records not yet ruled out could leave with either side). */
    for (size_t i = 0; i < d->n && !rc; i++)
        for (size_t k = 0; k < nrest && !rc; k++)
            if (i + 1 < d->n || k + 1 < nrest)
                rc = stage_override(s, st, out[i], rest[k], AU_LINK_CANNOT, d->origin, at_ms, err);
    if (!rc)
        rc = apply_override(s, st, out[d->n - 1], rest[nrest - 1], AU_LINK_CANNOT, d->origin, at_ms,
                            err);
out:
    au_free(out);
    au_free(rest);
    return rc;
}

au_rc au_resolve_split(au_engine *e, int64_t p, const char *const *sources,
                       const char *const *records, size_t n, const char *origin, au_err *err)
{
    if (n == 0)
        return au_err_set(err, AU_ERR_INVALID, "list at least one record to split off");
    decision d = {
        .e = e, .origin = origin, .profile = p, .sources = sources, .records = records, .n = n};
    return au_engine_call(e, call_split, &d, origin, err);
}

/* --- reads of the persisted resolution (any thread, the caller's reader handle) ----------- */

au_rc au_resolve_profile_of(au_store *rd, const char *source, const char *record_id,
                            int64_t *profile)
{
    return au_store_profile_of(rd, source, record_id, profile);
}

au_rc au_resolve_record_ref(au_store *rd, int64_t no, char **source, char **record_id)
{
    return au_store_record_ref(rd, no, source, record_id);
}

au_rc au_resolve_review_list(au_store *rd, long limit, au_review_cb cb, void *ctx)
{
    return au_store_review_list(rd, limit, cb, ctx);
}
