/*
 * Run history: GET /v1/flows/{name}/runs (au_flows_runs) and the run summary of a flow's
 * listing (au_flows_run_summary), read from the store's flow_runs rows with a reader handle.
 */
#include <string.h>

#include "flows/flows_int.h"

static json_t *parse_or_string(const char *s)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : s ? json_string(s) : json_null();
}

/* What a run list shows of the input when the whole context is not asked for: every root
 * but `profile`, which is reduced to its id (the golden record with its timeline is most of
 * the text of a run, and a list of them is read to see what happened, not to whom). */
static json_t *brief_input(json_t *in)
{
    json_t *prof = json_object_get(in, "profile");
    if (json_is_object(prof))
        json_object_set_new(in, "profile", json_pack("{s:O?}", "id", json_object_get(prof, "id")));
    return in;
}

typedef struct run_list_ctx {
    json_t *runs; /* array being filled */
    int context;  /* 1: whole input */
} run_list_ctx;

/* One run as the API shows it. New reference, NULL when out of memory. */
static json_t *run_json(const au_run_row *r, int context)
{
    json_t *in = parse_or_string(r->input);
    json_t *o = json_pack(
        "{s:I,s:s,s:s,s:o,s:s?,s:o,s:s,s:s?,s:i,s:i,s:o}", "id", (json_int_t)r->id, "flow", r->flow,
        "trigger", r->trigger, "input", context ? in : brief_input(in), "condition", r->condition,
        "steps", parse_or_string(r->steps), "status", r->status, "error", r->error, "attempts",
        r->attempts, "pending", r->pending, "started_at", au_flows_iso_time(r->started_ms));
    if (o && r->finished_ms) {
        json_object_set_new(o, "finished_at", au_flows_iso_time(r->finished_ms));
        json_object_set_new(o, "latency_ms", json_integer(r->finished_ms - r->started_ms));
    }
    return o;
}

static int run_to_json(void *ctx, const au_run_row *r)
{
    run_list_ctx *rl = ctx;
    json_t *o = run_json(r, rl->context);
    return o && !json_array_append_new(rl->runs, o) ? 0 : AU_ERR_NOMEM;
}

static int status_ok(const char *s)
{
    static const char *const ok[] = {"pending", "delivered", "failed", "skipped", "error", "dead"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!strcmp(s, ok[i]))
            return 1;
    return 0;
}

au_rc au_flows_runs(au_flows *f, const char *name, const au_runs_query *q, json_t **out,
                    au_err *err)
{
    *out = NULL;
    if (q->status && !status_ok(q->status))
        return au_err_set(err, AU_ERR_INVALID, "unknown run status \"%s\": use one of %s",
                          q->status, AU_RUN_STATUSES);
    flow_entry *e = au_flows_acquire(f, name);
    au_flows_release(f, e);
    au_store *st = au_engine_reader(f->engine);
    run_list_ctx rl = {json_array(), q->context};
    if (!st || !rl.runs) {
        au_engine_reader_release(f->engine, st);
        json_decref(rl.runs);
        return au_err_set(err, AU_ERR_STORE, "cannot read the run history");
    }
    au_rc rc = au_store_run_list(st, name, q->status, q->before, q->limit, run_to_json, &rl);
    /* A flow deleted since keeps its history; a name never seen is a typo. */
    if (!rc && !e && json_array_size(rl.runs) == 0 &&
        au_store_run_list(st, name, NULL, 0, 1, run_to_json, &rl) == AU_OK &&
        json_array_size(rl.runs) == 0)
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no flow named \"%s\"", name);
    au_engine_reader_release(f->engine, st);
    if (rc) {
        json_decref(rl.runs);
        return err && err->rc ? rc : au_err_set(err, rc, "cannot read the run history");
    }
    *out = json_pack("{s:o}", "runs", rl.runs);
    return AU_OK;
}

/* How the runs of `name` stand, added to its listing: last_run, runs, failures, dead_letters.
 * `st` is a reader handle. */
au_rc au_flows_run_summary(au_flows *f, au_store *st, const char *name, json_t *o)
{
    au_run_counts c;
    run_list_ctx rl = {json_array(), 0};
    (void)f;
    au_rc rc = rl.runs ? au_store_run_counts(st, name, &c) : AU_ERR_NOMEM;
    if (!rc)
        rc = au_store_run_list(st, name, NULL, 0, 1, run_to_json, &rl);
    if (rc) {
        json_decref(rl.runs);
        return rc;
    }
    json_t *last = json_array_get(rl.runs, 0);
    json_t *brief = last
                        ? json_pack("{s:O,s:O,s:O,s:O,s:O*,s:O}", "id", json_object_get(last, "id"),
                                    "status", json_object_get(last, "status"), "trigger",
                                    json_object_get(last, "trigger"), "started_at",
                                    json_object_get(last, "started_at"), "finished_at",
                                    json_object_get(last, "finished_at"), "error",
                                    json_object_get(last, "error"))
                        : json_null();
    json_decref(rl.runs);
    json_object_set_new(o, "last_run", brief ? brief : json_null());
    json_object_set_new(o, "runs",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)c.total,
                                  "pending", (json_int_t)c.pending, "delivered",
                                  (json_int_t)c.delivered, "failed", (json_int_t)c.failed,
                                  "skipped", (json_int_t)c.skipped, "error", (json_int_t)c.error));
    json_object_set_new(o, "failures", json_integer(c.failed + c.error));
    json_object_set_new(o, "dead_letters", json_integer(c.dead_letters));
    json_object_set_new(o, "retrying", json_integer(c.retrying));
    json_object_set_new(o, "last_retry_error",
                        c.last_retry_error[0] ? json_string(c.last_retry_error) : json_null());
    return AU_OK;
}
