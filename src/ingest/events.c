/*
 * Business events as documents (events.h): moved here from src/api/events.c so the HTTP route
 * and the inbound connectors validate and map events with the same code.
 */
#include <string.h>

#include "ingest/events.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/isotime.h"

static const char *nonempty(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : NULL;
}

/* {"source","record"} | {"email"} | {"phone"} */
static int customer_valid(const json_t *c)
{
    if (!json_is_object(c))
        return 0;
    if (json_object_get(c, "source") || json_object_get(c, "record"))
        return nonempty(c, "source") && nonempty(c, "record");
    return nonempty(c, "email") || nonempty(c, "phone");
}

/* Sets ev->at_ms from "at" (now when absent); 0 when "at" is there but unreadable. */
static int event_time(const json_t *o, au_event *ev)
{
    json_t *at = json_object_get(o, "at");
    ev->at_ms = au_wall_ms();
    if (json_is_integer(at) && json_integer_value(at) >= 0) {
        ev->at_ms = json_integer_value(at);
        return 1;
    }
    return !at ||
           (json_is_string(at) &&
            au_iso8601_parse(json_string_value(at), json_string_length(at), &ev->at_ms) == AU_OK);
}

int au_event_from_json(const json_t *o, long i, const char *dflt_source, au_event *ev, au_err *err)
{
    int ok = 1;
    const char *id = nonempty(o, "event_id");
    memset(ev, 0, sizeof(*ev));
    if (!json_is_object(o)) {
        au_err_detail_add(err, i, NULL, NULL, "an event must be a JSON object");
        return 0;
    }
    const char *source = json_object_get(o, "source") ? nonempty(o, "source") : dflt_source;
    if (!source) {
        au_err_detail_add(err, i, id, "source", "required non-empty string");
        ok = 0;
    }
    const char *required[] = {"event_id", "type"};
    for (size_t k = 0; k < 2; k++)
        if (!nonempty(o, required[k])) {
            au_err_detail_add(err, i, id, required[k], "required non-empty string");
            ok = 0;
        }
    if (!event_time(o, ev)) {
        au_err_detail_add(err, i, id, "at", "expected an ISO 8601 time or epoch milliseconds");
        ok = 0;
    }
    json_t *cust = json_object_get(o, "customer");
    if (!customer_valid(cust)) {
        au_err_detail_add(err, i, id, "customer",
                          "expected {\"source\",\"record\"}, {\"email\"} or {\"phone\"}");
        ok = 0;
    }
    json_t *props = json_object_get(o, "properties");
    if (props && !json_is_object(props)) {
        au_err_detail_add(err, i, id, "properties", "expected an object");
        ok = 0;
    }
    ev->source = (char *)source;
    ev->event_id = (char *)id;
    ev->type = (char *)nonempty(o, "type");
    ev->customer = cust;
    ev->properties = props;
    return ok;
}

int au_event_looks_like(const json_t *o)
{
    return json_is_object(o) && json_object_get(o, "event_id") && json_object_get(o, "type") &&
           json_is_object(json_object_get(o, "customer"));
}

char *au_event_customer_text(const json_t *c)
{
    const char *src = nonempty(c, "source"), *rec = nonempty(c, "record");
    if (src && rec)
        return au_asprintf("the record %s/%s", src, rec);
    if (nonempty(c, "email"))
        return au_asprintf("the e-mail %s", nonempty(c, "email"));
    return au_asprintf("the phone %s", nonempty(c, "phone") ? nonempty(c, "phone") : "");
}
