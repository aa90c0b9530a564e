/*
 * Unit tests for the Segment Tracking API mapping: realistic payloads in the shapes of Segment's
 * HTTP API documentation, the validation errors (with batch indexes), timestamps and the write
 * key from HTTP Basic authentication.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record.h"
#include "lib/alloc.h"
#include "ingest/segment.h"
#include "lib/isotime.h"

#define RECEIVED 1800000000000LL

static json_t *load(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &je);
    cr_assert_not_null(j, "bad test JSON: %s (%s)", je.text, s);
    return j;
}

static json_t *map_ok(const char *type, const char *msg)
{
    json_t *m = load(msg), *items = NULL;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_segment_map(type, m, RECEIVED, &items, &e), AU_OK, "%s", e.message);
    au_err_cleanup(&e);
    json_decref(m);
    return items;
}

/* Maps msg expecting AU_ERR_INVALID; checks the detail's field and that the message says
 * `needle`. */
static void map_bad(const char *type, const char *msg, const char *field, const char *needle)
{
    json_t *m = load(msg), *items = (json_t *)0x1;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_segment_map(type, m, RECEIVED, &items, &e), AU_ERR_INVALID, "accepted %s", msg);
    cr_assert_eq(items, (json_t *)0x1);
    cr_assert(strstr(e.message, needle), "message \"%s\" lacks \"%s\"", e.message, needle);
    cr_assert_eq(e.ndetails, 1);
    if (field)
        cr_assert_str_eq(e.details[0].field, field);
    cr_assert_eq(e.details[0].index, -1);
    au_err_cleanup(&e);
    json_decref(m);
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Independent oracle for ISO timestamps: the C library's timegm. */
static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

Test(segment, identify_maps_traits_onto_canonical_attributes)
{
    json_t *items = map_ok("identify", "{"
                                       " \"userId\": \"019mr8mf4r\","
                                       " \"anonymousId\": \"507f191e810c19729de860ea\","
                                       " \"messageId\": \"022bb90c-bbac-11e4-8dfc-aa07a5b093db\","
                                       " \"traits\": {"
                                       "   \"email\": \"peter@example.com\","
                                       "   \"firstName\": \"Peter\", \"lastName\": \"Gibbons\","
                                       "   \"phone\": \"+44 20 7946 0958\","
                                       "   \"birthday\": \"1981-09-23\", \"gender\": \"male\","
                                       "   \"address\": {\"street\": \"6th St\", \"city\": "
                                       "\"San Francisco\", \"state\": \"CA\", \"postalCode\": "
                                       "\"94103\", \"country\": \"USA\", \"unit\": \"4B\"},"
                                       "   \"company\": {\"name\": \"Initech\", \"industry\": "
                                       "\"Technology\"},"
                                       "   \"plan\": \"premium\", \"logins\": 5,"
                                       "   \"prefs\": {\"news\": true, \"tags\": [\"a\",\"b\"]}"
                                       " },"
                                       " \"timestamp\": \"2012-12-02T00:30:08.276Z\""
                                       "}");
    cr_assert_eq(json_array_size(items), 2, "record + identify link");
    json_t *rec = json_array_get(items, 0);
    cr_assert_str_eq(str(rec, "kind"), "record");
    cr_assert_str_eq(str(rec, "source"), "segment");
    cr_assert_str_eq(str(rec, "record_id"), "019mr8mf4r");
    cr_assert_str_eq(str(rec, "message_id"), "022bb90c-bbac-11e4-8dfc-aa07a5b093db");
    cr_assert_eq(json_integer_value(json_object_get(rec, "at_ms")),
                 utc_ms(2012, 12, 2, 0, 30, 8, 276));
    json_t *doc = json_object_get(rec, "doc");
    cr_assert_str_eq(str(doc, "record_id"), "019mr8mf4r");
    cr_assert_str_eq(str(doc, "user_id"), "019mr8mf4r");
    cr_assert_str_eq(str(doc, "anonymous_id"), "507f191e810c19729de860ea");
    cr_assert_str_eq(str(doc, "email"), "peter@example.com");
    cr_assert_str_eq(str(doc, "first_name"), "Peter");
    cr_assert_str_eq(str(doc, "last_name"), "Gibbons");
    cr_assert_str_eq(str(doc, "phone"), "+44 20 7946 0958");
    cr_assert_str_eq(str(doc, "date_of_birth"), "1981-09-23");
    cr_assert_str_eq(str(doc, "gender"), "male");
    cr_assert_str_eq(str(doc, "address_line1"), "6th St");
    cr_assert_str_eq(str(doc, "city"), "San Francisco");
    cr_assert_str_eq(str(doc, "state"), "CA");
    cr_assert_str_eq(str(doc, "postcode"), "94103");
    cr_assert_str_eq(str(doc, "country"), "USA");
    cr_assert_str_eq(str(doc, "company"), "Initech");
    cr_assert_str_eq(str(doc, "address.unit"), "4B");
    cr_assert_str_eq(str(doc, "company.industry"), "Technology");
    cr_assert_str_eq(str(doc, "plan"), "premium");
    cr_assert_eq(json_integer_value(json_object_get(doc, "logins")), 5);
    cr_assert(json_is_true(json_object_get(doc, "prefs.news")));
    cr_assert_str_eq(str(doc, "prefs.tags"), "[\"a\",\"b\"]");
    /* every value of the document is a scalar, as a source document must be */
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) cr_assert(!json_is_object(v) && !json_is_array(v), "%s", k);

    json_t *link = json_array_get(items, 1);
    cr_assert_str_eq(str(link, "kind"), "link");
    cr_assert_str_eq(str(link, "reason"), "identify");
    cr_assert_str_eq(str(json_object_get(link, "to"), "record"), "019mr8mf4r");
    cr_assert_str_eq(str(json_array_get(json_object_get(link, "from"), 0), "record"),
                     "anon:507f191e810c19729de860ea");
    json_decref(items);
}

Test(segment, anonymous_identify_uses_an_anon_record_id)
{
    json_t *items = map_ok(NULL, "{\"type\":\"identify\",\"anonymousId\":\"a-1\","
                                 "\"traits\":{\"name\":\"Peter Gibbons\",\"city\":\"Leeds\","
                                 "\"address\":{\"city\":\"York\"},\"first_name\":\"P\","
                                 "\"firstName\":\"Pete\",\"record_id\":\"x\"}}");
    cr_assert_eq(json_array_size(items), 1, "no link without a userId");
    json_t *rec = json_array_get(items, 0);
    cr_assert_str_eq(str(rec, "record_id"), "anon:a-1");
    json_t *doc = json_object_get(rec, "doc");
    cr_assert_null(json_object_get(doc, "user_id"));
    cr_assert_str_eq(str(doc, "full_name"), "Peter Gibbons");
    cr_assert_str_eq(str(doc, "city"), "York", "address.city takes precedence");
    cr_assert_str_eq(str(doc, "traits.city"), "Leeds", "the other city is kept, not lost");
    cr_assert_str_eq(str(doc, "first_name"), "Pete", "camelCase alias first");
    cr_assert_str_eq(str(doc, "traits.first_name"), "P");
    cr_assert_str_eq(str(doc, "record_id"), "anon:a-1", "a trait cannot overwrite the id");
    cr_assert_str_eq(str(doc, "traits.record_id"), "x");
    cr_assert_eq(json_integer_value(json_object_get(rec, "at_ms")), RECEIVED,
                 "no timestamps: the server's receive time");
    json_decref(items);
}

Test(segment, track_becomes_an_event_with_properties)
{
    json_t *items = map_ok("track", "{\"userId\":\"019mr8mf4r\",\"event\":\"Purchased an Item\","
                                    "\"messageId\":\"m-1\","
                                    "\"properties\":{\"revenue\":39.95,\"shippingMethod\":"
                                    "\"2-day\"},\"context\":{\"ip\":\"24.5.68.47\"},"
                                    "\"originalTimestamp\":\"2012-12-02T01:30:08+01:00\"}");
    cr_assert_eq(json_array_size(items), 1);
    json_t *e = json_array_get(items, 0);
    cr_assert_str_eq(str(e, "kind"), "event");
    cr_assert_str_eq(str(e, "event_id"), "m-1");
    cr_assert_str_eq(str(e, "type"), "Purchased an Item");
    cr_assert_str_eq(str(e, "segment_type"), "track");
    cr_assert_eq(json_integer_value(json_object_get(e, "at_ms")), utc_ms(2012, 12, 2, 0, 30, 8, 0));
    json_t *cust = json_object_get(e, "customer");
    cr_assert_str_eq(str(cust, "source"), "segment");
    cr_assert_str_eq(str(cust, "record"), "019mr8mf4r");
    json_t *props = json_object_get(e, "properties");
    cr_assert_float_eq(json_real_value(json_object_get(props, "revenue")), 39.95, 1e-9);
    cr_assert_str_eq(str(props, "shippingMethod"), "2-day");
    cr_assert_str_eq(str(json_object_get(e, "context"), "ip"), "24.5.68.47");
    json_decref(items);
}

Test(segment, timestamp_precedence)
{
    json_t *items = map_ok("track", "{\"anonymousId\":\"a\",\"event\":\"x\","
                                    "\"receivedAt\":\"2020-01-04T00:00:00Z\","
                                    "\"sentAt\":\"2020-01-03T00:00:00Z\","
                                    "\"originalTimestamp\":\"2020-01-02T00:00:00Z\","
                                    "\"timestamp\":\"2020-01-01T00:00:00Z\"}");
    json_t *e = json_array_get(items, 0);
    cr_assert_eq(json_integer_value(json_object_get(e, "at_ms")), utc_ms(2020, 1, 1, 0, 0, 0, 0));
    cr_assert_str_eq(str(json_object_get(e, "customer"), "record"), "anon:a");
    json_decref(items);
    items = map_ok("track", "{\"anonymousId\":\"a\",\"event\":\"x\","
                            "\"receivedAt\":\"2020-01-04T00:00:00Z\","
                            "\"sentAt\":\"2020-01-03T00:00:00.5Z\"}");
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(items, 0), "at_ms")),
                 utc_ms(2020, 1, 3, 0, 0, 0, 500));
    json_decref(items);
}

Test(segment, page_screen_and_group_are_events)
{
    json_t *items = map_ok("page", "{\"userId\":\"u1\",\"name\":\"Home\",\"category\":\"Docs\","
                                   "\"properties\":{\"url\":\"https://example.com/\"}}");
    json_t *e = json_array_get(items, 0);
    cr_assert_str_eq(str(e, "type"), "page");
    json_t *props = json_object_get(e, "properties");
    cr_assert_str_eq(str(props, "name"), "Home");
    cr_assert_str_eq(str(props, "category"), "Docs");
    cr_assert_str_eq(str(props, "url"), "https://example.com/");
    cr_assert_null(json_object_get(e, "context"), "no context given: none stored");
    json_decref(items);

    items = map_ok("screen", "{\"userId\":\"u1\",\"name\":\"Settings\"}");
    cr_assert_str_eq(str(json_array_get(items, 0), "type"), "screen");
    json_decref(items);

    items = map_ok("group", "{\"userId\":\"u1\",\"groupId\":\"g-7\",\"traits\":{\"name\":"
                            "\"Initech\"}}");
    e = json_array_get(items, 0);
    cr_assert_str_eq(str(e, "type"), "group");
    cr_assert_str_eq(str(json_object_get(e, "properties"), "group_id"), "g-7");
    json_decref(items);
    map_bad("group", "{\"userId\":\"u1\"}", "groupId", "required");
}

Test(segment, alias_is_a_link_between_both_ids)
{
    json_t *items = map_ok("alias", "{\"previousId\":\"39239-239239-239239-23923\","
                                    "\"userId\":\"507f191e81\",\"messageId\":\"m-9\"}");
    cr_assert_eq(json_array_size(items), 1);
    json_t *l = json_array_get(items, 0);
    cr_assert_str_eq(str(l, "kind"), "link");
    cr_assert_str_eq(str(l, "reason"), "alias");
    cr_assert_str_eq(str(json_object_get(l, "to"), "record"), "507f191e81");
    json_t *from = json_object_get(l, "from");
    cr_assert_eq(json_array_size(from), 2);
    cr_assert_str_eq(str(json_array_get(from, 0), "record"), "39239-239239-239239-23923");
    cr_assert_str_eq(str(json_array_get(from, 1), "record"), "anon:39239-239239-239239-23923");
    json_decref(items);
    map_bad("alias", "{\"userId\":\"u\"}", "previousId", "needs a previousId");
    map_bad("alias", "{\"previousId\":\"p\"}", "userId", "needs a userId");
}

Test(segment, invalid_messages_are_refused_precisely)
{
    map_bad("track", "{\"event\":\"x\"}", "userId", "userId or an anonymousId");
    map_bad("track", "{\"userId\":\"u\"}", "event", "event name");
    map_bad("track", "{\"userId\":\"u\",\"event\":\"\"}", "event", "event name");
    map_bad("identify", "{\"type\":\"track\",\"userId\":\"u\"}", "type", "/v1/identify");
    map_bad(NULL, "{\"userId\":\"u\"}", "type", "required");
    map_bad(NULL, "{\"type\":\"purchase\",\"userId\":\"u\"}", "type", "unknown call type");
    map_bad("identify", "{\"userId\":\"u\",\"timestamp\":\"2012-13-02T00:30:08Z\"}", "timestamp",
            "ISO 8601");
    map_bad("identify", "{\"userId\":\"u\",\"timestamp\":\"yesterday\"}", "timestamp", "ISO 8601");
    map_bad("identify", "{\"userId\":\"u\",\"sentAt\":12}", "sentAt", "ISO 8601");
    map_bad("identify", "{\"userId\":\"u\",\"messageId\":\"\"}", "messageId", "non-empty");
    map_bad("identify", "{\"userId\":{\"id\":1}}", "userId", "must be a string");
    map_bad("identify", "{\"userId\":\"u\",\"traits\":[1]}", "traits", "must be an object");
    map_bad("identify", "{\"userId\":\"u\",\"traits\":{\"email\":[\"a@b.c\"]}}", "traits.email",
            "string, number or boolean");
    map_bad("track", "{\"userId\":\"u\",\"event\":\"e\",\"properties\":\"x\"}", "properties",
            "must be an object");
    map_bad("track", "[1,2]", NULL, "JSON object");
}

Test(segment, numeric_user_ids_and_derived_event_ids)
{
    json_t *a = map_ok("track", "{\"userId\":12345,\"event\":\"Signed Up\"}");
    json_t *b = map_ok("track", "{\"event\":\"Signed Up\",\"userId\":12345}");
    json_t *c = map_ok("track", "{\"userId\":12345,\"event\":\"Logged In\"}");
    json_t *ea = json_array_get(a, 0), *eb = json_array_get(b, 0), *ec = json_array_get(c, 0);
    cr_assert_str_eq(str(json_object_get(ea, "customer"), "record"), "12345");
    cr_assert_eq(strncmp(str(ea, "event_id"), "h_", 2), 0);
    cr_assert_str_eq(str(ea, "event_id"), str(eb, "event_id"), "same message, same id");
    cr_assert_str_neq(str(ea, "event_id"), str(ec, "event_id"));
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

Test(segment, batch_maps_every_message_and_applies_batch_context)
{
    json_t *body =
        load("{\"writeKey\":\"wk\",\"sentAt\":\"2021-05-05T10:00:00Z\","
             "\"context\":{\"library\":{\"name\":\"analytics-python\"},\"ip\":\"1.2.3.4\"},"
             "\"batch\":["
             " {\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"email\":\"a@b.c\"}},"
             " {\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Order Completed\","
             "  \"context\":{\"ip\":\"5.6.7.8\"}},"
             " {\"type\":\"alias\",\"previousId\":\"a1\",\"userId\":\"u1\"}"
             "]}");
    json_t *items = NULL;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_segment_map_batch(body, RECEIVED, &items, &e), AU_OK, "%s", e.message);
    cr_assert_eq(json_array_size(items), 3);
    json_t *ev = json_array_get(items, 1);
    json_t *ctx = json_object_get(ev, "context");
    cr_assert_str_eq(str(ctx, "ip"), "5.6.7.8", "the message's own context wins");
    cr_assert_str_eq(str(json_object_get(ctx, "library"), "name"), "analytics-python");
    cr_assert_eq(json_integer_value(json_object_get(ev, "at_ms")), utc_ms(2021, 5, 5, 10, 0, 0, 0),
                 "batch sentAt applies");
    cr_assert_str_eq(au_segment_write_key_from_body(body), "wk");
    json_decref(items);
    json_decref(body);
    au_err_cleanup(&e);
}

Test(segment, batch_with_an_invalid_message_names_its_index)
{
    json_t *body = load("{\"batch\":["
                        " {\"type\":\"track\",\"userId\":\"u1\",\"event\":\"A\"},"
                        " {\"type\":\"track\",\"userId\":\"u1\",\"messageId\":\"m-2\"},"
                        " {\"type\":\"page\",\"userId\":\"u1\"},"
                        " {\"type\":\"identify\"}"
                        "]}");
    json_t *items = (json_t *)0x1;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_segment_map_batch(body, RECEIVED, &items, &e), AU_ERR_INVALID);
    cr_assert_eq(items, (json_t *)0x1, "all or nothing");
    cr_assert(strstr(e.message, "2 of 4"), "%s", e.message);
    cr_assert(strstr(e.message, "index 1"), "%s", e.message);
    cr_assert_eq(e.ndetails, 2);
    cr_assert_eq(e.details[0].index, 1);
    cr_assert_str_eq(e.details[0].field, "event");
    cr_assert_str_eq(e.details[0].record_id, "m-2", "the messageId identifies the item");
    cr_assert_eq(e.details[1].index, 3);
    cr_assert_str_eq(e.details[1].field, "userId");
    au_err_cleanup(&e);
    json_decref(body);

    body = load("{\"batch\":{}}");
    au_err_init(&e);
    cr_assert_eq(au_segment_map_batch(body, RECEIVED, &items, &e), AU_ERR_INVALID);
    cr_assert(strstr(e.message, "\"batch\" array"), "%s", e.message);
    au_err_cleanup(&e);
    json_decref(body);
}

Test(segment, batch_size_is_bounded)
{
    json_t *arr = json_array();
    for (int i = 0; i <= AU_SEGMENT_MAX_BATCH_ITEMS; i++)
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s}", "type", "track", "userId", "u", "event", "e"));
    json_t *body = json_pack("{s:o}", "batch", arr), *items = NULL;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_segment_map_batch(body, RECEIVED, &items, &e), AU_ERR_TOO_LARGE);
    cr_assert(strstr(e.message, "2500"), "%s", e.message);
    au_err_cleanup(&e);
    json_decref(body);
}

static void key_ok(const char *header, const char *want)
{
    char *k = NULL;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_segment_write_key_from_basic(header, &k, &e), AU_OK, "%s: %s", header,
                 e.message);
    cr_assert_str_eq(k, want);
    au_free(k);
    au_err_cleanup(&e);
}

static void key_bad(const char *header, const char *needle)
{
    char *k = NULL;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_segment_write_key_from_basic(header, &k, &e), AU_ERR_UNAUTHORIZED,
                 "accepted %s", header ? header : "(null)");
    cr_assert_null(k);
    cr_assert(strstr(e.message, needle), "message \"%s\" lacks \"%s\"", e.message, needle);
    au_err_cleanup(&e);
}

Test(segment, write_key_from_basic_authorization)
{
    key_ok("Basic YWJjMTIzOg==", "abc123"); /* the example of Segment's documentation */
    key_ok("basic YWJjMTIzOg", "abc123");   /* scheme is case-insensitive, padding optional */
    key_ok("Basic YWJjMTIz", "abc123");     /* without the colon, tolerated */
    key_ok("Basic d2s6c2VjcmV0", "wk");     /* "wk:secret": the password is ignored */
    key_bad(NULL, "missing");
    key_bad("", "missing");
    key_bad("Bearer YWJjMTIzOg==", "Basic");
    key_bad("Basic YWJj*TIzOg==", "base64");
    key_bad("Basic YWJjMTIzOh==", "base64"); /* non-zero padding bits */
    key_bad("Basic Og==", "empty");          /* ":" */
    key_bad("Basic ", "empty");
    cr_assert_null(au_segment_write_key_from_body(NULL));
}

Test(segment, iso_timestamps)
{
    int64_t t;
    cr_assert_eq(
        au_iso8601_parse("2012-12-02T00:30:08.276Z", strlen("2012-12-02T00:30:08.276Z"), &t),
        AU_OK);
    cr_assert_eq(t, utc_ms(2012, 12, 2, 0, 30, 8, 276));
    cr_assert_eq(au_iso8601_parse("2012-12-02T00:30:08.276123456-05:30",
                                  strlen("2012-12-02T00:30:08.276123456-05:30"), &t),
                 AU_OK);
    cr_assert_eq(t, utc_ms(2012, 12, 2, 6, 0, 8, 276));
    cr_assert_eq(au_iso8601_parse("2024-02-29", strlen("2024-02-29"), &t), AU_OK);
    cr_assert_eq(t, utc_ms(2024, 2, 29, 0, 0, 0, 0));
    cr_assert_eq(au_iso8601_parse("1969-12-31T23:59:59.5Z", strlen("1969-12-31T23:59:59.5Z"), &t),
                 AU_OK);
    cr_assert_eq(t, -500);
    cr_assert_eq(au_iso8601_parse("2012-12-02T00:30+0100", strlen("2012-12-02T00:30+0100"), &t),
                 AU_OK);
    cr_assert_eq(t, utc_ms(2012, 12, 1, 23, 30, 0, 0));
    const char *bad[] = {"2023-02-29",
                         "2012-12-02T24:00:00Z",
                         "2012-12-02T00:30:08Zjunk",
                         "2012-1-02",
                         "2012-12-02T00:30:08.",
                         "2012-12-02T00:30:08+25:00",
                         "20121202T003008Z",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(au_iso8601_parse(bad[i], strlen(bad[i]), &t), AU_ERR_INVALID, "accepted %s",
                     bad[i]);
}

Test(segment, source_definition_maps_every_canonical_attribute)
{
    json_t *def = au_segment_source_definition();
    cr_assert_str_eq(str(def, "record_id"), "record_id");
    json_t *fields = json_object_get(def, "fields");
    cr_assert_eq(json_object_size(fields), AU_ATTR_COUNT);
    for (int a = 0; a < AU_ATTR_COUNT; a++) {
        json_t *f = json_object_get(fields, au_attr_name((au_attr)a));
        const char *from = json_is_string(f) ? json_string_value(f) : str(f, "from");
        cr_assert_str_eq(from, au_attr_name((au_attr)a));
    }
    json_decref(def);
}
