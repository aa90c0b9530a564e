/*
 * Request and response helpers shared by the handlers: JSON bodies in, JSON bodies out, and the
 * one function that turns an au_err into the standard error body
 * {"error":{"code","message","details":[{"index","record_id","field","reason"}]}}.
 */
#include <string.h>

#include "api/api_int.h"
#include "lib/alloc.h"
#include "normalize/normalize.h"

/* Jansson strings are malloc'd; responses are au_free'd, so copy once into our allocator. */
static au_rc take_dump(au_resp *resp, char *dump)
{
    if (!dump)
        return AU_ERR_NOMEM;
    resp->len = strlen(dump);
    resp->body = au_strndup(dump, resp->len);
    free(dump);
    return resp->body ? AU_OK : AU_ERR_NOMEM;
}

au_rc au_resp_json(au_resp *resp, int status, json_t *json)
{
    if (!json)
        return AU_ERR_NOMEM;
    resp->status = status;
    resp->content_type = "application/json";
    au_rc rc = take_dump(resp, json_dumps(json, AU_API_JSON_FLAGS));
    json_decref(json);
    return rc;
}

static json_t *error_json(au_rc rc, const au_err *err)
{
    const char *msg = err && err->rc != AU_OK && err->message[0] ? err->message : au_rc_message(rc);
    json_t *details = json_array();
    for (size_t i = 0; err && details && i < err->ndetails; i++) {
        const au_err_detail *d = &err->details[i];
        json_t *o = json_object();
        if (d->index >= 0)
            json_object_set_new(o, "index", json_integer(d->index));
        if (d->record_id)
            json_object_set_new(o, "record_id", json_string(d->record_id));
        if (d->field)
            json_object_set_new(o, "field", json_string(d->field));
        json_object_set_new(o, "reason", json_string(d->reason ? d->reason : ""));
        json_array_append_new(details, o);
    }
    json_t *e = json_pack("{s:s, s:s, s:o}", "code", au_rc_code(rc), "message", msg, "details",
                          details ? details : json_array());
    if (e && err && err->dropped)
        json_object_set_new(e, "details_dropped", json_integer((json_int_t)err->dropped));
    return e ? json_pack("{s:o}", "error", e) : NULL;
}

char *au_error_body(au_rc rc, const au_err *err, size_t *len)
{
    json_t *j = error_json(rc, err);
    char *dump = j ? json_dumps(j, AU_API_JSON_FLAGS) : NULL;
    json_decref(j);
    char *body = NULL;
    if (dump) {
        *len = strlen(dump);
        body = au_strndup(dump, *len);
        free(dump);
    }
    if (!body) { /* keep the contract even when memory is short */
        static const char fallback[] = "{\"error\":{\"code\":\"out_of_memory\",\"message\":"
                                       "\"out of memory\",\"details\":[]}}";
        *len = sizeof(fallback) - 1;
        body = au_strndup(fallback, *len);
    }
    return body;
}

au_rc au_req_parse_json(const au_req *req, json_t **out, au_err *err)
{
    json_error_t je;
    *out = NULL;
    if (!au_utf8_valid(req->body, req->body_len))
        return au_err_set(err, AU_ERR_ENCODING, "request body is not valid UTF-8");
    if (req->body_len == 0)
        return au_err_set(err, AU_ERR_PARSE, "request body is empty; a JSON document is expected");
    json_t *j = json_loadb(req->body, req->body_len, 0, &je);
    if (!j)
        return au_err_set(err, AU_ERR_PARSE, "malformed JSON at line %d, column %d: %s", je.line,
                          je.column, je.text);
    *out = j;
    return AU_OK;
}

void au_req_origin(const au_req *req, char *buf, size_t cap)
{
    snprintf(buf, cap, "api:%s", req->key && req->key->id[0] ? req->key->id : "anonymous");
}

const char *au_req_query(const au_req *req, const char *name)
{
    const char *raw = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!raw || !strpbrk(raw, "%+"))
        return raw;
    /* The decoded copies belong to the request; a handler sees req as const only so that it
     * cannot change what was asked. */
    au_req *owner = (au_req *)req;
    if (owner->ndecoded == AU_REQ_MAX_DECODED)
        return NULL;
    char *d = au_strdup(raw);
    if (!d)
        return NULL;
    for (char *p = d; *p; p++)
        if (*p == '+')
            *p = ' ';
    MHD_http_unescape(d);
    owner->decoded[owner->ndecoded++] = d;
    return d;
}

au_rc au_resp_header(au_resp *resp, const char *name, const char *value)
{
    if (resp->nheaders >= AU_RESP_MAX_HEADERS)
        return AU_ERR_INTERNAL;
    char *v = au_strndup(value, strlen(value));
    if (!v)
        return AU_ERR_NOMEM;
    resp->hname[resp->nheaders] = name;
    resp->hvalue[resp->nheaders++] = v;
    return AU_OK;
}

void au_resp_cleanup(au_resp *resp)
{
    au_free(resp->body);
    resp->body = NULL;
    for (size_t i = 0; i < resp->nheaders; i++)
        au_free(resp->hvalue[i]);
    resp->nheaders = 0;
}
