/*
 * The connector manager: one thread per source with an inbound block. A thread waits (poll on
 * a wake pipe and the kind's watch descriptor) until a sync is due - its cron schedule fired,
 * a continuous connector's data may have changed, someone asked (POST .../sync, `aurum
 * sync`), or a backoff after a failure ran out - then runs one sync through run.c and records
 * the outcome: in memory for GET /v1/sources/{source}/sync and /metrics, and in the store
 * (inbound_state) so the state survives restarts. Failures are retried with exponential
 * backoff (retry_initial_s doubled per consecutive failure, at most retry_max_s) and logged.
 * With several nodes on one store, a schedule's firing is claimed in the store first
 * (schedule_claim, "inbound:<source>" and the firing time): one node syncs, the others skip it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/metrics.h"
#include "core/node.h"
#include "core/reads.h"
#include "flows/cron.h"
#include "inbound/inbound_int.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/log.h"

typedef struct runner runner;

struct au_inbound_mgr {
    au_engine *engine;               /* borrowed */
    char node[AU_NODE_NAME_MAX + 1]; /* this node's name: who claimed a scheduled sync */
    pthread_mutex_t mu;              /* guards runners and started */
    runner *runners;                 /* one per connector, owned */
    int started;                     /* au_inbound_start ran (threads may exist) */
};

struct runner {
    au_inbound_mgr *m;
    char *source;                /* owned */
    json_t *def;                 /* the inbound block, own reference */
    const au_inbound_kind *kind; /* its kind */
    au_cron *cron;               /* schedule, NULL when none */
    int continuous;              /* sync again whenever there may be something new */
    long poll_ms, retry_initial_ms, retry_max_ms;
    pthread_t thread;
    int thread_started;
    int refs;     /* requests waiting on it (m->mu): it is destroyed by the last one out */
    int detached; /* taken out of the list (m->mu) while refs > 0 */
    void *kstate; /* the kind's state (open/close), used by the thread only */
    int wake[2];  /* pipe: a byte wakes the thread (sync request, stop) */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast when a run ends */
    /* guarded by mu: */
    int stop;             /* the thread must end */
    long requested;       /* sync requests so far */
    long served;          /* the requests the last finished run covered */
    int running;          /* a run is in progress */
    au_inbound_run *run;  /* the run in progress (for cancel), or NULL */
    int64_t started_ms;   /* last run's start */
    int64_t finished_ms;  /* last run's end, 0 before the first */
    int64_t last_ok_ms;   /* end of the last successful run */
    int64_t next_ms;      /* when the next run is due, 0: on demand only */
    int last_ok;          /* the last run succeeded */
    char last_error[512]; /* why the last run failed ("" when it did not) */
    long failures;        /* consecutive failed runs */
    long runs, runs_failed;
    au_inbound_counts last, total; /* last run, all runs */
    /* For the quality ledger (persisted with the state): the last failed run and the last
     * refused document, each kept after later successes. */
    int64_t failed_ms;        /* end of the last failed run, 0: none */
    char failed_error[512];   /* its error */
    int64_t refused_ms;       /* end of the last run that refused a document, 0: none */
    char refused_reason[256]; /* "record: reason" of the last refused document */
    char *cursor;             /* last persisted cursor (owned copy, for status) */
    runner *next;
};

/* --- state as JSON ------------------------------------------------------------------------- */

static json_t *counts_json(const au_inbound_counts *c)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "read", (json_int_t)c->read,
                     "inserted", (json_int_t)c->inserted, "updated", (json_int_t)c->updated,
                     "unchanged", (json_int_t)c->unchanged, "quarantined",
                     (json_int_t)c->quarantined, "refused", (json_int_t)c->refused, "deleted",
                     (json_int_t)c->deleted, "events", (json_int_t)c->events);
}

static void counts_from(const json_t *j, au_inbound_counts *c)
{
    c->read = (long)json_integer_value(json_object_get(j, "read"));
    c->inserted = (long)json_integer_value(json_object_get(j, "inserted"));
    c->updated = (long)json_integer_value(json_object_get(j, "updated"));
    c->unchanged = (long)json_integer_value(json_object_get(j, "unchanged"));
    c->quarantined = (long)json_integer_value(json_object_get(j, "quarantined"));
    c->refused = (long)json_integer_value(json_object_get(j, "refused"));
    c->deleted = (long)json_integer_value(json_object_get(j, "deleted"));
    c->events = (long)json_integer_value(json_object_get(j, "events"));
}

static void counts_add(au_inbound_counts *t, const au_inbound_counts *c)
{
    t->read += c->read;
    t->inserted += c->inserted;
    t->updated += c->updated;
    t->unchanged += c->unchanged;
    t->quarantined += c->quarantined;
    t->refused += c->refused;
    t->deleted += c->deleted;
    t->events += c->events;
}

/* The persisted part of the state (mu held). */
static json_t *state_json(const runner *r)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:b, s:s, s:o}, s:o, s:{s:I, s:s}, "
                     "s:{s:I, s:s}}",
                     "kind", r->kind->name, "runs", (json_int_t)r->runs, "runs_failed",
                     (json_int_t)r->runs_failed, "failures", (json_int_t)r->failures, "last_ok_ms",
                     (json_int_t)r->last_ok_ms, "last_run", "started_ms", (json_int_t)r->started_ms,
                     "finished_ms", (json_int_t)r->finished_ms, "ok", r->last_ok, "error",
                     r->last_error, "counts", counts_json(&r->last), "totals",
                     counts_json(&r->total), "last_failure", "at_ms", (json_int_t)r->failed_ms,
                     "error", r->failed_error, "last_refusal", "at_ms", (json_int_t)r->refused_ms,
                     "reason", r->refused_reason);
}

/* Copies the string at key of object j into buf[cap] ("" when absent). */
static void str_from(const json_t *j, const char *key, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", json_string_value(json_object_get(j, key)) ?: "");
}

static void state_restore(runner *r, const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    const json_t *last = json_object_get(j, "last_run");
    if (!j)
        return;
    r->runs = (long)json_integer_value(json_object_get(j, "runs"));
    r->runs_failed = (long)json_integer_value(json_object_get(j, "runs_failed"));
    r->failures = (long)json_integer_value(json_object_get(j, "failures"));
    r->last_ok_ms = json_integer_value(json_object_get(j, "last_ok_ms"));
    r->started_ms = json_integer_value(json_object_get(last, "started_ms"));
    r->finished_ms = json_integer_value(json_object_get(last, "finished_ms"));
    r->last_ok = json_is_true(json_object_get(last, "ok"));
    snprintf(r->last_error, sizeof r->last_error, "%s",
             json_string_value(json_object_get(last, "error")) ?: "");
    counts_from(json_object_get(last, "counts"), &r->last);
    counts_from(json_object_get(j, "totals"), &r->total);
    const json_t *lf = json_object_get(j, "last_failure"), *lr = json_object_get(j, "last_refusal");
    r->failed_ms = json_integer_value(json_object_get(lf, "at_ms"));
    str_from(lf, "error", r->failed_error, sizeof r->failed_error);
    r->refused_ms = json_integer_value(json_object_get(lr, "at_ms"));
    str_from(lr, "reason", r->refused_reason, sizeof r->refused_reason);
    json_decref(j);
}

static const char *mode_of(const runner *r)
{
    return r->cron ? "schedule" : r->continuous ? "continuous" : "on_demand";
}

/* mu held. */
static json_t *status_json(const runner *r)
{
    int64_t now = au_wall_ms();
    au_inbound_counts cur = {0};
    if (r->run)
        au_inbound_run_counts(r->run, &cur, NULL, 0);
    const char *state = r->running            ? "running"
                        : r->failures         ? "retrying"
                        : r->finished_ms == 0 ? "idle"
                                              : "ok";
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s?, s:s, s:b, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
                  "source", r->source, "kind", r->kind->name, "mode", mode_of(r), "schedule",
                  au_inbound_str(r->def, "schedule"), "state", state, "running", r->running,
                  "cursor", r->cursor, "last_ok_ms", (json_int_t)r->last_ok_ms, "lag_ms",
                  r->last_ok_ms ? (json_int_t)(now - r->last_ok_ms) : (json_int_t)-1, "next_run_ms",
                  (json_int_t)r->next_ms, "failures", (json_int_t)r->failures, "runs",
                  (json_int_t)r->runs, "runs_failed", (json_int_t)r->runs_failed, "totals",
                  counts_json(&r->total), "current", r->run ? counts_json(&cur) : json_null());
    json_t *last =
        json_pack("{s:I, s:I, s:b, s:s?, s:o}", "started_ms", (json_int_t)r->started_ms,
                  "finished_ms", (json_int_t)r->finished_ms, "ok", r->last_ok, "error",
                  r->last_error[0] ? r->last_error : NULL, "counts", counts_json(&r->last));
    if (!j || !last || json_object_set_new(j, "last_run", last)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* --- one run ------------------------------------------------------------------------------- */

static int64_t backoff_ms(const runner *r)
{
    int64_t d = r->retry_initial_ms;
    for (long i = 1; i < r->failures && d < r->retry_max_ms; i++)
        d *= 2;
    return d < r->retry_max_ms ? d : r->retry_max_ms;
}

/* When the next run is due after one that ended at now (mu held). */
static void plan_next(runner *r, int64_t now)
{
    int64_t next = 0;
    if (r->failures)
        r->next_ms = now + backoff_ms(r);
    else if (r->cron && au_cron_next(r->cron, now / 1000, &next) == AU_OK)
        r->next_ms = next * 1000;
    else if (r->continuous)
        r->next_ms = now + r->poll_ms;
    else
        r->next_ms = 0;
}

/* Runs one sync with the kind's state; fills *c. */
static au_rc sync_once(au_engine *e, const char *source, const json_t *def,
                       const au_inbound_kind *kind, void *kstate, FILE *progress, runner *owner,
                       au_inbound_counts *c, char **cursor, char *refusal, size_t cap, au_err *err)
{
    au_inbound_run *run = NULL;
    au_rc rc = au_inbound_run_new(e, source, def, progress, &run, err);
    if (rc)
        return rc;
    if (owner) {
        pthread_mutex_lock(&owner->mu);
        owner->run = run;
        if (owner->stop)
            au_inbound_run_cancel(run);
        pthread_mutex_unlock(&owner->mu);
    }
    rc = kind->sync(kstate, run, err);
    if (!rc)
        rc = au_inbound_commit(run, NULL, err);
    au_inbound_run_counts(run, c, refusal, cap);
    if (cursor && au_inbound_cursor(run))
        *cursor = au_strdup(au_inbound_cursor(run));
    if (owner) {
        pthread_mutex_lock(&owner->mu);
        owner->run = NULL;
        pthread_mutex_unlock(&owner->mu);
    }
    au_inbound_run_free(run);
    return rc;
}

static void record_outcome(runner *r, au_rc rc, const au_err *err, const au_inbound_counts *c,
                           char *cursor, const char *refusal)
{
    int64_t now = au_wall_ms();
    pthread_mutex_lock(&r->mu);
    /* an idle poll of a continuous connector that changes nothing is not written down */
    int quiet = !rc && !c->read && r->last_ok && !r->failures;
    r->running = 0;
    r->finished_ms = now;
    r->last = *c;
    counts_add(&r->total, c);
    r->runs++;
    r->last_ok = rc == AU_OK;
    if (cursor) {
        au_free(r->cursor);
        r->cursor = cursor;
    }
    if (rc) {
        r->failures++;
        r->runs_failed++;
        snprintf(r->last_error, sizeof r->last_error, "%s",
                 err->message[0] ? err->message : au_rc_message(rc));
        r->failed_ms = now;
        memcpy(r->failed_error, r->last_error, sizeof r->failed_error);
    } else {
        r->failures = 0;
        r->last_ok_ms = now;
        r->last_error[0] = 0;
    }
    if (c->refused && refusal[0]) {
        r->refused_ms = now;
        snprintf(r->refused_reason, sizeof r->refused_reason, "%s", refusal);
    }
    plan_next(r, now);
    json_t *state = quiet ? NULL : state_json(r);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    char *text = state ? json_dumps(state, JSON_COMPACT) : NULL;
    au_err e2;
    au_err_init(&e2);
    /* Best effort: the state is for people; the cursor that matters was stored by the run. */
    AU_BEST_EFFORT(text && au_inbound_persist(r->m->engine, r->source, NULL, text, &e2));
    au_err_cleanup(&e2);
    free(text);
    json_decref(state);
    if (rc)
        au_log(AU_LOG_WARN, "inbound sync failed", "source", r->source, "error", r->last_error,
               NULL);
}

/* A scheduled sync's claim: several nodes on one store each see the schedule due. */
typedef struct sched_claim {
    const runner *r;
    int64_t at_s; /* the firing time */
    int won;
} sched_claim;

static au_rc claim_in_writer(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    sched_claim *c = ctx;
    char *name = au_asprintf("inbound:%s", c->r->source);
    au_rc rc = name ? au_store_schedule_claim(st, name, c->at_s, c->r->m->node, at_ms, &c->won)
                    : AU_ERR_NOMEM;
    au_free(name);
    return rc ? au_err_set(err, rc, "cannot claim the scheduled sync of '%s'", c->r->source)
              : AU_OK;
}

/* 1 when this node runs the sync that is due: always for one asked for, a retry after a failure
 * or a continuous poll; for a schedule's firing only when this node claimed it first. A claim
 * that cannot be made is a failed run (retried with backoff), never a silent skip. When
 * another node has the firing, the next one is planned and 0 returned. */
static int take_turn(runner *r)
{
    pthread_mutex_lock(&r->mu);
    int scheduled = r->cron && !r->failures && r->requested <= r->served && r->next_ms;
    sched_claim c = {r, r->next_ms / 1000, 1};
    pthread_mutex_unlock(&r->mu);
    if (!scheduled)
        return 1;
    au_err err;
    au_err_init(&err);
    if (au_engine_call(r->m->engine, claim_in_writer, &c, "inbound", &err))
        c.won = 1; /* the sync itself then meets the store's trouble and backs off */
    au_err_cleanup(&err);
    if (c.won)
        return 1;
    int64_t now = au_wall_ms(), after = c.at_s * 1000 + 1000;
    pthread_mutex_lock(&r->mu);
    plan_next(r, now > after ? now : after);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

static void run_now(runner *r)
{
    if (!take_turn(r))
        return;
    au_inbound_counts c = {0};
    char *cursor = NULL, refusal[256] = "";
    au_err err;
    au_err_init(&err);
    pthread_mutex_lock(&r->mu);
    long target = r->requested;
    r->running = 1;
    r->started_ms = au_wall_ms();
    pthread_mutex_unlock(&r->mu);
    /* A connector that could not be opened (a directory not there yet, ...) is opened again
     * at each run, so it recovers on its own with the backoff of a failed run. */
    au_rc rc = AU_OK;
    if (!r->kstate && r->kind->open && (rc = r->kind->open(r->def, &r->kstate, &err)))
        r->kstate = NULL;
    if (!rc)
        rc = sync_once(r->m->engine, r->source, r->def, r->kind, r->kstate, NULL, r, &c, &cursor,
                       refusal, sizeof refusal, &err);
    pthread_mutex_lock(&r->mu);
    r->served = target;
    pthread_mutex_unlock(&r->mu);
    record_outcome(r, rc, &err, &c, cursor, refusal);
    au_err_cleanup(&err);
}

/* --- the thread ------------------------------------------------------------------------------ */

static void drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/* Waits until a run is due; returns 0 when the thread must stop. */
static int wait_due(runner *r, int watch)
{
    for (;;) {
        pthread_mutex_lock(&r->mu);
        int stop = r->stop, asked = r->requested > r->served;
        int64_t next = r->next_ms, now = au_wall_ms();
        pthread_mutex_unlock(&r->mu);
        if (stop)
            return 0;
        if (asked || (next && now >= next))
            return 1;
        struct pollfd p[2] = {{r->wake[0], POLLIN, 0}, {watch, POLLIN, 0}};
        int64_t wait = next ? next - now : 3600 * 1000;
        if (wait > 3600 * 1000)
            wait = 3600 * 1000;
        int n = poll(p, watch >= 0 ? 2 : 1, (int)wait);
        if (n > 0 && (p[0].revents & POLLIN))
            drain(r->wake[0]);
        if (n > 0 && watch >= 0 && (p[1].revents & POLLIN))
            return 1; /* the kind's sync reads the watch's events */
    }
}

static void *runner_main(void *arg)
{
    runner *r = arg;
    for (;;) {
        /* a scheduled or on-demand file drop ignores its watch (it would stay readable) */
        int watch =
            r->continuous && r->kstate && r->kind->watch_fd ? r->kind->watch_fd(r->kstate) : -1;
        if (!wait_due(r, watch))
            break;
        run_now(r);
    }
    return NULL;
}

/* --- runners ------------------------------------------------------------------------------- */

/* Stops the thread: a sync in progress ends at its next batch; waiters are woken. */
static void runner_halt(runner *r)
{
    if (!r->thread_started)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    if (r->run)
        au_inbound_run_cancel(r->run);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    AU_BEST_EFFORT(write(r->wake[1], "x", 1) == 1);
    pthread_join(r->thread, NULL);
    r->thread_started = 0;
}

static void runner_free(runner *r)
{
    if (!r)
        return;
    runner_halt(r);
    if (r->kstate && r->kind->close)
        r->kind->close(r->kstate);
    for (int i = 0; i < 2; i++)
        if (r->wake[i] >= 0)
            close(r->wake[i]);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    au_cron_free(r->cron);
    json_decref(r->def);
    au_free(r->source);
    au_free(r->cursor);
    au_free(r);
}

/* A runner for source's inbound block def (checked); the thread is not started yet. */
static au_rc runner_new(au_inbound_mgr *m, const char *source, const json_t *def, runner **out,
                        au_err *err)
{
    au_rc rc = au_inbound_check(def, err);
    if (rc)
        return rc;
    runner *r = au_calloc(1, sizeof *r);
    if (!r)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    r->wake[0] = r->wake[1] = -1;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->m = m;
    r->kind = au_inbound_kind_find(au_inbound_str(def, "kind"));
    r->def = json_deep_copy(def);
    r->source = au_strdup(source);
    if (!r->def || !r->source || pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        runner_free(r);
        return au_err_set(err, AU_ERR_NOMEM, "cannot set up the connector of '%s'", source);
    }
    const char *spec = au_inbound_str(def, "schedule");
    if (spec && (rc = au_cron_parse(spec, au_inbound_str(def, "timezone"), &r->cron, err))) {
        runner_free(r);
        return rc;
    }
    r->continuous = au_inbound_bool(def, "continuous", !spec && r->kind->continuous);
    r->poll_ms =
        1000 * au_inbound_int(def, "poll_interval_s", r->kind->poll_s ? r->kind->poll_s : 5);
    r->retry_initial_ms = 1000 * au_inbound_int(def, "retry_initial_s", 1);
    r->retry_max_ms = 1000 * au_inbound_int(def, "retry_max_s", 300);
    if (r->poll_ms <= 0)
        r->poll_ms = 1000;
    if (r->retry_initial_ms <= 0)
        r->retry_initial_ms = 1000;
    if (r->retry_max_ms < r->retry_initial_ms)
        r->retry_max_ms = r->retry_initial_ms;
    char *state = NULL;
    if (au_inbound_load(m->engine, source, &r->cursor, &state) == AU_OK)
        state_restore(r, state);
    au_free(state);
    int64_t now = au_wall_ms(), next = 0;
    r->failures = 0; /* a restart tries at once */
    if (r->continuous)
        r->next_ms = now;
    else if (r->cron && au_cron_next(r->cron, now / 1000, &next) == AU_OK)
        r->next_ms = next * 1000;
    *out = r;
    return AU_OK;
}

static au_rc runner_start(runner *r, au_err *err)
{
    if (pthread_create(&r->thread, NULL, runner_main, r) != 0)
        return au_err_set(err, AU_ERR_INTERNAL, "cannot start the connector of '%s'", r->source);
    r->thread_started = 1;
    return AU_OK;
}

/* The runner of source (m->mu held), NULL when none. */
static runner *find_runner(au_inbound_mgr *m, const char *source)
{
    for (runner *r = m->runners; r; r = r->next)
        if (strcmp(r->source, source) == 0)
            return r;
    return NULL;
}

/* The inbound block of source's current definition (new reference) or NULL. */
static json_t *inbound_of(au_engine *e, const char *source)
{
    const au_source *s = au_engine_source_acquire(e, source);
    if (!s)
        return NULL;
    json_t *def = json_incref(json_object_get(au_source_definition(s), "inbound"));
    au_engine_source_release(e, s);
    return def;
}

/* Adds (and starts) the runner of source when its definition has an inbound block; m->mu held. */
static au_rc add_source(au_inbound_mgr *m, const char *source, au_err *err)
{
    if (find_runner(m, source))
        return AU_OK;
    json_t *def = inbound_of(m->engine, source);
    runner *r = NULL;
    au_rc rc = def ? runner_new(m, source, def, &r, err) : AU_OK;
    json_decref(def);
    if (rc) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        return au_err_set(err, rc, "sources.%s.%s", source, msg);
    }
    if (!r)
        return AU_OK;
    if ((rc = runner_start(r, err))) {
        runner_free(r);
        return rc;
    }
    r->next = m->runners;
    m->runners = r;
    return AU_OK;
}

typedef struct collect_ctx {
    au_inbound_mgr *m;
    au_err *err;
    au_rc rc;
} collect_ctx;

static int on_stored(void *ctx, const char *name, const char *def_json)
{
    collect_ctx *c = ctx;
    c->rc = add_source(c->m, name, c->err);
    return c->rc ? 1 : 0;
}

au_rc au_inbound_start(au_inbound_mgr *m, au_err *err)
{
    const au_config *cfg = au_engine_config(m->engine);
    const char *name;
    json_t *v;
    collect_ctx c = {m, err, AU_OK};
    pthread_mutex_lock(&m->mu);
    m->started = 1;
    json_object_foreach(cfg->sources, name, v)
    {
        if ((c.rc = add_source(m, name, err)))
            break;
    }
    au_store *st = c.rc ? NULL : au_engine_reader(m->engine);
    if (st) {
        au_rc rc = au_engine_read_sources(st, on_stored, &c);
        if (rc && !c.rc)
            c.rc = au_err_set(err, rc, "cannot list the stored sources");
        au_engine_reader_release(m->engine, st);
    } else if (!c.rc) {
        c.rc = au_err_set(err, AU_ERR_BUSY, "no store reader available");
    }
    pthread_mutex_unlock(&m->mu);
    return c.rc;
}

/* Halts a runner taken out of the list and frees it, or leaves that to the last request
 * still waiting on it. */
static void retire(au_inbound_mgr *m, runner *r)
{
    runner_halt(r);
    pthread_mutex_lock(&m->mu);
    int free_now = r->refs == 0;
    r->detached = !free_now;
    pthread_mutex_unlock(&m->mu);
    if (free_now)
        runner_free(r);
}

void au_inbound_stop(au_inbound_mgr *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    runner *r = m->runners;
    m->runners = NULL;
    m->started = 0;
    pthread_mutex_unlock(&m->mu);
    while (r) {
        runner *next = r->next;
        retire(m, r);
        r = next;
    }
}

au_rc au_inbound_reload(au_inbound_mgr *m, const char *source, au_err *err)
{
    if (!m)
        return AU_OK;
    runner *old = NULL;
    pthread_mutex_lock(&m->mu);
    for (runner **p = &m->runners; *p; p = &(*p)->next) {
        if (strcmp((*p)->source, source) == 0) {
            old = *p;
            *p = old->next;
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (old)
        retire(m, old); /* joins its thread: not under m->mu */
    pthread_mutex_lock(&m->mu);
    au_rc rc = m->started ? add_source(m, source, err) : AU_OK;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* --- requests from the API ------------------------------------------------------------------ */

static au_rc no_connector(const char *source, au_err *err)
{
    return au_err_set(err, AU_ERR_NOT_FOUND,
                      "source '%s' has no inbound connector (or the daemon does not run them)",
                      source);
}

au_rc au_inbound_sync(au_inbound_mgr *m, const char *source, int wait_s, json_t **out, au_err *err)
{
    if (!m)
        return no_connector(source, err);
    pthread_mutex_lock(&m->mu);
    runner *r = find_runner(m, source);
    if (!r) {
        pthread_mutex_unlock(&m->mu);
        return no_connector(source, err);
    }
    /* held by a reference, not by m->mu: other sources' requests and /metrics go on while
     * this one waits */
    r->refs++;
    pthread_mutex_unlock(&m->mu);
    pthread_mutex_lock(&r->mu);
    long target = ++r->requested;
    AU_BEST_EFFORT(write(r->wake[1], "x", 1) == 1);
    struct timespec until = au_timespec_of_ms(au_wall_ms() + (int64_t)wait_s * 1000);
    while (wait_s > 0 && r->served < target && !r->stop)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
            break;
    json_t *j = status_json(r);
    if (j)
        json_object_set_new(j, "completed", json_boolean(r->served >= target));
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_lock(&m->mu);
    int last = --r->refs == 0 && r->detached;
    pthread_mutex_unlock(&m->mu);
    if (last)
        runner_free(r);
    *out = j;
    return j ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

au_rc au_inbound_status(au_inbound_mgr *m, const char *source, json_t **out, au_err *err)
{
    if (!m)
        return no_connector(source, err);
    pthread_mutex_lock(&m->mu);
    runner *r = find_runner(m, source);
    json_t *j = NULL;
    if (r) {
        pthread_mutex_lock(&r->mu);
        j = status_json(r);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&m->mu);
    if (!r)
        return no_connector(source, err);
    *out = j;
    return j ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

/* --- metrics --------------------------------------------------------------------------------- */

static au_rc metric(au_buf *b, const char *name, const runner *r, const char *label,
                    const char *value, long long n)
{
    au_rc rc = au_buf_printf(b, "%s{source=\"", name);
    if (!rc)
        rc = au_metrics_label(b, r->source);
    if (!rc && label) {
        rc = au_buf_printf(b, "\",%s=\"", label);
        if (!rc)
            rc = au_metrics_label(b, value);
    }
    return rc ? rc : au_buf_printf(b, "\"} %lld\n", n);
}

static au_rc runner_metrics(au_buf *b, const runner *r, int64_t now)
{
    const au_inbound_counts *t = &r->total;
    const char *names[] = {"read",        "inserted", "updated", "unchanged",
                           "quarantined", "refused",  "deleted"};
    const long vals[] = {t->read,        t->inserted, t->updated, t->unchanged,
                         t->quarantined, t->refused,  t->deleted};
    au_rc rc = AU_OK;
    for (size_t i = 0; !rc && i < 7; i++)
        rc = metric(b, "aurum_inbound_records_total", r, "outcome", names[i], vals[i]);
    if (!rc)
        rc = metric(b, "aurum_inbound_runs_total", r, "result", "ok", r->runs - r->runs_failed);
    if (!rc)
        rc = metric(b, "aurum_inbound_runs_total", r, "result", "failed", r->runs_failed);
    if (!rc)
        rc = metric(b, "aurum_inbound_consecutive_failures", r, NULL, NULL, r->failures);
    if (!rc)
        rc = metric(b, "aurum_inbound_running", r, NULL, NULL, r->running);
    if (!rc)
        rc = metric(b, "aurum_inbound_lag_seconds", r, NULL, NULL,
                    r->last_ok_ms ? (now - r->last_ok_ms) / 1000 : -1);
    return rc;
}

au_rc au_inbound_metrics(au_inbound_mgr *m, au_buf *b)
{
    if (!m)
        return AU_OK;
    au_rc rc = au_buf_printf(
        b, "# HELP aurum_inbound_records_total Documents read by inbound connectors, by outcome.\n"
           "# TYPE aurum_inbound_records_total counter\n"
           "# HELP aurum_inbound_runs_total Inbound syncs, by result.\n"
           "# TYPE aurum_inbound_runs_total counter\n"
           "# HELP aurum_inbound_consecutive_failures Failed syncs since the last success.\n"
           "# TYPE aurum_inbound_consecutive_failures gauge\n"
           "# HELP aurum_inbound_running 1 while a sync runs.\n"
           "# TYPE aurum_inbound_running gauge\n"
           "# HELP aurum_inbound_lag_seconds Seconds since the last successful sync ended.\n"
           "# TYPE aurum_inbound_lag_seconds gauge\n");
    int64_t now = au_wall_ms();
    pthread_mutex_lock(&m->mu);
    for (runner *r = m->runners; !rc && r; r = r->next) {
        pthread_mutex_lock(&r->mu);
        rc = runner_metrics(b, r, now);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* --- one sync in the caller's thread (aurum sync) --------------------------------------------- */

au_rc au_inbound_sync_here(au_engine *e, const char *source, FILE *progress, au_inbound_counts *out,
                           au_err *err)
{
    json_t *def = inbound_of(e, source);
    void *kstate = NULL;
    char *cursor = NULL, refusal[256] = "";
    runner *r = NULL; /* the connector's state, recorded like the daemon's (quality ledger) */
    au_inbound_mgr *m = au_inbound_of(e);
    au_rc rc;
    memset(out, 0, sizeof *out);
    if (!def) {
        const au_source *s = au_engine_source_acquire(e, source);
        if (s)
            au_engine_source_release(e, s);
        return au_err_set(err, AU_ERR_NOT_FOUND, "source '%s' %s", source,
                          s ? "has no inbound connector" : "is unknown");
    }
    const au_inbound_kind *kind = au_inbound_kind_find(au_inbound_str(def, "kind"));
    if ((rc = au_inbound_check(def, err)))
        goto out;
    if (m && (rc = runner_new(m, source, def, &r, err)))
        goto out;
    if (r)
        r->started_ms = au_wall_ms();
    if (kind->open && (rc = kind->open(def, &kstate, err)))
        goto record;
    rc = sync_once(e, source, def, kind, kstate, progress, NULL, out, &cursor, refusal,
                   sizeof refusal, err);
record:
    if (r) {
        record_outcome(r, rc, err, out, cursor, refusal); /* takes cursor */
        cursor = NULL;
    }
out:
    if (kstate && kind->close)
        kind->close(kstate);
    runner_free(r);
    au_free(cursor);
    json_decref(def);
    return rc;
}

/* --- the engine hook ---------------------------------------------------------------------------
 */

static au_rc hook_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    au_inbound_mgr *m = au_calloc(1, sizeof *m);
    if (!m)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    m->engine = e;
    au_node_name(au_engine_config(e), au_engine_data_dir(e), m->node, sizeof(m->node));
    pthread_mutex_init(&m->mu, NULL);
    *state = m;
    return AU_OK;
}

static void hook_close(void *state)
{
    au_inbound_mgr *m = state;
    if (!m)
        return;
    au_inbound_stop(m);
    pthread_mutex_destroy(&m->mu);
    au_free(m);
}

const au_engine_hook au_inbound_hook = {
    .name = "inbound",
    .open = hook_open,
    .close = hook_close,
};

au_inbound_mgr *au_inbound_of(au_engine *e)
{
    return au_engine_hook_state(e, "inbound");
}
