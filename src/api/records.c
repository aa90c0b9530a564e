/*
 * Source records over HTTP. A POSTed batch is mapped and normalised on the request thread, every
 * document first: if any is malformed (not an object, no record id, or a value a field with
 * on_invalid: reject refuses) the whole batch is refused with one detail per bad record and
 * nothing reaches the engine. A dirty value is not a bad request: it is quarantined, the record
 * written, and the answer lists it under "warnings". Only a fully valid batch is handed to the
 * writer, whose acknowledgement means committed. Reads use a pooled read-only store handle.
 */
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "api/query.h"
#include "core/batch.h"
#include "core/reads.h"
#include "core/warnings.h"
#include "lib/alloc.h"

/* Records in one batch, bounded so an error listing or a job stays reasonable. */
#define MAX_BATCH 100000

/* What map_one adds to: the batch, and the documents seen and refused. */
typedef struct map_ctx {
    au_record_batch *b;
    size_t n, nbad;
} map_ctx;

/* One document, mapped (noting quarantined values in the batch's warnings); a bad one is
 * reported in err's details and the next is mapped all the same. */
static au_rc map_one(json_t *doc, size_t i, void *p, au_err *err)
{
    map_ctx *m = p;
    au_err one;
    au_err_init(&one);
    m->n++;
    au_rc rc = json_is_object(doc)
                   ? au_record_batch_add(m->b, doc, (long)i, &one)
                   : au_err_set(&one, AU_ERR_INVALID, "document is not a JSON object");
    if (rc && rc != AU_ERR_NOMEM) {
        m->nbad++;
        if (one.ndetails)
            au_err_take_details(err, &one, 0);
        else
            au_err_detail_add(err, (long)i, NULL, NULL, "%s", one.message);
        rc = AU_OK;
    }
    au_err_cleanup(&one);
    return rc;
}

/* Maps every document of the body as it is parsed, one at a time (the batch never exists as one
 * Jansson tree); when any is bad, every bad one is reported and nothing is kept. *nbad:
 * documents refused (all on NOMEM). */
static au_rc map_all(au_req *req, au_record_batch *b, size_t *nbad, au_err *err)
{
    map_ctx m = {b, 0, 0};
    au_rc rc = au_req_batch_each(req, MAX_BATCH, map_one, &m, err);
    *nbad = rc == AU_ERR_NOMEM ? m.n : rc ? 0 : m.nbad; /* a body error refuses no record */
    if (rc)
        return rc == AU_ERR_NOMEM ? au_err_set(err, rc, "out of memory") : rc;
    if (m.nbad)
        return au_err_set(err, AU_ERR_INVALID,
                          "%zu of %zu records are invalid; nothing was written", m.nbad, m.n);
    return AU_OK;
}

static au_rc write_batch(au_req *req, const char *source, au_record_batch *b, const au_warnings *w,
                         au_resp *resp, au_err *err)
{
    char origin[64];
    au_write_summary sum = {0};
    au_req_origin(req, origin, sizeof(origin));
    /* The engine owns the records from here on, whatever the outcome. An empty batch writes
     * nothing and is answered all the same. */
    au_rc rc = au_record_batch_write(b, req->srv->engine, origin, &sum, err);
    if (rc)
        return rc;
    au_metrics *m = req->srv->metrics;
    au_metrics_records(m, source, AU_OUTCOME_INSERTED, (uint64_t)sum.inserted);
    au_metrics_records(m, source, AU_OUTCOME_UPDATED, (uint64_t)sum.updated);
    au_metrics_records(m, source, AU_OUTCOME_UNCHANGED, (uint64_t)sum.unchanged);
    json_t *answer = json_pack("{s:I, s:I, s:I}", "inserted", (json_int_t)sum.inserted, "updated",
                               (json_int_t)sum.updated, "unchanged", (json_int_t)sum.unchanged);
    if (!answer || au_warnings_put(w, answer)) {
        json_decref(answer);
        return AU_ERR_NOMEM;
    }
    return au_resp_json(resp, 200, answer);
}

/* POST /v1/sources/{source}/records   body: [doc, ...] or JSON lines
 * -> {"inserted":n,"updated":n,"unchanged":n,"warnings":[{index,record_id,field,attribute,value,
 *     reason}] (the first 100 quarantined values),"warnings_total":n,"records_with_warnings":n};
 * a malformed document (or a value refused under on_invalid: reject) -> 400, nothing written. */
au_rc au_api_records_post(au_req *req, au_resp *resp, au_err *err)
{
    const char *name = au_req_param(req, "source");
    size_t nbad = 0;
    au_warnings w;
    au_record_batch b;
    au_warnings_init(&w, AU_WARNINGS_MAX);
    au_rc rc = AU_OK;
    const au_source *src = au_engine_source_acquire(req->srv->engine, name);
    if (!src)
        return au_err_set(err, AU_ERR_NOT_FOUND, "unknown source '%s'", name);
    au_record_batch_init(&b, src, &w);
    if ((rc = map_all(req, &b, &nbad, err))) {
        if (nbad)
            au_metrics_records(req->srv->metrics, name, AU_OUTCOME_REJECTED, nbad);
        goto out;
    }
    rc = write_batch(req, name, &b, &w, resp, err);
out:
    au_record_batch_cleanup(&b);
    au_warnings_cleanup(&w);
    au_engine_source_release(req->srv->engine, src);
    return rc;
}

static json_t *iso_time(int64_t ms)
{
    char buf[40];
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(ms % 1000));
    return json_string(buf);
}

/* A member of the stored document, or `dflt` (stolen) when absent. */
static json_t *member_or(json_t *doc, const char *k, json_t *dflt)
{
    json_t *v = json_object_get(doc, k);
    if (v) {
        json_decref(dflt);
        return json_incref(v);
    }
    return dflt;
}

/* One stored version as the API shows it. */
static json_t *version_json(const au_record_out *r)
{
    json_t *doc = r->doc ? json_loads(r->doc, 0, NULL) : NULL;
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "version", json_integer((json_int_t)r->version));
        json_object_set_new(o, "updated_at", iso_time(r->at_ms));
        json_object_set_new(o, "updated_ms", json_integer((json_int_t)r->at_ms));
        json_object_set_new(o, "origin", json_string(r->origin ? r->origin : ""));
        json_object_set_new(o, "deleted", json_boolean(r->deleted));
        json_object_set_new(o, "attributes", au_record_doc_attrs(doc));
        json_object_set_new(o, "custom", member_or(doc, "custom", json_object()));
        json_object_set_new(o, "input", member_or(doc, "input", json_null()));
    }
    json_decref(doc);
    return o;
}

static int on_version(void *ctx, const au_record_out *r)
{
    json_t *v = version_json(r);
    return v && json_array_append_new(ctx, v) == 0 ? 0 : AU_ERR_NOMEM;
}

static au_rc check_source(au_req *req, const char *name, au_err *err)
{
    const au_source *src = au_engine_source_acquire(req->srv->engine, name);
    if (!src)
        return au_err_set(err, AU_ERR_NOT_FOUND, "unknown source '%s'", name);
    au_engine_source_release(req->srv->engine, src);
    return AU_OK;
}

const au_query_spec au_api_query_record_get[] = {
    AU_QUERY_ROW("history", AU_QUERY_FLAG, 0, "0", "add every version, oldest first"), {0}};

/* GET /v1/sources/{source}/records/{id}[?history=1]
 * -> {"source","record_id","version","updated_at","origin","attributes":{name:{raw,value,key}},
 *     "custom","input"[,"history":[versions, oldest first]]} */
au_rc au_api_record_get(au_req *req, au_resp *resp, au_err *err)
{
    const char *name = au_req_param(req, "source"), *id = au_req_param(req, "id");
    int hist = 0;
    au_record_out cur = {0};
    json_t *out = NULL, *history = NULL;
    au_rc rc = au_query_parse(req, au_api_query_record_get, &hist, err);
    if (!rc)
        rc = check_source(req, name, err);
    if (rc)
        return rc;
    au_store *s = au_engine_reader(req->srv->engine);
    if (!s)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    rc = au_engine_read_record(s, name, id, 0, &cur);
    if (rc == AU_ERR_NOT_FOUND || (!rc && cur.deleted)) {
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no record '%s' in source '%s'", id, name);
        goto out;
    }
    if (rc) {
        au_err_set(err, rc, "cannot read record '%s'", id);
        goto out;
    }
    if (!(out = version_json(&cur))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    json_object_del(out, "deleted");
    json_object_set_new(out, "source", json_string(name));
    json_object_set_new(out, "record_id", json_string(id));
    if (hist) {
        if (!(history = json_array()) ||
            (rc = au_engine_read_history(s, name, id, on_version, history))) {
            rc = au_err_set(err, rc ? rc : AU_ERR_NOMEM, "cannot read the history of '%s'", id);
            goto out;
        }
        json_object_set(out, "history", history);
    }
    rc = au_resp_json(resp, 200, out);
    out = NULL;
out:
    au_engine_reader_release(req->srv->engine, s);
    au_record_out_cleanup(&cur);
    json_decref(out);
    json_decref(history);
    return rc;
}

/* DELETE /v1/sources/{source}/records/{id} -> {"deleted":true,"source","record_id"}; 404 when
 * the record does not exist (or is already deleted). */
au_rc au_api_record_delete(au_req *req, au_resp *resp, au_err *err)
{
    const char *name = au_req_param(req, "source"), *id = au_req_param(req, "id");
    char origin[64];
    au_rc rc = check_source(req, name, err);
    if (rc)
        return rc;
    au_req_origin(req, origin, sizeof(origin));
    if ((rc = au_engine_delete_record(req->srv->engine, name, id, origin, err))) {
        if (rc == AU_ERR_NOT_FOUND)
            au_err_set(err, rc, "no record '%s' in source '%s'", id, name);
        return rc;
    }
    au_metrics_records(req->srv->metrics, name, AU_OUTCOME_DELETED, 1);
    return au_resp_json(
        resp, 200, json_pack("{s:b, s:s, s:s}", "deleted", 1, "source", name, "record_id", id));
}
