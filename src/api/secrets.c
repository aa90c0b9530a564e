/*
 * The secrets store over HTTP (admin keys only): PUT stores a value, GET lists names, DELETE
 * removes one. No route ever answers with a value: what a step sent is shown with
 * [secret:NAME] placeholders (docs/SECRETS.md). The store itself is src/flows/secrets.h.
 */
#include <sodium.h>
#include <string.h>

#include "api/api_int.h"
#include "flows/flows.h"
#include "flows/secrets.h"

static au_secrets *store(au_req *req, au_err *err)
{
    au_secrets *s = au_flows_secrets(au_flows_of(req->srv->engine));
    if (!s)
        au_err_set(err, AU_ERR_UNAVAILABLE, "flows are not running");
    return s;
}

/* GET /v1/secrets -> {"secrets":[{"name","updated"}]} */
au_rc au_api_secret_list(au_req *req, au_resp *resp, au_err *err)
{
    au_secrets *s = store(req, err);
    if (!s)
        return err->rc;
    return au_resp_json(resp, 200, json_pack("{s:o}", "secrets", au_secrets_list(s)));
}

/* PUT /v1/secrets/{name}   body {"value": "..."} -> {"name","stored":true} */
au_rc au_api_secret_put(au_req *req, au_resp *resp, au_err *err)
{
    json_t *in = NULL;
    const char *name = au_req_param(req, "name");
    au_secrets *s = store(req, err);
    au_rc rc = s ? au_req_parse_json(req, &in, err) : err->rc;
    const char *value = json_string_value(json_object_get(in, "value"));
    if (!rc && (!json_is_object(in) || !value || json_object_size(in) != 1))
        rc = au_err_set(err, AU_ERR_INVALID, "the body must be {\"value\": \"...\"} (a string)");
    if (!rc)
        rc = au_secrets_set(s, name, value, err);
    if (value) /* the request body is freed by the server; wipe our parsed copy */
        sodium_memzero((void *)value, strlen(value));
    json_decref(in);
    return rc ? rc : au_resp_json(resp, 200, json_pack("{s:s,s:b}", "name", name, "stored", 1));
}

/* DELETE /v1/secrets/{name} */
au_rc au_api_secret_delete(au_req *req, au_resp *resp, au_err *err)
{
    const char *name = au_req_param(req, "name");
    au_secrets *s = store(req, err);
    au_rc rc = s ? au_secrets_remove(s, name, err) : err->rc;
    return rc ? rc : au_resp_json(resp, 200, json_pack("{s:s,s:b}", "name", name, "deleted", 1));
}
