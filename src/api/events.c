/*
 * Business events over HTTP (order, payment, ticket...). One object or an array; every event is
 * validated and scope-checked before any is written, and the engine stores them all or none.
 * Idempotent on (source, event_id): a repeated event is counted as unchanged. An event for an
 * unknown customer or from an undeclared source is kept (its customer's record may come later:
 * timelines find events by reference when read) but answered with a warning and counted in
 * aurum_events_unlinked_total (the customer check is made when an event is first stored; a
 * repeat is not checked again); GET /v1/events/unlinked counts those still unlinked per source.
 * What an event is (its validation and mapping) is src/ingest/events.c, shared with the inbound
 * connectors.
 */
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/reads.h"
#include "ingest/events.h"
#include "lib/alloc.h"

#define MAX_EVENTS   100000
#define MAX_WARNINGS 100 /* listed per answer; "warnings_total" counts them all */

static const char *nonempty(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : NULL;
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

/* Adds warning {"index","event_id","source","reason"} (the first MAX_WARNINGS only). */
static au_rc warn(json_t *warnings, size_t i, const au_event *ev, char *reason)
{
    au_rc rc = reason ? AU_OK : AU_ERR_NOMEM;
    if (!rc && json_array_size(warnings) < MAX_WARNINGS &&
        json_array_append_new(warnings,
                              json_pack("{s:I, s:s, s:s, s:s}", "index", (json_int_t)i, "event_id",
                                        ev->event_id, "source", ev->source, "reason", reason)))
        rc = AU_ERR_NOMEM;
    au_free(reason);
    return rc;
}

/* An event is kept even when it belongs to nobody yet (a record of its customer may arrive
 * later); the answer says so per event, and /metrics counts the new ones. *nwarn counts every
 * warning, listed or not. */
static au_rc unlinked_warnings(au_req *req, const au_event *evs, size_t n, json_t *warnings,
                               size_t *nwarn)
{
    au_rc rc = AU_OK;
    const char *last = NULL;
    int declared = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!last || strcmp(last, evs[i].source) != 0) {
            const au_source *src = au_engine_source_acquire(req->srv->engine, evs[i].source);
            declared = src != NULL;
            au_engine_source_release(req->srv->engine, src);
            last = evs[i].source;
        }
        if (evs[i].unlinked) {
            char *who = au_event_customer_text(evs[i].customer);
            rc = warn(warnings, i, &evs[i],
                      who ? au_asprintf("unknown customer: no record holds %s; the event is kept "
                                        "and joins a profile's timeline once a record holds it",
                                        who)
                          : NULL);
            au_free(who);
            (*nwarn)++;
            if (evs[i].inserted)
                au_metrics_events_unlinked(req->srv->metrics, evs[i].source, AU_UNLINKED_CUSTOMER,
                                           1);
        }
        if (!rc && !declared) {
            rc = warn(warnings, i, &evs[i],
                      au_asprintf("undeclared source '%s': the event is kept; declare the source "
                                  "(PUT /v1/sources/%s or the config file)",
                                  evs[i].source, evs[i].source));
            (*nwarn)++;
            if (evs[i].inserted)
                au_metrics_events_unlinked(req->srv->metrics, evs[i].source, AU_UNLINKED_SOURCE, 1);
        }
    }
    return rc;
}

/* POST /v1/events   body: event or [event, ...]
 * event: {"source","event_id","type","at","customer":{...},"properties":{...}}
 * -> {"inserted":n,"updated":0,"unchanged":n} plus, when some event belongs to nobody yet,
 *    "warnings":[{"index","event_id","source","reason"}] (at most 100) and "warnings_total" */
au_rc au_api_events_post(au_req *req, au_resp *resp, au_err *err)
{
    json_t *body = NULL, *list = NULL, *empty_props = json_object(), *warnings = json_array();
    size_t nwarn = 0;
    au_event *evs = NULL;
    au_write_summary sum = {0};
    char origin[64];
    au_rc rc = au_req_parse_batch(req, MAX_EVENTS, &body, err);
    if (rc)
        goto out;
    list = json_incref(body);
    size_t n = json_array_size(list);
    if (!list || !empty_props || !warnings || n > MAX_EVENTS || n == 0) {
        rc = !list || !empty_props || !warnings
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
        if (!au_event_from_json(o, (long)i, NULL, &evs[i], err))
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
    if ((rc = unlinked_warnings(req, evs, n, warnings, &nwarn)))
        goto out;
    json_t *ans = json_pack("{s:I, s:I, s:I}", "inserted", (json_int_t)sum.inserted, "updated",
                            (json_int_t)sum.updated, "unchanged", (json_int_t)sum.unchanged);
    if (ans && nwarn &&
        (json_object_set(ans, "warnings", warnings) ||
         json_object_set_new(ans, "warnings_total", json_integer((json_int_t)nwarn)))) {
        json_decref(ans);
        ans = NULL;
    }
    rc = au_resp_json(resp, 200, ans);
out:
    au_free(evs);
    json_decref(list);
    json_decref(body);
    json_decref(empty_props);
    json_decref(warnings);
    return rc;
}

static int add_unlinked(void *ctx, const char *source, int64_t count)
{
    json_t *list = ctx;
    return json_array_append_new(
               list, json_pack("{s:s, s:I}", "source", source, "unlinked", (json_int_t)count))
               ? AU_ERR_NOMEM
               : 0;
}

/* GET /v1/events/unlinked -> {"sources":[{"source","unlinked"}],"total"} */
au_rc au_api_events_unlinked(au_req *req, au_resp *resp, au_err *err)
{
    json_t *list = json_array(), *o;
    au_store *st = au_engine_reader(req->srv->engine);
    au_rc rc = !list ? AU_ERR_NOMEM
               : !st ? au_err_set(err, AU_ERR_BUSY, "no store reader available")
                     : au_engine_read_unlinked(st, add_unlinked, list);
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    if (rc) {
        json_decref(list);
        return err->rc ? rc : au_err_set(err, rc, "cannot count the unlinked events");
    }
    json_int_t total = 0;
    size_t i;
    json_array_foreach(list, i, o) total += json_integer_value(json_object_get(o, "unlinked"));
    return au_resp_json(resp, 200, json_pack("{s:o, s:I}", "sources", list, "total", total));
}
