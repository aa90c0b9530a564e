/*
 * The schedule trigger: one thread computes each schedule flow's next firing with
 * au_cron_next by the flows' clock (f->clock), starts a run through the writer when it is due,
 * and sleeps until the soonest next firing, at most a second so that a reload or a clock that
 * moved is noticed. A firing missed while the daemon was down is not made up. With several
 * nodes on one store every node's scheduler sees the firing due; each claims it in the store
 * (flow name, firing time) in the transaction that writes the run, and only the first writes it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flows/flows_int.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/clock.h"

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
    int fired = 0;
    if (!tid || !ctx || au_flows_fire_scheduled(f, e, tid, ctx, at, &fired, &err))
        au_log(AU_LOG_ERROR, "schedule could not start a run", "flow", e->def->name, "error",
               err.message, NULL);
    else if (!fired)
        au_log(AU_LOG_DEBUG, "schedule fired on another node", "flow", e->def->name, "trigger", tid,
               NULL);
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
        struct timespec ts = au_timespec_of_ms(au_wall_ms() + wait_ms);
        pthread_mutex_lock(&f->mu);
        f->sched_passes++;
        f->sched_next = next;
        pthread_cond_broadcast(&f->passed_cv);
        if (!f->stopping && f->sched_passes >= f->sched_wanted)
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
    pthread_cond_broadcast(&f->passed_cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->sched, NULL);
    f->sched_running = 0;
}

int64_t au_flows_sched_tick(au_flows *f)
{
    pthread_mutex_lock(&f->mu);
    /* The pass running now may have read the clock before the caller moved it: wait for the
     * one after it. */
    unsigned long want = f->sched_passes + 2;
    if (f->sched_wanted < want)
        f->sched_wanted = want;
    pthread_cond_broadcast(&f->sched_cv);
    while (f->sched_running && !f->stopping && f->sched_passes < want)
        pthread_cond_wait(&f->passed_cv, &f->mu);
    int64_t next = f->sched_next;
    pthread_mutex_unlock(&f->mu);
    return next;
}
