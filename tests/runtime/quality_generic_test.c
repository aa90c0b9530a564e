/*
 * Black-box tests of generic and quarantined values in the real daemon: GET /v1/quality/generic
 * lists placeholders and configured values with the records holding them, survives a restart
 * (flags are rebuilt from the stored records), and explain shows why a pair sharing a generic
 * value or holding a quarantined birth date was (not) linked.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(quality_generic, .fini = au_rt_cleanup_all);

static const char people_def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"phone\":\"phone\","
    "\"date_of_birth\":\"dob\",\"national_id\":\"nid\"}}";

static const char config[] = "matching:\n"
                             "  generic:\n"
                             "    always: [\"Shared@Acme.com\"]\n";

static const char records[] =
    "[{\"id\":\"1\",\"first\":\"Lena\",\"last\":\"Berg\",\"email\":\"info@acme.com\","
    "\"dob\":\"1970-01-02\"},"
    "{\"id\":\"2\",\"first\":\"Lena\",\"email\":\"info@acme.com\"},"
    "{\"id\":\"3\",\"first\":\"Anna\",\"email\":\"shared@acme.com\"},"
    "{\"id\":\"4\",\"first\":\"Anna\",\"last\":\"Kowalska\",\"email\":\"shared@acme.com\"},"
    "{\"id\":\"5\",\"first\":\"Maria\",\"last\":\"Garcia\",\"dob\":\"1996-13-02\"},"
    "{\"id\":\"6\",\"first\":\"Maria\",\"last\":\"Garcia\",\"dob\":\"1996-02-13\"}]";

static void start(au_rt_daemon *d)
{
    au_rt_resp r = {0};
    int rc = au_rt_start(d, config);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");
    cr_assert_eq(au_rt_admin(d, "PUT", "/v1/sources/crm", people_def, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(d, "POST", "/v1/sources/crm/records", records, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
}

/* The listed entry for `value` in GET /v1/quality/generic (new reference), or NULL. */
static json_t *listed(au_rt_daemon *d, const char *value)
{
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "GET", "/v1/quality/generic", NULL, &r), 200, "%s", r.body);
    json_t *doc = au_rt_json(&r), *v, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(doc, "values"), i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "value")), value) == 0)
            found = json_incref(v);
    }
    json_decref(doc);
    au_rt_resp_cleanup(&r);
    return found;
}

/* GET /v1/explain of crm records a and b (new reference). */
static json_t *explain(au_rt_daemon *d, const char *a, const char *b)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/explain?a=crm:%s&b=crm:%s", a, b);
    cr_assert_eq(au_rt_admin(d, "GET", path, NULL, &r), 200, "%s", r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    return j;
}

static int has_evidence(json_t *x, const char *kind)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(x, "evidence"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0)
            return 1;
    }
    return 0;
}

static void check(au_rt_daemon *d)
{
    json_t *v = listed(d, "info@acme.com");
    cr_assert_not_null(v, "a role address is listed");
    cr_assert_str_eq(json_string_value(json_object_get(v, "reason")), "placeholder");
    cr_assert_str_eq(json_string_value(json_object_get(v, "column")), "email");
    cr_assert_eq(json_integer_value(json_object_get(v, "records")), 2);
    json_decref(v);
    v = listed(d, "shared@acme.com");
    cr_assert_not_null(v, "a configured value is listed in its key form");
    cr_assert_str_eq(json_string_value(json_object_get(v, "reason")), "configured_always");
    json_decref(v);
    json_t *x = explain(d, "1", "2");
    cr_assert(json_is_null(json_object_get(x, "rule")), "a role address fires no rule");
    cr_assert(has_evidence(x, "generic_value"));
    json_decref(x);
    x = explain(d, "3", "4");
    cr_assert(has_evidence(x, "generic_value"));
    cr_assert_str_neq(json_string_value(json_object_get(x, "decision")), "match");
    json_decref(x);
    x = explain(d, "5", "6");
    cr_assert(has_evidence(x, "quarantined_value"), "the impossible date is compared on digits");
    cr_assert_str_eq(json_string_value(json_object_get(x, "decision")), "match");
    json_decref(x);
}

Test(quality_generic, lists_generic_values_and_explain_shows_them_across_a_restart)
{
    au_rt_daemon d;
    start(&d);
    check(&d);
    cr_assert_eq(au_rt_stop(&d), 0, "daemon did not stop cleanly");
    cr_assert_eq(au_rt_restart(&d), 0, "daemon did not restart");
    check(&d); /* flags and quarantined raw forms are rebuilt from the stored records */
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/quality/generic?limit=0", NULL, &r), 400, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/quality/generic?limit=1", NULL, &r), 200);
    json_t *doc = au_rt_json(&r);
    cr_assert_eq(json_array_size(json_object_get(doc, "values")), 1);
    cr_assert(json_is_true(json_object_get(doc, "truncated")));
    json_decref(doc);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}
