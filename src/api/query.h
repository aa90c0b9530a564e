/*
 * Declared query and path parameters: the API front-end of lib/opts.h. A handler describes its
 * parameters once in a table of declared options (name, type, offset in its own struct,
 * default, bounds, help) and au_query_parse fills the struct: a value that is not what the row
 * says is a 400 naming the parameter and its bounds ("limit: expected an integer from 1 to
 * 1000, got '5x'") — the same converter and wording as the configuration and the command line —
 * never silently defaulted or clamped. au_path_parse does the same for path parameters (a row
 * flagged AU_OPT_NOT_FOUND answers 404: an id that cannot name anything). The same rows give
 * the parameter reference (au_query_describe).
 */
#ifndef AU_API_QUERY_H
#define AU_API_QUERY_H

#include <stddef.h>

#include "api/api_int.h"
#include "lib/buf.h"
#include "lib/opts.h"
#include "lib/rc.h"

/* A parameter is a declared option; a table ends with a row whose name is NULL. */
typedef au_opt au_query_spec;
#define AU_QUERY_INT  AU_OPT_INT    /* long at offset, within [min, max]; AU_OPT_CLAMP caps */
#define AU_QUERY_STR  AU_OPT_STRING /* const char * at offset, borrowed; NULL when absent */
#define AU_QUERY_FLAG AU_OPT_BOOL   /* int at offset: true/yes/on/1 or false/no/off/0 */
#define AU_QUERY_U64  AU_OPT_U64    /* uint64_t at offset */
/* One row: name, type, offset, default as text (NULL: none), help, then designated fields
 * (.min = 1, .max = 1000, .flags = AU_OPT_CLAMP). */
#define AU_QUERY_ROW(name_, type_, offset_, def_, help_, ...)                                      \
    {                                                                                              \
        .name = (name_), .type = (type_), .offset = (offset_), .def = (def_), .help = (help_),     \
        __VA_ARGS__                                                                                \
    }

/* Value lookup: the argument called name, NULL when absent. */
typedef const char *(*au_query_get)(const void *src, const char *name);

/* Fills out from the request's query per spec; the first bad value is the error (AU_ERR_INVALID,
 * with a detail naming the parameter). Absent parameters get the row's default (STRING rows
 * without one: NULL). Strings stay borrowed from req. */
AU_MUST_USE au_rc au_query_parse(const au_req *req, const au_query_spec *spec, void *out,
                                 au_err *err);
/* The same for the route's path parameters ({id}); a row with AU_OPT_NOT_FOUND answers a
 * malformed value with AU_ERR_NOT_FOUND. */
AU_MUST_USE au_rc au_path_parse(const au_req *req, const au_query_spec *spec, void *out,
                                au_err *err);
/* The same over any lookup (tests, other transports). */
AU_MUST_USE au_rc au_query_parse_from(au_query_get get, const void *src, const au_query_spec *spec,
                                      void *out, au_err *err);
/* The query tables of the routes, defined beside their handlers; routes.c pairs them with
 * the routes so the reference (`aurum help api`, docs/API.md) is generated from them. */
extern const au_query_spec au_api_query_record_get[], au_api_query_explain[], au_api_query_review[],
    au_api_query_quality_generic[], au_api_query_profile_search[], au_api_query_profile_lookup[],
    au_api_query_profile_get[], au_api_query_profile_timeline[], au_api_query_changes[],
    au_api_query_flow_runs[], au_api_query_deadletters[], au_api_query_quality[],
    au_api_query_subject_export[], au_api_query_audit[];
/* POST /v1/sources/{source}/sync (api/inbound.c) */
extern const au_query_spec au_api_query_sync[];
/* One line per parameter, "?limit= (integer 1..1000, default 50): runs per page", each
 * followed by sep. */
AU_MUST_USE au_rc au_query_describe_line(const au_query_spec *spec, const char *sep, au_buf *out);

/* Appends one Markdown line per row: "- `limit` (integer 1..1000, default 50): help". */
AU_MUST_USE au_rc au_query_describe(const au_query_spec *spec, au_buf *out);

#endif
