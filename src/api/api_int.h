/*
 * Internals shared by the files of src/api: the route table entry, the request a handler sees,
 * the response it fills, and small helpers for JSON bodies. A handler returns AU_OK with the
 * response filled, or an error code with `err` set; http.c turns the latter into the standard
 * error body, so no handler formats errors itself.
 */
#ifndef AU_API_INT_H
#define AU_API_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/keys.h"
#include "core/metrics.h"
#include "lib/buf.h"

#define AU_ROUTE_MAX_PARAMS 4

/* Which scope a route needs; write scopes name the source from the path or the body. */
typedef enum {
    AU_NEED_NONE,         /* no key: health checks */
    AU_NEED_READ,         /* "read" */
    AU_NEED_ADMIN,        /* "admin" */
    AU_NEED_WRITE_SOURCE, /* "write:<source>" for the {source} path parameter */
    AU_NEED_WRITE_BODY,   /* "write:<source>" for each item's source, checked by the handler */
    AU_NEED_SEGMENT       /* "write:segment", key given as the HTTP Basic user (Segment) */
} au_need;

typedef struct au_server au_server;
typedef struct au_req au_req;

/* What a request with nothing to send yet waits for (http_pool.h): it is woken when the change
 * feed's generation is no longer `gen`, at `until_ms`, when its client leaves or at shutdown. */
typedef struct au_wait {
    uint64_t gen;     /* au_profiles_generation read before the request last looked */
    int64_t until_ms; /* wall-clock ms (au_wall_ms) to wake at without a change */
} au_wait;

/* A streamed body (Server-Sent Events): called on an MHD event-loop thread for more bytes and
 * must not block. Returns bytes written to buf; -1 ends the stream; 0 means nothing yet, with
 * *w saying what to wait for (the connection is parked meanwhile, holding no thread). */
typedef long (*au_stream_fn)(void *ctx, char *buf, size_t max, au_wait *w);

/* Extra response headers a handler may add (cookies, caching, security policy). */
#define AU_RESP_MAX_HEADERS 8

/* What a handler produces. body is owned (au_malloc); content_type is static. */
typedef struct au_resp {
    int status;                             /* 200 unless set */
    char *body;                             /* owned */
    size_t len;                             /* bytes of body */
    const unsigned char *static_body;       /* borrowed, static (embedded assets); or NULL */
    const char *content_type;               /* "application/json" unless set */
    const char *hname[AU_RESP_MAX_HEADERS]; /* static header names */
    char *hvalue[AU_RESP_MAX_HEADERS];      /* owned header values */
    size_t nheaders;                        /* headers in use */
    au_stream_fn stream;                    /* when set, the body is streamed instead of `body` */
    void *stream_ctx;                       /* owned: freed with stream_free when the stream ends */
    void (*stream_free)(void *ctx);
    int waiting;  /* set by a handler with nothing to answer yet: it runs again after `wait` */
    au_wait wait; /* when waiting: what wakes the request (a long-poll) */
} au_resp;

typedef au_rc (*au_handler)(au_req *req, au_resp *resp, au_err *err);

/* One row of the route table. */
typedef struct au_route {
    const char *method;  /* "GET", "PUT", "POST", "DELETE" */
    const char *pattern; /* "/v1/sources/{source}/records/{id}" */
    au_handler handler;  /* produces the response */
    au_need need;        /* required scope */
    const char *summary; /* one line for the reference */
    const char *body;    /* request body / query parameters, for the reference; may be NULL */
} au_route;

/* The running server: what every handler may use. */
struct au_server {
    const au_config *cfg;         /* borrowed */
    au_engine *engine;            /* borrowed */
    au_keys *keys;                /* borrowed */
    au_metrics *metrics;          /* owned by the api */
    struct au_sessions *sessions; /* console sessions, owned by the api */
    _Atomic int stopping;         /* set when the server shuts down: long-lived streams end */
    struct au_http_pool *pool;    /* request workers and parked requests (http_pool.h) */
};

/* A request as a handler sees it; everything is borrowed for the handler's duration. */
/* How responses are serialised: compact, and reals with 15 significant digits so that an amount
 * of 113.43 is shown as sent (Jansson's default 17 digits prints 113.43000000000001). */
#define AU_API_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Query values a request may decode (au_req_query); more are refused as absent. */
#define AU_REQ_MAX_DECODED 16

struct au_req {
    au_server *srv;
    const au_route *route;
    struct MHD_Connection *conn;
    char *params[AU_ROUTE_MAX_PARAMS]; /* path parameters, owned by the request */
    size_t nparams;
    const char *body; /* request body (NUL-terminated), may be empty */
    size_t body_len;
    const char *content_type;          /* header value or NULL */
    au_key_scopes *key;                /* the verified key, NULL on routes without auth */
    int via_session;                   /* the key came from the console's session cookie */
    char *decoded[AU_REQ_MAX_DECODED]; /* percent-decoded query values, owned by the request */
    size_t ndecoded;
    int64_t deadline_ms; /* 0 on a request's first run; a handler that answered `waiting` may
                          * keep its deadline here for the runs after it wakes */
    int64_t wait_after;  /* likewise, its position (the change feed's resolved `after`) */
};

/* --- route table (routes.c) --------------------------------------------------------------- */
extern const au_route au_routes[];
extern const size_t au_nroutes;
/* Labels for metrics: the route patterns prefixed by the method ("GET /healthz"). */
extern const char *const au_route_labels[];
/* Longest decoded path parameter (a source name, flow name, record or profile id). */
#define AU_PATH_PARAM_MAX 512
/* Finds the route for method + path and fills the path parameters of req. Returns the route,
 * or NULL with *rc = AU_ERR_NOT_FOUND (no pattern matches) or AU_ERR_METHOD (the path exists
 * with other methods). A matched route whose parameter holds a NUL or control character or is
 * longer than AU_PATH_PARAM_MAX is returned with *rc = AU_ERR_INVALID (400). */
const au_route *au_route_match(const char *method, const char *path, au_req *req, au_rc *rc);
/* Value of path parameter `name`, NULL when the route has none. */
const char *au_req_param(const au_req *req, const char *name);
/* Value of query argument `name`, percent-decoded ('+' is a space, as in HTML forms), NULL when
 * absent. The server keeps the URL as sent (so path parameters are decoded per segment), so the
 * decoded copy is made here and owned by the request. */
const char *au_req_query(const au_req *req, const char *name);
/* Did the client close its end of the connection (hang-up, reset)? Checked by long-polls and
 * streams between waits, without reading: a pipelined request is not consumed. */
int au_req_client_gone(struct MHD_Connection *conn);
/* Frees the path parameters. */
void au_req_cleanup(au_req *req);

/* --- responses (response.c) --------------------------------------------------------------- */
/* Serialises `json` (reference stolen) as the response body with `status`. */
au_rc au_resp_json(au_resp *resp, int status, json_t *json);
/* Adds a response header (value copied); AU_ERR_NOMEM, or AU_ERR_INTERNAL when full. */
au_rc au_resp_header(au_resp *resp, const char *name, const char *value);
/* Frees the body and the header values. */
void au_resp_cleanup(au_resp *resp);
/* The standard error body of err (or of rc with its default message when err has none). */
char *au_error_body(au_rc rc, const au_err *err, size_t *len);
/* Parses a JSON body: invalid UTF-8 -> AU_ERR_ENCODING, syntax -> AU_ERR_PARSE naming line and
 * column. *out is a new reference. */
au_rc au_req_parse_json(const au_req *req, json_t **out, au_err *err);
/* The body as a JSON array of at most `max` items: a JSON array, one object (a batch of one) or
 * JSON lines; errors name line and column. *out is a new reference. */
au_rc au_req_parse_batch(const au_req *req, size_t max, json_t **out, au_err *err);
/* Receives one document of a batch (borrowed: freed after the call) and its index. */
typedef au_rc (*au_batch_fn)(json_t *doc, size_t index, void *ctx, au_err *err);
/* The documents of the body, in the forms of au_req_parse_batch, handed to fn one at a time and
 * freed as it goes, so the whole batch never exists as one Jansson tree (10-20x its text). The
 * answers are those of au_req_parse_batch (a syntax error after some documents were handed over
 * is still the error: nothing of those documents may be kept); fn's non-zero rc stops it. */
au_rc au_req_batch_each(const au_req *req, size_t max, au_batch_fn fn, void *ctx, au_err *err);
/* The origin written with records: "api:<key id>". */
void au_req_origin(const au_req *req, char *buf, size_t cap);

/* --- handlers (one file per resource) ----------------------------------------------------- */
au_rc au_api_health(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_metrics(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_source_put(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_source_get(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_source_list(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_sync_post(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_sync_get(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_bus_get(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_records_post(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_record_get(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_record_delete(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_events_post(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_events_unlinked(au_req *req, au_resp *resp, au_err *err);
/* flows (flows.c) */
au_rc au_api_flow_list(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_flow_get(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_flow_put(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_flow_delete(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_flow_runs(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_flow_test(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_flow_hook(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_deadletter_list(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_secret_list(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_secret_put(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_secret_delete(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_deadletter_replay(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_deadletter_replay_all(au_req *req, au_resp *resp, au_err *err);
/* profiles.c */
au_rc au_api_profile_get(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_profile_lookup(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_profile_search(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_profile_timeline(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_changes(au_req *req, au_resp *resp, au_err *err);
/* console.c: the web console's assets and sessions */
au_rc au_api_console_index(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_console_asset(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_session_post(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_session_get(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_session_delete(au_req *req, au_resp *resp, au_err *err);
/* The key token of the request's session cookie, when it names a live session; csrf receives
 * the session's CSRF token (either may be NULL). 1 when found. */
int au_api_session_token(au_req *req, char *token, char *csrf);
/* segment.c */
au_rc au_api_segment(au_req *req, au_resp *resp, au_err *err);
/* resolution (resolution.c) */
au_rc au_api_profile_explain(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_explain(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_record_profile(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_profile_merge(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_profile_split(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_override_post(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_review(au_req *req, au_resp *resp, au_err *err);
/* data quality (quality.c, renormalize.c) */
au_rc au_api_quality(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_renormalize(au_req *req, au_resp *resp, au_err *err);
/* data subjects: erasure and export (subjects.c) */
au_rc au_api_subject_erase(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_subject_export(au_req *req, au_resp *resp, au_err *err);
/* audit log and masking (audit.c) */
/* Runs the request's route handler with the audit log and masking around it: the actor of the
 * jobs it submits, the read entry of a successful answer, the masked answer of a read:masked
 * key. http.c calls this instead of route->handler. */
au_rc au_api_run_handler(au_req *req, au_resp *resp, au_err *err);
au_rc au_api_audit_list(au_req *req, au_resp *resp, au_err *err);
/* quality_generic.c */
au_rc au_api_quality_generic(au_req *req, au_resp *resp, au_err *err);

#endif
