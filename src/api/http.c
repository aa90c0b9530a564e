/*
 * libmicrohttpd glue. MHD runs AU_HTTP_IO_THREADS epoll event loops that only move bytes;
 * handlers run on AU_HTTP_WORKERS worker threads while their connection is suspended, so a
 * handler may block (a write waiting for the engine's group commit, a store read) without
 * stalling an event loop, and an idle or slow client holds no thread (http_pool.h). /healthz
 * and requests refused before their handler are answered on the event loop at once, so they
 * never queue behind the workers. Per request: match the
 * route, verify the key and its scope, accumulate the body up to max_body_bytes (beyond it the
 * rest is read and discarded and the answer is 413, nothing is written), run the handler, send
 * its response or the standard error body, count it and write one access-log line.
 * A body sent with Content-Encoding gzip or deflate is decoded piece by piece as it arrives
 * (lib/inflate.h), and max_body_bytes bounds the decoded size: a zip bomb is cut off there and
 * answered 413. An unknown encoding is 415 and a corrupt one 400; in every refused case the rest
 * of the body is drained unread and the handler never runs, so nothing is written.
 *
 * Hostile clients (docs/SECURITY.md): the key is verified as soon as the headers are in, so an
 * unauthenticated body is drained, never buffered or parsed; the one exception, a Segment
 * writeKey sent only in the body, is read up to AU_PREAUTH_BODY_MAX. Bytes of bodies held by all
 * requests at once, weighted by their parse cost, are capped (max_inflight_bytes: 503 with
 * Retry-After beyond it); MHD limits connections per client address and closes connections
 * silent for idle_timeout seconds.
 */
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "api/api_int.h"
#include "api/http_pool.h"
#include "api/session.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/inflate.h"
#include "lib/log.h"
#include "ingest/segment.h"
#include "lib/clock.h"

/* A Segment request without a key header carries its writeKey in the body (what
 * @segment/analytics-node 2.x sends), so that body is read before the key is known: it is
 * capped far below max_body_bytes. Segment itself refuses batches over 500 KB. */
#define AU_PREAUTH_BODY_MAX (512 * 1024)
/* Memory a body costs while handled, per byte: parsing and mapping it (documents, records, their
 * texts in the write job) measured about 25x for an 8 MiB batch of records (docs/SECURITY.md), so
 * max_inflight_bytes counts each body byte this many times: the cap bounds that cost, not only
 * the raw bytes. */
#define AU_INFLIGHT_PER_BODY_BYTE 8
/* Weighted bytes (see reserve) of a request after which freed heap is returned to the system:
 * a 1 MiB body. */
#define AU_TRIM_AFTER_BYTES ((long)AU_INFLIGHT_PER_BODY_BYTE << 20)
/* Seconds a client told 503 by the in-flight cap should wait. */
#define AU_RETRY_AFTER_S "1"
/* MHD event-loop threads (each an epoll loop over its share of the connections): they only
 * move bytes, so one per core of the shared 2-core target is enough. */
#define AU_HTTP_IO_THREADS 2
/* Threads that run handlers. A request beyond them waits in the queue; /healthz and refused
 * requests never do. Enough for concurrent writers to share the engine's group commit. */
#define AU_HTTP_WORKERS 16

struct au_api {
    au_server srv;             /* what handlers see */
    struct MHD_Daemon *daemon; /* the HTTP server */
    _Atomic long in_progress;  /* requests between first byte and queued response */
    _Atomic long inflight;     /* body bytes held by all requests, weighted (reserve) */
    au_http_pool *pool;        /* handler workers and parked requests; also api->srv.pool */
    pthread_mutex_t conns_mu;  /* guards conns */
    struct conn_watch *conns;  /* every open connection, for the header deadline */
    char *tls_cert;            /* PEM text of cfg->tls_cert, owned; NULL for plain HTTP */
    char *tls_key;             /* PEM text of cfg->tls_key, owned; NULL for plain HTTP */
};

/* A PEM file larger than this is not a certificate or key. */
#define AU_TLS_FILE_MAX (1024 * 1024)

/* One open TCP connection (MHD's socket context), watched for the header deadline: the
 * headers of a request must all arrive within idle_timeout of the connection opening or of
 * the previous request's end. MHD's own timeout only closes a connection silent for that long,
 * so a client trickling a header byte at a time would otherwise hold its slot for ever. */
typedef struct conn_watch {
    struct conn_watch *next, *prev; /* api->conns, under conns_mu */
    int fd;                         /* the socket; valid until the CLOSED notification */
    _Atomic int64_t since_ms;       /* when it started waiting for headers */
    _Atomic int in_request;         /* headers are in: the deadline does not apply */
    int cut;                        /* shut down by the deadline (once) */
} conn_watch;

/* Where a request is between MHD's calls of on_request. */
typedef enum {
    CTX_READING, /* headers and body arriving on the event loop */
    CTX_RUNNING, /* connection suspended: a worker runs the handler, or it is parked */
    CTX_READY    /* the response is built (out) and the connection resumed to send it */
} ctx_state;

/* Per-request state, from MHD's first call for a request to its completion callback. */
typedef struct conn_ctx {
    au_req req;           /* what the handler sees */
    au_rc match_rc;       /* AU_OK when a route matched */
    au_buf body;          /* request body (decoded), bounded by max_body_bytes */
    int body_started;     /* the first body byte arrived and its encoding was read */
    au_inflate *decoder;  /* decodes a gzip or deflate body; NULL for identity */
    const char *encoding; /* "gzip" or "deflate" for the access log; NULL for identity */
    au_err body_err;      /* why the body was refused (413, 415, 400); the rest is drained */
    int64_t start_us;     /* au_mono_us() at arrival: the latency histogram, the access log */
    au_key_scopes key;    /* verified key, when the route needs one */
    au_api *api;          /* back pointer for the completion callback */
    int counted;          /* in_progress was incremented for this request */
    int authed;           /* the key was verified (or refused) when the headers arrived */
    int preauth;          /* Segment writeKey in the body: read up to AU_PREAUTH_BODY_MAX */
    long reserved;        /* bytes of this request counted in api->inflight */
    const char *method;   /* MHD's, valid for the request: the worker dispatches with them */
    const char *url;
    ctx_state state;          /* see ctx_state; written by one thread at a time (suspend orders) */
    au_http_node node;        /* queued for a worker or parked */
    struct MHD_Response *out; /* built response (CTX_READY), owned until queued */
    int status;               /* its HTTP status */
    int ran;                  /* the handler ran once: a woken request runs it again directly */
} conn_ctx;

static uint64_t elapsed_us(int64_t t0_us)
{
    return (uint64_t)(au_mono_us() - t0_us);
}

static void ctx_free(conn_ctx *c)
{
    if (!c)
        return;
    au_req_cleanup(&c->req);
    au_buf_cleanup(&c->body);
    au_inflate_free(c->decoder);
    au_err_cleanup(&c->body_err);
    au_key_scopes_cleanup(&c->key);
    if (c->out)
        MHD_destroy_response(c->out);
    au_free(c);
}

/* The connection's watch (NULL before MHD has told us about it). */
static conn_watch *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* MHD's connection start and close: the watch is linked while the socket is open. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    au_api *api = cls;
    conn_watch *w = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci || !(w = au_calloc(1, sizeof(*w))))
            return; /* not watched: MHD's idle timeout still applies */
        w->fd = ci->connect_fd;
        atomic_store(&w->since_ms, au_wall_ms());
        pthread_mutex_lock(&api->conns_mu);
        w->next = api->conns;
        if (w->next)
            w->next->prev = w;
        api->conns = w;
        pthread_mutex_unlock(&api->conns_mu);
        *socket_context = w;
        return;
    }
    if (!w)
        return;
    /* Unlinked before MHD closes the socket, so the deadline never shuts down a reused fd. */
    pthread_mutex_lock(&api->conns_mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        api->conns = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&api->conns_mu);
    au_free(w);
    *socket_context = NULL;
}

/* On the waker thread, every slice: connections whose headers are late are shut down; MHD
 * sees the socket end on its event loop and closes the connection. */
static void header_deadline(void *arg)
{
    au_api *api = arg;
    int64_t limit = au_wall_ms() - (int64_t)api->srv.cfg->idle_timeout * 1000;
    pthread_mutex_lock(&api->conns_mu);
    for (conn_watch *w = api->conns; w; w = w->next) {
        if (w->cut || atomic_load(&w->in_request) || atomic_load(&w->since_ms) > limit)
            continue;
        w->cut = 1;
        shutdown(w->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&api->conns_mu);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    conn_watch *w = watch_of(conn);
    if (w) {
        atomic_store(&w->since_ms, au_wall_ms());
        atomic_store(&w->in_request, 0);
    }
    conn_ctx *c = *con_cls;
    if (c && c->counted)
        atomic_fetch_sub(&c->api->in_progress, 1);
    if (c && c->reserved)
        atomic_fetch_sub(&c->api->inflight, c->reserved);
    /* A large body's parse and write freed hundreds of MB in its worker's malloc arena, which
     * glibc keeps; the next large body may run in another worker's arena, so peaks added up
     * (910 MB for four 8 MiB batches, two at a time). Given back to the system here. */
    if (c && c->reserved >= AU_TRIM_AFTER_BYTES)
        malloc_trim(0);
    ctx_free(c);
    *con_cls = NULL;
}

int au_req_client_gone(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 0;
    /* POLLRDHUP: the peer shut down its sending side; it is reported even when unread bytes
     * (a TLS close_notify) are still queued, where a peeking recv would not see the end. */
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) <= 0)
        return 0;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* "Bearer <token>" or X-API-Key. */
static const char *presented_token(struct MHD_Connection *conn)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        return auth + 7;
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-API-Key");
}

/* Segment clients send the write key as the Basic user (HTTP API, older SDKs) or as "writeKey"
 * in the body (analytics-node 2.x); a Bearer / X-API-Key token also works. The body is complete
 * when this runs. */
static au_rc verify_segment(conn_ctx *c, au_err *err)
{
    const char *auth = MHD_lookup_connection_value(c->req.conn, MHD_HEADER_KIND, "Authorization");
    char *key = NULL;
    au_rc rc;
    if (auth && strncasecmp(auth, "Basic ", 6) == 0) {
        if ((rc = au_segment_write_key_from_basic(auth, &key, err)))
            return rc;
        rc = au_keys_verify(c->req.srv->keys, key, &c->key, err);
        au_free(key);
        return rc;
    }
    const char *token = presented_token(c->req.conn);
    if (!token && c->body.len && !c->body_err.rc) {
        json_t *body = json_loadb(c->body.data, c->body.len, 0, NULL);
        const char *wk = au_segment_write_key_from_body(body);
        rc = au_keys_verify(c->req.srv->keys, wk, &c->key, err);
        json_decref(body);
        return rc;
    }
    return au_keys_verify(c->req.srv->keys, token, &c->key, err);
}

/* The console's session cookie stands for its key when no key is presented; a write made with
 * the cookie must echo the session's CSRF token, which a page of another site cannot read. */
static au_rc verify_key_or_session(conn_ctx *c, const char *method, au_err *err)
{
    const char *token = presented_token(c->req.conn);
    char stok[AU_KEY_TOKEN_MAX], csrf[AU_SESSION_CSRF_LEN];
    if (token || !au_api_session_token(&c->req, stok, csrf))
        return au_keys_verify(c->req.srv->keys, token, &c->key, err);
    c->req.via_session = 1;
    au_rc rc = au_keys_verify(c->req.srv->keys, stok, &c->key, err);
    sodium_memzero(stok, sizeof(stok));
    if (rc)
        return au_err_set(err, rc, "the session's API key is no longer valid; sign in again");
    const char *sent = MHD_lookup_connection_value(c->req.conn, MHD_HEADER_KIND, "X-CSRF-Token");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
        !au_session_csrf_ok(csrf, sent))
        return au_err_set(err, AU_ERR_FORBIDDEN,
                          "a write made with the session cookie needs its X-CSRF-Token header");
    return AU_OK;
}

static au_rc authorize(conn_ctx *c, const char *method, au_err *err)
{
    const au_route *r = c->req.route;
    if (r->need == AU_NEED_NONE)
        return AU_OK;
    au_rc rc =
        r->need == AU_NEED_SEGMENT ? verify_segment(c, err) : verify_key_or_session(c, method, err);
    if (rc)
        return rc;
    c->req.key = &c->key;
    int ok = 1;
    const char *source = au_req_param(&c->req, "source");
    switch (r->need) {
    case AU_NEED_READ:
        ok = au_key_can_read(&c->key);
        break;
    case AU_NEED_ADMIN:
        ok = au_key_is_admin(&c->key);
        break;
    case AU_NEED_WRITE_SOURCE:
        ok = au_key_can_write(&c->key, source);
        break;
    case AU_NEED_SEGMENT:
        ok = au_key_can_write(&c->key, AU_SEGMENT_SOURCE);
        break;
    default:
        break; /* AU_NEED_WRITE_BODY: per item, in the handler */
    }
    if (!ok)
        return au_err_set(err, AU_ERR_FORBIDDEN, "API key %s lacks the scope %s", c->key.id,
                          r->need == AU_NEED_READ      ? "read"
                          : r->need == AU_NEED_ADMIN   ? "admin"
                          : r->need == AU_NEED_SEGMENT ? "write:" AU_SEGMENT_SOURCE
                                                       : "write:<source>");
    return AU_OK;
}

static au_rc dispatch(conn_ctx *c, const char *method, const char *url, au_resp *resp, au_err *err)
{
    au_rc rc = c->match_rc;
    if (rc == AU_ERR_NOT_FOUND)
        return au_err_set(err, rc, "no route for %s %s", method, url);
    if (rc == AU_ERR_METHOD)
        return au_err_set(err, rc, "%s is not allowed on %s", method, url);
    if (rc)
        return au_err_set(err, rc,
                          "a path parameter holds a NUL or control character or is longer than "
                          "%d bytes",
                          AU_PATH_PARAM_MAX);
    if (!c->authed && (rc = authorize(c, method, err)))
        return rc;
    if (c->body_err.rc)
        return au_err_set(err, c->body_err.rc, "%s", c->body_err.message);
    c->req.body = c->body.data ? c->body.data : "";
    c->req.body_len = c->body.len;
    c->req.content_type = MHD_lookup_connection_value(c->req.conn, MHD_HEADER_KIND, "Content-Type");
    resp->status = 200;
    resp->content_type = "application/json";
    /* The handler, with the audit log and masking around it (api/audit.c). */
    return au_api_run_handler(&c->req, resp, err);
}

static void access_log(conn_ctx *c, const char *method, const char *url, int status, uint64_t us)
{
    char st[8], ms[32];
    snprintf(st, sizeof(st), "%d", status);
    snprintf(ms, sizeof(ms), "%.3f", (double)us / 1000.0);
    /* "encoding" comes last: for an uncompressed body the NULL ends the list there. */
    au_log(AU_LOG_INFO, "request", "method", method, "route",
           c->req.route ? c->req.route->pattern : url, "status", st, "duration_ms", ms, "key_id",
           c->key.id, c->encoding ? "encoding" : NULL, c->encoding, NULL);
}

/* A streamed response: the handler's reader and its context. */
typedef struct stream_ctx {
    au_stream_fn fn;
    void *ctx;
    void (*free_fn)(void *ctx);
    struct MHD_Connection *conn; /* suspended while the stream waits */
    au_http_pool *pool;          /* where it waits */
    au_http_node node;           /* its place among the parked */
} stream_ctx;

/* The waker's call for a parked stream: MHD asks the reader again. */
static void stream_wake(void *arg)
{
    stream_ctx *sc = arg;
    MHD_resume_connection(sc->conn);
}

/* On an event-loop thread: never blocks. With nothing to send, the connection is suspended
 * and parked until what the reader waits for happens, and 0 returned (MHD asks again once it
 * is resumed). Suspending comes first, so the waker can never resume a running connection. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_ctx *sc = cls;
    (void)pos;
    for (;;) {
        au_wait w = {0, 0};
        long n = sc->fn(sc->ctx, buf, max, &w);
        if (n < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (n > 0)
            return (ssize_t)n;
        MHD_suspend_connection(sc->conn);
        if (!au_http_pool_park(sc->pool, &sc->node, sc->conn, &w, stream_wake, sc))
            return 0;
        MHD_resume_connection(sc->conn); /* the feed moved meanwhile: read again */
    }
}

static void stream_done(void *cls)
{
    stream_ctx *sc = cls;
    if (sc->free_fn)
        sc->free_fn(sc->ctx);
    au_free(sc);
}

/* Runs the handler (again, after a wait: without re-dispatching, but through the audit and
 * masking wrapper like the first run) and builds the response into
 * c->out. Returns 1 when the handler has nothing to answer yet: *w says what to wait for. */
static int build(conn_ctx *c, int again, au_wait *w)
{
    au_resp resp = {0};
    au_err err;
    const char *method = c->method, *url = c->url;
    au_err_init(&err);
    au_rc rc =
        again ? au_api_run_handler(&c->req, &resp, &err) : dispatch(c, method, url, &resp, &err);
    if (!rc && resp.waiting) {
        *w = resp.wait;
        au_resp_cleanup(&resp);
        au_err_cleanup(&err);
        return 1;
    }
    if (rc) {
        au_free(resp.body);
        resp.body = au_error_body(rc, &err, &resp.len);
        resp.status = au_rc_http_status(rc);
        resp.content_type = "application/json";
        if (resp.status >= 500)
            au_log(AU_LOG_ERROR, "request failed", "route", url, "error", err.message, NULL);
    }
    au_err_cleanup(&err);
    struct MHD_Response *r;
    if (!rc && resp.stream) {
        stream_ctx *sc = au_calloc(1, sizeof(*sc));
        if (sc) {
            sc->fn = resp.stream;
            sc->ctx = resp.stream_ctx;
            sc->free_fn = resp.stream_free;
            sc->conn = c->req.conn;
            sc->pool = c->api->pool;
            resp.stream_ctx = NULL;
        }
        r = sc ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, sc,
                                                   stream_done)
               : NULL;
        if (sc && !r)
            stream_done(sc);
    } else if (!rc && resp.static_body) {
        /* Embedded assets live as long as the program: no copy. */
        r = MHD_create_response_from_buffer(resp.len, (void *)resp.static_body,
                                            MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_buffer(resp.len, resp.body ? resp.body : (char *)"",
                                            MHD_RESPMEM_MUST_COPY);
    }
    if (resp.stream_ctx && resp.stream_free)
        resp.stream_free(resp.stream_ctx);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
        if (!rc && resp.stream)
            MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        for (size_t i = 0; i < resp.nheaders; i++)
            MHD_add_response_header(r, resp.hname[i], resp.hvalue[i]);
    }
    au_resp_cleanup(&resp);
    if (r && rc == AU_ERR_BUSY)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, AU_RETRY_AFTER_S);
    /* A refused body was drained unread: the connection is closed after the answer instead of
     * kept alive for a client that was refused (and whose hang-up, sent with its last bytes,
     * the edge-triggered event loop may not report until the idle timeout). */
    if (r && c->body_err.rc && c->body_started)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    c->out = r;
    c->status = resp.status;
    /* Counted and logged now: a client that left meanwhile never sees the response, but the
     * request was answered (a departed long-poll is logged 503). */
    uint64_t us = elapsed_us(c->start_us);
    size_t route = c->req.route ? (size_t)(c->req.route - au_routes) : au_nroutes;
    au_metrics_request(c->req.srv->metrics, route, c->status, us);
    access_log(c, method, url, c->status, us);
    return 0;
}

/* On the event loop: sends the built response. */
static enum MHD_Result send_built(conn_ctx *c)
{
    if (!c->out)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(c->req.conn, (unsigned)c->status, c->out);
    MHD_destroy_response(c->out);
    c->out = NULL;
    return ret;
}

static void run_job(void *arg);

/* The waker's call for a parked request: its handler runs again on a worker. */
static void job_wake(void *arg)
{
    conn_ctx *c = arg;
    au_http_pool_run(c->api->pool, &c->node, run_job, c);
}

/* On a worker, while the connection is suspended: runs the handler; a request with nothing to
 * answer yet is parked (its connection stays suspended), else the connection is resumed and
 * on_request sends the response. Nothing may touch c after the resume: MHD may free it. */
static void run_job(void *arg)
{
    conn_ctx *c = arg;
    au_wait w;
    int again = c->ran;
    c->ran = 1;
    while (build(c, again, &w)) {
        again = 1;
        if (!au_http_pool_park(c->api->pool, &c->node, c->req.conn, &w, job_wake, c))
            return;
    }
    c->state = CTX_READY;
    MHD_resume_connection(c->req.conn);
}

/* Handlers that answer on the event loop: /healthz, and reads of one item by its key (one
 * indexed lookup, a bounded answer, never a wait for the writer). Handing them to a worker
 * would cost two thread switches per request, which halved by-id read throughput at 4
 * connections on the loaded 2-core machine. Anything that may take long (writes, searches,
 * listings, reports, explanations, the change feed, exports, /metrics) runs on a worker. */
static const au_handler on_loop[] = {
    au_api_health,      au_api_profile_get,    au_api_profile_lookup,
    au_api_record_get,  au_api_record_profile, au_api_source_get,
    au_api_session_get, au_api_console_index,  au_api_console_asset,
};

static int runs_on_loop(const conn_ctx *c)
{
    if (c->match_rc || c->body_err.rc)
        return 1; /* refused before the handler: only the error is formatted */
    for (size_t i = 0; i < sizeof(on_loop) / sizeof(on_loop[0]); i++)
        if (c->req.route->handler == on_loop[i])
            return 1;
    return 0;
}

/* The request is complete: cheap answers (refused requests, /healthz, reads by key) are given
 * on the event loop at once, so they never queue behind slow handlers; the rest go to a
 * worker. */
static enum MHD_Result respond(conn_ctx *c)
{
    au_wait w;
    if (runs_on_loop(c)) {
        if (build(c, 0, &w))
            return MHD_NO; /* these never wait */
        return send_built(c);
    }
    c->state = CTX_RUNNING;
    MHD_suspend_connection(c->req.conn);
    au_http_pool_run(c->api->pool, &c->node, run_job, c);
    return MHD_YES;
}

/* The body is refused with 413: what was kept is dropped and the rest will be drained. */
static void too_large(conn_ctx *c)
{
    if (!c->body_err.rc && c->preauth)
        au_err_set(&c->body_err, AU_ERR_UNAUTHORIZED,
                   "a writeKey in the body is read from bodies of at most %d bytes; send the key "
                   "as the HTTP Basic user (Authorization: Basic base64(KEY:))",
                   AU_PREAUTH_BODY_MAX);
    else if (!c->body_err.rc)
        au_err_set(&c->body_err, AU_ERR_TOO_LARGE, "request body exceeds max_body_bytes (%ld)",
                   c->req.srv->cfg->max_body_bytes);
    au_buf_cleanup(&c->body);
}

/* Counts the body bytes this request holds (AU_INFLIGHT_PER_BODY_BYTE times each) in the
 * server-wide total; 0 when they fit under max_inflight_bytes, else nothing is counted and the
 * body is refused with 503. */
static int reserve(conn_ctx *c, long held)
{
    long more = held * AU_INFLIGHT_PER_BODY_BYTE - c->reserved;
    if (more <= 0)
        return 0;
    long total = atomic_fetch_add(&c->api->inflight, more) + more;
    if (total > c->req.srv->cfg->max_inflight_bytes) {
        atomic_fetch_sub(&c->api->inflight, more);
        if (!c->body_err.rc)
            au_err_set(&c->body_err, AU_ERR_BUSY,
                       "too many request bytes in flight (max_inflight_bytes %ld); retry later",
                       c->req.srv->cfg->max_inflight_bytes);
        au_buf_cleanup(&c->body);
        return -1;
    }
    c->reserved += more;
    return 0;
}

/* Refuses the body for the reason in e (copied into the context) and frees what was kept. */
static void refuse_body(conn_ctx *c, au_err *e)
{
    if (e->rc == AU_ERR_TOO_LARGE)
        au_err_set(&c->body_err, AU_ERR_TOO_LARGE,
                   "decoded request body exceeds max_body_bytes (%ld)",
                   c->req.srv->cfg->max_body_bytes);
    else
        au_err_set(&c->body_err, e->rc, "%s", e->message);
    au_buf_cleanup(&c->body);
    au_inflate_free(c->decoder);
    c->decoder = NULL;
}

/* First body byte: the encoding decides how the body is taken. */
static void body_start(conn_ctx *c, au_err *e)
{
    au_encoding enc;
    c->body_started = 1;
    const char *ce =
        MHD_lookup_connection_value(c->req.conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    if (au_encoding_parse(ce, &enc, e) || enc == AU_ENCODING_IDENTITY)
        return;
    c->encoding = enc == AU_ENCODING_GZIP ? "gzip" : "deflate";
    if (!(c->decoder = au_inflate_new(enc)))
        au_err_set(e, AU_ERR_NOMEM, "out of memory starting the body decoder");
}

/* One piece of the body, as MHD hands it over: kept, decoded, or drained once refused. */
static void body_piece(conn_ctx *c, const char *data, size_t n)
{
    au_err e;
    au_err_init(&e);
    if (!c->body_started)
        body_start(c, &e);
    /* Raw bytes are counted before they are kept (a chunked body has no Content-Length). */
    if (!e.rc && !c->body_err.rc && !reserve(c, (long)(c->body.len + n))) {
        if (c->decoder)
            AU_BEST_EFFORT(au_inflate_feed(c->decoder, data, n, &c->body, &e)); /* sets e */
        else if (au_buf_append(&c->body, data, n))
            too_large(c);
    }
    if (e.rc && !c->body_err.rc)
        refuse_body(c, &e);
    /* A decoded body outgrows its raw bytes: counted again once decoded. */
    if (!c->body_err.rc)
        reserve(c, (long)c->body.len);
    au_err_cleanup(&e);
}

/* The body is complete: a compressed stream must have ended too. */
static void body_end(conn_ctx *c)
{
    au_err e;
    au_err_init(&e);
    if (c->decoder && !c->body_err.rc && au_inflate_finish(c->decoder, &e))
        refuse_body(c, &e);
    au_err_cleanup(&e);
}

/* Does the request carry a key in a header (Bearer, Basic, X-API-Key)? */
static int has_key_header(struct MHD_Connection *conn)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization") ||
           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-API-Key");
}

/* The headers are in: the key is checked now, before any body byte is read. A refused request
 * keeps its error in body_err, so its body is drained unread and the answer is that error. */
static void authorize_early(conn_ctx *c, const char *method)
{
    const au_route *r = c->req.route;
    if (c->match_rc || !r)
        return;
    if (r->need == AU_NEED_SEGMENT && !has_key_header(c->req.conn)) {
        c->preauth = 1;
        return;
    }
    c->authed = 1;
    authorize(c, method, &c->body_err);
}

static conn_ctx *ctx_new(au_api *api, struct MHD_Connection *conn, const char *method,
                         const char *url)
{
    conn_ctx *c = au_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->start_us = au_mono_us();
    c->api = api;
    c->req.srv = &api->srv;
    c->req.conn = conn;
    c->method = method;
    c->url = url;
    conn_watch *w = watch_of(conn);
    if (w)
        atomic_store(&w->in_request, 1);
    au_err_init(&c->body_err);
    au_route_match(method, url, &c->req, &c->match_rc);
    authorize_early(c, method);
    long max = api->srv.cfg->max_body_bytes;
    if (c->preauth && max > AU_PREAUTH_BODY_MAX)
        max = AU_PREAUTH_BODY_MAX;
    au_buf_init(&c->body, (size_t)max);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    long long len = cl ? strtoll(cl, NULL, 10) : 0;
    /* Refused before a byte is read: too large, or more than the server holds at once. */
    if (len > max)
        too_large(c);
    else if (len > 0 && !c->body_err.rc)
        reserve(c, (long)len);
    c->counted = 1;
    atomic_fetch_add(&api->in_progress, 1);
    return c;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    conn_ctx *c = *con_cls;
    if (!c) {
        c = ctx_new(cls, conn, method, url);
        *con_cls = c;
        return c ? MHD_YES : MHD_NO;
    }
    if (c->state == CTX_READY)
        return send_built(c);
    if (c->state == CTX_RUNNING)
        return MHD_YES; /* not expected while suspended; the worker resumes it */
    if (*upload_data_size) {
        /* A refused body is drained, not kept: the client still gets its answer. */
        body_piece(c, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    body_end(c);
    return respond(c);
}

/* MHD would decode the whole path before routing, turning %2F inside an id into a separator;
 * the router decodes each path parameter itself instead. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    return strlen(s);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    au_log(AU_LOG_WARN, "http", "detail", msg, NULL);
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" to a socket address. */
static au_rc resolve_listen(const char *listen, struct addrinfo **out, au_err *err)
{
    char host[256];
    const char *colon = strrchr(listen ? listen : "", ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host))
        return au_err_set(err, AU_ERR_INVALID, "listen address '%s' is not ADDR:PORT",
                          listen ? listen : "");
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints = {0};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(host, colon + 1, &hints, out);
    if (g)
        return au_err_set(err, AU_ERR_INVALID, "cannot resolve listen address '%s': %s", listen,
                          gai_strerror(g));
    return AU_OK;
}

/* Reads a whole PEM file into *out (au_free). */
static au_rc read_pem(const char *path, char **out, au_err *err)
{
    au_buf b;
    char chunk[4096];
    size_t n;
    au_rc rc = AU_OK;
    FILE *f = fopen(path, "rb");
    if (!f)
        return au_err_set(err, AU_ERR_IO, "cannot read TLS file %s", path);
    au_buf_init(&b, AU_TLS_FILE_MAX);
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = au_buf_append(&b, chunk, n);
    fclose(f);
    if (rc || !b.len) {
        au_buf_cleanup(&b);
        return au_err_set(err, rc ? rc : AU_ERR_INVALID, "TLS file %s is empty or too large", path);
    }
    *out = b.data; /* NUL-terminated by au_buf */
    return AU_OK;
}

/* HTTPS when tls_cert and tls_key are set: both files are read into api and handed to MHD as
 * options (the array ends early when TLS is off). */
static au_rc tls_options(au_api *api, const au_config *cfg, struct MHD_OptionItem opt[3],
                         unsigned *flags, au_err *err)
{
    au_rc rc;
    opt[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    int cert = cfg->tls_cert && *cfg->tls_cert, key = cfg->tls_key && *cfg->tls_key;
    if (!cert && !key)
        return AU_OK;
    if (!cert || !key)
        return au_err_set(err, AU_ERR_INVALID, "HTTPS needs both --tls-cert and --tls-key");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return au_err_set(err, AU_ERR_UNSUPPORTED, "this libmicrohttpd is built without TLS");
    if ((rc = read_pem(cfg->tls_cert, &api->tls_cert, err)) ||
        (rc = read_pem(cfg->tls_key, &api->tls_key, err)))
        return rc;
    opt[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, api->tls_cert};
    opt[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, api->tls_key};
    opt[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    *flags |= MHD_USE_TLS;
    return AU_OK;
}

static int bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Whether MHD may keep a connection it just accepted: not once the server is stopping, so
 * that no new request starts while those in flight finish. This stands in for
 * MHD_quiesce_daemon, which cannot be used with epoll event loops in a thread pool: it marks
 * each loop quiesced and then removes the listening socket from that loop's epoll set, while
 * the loop, seeing the mark, removes it too; whoever comes second gets ENOENT and
 * libmicrohttpd (0.9.75, the version built against here) calls MHD_PANIC, which aborts the process.
 * That was a daemon ended by SIGABRT at SIGTERM, now and then, right after a request
 * (tests/runtime/shutdown_test.c). The listening socket stays open until MHD_stop_daemon. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    au_api *api = cls;
    return atomic_load(&api->srv.stopping) ? MHD_NO : MHD_YES;
}

au_rc au_api_start(const au_config *cfg, au_engine *engine, au_keys *keys, const char *listen,
                   au_api **out, int *port, au_err *err)
{
    struct addrinfo *ai = NULL;
    struct MHD_OptionItem tls[3];
    au_rc rc = AU_OK;
    au_api *api = au_calloc(1, sizeof(*api));
    if (!api)
        return AU_ERR_NOMEM;
    pthread_mutex_init(&api->conns_mu, NULL);
    api->srv.cfg = cfg;
    api->srv.engine = engine;
    api->srv.keys = keys;
    if (!(api->srv.metrics = au_metrics_new(au_route_labels, au_nroutes)) ||
        !(api->srv.sessions = au_sessions_new())) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    if ((rc = resolve_listen(listen, &ai, err)))
        goto out;
    api->pool = au_http_pool_new(AU_HTTP_WORKERS, au_profiles_of(engine), &api->srv.stopping,
                                 header_deadline, api);
    if (!api->pool) {
        rc = au_err_set(err, AU_ERR_NOMEM, "cannot start the HTTP worker threads");
        goto out;
    }
    api->srv.pool = api->pool;
    /* A few event loops move bytes; handlers run on the pool's workers (see the top). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if ((rc = tls_options(api, cfg, tls, &flags, err)))
        goto out;
    /* The logger goes first: MHD reports problems with later options through it. */
    api->daemon = MHD_start_daemon(
        flags, 0, accept_policy, api, on_request, api, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)AU_HTTP_IO_THREADS, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, api, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections_per_client, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->idle_timeout, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!api->daemon) {
        rc = au_err_set(err, AU_ERR_IO,
                        "cannot listen on %s (address in use or not local? with TLS: a "
                        "certificate and key that do not parse or match?)",
                        listen);
        goto out;
    }
    *port = bound_port(api->daemon);
    *out = api;
out:
    if (ai)
        freeaddrinfo(ai);
    if (rc) {
        au_http_pool_free(api->pool);
        au_metrics_free(api->srv.metrics);
        au_sessions_free(api->srv.sessions);
        au_free(api->tls_cert);
        au_free(api->tls_key);
        pthread_mutex_destroy(&api->conns_mu);
        au_free(api);
    }
    return rc;
}

void au_api_stop(au_api *api)
{
    if (!api)
        return;
    /* From here on accept_policy closes every new connection (no MHD_quiesce_daemon: see
     * there). */
    atomic_store(&api->srv.stopping, 1);
    /* Requests already being handled finish and answer; idle keep-alive connections are then
     * closed by MHD_stop_daemon. The bound keeps a stuck client from holding shutdown hostage. */
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && atomic_load(&api->in_progress) > 0; i++)
        nanosleep(&tick, NULL);
    /* No connection may stay suspended into MHD_stop_daemon: the pool wakes every parked one
     * and runs every queued job before the daemon stops. */
    au_http_pool_stop(api->pool);
    MHD_stop_daemon(api->daemon);
    au_http_pool_free(api->pool);
    au_metrics_free(api->srv.metrics);
    au_sessions_free(api->srv.sessions);
    au_free(api->tls_cert);
    au_free(api->tls_key);
    pthread_mutex_destroy(&api->conns_mu);
    au_free(api);
}
