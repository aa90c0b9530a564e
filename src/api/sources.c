/*
 * Source definitions over HTTP: register or replace one (admin), read one, list them. The
 * engine validates and persists; this file only moves JSON in and out.
 */
#include <string.h>

#include "api/api_int.h"
#include "core/reads.h"
#include "inbound/inbound.h"

/* PUT /v1/sources/{source}   body: definition object -> {"name","definition"}; an `inbound`
 * block is checked first and its connector (re)started once the definition is stored */
au_rc au_api_source_put(au_req *req, au_resp *resp, au_err *err)
{
    json_t *def = NULL;
    const char *name = au_req_param(req, "source");
    au_rc rc = au_req_parse_json(req, &def, err);
    if (rc)
        goto out;
    if (!json_is_object(def)) {
        rc = au_err_set(err, AU_ERR_INVALID, "a source definition must be a JSON object");
        goto out;
    }
    const json_t *inbound = json_object_get(def, "inbound");
    if (inbound && (rc = au_inbound_check(inbound, err)))
        goto out;
    if ((rc = au_engine_source_put(req->srv->engine, name, def, err)))
        goto out;
    /* The definition is stored: a connector that cannot start is reported, not undone. */
    if ((rc = au_inbound_reload(au_inbound_of(req->srv->engine), name, err)))
        goto out;
    rc = au_resp_json(resp, 200, json_pack("{s:s, s:O}", "name", name, "definition", def));
out:
    json_decref(def);
    return rc;
}

/* GET /v1/sources/{source} -> {"name","definition"} */
au_rc au_api_source_get(au_req *req, au_resp *resp, au_err *err)
{
    const char *name = au_req_param(req, "source");
    const au_source *s = au_engine_source_acquire(req->srv->engine, name);
    if (!s)
        return au_err_set(err, AU_ERR_NOT_FOUND, "unknown source '%s'", name);
    json_t *j = json_pack("{s:s, s:O}", "name", name, "definition", au_source_definition(s));
    au_engine_source_release(req->srv->engine, s);
    return au_resp_json(resp, 200, j);
}

typedef struct list_ctx {
    au_engine *engine;
    json_t *seen; /* name -> true */
    json_t *list; /* array of {"name","definition"} */
} list_ctx;

static int add_source(list_ctx *c, const char *name)
{
    if (json_object_get(c->seen, name))
        return 0;
    const au_source *s = au_engine_source_acquire(c->engine, name);
    if (!s)
        return 0;
    json_array_append_new(
        c->list, json_pack("{s:s, s:O}", "name", name, "definition", au_source_definition(s)));
    au_engine_source_release(c->engine, s);
    json_object_set_new(c->seen, name, json_true());
    return 0;
}

static int on_stored_source(void *ctx, const char *name, const char *def_json)
{
    return add_source(ctx, name);
}

/* GET /v1/sources -> {"sources":[{"name","definition"}]} (active definitions, from the config
 * file and from the store) */
au_rc au_api_source_list(au_req *req, au_resp *resp, au_err *err)
{
    list_ctx c = {req->srv->engine, json_object(), json_array()};
    au_rc rc = AU_OK;
    if (!c.seen || !c.list) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    const char *name;
    json_t *v;
    json_object_foreach(req->srv->cfg->sources, name, v) add_source(&c, name);
    au_store *s = au_engine_reader(req->srv->engine);
    if (!s) {
        rc = au_err_set(err, AU_ERR_BUSY, "no store reader available");
        goto out;
    }
    rc = au_engine_read_sources(s, on_stored_source, &c);
    au_engine_reader_release(req->srv->engine, s);
    if (rc) {
        au_err_set(err, rc, "cannot list sources");
        goto out;
    }
    rc = au_resp_json(resp, 200, json_pack("{s:O}", "sources", c.list));
out:
    json_decref(c.seen);
    json_decref(c.list);
    return rc;
}
