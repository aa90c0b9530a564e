/*
 * Identity-resolution routes: explain a pair of records or a profile, manual decisions (merge,
 * split, do-not-link) and the review queue of possible matches. Explanations come from the
 * resolve hook's in-memory resolver; record references are resolved with a store reader;
 * decisions go through the writer (au_resolve_override / _merge / _split) so they are persisted
 * in the same transaction as the profile changes they cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/query.h"
#include "resolve/hook.h"
#include "lib/alloc.h"

static au_resolve_state *resolver_of(au_req *req, au_err *err)
{
    au_resolve_state *s = au_engine_hook_state(req->srv->engine, "resolve");
    if (!s)
        au_err_set(err, AU_ERR_UNAVAILABLE, "identity resolution is not running");
    return s;
}

/* The {id} path parameter as a profile number; anything else names no profile (404). */
static const au_query_spec id_path[] = {AU_QUERY_ROW("id", AU_QUERY_INT, 0, NULL, "profile",
                                                     .min = 1, .max = __LONG_MAX__, .required = 1,
                                                     .flags = AU_OPT_NOT_FOUND),
                                        {0}};

static au_rc profile_param(au_req *req, int64_t *p, au_err *err)
{
    long v = 0;
    au_rc rc = au_path_parse(req, id_path, &v, err);
    *p = v;
    return rc;
}

/* {"source": "...", "record": "..."} -> borrowed strings. */
static au_rc ref_of(const json_t *o, const char *what, const char **source, const char **record,
                    au_err *err)
{
    *source = json_string_value(json_object_get(o, "source"));
    *record = json_string_value(json_object_get(o, "record"));
    if (!json_is_object(o) || !*source || !*record)
        return au_err_set(err, AU_ERR_INVALID, "%s must be {\"source\": ..., \"record\": ...}",
                          what);
    return AU_OK;
}

/* GET /v1/explain?a=SOURCE:ID&b=SOURCE:ID */
typedef struct explain_args {
    const char *a, *b; /* borrowed */
} explain_args;

const au_query_spec au_api_query_explain[] = {
    AU_QUERY_ROW("a", AU_QUERY_STR, offsetof(explain_args, a), NULL, "a record: SOURCE:RECORD_ID",
                 .required = 1),
    AU_QUERY_ROW("b", AU_QUERY_STR, offsetof(explain_args, b), NULL,
                 "the other record: SOURCE:RECORD_ID", .required = 1),
    {0}};

/* GET /v1/review?limit=N */
const au_query_spec au_api_query_review[] = {
    AU_QUERY_ROW("limit", AU_QUERY_INT, 0, "100", "pairs to list", .min = 1, .max = 10000), {0}};

/* A "SOURCE:ID" query value v (argument `name`) into two buffers. */
static au_rc query_ref(const char *v, const char *name, char *src, size_t ns, char *id, size_t ni,
                       au_err *err)
{
    const char *colon = v ? strchr(v, ':') : NULL;
    if (!colon || colon == v || !colon[1] || (size_t)(colon - v) >= ns || strlen(colon) > ni)
        return au_err_set(err, AU_ERR_INVALID, "query argument '%s' must be SOURCE:RECORD_ID",
                          name);
    snprintf(src, ns, "%.*s", (int)(colon - v), v);
    snprintf(id, ni, "%s", colon + 1);
    return AU_OK;
}

/* GET /v1/profiles/{id}/explain */
au_rc au_api_profile_explain(au_req *req, au_resp *resp, au_err *err)
{
    int64_t p = 0;
    au_resolve_state *s = resolver_of(req, err);
    au_rc rc = s ? profile_param(req, &p, err) : AU_ERR_UNAVAILABLE;
    if (rc)
        return rc;
    au_store *st = au_engine_reader(req->srv->engine);
    if (!st)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    json_t *doc = au_resolve_explain_profile(s, st, p, err);
    au_engine_reader_release(req->srv->engine, st);
    return doc ? au_resp_json(resp, 200, doc) : err->rc;
}

/* GET /v1/explain?a=SOURCE:ID&b=SOURCE:ID */
au_rc au_api_explain(au_req *req, au_resp *resp, au_err *err)
{
    char sa[256], ra[1024], sb[256], rb[1024];
    au_resolve_state *s = resolver_of(req, err);
    if (!s)
        return AU_ERR_UNAVAILABLE;
    explain_args a = {0};
    au_rc rc = au_query_parse(req, au_api_query_explain, &a, err);
    if (!rc)
        rc = query_ref(a.a, "a", sa, sizeof(sa), ra, sizeof(ra), err);
    if (!rc)
        rc = query_ref(a.b, "b", sb, sizeof(sb), rb, sizeof(rb), err);
    if (rc)
        return rc;
    au_store *st = au_engine_reader(req->srv->engine);
    if (!st)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    json_t *doc = au_resolve_explain_pair(s, st, sa, ra, sb, rb, err);
    au_engine_reader_release(req->srv->engine, st);
    return doc ? au_resp_json(resp, 200, doc) : err->rc;
}

/* GET /v1/sources/{source}/records/{id}/profile */
au_rc au_api_record_profile(au_req *req, au_resp *resp, au_err *err)
{
    const char *source = au_req_param(req, "source"), *id = au_req_param(req, "id");
    int64_t p = 0;
    au_store *st = au_engine_reader(req->srv->engine);
    if (!st)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    au_rc rc = au_resolve_profile_of(st, source, id, &p);
    au_engine_reader_release(req->srv->engine, st);
    if (rc == AU_ERR_NOT_FOUND)
        return au_err_set(err, rc, "no record '%s' in source '%s'", id, source);
    if (rc)
        return au_err_set(err, rc, "%s", au_rc_message(rc));
    return au_resp_json(resp, 200,
                        json_pack("{s:s, s:s, s:o}", "source", source, "record_id", id, "profile",
                                  p ? json_integer(p) : json_null()));
}

/* Answers a decision with the profiles of the records involved now. */
static au_rc decided(au_resp *resp, const char *what)
{
    return au_resp_json(resp, 200, json_pack("{s:s}", "status", what));
}

/* POST /v1/profiles/{id}/merge  {"with": profile id | {"source","record"}} */
au_rc au_api_profile_merge(au_req *req, au_resp *resp, au_err *err)
{
    char origin[128];
    int64_t p = 0;
    json_t *body = NULL;
    const char *source = NULL, *record = NULL;
    au_rc rc = profile_param(req, &p, err);
    if (!rc)
        rc = au_req_parse_json(req, &body, err);
    if (rc)
        return rc;
    json_t *with = json_object_get(body, "with");
    int64_t other = json_is_integer(with) ? json_integer_value(with) : 0;
    if (!json_is_integer(with))
        rc = ref_of(with, "\"with\"", &source, &record, err);
    else if (other <= 0)
        rc = au_err_set(err, AU_ERR_INVALID, "\"with\" must be a profile id or a record");
    au_req_origin(req, origin, sizeof(origin));
    if (!rc)
        rc = au_resolve_merge(req->srv->engine, p, source, record, other, origin, err);
    if (!rc)
        rc = decided(resp, "merged");
    json_decref(body);
    return rc;
}

/* POST /v1/profiles/{id}/split  {"records": [{"source","record"}, ...]} */
au_rc au_api_profile_split(au_req *req, au_resp *resp, au_err *err)
{
    char origin[128];
    int64_t p = 0;
    json_t *body = NULL;
    const char **sources = NULL, **records = NULL;
    au_rc rc = profile_param(req, &p, err);
    if (!rc)
        rc = au_req_parse_json(req, &body, err);
    if (rc)
        return rc;
    json_t *list = json_object_get(body, "records");
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0 || n > 1000) {
        rc = au_err_set(err, AU_ERR_INVALID, "\"records\" must list 1 to 1000 records");
        goto out;
    }
    sources = au_calloc(n, sizeof(*sources));
    records = au_calloc(n, sizeof(*records));
    if (!sources || !records) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = ref_of(json_array_get(list, i), "each of \"records\"", &sources[i], &records[i], err);
    au_req_origin(req, origin, sizeof(origin));
    if (!rc)
        rc = au_resolve_split(req->srv->engine, p, sources, records, n, origin, err);
    if (!rc)
        rc = decided(resp, "split");
out:
    au_free(sources);
    au_free(records);
    json_decref(body);
    return rc;
}

/* POST /v1/overrides  {"a":{"source","record"},"b":{...},"kind":"must_link|cannot_link|none"} */
au_rc au_api_override_post(au_req *req, au_resp *resp, au_err *err)
{
    char origin[128];
    json_t *body = NULL;
    const char *sa, *ra, *sb, *rb;
    au_rc rc = au_req_parse_json(req, &body, err);
    if (rc)
        return rc;
    int kind = au_resolve_link_kind(json_string_value(json_object_get(body, "kind")));
    rc = ref_of(json_object_get(body, "a"), "\"a\"", &sa, &ra, err);
    if (!rc)
        rc = ref_of(json_object_get(body, "b"), "\"b\"", &sb, &rb, err);
    if (!rc && kind < 0)
        rc = au_err_set(err, AU_ERR_INVALID,
                        "\"kind\" must be \"must_link\", \"cannot_link\" or \"none\"");
    au_req_origin(req, origin, sizeof(origin));
    if (!rc)
        rc = au_resolve_override(req->srv->engine, sa, ra, sb, rb, (au_link_kind)kind, origin, err);
    if (!rc)
        rc = decided(resp, au_resolve_link_name((au_link_kind)kind));
    json_decref(body);
    return rc;
}

typedef struct review_ctx {
    au_store *st;
    json_t *items;
} review_ctx;

static json_t *ref_json(au_store *st, int64_t no)
{
    char *source = NULL, *record = NULL;
    json_t *o = NULL;
    if (au_resolve_record_ref(st, no, &source, &record) == AU_OK)
        o = json_pack("{s:s, s:s}", "source", source, "record", record);
    au_free(source);
    au_free(record);
    return o ? o : json_null();
}

static int review_item(void *ctx, const au_review_row *r)
{
    review_ctx *c = ctx;
    json_array_append_new(c->items, json_pack("{s:o, s:o, s:f, s:I}", "a", ref_json(c->st, r->a),
                                              "b", ref_json(c->st, r->b), "weight", r->weight,
                                              "at_ms", (json_int_t)r->at_ms));
    return 0;
}

/* GET /v1/review?limit=N */
au_rc au_api_review(au_req *req, au_resp *resp, au_err *err)
{
    long limit;
    au_rc qrc = au_query_parse(req, au_api_query_review, &limit, err);
    if (qrc)
        return qrc;
    au_store *st = au_engine_reader(req->srv->engine);
    if (!st)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    review_ctx c = {st, json_array()};
    au_rc rc = au_resolve_review_list(st, limit, review_item, &c);
    au_engine_reader_release(req->srv->engine, st);
    if (rc) {
        json_decref(c.items);
        return au_err_set(err, rc, "%s", au_rc_message(rc));
    }
    return au_resp_json(resp, 200, json_pack("{s:o}", "items", c.items));
}
