/*
 * A flow whose runs fail is visible: a failed run carries its reason in `error`; the runs list
 * filters by status (`dead`: a dead letter is open) and shows the profile as its id unless the
 * whole context is asked for; GET /v1/flows and GET /v1/flows/{name} show each flow's last run,
 * its runs by status, failures and open dead letters. The file step creates missing
 * directories, and a path that can never be created fails the run at once with the exact
 * directory in the error; once the path is fixed, replaying the dead letter delivers the run
 * and clears its error. A `when` that cannot be evaluated makes the run an error that says so.
 * An invalid inline flow of the configuration is named by its line and column in the file. A
 * target that is down shows as deliveries retrying, with the reason, before anything is dead.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../support/receiver.h"
#include "flows_helpers.h"

TestSuite(flows_runs, .fini = au_rt_cleanup_all);

static json_t *flow_named(json_t *list, const char *name)
{
    json_t *f;
    size_t i;
    json_array_foreach(json_object_get(list, "flows"), i, f)
    {
        if (!strcmp(json_string_value(json_object_get(f, "name")), name))
            return f;
    }
    cr_assert_fail("flow %s is not listed", name);
    return NULL;
}

static json_int_t int_at(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    return json_integer_value(b ? json_object_get(v, b) : v);
}

static size_t count_runs(au_rt_daemon *d, const char *flow, const char *query)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/flows/%s/runs?%s", flow, query);
    json_t *j = rt_get(d, path);
    size_t n = json_array_size(json_object_get(j, "runs"));
    json_decref(j);
    return n;
}

Test(flows_runs, failing_flows_are_visible_and_recover_on_replay, .timeout = 90)
{
    au_rt_daemon d;
    char blocker[512], path[600];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    /* A plain file where the bad flow's directory should be: no one can create it. */
    snprintf(blocker, sizeof(blocker), "%s/blocker", d.dir);
    FILE *b = fopen(blocker, "w");
    cr_assert_not_null(b);
    fclose(b);
    rt_call(&d, "PUT", "/v1/sources/crm",
            "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\",\"email\":\"email\"}}",
            200);
    const char *trig = "{profile: [created, updated]}", *body = "{email: \"{{ record.email }}\"}";
    rt_flow_put_file(&d, "good", trig, "audit/2026/good.jsonl", body, NULL);
    rt_flow_put_file(&d, "bad", trig, "blocker/x/bad.jsonl", body, NULL);
    rt_flow_put(&d, "when-err",
                "trigger: {profile: [created, updated]}\n"
                "steps:\n  - id: only\n    when: record.first_name * 2\n"
                "    file: {path: /dev/null, body: {a: 1}}\n");
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c1\",\"first\":\"Lucy\",\"email\":\"lucy.price@example.com\"}]", 200);
    json_t *good = rt_flow_runs_when(&d, "good", "", 1);
    json_t *bad = rt_flow_runs_when(&d, "bad", "", 1);
    json_t *werr = rt_flow_runs_when(&d, "when-err", "", 1);

    /* The missing directories were created and the line written. */
    json_t *run = json_array_get(json_object_get(good, "runs"), 0);
    cr_assert_str_eq(rt_str_at(run, "status", NULL, NULL), "delivered");
    cr_assert(json_is_null(json_object_get(run, "error")), "a delivered run has no error");
    snprintf(path, sizeof(path), "%s/audit/2026/good.jsonl", d.dir);
    FILE *in = fopen(path, "r");
    char line[128] = "";
    cr_assert_not_null(in, "missing directories are created");
    cr_assert_not_null(fgets(line, sizeof(line), in));
    fclose(in);
    cr_assert_str_eq(line, "{\"email\":\"lucy.price@example.com\"}\n");
    /* Without ?context=1 the profile is only its id; with it, the whole golden record. */
    json_t *prof = json_object_get(json_object_get(run, "input"), "profile");
    cr_assert_eq(json_object_size(prof), 1, "profile reduced to its id");
    cr_assert_gt(json_integer_value(json_object_get(prof, "id")), 0);
    json_t *full = rt_get(&d, "/v1/flows/good/runs?context=1");
    prof = json_object_get(
        json_object_get(json_array_get(json_object_get(full, "runs"), 0), "input"), "profile");
    cr_assert_not_null(json_object_get(prof, "records"), "context=1 has the whole profile");
    json_decref(full);

    /* The uncreatable path fails at once (not retried) with the exact reason. */
    run = json_array_get(json_object_get(bad, "runs"), 0);
    cr_assert_str_eq(rt_str_at(run, "status", NULL, NULL), "failed");
    const char *err = rt_str_at(run, "error", NULL, NULL);
    char want[1200];
    snprintf(want, sizeof(want), "%s is not a directory (path %s/x/bad.jsonl)", blocker, blocker);
    cr_assert(err && strstr(err, want), "error: %s", err);
    cr_assert(strstr(err, "step step1: permanent failure"), "error: %s", err);
    cr_assert_eq(int_at(run, "attempts", NULL), 1, "a path that can never work is not retried");

    /* A `when` that cannot be evaluated is an error run, saying which step and why. */
    run = json_array_get(json_object_get(werr, "runs"), 0);
    cr_assert_str_eq(rt_str_at(run, "status", NULL, NULL), "error");
    err = rt_str_at(run, "error", NULL, NULL);
    cr_assert(err && strstr(err, "step only: when: cannot multiply"), "error: %s", err);
    json_decref(good);
    json_decref(bad);
    json_decref(werr);

    /* Filters. */
    cr_assert_eq(count_runs(&d, "bad", "status=failed"), 1);
    cr_assert_eq(count_runs(&d, "bad", "status=dead"), 1);
    cr_assert_eq(count_runs(&d, "bad", "status=delivered"), 0);
    cr_assert_eq(count_runs(&d, "good", "status=delivered"), 1);
    cr_assert_eq(count_runs(&d, "good", "status=failed"), 0);
    cr_assert_eq(count_runs(&d, "when-err", "status=error"), 1);
    rt_call(&d, "GET", "/v1/flows/bad/runs?status=broken", NULL, 400);
    rt_call(&d, "GET", "/v1/flows/no-such-flow/runs", NULL, 404);

    /* The list shows how each flow stands. */
    json_t *list = rt_get(&d, "/v1/flows");
    json_t *fb = flow_named(list, "bad"), *fg = flow_named(list, "good");
    cr_assert_eq(int_at(fb, "failures", NULL), 1);
    cr_assert_eq(int_at(fb, "dead_letters", NULL), 1);
    cr_assert_eq(int_at(fb, "runs", "failed"), 1);
    cr_assert_str_eq(rt_str_at(fb, "last_run", "status", NULL), "failed");
    cr_assert(strstr(rt_str_at(fb, "last_run", "error", NULL), "is not a directory"));
    cr_assert_eq(int_at(fg, "failures", NULL), 0);
    cr_assert_eq(int_at(fg, "dead_letters", NULL), 0);
    cr_assert_eq(int_at(fg, "retrying", NULL), 0);
    cr_assert(json_is_null(json_object_get(fg, "last_retry_error")));
    cr_assert_eq(int_at(fg, "runs", "delivered"), 1);
    cr_assert_eq(int_at(fg, "runs", "total"), 1);
    cr_assert_eq(int_at(flow_named(list, "when-err"), "failures", NULL), 1);
    json_decref(list);

    /* Fixed path, replay: delivered, the error is history, no dead letter left. */
    cr_assert_eq(unlink(blocker), 0);
    cr_assert_eq(mkdir(blocker, 0750), 0);
    rt_call(&d, "POST", "/v1/deadletters/replay", "{\"flow\":\"bad\"}", 202);
    bad = rt_flow_runs_when(&d, "bad", "status=delivered", 1);
    run = json_array_get(json_object_get(bad, "runs"), 0);
    cr_assert(json_is_null(json_object_get(run, "error")), "replayed and delivered: no error");
    json_decref(bad);
    json_t *one = rt_get(&d, "/v1/flows/bad");
    cr_assert_eq(int_at(one, "dead_letters", NULL), 0);
    cr_assert_eq(int_at(one, "failures", NULL), 0);
    cr_assert_str_eq(rt_str_at(one, "last_run", "status", NULL), "delivered");
    json_decref(one);
    cr_assert_eq(count_runs(&d, "bad", "status=dead"), 0);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

/* An inline flow of the configuration is validated on its own nodes of the configuration's
 * YAML tree: its error names the configuration file, the list item and the line and column in
 * that file (the harness writes one line of its own first, so the step is on line 5). */
Test(flows_runs, an_inline_configuration_flow_error_names_the_line_in_the_file, .timeout = 30)
{
    au_rt_daemon d;
    const char *cfg = "flows:\n"
                      "  - name: audit-orders\n"
                      "    trigger: {event: order}\n"
                      "    steps: [{file: {paht: /tmp/x.jsonl, body: {id: \"{{ event.id }}\"}}}]\n";
    cr_assert_neq(au_rt_start(&d, cfg), 0, "an invalid flow stops the daemon from starting");
    char *log = au_rt_log(&d);
    cr_assert_not_null(log);
    cr_assert(strstr(log, "config.yaml: flows[0] (inline in the configuration): flow "
                          "\\\"audit-orders\\\": line 5, column 21: steps[0].file: unknown key "
                          "'paht'"),
              "%s", log);
    free(log);
    au_rt_cleanup(&d);
}

/* A target that is down shows in the flow list long before anything is dead: how many
 * deliveries wait for a retry and why the newest failed. */
Test(flows_runs, a_target_that_is_down_shows_as_retrying, .timeout = 60)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    rt_receiver_answer(rx, 503, NULL, 0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "trigger: {event: payment}\n"
             "steps:\n  - id: notify\n    http:\n"
             "      url: \"http://127.0.0.1:%d/pay/{{ event.id }}\"\n      body: {a: 1}\n"
             "retry: {max_attempts: 100, backoff_ms: 60000, max_backoff_ms: 60000}\n",
             rt_receiver_port(rx));
    rt_flow_put(&d, "down", yaml);
    rt_call(&d, "POST", "/v1/events",
            "{\"source\":\"billing\",\"event_id\":\"p1\",\"type\":\"payment\","
            "\"customer\":{\"source\":\"billing\",\"record\":\"B1\"},\"properties\":{}}",
            200);
    cr_assert_geq(rt_receiver_wait(rx, 1, 20), 1);
    /* The first attempt's outcome is committed after the target answered: wait for it. */
    json_t *one = NULL;
    struct timespec poll = {0, 50 * 1000000L};
    for (;;) {
        one = rt_get(&d, "/v1/flows/down");
        if (int_at(one, "retrying", NULL) == 1)
            break;
        json_decref(one);
        nanosleep(&poll, NULL);
    }
    const char *why = rt_str_at(one, "last_retry_error", NULL, NULL);
    cr_assert(why && strstr(why, "HTTP 503"), "last_retry_error: %s", why);
    cr_assert_eq(int_at(one, "runs", "pending"), 1);
    cr_assert_eq(int_at(one, "dead_letters", NULL), 0);
    json_decref(one);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}
