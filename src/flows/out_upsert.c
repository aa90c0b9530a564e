/*
 * The `upsert_record` step: writes a record into a registered source through the engine's
 * normal write path (mapping, normalisation, resolution hooks, durability), with the origin
 * "flow:<name>". That origin is what keeps two-way sync loop-free: the change the step causes
 * never triggers the flow that wrote it (src/flows/hook.c). The write happens on the
 * delivery thread and is acknowledged once committed, so OK means durable.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "core/batch.h"
#include "core/source.h"
#include "flows/connector.h"
#include "flows/flowdef.h"
#include "lib/alloc.h"

static const au_connector_option upsert_options[] = {
    AU_CONNECTOR_OPT("source", AU_OPT_STRING, 1, NULL, 0, 0,
                     "registered source to write the record into"),
    AU_CONNECTOR_OPT("record_id", AU_OPT_TEMPLATE, 1, NULL, 0, 0, "the record's id in that source"),
    AU_CONNECTOR_OPT("fields", AU_OPT_MAPPING, 1, NULL, 0, 0,
                     "the record's fields (the source's own names)"),
    {0},
};

static au_rc upsert_validate(const json_t *config, au_err *err)
{
    const char *src = json_string_value(json_object_get(config, "source"));
    for (const char *p = src; p && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return au_err_set(err, AU_ERR_INVALID, "source must be letters, digits, '_' or '-'");
    return AU_OK;
}

typedef struct upsert_state {
    au_engine *engine;
    char origin[80]; /* "flow:<name>" */
} upsert_state;

static au_rc upsert_prepare(const au_flow_step *step, const au_connector_env *env, void **state,
                            au_err *err)
{
    upsert_state *st = au_calloc(1, sizeof(*st));
    if (!st)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    st->engine = env->engine;
    snprintf(st->origin, sizeof(st->origin), "flow:%s", env->flow);
    *state = st;
    return AU_OK;
}

static void upsert_close(void *state)
{
    au_free(state);
}

/* The source document: the mapped fields plus the record id under the source's id field. */
static json_t *build_doc(const au_source *src, const au_flow_step *step, const json_t *ctx,
                         int64_t now_ms, au_delivery *out)
{
    au_expr_error ee;
    json_t *doc = NULL;
    char *id = NULL;
    if (au_flow_value_eval(au_flow_step_value(step, "fields"), ctx, now_ms, &doc, &ee)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "fields: %s", ee.message);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        au_delivery_set(out, AU_DELIVER_FAIL, "fields must evaluate to an object");
        return NULL;
    }
    if (au_flow_value_render(au_flow_step_value(step, "record_id"), ctx, now_ms, 0, &id, &ee)) {
        json_decref(doc);
        au_delivery_set(out, AU_DELIVER_FAIL, "record_id: %s", ee.message);
        return NULL;
    }
    const char *key = json_string_value(json_object_get(au_source_definition(src), "record_id"));
    json_object_set_new(doc, key ? key : "id", json_string(id));
    au_free(id);
    return doc;
}

static void upsert_send(void *state, const au_flow_step *step, const json_t *ctx, int64_t now_ms,
                        au_delivery *out)
{
    upsert_state *st = state;
    const char *name = json_string_value(json_object_get(step->config, "source"));
    const au_source *src = au_engine_source_acquire(st->engine, name);
    au_record_batch b;
    au_err err;
    au_err_init(&err);
    au_record_batch_init(&b, src, NULL);
    memset(out, 0, sizeof(*out));
    out->retry_after_ms = -1;
    if (!src) {
        au_delivery_set(out, AU_DELIVER_FAIL, "unknown source '%s'", name);
        goto out;
    }
    json_t *doc = build_doc(src, step, ctx, now_ms, out);
    if (!doc)
        goto out;
    au_rc rc = au_record_batch_add(&b, doc, 0, &err);
    json_decref(doc);
    if (rc == AU_ERR_NOMEM) { /* transient: the delivery is tried again */
        au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
        goto out;
    }
    if (rc) {
        au_delivery_set(out, AU_DELIVER_FAIL, "record refused: %s", err.message);
        goto out;
    }
    au_write_summary sum;
    rc = au_record_batch_write(&b, st->engine, st->origin, &sum, &err);
    if (rc)
        au_delivery_set(out, rc == AU_ERR_INVALID ? AU_DELIVER_FAIL : AU_DELIVER_RETRY,
                        "write failed: %s", err.message);
    else
        au_delivery_set(out, AU_DELIVER_OK, "%s", sum.unchanged ? "unchanged" : "written");
out:
    au_record_batch_cleanup(&b);
    au_engine_source_release(st->engine, src);
    au_err_cleanup(&err);
}

const au_connector au_connector_upsert_record = {
    .name = "upsert_record",
    .help = "insert or update a record of a source, through the normal ingest pipeline",
    .options = upsert_options,
    .validate = upsert_validate,
    .prepare_env = upsert_prepare,
    .send = upsert_send,
    .close = upsert_close,
};
