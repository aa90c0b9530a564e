/*
 * Delivery of the outbox. A dispatcher thread reads pending rows (in id order) with a reader
 * handle and hands the due ones to a pool of sender threads, respecting each flow's
 * concurrency limit and per-partition order (a row is not sent while an earlier row of the
 * same flow and partition — the same customer — is in flight or waiting for its retry). Senders
 * call the step's connector; a recorder thread writes the outcomes of everything sent since its
 * last pass in one writer job (delivered; retry later with exponential backoff, jitter and the
 * target's Retry-After; or dead letter with the request, the response and the reason).
 *
 * Claims are in memory and in the store. In memory, a row is not dispatched twice by this node.
 * In the store, the rows a pass chose are leased to this node's name (outbox_claim, through the
 * writer) before they are sent, so that other nodes sharing the store skip them; a row another
 * node leased holds back its partition here as an in-flight row would. Leases last LEASE_MS and
 * are renewed every RENEW_MS while deliveries are in flight, so a node killed with -9 leaves
 * rows that any other node takes over once the lease ran out, and sends again with the same
 * idempotency key (at-least-once). A node starting again releases the leases held under its
 * (stable) name at once. A row stays "pending" in the store until its outcome is committed.
 * A store no other process can write (au_store_shared: SQLite) needs no leases: the claim was
 * a write through the writer before every send, which cost each delivery a group commit
 * (`bench/flows.sh 30000 32 1`: p50 16–31 ms with it, 10–11 ms without).
 *
 * Connectors with start/finish (http) do not take a sender: one thread drives all of their
 * transfers at once on a libcurl multi handle (curl_multi_poll), so the number of requests in
 * flight is bounded by the flows' concurrency limits, not by threads. The others (file,
 * postgres, nats, upsert_record) block a sender thread per delivery.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "flows/flows_int.h"
#include "flows/secrets.h"
#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/isotime.h"
#include "lib/redact.h"

#define SENDERS       16    /* sender threads for blocking connectors */
#define PASS_GAP_US   2000  /* least time between two dispatcher passes */
#define SCAN_MIN      256   /* pending rows looked at per dispatcher pass, at first */
#define SCAN_MAX      8192  /* ... and at most, when the head of the outbox is held back */
#define IDLE_WAKE_MS  1000  /* dispatcher wakes at least this often */
#define BLOCKED_SLOTS 8192  /* partition hash set per pass (power of two) */
#define RECORD_MAX    512   /* outcomes recorded per writer job */
#define LEASE_MS      30000 /* how long a claimed row is this node's without a renewal */
#define RENEW_MS      10000 /* leases of rows in flight are renewed this often */

static const long lat_bounds[AU_FLOWS_NBUCKETS] = {1,   5,    10,   25,   50,    100,  250,
                                                   500, 1000, 2500, 5000, 10000, 60000};

typedef struct job {
    struct job *next;
    int64_t id, run_id, created_ms;
    char *flow, *step_id, *idem_key, *partition, *input;
    int attempts;       /* before this send */
    int elsewhere;      /* leased by another node whose lease has not run out */
    uint64_t part_hash; /* 0 when no partition */
    flow_entry *e;      /* reference, NULL when the flow is gone */
    au_delivery res;    /* outcome of the send */
    int64_t send_ms;    /* duration of the send */
    char *request;      /* what was sent (JSON), on failures only */
    /* while on the multi handle: */
    const au_flow_step *step; /* borrowed from e */
    json_t *ctx;              /* the run context, owned */
    void *xfer;               /* the connector's transfer */
    int64_t start_ms;         /* when it started */
} job;

struct deliver {
    au_flows *f;
    pthread_mutex_t mu;
    pthread_cond_t dispatch_cv, work_cv, done_cv;
    int stopping, kicked;
    job *work, *work_tail; /* to send by a sender thread */
    job *mwork;            /* to start on the multi handle (any order: rows are independent) */
    CURLM *multi;          /* transfers of start/finish connectors */
    pthread_t multi_thread;
    int multi_running;
    job *done;      /* sent, to record */
    job **inflight; /* claimed rows (work, sending, done), until recorded */
    size_t ninflight, cap;
    /* Rows recorded while a dispatcher pass was reading: its snapshot may still show them as
     * pending (or due), so that pass must not dispatch them again. */
    int64_t *recent;
    size_t nrecent, recent_cap;
    int scanning;
    unsigned long passes;   /* dispatcher passes completed, under mu (a test waits for one) */
    unsigned long wanted;   /* under mu: pass again at once until this many ran */
    int64_t held_until;     /* the last pass's earliest due time of rows held for time */
    pthread_cond_t pass_cv; /* a pass completed */
    int64_t renewed_ms;     /* dispatcher only: when the leases in flight were last renewed */
    int leased;             /* the store is shared with other nodes: rows are leased to send */
    pthread_t dispatcher, recorder, senders[SENDERS];
    int nsenders, dispatcher_running, recorder_running;
};

static void job_free(au_flows *f, job *j)
{
    if (!j)
        return;
    au_flows_release(f, j->e);
    au_free(j->flow);
    au_free(j->step_id);
    au_free(j->idem_key);
    au_free(j->partition);
    au_free(j->input);
    au_free(j->request);
    json_decref(j->ctx);
    au_free(j);
}

static void wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms)
{
    struct timespec ts = au_timespec_of_ms(au_wall_ms() + ms);
    pthread_cond_timedwait(cv, mu, &ts);
}

int64_t au_flows_deliver_pass(au_flows *f)
{
    deliver *d = f->dl;
    if (!d)
        return INT64_MAX;
    pthread_mutex_lock(&d->mu);
    /* The pass running now may have read the clock before the caller changed it: wait for the
     * one after it, which starts after this kick. */
    unsigned long want = d->passes + 2;
    if (d->wanted < want)
        d->wanted = want;
    d->kicked = 1;
    pthread_cond_signal(&d->dispatch_cv);
    while (d->passes < want && !d->stopping)
        pthread_cond_wait(&d->pass_cv, &d->mu);
    int64_t held = d->held_until;
    pthread_mutex_unlock(&d->mu);
    return held;
}

/* Called on the writer thread after a commit that added outbox rows, and by request threads:
 * f->dl is read under dl_mu, so a commit during au_flows_deliver_stop (the audit thread's
 * flush, a lease release) never kicks a freed dispatcher. Lock order: dl_mu, then d->mu. */
void au_flows_deliver_kick(au_flows *f)
{
    pthread_mutex_lock(&f->dl_mu);
    deliver *d = f->dl;
    if (d) {
        pthread_mutex_lock(&d->mu);
        d->kicked = 1;
        pthread_cond_signal(&d->dispatch_cv);
        pthread_mutex_unlock(&d->mu);
    }
    pthread_mutex_unlock(&f->dl_mu);
}

/* --- preview: what a step sends ------------------------------------------------------------ */

json_t *au_flows_preview(const au_flow_step *s, const json_t *ctx, int64_t now_ms)
{
    json_t *out = json_object();
    for (const au_connector_option *o = s->connector->options; out && o->name; o++) {
        const au_flow_value *v = au_flow_step_value(s, o->name);
        json_t *val = NULL;
        au_expr_error ee;
        if (!strcmp(o->name, "secret")) {
            if (json_object_get(s->config, o->name))
                json_object_set_new(out, o->name, json_string("********"));
            continue;
        }
        if (v && o->type == AU_OPT_TEMPLATE) {
            char *txt = NULL;
            int flags = !strcmp(o->name, "url") ? AU_TMPL_URLENCODE : 0;
            if (au_flow_value_render(v, ctx, now_ms, flags, &txt, &ee) == AU_OK)
                val = json_string(txt);
            else
                val = json_pack("{s:s}", "error", ee.message);
            au_free(txt);
        } else if (v) {
            if (au_flow_value_eval(v, ctx, now_ms, &val, &ee))
                val = json_pack("{s:s}", "error", ee.message);
        } else {
            val = json_incref(json_object_get(s->config, o->name));
        }
        if (val)
            json_object_set_new(out, o->name, val);
    }
    au_redact_json(out); /* credentials by type: headers, URL passwords, conninfo password= */
    return out;
}

/* --- dispatcher ---------------------------------------------------------------------------- */

typedef struct scan {
    job **rows;
    size_t n;
    const char *node; /* this node's name: its own leases are no obstacle */
    int64_t now;      /* leases that end before this have run out */
} scan;

static char *dup0(const char *s)
{
    return au_strdup(s ? s : "");
}

static int collect(void *ctx, const au_outbox_row *r)
{
    scan *s = ctx;
    job *j = au_calloc(1, sizeof(*j));
    if (!j)
        return AU_ERR_NOMEM;
    j->id = r->id;
    j->run_id = r->run_id;
    j->created_ms = r->created_ms;
    j->attempts = r->attempts;
    j->elsewhere = r->claimed_by && strcmp(r->claimed_by, s->node) && r->lease_until >= s->now;
    j->res.retry_after_ms = r->next_ms; /* due time, until the send overwrites it */
    j->flow = dup0(r->flow);
    j->step_id = dup0(r->step_id);
    j->idem_key = dup0(r->idem_key);
    j->partition = dup0(r->partition);
    j->input = dup0(r->input);
    s->rows[s->n++] = j;
    if (!j->flow || !j->step_id || !j->idem_key || !j->partition || !j->input)
        return AU_ERR_NOMEM;
    /* Order is kept per flow (one flow = one target): a customer's deliveries to a target that
     * is down wait for it, not that customer's deliveries of every other flow. */
    j->part_hash = *j->partition ? (XXH3_64bits_withSeed(j->partition, strlen(j->partition),
                                                         XXH3_64bits(j->flow, strlen(j->flow))) |
                                    1)
                                 : 0;
    return 0;
}

typedef struct blocked {
    uint64_t slot[BLOCKED_SLOTS];
} blocked;

static int blocked_has(const blocked *b, uint64_t h)
{
    for (size_t i = h & (BLOCKED_SLOTS - 1);; i = (i + 1) & (BLOCKED_SLOTS - 1)) {
        if (b->slot[i] == h)
            return 1;
        if (!b->slot[i])
            return 0;
    }
}

static void blocked_add(blocked *b, uint64_t h, size_t *n)
{
    if (!h || *n >= BLOCKED_SLOTS / 2 || blocked_has(b, h))
        return;
    size_t i = h & (BLOCKED_SLOTS - 1);
    while (b->slot[i])
        i = (i + 1) & (BLOCKED_SLOTS - 1);
    b->slot[i] = h;
    (*n)++;
}

static int is_inflight(const deliver *d, int64_t id)
{
    for (size_t i = 0; i < d->ninflight; i++)
        if (d->inflight[i]->id == id)
            return 1;
    for (size_t i = 0; i < d->nrecent; i++)
        if (d->recent[i] == id)
            return 1;
    return 0;
}

static void recent_add(deliver *d, int64_t id)
{
    if (AU_ARRAY_GROW(d->recent, d->recent_cap, d->nrecent + 1, 256))
        return; /* then the row may be sent twice: still at-least-once */
    d->recent[d->nrecent++] = id;
}

static int inflight_add(deliver *d, job *j)
{
    if (AU_ARRAY_GROW(d->inflight, d->cap, d->ninflight + 1, 64))
        return -1;
    d->inflight[d->ninflight++] = j;
    return 0;
}

static void inflight_remove(deliver *d, job *j)
{
    for (size_t i = 0; i < d->ninflight; i++)
        if (d->inflight[i] == j) {
            d->inflight[i] = d->inflight[--d->ninflight];
            return;
        }
}

static void push_work(deliver *d, job *j)
{
    j->next = NULL;
    if (d->work_tail)
        d->work_tail->next = j;
    else
        d->work = j;
    d->work_tail = j;
    pthread_cond_signal(&d->work_cv);
}

static const au_flow_step *find_step(const flow_entry *e, const char *id, size_t *index);

/* 1 when the row's step is delivered on the multi handle. */
static int is_async(const job *j)
{
    size_t i;
    const au_flow_step *s = find_step(j->e, j->step_id, &i);
    return s && s->connector->start && s->connector->finish;
}

/* Decides for each scanned row (under d->mu); the rows to send are moved to the front of
 * s->rows (*nchosen of them), counted in flight, and still to be claimed in the store. Returns
 * the earliest due time of rows held back for time, or INT64_MAX. Rows not chosen are freed. A
 * row leased by another node holds back its partition like one in flight here. */
static int64_t dispatch(deliver *d, scan *s, blocked *b, int64_t now, size_t *nchosen)
{
    size_t nb = 0;
    int64_t soonest = INT64_MAX;
    memset(b, 0, sizeof(*b));
    for (size_t i = 0; i < d->ninflight; i++)
        blocked_add(b, d->inflight[i]->part_hash, &nb);
    for (size_t i = 0; i < s->n; i++) {
        job *j = s->rows[i];
        s->rows[i] = NULL;
        int64_t due = j->res.retry_after_ms;
        int hold =
            j->elsewhere || is_inflight(d, j->id) || (j->part_hash && blocked_has(b, j->part_hash));
        if (!hold && due > now) {
            hold = 1;
            soonest = due < soonest ? due : soonest;
        }
        if (!hold) {
            j->e = au_flows_acquire(d->f, j->flow);
            long limit = j->e ? j->e->def->concurrency : 1;
            if (j->e && j->e->inflight >= limit)
                hold = 1;
        }
        blocked_add(b, j->part_hash, &nb);
        if (hold || inflight_add(d, j)) {
            job_free(d->f, j);
            continue;
        }
        if (j->e)
            j->e->inflight++;
        memset(&j->res, 0, sizeof(j->res));
        s->rows[(*nchosen)++] = j;
    }
    return soonest;
}

/* Hands a claimed row to its sender (under d->mu). */
static void start(deliver *d, job *j)
{
    if (d->multi && is_async(j)) {
        j->next = d->mwork;
        d->mwork = j;
        curl_multi_wakeup(d->multi);
    } else {
        push_work(d, j);
    }
}

/* The rows a pass chose, their ids in ascending order (the scan's), and which ones were won. */
typedef struct claim_ctx {
    au_flows *f;
    const char *node;
    int64_t *ids;
    unsigned char *won;
    int n;
} claim_ctx;

static int claim_won(void *ctx, int64_t id)
{
    claim_ctx *c = ctx;
    int lo = 0, hi = c->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->ids[mid] == id) {
            c->won[mid] = 1;
            break;
        }
        if (c->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

static au_rc claim_in_writer(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    claim_ctx *c = ctx;
    int64_t now = au_flows_now_ms(c->f);
    memset(c->won, 0, (size_t)c->n);
    au_rc rc = au_store_outbox_claim(st, c->node, c->ids, c->n, now, now + LEASE_MS, claim_won, c);
    return rc ? au_err_set(err, rc, "cannot claim outbox rows") : AU_OK;
}

/* Leases the chosen rows s->rows[0..n) to this node (d->mu not held), then starts those won and
 * forgets the others (another node is sending them, or the claim failed and the next pass tries
 * again). The in-memory claim held them meanwhile, so no other pass of this node chose them. */
static void claim_and_start(deliver *d, scan *s, size_t n)
{
    claim_ctx c = {d->f, d->f->node, au_calloc(n ? n : 1, sizeof(int64_t)), au_calloc(n ? n : 1, 1),
                   (int)n};
    au_err err;
    au_err_init(&err);
    int ok = c.ids && c.won;
    for (size_t i = 0; ok && i < n; i++)
        c.ids[i] = s->rows[i]->id;
    if (ok && !d->leased)
        memset(c.won, 1, n); /* no other node: the in-memory claim is the whole claim */
    else if (ok && n && au_engine_call(d->f->engine, claim_in_writer, &c, "flows", &err)) {
        au_log(AU_LOG_WARN, "outbox rows not claimed (tried again)", "error", err.message, NULL);
        ok = 0;
    }
    au_err_cleanup(&err);
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < n; i++) {
        job *j = s->rows[i];
        s->rows[i] = NULL;
        if (ok && c.won[i]) {
            start(d, j);
            continue;
        }
        if (j->e)
            j->e->inflight--;
        inflight_remove(d, j);
        job_free(d->f, j);
    }
    pthread_mutex_unlock(&d->mu);
    au_free(c.ids);
    au_free(c.won);
}

typedef struct lease_ctx {
    au_flows *f;
    int release; /* 1: drop the leases, 0: extend them */
    int64_t released;
} lease_ctx;

static au_rc lease_in_writer(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    lease_ctx *l = ctx;
    au_rc rc = l->release ? au_store_outbox_release(st, l->f->node, &l->released)
                          : au_store_outbox_renew(st, l->f->node, au_flows_now_ms(l->f) + LEASE_MS);
    return rc ? au_err_set(err, rc, "cannot update the outbox leases") : AU_OK;
}

/* Extends or drops every lease this node holds; best effort (a lease not renewed runs out and
 * another node sends the row again, with the same idempotency key). */
static void leases(au_flows *f, int release)
{
    lease_ctx l = {f, release, 0};
    au_err err;
    au_err_init(&err);
    /* A release at shutdown after the writer stopped fails: those leases run out instead. */
    if (au_engine_call(f->engine, lease_in_writer, &l, "flows", &err))
        au_log(release ? AU_LOG_INFO : AU_LOG_WARN,
               release ? "outbox leases not released" : "outbox leases not renewed", "error",
               err.message, NULL);
    else if (release && l.released) {
        char n[24];
        snprintf(n, sizeof(n), "%lld", (long long)l.released);
        au_log(AU_LOG_INFO, "released the outbox leases this node held", "node", f->node, "rows", n,
               NULL);
    }
    au_err_cleanup(&err);
}

/* Renews the leases every RENEW_MS while something is in flight (d->mu not held). */
static void renew_due(deliver *d)
{
    int64_t now = au_flows_now_ms(d->f);
    pthread_mutex_lock(&d->mu);
    int busy = d->ninflight > 0;
    pthread_mutex_unlock(&d->mu);
    if (!busy || !d->leased || (now - d->renewed_ms < RENEW_MS && now >= d->renewed_ms))
        return;
    d->renewed_ms = now;
    leases(d->f, 0);
}

static void *dispatcher_main(void *arg)
{
    deliver *d = arg;
    scan s = {au_calloc(SCAN_MAX, sizeof(job *)), 0, d->f->node, 0};
    int limit = SCAN_MIN;
    long long last_pass = 0;
    blocked *b = au_malloc(sizeof(*b));
    int64_t next_due = 0;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping && s.rows && b) {
        int64_t now = au_flows_now_ms(d->f);
        if (!d->kicked && d->passes >= d->wanted && next_due > now) {
            int64_t w = next_due - now < IDLE_WAKE_MS ? next_due - now : IDLE_WAKE_MS;
            wait_ms(&d->dispatch_cv, &d->mu, w);
            if (d->stopping)
                break;
        }
        /* Under load every commit and every send kicks: passes are at least PASS_GAP_US
         * apart so that reading the outbox does not eat the CPU the deliveries need. */
        pthread_mutex_unlock(&d->mu);
        long long gap = (long long)au_mono_us() - last_pass;
        if (gap < PASS_GAP_US) {
            struct timespec ts = {0, (PASS_GAP_US - gap) * 1000L};
            nanosleep(&ts, NULL);
        }
        last_pass = (long long)au_mono_us();
        pthread_mutex_lock(&d->mu);
        if (d->stopping)
            break;
        d->kicked = 0;
        d->nrecent = 0;
        d->scanning = 1;
        pthread_mutex_unlock(&d->mu);
        renew_due(d);
        au_store *st = au_engine_reader(d->f->engine);
        s.n = 0;
        s.now = au_flows_now_ms(d->f);
        /* A failed scan leaves s.n rows (maybe 0); the next pass scans again. */
        if (st)
            AU_BEST_EFFORT(au_store_outbox_pending(st, limit, collect, &s));
        au_engine_reader_release(d->f->engine, st);
        pthread_mutex_lock(&d->mu);
        now = au_flows_now_ms(d->f);
        size_t before = d->ninflight, read = s.n, chosen = 0;
        int64_t soonest = dispatch(d, &s, b, now, &chosen);
        /* A full pass that could start nothing looks further next time (rows behind a held
         * head may be ready); a pass that started something goes back to a short read. */
        if (d->ninflight == before && read == (size_t)limit)
            limit = limit * 2 > SCAN_MAX ? SCAN_MAX : limit * 2;
        else if (d->ninflight > before)
            limit = SCAN_MIN;
        d->scanning = 0;
        d->nrecent = 0;
        d->held_until = soonest;
        pthread_mutex_unlock(&d->mu);
        /* Claimed before the pass counts as done: a test waiting for a pass then finds the rows
         * it made due started. */
        claim_and_start(d, &s, chosen);
        pthread_mutex_lock(&d->mu);
        d->passes++;
        pthread_cond_broadcast(&d->pass_cv);
        next_due = soonest == INT64_MAX ? now + IDLE_WAKE_MS : soonest;
    }
    pthread_mutex_unlock(&d->mu);
    for (size_t i = 0; s.rows && i < s.n; i++)
        job_free(d->f, s.rows[i]);
    au_free(s.rows);
    au_free(b);
    return NULL;
}

/* --- senders ------------------------------------------------------------------------------- */

static const au_flow_step *find_step(const flow_entry *e, const char *id, size_t *index)
{
    for (size_t i = 0; e && i < e->def->nsteps; i++)
        if (!strcmp(e->def->steps[i].id, id)) {
            *index = i;
            return &e->def->steps[i];
        }
    return NULL;
}

/* The step's connector state, prepared on first use. */
static int step_state(au_flows *f, flow_entry *e, size_t i, void **state, au_delivery *out)
{
    const au_flow_step *s = &e->def->steps[i];
    const au_connector *c = s->connector;
    int rc = 0;
    pthread_mutex_lock(&e->prep_mu);
    if (!e->prepared[i]) {
        au_err err;
        au_err_init(&err);
        au_connector_env env = {f->engine, e->def->name};
        au_rc prc = c->prepare_env ? c->prepare_env(s, &env, &e->states[i], &err)
                    : c->prepare   ? c->prepare(s, &e->states[i], &err)
                                   : AU_ERR_UNSUPPORTED;
        if (prc) {
            /* A configuration that can never work is not retried (connector.h, prepare). */
            int never = prc == AU_ERR_INVALID || prc == AU_ERR_FORBIDDEN;
            au_delivery_set(out, never ? AU_DELIVER_FAIL : AU_DELIVER_RETRY,
                            "%s step cannot start: %s", c->name,
                            err.message[0] ? err.message : au_rc_message(prc));
            rc = -1;
        } else {
            e->prepared[i] = 1;
        }
        au_err_cleanup(&err);
    }
    *state = e->states[i];
    pthread_mutex_unlock(&e->prep_mu);
    return rc;
}

/* Finds the job's step, parses its context and prepares the connector; NULL with j->res set
 * when there is nothing to send. */
static const au_flow_step *begin(au_flows *f, job *j, size_t *i, void **state)
{
    const au_flow_step *s = find_step(j->e, j->step_id, i);
    j->res.retry_after_ms = -1;
    if (!j->e) {
        au_delivery_set(&j->res, AU_DELIVER_FAIL, "flow \"%s\" no longer exists", j->flow);
        return NULL;
    }
    if (!s) {
        au_delivery_set(&j->res, AU_DELIVER_FAIL, "step \"%s\" is no longer in the flow",
                        j->step_id);
        return NULL;
    }
    if (!s->connector->send) {
        au_delivery_set(&j->res, AU_DELIVER_FAIL, "%s steps cannot deliver", s->connector->name);
        return NULL;
    }
    if (!(j->ctx = json_loads(j->input, 0, NULL))) {
        au_delivery_set(&j->res, AU_DELIVER_FAIL, "stored run input is not JSON");
        return NULL;
    }
    json_object_set_new(j->ctx, "delivery",
                        json_pack("{s:s,s:i,s:s,s:s}", "key", j->idem_key, "attempt",
                                  j->attempts + 1, "flow", j->flow, "step", j->step_id));
    /* Secret values exist only in this copy of the context, for the connector to render. */
    json_object_set_new(j->ctx, "secret", au_secrets_context(f->secrets, 1));
    j->start_ms = au_flows_now_ms(f);
    return step_state(f, j->e, *i, state, &j->res) == 0 ? s : NULL;
}

/* After the attempt: keeps what was sent when it failed (for the dead letters), with secrets
 * as their [secret:NAME] placeholders, and scrubs any secret value the target echoed back. */
static void end(au_flows *f, job *j, const au_flow_step *s)
{
    char *scrubbed = au_secrets_scrub(f->secrets, j->res.message);
    if (scrubbed)
        snprintf(j->res.message, sizeof(j->res.message), "%s", scrubbed);
    au_free(scrubbed);
    if (j->res.status != AU_DELIVER_OK && s && j->ctx) {
        json_object_set_new(j->ctx, "secret", au_secrets_context(f->secrets, 0));
        json_t *req = au_flows_preview(s, j->ctx, j->start_ms);
        char *txt = req ? json_dumps(req, JSON_COMPACT) : NULL;
        j->request = txt ? au_strdup(txt) : NULL;
        free(txt);
        json_decref(req);
    }
    json_decref(j->ctx);
    j->ctx = NULL;
}

static void send_one(au_flows *f, job *j)
{
    size_t i = 0;
    void *state = NULL;
    const au_flow_step *s = begin(f, j, &i, &state);
    if (s) {
        s->connector->send(state, s, j->ctx, j->start_ms, &j->res);
        j->send_ms = au_flows_now_ms(f) - j->start_ms;
    }
    end(f, j, s ? s : find_step(j->e, j->step_id, &i));
}

/* The target is free again; the row stays claimed until its outcome is recorded. */
static void sent(deliver *d, job *j)
{
    pthread_mutex_lock(&d->mu);
    if (j->e)
        j->e->inflight--;
    pthread_cond_signal(&d->dispatch_cv);
    d->kicked = 1;
    j->next = d->done;
    d->done = j;
    pthread_cond_signal(&d->done_cv);
    pthread_mutex_unlock(&d->mu);
}

static void *sender_main(void *arg)
{
    deliver *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->work && !d->stopping)
            pthread_cond_wait(&d->work_cv, &d->mu);
        if (d->stopping)
            break;
        job *j = d->work;
        d->work = j->next;
        if (!d->work)
            d->work_tail = NULL;
        pthread_mutex_unlock(&d->mu);
        send_one(d->f, j);
        sent(d, j);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* --- the multi handle: every http transfer at once on one thread ----------------------------- */

/* Starts a job's transfer; 0 when it is on the multi handle, else j->res says why not. */
static int multi_start(deliver *d, job *j)
{
    size_t i = 0;
    void *state = NULL, *easy = NULL;
    const au_flow_step *s = begin(d->f, j, &i, &state);
    if (!s) {
        end(d->f, j, find_step(j->e, j->step_id, &i));
        return -1;
    }
    if (s->connector->start(state, s, j->ctx, j->start_ms, &j->xfer, &easy, &j->res)) {
        end(d->f, j, s);
        return -1;
    }
    j->step = s;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)j);
    if (curl_multi_add_handle(d->multi, easy) != CURLM_OK) {
        s->connector->finish(j->xfer, CURLE_FAILED_INIT, &j->res);
        end(d->f, j, s);
        return -1;
    }
    return 0;
}

/* Hands the finished transfers to the connector and the recorder; returns how many. */
static int multi_reap(deliver *d)
{
    CURLMsg *m;
    int left, n = 0;
    while ((m = curl_multi_info_read(d->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode cc = m->data.result; /* m is gone once the handle is removed */
        char *p = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
        job *j = (job *)p;
        curl_multi_remove_handle(d->multi, easy);
        j->step->connector->finish(j->xfer, cc, &j->res);
        j->send_ms = au_flows_now_ms(d->f) - j->start_ms;
        end(d->f, j, j->step);
        sent(d, j);
        n++;
    }
    return n;
}

/* Takes new jobs (until stopping), drives the transfers, reaps the finished ones. On stop the
 * transfers in progress run to their end (or time-out) and are recorded, as a sender's are. */
static void *multi_main(void *arg)
{
    deliver *d = arg;
    int active = 0;
    for (;;) {
        pthread_mutex_lock(&d->mu);
        int stopping = d->stopping;
        job *list = stopping ? NULL : d->mwork;
        if (!stopping)
            d->mwork = NULL;
        pthread_mutex_unlock(&d->mu);
        if (stopping && !active)
            break;
        while (list) {
            job *j = list;
            list = j->next;
            if (multi_start(d, j) == 0)
                active++;
            else
                sent(d, j);
        }
        int running = 0;
        curl_multi_perform(d->multi, &running);
        active -= multi_reap(d);
        /* Wakes on socket activity, a transfer's time-out or curl_multi_wakeup (new work). */
        if (active || !stopping)
            curl_multi_poll(d->multi, NULL, 0, IDLE_WAKE_MS, NULL);
    }
    return NULL;
}

/* --- recorder ------------------------------------------------------------------------------ */

/* 0 delivered, 1 retry later, 2 dead: the recorder and the counters share this decision. */
static int decide(const au_flowdef *def, int status, int attempts)
{
    if (status == AU_DELIVER_OK)
        return 0;
    long max = def ? def->max_attempts : 1;
    return status == AU_DELIVER_RETRY && attempts + 1 < max ? 1 : 2;
}

static int verdict(const job *j)
{
    return decide(j->e ? j->e->def : NULL, j->res.status, j->attempts);
}

au_retry_plan au_flows_retry_plan(const au_flowdef *def, int status, int attempts,
                                  long retry_after_ms, int64_t now_ms,
                                  uint32_t (*uniform)(uint32_t upper))
{
    au_retry_plan p = {decide(def, status, attempts), 0};
    if (p.verdict != 1)
        return p;
    int n = attempts + 1;
    int64_t delay = def->backoff_ms;
    for (int i = 1; i < n && delay < def->max_backoff_ms; i++)
        delay *= 2;
    if (delay > def->max_backoff_ms)
        delay = def->max_backoff_ms;
    /* Full jitter over the upper half spreads the retries of many deliveries. */
    delay =
        delay / 2 + (int64_t)(uniform ? uniform : randombytes_uniform)((uint32_t)(delay / 2 + 1));
    if (retry_after_ms >= 0)
        delay = retry_after_ms;
    p.next_ms = now_ms + delay;
    return p;
}

static au_rc record_one(au_store *st, job *j, int64_t now)
{
    au_retry_plan plan = au_flows_retry_plan(j->e ? j->e->def : NULL, j->res.status, j->attempts,
                                             j->res.retry_after_ms, now, NULL);
    int v = plan.verdict, n = j->attempts + 1;
    static const char *const names[] = {"delivered", "retrying", "dead"};
    json_t *sum = json_pack("{s:s,s:i,s:I}", "status", names[v], "attempts", n, "send_ms",
                            (json_int_t)j->send_ms);
    char *txt = NULL;
    au_rc rc = AU_ERR_NOMEM;
    if (!sum)
        goto out;
    if (j->res.http_status)
        json_object_set_new(sum, "http_status", json_integer(j->res.http_status));
    if (j->res.message[0])
        json_object_set_new(sum, "response", json_string(j->res.message));
    int64_t next = plan.next_ms;
    if (v == 1) {
        char at[32];
        au_iso8601_format(next, at, sizeof(at));
        json_object_set_new(sum, "next_attempt_at", json_string(at));
    }
    if (!(txt = json_dumps(sum, JSON_COMPACT)))
        goto out;
    rc = au_store_outbox_set(st, j->id,
                             v == 0   ? AU_OUTBOX_DELIVERED
                             : v == 1 ? AU_OUTBOX_PENDING
                                      : AU_OUTBOX_DEAD,
                             n, next, j->res.message[0] ? j->res.message : NULL);
    char reason[400] = "", error[480] = "";
    if (!rc && v == 2) {
        char resp[400];
        snprintf(reason, sizeof(reason), "%s: %s",
                 j->res.status == AU_DELIVER_FAIL ? "permanent failure" : "retries exhausted",
                 j->res.message);
        /* The run's error names the step, so a run with several steps says which one. */
        snprintf(error, sizeof(error), "step %s: %s (attempt %d)", j->step_id, reason, n);
        json_t *rj =
            json_pack("{s:i,s:s}", "http_status", j->res.http_status, "message", j->res.message);
        char *rtxt = rj ? json_dumps(rj, JSON_COMPACT) : NULL;
        snprintf(resp, sizeof(resp), "%s", rtxt ? rtxt : "{}");
        free(rtxt);
        json_decref(rj);
        au_dead_row dl = {.outbox_id = j->id,
                          .run_id = j->run_id,
                          .flow = j->flow,
                          .step_id = j->step_id,
                          .request = j->request,
                          .response = resp,
                          .reason = reason,
                          .created_ms = now};
        rc = au_store_dead_add(st, &dl, NULL);
    }
    if (!rc)
        rc = au_store_run_step(st, j->run_id, j->step_id, txt, v != 1, v == 2,
                               v == 2 ? error : NULL, 1, now);
out:
    free(txt);
    json_decref(sum);
    return rc;
}

/* A batch of outcomes for the writer: the jobs (borrowed) and whose clock times them. */
typedef struct record_ctx {
    au_flows *f;
    job *list;
} record_ctx;

static au_rc record_batch(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    record_ctx *rec = ctx;
    int64_t now = au_flows_now_ms(rec->f);
    for (job *j = rec->list; j; j = j->next) {
        au_rc rc = record_one(st, j, now);
        if (rc)
            return au_err_set(err, rc, "cannot record the delivery of outbox row %lld",
                              (long long)j->id);
    }
    return AU_OK;
}

static void count(job *j, int64_t now)
{
    flow_stats *s = j->e ? j->e->stats : NULL;
    if (!s)
        return;
    int v = verdict(j);
    if (v == 0) {
        int64_t lat = now - j->created_ms;
        size_t b = 0;
        while (b < AU_FLOWS_NBUCKETS && lat > lat_bounds[b])
            b++;
        atomic_fetch_add(&s->deliveries, 1);
        atomic_fetch_add(&s->lat_bucket[b], 1);
        atomic_fetch_add(&s->lat_sum_ms, (unsigned long)(lat > 0 ? lat : 0));
        return;
    }
    atomic_fetch_add(&s->failures, 1);
    atomic_fetch_add(v == 1 ? &s->retries : &s->dead, 1);
}

/* Records a batch through the writer, then releases the claims. */
static void record(deliver *d, job *list)
{
    au_err err;
    au_err_init(&err);
    record_ctx rctx = {d->f, list};
    if (au_engine_call(d->f->engine, record_batch, &rctx, "flows", &err))
        au_log(AU_LOG_ERROR, "delivery outcomes not recorded (they will be sent again)", "error",
               err.message, NULL);
    else
        for (job *j = list; j; j = j->next)
            count(j, au_flows_now_ms(d->f));
    au_err_cleanup(&err);
    pthread_mutex_lock(&d->mu);
    for (job *j = list; j; j = j->next) {
        if (d->scanning)
            recent_add(d, j->id);
        inflight_remove(d, j);
    }
    d->kicked = 1;
    pthread_cond_signal(&d->dispatch_cv);
    pthread_mutex_unlock(&d->mu);
    while (list) {
        job *next = list->next;
        job_free(d->f, list);
        list = next;
    }
}

static void *recorder_main(void *arg)
{
    deliver *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->done && !d->stopping)
            pthread_cond_wait(&d->done_cv, &d->mu);
        if (!d->done)
            break;
        /* Take at most RECORD_MAX outcomes so one writer job stays short. */
        job *list = d->done, *last = list;
        for (int n = 1; n < RECORD_MAX && last->next; n++)
            last = last->next;
        d->done = last->next;
        last->next = NULL;
        pthread_mutex_unlock(&d->mu);
        record(d, list);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* --- start / stop -------------------------------------------------------------------------- */

au_rc au_flows_deliver_start(au_flows *f, au_err *err)
{
    if (f->dl)
        return AU_OK;
    deliver *d = au_calloc(1, sizeof(*d));
    if (!d)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    d->f = f;
    au_store *probe = au_engine_reader(f->engine);
    d->leased = !probe || au_store_shared(probe); /* when unsure, lease: always correct */
    if (probe)
        au_engine_reader_release(f->engine, probe);
    /* Nothing of this node is in flight yet: leases under its name are from a process that was
     * killed, and are taken back now rather than left to run out. */
    leases(f, 1);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->dispatch_cv, NULL);
    pthread_cond_init(&d->work_cv, NULL);
    pthread_cond_init(&d->done_cv, NULL);
    pthread_cond_init(&d->pass_cv, NULL);
    pthread_mutex_lock(&f->dl_mu);
    f->dl = d;
    pthread_mutex_unlock(&f->dl_mu);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((d->multi = curl_multi_init()) &&
        pthread_create(&d->multi_thread, NULL, multi_main, d) == 0)
        d->multi_running = 1;
    if (pthread_create(&d->recorder, NULL, recorder_main, d) == 0)
        d->recorder_running = 1;
    for (int i = 0; i < SENDERS; i++)
        if (pthread_create(&d->senders[d->nsenders], NULL, sender_main, d) == 0)
            d->nsenders++;
    if (pthread_create(&d->dispatcher, NULL, dispatcher_main, d) == 0)
        d->dispatcher_running = 1;
    if (!d->recorder_running || !d->nsenders || !d->dispatcher_running || !d->multi_running) {
        au_flows_deliver_stop(f);
        return au_err_set(err, AU_ERR_INTERNAL, "cannot start the flow delivery threads");
    }
    return AU_OK;
}

/* Sends in progress finish and are recorded; rows not yet sent stay pending in the store. */
void au_flows_deliver_stop(au_flows *f)
{
    deliver *d = f->dl;
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = 1;
    pthread_cond_broadcast(&d->dispatch_cv);
    pthread_cond_broadcast(&d->work_cv);
    pthread_cond_broadcast(&d->pass_cv);
    if (d->multi)
        curl_multi_wakeup(d->multi);
    pthread_mutex_unlock(&d->mu);
    if (d->dispatcher_running)
        pthread_join(d->dispatcher, NULL);
    for (int i = 0; i < d->nsenders; i++)
        pthread_join(d->senders[i], NULL);
    if (d->multi_running)
        pthread_join(d->multi_thread, NULL);
    pthread_mutex_lock(&d->mu);
    pthread_cond_broadcast(&d->done_cv);
    pthread_mutex_unlock(&d->mu);
    if (d->recorder_running)
        pthread_join(d->recorder, NULL);
    while (d->work) {
        job *j = d->work;
        d->work = j->next;
        job_free(f, j);
    }
    while (d->mwork) {
        job *j = d->mwork;
        d->mwork = j->next;
        job_free(f, j);
    }
    /* Sent after the recorder had already left (it stops when it finds nothing to record, and a
     * sender may finish after that): not recorded, so the row stays pending and is sent again
     * after a restart (at least once). Their memory goes here. */
    while (d->done) {
        job *j = d->done;
        d->done = j->next;
        job_free(f, j);
    }
    if (d->multi)
        curl_multi_cleanup(d->multi);
    curl_global_cleanup();
    /* Rows claimed but not sent (or sent and not recorded) go back to every node now. */
    leases(f, 1);
    /* No kick may be inside d from here on: it is freed below. */
    pthread_mutex_lock(&f->dl_mu);
    f->dl = NULL;
    pthread_mutex_unlock(&f->dl_mu);
    au_free(d->inflight);
    au_free(d->recent);
    pthread_cond_destroy(&d->dispatch_cv);
    pthread_cond_destroy(&d->work_cv);
    pthread_cond_destroy(&d->done_cv);
    pthread_cond_destroy(&d->pass_cv);
    pthread_mutex_destroy(&d->mu);
    au_free(d);
}

/* --- dead letters -------------------------------------------------------------------------- */

static json_t *json_or_null(const char *s)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : s ? json_string(s) : json_null();
}

static int dead_to_json(void *ctx, const au_dead_row *r)
{
    char at[32], rat[32];
    au_iso8601_format(r->created_ms, at, sizeof(at));
    au_iso8601_format(r->replayed_ms, rat, sizeof(rat));
    json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:I,s:o,s:o,s:s,s:s,s:s?}", "id", (json_int_t)r->id,
                          "flow", r->flow, "step", r->step_id, "run", (json_int_t)r->run_id,
                          "outbox_id", (json_int_t)r->outbox_id, "request",
                          json_or_null(r->request), "response", json_or_null(r->response), "reason",
                          r->reason, "created_at", at, "replayed_at", r->replayed_ms ? rat : NULL);
    return o && json_array_append_new(ctx, o) == 0 ? 0 : AU_ERR_NOMEM;
}

au_rc au_flows_deadletters(au_flows *f, const char *flow, int open_only, json_t **out, au_err *err)
{
    au_store *st = au_engine_reader(f->engine);
    json_t *a = json_array();
    au_rc rc =
        st && a ? au_store_dead_list(st, flow, open_only, 1000, dead_to_json, a) : AU_ERR_STORE;
    au_engine_reader_release(f->engine, st);
    *out = rc ? NULL : json_pack("{s:o}", "deadletters", a);
    if (rc) {
        json_decref(a);
        return au_err_set(err, rc, "cannot read the dead letters");
    }
    return AU_OK;
}

typedef struct replay_ctx {
    au_flows *f; /* whose clock dates the replay */
    int64_t id;  /* one dead letter, or 0: all open ones of flow */
    const char *flow;
    long count;
    int64_t ids[1000];
    size_t nids;
} replay_ctx;

static au_rc replay_one(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    replay_ctx *r = ctx;
    au_rc rc = au_store_dead_replay(st, r->id, au_flows_now_ms(r->f));
    if (rc == AU_ERR_NOT_FOUND)
        return au_err_set(err, rc, "no dead letter %lld", (long long)r->id);
    if (rc == AU_ERR_CONFLICT)
        return au_err_set(err, rc, "dead letter %lld was already replayed", (long long)r->id);
    r->count = rc ? 0 : 1;
    return rc;
}

static int collect_id(void *ctx, const au_dead_row *row)
{
    replay_ctx *r = ctx;
    r->ids[r->nids++] = row->id;
    return r->nids == sizeof(r->ids) / sizeof(r->ids[0]);
}

static au_rc replay_all(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    replay_ctx *r = ctx;
    int64_t now = au_flows_now_ms(r->f);
    r->nids = 0;
    au_rc rc = au_store_dead_list(st, r->flow, 1, 1000, collect_id, r);
    if (rc == 1)
        rc = AU_OK;
    for (size_t i = 0; !rc && i < r->nids; i++)
        if (!(rc = au_store_dead_replay(st, r->ids[i], now)))
            r->count++;
    return rc ? au_err_set(err, rc, "cannot replay the dead letters") : AU_OK;
}

au_rc au_flows_replay(au_flows *f, int64_t id, au_err *err)
{
    replay_ctx *r = au_calloc(1, sizeof(*r));
    if (!r)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    r->f = f;
    r->id = id;
    au_rc rc = au_engine_call(f->engine, replay_one, r, "flows", err);
    au_free(r);
    au_flows_deliver_kick(f);
    return rc;
}

au_rc au_flows_replay_all(au_flows *f, const char *flow, long *count, au_err *err)
{
    replay_ctx *r = au_calloc(1, sizeof(*r));
    au_rc rc = AU_OK;
    *count = 0;
    if (!r)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    r->f = f;
    r->flow = flow;
    /* In rounds of at most 1000, each its own writer job. */
    do {
        long before = r->count;
        rc = au_engine_call(f->engine, replay_all, r, "flows", err);
        if (r->count == before)
            break;
    } while (!rc);
    *count = r->count;
    au_free(r);
    au_flows_deliver_kick(f);
    return rc;
}
