/*
 * Declared query and path parameters (see query.h): one parser for every route, so `limit=5x`
 * gets the same precise 400 everywhere; the conversion itself is lib/opts', shared with the
 * configuration, the command line and connector options.
 */
#include "api/query.h"

#include <stdio.h>
#include <string.h>

au_rc au_query_parse_from(au_query_get get, const void *src, const au_query_spec *spec, void *out,
                          au_err *err)
{
    for (const au_query_spec *q = spec; q->name; q++) {
        const char *v = get(src, q->name);
        au_rc rc = AU_OK;
        if (!v && q->required)
            rc = au_err_set(err, AU_ERR_INVALID, "%s: required (%s)", q->name, q->help);
        else if (q->type == AU_OPT_STRING && !v && !q->def)
            *(const char **)((char *)out + q->offset) = NULL;
        else if (v || q->def)
            rc = au_opt_set(q, v ? v : q->def, out, 0, err);
        if (rc == AU_ERR_INVALID && v) {
            char what[160];
            au_opt_expected(q, what, sizeof what);
            au_err_detail_add(err, -1, NULL, q->name, "expected %s, got '%.64s'", what, v);
        }
        if (rc)
            return rc;
    }
    return AU_OK;
}

static const char *from_req(const void *src, const char *name)
{
    return au_req_query(src, name);
}

static const char *from_path(const void *src, const char *name)
{
    return au_req_param(src, name);
}

au_rc au_query_parse(const au_req *req, const au_query_spec *spec, void *out, au_err *err)
{
    return au_query_parse_from(from_req, req, spec, out, err);
}

au_rc au_path_parse(const au_req *req, const au_query_spec *spec, void *out, au_err *err)
{
    for (const au_query_spec *q = spec; q->name; q++) {
        const au_query_spec one[] = {*q, {0}};
        au_rc rc = au_query_parse_from(from_path, req, one, out, err);
        if (rc == AU_ERR_INVALID && (q->flags & AU_OPT_NOT_FOUND)) {
            const char *v = au_req_param(req, q->name);
            au_err_cleanup(err);
            au_err_init(err);
            return au_err_set(err, AU_ERR_NOT_FOUND, "no %s '%.64s'", q->help, v ? v : "");
        }
        if (rc)
            return rc;
    }
    return AU_OK;
}

au_rc au_query_describe(const au_query_spec *spec, au_buf *out)
{
    au_rc rc = AU_OK;
    char type[160];
    for (const au_query_spec *q = spec; q->name && !rc; q++) {
        au_opt_type_text(q, type, sizeof type);
        rc =
            au_buf_printf(out, "- `%s` (%s%s%s%s): %s\n", q->name, type, q->def ? ", default " : "",
                          q->def ? q->def : "", q->required ? ", required" : "", q->help);
    }
    return rc;
}

au_rc au_query_describe_line(const au_query_spec *spec, const char *sep, au_buf *out)
{
    au_rc rc = AU_OK;
    char type[160];
    for (const au_query_spec *q = spec; q->name && !rc; q++) {
        au_opt_type_text(q, type, sizeof type);
        rc = au_buf_printf(out, "?%s= (%s%s%s%s): %s%s", q->name, type, q->def ? ", default " : "",
                           q->def ? q->def : "", q->required ? ", required" : "", q->help, sep);
    }
    return rc;
}
