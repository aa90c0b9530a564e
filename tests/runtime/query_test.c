/*
 * Query and path parameters are parsed by one declared-table module (src/api/query.c over
 * src/lib/opts.c): a malformed or out-of-range number or flag is the same precise 400 on every
 * route that takes parameters, naming the parameter and its bounds, where routes used to answer
 * 400, silently use the leading digits, clamp, or read any word as "yes".
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "harness.h"

TestSuite(query, .fini = au_rt_cleanup_all);

typedef struct bad_query {
    const char *path;
    const char *message; /* the error message must start with this */
} bad_query;

static const bad_query bad[] = {
    {"/v1/flows/none/runs?limit=5x", "limit: expected an integer from 1 to 1000, got '5x'"},
    {"/v1/flows/none/runs?limit=5000", "limit: expected an integer from 1 to 1000, got '5000'"},
    {"/v1/flows/none/runs?context=maybe", "context: expected true or false"},
    {"/v1/review?limit=5x", "limit: expected an integer from 1 to 10000, got '5x'"},
    {"/v1/review?limit=%2B5", "limit: expected an integer from 1 to 10000, got '+5'"},
    {"/v1/quality/generic?limit=5x", "limit: expected an integer from 1 to 100000, got '5x'"},
    {"/v1/changes?limit=5x", "limit: expected an integer from 1 to 1000, got '5x'"},
    {"/v1/quality?days=5x", "days: expected an integer from 0 to"},
    {"/v1/quality?days=400", "days: expected an integer from 0 to 366, got '400'"},
    {"/v1/flows/none/runs?before=-1", "before: expected an integer of at least 0, got '-1'"},
    {"/v1/deadletters?all=maybe", "all: expected true or false"},
    {"/v1/review?limit=0", "limit: expected an integer from 1 to 10000, got '0'"},
    {"/v1/changes?wait=soon", "wait: expected an integer from 0 to 60, got 'soon'"},
    {"/v1/changes?limit=0", "limit: expected an integer from 1 to 1000, got '0'"},
    {"/v1/profiles/search?q=ann&limit=101", "limit: expected an integer from 1 to 100, got '101'"},
    {"/v1/profiles/1/timeline?limit=5x", "limit: expected an integer from 1 to 500, got '5x'"},
    {"/v1/profiles?email=a@b.c&lineage=maybe", "lineage: expected true or false"},
    {"/v1/profiles/1?lineage=2", "lineage: expected true or false"},
    {"/v1/sources/crm/records/r1?history=all", "history: expected true or false"},
    {"/v1/subjects/export?profile=abc", "profile: expected an integer of at least 1, got 'abc'"},
    {"/v1/explain?a=crm:1", "b: required"},
};

Test(query, malformed_numbers_are_a_400_naming_the_parameter_on_every_route)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0, "daemon did not start");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        au_rt_resp r = {0};
        cr_assert_eq(au_rt_admin(&d, "GET", bad[i].path, NULL, &r), 400, "%s: %s", bad[i].path,
                     r.body);
        json_t *j = au_rt_json(&r);
        json_t *e = json_object_get(j, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        cr_assert_str_eq(json_string_value(json_object_get(e, "code")), "invalid_input");
        cr_assert(msg && !strncmp(msg, bad[i].message, strlen(bad[i].message)), "%s: %s",
                  bad[i].path, r.body);
        json_decref(j);
        au_rt_resp_cleanup(&r);
    }
    /* A path parameter is declared too: a dead letter id that is not one is a 400 naming it; a
     * profile id that cannot name a profile is a 404. */
    au_rt_resp r0 = {0};
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/deadletters/x1/replay", NULL, &r0), 400, "%s",
                 r0.body);
    cr_assert(strstr(r0.body, "id: expected an integer of at least 1, got 'x1'"), "%s", r0.body);
    au_rt_resp_cleanup(&r0);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/profiles/abc", NULL, &r0), 404, "%s", r0.body);
    cr_assert(strstr(r0.body, "no profile 'abc'"), "%s", r0.body);
    au_rt_resp_cleanup(&r0);
    /* Well-formed values in range still work. */
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/review?limit=5", NULL, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_stop(&d), 0);
}
