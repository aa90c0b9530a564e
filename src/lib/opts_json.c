/*
 * The JSON front-end of the declared options (see opts.h): a JSON object — a configuration
 * section the YAML loader converted, or the body of an API request — checked against the rows
 * and stored through the same converter as every other source of options, so a value has one
 * wording wherever it came from. Numbers go through their decimal text (au_opt_set), which
 * keeps the bounds and their message in one place.
 */
#include "lib/opts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "a string", "an object"...: what a JSON value is, for "expected X, got Y". */
static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        break;
    }
    return "null";
}

static au_rc wrong_kind(const au_opt *o, const json_t *v, au_err *err)
{
    char what[160];
    au_opt_expected(o, what, sizeof what);
    if (json_is_string(v))
        return au_err_set(err, AU_ERR_INVALID, "%s: expected %s, got the string '%.64s'", o->name,
                          what, json_string_value(v));
    return au_err_set(err, AU_ERR_INVALID, "%s: expected %s, got %s", o->name, what, json_kind(v));
}

/* The shortest decimal text that reads back as d, so a message quotes 0.7, not
 * 0.69999999999999996. */
static void shortest(double d, char *buf, size_t cap)
{
    for (int p = 6; p <= 17; p++) {
        snprintf(buf, cap, "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* A JSON scalar as the text au_opt_set converts, when it is of the kind o's type takes; "" when
 * it is not (the caller then reports the kind). */
static int scalar_text(const au_opt *o, const json_t *v, char *buf, size_t cap)
{
    switch (o->type) {
    case AU_OPT_STRING:
    case AU_OPT_STRINGS:
    case AU_OPT_CHOICE:
        if (json_is_null(v) && o->type == AU_OPT_STRING)
            return snprintf(buf, cap, "%s", ""), 1;
        return json_is_string(v) ? (snprintf(buf, cap, "%s", json_string_value(v)), 1) : 0;
    case AU_OPT_INT:
    case AU_OPT_U64:
        return json_is_integer(v) ? (snprintf(buf, cap, "%lld", json_integer_value(v)), 1) : 0;
    case AU_OPT_DOUBLE:
        return json_is_number(v) ? (shortest(json_number_value(v), buf, cap), 1) : 0;
    case AU_OPT_BOOL:
        return json_is_boolean(v) ? (snprintf(buf, cap, "%s", json_is_true(v) ? "1" : "0"), 1) : 0;
    case AU_OPT_TEMPLATE:
    case AU_OPT_MAPPING:
        break;
    }
    return 0;
}

au_rc au_opt_set_json(const au_opt *o, const struct json_t *v, void *dst, unsigned flags,
                      au_err *err)
{
    if (o->type == AU_OPT_MAPPING) {
        if (!json_is_object(v))
            return au_err_set(err, AU_ERR_INVALID, "%s: expected an object, got %s", o->name,
                              json_kind(v));
        *(const json_t **)((char *)dst + o->offset) = v;
        return AU_OK;
    }
    if (o->type == AU_OPT_TEMPLATE)
        return au_err_set(err, AU_ERR_INTERNAL, "%s: compiled by its consumer", o->name);
    if (o->type == AU_OPT_STRINGS && json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            au_rc rc = au_opt_set_json(o, json_array_get(v, i), dst, flags, err);
            if (rc)
                return rc;
        }
        return AU_OK;
    }
    /* Strings keep their whole text (a STRING row borrows it from v unless AU_OPT_COPY). */
    if (json_is_string(v) &&
        (o->type == AU_OPT_STRING || o->type == AU_OPT_STRINGS || o->type == AU_OPT_CHOICE))
        return au_opt_set(o, json_string_value(v), dst, flags, err);
    char text[64];
    if (!scalar_text(o, v, text, sizeof text))
        return wrong_kind(o, v, err);
    if (o->type == AU_OPT_STRING) /* null: an empty string, as in YAML */
        return au_opt_set(o, "", dst, flags, err);
    return au_opt_set(o, text, dst, flags, err);
}

/* Prefixes err's message with "PREFIX." when there is a prefix. */
static au_rc prefixed(au_rc rc, const char *prefix, au_err *err)
{
    if (rc != AU_ERR_NOMEM && err && prefix && *prefix) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        au_err_set(err, rc, "%s.%s", prefix, msg);
    }
    return rc;
}

au_rc au_opts_from_json(const au_opt *opts, size_t n, const struct json_t *obj, const char *prefix,
                        void *dst, unsigned flags, au_err *err)
{
    char names[512];
    if (!obj)
        return AU_OK;
    au_opts_names(opts, n, names, sizeof names);
    if (!json_is_object(obj))
        return au_err_set(err, AU_ERR_INVALID, "%s%sexpected an object of %s, got %s",
                          prefix ? prefix : "", prefix && *prefix ? ": " : "", names,
                          json_kind(obj));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        const au_opt *o = au_opts_find(opts, n, k, strlen(k));
        if (!o)
            return prefixed(
                au_err_set(err, AU_ERR_INVALID, "%.60s: unknown key (valid keys: %s)", k, names),
                prefix, err);
        au_rc rc = o->flags & AU_OPT_CONSUMER ? AU_OK : au_opt_set_json(o, v, dst, flags, err);
        if (rc)
            return prefixed(rc, prefix, err);
    }
    for (size_t i = 0; i < n && opts[i].name; i++)
        if (opts[i].required && !json_object_get(obj, opts[i].name))
            return prefixed(
                au_err_set(err, AU_ERR_INVALID, "%s: required (%s)", opts[i].name, opts[i].help),
                prefix, err);
    return AU_OK;
}
