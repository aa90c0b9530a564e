/*
 * Running a flow: au_flows_fire evaluates the condition and the per-step conditions of one
 * trigger's context and writes the run with one outbox row per step, inside the caller's
 * transaction (the engine hook in hook.c calls it in the write path; webhooks and schedules go
 * through au_flows_fire_call, a writer job of its own). Also the flows' clock and time format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/flows_int.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/isotime.h"

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

/* --- triggers outside the write path: a writer job of their own ---------------------------- */

typedef struct fire_job {
    au_flows *f;
    flow_entry *e;
    const char *trigger_id;
    json_t *ctx;
    int64_t run_id;
    int64_t at_s; /* a schedule's firing time, claimed first; -1: no claim */
    int fired;    /* the claim was won (or there was none) and the run written */
} fire_job;

static au_rc fire_in_writer(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    fire_job *j = ctx;
    int64_t now = au_flows_now_ms(j->f);
    au_rc rc = AU_OK;
    int won = 1;
    if (j->at_s >= 0) {
        /* The claim and the run commit together: if the run cannot be written, the claim is
         * rolled back with it and the firing is not lost to the other nodes. */
        char *name = au_asprintf("flow:%s", j->e->def->name);
        rc =
            name ? au_store_schedule_claim(st, name, j->at_s, j->f->node, now, &won) : AU_ERR_NOMEM;
        au_free(name);
    }
    if (!rc && won)
        rc = au_flows_fire(j->f, st, j->e, j->trigger_id, j->ctx, "", now, &j->run_id);
    j->fired = !rc && won;
    if (rc)
        au_err_set(err, rc, "cannot start a run of flow \"%s\"", j->e->def->name);
    return rc;
}

au_rc au_flows_fire_call(au_flows *f, flow_entry *e, const char *trigger_id, json_t *ctx,
                         int64_t *run_id, au_err *err)
{
    fire_job j = {f, e, trigger_id, ctx, 0, -1, 0};
    au_rc rc = au_engine_call(f->engine, fire_in_writer, &j, "flows", err);
    if (!rc && run_id)
        *run_id = j.run_id;
    return rc;
}

au_rc au_flows_fire_scheduled(au_flows *f, flow_entry *e, const char *trigger_id, json_t *ctx,
                              int64_t at_s, int *fired, au_err *err)
{
    fire_job j = {f, e, trigger_id, ctx, 0, at_s, 0};
    au_rc rc = au_engine_call(f->engine, fire_in_writer, &j, "flows", err);
    *fired = !rc && j.fired;
    return rc;
}
