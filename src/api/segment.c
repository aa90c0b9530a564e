/*
 * Segment-compatible intake (POST /v1/identify, track, page, screen, group, alias, batch,
 * import): the message is validated and mapped by src/ingest/segment.c, then written through
 * the engine like any other source: identify becomes a record of source `segment` (registered
 * from au_segment_source_definition on first use), track/page/screen/group become events.
 * Links (alias, identify with both ids) become must-link overrides between the records that
 * exist (previousId may name a user or an anonymous visitor), and are also kept as events of
 * type "alias" on the user's timeline, so a link to a record not seen yet is not lost.
 * Answers {"success": true} like Segment, plus the traits quarantined as dirty values:
 * "warnings" [{index (of the message), record_id, field, attribute, value, reason}] (the first
 * 100), "warnings_total" and "records_with_warnings" (see core/warnings.h).
 */
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/batch.h"
#include "lib/alloc.h"
#include "resolve/hook.h"
#include "core/warnings.h"
#include "ingest/segment.h"
#include "lib/clock.h"

/* The `segment` source, registered on first use. Release with au_engine_source_release. */
static const au_source *segment_source(au_engine *e, au_err *err)
{
    const au_source *src = au_engine_source_acquire(e, AU_SEGMENT_SOURCE);
    if (src)
        return src;
    json_t *def = au_segment_source_definition();
    au_rc rc = def ? au_engine_source_put(e, AU_SEGMENT_SOURCE, def, err) : AU_ERR_NOMEM;
    json_decref(def);
    if (rc)
        return NULL;
    return au_engine_source_acquire(e, AU_SEGMENT_SOURCE);
}

/* Writes the identify records; their quarantined values (traits normalisation refused) are
 * noted in w, indexed by message. */
static au_rc write_records(au_req *req, const json_t *items, const char *origin, au_warnings *w,
                           au_err *err)
{
    size_t i, n = 0;
    json_t *it;
    json_array_foreach(items, i, it) n +=
        strcmp(json_string_value(json_object_get(it, "kind")), "record") == 0;
    if (!n)
        return AU_OK;
    const au_source *src = segment_source(req->srv->engine, err);
    if (!src)
        return err->rc ? err->rc : AU_ERR_INTERNAL;
    au_record_batch b;
    au_rc rc = AU_OK;
    au_record_batch_init(&b, src, w);
    json_array_foreach(items, i, it)
    {
        if (rc || strcmp(json_string_value(json_object_get(it, "kind")), "record") != 0)
            continue;
        long index = (long)json_integer_value(json_object_get(it, "index"));
        rc = au_record_batch_add(&b, json_object_get(it, "doc"), index, err);
    }
    au_write_summary sum = {0};
    if (!rc)
        rc = au_record_batch_write(&b, req->srv->engine, origin, &sum, err);
    au_record_batch_cleanup(&b);
    au_engine_source_release(req->srv->engine, src);
    return rc;
}

/* An event item, or a link item turned into an "alias" event on the linked user. */
static au_rc event_of(json_t *it, au_event *ev, json_t **owned)
{
    const char *kind = json_string_value(json_object_get(it, "kind"));
    memset(ev, 0, sizeof(*ev));
    ev->source = (char *)AU_SEGMENT_SOURCE;
    if (strcmp(kind, "event") == 0) {
        json_t *props = json_deep_copy(json_object_get(it, "properties"));
        json_t *ctx = json_object_get(it, "context");
        if (!props)
            props = json_object();
        if (ctx && !json_object_get(props, "context"))
            json_object_set(props, "context", ctx);
        *owned = props;
        ev->event_id = (char *)json_string_value(json_object_get(it, "event_id"));
        ev->type = (char *)json_string_value(json_object_get(it, "type"));
        ev->at_ms = json_integer_value(json_object_get(it, "at_ms"));
        ev->customer = json_object_get(it, "customer");
        ev->properties = props;
        return props ? AU_OK : AU_ERR_NOMEM;
    }
    json_t *to = json_object_get(it, "to"), *from = json_object_get(it, "from");
    const char *first = json_string_value(json_object_get(json_array_get(from, 0), "record"));
    char *id = NULL;
    json_t *props = json_pack("{s:O, s:O}", "reason", json_object_get(it, "reason"), "from", from);
    size_t len =
        strlen(first ? first : "") + 64 + strlen(json_string_value(json_object_get(to, "record")));
    if (props && (id = au_malloc(len)))
        snprintf(id, len, "link:%s<-%s", json_string_value(json_object_get(to, "record")),
                 first ? first : "");
    if (!props || !id) {
        json_decref(props);
        au_free(id);
        return AU_ERR_NOMEM;
    }
    json_object_set_new(props, "_id", json_string(id));
    au_free(id);
    *owned = props;
    ev->event_id = (char *)json_string_value(json_object_get(props, "_id"));
    ev->type = (char *)"alias";
    ev->at_ms = au_wall_ms();
    ev->customer = to;
    ev->properties = props;
    return AU_OK;
}

static au_rc write_events(au_req *req, json_t *items, const char *origin, au_err *err)
{
    size_t i, n = json_array_size(items), k = 0;
    json_t *it;
    au_event *evs = au_calloc(n ? n : 1, sizeof(*evs));
    json_t **owned = au_calloc(n ? n : 1, sizeof(*owned));
    au_rc rc = evs && owned ? AU_OK : AU_ERR_NOMEM;
    json_array_foreach(items, i, it)
    {
        if (rc || strcmp(json_string_value(json_object_get(it, "kind")), "record") == 0)
            continue;
        rc = event_of(it, &evs[k], &owned[k]);
        k++;
    }
    if (!rc && k) {
        au_write_summary sum = {0};
        rc = au_engine_write_events(req->srv->engine, evs, k, origin, &sum, err);
    }
    for (size_t j = 0; owned && j < k; j++)
        json_decref(owned[j]);
    au_free(owned);
    au_free(evs);
    return rc;
}

/* Must-links for every link item whose records exist. */
static au_rc apply_links(au_req *req, json_t *items, const char *origin, au_err *err)
{
    size_t i, k;
    json_t *it, *from;
    json_array_foreach(items, i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "kind")), "link") != 0)
            continue;
        json_t *to = json_object_get(it, "to");
        json_array_foreach(json_object_get(it, "from"), k, from)
        {
            au_err one;
            au_err_init(&one);
            au_rc rc = au_resolve_override(
                req->srv->engine, json_string_value(json_object_get(from, "source")),
                json_string_value(json_object_get(from, "record")),
                json_string_value(json_object_get(to, "source")),
                json_string_value(json_object_get(to, "record")), AU_LINK_MUST, origin, &one);
            if (rc && rc != AU_ERR_NOT_FOUND && rc != AU_ERR_INVALID) {
                au_err_set(err, rc, "alias: %s", one.message);
                au_err_cleanup(&one);
                return rc;
            }
            au_err_cleanup(&one);
        }
    }
    return AU_OK;
}

au_rc au_api_segment(au_req *req, au_resp *resp, au_err *err)
{
    const char *type = req->route->pattern + strlen("/v1/");
    int batch = strcmp(type, "batch") == 0 || strcmp(type, "import") == 0;
    json_t *body = NULL, *items = NULL;
    char origin[64];
    if (!batch && req->body_len > AU_SEGMENT_MAX_MESSAGE_BYTES)
        return au_err_set(err, AU_ERR_TOO_LARGE, "a Segment message is at most %d bytes",
                          AU_SEGMENT_MAX_MESSAGE_BYTES);
    if (batch && req->body_len > AU_SEGMENT_MAX_BATCH_BYTES)
        return au_err_set(err, AU_ERR_TOO_LARGE, "a Segment batch is at most %d bytes",
                          AU_SEGMENT_MAX_BATCH_BYTES);
    au_rc rc = au_req_parse_json(req, &body, err);
    if (rc)
        return rc;
    rc = batch ? au_segment_map_batch(body, au_wall_ms(), &items, err)
               : au_segment_map(type, body, au_wall_ms(), &items, err);
    json_decref(body);
    if (rc)
        return rc;
    au_req_origin(req, origin, sizeof(origin));
    au_warnings w;
    au_warnings_init(&w, AU_WARNINGS_MAX);
    /* Records first, so that an identify and a track in one batch land on one customer. */
    rc = write_records(req, items, origin, &w, err);
    if (!rc)
        rc = write_events(req, items, origin, err);
    if (!rc)
        rc = apply_links(req, items, origin, err);
    json_decref(items);
    json_t *answer = rc ? NULL : json_pack("{s:b}", "success", 1);
    if (!rc && (!answer || au_warnings_put(&w, answer)))
        rc = AU_ERR_NOMEM;
    au_warnings_cleanup(&w);
    if (rc) {
        json_decref(answer);
        return rc;
    }
    return au_resp_json(resp, 200, answer);
}
