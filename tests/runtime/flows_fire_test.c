/*
 * Profile triggers fire on every real change of value, whatever the value's stored form: the
 * store keeps an attribute whose raw, cleaned and key forms agree (a lower-case e-mail, an E.164
 * phone, an ISO date) as one bare string, and the flow context once lost exactly those, so a
 * change from one clean e-mail to another never fired. The context also carries the values
 * before the change (`change.before`), so a flow can send the old and the new value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"

TestSuite(flows_fire, .fini = au_rt_cleanup_all);

static void put_yaml_flow(au_rt_daemon *d, const char *name, const char *yaml)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s", name);
    long st =
        au_rt_request(d, "PUT", path, "application/yaml", yaml, strlen(yaml), d->admin_key, &r);
    cr_assert_eq(st, 200, "PUT %s: %ld %s", path, st, r.body);
    au_rt_resp_cleanup(&r);
}

static void post(au_rt_daemon *d, const char *path, const char *body)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, "POST", path, body, &r);
    cr_assert_eq(st, 200, "POST %s: %ld %s", path, st, r.body);
    au_rt_resp_cleanup(&r);
}

/* The runs of `flow` with their context, once there are `want` of them and none is pending
 * (the runs list is polled: the condition is the run's commit, not a time). New reference. */
static json_t *runs_when(au_rt_daemon *d, const char *flow, size_t want)
{
    char path[160];
    struct timespec poll = {0, 50 * 1000000L}; /* between two looks, not a deadline */
    snprintf(path, sizeof(path), "/v1/flows/%s/runs?context=1", flow);
    for (;;) {
        au_rt_resp r = {0};
        cr_assert_eq(au_rt_admin(d, "GET", path, NULL, &r), 200, "%s", r.body);
        json_t *j = au_rt_json(&r);
        au_rt_resp_cleanup(&r);
        json_t *runs = json_object_get(j, "runs"), *run;
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

/* The string at o.a[.b[.c]] (b, c may be NULL), or NULL. */
static const char *str_at(json_t *o, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(o, a);
    v = b ? json_object_get(v, b) : v;
    v = c ? json_object_get(v, c) : v;
    return json_string_value(v);
}

/* A file flow writing into the daemon's data directory: `trigger` and the body's YAML. */
static void put_file_flow(au_rt_daemon *d, const char *name, const char *trigger, const char *body)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "trigger: %s\nsteps:\n  - file:\n      path: %s/%s.jsonl\n"
             "      body: %s\n",
             trigger, d->dir, name, body);
    put_yaml_flow(d, name, yaml);
}

static int has_name(json_t *list, const char *name)
{
    json_t *v;
    size_t i;
    json_array_foreach(list, i, v)
    {
        if (!strcmp(json_string_value(v), name))
            return 1;
    }
    return 0;
}

Test(flows_fire, a_clean_email_changed_to_another_clean_email_fires, .timeout = 60)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/crm",
                             "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\","
                             "\"last_name\":\"last\",\"email\":\"email\",\"phone\":\"phone\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    put_file_flow(&d, "email-changed", "{profile: updated, attributes: [email]}",
                  "{old: \"{{ change.before.email }}\", new: \"{{ record.email }}\"}");
    post(&d, "/v1/sources/crm/records",
         "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
         "\"email\":\"lucy.price@example.com\",\"phone\":\"+442079460958\"}]");
    post(&d, "/v1/sources/crm/records",
         "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
         "\"email\":\"lucy.price@newmail.com\",\"phone\":\"+442079460958\"}]");
    json_t *j = runs_when(&d, "email-changed", 1);
    json_t *runs = json_object_get(j, "runs");
    cr_assert_eq(json_array_size(runs), 1, "one e-mail change, one run");
    json_t *run = json_array_get(runs, 0);
    cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "delivered");
    json_t *in = json_object_get(run, "input");
    cr_assert_str_eq(str_at(in, "record", "email", NULL), "lucy.price@newmail.com");
    cr_assert_str_eq(str_at(in, "change", "before", "email"), "lucy.price@example.com");
    /* The clean phone is in the record too (it was as invisible as the e-mail). */
    cr_assert_str_eq(str_at(in, "record", "phone", NULL), "+442079460958");
    json_t *changed = json_object_get(json_object_get(in, "change"), "changed");
    cr_assert(has_name(changed, "email"), "changed lists email");
    cr_assert(!has_name(changed, "phone"), "the phone did not change");
    cr_assert(!has_name(changed, "source") && !has_name(changed, "record_id"));
    json_decref(j);

    /* Only the form changes (upper case cleans to the same value): nothing fires. A real change
     * after it is the second run, so there was no run in between. */
    post(&d, "/v1/sources/crm/records",
         "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
         "\"email\":\"LUCY.PRICE@NEWMAIL.COM\",\"phone\":\"+442079460958\"}]");
    post(&d, "/v1/sources/crm/records",
         "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
         "\"email\":\"lucy@price.example\",\"phone\":\"+442079460958\"}]");
    j = runs_when(&d, "email-changed", 2);
    runs = json_object_get(j, "runs");
    cr_assert_eq(json_array_size(runs), 2, "a change of form only is not a change of value");
    in = json_object_get(json_array_get(runs, 0), "input");
    cr_assert_str_eq(str_at(in, "change", "before", "email"), "lucy.price@newmail.com");
    cr_assert_str_eq(str_at(in, "record", "email", NULL), "lucy@price.example");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

Test(flows_fire, created_and_deleted_carry_what_was_there, .timeout = 60)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/crm",
                             "{\"record_id\":\"id\",\"fields\":{\"email\":\"email\","
                             "\"date_of_birth\":\"dob\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    put_file_flow(&d, "lifecycle", "{profile: [created, deleted]}", "{k: \"{{ change.kind }}\"}");
    post(&d, "/v1/sources/crm/records",
         "[{\"id\":\"c9\",\"email\":\"ann@example.com\",\"dob\":\"1980-02-29\"}]");
    json_t *j = runs_when(&d, "lifecycle", 1);
    json_t *in = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "input");
    cr_assert_str_eq(str_at(in, "change", "kind", NULL), "created");
    cr_assert_str_eq(str_at(in, "record", "date_of_birth", NULL), "1980-02-29");
    cr_assert_eq(json_object_size(json_object_get(json_object_get(in, "change"), "before")), 0,
                 "nothing was there before a creation");
    cr_assert(has_name(json_object_get(json_object_get(in, "change"), "changed"), "email"));
    json_decref(j);
    cr_assert_eq(au_rt_admin(&d, "DELETE", "/v1/sources/crm/records/c9", NULL, &r), 200, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    j = runs_when(&d, "lifecycle", 2);
    in = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "input");
    cr_assert_str_eq(str_at(in, "change", "kind", NULL), "deleted");
    cr_assert_str_eq(str_at(in, "change", "before", "email"), "ann@example.com");
    cr_assert_str_eq(str_at(in, "change", "before", "date_of_birth"), "1980-02-29");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}
