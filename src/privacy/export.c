/*
 * Export of a data subject (subject access request, docs/PRIVACY.md): everything held about a
 * person, with where it came from, as one JSON document: the golden record with its lineage,
 * every version of every source record (origin and time of each), the events on their timeline,
 * the flow runs and dead letters that mention them. Read from one reader snapshot.
 */
#include <string.h>

#include "lib/alloc.h"
#include "privacy/privacy_int.h"
#include "profile/profiles.h"

/* Bound on the runs and dead letters listed (newest first); retention bounds them anyway. */
#define AU_EXPORT_MAX_RUNS 1000
/* Bound on events listed. */
#define AU_EXPORT_MAX_EVENTS 10000

static json_t *parsed(const char *text)
{
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : (text ? json_string(text) : json_null());
}

static int on_version(void *ctx, const au_record_out *r)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:b, s:o}", "version", (json_int_t)r->version, "at_ms",
                          (json_int_t)r->at_ms, "origin", r->origin ? r->origin : "", "deleted",
                          r->deleted, "document", parsed(r->doc));
    return o && !json_array_append_new(ctx, o) ? 0 : AU_ERR_NOMEM;
}

/* Every member record with its history. */
static au_rc records_of(au_store *st, const au_subject *s, json_t *out)
{
    size_t i;
    json_t *m;
    json_array_foreach(s->members, i, m)
    {
        const char *src = json_string_value(json_object_get(m, "s"));
        const char *rid = json_string_value(json_object_get(m, "r"));
        json_t *versions = json_array();
        au_rc rc =
            versions ? au_store_record_history(st, src, rid, on_version, versions) : AU_ERR_NOMEM;
        if (rc) {
            json_decref(versions);
            return rc;
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "source", src, "record_id", rid,
                                             "versions", versions));
    }
    return AU_OK;
}

static int on_event(void *ctx, const au_event_out *ev)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:s}", "source", ev->source, "event_id",
                  ev->event_id, "type", ev->type, "at_ms", (json_int_t)ev->at_ms, "received_ms",
                  (json_int_t)ev->received_ms, "customer", parsed(ev->customer), "properties",
                  parsed(ev->properties), "origin", ev->origin ? ev->origin : "");
    return o && !json_array_append_new(ctx, o) ? 0 : AU_ERR_NOMEM;
}

typedef struct runs_ctx {
    json_t *runs, *dead;
} runs_ctx;

static int on_run(void *vctx, const au_run_row *r)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:I, s:I}", "id", (json_int_t)r->id, "flow",
                          r->flow, "trigger", r->trigger, "status", r->status, "input",
                          parsed(r->input), "started_ms", (json_int_t)r->started_ms, "finished_ms",
                          (json_int_t)r->finished_ms);
    return o && !json_array_append_new(((runs_ctx *)vctx)->runs, o) ? 0 : AU_ERR_NOMEM;
}

static int on_dead(void *vctx, const au_dead_row *d)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:s, s:I}", "id", (json_int_t)d->id,
                          "run_id", (json_int_t)d->run_id, "flow", d->flow, "step_id", d->step_id,
                          "request", parsed(d->request), "response", parsed(d->response), "reason",
                          d->reason, "created_ms", (json_int_t)d->created_ms);
    return o && !json_array_append_new(((runs_ctx *)vctx)->dead, o) ? 0 : AU_ERR_NOMEM;
}

au_rc au_privacy_export(au_engine *e, au_store *st, const au_subject_query *q, json_t **out,
                        au_err *err)
{
    au_subject s = {0};
    json_t *golden = NULL, *records = json_array(), *events = json_array();
    runs_ctx rc_ = {json_array(), json_array()};
    char *refs = NULL, *needles = NULL;
    au_rc rc = records && events && rc_.runs && rc_.dead ? AU_OK : AU_ERR_NOMEM;
    if (!rc)
        rc = au_subject_find(e, st, q, &s, err);
    if (!rc)
        rc = au_profile_get(e, st, s.profile, 1, &golden, err);
    if (!rc)
        rc = records_of(st, &s, records);
    if (!rc) {
        char *t1 = json_dumps(s.refs, JSON_COMPACT), *t2 = json_dumps(s.needles, JSON_COMPACT);
        refs = t1 ? au_strdup(t1) : NULL;
        needles = t2 ? au_strdup(t2) : NULL;
        free(t1);
        free(t2);
        rc = refs && needles ? AU_OK : AU_ERR_NOMEM;
    }
    if (!rc)
        rc = au_store_timeline(st, refs, 0, NULL, NULL, AU_EXPORT_MAX_EVENTS, on_event, events);
    if (!rc)
        rc = au_store_subject_runs(st, needles, AU_EXPORT_MAX_RUNS, on_run, on_dead, &rc_);
    if (rc) {
        if (!err->message[0])
            au_err_set(err, rc, "cannot read what is held about the person");
        goto out;
    }
    *out = json_pack("{s:I, s:O, s:O, s:O, s:O, s:O}", "profile", (json_int_t)s.profile,
                     "golden_record", golden, "records", records, "events", events, "flow_runs",
                     rc_.runs, "dead_letters", rc_.dead);
    rc = *out ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
out:
    au_subject_cleanup(&s);
    json_decref(golden);
    json_decref(records);
    json_decref(events);
    json_decref(rc_.runs);
    json_decref(rc_.dead);
    au_free(refs);
    au_free(needles);
    return rc;
}
