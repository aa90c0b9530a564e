/*
 * Declared query parameters (see query.h): one parser for every route, so `limit=5x` gets the
 * same precise 400 everywhere.
 */
#include "api/query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static au_rc bad(au_err *err, const au_query_spec *q, const char *v, const char *expected)
{
    au_err_detail_add(err, -1, NULL, q->name, "expected %s, got '%.64s'", expected, v);
    return au_err_set(err, AU_ERR_INVALID, "%s: expected %s, got '%.64s'", q->name, expected, v);
}

static au_rc parse_int(const au_query_spec *q, const char *v, long *out, au_err *err)
{
    char expected[96];
    snprintf(expected, sizeof(expected), "an integer from %ld to %ld", q->min, q->max);
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    /* strtol skips leading blanks and accepts '+': neither is a plain integer in a URL. */
    if (!*v || *end || errno || *v == ' ' || *v == '+' || n < q->min ||
        (n > q->max && !q->clamp_max))
        return bad(err, q, v, expected);
    *out = n > q->max ? q->max : n;
    return AU_OK;
}

static au_rc parse_flag(const au_query_spec *q, const char *v, int *out, au_err *err)
{
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
        *out = 0;
    else
        return bad(err, q, v, "1, true, yes, 0, false or no");
    return AU_OK;
}

au_rc au_query_parse_from(au_query_get get, const void *src, const au_query_spec *spec, void *out,
                          au_err *err)
{
    for (const au_query_spec *q = spec; q->name; q++) {
        const char *v = get(src, q->name);
        char *at = (char *)out + q->offset;
        au_rc rc = AU_OK;
        switch (q->type) {
        case AU_QUERY_INT:
            *(long *)at = q->def;
            rc = v ? parse_int(q, v, (long *)at, err) : AU_OK;
            break;
        case AU_QUERY_FLAG:
            *(int *)at = (int)q->def;
            rc = v ? parse_flag(q, v, (int *)at, err) : AU_OK;
            break;
        case AU_QUERY_STR:
            *(const char **)at = v;
            break;
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

au_rc au_query_parse(const au_req *req, const au_query_spec *spec, void *out, au_err *err)
{
    return au_query_parse_from(from_req, req, spec, out, err);
}

au_rc au_query_describe(const au_query_spec *spec, au_buf *out)
{
    au_rc rc = AU_OK;
    for (const au_query_spec *q = spec; q->name && !rc; q++) {
        if (q->type == AU_QUERY_INT)
            rc = au_buf_printf(
                out, "- `%s` (integer %ld..%ld%s, default %ld): %s\n", q->name, q->min, q->max,
                q->clamp_max ? ", more is served as the maximum" : "", q->def, q->help);
        else if (q->type == AU_QUERY_FLAG)
            rc = au_buf_printf(out, "- `%s` (flag, default %s): %s\n", q->name, q->def ? "1" : "0",
                               q->help);
        else
            rc = au_buf_printf(out, "- `%s` (text): %s\n", q->name, q->help);
    }
    return rc;
}
