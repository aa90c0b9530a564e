/*
 * One result type for the whole code base. Every fallible function returns an au_rc: AU_OK (0)
 * or a negative code; never errno, never a boolean. The single table in rc.c maps each code to
 * the stable string used in JSON error bodies and to the HTTP status the API answers with, so the
 * mapping lives in one place. au_err carries a code plus a precise human message and optional
 * per-item details (which record, which field, why) for bad-input errors.
 */
#ifndef AU_RC_H
#define AU_RC_H

#include <stdarg.h>
#include <stddef.h>

/* X(name, value, json code, HTTP status, default message) */
#define AU_RC_LIST(X)                                                                              \
    X(AU_OK, 0, "ok", 200, "ok")                                                                   \
    X(AU_ERR_NOMEM, -1, "out_of_memory", 503, "out of memory")                                     \
    X(AU_ERR_INVALID, -2, "invalid_input", 400, "invalid input")                                   \
    X(AU_ERR_PARSE, -3, "malformed", 400, "malformed input")                                       \
    X(AU_ERR_ENCODING, -4, "invalid_utf8", 400, "input is not valid UTF-8")                        \
    X(AU_ERR_NOT_FOUND, -5, "not_found", 404, "not found")                                         \
    X(AU_ERR_CONFLICT, -6, "conflict", 409, "conflict")                                            \
    X(AU_ERR_TOO_LARGE, -7, "too_large", 413, "request body too large")                            \
    X(AU_ERR_UNAUTHORIZED, -8, "unauthorized", 401, "missing or unknown API key")                  \
    X(AU_ERR_FORBIDDEN, -9, "forbidden", 403, "API key lacks the required scope")                  \
    X(AU_ERR_METHOD, -10, "method_not_allowed", 405, "method not allowed")                         \
    X(AU_ERR_UNSUPPORTED, -11, "unsupported", 415, "unsupported media type or format")             \
    X(AU_ERR_IO, -12, "io_error", 500, "input/output error")                                       \
    X(AU_ERR_STORE, -13, "store_error", 500, "store error")                                        \
    X(AU_ERR_BUSY, -14, "busy", 503, "busy, retry later")                                          \
    X(AU_ERR_UNAVAILABLE, -15, "unavailable", 503, "shutting down")                                \
    X(AU_ERR_INTERNAL, -16, "internal", 500, "internal error")

/* On the prototype of a function returning au_rc: ignoring its result is a compile error under
 * -Werror, so a failure cannot pass silently. Not on au_err_set, whose result is a convenience. */
#define AU_MUST_USE __attribute__((warn_unused_result))
/* Calls a must-use function whose failure changes nothing for the caller; the call site says
 * why in a comment (e.g. a rollback after the error already being reported). */
#define AU_BEST_EFFORT(call) ((void)!(call))

typedef enum au_rc {
#define AU_RC_ENUM(name, value, code, status, msg) name = value,
    AU_RC_LIST(AU_RC_ENUM)
#undef AU_RC_ENUM
} au_rc;

/* Stable machine-readable code, e.g. "invalid_input". Never NULL. */
const char *au_rc_code(au_rc rc);
/* Default human message for the code. Never NULL. */
const char *au_rc_message(au_rc rc);
/* HTTP status the API answers with for this code. */
int au_rc_http_status(au_rc rc);

/* One detail of a bad-input error: which item (index, -1 if none), which field, why. */
typedef struct au_err_detail {
    long index;      /* position of the item in its batch or file, -1 when not applicable */
    char *record_id; /* the item's own id when known, owned, may be NULL */
    char *field;     /* offending field, owned, may be NULL */
    char *reason;    /* why it was rejected, owned */
} au_err_detail;

/* An error with a message and details. Caller-allocated; au_err_init/au_err_cleanup. */
typedef struct au_err {
    au_rc rc;               /* AU_OK while no error was set */
    char message[512];      /* precise message, empty while rc == AU_OK */
    au_err_detail *details; /* owned array */
    size_t ndetails;        /* used entries */
    size_t cap;             /* allocated entries */
    size_t dropped;         /* details not kept because of AU_ERR_MAX_DETAILS */
} au_err;

/* Hostile input must not grow an error without bound. */
#define AU_ERR_MAX_DETAILS 100

void au_err_init(au_err *err);
void au_err_cleanup(au_err *err);
/* Sets code and message (printf format) and returns rc so callers can `return au_err_set(...)`.
 * err may be NULL; the code is still returned. */
au_rc au_err_set(au_err *err, au_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
au_rc au_err_vset(au_err *err, au_rc rc, const char *fmt, va_list ap);
/* Appends a detail; strings are copied. Past AU_ERR_MAX_DETAILS only `dropped` is counted. */
void au_err_detail_add(au_err *err, long index, const char *record_id, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Moves the details of src to the end of dst (index offset added); src keeps its message. */
void au_err_take_details(au_err *dst, au_err *src, long index_offset);

#endif
