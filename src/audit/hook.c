/*
 * The audit engine hook: changes are logged inside the writer's transaction, reads are queued
 * and appended in batches (audit.h). On the writer, each job collects the record numbers it
 * wrote; when its savepoint is kept it becomes one pending entry; before the group commits, the
 * pending change entries and then the queued reads are chained (hash from the staged head) and
 * appended. Commit publishes the new head; a group rollback drops the change entries (their
 * changes are gone too) and puts the reads back at the front of the queue.
 *
 * A background thread (au_audit_start) wakes at least once a second: when reads wait it asks the
 * writer for a group (an empty au_engine_call), and every retention interval it runs the sweep.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"

/* Reads that may wait for the writer; a request finding the queue full waits for room. */
#define AU_AUDIT_QUEUE_MAX 65536
/* Queued reads that wake the flusher before its one-second tick: small enough that a group
 * appending them (a write group picks them up too) adds about a millisecond, not tens. */
#define AU_AUDIT_FLUSH_AT 256
/* Longest JSON array of ids built for one entry. */
#define AU_AUDIT_IDS_MAX (64u << 20)

/* One entry waiting to be appended. */
typedef struct entry {
    struct entry *next;
    int64_t at_ms;
    int change;        /* 1: a change (logged in its transaction), 0: a read */
    int request;       /* made for an API request (else an offline write: no profiles) */
    au_actor who;      /* key, client, route; key is the origin for writes without one */
    int64_t *profiles; /* profile ids */
    size_t nprof, cprof;
    int64_t *records; /* record numbers */
    size_t nrec, crec;
    char **refs; /* records named by "source\x1frecord id", numbered when appended */
    size_t nref, cref;
} entry;

typedef struct au_audit {
    au_engine *engine;   /* borrowed */
    au_retention ret;    /* retention windows */
    au_mask_policy mask; /* masking policy of read:masked keys */
    /* writer thread only */
    int64_t head_id, staged_id;      /* committed / staged chain head */
    uint8_t head[AU_AUDIT_HASH_LEN]; /* hash of head_id */
    uint8_t staged[AU_AUDIT_HASH_LEN];
    entry *job;                 /* what the current job collected */
    entry *group, **group_tail; /* kept jobs' entries, appended before commit */
    entry *drained;             /* queued reads taken into this group */
    int lost;                   /* a change could not be logged: the group must not commit */
    /* the queue of reads, any thread */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* flusher: reads arrived, or stopping */
    pthread_cond_t room; /* readers: the queue shrank */
    entry *qhead, **qtail;
    size_t nqueued;
    int stopping; /* au_audit_stop was called */
    pthread_t thread;
    int running;
} au_audit;

static void entry_free(entry *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->nref; i++)
        au_free(x->refs[i]);
    au_free(x->refs);
    au_free(x->profiles);
    au_free(x->records);
    au_free(x);
}

static void list_free(entry *x)
{
    while (x) {
        entry *n = x->next;
        entry_free(x);
        x = n;
    }
}

/* Appends an id; duplicates are removed once, before the entry is written (unique_ids), so a
 * job of n records costs n appends, not n^2 comparisons. */
static au_rc add_id(int64_t **ids, size_t *n, size_t *cap, int64_t id)
{
    if (AU_ARRAY_GROW(*ids, *cap, *n + 1, 4))
        return AU_ERR_NOMEM;
    (*ids)[(*n)++] = id;
    return AU_OK;
}

static au_rc add_ref(entry *x, const char *source, const char *record)
{
    if (!source || !record || !*source || !*record)
        return AU_OK;
    if (AU_ARRAY_GROW(x->refs, x->cref, x->nref + 1, 4))
        return AU_ERR_NOMEM;
    size_t ls = strlen(source), lr = strlen(record);
    char *r = au_malloc(ls + lr + 2);
    if (!r)
        return AU_ERR_NOMEM;
    memcpy(r, source, ls);
    r[ls] = '\x1f';
    memcpy(r + ls + 1, record, lr + 1);
    x->refs[x->nref++] = r;
    return AU_OK;
}

/* The path's own profile and record join every entry made for a request. */
static au_rc add_actor_ids(entry *x)
{
    au_rc rc = AU_OK;
    if (x->who.profile > 0)
        rc = add_id(&x->profiles, &x->nprof, &x->cprof, x->who.profile);
    if (!rc && x->who.source[0])
        rc = add_ref(x, x->who.source, x->who.record);
    return rc;
}

/* --- the writer's side -------------------------------------------------------------------- */

/* The entry of the current job, created on first use. */
static entry *job_entry(au_audit *a)
{
    if (!a->job)
        a->job = au_calloc(1, sizeof(entry));
    return a->job;
}

static au_rc audit_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    au_audit *a = au_calloc(1, sizeof(*a));
    au_rc rc;
    if (!a)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    a->engine = e;
    a->group_tail = &a->group;
    a->qtail = &a->qhead;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->wake, NULL);
    pthread_cond_init(&a->room, NULL);
    *state = a;
    if ((rc = au_retention_parse(au_engine_config(e), &a->ret, err)) ||
        (rc = au_mask_policy_parse(au_engine_config(e), &a->mask, err)))
        return rc;
    if ((rc = au_store_audit_head(st, &a->head_id, a->head)))
        return au_err_set(err, rc, "cannot read the head of the audit log");
    a->staged_id = a->head_id;
    memcpy(a->staged, a->head, AU_AUDIT_HASH_LEN);
    return AU_OK;
}

static void audit_close(void *state)
{
    au_audit *a = state;
    if (!a)
        return;
    entry_free(a->job);
    list_free(a->group);
    list_free(a->drained);
    list_free(a->qhead);
    pthread_cond_destroy(&a->wake);
    pthread_cond_destroy(&a->room);
    pthread_mutex_destroy(&a->mu);
    au_free(a);
}

static au_rc audit_record_written(void *state, au_store *st, const au_record *r,
                                  au_put_outcome outcome, int64_t version, int64_t at_ms)
{
    au_audit *a = state;
    entry *x = job_entry(a);
    if (!x)
        return AU_ERR_NOMEM;
    return add_id(&x->records, &x->nrec, &x->crec, au_store_record_last_no(st));
}

static au_rc audit_record_deleted(void *state, au_store *st, const char *source,
                                  const char *record_id, int64_t at_ms)
{
    au_audit *a = state;
    entry *x = job_entry(a);
    if (!x)
        return AU_ERR_NOMEM;
    return add_id(&x->records, &x->nrec, &x->crec, au_store_record_last_no(st));
}

/* An event names its customer; one named by a source record is logged as that record. */
static au_rc audit_event_written(void *state, au_store *st, const au_event_row *ev)
{
    au_audit *a = state;
    entry *x = job_entry(a);
    if (!x)
        return AU_ERR_NOMEM;
    json_t *c = ev->customer ? json_loads(ev->customer, 0, NULL) : NULL;
    au_rc rc = add_ref(x, json_string_value(json_object_get(c, "source")),
                       json_string_value(json_object_get(c, "record")));
    json_decref(c);
    return rc;
}

static void audit_rolled_back(void *state, au_store *st)
{
    au_audit *a = state;
    entry_free(a->job);
    a->job = NULL;
}

/* "import:/data/crm.csv" -> route "import". */
static void origin_kind(const char *origin, char *out, size_t cap)
{
    size_t n = strcspn(origin, ":");
    snprintf(out, cap, "%.*s", (int)n, origin);
}

/* The job's savepoint was kept: a job made for a request, or one that wrote records, becomes
 * an entry of the group. */
static void audit_job_kept(void *state)
{
    au_audit *a = state;
    entry *x = a->job;
    const au_actor *who = au_engine_job_actor(a->engine);
    a->job = NULL;
    if (!who && (!x || (!x->nrec && !x->nref))) {
        entry_free(x);
        return;
    }
    if (!x && !(x = au_calloc(1, sizeof(*x)))) {
        a->lost = 1; /* a change that cannot be logged is not committed (before_commit) */
        return;
    }
    x->change = 1;
    x->at_ms = au_wall_ms();
    if (who) {
        x->who = *who;
        x->request = 1;
    } else {
        const char *origin = au_engine_job_origin(a->engine);
        snprintf(x->who.key_id, sizeof(x->who.key_id), "%s", origin ? origin : "");
        origin_kind(origin ? origin : "", x->who.route, sizeof(x->who.route));
    }
    *a->group_tail = x;
    a->group_tail = &x->next;
}

/* Appends a JSON array of ids to b. */
static au_rc ids_json(au_buf *b, const int64_t *ids, size_t n)
{
    au_rc rc = au_buf_puts(b, "[");
    for (size_t i = 0; i < n && !rc; i++)
        rc = au_buf_printf(b, i ? ",%lld" : "%lld", (long long)ids[i]);
    return rc ? rc : au_buf_puts(b, "]");
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts ids and drops the repeats. */
static void unique_ids(int64_t *ids, size_t *n)
{
    size_t k = 0;
    if (*n < 2)
        return;
    qsort(ids, *n, sizeof(*ids), cmp_id);
    for (size_t i = 1; i < *n; i++)
        if (ids[i] != ids[k])
            ids[++k] = ids[i];
    *n = k + 1;
}

/* Numbers the records named by reference, and adds the profiles of the entry's records. */
static au_rc resolve_ids(au_store *st, entry *x)
{
    au_rc rc = AU_OK;
    for (size_t i = 0; i < x->nref && !rc; i++) {
        char *sep = strchr(x->refs[i], '\x1f');
        int64_t no = 0;
        *sep = '\0';
        rc = au_store_record_no(st, x->refs[i], sep + 1, &no);
        *sep = '\x1f';
        if (rc == AU_ERR_NOT_FOUND)
            rc = AU_OK; /* named but never written: nothing of it was touched */
        else if (!rc)
            rc = add_id(&x->records, &x->nrec, &x->crec, no);
    }
    unique_ids(x->records, &x->nrec);
    /* Offline bulk writes (no request) are logged by record only: a profile lookup per record
     * would cost an import a second per million records. */
    for (size_t i = 0; i < x->nrec && !rc && x->request; i++) {
        int64_t p = 0;
        rc = au_store_record_profile(st, x->records[i], &p);
        if (rc == AU_ERR_NOT_FOUND)
            rc = AU_OK;
        else if (!rc && p > 0)
            rc = add_id(&x->profiles, &x->nprof, &x->cprof, p);
    }
    unique_ids(x->profiles, &x->nprof);
    return rc;
}

/* Chains and appends one entry after the staged head. */
static au_rc append(au_audit *a, au_store *st, entry *x)
{
    au_buf prof, recs;
    au_buf_init(&prof, AU_AUDIT_IDS_MAX);
    au_buf_init(&recs, AU_AUDIT_IDS_MAX);
    au_rc rc = add_actor_ids(x);
    if (!rc)
        rc = resolve_ids(st, x);
    if (!rc)
        rc = ids_json(&prof, x->profiles, x->nprof);
    if (!rc)
        rc = ids_json(&recs, x->records, x->nrec);
    if (!rc) {
        au_audit_row r = {.id = a->staged_id + 1,
                          .at_ms = x->at_ms,
                          .action = x->change ? "change" : "read",
                          .key_id = x->who.key_id,
                          .client = x->who.client,
                          .route = x->who.route,
                          .profiles = prof.data,
                          .records = recs.data};
        au_audit_hash(a->staged, &r, r.hash);
        if (!(rc = au_store_audit_append(st, &r))) {
            a->staged_id = r.id;
            memcpy(a->staged, r.hash, AU_AUDIT_HASH_LEN);
        }
    }
    au_buf_cleanup(&prof);
    au_buf_cleanup(&recs);
    return rc;
}

/* Several nodes append to one chain (docs/POSTGRES.md, "Several nodes"): under the store's
 * decision lock, held to the commit, the chain goes on from the store's head, not from this
 * node's memory of it (another node may have appended since: same ids, a conflict). On SQLite
 * the head read is this node's own. Only when something is to be appended. */
static au_rc chain_from_store(au_audit *a, au_store *st)
{
    int64_t last = 0;
    pthread_mutex_lock(&a->mu);
    int reads = a->qhead != NULL;
    pthread_mutex_unlock(&a->mu);
    if (!a->group && !reads)
        return AU_OK;
    au_rc rc = au_store_resolve_lock(st, &last);
    if (!rc)
        rc = au_store_audit_head(st, &a->staged_id, a->staged);
    return rc;
}

static au_rc audit_before_commit(void *state, au_store *st)
{
    au_audit *a = state;
    au_rc rc = AU_OK;
    if (a->lost)
        return AU_ERR_NOMEM;
    if ((rc = chain_from_store(a, st)))
        return rc;
    for (entry *x = a->group; x && !rc; x = x->next)
        rc = append(a, st, x);
    if (rc)
        return rc;
    /* Reads queued so far ride on this commit. */
    pthread_mutex_lock(&a->mu);
    a->drained = a->qhead;
    a->qhead = NULL;
    a->qtail = &a->qhead;
    a->nqueued = 0;
    pthread_cond_broadcast(&a->room);
    pthread_mutex_unlock(&a->mu);
    for (entry *x = a->drained; x && !rc; x = x->next)
        rc = append(a, st, x);
    return rc;
}

static void audit_committed(void *state)
{
    au_audit *a = state;
    list_free(a->group);
    list_free(a->drained);
    a->group = a->drained = NULL;
    a->group_tail = &a->group;
    a->lost = 0;
    a->head_id = a->staged_id;
    memcpy(a->head, a->staged, AU_AUDIT_HASH_LEN);
}

/* The group was undone: its changes are gone with their entries; the reads go back in front
 * of the queue, to be appended with the next group. */
static void audit_group_rolled_back(void *state)
{
    au_audit *a = state;
    a->lost = 0;
    list_free(a->group);
    a->group = NULL;
    a->group_tail = &a->group;
    a->staged_id = a->head_id;
    memcpy(a->staged, a->head, AU_AUDIT_HASH_LEN);
    if (!a->drained)
        return;
    pthread_mutex_lock(&a->mu);
    entry *last = a->drained;
    size_t n = 1;
    for (; last->next; last = last->next)
        n++;
    last->next = a->qhead;
    if (!a->qhead)
        a->qtail = &last->next;
    a->qhead = a->drained;
    a->nqueued += n;
    a->drained = NULL;
    pthread_mutex_unlock(&a->mu);
}

const au_engine_hook au_audit_hook = {
    .name = "audit",
    .open = audit_open,
    .close = audit_close,
    .record_written = audit_record_written,
    .record_deleted = audit_record_deleted,
    .event_written = audit_event_written,
    .rolled_back = audit_rolled_back,
    .committed = audit_committed,
    .job_kept = audit_job_kept,
    .before_commit = audit_before_commit,
    .group_rolled_back = audit_group_rolled_back,
};

/* --- reads, from request threads ---------------------------------------------------------- */

static au_audit *state_of(au_engine *e)
{
    return au_engine_hook_state(e, "audit");
}

const au_mask_policy *au_audit_mask_policy(au_engine *e)
{
    au_audit *a = state_of(e);
    return a ? &a->mask : NULL;
}

au_rc au_audit_note_read(au_engine *e, const au_audit_read *r)
{
    au_audit *a = state_of(e);
    au_rc rc = AU_OK;
    if (!a)
        return AU_OK; /* an engine opened without the audit hook (tests of other modules) */
    entry *x = au_calloc(1, sizeof(*x));
    if (!x)
        return AU_ERR_NOMEM;
    x->at_ms = au_wall_ms();
    x->who = *r->who;
    x->request = 1;
    for (size_t i = 0; i < r->nprofiles && !rc; i++)
        rc = add_id(&x->profiles, &x->nprof, &x->cprof, r->profiles[i]);
    for (size_t i = 0; i < r->nrecords && !rc; i++)
        rc = add_ref(x, r->sources[i], r->records[i]);
    if (rc) {
        entry_free(x);
        return rc;
    }
    pthread_mutex_lock(&a->mu);
    while (a->nqueued >= AU_AUDIT_QUEUE_MAX && a->running && !a->stopping) {
        pthread_cond_signal(&a->wake);
        pthread_cond_wait(&a->room, &a->mu);
    }
    *a->qtail = x;
    a->qtail = &x->next;
    if (++a->nqueued >= AU_AUDIT_FLUSH_AT)
        pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->mu);
    return AU_OK;
}

/* --- the background thread: flushes and sweeps -------------------------------------------- */

/* An empty job: its only effect is a group, whose before_commit appends the queued reads. */
static au_rc flush_call(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    return AU_OK;
}

static void flush(au_audit *a)
{
    au_err err;
    au_err_init(&err);
    if (au_engine_call(a->engine, flush_call, NULL, "audit", &err))
        au_log(AU_LOG_ERROR, "cannot append queued audit entries", "error", err.message, NULL);
    au_err_cleanup(&err);
}

static void sweep(au_audit *a)
{
    au_sweep_counts n = {0};
    au_err err;
    au_err_init(&err);
    if (au_audit_sweep(a->engine, &a->ret, au_wall_ms(), &n, &err))
        au_log(AU_LOG_ERROR, "retention sweep failed", "error", err.message, NULL);
    else if (n.runs || n.audit) {
        char runs[24], audit[24];
        snprintf(runs, sizeof(runs), "%lld", (long long)n.runs);
        snprintf(audit, sizeof(audit), "%lld", (long long)n.audit);
        au_log(AU_LOG_INFO, "retention sweep", "runs_removed", runs, "audit_removed", audit, NULL);
    }
    au_err_cleanup(&err);
}

static void *background(void *arg)
{
    au_audit *a = arg;
    int64_t next_sweep = au_wall_ms();
    pthread_mutex_lock(&a->mu);
    while (!a->stopping) {
        int sweep_due = a->ret.interval_ms > 0 && au_wall_ms() >= next_sweep;
        if (a->nqueued || sweep_due) {
            pthread_mutex_unlock(&a->mu);
            if (sweep_due) {
                sweep(a);
                next_sweep = au_wall_ms() + a->ret.interval_ms;
            }
            flush(a);
            pthread_mutex_lock(&a->mu);
            if (a->stopping)
                break;
        }
        struct timespec until = au_timespec_of_ms(au_wall_ms() + 1000);
        if (a->nqueued < AU_AUDIT_FLUSH_AT)
            pthread_cond_timedwait(&a->wake, &a->mu, &until);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

au_rc au_audit_start(au_engine *e, au_err *err)
{
    au_audit *a = state_of(e);
    if (!a)
        return AU_OK;
    if (pthread_create(&a->thread, NULL, background, a) != 0)
        return au_err_set(err, AU_ERR_INTERNAL, "cannot start the audit thread");
    a->running = 1;
    return AU_OK;
}

void au_audit_stop(au_engine *e)
{
    au_audit *a = state_of(e);
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->stopping = 1;
    pthread_cond_broadcast(&a->wake);
    pthread_cond_broadcast(&a->room);
    pthread_mutex_unlock(&a->mu);
    if (a->running)
        pthread_join(a->thread, NULL);
    a->running = 0;
    /* What is still queued is appended now, before the engine closes. */
    if (a->nqueued)
        flush(a);
}
