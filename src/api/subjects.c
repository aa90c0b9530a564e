/*
 * Data subjects (docs/PRIVACY.md): erasure and export of everything held about one person,
 * named by profile id or by one identifier. Both are admin-only: they touch every source.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/query.h"
#include "lib/alloc.h"
#include "privacy/privacy.h"

/* POST /v1/subjects/erase {"profile"|"email"|"phone"|"source"+"record", "suppress": bool} */
au_rc au_api_subject_erase(au_req *req, au_resp *resp, au_err *err)
{
    json_t *body = NULL, *receipt = NULL;
    au_subject_query q;
    au_rc rc = au_req_parse_json(req, &body, err);
    if (!rc)
        rc = au_subject_query_from_json(body, &q, err);
    const json_t *sup = json_object_get(body, "suppress");
    if (!rc && sup && !json_is_boolean(sup))
        rc = au_err_set(err, AU_ERR_INVALID, "suppress: true or false");
    if (!rc) {
        au_erase_opts o = {req->key ? req->key->id : "", json_is_true(sup)};
        rc = au_privacy_erase(req->srv->engine, &q, &o, &receipt, err);
    }
    if (!rc)
        rc = au_resp_json(resp, 200, receipt);
    json_decref(body);
    return rc;
}

/* GET /v1/subjects/export?profile=ID | email= | phone= | source=&record= */
typedef struct export_args {
    long profile;                                /* 0: not given */
    const char *email, *phone, *source, *record; /* borrowed */
} export_args;

const au_query_spec au_api_query_subject_export[] = {
    AU_QUERY_ROW("profile", AU_QUERY_INT, offsetof(export_args, profile), NULL, "a profile id",
                 .min = 1, .max = __LONG_MAX__),
    AU_QUERY_ROW("email", AU_QUERY_STR, offsetof(export_args, email), NULL, "an e-mail address"),
    AU_QUERY_ROW("phone", AU_QUERY_STR, offsetof(export_args, phone), NULL, "a phone number"),
    AU_QUERY_ROW("source", AU_QUERY_STR, offsetof(export_args, source), NULL,
                 "a source (with record)"),
    AU_QUERY_ROW("record", AU_QUERY_STR, offsetof(export_args, record), NULL,
                 "a record id of that source"),
    {0}};

au_rc au_api_subject_export(au_req *req, au_resp *resp, au_err *err)
{
    json_t *args = json_object(), *doc = NULL;
    au_subject_query q;
    au_store *st = NULL;
    export_args a = {0};
    au_rc rc = args ? au_query_parse(req, au_api_query_subject_export, &a, err) : AU_ERR_NOMEM;
    const char *const strs[] = {a.email, a.phone, a.source, a.record};
    static const char *const names[] = {"email", "phone", "source", "record"};
    for (size_t i = 0; !rc && i < 4; i++)
        if (strs[i])
            json_object_set_new(args, names[i], json_string(strs[i]));
    if (!rc && a.profile)
        json_object_set_new(args, "profile", json_integer((json_int_t)a.profile));
    if (!rc)
        rc = au_subject_query_from_json(args, &q, err);
    if (!rc && !(st = au_engine_reader(req->srv->engine)))
        rc = au_err_set(err, AU_ERR_STORE, "no store reader available");
    if (!rc)
        rc = au_privacy_export(req->srv->engine, st, &q, &doc, err);
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    if (!rc)
        rc = au_resp_json(resp, 200, doc);
    json_decref(args);
    return rc;
}
