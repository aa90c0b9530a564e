/*
 * Declared query parameters. A handler describes its parameters once in a table (name, type,
 * offset in its own struct, default, bounds, help) and au_query_parse fills the struct: a value
 * that is not what the row says is a 400 naming the parameter and its bounds ("limit: expected
 * an integer from 1 to 1000, got '5x'"), never silently defaulted or clamped. The same rows
 * give the parameter's reference text (au_query_describe).
 */
#ifndef AU_API_QUERY_H
#define AU_API_QUERY_H

#include <stddef.h>

#include "api/api_int.h"
#include "lib/buf.h"
#include "lib/rc.h"

typedef enum au_query_type {
    AU_QUERY_INT,  /* long at offset: decimal digits (optional '-') within [min, max] */
    AU_QUERY_STR,  /* const char * at offset, borrowed from the request; NULL when absent */
    AU_QUERY_FLAG, /* int at offset: 1 for "1", "true" or "yes", 0 for "0", "false" or "no" */
} au_query_type;

/* One row; a table ends with a row whose name is NULL. */
typedef struct au_query_spec {
    const char *name;
    au_query_type type;
    size_t offset;    /* where the value goes in the handler's struct */
    long def;         /* AU_QUERY_INT / AU_QUERY_FLAG: value when absent */
    long min, max;    /* AU_QUERY_INT: accepted range */
    int clamp_max;    /* AU_QUERY_INT: a value above max is served as max (a documented cap such
                       * as a long-poll's wait), not refused; malformed values are still 400 */
    const char *help; /* one line for the reference */
} au_query_spec;

/* Value lookup: the argument called name, NULL when absent. */
typedef const char *(*au_query_get)(const void *src, const char *name);

/* Fills out from the request's query per spec; the first bad value is the error (AU_ERR_INVALID,
 * with a detail naming the parameter). Strings stay borrowed from req. */
AU_MUST_USE au_rc au_query_parse(const au_req *req, const au_query_spec *spec, void *out,
                                 au_err *err);
/* The same over any lookup (tests, other transports). */
AU_MUST_USE au_rc au_query_parse_from(au_query_get get, const void *src, const au_query_spec *spec,
                                      void *out, au_err *err);
/* Appends one Markdown line per row: "- `limit` (integer 1..1000, default 50): help". */
AU_MUST_USE au_rc au_query_describe(const au_query_spec *spec, au_buf *out);

#endif
