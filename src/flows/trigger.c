/*
 * What starts runs besides the engine hook (hook.c: events and record changes): the webhook
 * trigger and the schedule thread; running a flow (au_flows_fire, shared with the hook). Also
 * the run history and dry runs, which evaluate a flow the same way a trigger does.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record.h"
#include "flows/flows_int.h"
#include "flows/secrets.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/isotime.h"
#include "lib/clock.h"

int64_t au_flows_now_ms(const au_flows *f)
{
    return au_clock_now_ms(f->clock);
}

json_t *au_flows_iso_time(int64_t ms)
{
    char buf[32];
    au_iso8601_format(ms, buf, sizeof(buf));
    return json_string(buf);
}

/* --- runs ---------------------------------------------------------------------------------- */

/* Evaluates the per-step conditions; fills steps[id] and returns how many steps will send.
 * The first `when` that cannot be evaluated is described in error[size] (left alone if none). */
static int plan_steps(const au_flowdef *def, const json_t *ctx, int64_t now_ms, json_t *steps,
                      int *queued, char *error, size_t size)
{
    int n = 0;
    for (size_t i = 0; i < def->nsteps; i++) {
        const au_flow_step *s = &def->steps[i];
        json_t *res = NULL;
        au_expr_error ee;
        queued[i] = 0;
        if (s->when && au_expr_eval(s->when, ctx, now_ms, &res, &ee)) {
            json_object_set_new(steps, s->id,
                                json_pack("{s:s,s:s}", "status", "error", "error", ee.message));
            if (!error[0])
                snprintf(error, size, "step %s: when: %s", s->id, ee.message);
            continue;
        }
        int go = !s->when || au_expr_truthy(res);
        json_decref(res);
        json_object_set_new(steps, s->id, json_pack("{s:s}", "status", go ? "pending" : "skipped"));
        queued[i] = go;
        n += go;
    }
    return n;
}

au_rc au_flows_fire(au_flows *f, au_store *st, flow_entry *e, const char *trigger_id, json_t *ctx,
                    const char *partition, int64_t now_ms, int64_t *run_id)
{
    const au_flowdef *def = e->def;
    int match = 0, queued[AU_FLOW_MAX_STEPS], pending = 0;
    au_expr_error ee = {0};
    char cond[300], when_err[320] = "", *input = NULL, *steps_txt = NULL;
    json_t *steps = json_object();
    au_rc rc = AU_ERR_NOMEM;
    int64_t id = 0;
    au_rc crc = au_flowdef_condition(def, ctx, now_ms, &match, &ee);
    if (crc)
        snprintf(cond, sizeof(cond), "error: %s", ee.message);
    else
        snprintf(cond, sizeof(cond), "%s", match ? "true" : "false");
    if (!crc && match)
        pending = plan_steps(def, ctx, now_ms, steps, queued, when_err, sizeof(when_err));
    input = json_dumps(ctx, JSON_COMPACT);
    steps_txt = steps ? json_dumps(steps, JSON_COMPACT) : NULL;
    if (!input || !steps_txt)
        goto out;
    /* A run whose only steps could not decide (their `when` failed) is an error, not a skip. */
    const char *status = crc || (when_err[0] && !pending) ? "error"
                         : !match || !pending             ? "skipped"
                                                          : "pending";
    au_run_row run = {.flow = def->name,
                      .trigger = trigger_id,
                      .input = input,
                      .condition = cond,
                      .steps = steps_txt,
                      .status = status,
                      .error = crc           ? ee.message
                               : when_err[0] ? when_err
                                             : NULL,
                      .pending = pending,
                      .started_ms = now_ms,
                      .finished_ms = pending ? 0 : now_ms};
    if ((rc = au_store_run_add(st, &run, &id)))
        goto out;
    for (size_t i = 0; pending && i < def->nsteps && !rc; i++) {
        if (!queued[i])
            continue;
        char *key = au_asprintf("%s/%s/%s", def->name, trigger_id, def->steps[i].id);
        if (!key) {
            rc = AU_ERR_NOMEM;
            break;
        }
        au_outbox_row row = {.flow = def->name,
                             .run_id = id,
                             .step_id = def->steps[i].id,
                             .idem_key = key,
                             .partition = partition ? partition : "",
                             .next_ms = now_ms,
                             .created_ms = now_ms};
        rc = au_store_outbox_add(st, &row, NULL);
        au_free(key);
    }
    if (rc)
        goto out;
    atomic_fetch_add(&e->stats->runs, 1);
    if (!strcmp(status, "error"))
        atomic_fetch_add(&e->stats->errors, 1);
    else if (!pending)
        atomic_fetch_add(&e->stats->skipped, 1);
    if (pending)
        atomic_store(&f->kicked, 1);
    if (run_id)
        *run_id = id;
out:
    free(input);
    free(steps_txt);
    json_decref(steps);
    return rc;
}

/* --- triggers outside the write path: webhooks and schedules -------------------------------- */

typedef struct fire_job {
    au_flows *f;
    flow_entry *e;
    const char *trigger_id, *partition;
    json_t *ctx;
    int64_t run_id;
} fire_job;

static au_rc fire_in_writer(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    fire_job *j = ctx;
    au_rc rc = au_flows_fire(j->f, st, j->e, j->trigger_id, j->ctx, j->partition,
                             au_flows_now_ms(j->f), &j->run_id);
    if (rc)
        au_err_set(err, rc, "cannot start a run of flow \"%s\"", j->e->def->name);
    return rc;
}

au_rc au_flows_webhook(au_flows *f, const char *name, const au_webhook_call *call, const char *body,
                       size_t len, json_t **out, au_err *err)
{
    flow_entry *e = au_flows_acquire(f, name);
    json_t *payload = NULL, *ctx = NULL;
    char *tid = NULL;
    const char *request_id = call->request_id;
    au_rc rc;
    *out = NULL;
    /* An unknown or disabled flow is checked like a known one (with a random key) and fails
     * the same way: a caller cannot tell which flows exist. */
    int usable = e && e->def->trigger.kind == AU_TRIGGER_WEBHOOK && e->def->enabled;
    rc = au_flows_webhook_verify(f, usable ? e : NULL, call->timestamp, call->secret,
                                 call->signature, body ? body : "", len, err);
    if (rc)
        goto out;
    json_error_t je;
    payload = len ? json_loadb(body, len, 0, &je) : json_object();
    if (!payload) {
        rc = au_err_set(err, AU_ERR_PARSE, "webhook body: %s at line %d, column %d", je.text,
                        je.line, je.column);
        goto out;
    }
    unsigned char rnd[12];
    char hex[25];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    tid = au_asprintf("webhook:%s", request_id && *request_id ? request_id : hex);
    ctx = json_pack("{s:O}", "webhook", payload);
    if (!tid || !ctx) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    fire_job j = {f, e, tid, "", ctx, 0};
    rc = au_engine_call(f->engine, fire_in_writer, &j, "flows", err);
    if (!rc)
        *out = json_pack("{s:I,s:s}", "run", (json_int_t)j.run_id, "trigger", tid);
out:
    au_flows_release(f, e);
    json_decref(payload);
    json_decref(ctx);
    au_free(tid);
    return rc;
}

typedef struct sched_slot {
    char name[AU_FLOW_MAX_NAME + 1];
    const au_cron *cron; /* identity of the definition the next time was computed for */
    int64_t next;        /* Unix seconds (the flows' clock) */
} sched_slot;

#define SCHED_MAX 256

static void sched_fire(au_flows *f, flow_entry *e, int64_t at)
{
    au_err err;
    au_err_init(&err);
    char *tid = au_asprintf("schedule:%lld", (long long)at);
    json_t *ctx = json_pack("{s:{s:o,s:s}}", "schedule", "at", au_flows_iso_time(at * 1000),
                            "timezone", au_cron_timezone(e->def->trigger.cron));
    fire_job j = {f, e, tid, "", ctx, 0};
    if (!tid || !ctx || au_engine_call(f->engine, fire_in_writer, &j, "flows", &err))
        au_log(AU_LOG_ERROR, "schedule could not start a run", "flow", e->def->name, "error",
               err.message, NULL);
    au_free(tid);
    json_decref(ctx);
    au_err_cleanup(&err);
}

/* One pass: fires what is due; returns the earliest next firing (Unix seconds). */
static int64_t sched_pass(au_flows *f, sched_slot *slots, size_t *nslots)
{
    size_t n = 0;
    int64_t now = au_flows_now_ms(f) / 1000, soonest = now + 60;
    flow_entry **all = au_flows_snapshot(f, &n);
    for (size_t i = 0; all && i < n; i++) {
        const au_flowdef *d = all[i]->def;
        if (d->trigger.kind != AU_TRIGGER_SCHEDULE)
            continue;
        size_t k = 0;
        while (k < *nslots && strcmp(slots[k].name, d->name))
            k++;
        if (k == *nslots) {
            if (k == SCHED_MAX)
                continue;
            snprintf(slots[k].name, sizeof(slots[k].name), "%s", d->name);
            slots[k].cron = NULL;
            (*nslots)++;
        }
        if (slots[k].cron != d->trigger.cron) {
            slots[k].cron = d->trigger.cron;
            if (au_cron_next(d->trigger.cron, now, &slots[k].next))
                continue;
        }
        if (slots[k].next <= now) {
            sched_fire(f, all[i], slots[k].next);
            if (au_cron_next(d->trigger.cron, now, &slots[k].next))
                continue;
        }
        if (slots[k].next < soonest)
            soonest = slots[k].next;
    }
    for (size_t i = 0; i < n; i++)
        au_flows_release(f, all[i]);
    au_free(all);
    return soonest;
}

static void *sched_main(void *arg)
{
    au_flows *f = arg;
    sched_slot *slots = au_calloc(SCHED_MAX, sizeof(*slots));
    size_t nslots = 0;
    pthread_mutex_lock(&f->mu);
    while (slots && !f->stopping) {
        pthread_mutex_unlock(&f->mu);
        int64_t next = sched_pass(f, slots, &nslots);
        /* Sleep until the next firing, at most a second: a reload, or a clock that moved
         * (system time set, a test's offset clock advanced), is noticed within that. */
        int64_t wait_ms = next * 1000 - au_flows_now_ms(f);
        if (wait_ms > 1000)
            wait_ms = 1000;
        if (wait_ms < 5)
            wait_ms = 5;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&f->mu);
        if (!f->stopping)
            pthread_cond_timedwait(&f->sched_cv, &f->mu, &ts);
    }
    pthread_mutex_unlock(&f->mu);
    au_free(slots);
    return NULL;
}

au_rc au_flows_sched_start(au_flows *f, au_err *err)
{
    if (f->sched_running)
        return AU_OK;
    if (pthread_create(&f->sched, NULL, sched_main, f))
        return au_err_set(err, AU_ERR_INTERNAL, "cannot start the flow scheduler");
    f->sched_running = 1;
    return AU_OK;
}

void au_flows_sched_stop(au_flows *f)
{
    if (!f->sched_running)
        return;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_cond_broadcast(&f->sched_cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->sched, NULL);
    f->sched_running = 0;
}

/* --- run history and dry runs -------------------------------------------------------------- */

static json_t *parse_or_string(const char *s)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : s ? json_string(s) : json_null();
}

/* What a run list shows of the input when the whole context is not asked for: every root
 * but `profile`, which is reduced to its id (the golden record with its timeline is most of
 * the text of a run, and a list of them is read to see what happened, not to whom). */
static json_t *brief_input(json_t *in)
{
    json_t *prof = json_object_get(in, "profile");
    if (json_is_object(prof))
        json_object_set_new(in, "profile", json_pack("{s:O?}", "id", json_object_get(prof, "id")));
    return in;
}

typedef struct run_list_ctx {
    json_t *runs; /* array being filled */
    int context;  /* 1: whole input */
} run_list_ctx;

/* One run as the API shows it. New reference, NULL when out of memory. */
static json_t *run_json(const au_run_row *r, int context)
{
    json_t *in = parse_or_string(r->input);
    json_t *o = json_pack(
        "{s:I,s:s,s:s,s:o,s:s?,s:o,s:s,s:s?,s:i,s:i,s:o}", "id", (json_int_t)r->id, "flow", r->flow,
        "trigger", r->trigger, "input", context ? in : brief_input(in), "condition", r->condition,
        "steps", parse_or_string(r->steps), "status", r->status, "error", r->error, "attempts",
        r->attempts, "pending", r->pending, "started_at", au_flows_iso_time(r->started_ms));
    if (o && r->finished_ms) {
        json_object_set_new(o, "finished_at", au_flows_iso_time(r->finished_ms));
        json_object_set_new(o, "latency_ms", json_integer(r->finished_ms - r->started_ms));
    }
    return o;
}

static int run_to_json(void *ctx, const au_run_row *r)
{
    run_list_ctx *rl = ctx;
    json_t *o = run_json(r, rl->context);
    return o && !json_array_append_new(rl->runs, o) ? 0 : AU_ERR_NOMEM;
}

static int status_ok(const char *s)
{
    static const char *const ok[] = {"pending", "delivered", "failed", "skipped", "error", "dead"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!strcmp(s, ok[i]))
            return 1;
    return 0;
}

au_rc au_flows_runs(au_flows *f, const char *name, const au_runs_query *q, json_t **out,
                    au_err *err)
{
    *out = NULL;
    if (q->status && !status_ok(q->status))
        return au_err_set(err, AU_ERR_INVALID, "unknown run status \"%s\": use one of %s",
                          q->status, AU_RUN_STATUSES);
    flow_entry *e = au_flows_acquire(f, name);
    au_flows_release(f, e);
    au_store *st = au_engine_reader(f->engine);
    run_list_ctx rl = {json_array(), q->context};
    if (!st || !rl.runs) {
        au_engine_reader_release(f->engine, st);
        json_decref(rl.runs);
        return au_err_set(err, AU_ERR_STORE, "cannot read the run history");
    }
    au_rc rc = au_store_run_list(st, name, q->status, q->before, q->limit, run_to_json, &rl);
    /* A flow deleted since keeps its history; a name never seen is a typo. */
    if (!rc && !e && json_array_size(rl.runs) == 0 &&
        au_store_run_list(st, name, NULL, 0, 1, run_to_json, &rl) == AU_OK &&
        json_array_size(rl.runs) == 0)
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no flow named \"%s\"", name);
    au_engine_reader_release(f->engine, st);
    if (rc) {
        json_decref(rl.runs);
        return err && err->rc ? rc : au_err_set(err, rc, "cannot read the run history");
    }
    *out = json_pack("{s:o}", "runs", rl.runs);
    return AU_OK;
}

/* How the runs of `name` stand, added to its listing: last_run, runs, failures, dead_letters.
 * `st` is a reader handle. */
au_rc au_flows_run_summary(au_flows *f, au_store *st, const char *name, json_t *o)
{
    au_run_counts c;
    run_list_ctx rl = {json_array(), 0};
    (void)f;
    au_rc rc = rl.runs ? au_store_run_counts(st, name, &c) : AU_ERR_NOMEM;
    if (!rc)
        rc = au_store_run_list(st, name, NULL, 0, 1, run_to_json, &rl);
    if (rc) {
        json_decref(rl.runs);
        return rc;
    }
    json_t *last = json_array_get(rl.runs, 0);
    json_t *brief = last
                        ? json_pack("{s:O,s:O,s:O,s:O,s:O*,s:O}", "id", json_object_get(last, "id"),
                                    "status", json_object_get(last, "status"), "trigger",
                                    json_object_get(last, "trigger"), "started_at",
                                    json_object_get(last, "started_at"), "finished_at",
                                    json_object_get(last, "finished_at"), "error",
                                    json_object_get(last, "error"))
                        : json_null();
    json_decref(rl.runs);
    json_object_set_new(o, "last_run", brief ? brief : json_null());
    json_object_set_new(o, "runs",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)c.total,
                                  "pending", (json_int_t)c.pending, "delivered",
                                  (json_int_t)c.delivered, "failed", (json_int_t)c.failed,
                                  "skipped", (json_int_t)c.skipped, "error", (json_int_t)c.error));
    json_object_set_new(o, "failures", json_integer(c.failed + c.error));
    json_object_set_new(o, "dead_letters", json_integer(c.dead_letters));
    json_object_set_new(o, "retrying", json_integer(c.retrying));
    json_object_set_new(o, "last_retry_error",
                        c.last_retry_error[0] ? json_string(c.last_retry_error) : json_null());
    return AU_OK;
}

/* --- samples for dry runs: a real stored context when the caller gives none ------------------ */

/* 1 when the test body asks for a sample: none, {} or {"sample": true}. */
static int wants_sample(const json_t *input)
{
    return !input ||
           (json_is_object(input) &&
            (json_object_size(input) == 0 ||
             (json_object_size(input) == 1 && json_is_true(json_object_get(input, "sample")))));
}

static au_rc sample_event(au_flows *f, au_store *st, const au_flow_trigger *t, json_t **ctx,
                          json_t **sampled, au_err *err)
{
    au_event_out ev;
    au_rc rc = au_store_event_latest(st, t->event_type, t->event_source, &ev);
    if (rc == AU_ERR_NOT_FOUND)
        return au_err_set(err, rc,
                          "no stored \"%s\" event to sample: give the context, e.g. "
                          "{\"event\": {...}}",
                          t->event_type);
    if (rc)
        return au_err_set(err, rc, "cannot read a sample event");
    au_event_row row = {ev.source,      ev.event_id, ev.type,       ev.at_ms,
                        ev.received_ms, ev.customer, ev.properties, ev.origin};
    *ctx = au_flows_event_ctx(f, st, &row);
    *sampled = json_pack("{s:s,s:s}", "event", ev.event_id, "source", ev.source);
    au_event_out_cleanup(&ev);
    return *ctx && *sampled ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

/* The newest change-feed row of a kind the trigger listens to (else the newest of any kind);
 * strings copied, the row passed to the callback is borrowed. */
typedef struct last_change {
    unsigned want;
    int matched;
    int64_t seq, profile, other;
    char kind[16], *source, *record_id;
} last_change;

static int keep_change(void *ctx, const au_change_row *c)
{
    last_change *lc = ctx;
    int match = (lc->want & au_flows_kind_bit(c->kind)) != 0;
    if (!match && lc->matched)
        return 0;
    lc->matched |= match;
    lc->seq = c->seq;
    lc->profile = c->profile;
    lc->other = c->other;
    snprintf(lc->kind, sizeof(lc->kind), "%s", c->kind);
    au_free(lc->source);
    au_free(lc->record_id);
    lc->source = c->source ? au_strdup(c->source) : NULL;
    lc->record_id = c->record_id ? au_strdup(c->record_id) : NULL;
    return 0;
}

/* How far back the feed is searched for a change of the trigger's kinds. */
#define SAMPLE_CHANGES 256

static au_rc sample_profile(au_flows *f, au_store *st, const au_flow_trigger *t, json_t **ctx,
                            json_t **sampled, au_err *err)
{
    last_change lc = {.want = t->profile_changes};
    au_record_out rec = {0}, prev = {0};
    int64_t max = 0;
    au_rc rc = au_store_change_max(st, &max);
    if (!rc)
        rc = au_store_changes_after(st, max > SAMPLE_CHANGES ? max - SAMPLE_CHANGES : 0,
                                    SAMPLE_CHANGES, keep_change, &lc);
    if (rc) {
        rc = au_err_set(err, rc, "cannot read a sample profile change");
        goto out;
    }
    if (!lc.seq) {
        rc = au_err_set(err, AU_ERR_NOT_FOUND,
                        "no stored profile change to sample: give the "
                        "context, e.g. {\"profile\": {...}}");
        goto out;
    }
    int have = lc.source && lc.record_id &&
               au_store_record_get(st, lc.source, lc.record_id, 0, &rec) == AU_OK;
    if (have && rec.version > 1 &&
        (rc = au_store_record_get(st, lc.source, lc.record_id, rec.version - 1, &prev))) {
        rc = au_err_set(err, rc, "cannot read the sampled record's previous version");
        goto out;
    }
    json_t *record = have ? au_flows_flat_record(lc.source, lc.record_id, rec.doc) : json_object();
    json_t *before = have && prev.version ? au_flows_flat_record(lc.source, lc.record_id, prev.doc)
                                          : json_object();
    json_t *changed = record && before ? au_flows_changed_attrs(record, before) : NULL;
    json_t *prof =
        au_flows_profile(f, st, lc.other && !strcmp(lc.kind, "merged") ? lc.other : lc.profile);
    *ctx = json_pack("{s:O,s:o,s:{s:s,s:s?,s:s?,s:O,s:O,s:I,s:s,s:I,s:I}}", "record", record,
                     "profile", json_is_null(prof) ? json_incref(record) : prof, "change", "kind",
                     lc.kind, "source", lc.source, "record_id", lc.record_id, "changed", changed,
                     "before", before, "version", (json_int_t)rec.version, "origin",
                     rec.origin ? rec.origin : "", "profile", (json_int_t)lc.profile, "other",
                     (json_int_t)lc.other);
    if (json_is_null(prof))
        json_decref(prof);
    json_decref(record);
    json_decref(before);
    json_decref(changed);
    *sampled =
        json_pack("{s:I,s:I}", "profile", (json_int_t)lc.profile, "change", (json_int_t)lc.seq);
    rc = *ctx && *sampled ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
out:
    au_record_out_cleanup(&rec);
    au_record_out_cleanup(&prev);
    au_free(lc.source);
    au_free(lc.record_id);
    return rc;
}

/* A stored context for a dry run of `e`: the newest matching event, or the newest profile
 * change. Webhook and schedule runs have no stored input to take one from. */
static au_rc sample(au_flows *f, const flow_entry *e, json_t **ctx, json_t **sampled, au_err *err)
{
    const au_flow_trigger *t = &e->def->trigger;
    if (t->kind != AU_TRIGGER_EVENT && t->kind != AU_TRIGGER_PROFILE)
        return au_err_set(err, AU_ERR_INVALID,
                          "flow \"%s\" has a %s trigger: nothing stored to sample, give the "
                          "context, e.g. {\"%s\": {...}}",
                          e->def->name, t->kind == AU_TRIGGER_WEBHOOK ? "webhook" : "schedule",
                          t->kind == AU_TRIGGER_WEBHOOK ? "webhook" : "schedule");
    au_store *st = au_engine_reader(f->engine);
    if (!st)
        return au_err_set(err, AU_ERR_STORE, "cannot read a sample");
    au_rc rc = t->kind == AU_TRIGGER_EVENT ? sample_event(f, st, t, ctx, sampled, err)
                                           : sample_profile(f, st, t, ctx, sampled, err);
    au_engine_reader_release(f->engine, st);
    return rc;
}

au_rc au_flows_test(au_flows *f, const char *name, const json_t *input, json_t **out, au_err *err)
{
    flow_entry *e = au_flows_acquire(f, name);
    int64_t now = au_flows_now_ms(f);
    int match = 0;
    au_expr_error ee = {0};
    *out = NULL;
    if (!e)
        return au_err_set(err, AU_ERR_NOT_FOUND, "no flow named \"%s\"", name);
    json_t *ctx = NULL, *sampled = NULL, *steps = NULL;
    if (wants_sample(input)) {
        au_rc src = sample(f, e, &ctx, &sampled, err);
        if (src) {
            json_decref(ctx);
            json_decref(sampled);
            au_flows_release(f, e);
            return src;
        }
    } else if (!json_is_object(input)) {
        au_flows_release(f, e);
        return au_err_set(err, AU_ERR_INVALID,
                          "the test input must be a JSON object: the run "
                          "context, e.g. {\"event\":{...}}, or {} to sample a stored one");
    } else {
        ctx = json_deep_copy(input);
    }
    steps = json_array();
    json_object_set_new(ctx, "delivery",
                        json_pack("{s:s,s:i,s:s}", "key", "dry-run", "attempt", 1, "flow", name));
    /* A dry run shows which secret a step uses, never its value. */
    json_object_set_new(ctx, "secret", au_secrets_context(f->secrets, 0));
    au_rc crc = au_flowdef_condition(e->def, ctx, now, &match, &ee);
    for (size_t i = 0; !crc && match && i < e->def->nsteps; i++) {
        const au_flow_step *s = &e->def->steps[i];
        json_t *w = NULL, *st = json_pack("{s:s,s:s}", "id", s->id, "kind", s->connector->name);
        au_expr_error we;
        if (s->when && au_expr_eval(s->when, ctx, now, &w, &we)) {
            json_object_set_new(st, "when", json_pack("{s:s}", "error", we.message));
        } else {
            int go = !s->when || au_expr_truthy(w);
            json_object_set_new(st, "when", json_boolean(go));
            if (go)
                json_object_set_new(st, "would_send", au_flows_preview(s, ctx, now));
        }
        json_decref(w);
        json_array_append_new(steps, st);
    }
    *out = json_pack("{s:s,s:o,s:s?,s:o,s:b,s:o*}", "flow", name, "condition",
                     crc ? json_null() : json_boolean(match), "condition_error",
                     crc ? ee.message : NULL, "steps", steps, "sent", 0, "sampled", sampled);
    json_decref(ctx);
    au_flows_release(f, e);
    return *out ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}
