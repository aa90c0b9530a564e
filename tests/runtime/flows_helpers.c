/*
 * Helpers shared by the flow runtime tests (flows_helpers.h).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flows_helpers.h"

void rt_flow_put(au_rt_daemon *d, const char *name, const char *yaml)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s", name);
    long st =
        au_rt_request(d, "PUT", path, "application/yaml", yaml, strlen(yaml), d->admin_key, &r);
    cr_assert_eq(st, 200, "PUT %s: %ld %s", path, st, r.body);
    au_rt_resp_cleanup(&r);
}

void rt_flow_put_file(au_rt_daemon *d, const char *name, const char *trigger, const char *file,
                      const char *body, const char *extra)
{
    char yaml[2048];
    snprintf(yaml, sizeof(yaml),
             "trigger: %s\nsteps:\n  - file:\n      path: %s/%s\n      body: %s\n%s", trigger,
             d->dir, file, body, extra ? extra : "");
    rt_flow_put(d, name, yaml);
}

void rt_call(au_rt_daemon *d, const char *method, const char *path, const char *body, long want)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, method, path, body, &r);
    cr_assert_eq(st, want, "%s %s: %ld %s", method, path, st, r.body);
    au_rt_resp_cleanup(&r);
}

json_t *rt_get(au_rt_daemon *d, const char *path)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, "GET", path, NULL, &r);
    cr_assert_eq(st, 200, "GET %s: %ld %s", path, st, r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    cr_assert_not_null(j);
    return j;
}

json_t *rt_flow_runs_when(au_rt_daemon *d, const char *flow, const char *query, size_t want)
{
    char path[256];
    struct timespec poll = {0, 50 * 1000000L}; /* between two looks, not a deadline */
    snprintf(path, sizeof(path), "/v1/flows/%s/runs?%s", flow, query ? query : "");
    for (;;) {
        json_t *j = rt_get(d, path), *run;
        json_t *runs = json_object_get(j, "runs");
        size_t k, pending = 0;
        json_array_foreach(runs, k, run)
        {
            pending += !strcmp(json_string_value(json_object_get(run, "status")), "pending");
        }
        if (json_array_size(runs) >= want && !pending)
            return j;
        json_decref(j);
        nanosleep(&poll, NULL);
    }
}

const char *rt_str_at(json_t *o, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(o, a);
    v = b ? json_object_get(v, b) : v;
    v = c ? json_object_get(v, c) : v;
    return json_string_value(v);
}
