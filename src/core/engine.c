/*
 * The write path: one writer thread owns the read-write store handle and applies every mutation.
 * Callers build a job on their own thread (records are serialised to JSON there, so the writer
 * spends its time in the store, not in Jansson), queue it and wait. The writer takes every job
 * waiting (up to group_commit_max), runs them in one transaction with a savepoint each, commits
 * once and then wakes all their waiters: concurrent requests share one fsync, a failing job is
 * rolled back alone, and a job is acknowledged only after COMMIT returned.
 *
 * The queue is bounded in jobs and in queued records, so an importer that parses faster than the
 * store commits is slowed down instead of buffering the whole file.
 *
 * Sources live in a small reference-counted registry: a PUT swaps in the new definition (after
 * its commit) and frees the old one only when the last thread using it releases it.
 */
#include "core/engine.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/clock.h"

/* Records that may wait in the queue; beyond it submitters block (unless the queue is empty, so
 * one huge batch still goes through). */
#define ENGINE_MAX_QUEUED_ITEMS 50000
/* A transaction of bulk jobs (au_engine_submit_records: an importer with several batches in
 * flight) stays open while more bulk jobs are already waiting, up to this many records or
 * ENGINE_BULK_TXN_US: each commit writes every index page it dirtied to the WAL, and with
 * random keys (identifiers, record ids) an 8 k-record commit into a 1 M-record store dirties
 * nearly every leaf page, so the WAL written per record grew with the store. */
#define ENGINE_BULK_TXN_RECORDS 65536
#define ENGINE_BULK_TXN_US      2000000
/* Default for cfg->group_commit_max when the configuration leaves it unset. */
#define ENGINE_DEFAULT_GROUP 64
/* Most hooks the registry may list. */
#define ENGINE_MAX_HOOKS 16

/* Idle read-only handles kept for reuse. Above the number of concurrently reading connections
 * every extra request opens and closes a SQLite connection (open, pragmas, schema check,
 * statement preparation), which cost profile reads at 32 connections 4x their throughput. */
#define ENGINE_READER_POOL 128

typedef enum {
    JOB_RECORDS,    /* upsert recs[0..n) */
    JOB_DELETE,     /* tombstone (u.del) */
    JOB_EVENTS,     /* store evs[0..nev) */
    JOB_SOURCE,     /* persist definition (u.source), then activate it */
    JOB_KEY_PUT,    /* store key (u.key) */
    JOB_KEY_REVOKE, /* revoke key (u.revoke) */
    JOB_CALL,       /* run u.call.fn(u.call.ctx) inside the transaction (au_engine_call) */
    JOB_REMAP       /* re-map the stored input of records ids[0..n) of source u.remap */
} job_kind;

struct au_write_job {
    job_kind kind;             /* what to apply */
    int bulk;                  /* may wait for later bulk jobs to share its commit */
    struct au_write_job *next; /* queue link */
    size_t weight;             /* items counted against ENGINE_MAX_QUEUED_ITEMS */
    int64_t at_ms;             /* time of the write (submission time) */
    char *origin;              /* who wrote it, owned */
    au_actor *actor;           /* the request it was made for (audit), owned; NULL: none */
    au_record **recs;          /* JOB_RECORDS: records and the array, owned */
    char **docs;               /* JOB_RECORDS: compact JSON per record, owned (au_free) */
    size_t n;                  /* JOB_RECORDS: number of records */
    au_event_row *evs;         /* JOB_EVENTS: rows whose strings are owned by the job */
    size_t nev;                /* JOB_EVENTS: number of events */
    au_event *ev_out;          /* JOB_EVENTS: the caller's events (borrowed while it waits):
                                  the writer sets their inserted / unlinked flags */
    /* The arguments of the other kinds, tagged by `kind`; strings owned by the job (freed by
     * job_free according to the kind). */
    union {
        struct {
            char *source, *record_id;
        } del; /* JOB_DELETE */
        struct {
            char *name, *json; /* persisted as they are */
            au_source *src;    /* validated definition, owned until activated */
        } source;              /* JOB_SOURCE */
        struct {
            char *id, *scopes, *name; /* name may be NULL */
            uint8_t hash[32];
        } key; /* JOB_KEY_PUT */
        struct {
            char *id;
        } revoke; /* JOB_KEY_REVOKE */
        struct {
            au_engine_call_fn fn;
            void *ctx; /* borrowed from the waiting caller */
        } call;        /* JOB_CALL */
        struct {
            char *source;
        } remap; /* JOB_REMAP */
    } u;
    char **ids;              /* JOB_REMAP: record ids and the array, owned; n of them */
    au_remap_summary *remap; /* JOB_REMAP: the caller's summary, added to on success */
    au_rc rc;                /* result, set by the writer */
    au_err err;              /* result message, set by the writer */
    au_write_summary sum;    /* what the job did */
    int done;                /* set under the queue mutex once the result is final */
    pthread_cond_t done_cv;  /* signalled with done: only this job's waiter wakes */
};

/* One definition of a source; replaced entries linger until their last reference goes. */
typedef struct src_entry {
    au_source *src;         /* owned */
    long refs;              /* references handed out and not yet released */
    int current;            /* 0 once a newer definition of the same name was activated */
    struct src_entry *next; /* registry list */
} src_entry;

struct au_engine {
    const au_config *cfg; /* borrowed, outlives the engine */
    char *location;       /* store location, owned */
    char *data_dir;       /* local files (secrets, clock offset), owned; = location for SQLite */
    au_store *store;      /* read-write handle, used only by the writer once it runs */
    pthread_t writer;     /* the writer thread */
    int writer_running;   /* writer was started and not yet joined */

    pthread_mutex_t mu;        /* protects the queue, the job results and the counters */
    pthread_cond_t work_cv;    /* writer: jobs arrived or stopping */
    pthread_cond_t space_cv;   /* submitters: room in the queue */
    pthread_cond_t done_cv;    /* close: the last job was waited for */
    au_write_job *head, *tail; /* jobs waiting for the writer */
    size_t queued_jobs;        /* jobs in the queue */
    size_t queued_items;       /* sum of their weights */
    size_t queue_max;          /* most jobs allowed to wait */
    long group_max;            /* most jobs folded into one transaction */
    long outstanding;          /* jobs submitted and not yet returned by au_engine_wait */
    int stopping;              /* close was called: no new jobs */
    uint64_t commits, jobs;    /* counters for /metrics */
    /* writer only: the transaction left open for more bulk jobs */
    int txn_open;                /* BEGIN done, COMMIT not yet */
    int txn_decided;             /* the hooks' `deciding` ran in it (once per transaction) */
    au_write_job *applied;       /* jobs applied in it, waiting for its commit (linked by next) */
    au_write_job **applied_tail; /* where the next applied job is linked */
    long applied_n;              /* how many */
    size_t txn_records;          /* records applied in it */
    int64_t txn_since_us;        /* when it began */

    pthread_mutex_t src_mu; /* protects sources */
    src_entry *sources;     /* registry */

    const au_engine_hook *const *hooks; /* the caller's NULL-terminated list, borrowed */
    void *hook_state[ENGINE_MAX_HOOKS]; /* per registered hook, owned by the hook */
    int event_linked;  /* writer: the event being written is linked (au_engine_event_linked) */
    int nhooks;        /* hooks opened (closed in reverse order) */
    au_write_job *cur; /* writer: the job being applied (au_engine_job_actor) */

    pthread_mutex_t rd_mu;              /* protects the reader pool */
    au_store *idle[ENGINE_READER_POOL]; /* idle read-only handles */
    int nidle;                          /* entries used in idle */
};

/* ---- jobs -------------------------------------------------------------------------------- */

/* The actor of the calling thread (au_engine_actor_set): per thread, never shared, so a request
 * handler's identity reaches the jobs it submits without a parameter on every write function. */
static _Thread_local au_actor tl_actor;
static _Thread_local int tl_actor_set;

void au_engine_actor_set(const au_actor *a)
{
    tl_actor_set = a != NULL;
    if (a)
        tl_actor = *a;
}

/* Frees what the kind-specific arguments own. */
static void job_args_free(au_write_job *j)
{
    switch (j->kind) {
    case JOB_DELETE:
        au_free(j->u.del.source);
        au_free(j->u.del.record_id);
        break;
    case JOB_SOURCE:
        au_free(j->u.source.name);
        au_free(j->u.source.json);
        au_source_free(j->u.source.src);
        break;
    case JOB_KEY_PUT:
        au_free(j->u.key.id);
        au_free(j->u.key.scopes);
        au_free(j->u.key.name);
        break;
    case JOB_KEY_REVOKE:
        au_free(j->u.revoke.id);
        break;
    case JOB_REMAP:
        au_free(j->u.remap.source);
        break;
    case JOB_RECORDS:
    case JOB_EVENTS:
    case JOB_CALL:
        break;
    }
}

static au_write_job *job_new(job_kind kind, const char *origin)
{
    au_write_job *j = au_calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->kind = kind;
    j->weight = 1;
    j->at_ms = au_wall_ms();
    au_err_init(&j->err);
    j->origin = au_strdup(origin ? origin : "");
    if (tl_actor_set && j->origin && (j->actor = au_malloc(sizeof(*j->actor))))
        *j->actor = tl_actor;
    if (!j->origin || (tl_actor_set && !j->actor)) {
        au_free(j->origin);
        au_free(j);
        return NULL;
    }
    pthread_cond_init(&j->done_cv, NULL);
    return j;
}

static void event_row_cleanup(au_event_row *r)
{
    au_free((char *)r->source);
    au_free((char *)r->event_id);
    au_free((char *)r->type);
    free((char *)r->customer);   /* json_dumps */
    free((char *)r->properties); /* json_dumps */
}

static void job_free(au_write_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        if (j->recs)
            au_record_free(j->recs[i]);
        if (j->docs)
            au_free(j->docs[i]);
    }
    for (size_t i = 0; j->ids && i < j->n; i++)
        au_free(j->ids[i]);
    au_free(j->ids);
    au_free(j->recs);
    au_free(j->docs);
    for (size_t i = 0; i < j->nev; i++)
        event_row_cleanup(&j->evs[i]);
    au_free(j->evs);
    au_free(j->origin);
    au_free(j->actor);
    job_args_free(j);
    au_err_cleanup(&j->err);
    pthread_cond_destroy(&j->done_cv);
    au_free(j);
}

/* Queues a job, blocking while the queue is full. On error the job is freed. */
static au_rc job_submit(au_engine *e, au_write_job *j)
{
    au_rc rc = AU_OK;
    pthread_mutex_lock(&e->mu);
    while (
        !e->stopping && e->queued_jobs > 0 &&
        (e->queued_jobs >= e->queue_max || e->queued_items + j->weight > ENGINE_MAX_QUEUED_ITEMS))
        pthread_cond_wait(&e->space_cv, &e->mu);
    if (e->stopping) {
        rc = AU_ERR_UNAVAILABLE;
    } else {
        if (e->tail)
            e->tail->next = j;
        else
            e->head = j;
        e->tail = j;
        e->queued_jobs++;
        e->queued_items += j->weight;
        e->outstanding++;
        pthread_cond_signal(&e->work_cv);
    }
    pthread_mutex_unlock(&e->mu);
    if (rc)
        job_free(j);
    return rc;
}

/* Waits for the job's result, copies it out and frees the job. */
static au_rc job_wait(au_engine *e, au_write_job *j, au_write_summary *sum, au_err *err)
{
    pthread_mutex_lock(&e->mu);
    while (!j->done)
        pthread_cond_wait(&j->done_cv, &e->mu);
    e->outstanding--;
    if (e->outstanding == 0 && e->stopping)
        pthread_cond_broadcast(&e->done_cv);
    pthread_mutex_unlock(&e->mu);

    au_rc rc = j->rc;
    if (sum)
        *sum = j->sum;
    if (rc) {
        au_err_set(err, rc, "%s", j->err.message[0] ? j->err.message : au_rc_message(rc));
        if (err)
            au_err_take_details(err, &j->err, 0);
    }
    job_free(j);
    return rc;
}

/* ---- sources registry -------------------------------------------------------------------- */

/* Makes src the current definition of its name; the registry owns it from now on. */
static void source_install(au_engine *e, au_source *src)
{
    src_entry *n = au_calloc(1, sizeof(*n));
    if (!n) {
        au_log(AU_LOG_ERROR, "out of memory activating a source", "source", au_source_name(src),
               NULL);
        au_source_free(src);
        return;
    }
    n->src = src;
    n->current = 1;
    pthread_mutex_lock(&e->src_mu);
    for (src_entry **p = &e->sources; *p;) {
        src_entry *o = *p;
        if (o->current && strcmp(au_source_name(o->src), au_source_name(src)) == 0) {
            o->current = 0;
            if (o->refs == 0) {
                *p = o->next;
                au_source_free(o->src);
                au_free(o);
                continue;
            }
        }
        p = &o->next;
    }
    n->next = e->sources;
    e->sources = n;
    pthread_mutex_unlock(&e->src_mu);
}

const au_source *au_engine_source_acquire(au_engine *e, const char *name)
{
    const au_source *s = NULL;
    pthread_mutex_lock(&e->src_mu);
    for (src_entry *n = e->sources; n; n = n->next) {
        if (n->current && strcmp(au_source_name(n->src), name) == 0) {
            n->refs++;
            s = n->src;
            break;
        }
    }
    pthread_mutex_unlock(&e->src_mu);
    return s;
}

void au_engine_source_release(au_engine *e, const au_source *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&e->src_mu);
    for (src_entry **p = &e->sources; *p; p = &(*p)->next) {
        src_entry *n = *p;
        if (n->src != s)
            continue;
        if (--n->refs == 0 && !n->current) {
            *p = n->next;
            au_source_free(n->src);
            au_free(n);
        }
        break;
    }
    pthread_mutex_unlock(&e->src_mu);
}

static void sources_free(au_engine *e)
{
    while (e->sources) {
        src_entry *n = e->sources;
        e->sources = n->next;
        au_source_free(n->src);
        au_free(n);
    }
}

/* An engine opened without hooks (a tool that only stores) still walks a valid list. */
static const au_engine_hook *const no_hooks[] = {NULL};

/* ---- applying jobs (writer thread) ------------------------------------------------------- */

/* Hooks see every record right after its version is written, inside the job's savepoint, so
 * whatever they write commits or rolls back with the record. An error fails the whole job. */
static au_rc record_written(au_engine *e, const au_record *r, au_put_outcome outcome,
                            int64_t version, int64_t at_ms)
{
    for (int i = 0; i < e->nhooks; i++) {
        const au_engine_hook *h = e->hooks[i];
        if (h->record_written) {
            au_rc rc = h->record_written(e->hook_state[i], e->store, r, outcome, version, at_ms);
            if (rc)
                return rc;
        }
    }
    return AU_OK;
}

static au_rc record_deleted(au_engine *e, const char *source, const char *record_id, int64_t at_ms)
{
    for (int i = 0; i < e->nhooks; i++) {
        const au_engine_hook *h = e->hooks[i];
        if (h->record_deleted) {
            au_rc rc = h->record_deleted(e->hook_state[i], e->store, source, record_id, at_ms);
            if (rc)
                return rc;
        }
    }
    return AU_OK;
}

static au_rc event_written(au_engine *e, const au_event_row *ev)
{
    for (int i = 0; i < e->nhooks; i++) {
        const au_engine_hook *h = e->hooks[i];
        if (h->event_written) {
            au_rc rc = h->event_written(e->hook_state[i], e->store, ev);
            if (rc)
                return rc;
        }
    }
    return AU_OK;
}

void au_engine_event_linked(au_engine *e, int linked)
{
    e->event_linked = linked;
}

static void hooks_rolled_back(au_engine *e)
{
    for (int i = 0; i < e->nhooks; i++)
        if (e->hooks[i]->rolled_back)
            e->hooks[i]->rolled_back(e->hook_state[i], e->store);
}

static au_rc hooks_job_applied(au_engine *e)
{
    for (int i = 0; i < e->nhooks; i++) {
        const au_engine_hook *h = e->hooks[i];
        au_rc rc = h->job_applied ? h->job_applied(e->hook_state[i], e->store) : AU_OK;
        if (rc)
            return rc;
    }
    return AU_OK;
}

static void hooks_job_kept(au_engine *e)
{
    for (int i = 0; i < e->nhooks; i++)
        if (e->hooks[i]->job_kept)
            e->hooks[i]->job_kept(e->hook_state[i]);
}

static au_rc hooks_before_commit(au_engine *e)
{
    for (int i = 0; i < e->nhooks; i++) {
        const au_engine_hook *h = e->hooks[i];
        if (h->before_commit) {
            au_rc rc = h->before_commit(e->hook_state[i], e->store);
            if (rc)
                return rc;
        }
    }
    return AU_OK;
}

/* Whether a job may make resolution decisions (writes or deletes records, or runs a manual
 * decision): events, keys and definitions do not. */
static int job_decides(const au_write_job *j)
{
    return j->kind == JOB_RECORDS || j->kind == JOB_DELETE || j->kind == JOB_CALL ||
           j->kind == JOB_REMAP;
}

/* Once per transaction, before the first job of the group that may decide and outside every
 * savepoint (what a hook takes here lasts until the transaction ends): other nodes of the store
 * are waited for and caught up with (docs/POSTGRES.md). Taken at the start of the group, before
 * any row lock, so two nodes never wait for each other's rows while holding it. */
static au_rc hooks_deciding(au_engine *e, const au_write_job *list)
{
    int needed = 0;
    for (const au_write_job *j = list; j && !needed; j = j->next)
        needed = job_decides(j);
    if (!needed || e->txn_decided)
        return AU_OK;
    e->txn_decided = 1;
    for (int i = 0; i < e->nhooks; i++) {
        const au_engine_hook *h = e->hooks[i];
        au_rc rc = h->deciding ? h->deciding(e->hook_state[i], e->store) : AU_OK;
        if (rc)
            return rc;
    }
    return AU_OK;
}

/* The whole group is undone: the staged changes of every job, not only of the last one. */
static void hooks_group_rolled_back(au_engine *e)
{
    hooks_rolled_back(e);
    for (int i = 0; i < e->nhooks; i++)
        if (e->hooks[i]->group_rolled_back)
            e->hooks[i]->group_rolled_back(e->hook_state[i]);
}

static void hooks_committed(au_engine *e)
{
    for (int i = 0; i < e->nhooks; i++)
        if (e->hooks[i]->committed)
            e->hooks[i]->committed(e->hook_state[i]);
}

static au_rc hooks_open(au_engine *e, au_err *err)
{
    for (; e->hooks[e->nhooks]; e->nhooks++) {
        const au_engine_hook *h = e->hooks[e->nhooks];
        if (e->nhooks == ENGINE_MAX_HOOKS)
            return au_err_set(err, AU_ERR_INTERNAL, "too many engine hooks");
        e->hook_state[e->nhooks] = NULL;
        if (h->open) {
            au_rc rc = h->open(e, e->store, &e->hook_state[e->nhooks], err);
            if (rc)
                return rc;
        }
    }
    return AU_OK;
}

static void hooks_close(au_engine *e)
{
    while (e->nhooks > 0) {
        e->nhooks--;
        if (e->hooks[e->nhooks]->close)
            e->hooks[e->nhooks]->close(e->hook_state[e->nhooks]);
    }
}

void *au_engine_hook_state(au_engine *e, const char *name)
{
    for (int i = 0; i < e->nhooks; i++)
        if (strcmp(e->hooks[i]->name, name) == 0)
            return e->hook_state[i];
    return NULL;
}

const au_actor *au_engine_job_actor(au_engine *e)
{
    return e->cur ? e->cur->actor : NULL;
}

const char *au_engine_job_origin(au_engine *e)
{
    return e->cur ? e->cur->origin : NULL;
}

const au_config *au_engine_config(au_engine *e)
{
    return e->cfg;
}

static au_rc apply_records(au_engine *e, au_write_job *j)
{
    for (size_t i = 0; i < j->n; i++) {
        const au_record *r = j->recs[i];
        au_record_row row = {r->source, r->record_id, j->docs[i], r->hash, j->origin, j->at_ms};
        au_put_outcome outcome;
        int64_t version = 0;
        au_rc rc = au_store_record_put(e->store, &row, &outcome, &version);
        if (rc)
            return au_err_set(&j->err, rc, "record %zu ('%s'): %s", i, r->record_id,
                              au_rc_message(rc));
        if (outcome == AU_PUT_INSERTED)
            j->sum.inserted++;
        else if (outcome == AU_PUT_UPDATED)
            j->sum.updated++;
        else
            j->sum.unchanged++;
        if (outcome == AU_PUT_UNCHANGED)
            continue;
        rc = record_written(e, r, outcome, version, j->at_ms);
        if (rc)
            return au_err_set(&j->err, rc, "record %zu ('%s'): %s", i, r->record_id,
                              au_rc_message(rc));
    }
    return AU_OK;
}

/* Writes one record version and tells the hooks, as every record write does. */
static au_rc put_record(au_engine *e, au_write_job *j, const au_record *r, const char *doc,
                        au_put_outcome *outcome)
{
    au_record_row row = {r->source, r->record_id, doc, r->hash, j->origin, j->at_ms};
    int64_t version = 0;
    au_rc rc = au_store_record_put(e->store, &row, outcome, &version);
    if (!rc && *outcome != AU_PUT_UNCHANGED)
        rc = record_written(e, r, *outcome, version, j->at_ms);
    return rc;
}

/* The current record `id` of the job's source mapped again from its stored input; *out NULL
 * when there is nothing to re-map (absent, deleted) or the definition refuses it (counted). */
static au_rc remap_one(au_engine *e, const au_source *src, const char *id, long index,
                       au_remap_summary *sum, au_record **out)
{
    au_record_out cur;
    json_t *doc = NULL;
    au_err merr;
    au_err_init(&merr);
    *out = NULL;
    au_rc rc = au_store_record_get(e->store, au_source_name(src), id, 0, &cur);
    if (rc == AU_ERR_NOT_FOUND)
        return AU_OK;
    if (rc)
        return rc;
    if (cur.deleted || !cur.doc)
        goto out;
    sum->records++;
    const json_t *input =
        (doc = json_loads(cur.doc, 0, NULL)) ? json_object_get(doc, "input") : NULL;
    rc = json_is_object(input) ? au_source_map(src, input, index, out, &merr) : AU_ERR_INVALID;
    if (rc == AU_ERR_INVALID || (!rc && strcmp((*out)->record_id, id) != 0)) {
        /* Refused now, or its id field now names another record: kept as it is. */
        au_record_free(*out);
        *out = NULL;
        sum->failed++;
        rc = AU_OK;
    }
out:
    json_decref(doc);
    au_err_cleanup(&merr);
    au_record_out_cleanup(&cur);
    return rc;
}

static int has_quarantined(const au_record *r)
{
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        if (au_record_is_quarantined(r, (au_attr)a))
            return 1;
    return 0;
}

/* JOB_REMAP: every listed record through the source's current definition, inside the job's
 * savepoint, so a re-mapped record and its consequences (resolution, profiles, flows, ledger)
 * commit together; reading the input here, on the writer, means no concurrent write can be
 * overwritten by an older input. */
static au_rc apply_remap(au_engine *e, au_write_job *j)
{
    au_remap_summary sum = {0};
    const au_source *src = au_engine_source_acquire(e, j->u.remap.source);
    au_rc rc = AU_OK;
    if (!src)
        return au_err_set(&j->err, AU_ERR_NOT_FOUND, "unknown source '%s'", j->u.remap.source);
    for (size_t i = 0; i < j->n && !rc; i++) {
        au_record *r = NULL;
        char *doc = NULL;
        au_put_outcome outcome = AU_PUT_UNCHANGED;
        rc = remap_one(e, src, j->ids[i], (long)i, &sum, &r);
        if (!rc && r) {
            au_record_hash(r);
            rc = (doc = au_record_to_text(r)) ? put_record(e, j, r, doc, &outcome) : AU_ERR_NOMEM;
            sum.changed += !rc && outcome != AU_PUT_UNCHANGED;
            sum.unchanged += !rc && outcome == AU_PUT_UNCHANGED;
            sum.quarantined += !rc && has_quarantined(r);
        }
        if (rc)
            au_err_set(&j->err, rc, "record '%s': %s", j->ids[i], au_rc_message(rc));
        au_free(doc);
        au_record_free(r);
    }
    au_engine_source_release(e, src);
    if (!rc) {
        j->remap->records += sum.records;
        j->remap->changed += sum.changed;
        j->remap->unchanged += sum.unchanged;
        j->remap->quarantined += sum.quarantined;
        j->remap->failed += sum.failed;
        j->sum.updated += sum.changed;
        j->sum.unchanged += sum.unchanged;
    }
    return rc;
}

static au_rc apply_events(au_engine *e, au_write_job *j)
{
    for (size_t i = 0; i < j->nev; i++) {
        au_put_outcome outcome;
        au_rc rc = au_store_event_put(e->store, &j->evs[i], &outcome);
        if (rc)
            return au_err_set(&j->err, rc, "event %zu ('%s'): %s", i, j->evs[i].event_id,
                              au_rc_message(rc));
        if (outcome == AU_PUT_INSERTED)
            j->sum.inserted++;
        else
            j->sum.unchanged++;
        e->event_linked = 1; /* a hook that indexes customers says otherwise */
        if (outcome == AU_PUT_INSERTED && (rc = event_written(e, &j->evs[i])))
            return au_err_set(&j->err, rc, "event %zu ('%s'): %s", i, j->evs[i].event_id,
                              au_rc_message(rc));
        if (j->ev_out) {
            j->ev_out[i].inserted = outcome == AU_PUT_INSERTED;
            j->ev_out[i].unlinked = outcome == AU_PUT_INSERTED && !e->event_linked;
        }
    }
    return AU_OK;
}

static au_rc apply_job(au_engine *e, au_write_job *j)
{
    au_rc rc = AU_OK;
    switch (j->kind) {
    case JOB_RECORDS:
        return apply_records(e, j);
    case JOB_EVENTS:
        return apply_events(e, j);
    case JOB_DELETE:
        rc = au_store_record_delete(e->store, j->u.del.source, j->u.del.record_id, j->origin,
                                    j->at_ms);
        if (rc == AU_ERR_NOT_FOUND)
            return au_err_set(&j->err, rc, "record '%s' not found in source '%s'",
                              j->u.del.record_id, j->u.del.source);
        if (!rc)
            rc = record_deleted(e, j->u.del.source, j->u.del.record_id, j->at_ms);
        if (!rc)
            j->sum.deleted = 1;
        break;
    case JOB_SOURCE:
        rc = au_store_source_put(e->store, j->u.source.name, j->u.source.json, j->at_ms);
        break;
    case JOB_KEY_PUT: {
        au_key_row k = {j->u.key.id, j->u.key.hash, j->u.key.scopes, j->u.key.name, j->at_ms};
        rc = au_store_key_put(e->store, &k);
        if (rc == AU_ERR_CONFLICT)
            return au_err_set(&j->err, rc, "an API key with id '%s' already exists", j->u.key.id);
        break;
    }
    case JOB_CALL:
        return j->u.call.fn(j->u.call.ctx, e->store, j->at_ms, &j->err);
    case JOB_REMAP:
        return apply_remap(e, j);
    case JOB_KEY_REVOKE:
        rc = au_store_key_revoke(e->store, j->u.revoke.id, j->at_ms);
        if (rc == AU_ERR_NOT_FOUND)
            return au_err_set(&j->err, rc, "no API key with id '%s'", j->u.revoke.id);
        break;
    }
    if (rc)
        au_err_set(&j->err, rc, "%s", au_rc_message(rc));
    return rc;
}

/* Runs one job inside its savepoint; on failure only this job's writes are undone. Returns
 * non-zero when the transaction itself is in doubt (the savepoint could not be opened or rolled
 * back), in which case the whole group must be rolled back. */
static au_rc apply_in_savepoint(au_engine *e, au_write_job *j)
{
    au_rc rc = au_store_savepoint(e->store);
    if (rc)
        return rc;
    e->cur = j;
    j->rc = apply_job(e, j);
    if (!j->rc && (j->rc = hooks_job_applied(e)))
        au_err_set(&j->err, j->rc, "%s", au_rc_message(j->rc));
    if (j->rc) {
        memset(&j->sum, 0, sizeof(j->sum));
        rc = au_store_savepoint_rollback(e->store);
        hooks_rolled_back(e);
        e->cur = NULL;
        return rc;
    }
    rc = au_store_savepoint_release(e->store);
    if (!rc)
        hooks_job_kept(e);
    e->cur = NULL;
    return rc;
}

/* Fails every job of the group that had not failed on its own: nothing of it was committed. */
/* Discards the group's transaction. The group's own error is what the callers get; a failing
 * rollback is only logged (SQLite then rolls back when the next BEGIN fails or at close). */
static void rollback(au_engine *e)
{
    au_rc rc = au_store_rollback(e->store);
    if (rc)
        au_log(AU_LOG_ERROR, "rollback failed", "error", au_rc_code(rc), NULL);
}

static void group_fail(au_write_job *list, au_rc rc, const char *what)
{
    for (au_write_job *j = list; j; j = j->next) {
        if (j->rc)
            continue;
        j->rc = au_err_set(&j->err, rc, "%s: %s", what, au_rc_message(rc));
        memset(&j->sum, 0, sizeof(j->sum));
    }
}

/* Runs the group's jobs in the open transaction (begun here if none is open) and adds them to
 * the applied list. Returns non-zero when the transaction is in doubt and must be rolled back. */
static au_rc txn_apply(au_engine *e, au_write_job *list)
{
    au_rc rc = AU_OK;
    if (!e->txn_open) {
        rc = au_store_begin(e->store);
        if (rc) {
            group_fail(list, rc, "cannot begin a transaction");
            e->applied = list; /* nothing else is applied when no transaction is open */
            for (e->applied_tail = &e->applied; *e->applied_tail; e->applied_n++)
                e->applied_tail = &(*e->applied_tail)->next;
            return rc;
        }
        e->txn_open = 1;
        e->txn_decided = 0;
        e->txn_records = 0;
        e->txn_since_us = au_mono_us();
    }
    rc = hooks_deciding(e, list);
    if (rc) {
        au_log(AU_LOG_ERROR, "cannot prepare resolution decisions", "error", au_rc_code(rc), NULL);
        group_fail(list, rc, "cannot prepare resolution decisions");
    }
    for (au_write_job *j = list; j && !rc; j = j->next)
        rc = apply_in_savepoint(e, j);
    for (au_write_job *j = list; j; j = j->next)
        e->txn_records += j->n;
    *e->applied_tail = list;
    while (*e->applied_tail) {
        e->applied_tail = &(*e->applied_tail)->next;
        e->applied_n++;
    }
    return rc;
}

/* Whether the open transaction may take the next group too: it holds only bulk jobs, is under
 * its bounds, and more jobs are already queued (the caller holds e->mu). The next group may
 * hold other jobs: they are committed with it, no later than they would have been. */
static int txn_may_grow(au_engine *e)
{
    if (!e->head || e->stopping || e->txn_records >= ENGINE_BULK_TXN_RECORDS ||
        au_mono_us() - e->txn_since_us >= ENGINE_BULK_TXN_US)
        return 0;
    for (au_write_job *j = e->applied; j; j = j->next)
        if (!j->bulk)
            return 0;
    return 1;
}

/* Commits (or, after `rc`, rolls back) the open transaction. Returns 1 when it committed. */
static int txn_finish(au_engine *e, au_rc rc)
{
    au_write_job *list = e->applied;
    int was_open = e->txn_open;
    e->txn_open = 0;
    if (!was_open)
        return 0; /* BEGIN failed: the jobs already carry the error */
    if (rc) {
        au_log(AU_LOG_ERROR, "savepoint failed, rolling back the group", NULL);
        rollback(e);
        hooks_group_rolled_back(e);
        group_fail(list, rc, "transaction aborted");
        return 0;
    }
    rc = hooks_before_commit(e);
    if (!rc)
        rc = au_store_commit(e->store);
    if (rc) {
        rollback(e);
        hooks_group_rolled_back(e);
        group_fail(list, rc, "commit failed");
        return 0;
    }
    hooks_committed(e);
    /* Definitions become visible only once durable, in commit order. */
    for (au_write_job *j = list; j; j = j->next) {
        if (j->kind == JOB_SOURCE && !j->rc) {
            source_install(e, j->u.source.src);
            j->u.source.src = NULL;
        }
    }
    return 1;
}

/* Hands the applied jobs their results (the caller holds e->mu). */
static void txn_release(au_engine *e, int committed)
{
    au_write_job *list = e->applied;
    e->commits += (uint64_t)committed;
    e->jobs += (uint64_t)e->applied_n;
    e->applied = NULL;
    e->applied_tail = &e->applied;
    e->applied_n = 0;
    while (list) {
        au_write_job *next = list->next;
        list->next = NULL;
        list->done = 1; /* the waiter may free it as soon as the mutex is released */
        /* One wake-up per waiter: a broadcast on a shared condition woke every waiting
         * request thread per commit, also those whose jobs were still queued (measured with
         * bench/flows.sh: futex wake-ups and context switches were a large share of the
         * daemon's CPU with 32 connections posting single events). */
        pthread_cond_signal(&list->done_cv);
        list = next;
    }
}

/* Takes up to group_max waiting jobs off the queue (the caller holds e->mu). */
static au_write_job *take_group(au_engine *e)
{
    au_write_job *list = e->head, *last = list;
    long k = 1;
    e->queued_items -= last->weight;
    while (last->next && k < e->group_max) {
        last = last->next;
        e->queued_items -= last->weight;
        k++;
    }
    e->head = last->next;
    if (!e->head)
        e->tail = NULL;
    last->next = NULL;
    e->queued_jobs -= (size_t)k;
    pthread_cond_broadcast(&e->space_cv);
    return list;
}

static void *writer_main(void *arg)
{
    au_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->head && !e->stopping)
            pthread_cond_wait(&e->work_cv, &e->mu);
        if (!e->head)
            break;
        au_write_job *list = take_group(e);
        pthread_mutex_unlock(&e->mu);

        au_rc rc = txn_apply(e, list);

        pthread_mutex_lock(&e->mu);
        if (!rc && txn_may_grow(e))
            continue;
        pthread_mutex_unlock(&e->mu);
        int committed = txn_finish(e, rc);
        pthread_mutex_lock(&e->mu);
        txn_release(e, committed);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- records, deletes, events, keys ------------------------------------------------------ */

au_rc au_engine_prepare_records(au_record *const *recs, size_t n, char **docs, au_err *err)
{
    for (size_t i = 0; i < n; i++)
        docs[i] = NULL;
    for (size_t i = 0; i < n; i++) {
        au_record *r = recs[i];
        au_rc rc = AU_OK;
        if (!r || !r->source || !r->record_id)
            rc = au_err_set(err, AU_ERR_INVALID, "record %zu has no source or id", i);
        else if (!r->hash)
            au_record_hash(r);
        if (!rc && !(docs[i] = au_record_to_text(r)))
            rc = au_err_set(err, AU_ERR_NOMEM, "out of memory serialising record %zu", i);
        if (rc) {
            for (size_t k = 0; k < i; k++) {
                au_free(docs[k]);
                docs[k] = NULL;
            }
            return rc;
        }
    }
    return AU_OK;
}

/* Serialises every record on the caller's thread so the writer only writes. */
static au_rc records_prepare(au_write_job *j)
{
    j->docs = au_calloc(j->n ? j->n : 1, sizeof(char *));
    if (!j->docs)
        return au_err_set(&j->err, AU_ERR_NOMEM, "out of memory");
    return au_engine_prepare_records(j->recs, j->n, j->docs, &j->err);
}

static au_rc submit_records(au_engine *e, au_record **recs, size_t n, const char *origin, int bulk,
                            au_write_job **job)
{
    au_write_job *j = job_new(JOB_RECORDS, origin);
    au_rc rc;
    *job = NULL;
    if (!j) {
        for (size_t i = 0; i < n; i++)
            au_record_free(recs[i]);
        au_free(recs);
        return AU_ERR_NOMEM;
    }
    j->recs = recs;
    j->n = n;
    j->bulk = bulk;
    j->weight = n ? n : 1;
    rc = records_prepare(j);
    if (rc) {
        /* The failure is reported by au_engine_wait, like a failure in the writer. */
        j->rc = rc;
        j->done = 1;
        pthread_mutex_lock(&e->mu);
        e->outstanding++;
        pthread_mutex_unlock(&e->mu);
        *job = j;
        return AU_OK;
    }
    rc = job_submit(e, j);
    if (!rc)
        *job = j;
    return rc;
}

au_rc au_engine_queue(au_engine *e, au_record **recs, char **docs, size_t n, const char *origin,
                      au_write_job **job)
{
    au_write_job *j = job_new(JOB_RECORDS, origin);
    *job = NULL;
    if (!j) {
        for (size_t i = 0; i < n; i++) {
            au_record_free(recs[i]);
            au_free(docs[i]);
        }
        au_free(recs);
        au_free(docs);
        return AU_ERR_NOMEM;
    }
    j->recs = recs;
    j->docs = docs;
    j->n = n;
    j->bulk = 1;
    j->weight = n ? n : 1;
    au_rc rc = job_submit(e, j); /* frees the job on failure */
    if (!rc)
        *job = j;
    return rc;
}

au_rc au_engine_submit_records(au_engine *e, au_record **recs, size_t n, const char *origin,
                               au_write_job **job)
{
    return submit_records(e, recs, n, origin, 1, job);
}

au_rc au_engine_wait(au_engine *e, au_write_job *job, au_write_summary *sum, au_err *err)
{
    if (sum)
        memset(sum, 0, sizeof(*sum));
    if (!job)
        return au_err_set(err, AU_ERR_INTERNAL, "no job to wait for");
    return job_wait(e, job, sum, err);
}

au_rc au_engine_write_records(au_engine *e, au_record **recs, size_t n, const char *origin,
                              au_write_summary *sum, au_err *err)
{
    au_write_job *j = NULL;
    au_rc rc = submit_records(e, recs, n, origin, 0, &j);
    if (sum)
        memset(sum, 0, sizeof(*sum));
    if (rc)
        return au_err_set(err, rc, "%s", au_rc_message(rc));
    return au_engine_wait(e, j, sum, err);
}

/* Submits a job built by the caller and waits for it. */
static au_rc run_job(au_engine *e, au_write_job *j, au_write_summary *sum, au_err *err)
{
    au_rc rc = job_submit(e, j);
    if (rc)
        return au_err_set(err, rc, "%s", au_rc_message(rc));
    return job_wait(e, j, sum, err);
}

au_rc au_engine_delete_record(au_engine *e, const char *source, const char *record_id,
                              const char *origin, au_err *err)
{
    au_write_job *j = job_new(JOB_DELETE, origin);
    if (!j)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    j->u.del.source = au_strdup(source);
    j->u.del.record_id = au_strdup(record_id);
    if (!j->u.del.source || !j->u.del.record_id) {
        job_free(j);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    return run_job(e, j, NULL, err);
}

static au_rc event_prepare(au_event_row *row, const au_event *ev, int64_t received_ms)
{
    row->source = au_strdup(ev->source);
    row->event_id = au_strdup(ev->event_id);
    row->type = au_strdup(ev->type);
    row->at_ms = ev->at_ms ? ev->at_ms : received_ms;
    row->received_ms = received_ms;
    row->customer = ev->customer ? json_dumps(ev->customer, JSON_COMPACT) : NULL;
    if (ev->properties) {
        row->properties = json_dumps(ev->properties, JSON_COMPACT);
    } else {
        json_t *empty = json_object();
        row->properties = empty ? json_dumps(empty, JSON_COMPACT) : NULL;
        json_decref(empty);
    }
    if (!row->source || !row->event_id || !row->type || !row->properties ||
        (ev->customer && !row->customer))
        return AU_ERR_NOMEM;
    return AU_OK;
}

au_rc au_engine_write_events(au_engine *e, au_event *evs, size_t n, const char *origin,
                             au_write_summary *sum, au_err *err)
{
    au_write_job *j = NULL;
    au_rc rc = AU_OK;
    if (sum)
        memset(sum, 0, sizeof(*sum));
    for (size_t i = 0; i < n; i++) {
        if (!evs[i].source || !evs[i].event_id || !evs[i].type) {
            if (!rc)
                rc = au_err_set(err, AU_ERR_INVALID, "events need a source, an id and a type");
            au_err_detail_add(err, (long)i, evs[i].event_id, NULL, "source, id and type required");
        }
    }
    if (rc)
        return rc;
    j = job_new(JOB_EVENTS, origin);
    if (!j || !(j->evs = au_calloc(n ? n : 1, sizeof(au_event_row)))) {
        job_free(j);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    j->weight = n ? n : 1;
    j->ev_out = evs;
    for (size_t i = 0; i < n; i++) {
        j->nev = i + 1;
        j->evs[i].origin = j->origin;
        if (event_prepare(&j->evs[i], &evs[i], j->at_ms)) {
            job_free(j);
            return au_err_set(err, AU_ERR_NOMEM, "out of memory");
        }
    }
    return run_job(e, j, sum, err);
}

au_rc au_engine_key_put(au_engine *e, const au_key_row *key, au_err *err)
{
    au_write_job *j = job_new(JOB_KEY_PUT, "");
    if (!j)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    j->u.key.id = au_strdup(key->id);
    j->u.key.scopes = au_strdup(key->scopes ? key->scopes : "[]");
    j->u.key.name = key->name ? au_strdup(key->name) : NULL;
    memcpy(j->u.key.hash, key->hash, sizeof(j->u.key.hash));
    if (key->created_ms)
        j->at_ms = key->created_ms;
    if (!j->u.key.id || !j->u.key.scopes || (key->name && !j->u.key.name)) {
        job_free(j);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    return run_job(e, j, NULL, err);
}

au_rc au_engine_key_revoke(au_engine *e, const char *id, au_err *err)
{
    au_write_job *j = job_new(JOB_KEY_REVOKE, "");
    if (!j || !(j->u.revoke.id = au_strdup(id))) {
        job_free(j);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    return run_job(e, j, NULL, err);
}

au_rc au_engine_remap_records(au_engine *e, const char *source, char **ids, size_t n,
                              const char *origin, au_remap_summary *sum, au_err *err)
{
    au_write_job *j = job_new(JOB_REMAP, origin);
    if (!j || !(j->u.remap.source = au_strdup(source))) {
        job_free(j);
        for (size_t i = 0; i < n; i++)
            au_free(ids[i]);
        au_free(ids);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    j->ids = ids;
    j->n = n;
    j->weight = n ? n : 1;
    j->remap = sum;
    return run_job(e, j, NULL, err);
}

au_rc au_engine_call(au_engine *e, au_engine_call_fn fn, void *ctx, const char *origin, au_err *err)
{
    au_write_job *j = job_new(JOB_CALL, origin);
    if (!j)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    j->u.call.fn = fn;
    j->u.call.ctx = ctx;
    return run_job(e, j, NULL, err);
}

/* ---- sources ----------------------------------------------------------------------------- */

au_rc au_engine_source_put(au_engine *e, const char *name, const json_t *def, au_err *err)
{
    au_source *src = NULL;
    au_write_job *j = NULL;
    au_rc rc;

    if (!name || !*name)
        return au_err_set(err, AU_ERR_INVALID, "a source needs a name");
    rc = au_source_new(name, def, &src, err);
    if (rc)
        return rc;
    j = job_new(JOB_SOURCE, "");
    if (!j) {
        au_source_free(src);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    j->u.source.src = src;
    j->u.source.name = au_strdup(name);
    char *json = json_dumps(def, JSON_COMPACT);
    if (json) {
        j->u.source.json = au_strdup(json);
        free(json);
    }
    if (!j->u.source.name || !j->u.source.json) {
        job_free(j);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    return run_job(e, j, NULL, err);
}

/* Store definitions override the config file's: they are later PUTs. An invalid stored
 * definition (written by an older version) is skipped with an error in the log. */
static int load_stored_source(void *ctx, const char *name, const char *def_json)
{
    au_engine *e = ctx;
    au_source *src = NULL;
    au_err err;
    json_error_t jerr;
    au_err_init(&err);
    json_t *def = json_loads(def_json, 0, &jerr);
    if (!def)
        au_err_set(&err, AU_ERR_PARSE, "stored definition is not JSON: %s", jerr.text);
    else if (au_source_new(name, def, &src, &err) == AU_OK)
        source_install(e, src);
    if (err.rc)
        au_log(AU_LOG_ERROR, "skipping stored source", "source", name, "error", err.message, NULL);
    json_decref(def);
    au_err_cleanup(&err);
    return 0;
}

static au_rc load_sources(au_engine *e, au_err *err)
{
    const char *name;
    json_t *def;
    if (e->cfg && json_is_object(e->cfg->sources)) {
        json_object_foreach(e->cfg->sources, name, def)
        {
            au_source *src = NULL;
            au_rc rc = au_source_new(name, def, &src, err);
            if (rc)
                return rc;
            source_install(e, src);
        }
    }
    au_rc rc = au_store_source_list(e->store, load_stored_source, e);
    if (rc)
        return au_err_set(err, rc, "cannot read the stored sources: %s", au_rc_message(rc));
    return AU_OK;
}

/* ---- open / close ------------------------------------------------------------------------ */

au_rc au_engine_open(const au_config *cfg, const char *data_dir, const au_engine_hook *const *hooks,
                     au_engine **out, au_err *err)
{
    return au_engine_open_at(cfg, data_dir, data_dir, hooks, out, err);
}

au_rc au_engine_open_at(const au_config *cfg, const char *store, const char *data_dir,
                        const au_engine_hook *const *hooks, au_engine **out, au_err *err)
{
    const char *dir = data_dir ? data_dir : cfg ? cfg->data_dir : NULL;
    const char *loc = store ? store : dir;
    au_engine *e = NULL;
    au_rc rc = AU_OK;

    *out = NULL;
    if (!loc || !*loc)
        return au_err_set(err, AU_ERR_INVALID, "no data directory configured");
    e = au_calloc(1, sizeof(*e));
    if (!e)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    e->cfg = cfg;
    e->hooks = hooks ? hooks : no_hooks;
    e->group_max = cfg && cfg->group_commit_max > 0 ? cfg->group_commit_max : ENGINE_DEFAULT_GROUP;
    e->queue_max = (size_t)e->group_max;
    e->applied_tail = &e->applied;
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->src_mu, NULL);
    pthread_mutex_init(&e->rd_mu, NULL);
    pthread_cond_init(&e->work_cv, NULL);
    pthread_cond_init(&e->space_cv, NULL);
    pthread_cond_init(&e->done_cv, NULL);
    e->location = au_strdup(loc);
    e->data_dir = au_strdup(dir && *dir ? dir : loc);
    if (!e->location || !e->data_dir) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = au_store_open(loc, AU_STORE_RW, &e->store, err);
    if (!rc) /* no half-working daemon on a back-end still missing domains */
        rc = au_store_require_complete(e->store, err);
    if (rc)
        goto out;
    rc = load_sources(e, err);
    if (rc)
        goto out;
    rc = hooks_open(e, err);
    if (rc)
        goto out;
    if (pthread_create(&e->writer, NULL, writer_main, e) != 0) {
        rc = au_err_set(err, AU_ERR_INTERNAL, "cannot start the writer thread");
        goto out;
    }
    e->writer_running = 1;
    *out = e;
    e = NULL;
out:
    au_engine_close(e);
    return rc;
}

/* Jobs still queued are committed first. Every job handed out by au_engine_submit_records must
 * still be passed to au_engine_wait (from another thread): close blocks until it has been, so
 * that no waiter touches a freed engine. */
void au_engine_close(au_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    pthread_cond_broadcast(&e->work_cv);
    pthread_cond_broadcast(&e->space_cv);
    pthread_mutex_unlock(&e->mu);
    if (e->writer_running)
        pthread_join(e->writer, NULL);
    /* Every submitted job must be waited for, and its waiter gone before the mutex is. */
    pthread_mutex_lock(&e->mu);
    while (e->outstanding > 0)
        pthread_cond_wait(&e->done_cv, &e->mu);
    pthread_mutex_unlock(&e->mu);

    hooks_close(e);
    for (int i = 0; i < e->nidle; i++)
        au_store_close(e->idle[i]);
    au_store_close(e->store);
    sources_free(e);
    au_free(e->location);
    au_free(e->data_dir);
    pthread_cond_destroy(&e->work_cv);
    pthread_cond_destroy(&e->space_cv);
    pthread_cond_destroy(&e->done_cv);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->src_mu);
    pthread_mutex_destroy(&e->rd_mu);
    au_free(e);
}

/* ---- readers and stats ------------------------------------------------------------------- */

au_store *au_engine_reader(au_engine *e)
{
    au_store *s = NULL;
    pthread_mutex_lock(&e->rd_mu);
    if (e->nidle > 0)
        s = e->idle[--e->nidle];
    pthread_mutex_unlock(&e->rd_mu);
    if (s)
        return s;
    au_err err;
    au_err_init(&err);
    if (au_store_open(e->location, AU_STORE_RO, &s, &err) != AU_OK) {
        au_log(AU_LOG_ERROR, "cannot open a store reader", "error", err.message, NULL);
        s = NULL;
    }
    au_err_cleanup(&err);
    return s;
}

void au_engine_reader_release(au_engine *e, au_store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&e->rd_mu);
    if (e->nidle < ENGINE_READER_POOL) {
        e->idle[e->nidle++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&e->rd_mu);
    au_store_close(s);
}

void au_engine_stats_get(au_engine *e, au_engine_stats *st)
{
    pthread_mutex_lock(&e->mu);
    st->commits = e->commits;
    st->jobs = e->jobs;
    st->queue_depth = e->queued_jobs;
    st->stopping = e->stopping;
    pthread_mutex_unlock(&e->mu);
}

const char *au_engine_location(au_engine *e)
{
    return e->location;
}

const char *au_engine_data_dir(au_engine *e)
{
    return e->data_dir;
}
