/*
 * The `http` step: sends the step's JSON body to a URL (rendered per run; values of {{ }} parts
 * are percent-encoded), with the configured headers, an Idempotency-Key header from its
 * template and, when the step has a secret, an HMAC-SHA256 signature of the exact body bytes
 * in `X-Aurum-Signature: sha256=<hex>` (libsodium crypto_auth_hmacsha256) so the receiver can
 * check origin and integrity. The response is classified three-way: 2xx OK; 408, 429, 5xx,
 * time-outs and connection failures RETRY (with the Retry-After delay, seconds or HTTP date,
 * passed back to the engine); anything else FAIL. Redirects are not followed.
 *
 * The daemon runs the transfers on its libcurl multi handle (start/finish: one thread drives
 * every http delivery at once, deliver.c); send() performs one transfer blocking, for tests and
 * tools. Both build the request and classify the response the same way. Up to IDLE_MAX idle
 * easy handles per step are kept between sends.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "flows/connector.h"
#include "flows/expr_int.h"
#include "flows/flowdef.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/netpolicy.h"
#include "lib/clock.h"

static const au_connector_option http_options[] = {
    AU_CONNECTOR_OPT("method", AU_OPT_STRING, 0, "POST", 0, 0, "GET, POST, PUT, PATCH or DELETE"),
    AU_CONNECTOR_OPT("url", AU_OPT_TEMPLATE, 1, NULL, 0, 0,
                     "http(s) URL; {{ }} values are percent-encoded"),
    AU_CONNECTOR_OPT("headers", AU_OPT_MAPPING, 0, NULL, 0, 0, "extra request headers (templates)"),
    AU_CONNECTOR_OPT("body", AU_OPT_MAPPING, 0, NULL, 0, 0, "JSON body; strings are templates"),
    AU_CONNECTOR_OPT("secret", AU_OPT_STRING, 0, NULL, 0, 0,
                     "HMAC-SHA256 key for X-Aurum-Signature"),
    AU_CONNECTOR_OPT("idempotency_key", AU_OPT_TEMPLATE, 0, NULL, 0, 0,
                     "value of the Idempotency-Key header"),
    AU_CONNECTOR_OPT("timeout_ms", AU_OPT_INT, 0, "10000", 1, 300000, "whole-request time limit"),
    {0},
};

/* Longest response excerpt kept for the run history, and longest Retry-After honoured. */
#define EXCERPT_MAX     160
#define RETRY_AFTER_MAX (24L * 3600 * 1000)

/* Idle handles kept per step: one per concurrent delivery, so connections are reused. */
#define IDLE_MAX 64

typedef struct http_state {
    pthread_mutex_t lock; /* guards idle */
    CURL *idle[IDLE_MAX]; /* handles kept between sends for connection reuse */
    int nidle;            /* entries used in idle */
} http_state;

static int header_name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return 0;
    return 1;
}

static au_rc http_validate(const json_t *config, au_err *err)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    const char *method = json_string_value(json_object_get(config, "method"));
    const char *url = json_string_value(json_object_get(config, "url"));
    const char *name;
    json_t *v;
    int ok = 0;
    for (size_t i = 0; methods[i] && method; i++)
        ok |= !strcmp(methods[i], method);
    if (!ok)
        return au_err_set(err, AU_ERR_INVALID, "method must be GET, POST, PUT, PATCH or DELETE");
    /* url is absent only when building the configuration ran out of memory */
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
        return au_err_set(err, AU_ERR_INVALID, "url must start with http:// or https://");
    /* A template may fill the path and query, never the target: a caller's data must not pick
     * the scheme, host or port (server-side request forgery). */
    const char *auth = strstr(url, "://") + 3, *tmpl = strstr(url, "{{");
    if (tmpl && tmpl < auth + strcspn(auth, "/?#"))
        return au_err_set(err, AU_ERR_INVALID,
                          "url: the scheme, host and port may not hold a template ('{{' at "
                          "character %d of the url); only the path, query, headers and body "
                          "may",
                          (int)(tmpl - url) + 1);
    json_object_foreach(json_object_get(config, "headers"), name, v)
    {
        if (!header_name_ok(name))
            return au_err_set(err, AU_ERR_INVALID, "headers: '%.60s' is not a header name", name);
        if (json_is_object(v) || json_is_array(v))
            return au_err_set(err, AU_ERR_INVALID, "headers: %.60s must be a single value", name);
    }
    return AU_OK;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static au_rc http_prepare(const au_flow_step *step, void **state, au_err *err)
{
    pthread_once(&curl_once, curl_init_once);
    if (sodium_init() < 0)
        return au_err_set(err, AU_ERR_INTERNAL, "libsodium failed to initialise");
    http_state *st = au_calloc(1, sizeof(*st));
    if (!st)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    *state = st;
    return AU_OK;
}

static void http_close(void *state)
{
    http_state *st = state;
    if (!st)
        return;
    for (int i = 0; i < st->nidle; i++)
        curl_easy_cleanup(st->idle[i]);
    pthread_mutex_destroy(&st->lock);
    au_free(st);
}

/* What one transfer collected from the response. */
typedef struct response {
    char excerpt[EXCERPT_MAX + 1]; /* start of the body */
    size_t excerpt_len;            /* bytes in excerpt */
    long retry_after_ms;           /* -1 when absent */
} response;

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    response *r = userp;
    size_t len = size * n, room = EXCERPT_MAX - r->excerpt_len;
    size_t take = len < room ? len : room;
    memcpy(r->excerpt + r->excerpt_len, data, take);
    r->excerpt_len += take;
    r->excerpt[r->excerpt_len] = '\0';
    return len;
}

/* Retry-After: delta seconds or an HTTP date. */
static long parse_retry_after(const char *v)
{
    char *end;
    while (*v == ' ')
        v++;
    long secs = strtol(v, &end, 10);
    if (end != v && (*end == '\0' || isspace((unsigned char)*end)) && secs >= 0)
        return secs > RETRY_AFTER_MAX / 1000 ? RETRY_AFTER_MAX : secs * 1000;
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    long delta = (long)(when - au_wall_ms() / 1000);
    if (delta < 0)
        delta = 0;
    return delta > RETRY_AFTER_MAX / 1000 ? RETRY_AFTER_MAX : delta * 1000;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    response *r = userp;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && len < 200 && !strncasecmp(data, name, sizeof(name) - 1)) {
        char v[200];
        memcpy(v, data + sizeof(name) - 1, len - (sizeof(name) - 1));
        v[len - (sizeof(name) - 1)] = '\0';
        v[strcspn(v, "\r\n")] = '\0';
        r->retry_after_ms = parse_retry_after(v);
    }
    return len;
}

/* Adds "Name: value" to the header list; returns -1 on failure. */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    if (strpbrk(value, "\r\n"))
        return -1;
    char *h = au_asprintf("%s: %s", name, value);
    if (!h)
        return -1;
    struct curl_slist *l = curl_slist_append(*list, h);
    au_free(h);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

static int has_header(const json_t *headers, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)headers, k, v)
    {
        if (!strcasecmp(k, name))
            return 1;
    }
    return 0;
}

/* Builds the header list: configured headers, content type, idempotency key, signature. */
static int build_headers(const au_flow_step *step, const json_t *ctx, int64_t now_ms,
                         const char *body, size_t body_len, struct curl_slist **list,
                         au_delivery *out)
{
    au_expr_error ee;
    json_t *headers = NULL;
    const au_flow_value *hv = au_flow_step_value(step, "headers");
    const char *secret = json_string_value(json_object_get(step->config, "secret"));
    int rc = -1;
    if (hv && au_flow_value_eval(hv, ctx, now_ms, &headers, &ee)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "headers: %s", ee.message);
        return -1;
    }
    const char *k;
    json_t *v;
    au_buf b;
    au_buf_init(&b, 8192);
    json_object_foreach(headers, k, v)
    {
        au_buf_reset(&b);
        if (json_is_null(v))
            continue;
        if (au_expr_append_text(&b, v) || add_header(list, k, b.data ? b.data : "")) {
            au_delivery_set(out, AU_DELIVER_FAIL, "headers: invalid value for %s", k);
            goto out;
        }
    }
    if (body && !has_header(headers, "Content-Type") &&
        add_header(list, "Content-Type", "application/json"))
        goto nomem;
    const au_flow_value *ik = au_flow_step_value(step, "idempotency_key");
    /* Without a template the engine's stable key of the delivery is sent (the same on every
     * retry and replay). */
    const char *dkey = json_string_value(json_object_get(json_object_get(ctx, "delivery"), "key"));
    if (!ik && dkey && add_header(list, "Idempotency-Key", dkey))
        goto nomem;
    if (ik) {
        char *key = NULL;
        if (au_flow_value_render(ik, ctx, now_ms, 0, &key, &ee)) {
            au_delivery_set(out, AU_DELIVER_FAIL, "idempotency_key: %s", ee.message);
            goto out;
        }
        int bad = *key && add_header(list, "Idempotency-Key", key);
        au_free(key);
        if (bad) {
            au_delivery_set(out, AU_DELIVER_FAIL, "idempotency_key: not a valid header value");
            goto out;
        }
    }
    if (secret) {
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char hex[crypto_auth_hmacsha256_BYTES * 2 + 1], sig[80];
        crypto_auth_hmacsha256_state hs;
        crypto_auth_hmacsha256_init(&hs, (const unsigned char *)secret, strlen(secret));
        crypto_auth_hmacsha256_update(&hs, (const unsigned char *)(body ? body : ""), body_len);
        crypto_auth_hmacsha256_final(&hs, mac);
        sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
        snprintf(sig, sizeof(sig), "sha256=%s", hex);
        if (add_header(list, "X-Aurum-Signature", sig))
            goto nomem;
    }
    rc = 0;
    goto out;
nomem:
    au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
out:
    au_buf_cleanup(&b);
    json_decref(headers);
    return rc;
}

static void classify(CURLcode cc, long status, const response *resp, const char *curl_msg,
                     au_delivery *out)
{
    out->http_status = (int)status;
    if (cc != CURLE_OK) {
        int permanent = cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL;
        au_delivery_set(out, permanent ? AU_DELIVER_FAIL : AU_DELIVER_RETRY, "%s: %s",
                        curl_easy_strerror(cc), curl_msg);
        return;
    }
    if (status >= 200 && status < 300) {
        out->status = AU_DELIVER_OK;
        return;
    }
    int retry = status == 408 || status == 429 || status >= 500;
    if (retry)
        out->retry_after_ms = resp->retry_after_ms;
    au_delivery_set(out, retry ? AU_DELIVER_RETRY : AU_DELIVER_FAIL, "HTTP %ld: %.*s", status,
                    (int)resp->excerpt_len, resp->excerpt);
}

/* One request being made: everything its easy handle points to while it runs. */
typedef struct http_xfer {
    http_state *st;
    CURL *h;
    struct curl_slist *headers;
    char *url, *body;
    char *host; /* the URL's host name, for the outbound policy (curl_free) */
    response resp;
    char curl_msg[CURL_ERROR_SIZE];
    char denied[256]; /* why the outbound policy refused the connection, "" when it did not */
} http_xfer;

/* Every connection is opened here, after name resolution: the address curl is about to use is
 * the one checked against the outbound policy (src/lib/netpolicy.h), so a name that resolves
 * elsewhere later (DNS rebinding) cannot reach a denied address. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    http_xfer *x = clientp;
    const au_netpolicy *p = au_netpolicy_installed();
    (void)purpose;
    if (p && au_netpolicy_check(p, x->host, &a->addr, x->denied, sizeof(x->denied)))
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* The host name of x->url (NULL when it has none or out of memory). */
static char *url_host(const char *url)
{
    char *host = NULL;
    CURLU *u = curl_url();
    if (u && !curl_url_set(u, CURLUPART_URL, url, 0))
        curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_cleanup(u);
    return host;
}

/* Frees a transfer; its handle goes back to the step's idle handles (or is closed). */
static void xfer_free(http_xfer *x)
{
    if (!x)
        return;
    if (x->h) {
        curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, NULL);
        pthread_mutex_lock(&x->st->lock);
        if (x->st->nidle < IDLE_MAX) {
            x->st->idle[x->st->nidle++] = x->h;
            x->h = NULL;
        }
        pthread_mutex_unlock(&x->st->lock);
        if (x->h)
            curl_easy_cleanup(x->h);
    }
    curl_slist_free_all(x->headers);
    curl_free(x->host);
    free(x->body);
    au_free(x->url);
    au_free(x);
}

/* Renders the request of one run and sets up an easy handle for it; NULL with out filled when
 * there is nothing to send (a template failed: FAIL; out of memory: RETRY). */
static http_xfer *xfer_new(http_state *st, const au_flow_step *step, const json_t *ctx,
                           int64_t now_ms, au_delivery *out)
{
    au_expr_error ee;
    json_t *bodyj = NULL;
    http_xfer *x = au_calloc(1, sizeof(*x));
    memset(out, 0, sizeof(*out));
    out->retry_after_ms = -1;
    if (!x) {
        au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
        return NULL;
    }
    x->st = st;
    x->resp.retry_after_ms = -1;
    const char *method = json_string_value(json_object_get(step->config, "method"));
    long timeout = (long)json_integer_value(json_object_get(step->config, "timeout_ms"));
    if (au_flow_value_render(au_flow_step_value(step, "url"), ctx, now_ms, AU_TMPL_URLENCODE,
                             &x->url, &ee)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "url: %s", ee.message);
        goto fail;
    }
    const au_flow_value *bv = au_flow_step_value(step, "body");
    if (bv) {
        if (au_flow_value_eval(bv, ctx, now_ms, &bodyj, &ee)) {
            au_delivery_set(out, AU_DELIVER_FAIL, "body: %s", ee.message);
            goto fail;
        }
        x->body = json_dumps(bodyj, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!x->body) {
            au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
            goto fail;
        }
    }
    size_t body_len = x->body ? strlen(x->body) : 0;
    if (build_headers(step, ctx, now_ms, x->body, body_len, &x->headers, out))
        goto fail;
    pthread_mutex_lock(&st->lock);
    if (st->nidle > 0)
        x->h = st->idle[--st->nidle];
    pthread_mutex_unlock(&st->lock);
    if (x->h)
        curl_easy_reset(x->h);
    else if (!(x->h = curl_easy_init())) {
        au_delivery_set(out, AU_DELIVER_RETRY, "cannot create an HTTP handle");
        goto fail;
    }
    CURL *h = x->h;
    curl_easy_setopt(h, CURLOPT_URL, x->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* connect directly, to the checked address */
    x->host = url_host(x->url);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "aurum-flow/1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_msg);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->resp);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x->resp);
    if (x->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
    } else if (!strcmp(method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "DELETE")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    json_decref(bodyj);
    return x;
fail:
    json_decref(bodyj);
    xfer_free(x);
    return NULL;
}

/* Classifies a finished transfer into out and frees it. */
static void xfer_done(http_xfer *x, CURLcode cc, au_delivery *out)
{
    long status = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    if (x->denied[0] && cc != CURLE_OK) /* never retried: the policy will not change */
        au_delivery_set(out, AU_DELIVER_FAIL, "%s", x->denied);
    else
        classify(cc, status, &x->resp, x->curl_msg, out);
    xfer_free(x);
}

/* The blocking path (tests, tools): one transfer on the calling thread. */
static void http_send(void *state, const au_flow_step *step, const json_t *ctx, int64_t now_ms,
                      au_delivery *out)
{
    http_xfer *x = xfer_new(state, step, ctx, now_ms, out);
    if (x)
        xfer_done(x, curl_easy_perform(x->h), out);
}

/* The engine's path: the transfer runs on its multi handle (deliver.c). */
static int http_start(void *state, const au_flow_step *step, const json_t *ctx, int64_t now_ms,
                      void **xfer, void **easy, au_delivery *out)
{
    http_xfer *x = xfer_new(state, step, ctx, now_ms, out);
    *xfer = x;
    *easy = x ? x->h : NULL;
    return x ? 0 : -1;
}

static void http_finish(void *xfer, int curl_code, au_delivery *out)
{
    xfer_done(xfer, (CURLcode)curl_code, out);
}

const au_connector au_connector_http = {
    .name = "http",
    .help = "send a JSON request to an HTTP endpoint (signed, idempotent, three-way result)",
    .options = http_options,
    .validate = http_validate,
    .prepare = http_prepare,
    .send = http_send,
    .start = http_start,
    .finish = http_finish,
    .close = http_close,
};
