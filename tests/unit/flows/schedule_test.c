/*
 * The schedule thread of src/flows/schedule.c timed by a manual clock: a real engine with the
 * flows hook, a schedule flow every minute, and au_flows_sched_tick to wait for a whole
 * scheduler pass instead of a time. Nothing fires before the minute, the minute fires exactly
 * once, each firing is its own run dated by the schedule, and a jump of an hour fires once
 * (missed firings are not made up) and schedules the next one from the new time.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "flows/flows.h"
#include "flows/flows_int.h"
#include "lib/clock.h"
#include "../both.h"

/* 2030-03-17T17:46:40Z. A pass answers its soonest firing within the minute ahead (the
 * scheduler looks again at least that often), so the flow fires every minute. */
#define T0_S 1900000000LL

static char dir[64];
static au_config cfg;
static au_engine *eng;
static au_flows *flows;
static au_manual_clock clk;
static const au_engine_hook *const hooks[] = {&au_flows_hook, NULL};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void setup(void)
{
    au_err err;
    au_err_init(&err);
    snprintf(dir, sizeof(dir), "/tmp/aurum-sched-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = dir;
    cfg.group_commit_max = 64;
    cr_assert_eq(au_engine_open_at(&cfg, au_both_store(dir), dir, hooks, &eng, &err), AU_OK, "%s",
                 err.message);
    cr_assert_not_null(flows = au_flows_of(eng));
    au_manual_clock_init(&clk, T0_S * 1000);
    flows->clock = &clk.clock; /* before the threads start: they read it from then on */
    cr_assert_eq(au_flows_start(flows, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

static void teardown(void)
{
    au_flows_stop(flows);
    au_engine_close(eng);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

AU_BOTH_SUITE(schedule, setup, teardown, .timeout = 60);

/* Moves the clock to `s` Unix seconds (never back). */
static void clock_to(int64_t s)
{
    int64_t now = au_clock_now_ms(&clk.clock);
    cr_assert_geq(s * 1000, now);
    au_manual_clock_advance(&clk, s * 1000 - now);
}

/* The runs of `flow`, newest first, with their whole input when `context` (new reference). */
static json_t *runs(const char *flow, int context)
{
    au_runs_query q = {NULL, 0, 100, context};
    json_t *out = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_flows_runs(flows, flow, &q, &out, &err);
    cr_assert_eq(rc, AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    json_t *list = json_incref(json_object_get(out, "runs"));
    json_decref(out);
    return list;
}

static size_t nruns(const char *flow)
{
    json_t *r = runs(flow, 0);
    size_t n = json_array_size(r);
    json_decref(r);
    return n;
}

/* The newest run's trigger id and schedule.at. */
static void newest(const char *flow, char *trigger, size_t tsize, char *at, size_t asize)
{
    json_t *r = runs(flow, 1), *run = json_array_get(r, 0);
    cr_assert_not_null(run);
    json_t *sched = json_object_get(json_object_get(run, "input"), "schedule");
    snprintf(trigger, tsize, "%s", json_string_value(json_object_get(run, "trigger")));
    snprintf(at, asize, "%s", json_string_value(json_object_get(sched, "at")));
    json_decref(r);
}

AU_BOTH_TEST(schedule, fires_on_the_minute_once_and_does_not_make_up_missed_firings)
{
    char yaml[512], trigger[64], at[64];
    json_t *out = NULL;
    au_err err;
    au_err_init(&err);
    snprintf(yaml, sizeof(yaml),
             "trigger: {schedule: {cron: \"* * * * *\", timezone: UTC}}\n"
             "steps:\n  - id: log\n    file: {path: %s/ticks.jsonl, body: {at: "
             "\"{{ schedule.at }}\"}}\n",
             dir);
    cr_assert_eq(au_flows_put(flows, "tick", yaml, strlen(yaml), &out, &err), AU_OK, "%s",
                 err.message);
    json_decref(out);
    const int64_t t1 = T0_S + 20; /* 17:47:00, the next minute */
    cr_assert_eq(au_flows_sched_tick(flows), t1, "the next firing is computed by the clock");
    cr_assert_eq(nruns("tick"), 0);
    clock_to(t1 - 1);
    cr_assert_eq(au_flows_sched_tick(flows), t1);
    cr_assert_eq(nruns("tick"), 0, "a second early fires nothing");
    clock_to(t1);
    cr_assert_eq(au_flows_sched_tick(flows), t1 + 60, "then 17:48");
    cr_assert_eq(nruns("tick"), 1);
    newest("tick", trigger, sizeof(trigger), at, sizeof(at));
    cr_assert_str_eq(trigger, "schedule:1900000020");
    cr_assert_str_eq(at, "2030-03-17T17:47:00Z");
    cr_assert_eq(au_flows_sched_tick(flows), t1 + 60);
    cr_assert_eq(nruns("tick"), 1, "a minute fires once");
    clock_to(t1 + 3600); /* 18:47: the daemon was away for an hour */
    cr_assert_eq(au_flows_sched_tick(flows), t1 + 3660, "the next from the new time");
    cr_assert_eq(nruns("tick"), 2, "the missed firings are not made up, one run for the jump");
    newest("tick", trigger, sizeof(trigger), at, sizeof(at));
    cr_assert_str_eq(trigger, "schedule:1900000080", "the first missed minute, once");
    au_err_cleanup(&err);
}
