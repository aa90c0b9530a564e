/*
 * Black-box tests of events that belong to nobody (POST /v1/events against the real daemon): an
 * event for an unknown customer or from an undeclared source is stored but answered with a
 * warning per event; /metrics counts the new ones in aurum_events_unlinked_total{source,reason};
 * GET /v1/events/unlinked counts those still unlinked per source; and when the record the event
 * names is upserted later (or a record with the e-mail it names), the event is on that
 * profile's timeline and no longer counted.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

TestSuite(events, .fini = au_rt_cleanup_all);

static void start(au_rt_daemon *d)
{
    int rc = au_rt_start(d, NULL);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "PUT", "/v1/sources/crm",
                             "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":"
                             "\"email\",\"first_name\":\"first\",\"last_name\":\"last\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
}

/* Admin request expecting `status`; the parsed body (caller decrefs). */
static json_t *call(au_rt_daemon *d, const char *method, const char *path, const char *body,
                    long status)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, method, path, body, &r);
    cr_assert_eq(st, status, "%s %s: %ld %s", method, path, st, r.body);
    json_t *j = au_rt_json(&r);
    cr_assert(j, "%s %s: not JSON: %s", method, path, r.body);
    au_rt_resp_cleanup(&r);
    return j;
}

static long unlinked_of(au_rt_daemon *d, const char *source)
{
    json_t *j = call(d, "GET", "/v1/events/unlinked", NULL, 200), *s;
    size_t i;
    long n = 0;
    json_array_foreach(json_object_get(j, "sources"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "source")), source) == 0)
            n = (long)json_integer_value(json_object_get(s, "unlinked"));
    }
    json_decref(j);
    return n;
}

/* The value of one exposition line starting with `series` (0 when absent). */
static long metric(au_rt_daemon *d, const char *series)
{
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "GET", "/metrics", NULL, &r), 200);
    const char *at = strstr(r.body, series);
    long v = at ? strtol(at + strlen(series), NULL, 10) : 0;
    au_rt_resp_cleanup(&r);
    return v;
}

/* Event ids on the timeline of the profile holding crm record `rec`, as "id,id,". */
static void timeline_ids(au_rt_daemon *d, const char *rec, char *out, size_t cap)
{
    char path[200];
    snprintf(path, sizeof(path), "/v1/profiles?source=crm&record=%s", rec);
    json_t *p = call(d, "GET", path, NULL, 200);
    json_int_t id = json_integer_value(
        json_object_get(json_array_get(json_object_get(p, "profiles"), 0), "id"));
    json_decref(p);
    snprintf(path, sizeof(path), "/v1/profiles/%lld/timeline", (long long)id);
    json_t *t = call(d, "GET", path, NULL, 200), *e;
    size_t i, len = 0;
    out[0] = 0;
    json_array_foreach(json_object_get(t, "events"), i, e)
    {
        len += (size_t)snprintf(out + len, cap - len, "%s,",
                                json_string_value(json_object_get(e, "event_id")));
        cr_assert_lt(len, cap);
    }
    json_decref(t);
}

static const char batch[] = "[{\"source\":\"crm\",\"event_id\":\"k1\",\"type\":\"order\","
                            "\"customer\":{\"source\":\"crm\",\"record\":\"C1\"}},"
                            "{\"source\":\"crm\",\"event_id\":\"u1\",\"type\":\"order\","
                            "\"customer\":{\"source\":\"crm\",\"record\":\"LATER\"}},"
                            "{\"source\":\"crm\",\"event_id\":\"u2\",\"type\":\"ticket\","
                            "\"customer\":{\"email\":\"New.Person@Example.com\"}},"
                            "{\"source\":\"kiosk\",\"event_id\":\"x1\",\"type\":\"visit\","
                            "\"customer\":{\"source\":\"crm\",\"record\":\"C1\"}}]";

Test(events, unknown_customer_and_undeclared_source_are_kept_with_warnings_and_counted)
{
    au_rt_daemon d;
    start(&d);
    json_decref(call(&d, "POST", "/v1/sources/crm/records",
                     "[{\"id\":\"C1\",\"first\":\"Ann\",\"last\":\"Known\"}]", 200));
    json_t *j = call(&d, "POST", "/v1/events", batch, 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "inserted")), 4, "all are kept");
    json_t *w = json_object_get(j, "warnings");
    cr_assert_eq(json_array_size(w), 3, "u1, u2 unknown customer, x1 undeclared source");
    cr_assert_eq(json_integer_value(json_object_get(j, "warnings_total")), 3);
    const char *ids[] = {"u1", "u2", "x1"};
    const long idx[] = {1, 2, 3};
    const char *why[] = {"unknown customer: no record holds the record crm/LATER",
                         "unknown customer: no record holds the e-mail New.Person@Example.com",
                         "undeclared source 'kiosk'"};
    for (size_t i = 0; i < 3; i++) {
        json_t *o = json_array_get(w, i);
        cr_assert_eq(json_integer_value(json_object_get(o, "index")), idx[i]);
        cr_assert_str_eq(json_string_value(json_object_get(o, "event_id")), ids[i]);
        const char *reason = json_string_value(json_object_get(o, "reason"));
        cr_assert(reason && strstr(reason, why[i]), "%s: %s", ids[i], reason);
    }
    json_decref(j);

    /* a repeat is unchanged: not counted again; only the undeclared source is said again */
    j = call(&d, "POST", "/v1/events", batch, 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "unchanged")), 4);
    cr_assert_eq(json_array_size(json_object_get(j, "warnings")), 1);
    json_decref(j);
    cr_assert_eq(
        metric(&d, "aurum_events_unlinked_total{source=\"crm\",reason=\"unknown_customer\"} "), 2);
    cr_assert_eq(
        metric(&d, "aurum_events_unlinked_total{source=\"kiosk\",reason=\"undeclared_source\"} "),
        1);
    cr_assert_eq(
        metric(&d, "aurum_events_unlinked_total{source=\"kiosk\",reason=\"unknown_customer\"} "),
        0);

    /* a known customer from a declared source: no warnings at all */
    j = call(&d, "POST", "/v1/events",
             "{\"source\":\"crm\",\"event_id\":\"k2\",\"type\":\"order\","
             "\"customer\":{\"source\":\"crm\",\"record\":\"C1\"}}",
             200);
    cr_assert_null(json_object_get(j, "warnings"));
    cr_assert_null(json_object_get(j, "warnings_total"));
    json_decref(j);

    /* queryable: two crm events are linked to nobody; kiosk's x1 names C1, so it is linked */
    j = call(&d, "GET", "/v1/events/unlinked", NULL, 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 2, "%s",
                 json_dumps(j, JSON_COMPACT));
    json_decref(j);
    cr_assert_eq(unlinked_of(&d, "crm"), 2);
    cr_assert_eq(unlinked_of(&d, "kiosk"), 0);
    au_rt_cleanup(&d);
}

Test(events, an_unlinked_event_joins_the_timeline_when_its_customer_appears)
{
    au_rt_daemon d;
    char ids[512];
    start(&d);
    json_decref(call(&d, "POST", "/v1/sources/crm/records",
                     "[{\"id\":\"C1\",\"first\":\"Ann\",\"last\":\"Known\"}]", 200));
    json_decref(call(&d, "POST", "/v1/events", batch, 200));
    cr_assert_eq(unlinked_of(&d, "crm"), 2);
    timeline_ids(&d, "C1", ids, sizeof(ids));
    cr_assert_null(strstr(ids, "u1,"), "%s", ids);

    /* the record the event named arrives */
    json_decref(call(&d, "POST", "/v1/sources/crm/records",
                     "[{\"id\":\"LATER\",\"first\":\"Lee\",\"last\":\"Later\"}]", 200));
    timeline_ids(&d, "LATER", ids, sizeof(ids));
    cr_assert_str_eq(ids, "u1,");
    cr_assert_eq(unlinked_of(&d, "crm"), 1);

    /* a record with the e-mail the other event named (written in another case) */
    json_decref(call(&d, "POST", "/v1/sources/crm/records",
                     "[{\"id\":\"C9\",\"first\":\"Nia\",\"last\":\"Person\","
                     "\"email\":\"new.person@example.COM\"}]",
                     200));
    timeline_ids(&d, "C9", ids, sizeof(ids));
    cr_assert_str_eq(ids, "u2,");
    cr_assert_eq(unlinked_of(&d, "crm"), 0);

    /* an event for it now is linked at once: no warning */
    json_t *j = call(&d, "POST", "/v1/events",
                     "{\"source\":\"crm\",\"event_id\":\"u3\",\"type\":\"order\","
                     "\"customer\":{\"email\":\"NEW.person@example.com\"}}",
                     200);
    cr_assert_null(json_object_get(j, "warnings"));
    json_decref(j);
    au_rt_cleanup(&d);
}
