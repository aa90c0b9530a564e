/*
 * Profile triggers fire on every real change of value, whatever the value's stored form: the
 * store keeps an attribute whose raw, cleaned and key forms agree (a lower-case e-mail, an E.164
 * phone, an ISO date) as one bare string, and the flow context once lost exactly those, so a
 * change from one clean e-mail to another never fired. The context also carries the values
 * before the change (`change.before`), so a flow can send the old and the new value.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "flows_helpers.h"

TestSuite(flows_fire, .fini = au_rt_cleanup_all);

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
    rt_call(&d, "PUT", "/v1/sources/crm",
            "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\","
            "\"last_name\":\"last\",\"email\":\"email\",\"phone\":\"phone\"}}",
            200);
    rt_flow_put_file(&d, "email-changed", "{profile: updated, attributes: [email]}", "email.jsonl",
                     "{old: \"{{ change.before.email }}\", new: \"{{ record.email }}\"}", NULL);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
            "\"email\":\"lucy.price@example.com\",\"phone\":\"+442079460958\"}]",
            200);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
            "\"email\":\"lucy.price@newmail.com\",\"phone\":\"+442079460958\"}]",
            200);
    json_t *j = rt_flow_runs_when(&d, "email-changed", "context=1", 1);
    json_t *runs = json_object_get(j, "runs");
    cr_assert_eq(json_array_size(runs), 1, "one e-mail change, one run");
    json_t *run = json_array_get(runs, 0);
    cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "delivered");
    json_t *in = json_object_get(run, "input");
    cr_assert_str_eq(rt_str_at(in, "record", "email", NULL), "lucy.price@newmail.com");
    cr_assert_str_eq(rt_str_at(in, "change", "before", "email"), "lucy.price@example.com");
    /* The clean phone is in the record too (it was as invisible as the e-mail). */
    cr_assert_str_eq(rt_str_at(in, "record", "phone", NULL), "+442079460958");
    json_t *changed = json_object_get(json_object_get(in, "change"), "changed");
    cr_assert(has_name(changed, "email"), "changed lists email");
    cr_assert(!has_name(changed, "phone"), "the phone did not change");
    cr_assert(!has_name(changed, "source") && !has_name(changed, "record_id"));
    json_decref(j);

    /* Only the form changes (upper case cleans to the same value): nothing fires. A real change
     * after it is the second run, so there was no run in between. */
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
            "\"email\":\"LUCY.PRICE@NEWMAIL.COM\",\"phone\":\"+442079460958\"}]",
            200);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c1\",\"first\":\"Lucy\",\"last\":\"Price\","
            "\"email\":\"lucy@price.example\",\"phone\":\"+442079460958\"}]",
            200);
    j = rt_flow_runs_when(&d, "email-changed", "context=1", 2);
    runs = json_object_get(j, "runs");
    cr_assert_eq(json_array_size(runs), 2, "a change of form only is not a change of value");
    in = json_object_get(json_array_get(runs, 0), "input");
    cr_assert_str_eq(rt_str_at(in, "change", "before", "email"), "lucy.price@newmail.com");
    cr_assert_str_eq(rt_str_at(in, "record", "email", NULL), "lucy@price.example");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

Test(flows_fire, created_and_deleted_carry_what_was_there, .timeout = 60)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    rt_call(&d, "PUT", "/v1/sources/crm",
            "{\"record_id\":\"id\",\"fields\":{\"email\":\"email\",\"date_of_birth\":\"dob\"}}",
            200);
    rt_flow_put_file(&d, "lifecycle", "{profile: [created, deleted]}", "lifecycle.jsonl",
                     "{k: \"{{ change.kind }}\"}", NULL);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c9\",\"email\":\"ann@example.com\",\"dob\":\"1980-02-29\"}]", 200);
    json_t *j = rt_flow_runs_when(&d, "lifecycle", "context=1", 1);
    json_t *in = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "input");
    cr_assert_str_eq(rt_str_at(in, "change", "kind", NULL), "created");
    cr_assert_str_eq(rt_str_at(in, "record", "date_of_birth", NULL), "1980-02-29");
    cr_assert_eq(json_object_size(json_object_get(json_object_get(in, "change"), "before")), 0,
                 "nothing was there before a creation");
    cr_assert(has_name(json_object_get(json_object_get(in, "change"), "changed"), "email"));
    json_decref(j);
    rt_call(&d, "DELETE", "/v1/sources/crm/records/c9", NULL, 200);
    j = rt_flow_runs_when(&d, "lifecycle", "context=1", 2);
    in = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "input");
    cr_assert_str_eq(rt_str_at(in, "change", "kind", NULL), "deleted");
    cr_assert_str_eq(rt_str_at(in, "change", "before", "email"), "ann@example.com");
    cr_assert_str_eq(rt_str_at(in, "change", "before", "date_of_birth"), "1980-02-29");
    json_decref(j);
    /* Created again after the deletion: nothing was there before (the tombstone is not a
     * record). */
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c9\",\"email\":\"ann@example.org\"}]", 200);
    j = rt_flow_runs_when(&d, "lifecycle", "context=1", 3);
    in = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "input");
    cr_assert_str_eq(rt_str_at(in, "change", "kind", NULL), "created");
    cr_assert_str_eq(rt_str_at(in, "record", "email", NULL), "ann@example.org");
    cr_assert_eq(json_object_size(json_object_get(json_object_get(in, "change"), "before")), 0);
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}
