/*
 * Business events over HTTP (order, payment, ticket...). One object or an array; every event is
 * validated and scope-checked before any is written, and the engine stores them all or none.
 * Idempotent on (source, event_id): a repeated event is counted as unchanged.
 */
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "lib/alloc.h"
#include "lib/isotime.h"

#define MAX_EVENTS 100000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Validates event i and fills ev (strings borrowed from the JSON); adds details on error. */
static int event_from_json(const json_t *o, long i, au_event *ev, au_err *err)
{
    int ok = 1;
    const char *id = nonempty(o, "event_id");
    memset(ev, 0, sizeof(*ev));
    if (!json_is_object(o)) {
        au_err_detail_add(err, i, NULL, NULL, "an event must be a JSON object");
        return 0;
    }
    const char *required[] = {"source", "event_id", "type"};
    for (size_t k = 0; k < 3; k++)
        if (!nonempty(o, required[k])) {
            au_err_detail_add(err, i, id, required[k], "required non-empty string");
            ok = 0;
        }
    json_t *at = json_object_get(o, "at");
    ev->at_ms = now_ms();
    if (json_is_integer(at) && json_integer_value(at) >= 0) {
        ev->at_ms = json_integer_value(at);
    } else if (at && !(json_is_string(at) &&
                       au_iso8601_parse(json_string_value(at), json_string_length(at),
                                        &ev->at_ms) == AU_OK)) {
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
    ev->source = (char *)nonempty(o, "source");
    ev->event_id = (char *)id;
    ev->type = (char *)nonempty(o, "type");
    ev->customer = cust;
    ev->properties = props;
    return ok;
}

/* Every event's source must be writable by the key; checked before anything else. */
static au_rc check_scopes(const au_req *req, json_t *list, au_err *err)
{
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        const char *src = nonempty(o, "source");
        if (src && !au_key_can_write(req->key, src))
            return au_err_set(err, AU_ERR_FORBIDDEN,
                              "API key %s lacks the scope write:%s (event %zu)", req->key->id, src,
                              i);
    }
    return AU_OK;
}

static const char *metrics_source(const au_event *evs, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(evs[i].source, evs[0].source) != 0)
            return "*";
    return evs[0].source;
}

/* POST /v1/events   body: event or [event, ...]
 * event: {"source","event_id","type","at","customer":{...},"properties":{...}}
 * -> {"inserted":n,"updated":0,"unchanged":n} */
au_rc au_api_events_post(au_req *req, au_resp *resp, au_err *err)
{
    json_t *body = NULL, *list = NULL, *empty_props = json_object();
    au_event *evs = NULL;
    au_write_summary sum = {0};
    char origin[64];
    au_rc rc = au_req_parse_batch(req, MAX_EVENTS, &body, err);
    if (rc)
        goto out;
    list = json_incref(body);
    size_t n = json_array_size(list);
    if (!list || !empty_props || n > MAX_EVENTS || n == 0) {
        rc = !list || !empty_props
                 ? AU_ERR_NOMEM
                 : au_err_set(err, AU_ERR_INVALID, "between 1 and %d events expected", MAX_EVENTS);
        goto out;
    }
    if ((rc = check_scopes(req, list, err)))
        goto out;
    if (!(evs = au_calloc(n, sizeof(*evs)))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    size_t i, nbad = 0;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (!event_from_json(o, (long)i, &evs[i], err))
            nbad++;
        else if (!evs[i].properties)
            evs[i].properties = empty_props;
    }
    if (nbad) {
        rc = au_err_set(err, AU_ERR_INVALID, "%zu of %zu events are invalid; nothing was written",
                        nbad, n);
        goto out;
    }
    au_req_origin(req, origin, sizeof(origin));
    if ((rc = au_engine_write_events(req->srv->engine, evs, n, origin, &sum, err)))
        goto out;
    const char *ms = metrics_source(evs, n);
    au_metrics_events(req->srv->metrics, ms, AU_OUTCOME_INSERTED, (uint64_t)sum.inserted);
    au_metrics_events(req->srv->metrics, ms, AU_OUTCOME_UPDATED, (uint64_t)sum.updated);
    au_metrics_events(req->srv->metrics, ms, AU_OUTCOME_UNCHANGED, (uint64_t)sum.unchanged);
    rc = au_resp_json(resp, 200,
                      json_pack("{s:I, s:I, s:I}", "inserted", (json_int_t)sum.inserted, "updated",
                                (json_int_t)sum.updated, "unchanged", (json_int_t)sum.unchanged));
out:
    au_free(evs);
    json_decref(list);
    json_decref(body);
    json_decref(empty_props);
    return rc;
}
