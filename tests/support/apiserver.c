/*
 * Implementation of the tests' paginated JSON API (apiserver.h). Handlers run on
 * libmicrohttpd's threads; the documents and counters live under one mutex.
 */
#include "apiserver.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct au_apiserver {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    json_t *docs; /* id -> document */
    char static_token[128], client_id[128], client_secret[128];
    int nth, retry_after_s, requests;
    int quota, window_s, used; /* au_apiserver_quota */
    long long window_start;    /* ms, CLOCK_MONOTONIC */
    au_apiserver_seen seen;
};

typedef struct body {
    char buf[4096];
    size_t len;
} body;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Quota headers of the answer being made ("" when no quota). */
static __thread char quota_remaining[24], quota_reset[24];

static enum MHD_Result answer(struct MHD_Connection *c, int status, const char *text,
                              const char *link, const char *retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (quota_remaining[0]) {
        MHD_add_response_header(r, "X-RateLimit-Remaining", quota_remaining);
        MHD_add_response_header(r, "X-RateLimit-Reset", quota_reset);
    }
    if (link)
        MHD_add_response_header(r, "Link", link);
    if (retry_after)
        MHD_add_response_header(r, "Retry-After", retry_after);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static int by_time(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int d = strcmp(json_string_value(json_object_get(x, "updated_at")),
                   json_string_value(json_object_get(y, "updated_at")));
    return d ? d
             : strcmp(json_string_value(json_object_get(x, "id")),
                      json_string_value(json_object_get(y, "id")));
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* The page of documents for the request's parameters (lock held); *more when there is more. */
static json_t *page(au_apiserver *s, struct MHD_Connection *c, long *next_offset)
{
    const char *since = arg(c, "updated_since"), *pp = arg(c, "per_page");
    const char *pg = arg(c, "page"), *off = arg(c, "offset"), *cur = arg(c, "cursor");
    long per = pp ? atol(pp) : 2, start = 0;
    if (pg)
        start = (atol(pg) - 1) * per;
    else if (off)
        start = atol(off);
    else if (cur && cur[0] == 'c')
        start = atol(cur + 1);
    size_t n = 0, i = 0;
    json_t **all = calloc(json_object_size(s->docs) + 1, sizeof *all);
    const char *k;
    json_t *v;
    json_object_foreach(s->docs, k, v)
    {
        if (!since || strcmp(json_string_value(json_object_get(v, "updated_at")), since) > 0)
            all[n++] = v;
    }
    qsort(all, n, sizeof *all, by_time);
    json_t *data = json_array();
    for (i = (size_t)(start > 0 ? start : 0); i < n && (long)json_array_size(data) < per; i++)
        json_array_append(data, all[i]);
    *next_offset = i < n ? (long)i : -1;
    free(all);
    snprintf(s->seen.since, sizeof s->seen.since, "%s", since ? since : "");
    return data;
}

static int authorized(au_apiserver *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!s->static_token[0] && !s->client_id[0])
        return 1;
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    if (s->static_token[0])
        return strcmp(h + 7, s->static_token) == 0;
    return strncmp(h + 7, "granted-", 8) == 0;
}

static enum MHD_Result customers(au_apiserver *s, struct MHD_Connection *c)
{
    char link[512], ra[16], *text;
    long next = -1;
    pthread_mutex_lock(&s->lock);
    s->requests++;
    if (!authorized(s, c)) {
        s->seen.unauthorized++;
        pthread_mutex_unlock(&s->lock);
        return answer(c, 401, "{\"error\":\"unauthorized\"}", NULL, NULL);
    }
    quota_remaining[0] = 0;
    if (s->quota) {
        long long now = now_ms(), window = s->window_s * 1000LL;
        if (now - s->window_start >= window) {
            s->window_start = now;
            s->used = 0;
        }
        long long left_ms = s->window_start + window - now;
        snprintf(quota_reset, sizeof quota_reset, "%lld", (left_ms + 999) / 1000);
        if (s->used >= s->quota) {
            s->seen.too_early++;
            pthread_mutex_unlock(&s->lock);
            quota_remaining[0] = 0;
            return answer(c, 429, "{\"error\":\"quota\"}", NULL, quota_reset);
        }
        snprintf(quota_remaining, sizeof quota_remaining, "%d", s->quota - ++s->used);
    }
    if (s->nth && s->requests % s->nth == 0) {
        s->seen.limited++;
        snprintf(ra, sizeof ra, "%d", s->retry_after_s);
        pthread_mutex_unlock(&s->lock);
        return answer(c, 429, "{\"error\":\"slow down\"}", NULL, ra);
    }
    s->seen.ok++;
    json_t *data = page(s, c, &next);
    pthread_mutex_unlock(&s->lock);
    char cursor[32];
    snprintf(cursor, sizeof cursor, "c%ld", next);
    json_t *j = json_pack("{s:o, s:{s:s?}}", "data", data, "meta", "next_cursor",
                          next >= 0 ? cursor : NULL);
    text = json_dumps(j, JSON_COMPACT);
    const char *pp = arg(c, "per_page"), *since = arg(c, "updated_since");
    snprintf(link, sizeof link,
             "<http://127.0.0.1:%d/customers?offset=%ld&per_page=%s%s%s>; "
             "rel=\"next\"",
             s->port, next, pp ? pp : "2", since ? "&updated_since=" : "", since ? since : "");
    enum MHD_Result r = answer(c, 200, text, next >= 0 ? link : NULL, NULL);
    free(text);
    json_decref(j);
    return r;
}

static enum MHD_Result token(au_apiserver *s, struct MHD_Connection *c, const body *b)
{
    char want[512];
    snprintf(want, sizeof want, "client_id=%s&client_secret=%s", s->client_id, s->client_secret);
    pthread_mutex_lock(&s->lock);
    int ok =
        s->client_id[0] && strstr(b->buf, "grant_type=client_credentials") && strstr(b->buf, want);
    int n = ok ? ++s->seen.tokens : 0;
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        return answer(c, 401, "{\"error\":\"invalid_client\"}", NULL, NULL);
    char text[128];
    snprintf(text, sizeof text, "{\"access_token\":\"granted-%d\",\"token_type\":\"Bearer\"}", n);
    return answer(c, 200, text, NULL, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **ctx)
{
    au_apiserver *s = cls;
    body *b = *ctx;
    if (!b) {
        *ctx = calloc(1, sizeof(body));
        return *ctx ? MHD_YES : MHD_NO;
    }
    if (*size) {
        size_t n = *size < sizeof b->buf - 1 - b->len ? *size : sizeof b->buf - 1 - b->len;
        memcpy(b->buf + b->len, data, n);
        b->len += n;
        *size = 0;
        return MHD_YES;
    }
    if (!strcmp(method, "GET") && !strcmp(url, "/customers"))
        return customers(s, c);
    if (!strcmp(method, "POST") && !strcmp(url, "/token"))
        return token(s, c, b);
    return answer(c, 404, "{\"error\":\"not found\"}", NULL, NULL);
}

static void done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
    free(*ctx);
    *ctx = NULL;
}

au_apiserver *au_apiserver_start(void)
{
    au_apiserver *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->docs = json_object();
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, handle, s, MHD_OPTION_NOTIFY_COMPLETED, done, s,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        s->d ? MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info) {
        au_apiserver_free(s);
        return NULL;
    }
    s->port = info->port;
    return s;
}

void au_apiserver_free(au_apiserver *s)
{
    if (!s)
        return;
    if (s->d)
        MHD_stop_daemon(s->d);
    json_decref(s->docs);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int au_apiserver_port(const au_apiserver *s)
{
    return s->port;
}

int au_apiserver_put(au_apiserver *s, const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    if (!id || !json_is_string(json_object_get(j, "updated_at"))) {
        json_decref(j);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    json_object_set(s->docs, id, j);
    pthread_mutex_unlock(&s->lock);
    json_decref(j);
    return 0;
}

void au_apiserver_auth(au_apiserver *s, const char *static_token, const char *client_id,
                       const char *client_secret)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->static_token, sizeof s->static_token, "%s", static_token ? static_token : "");
    snprintf(s->client_id, sizeof s->client_id, "%s", client_id ? client_id : "");
    snprintf(s->client_secret, sizeof s->client_secret, "%s", client_secret ? client_secret : "");
    pthread_mutex_unlock(&s->lock);
}

void au_apiserver_rate_limit(au_apiserver *s, int nth, int retry_after_s)
{
    pthread_mutex_lock(&s->lock);
    s->nth = nth;
    s->retry_after_s = retry_after_s;
    pthread_mutex_unlock(&s->lock);
}

void au_apiserver_quota(au_apiserver *s, int n, int window_s)
{
    pthread_mutex_lock(&s->lock);
    s->quota = n;
    s->window_s = window_s;
    s->used = 0;
    s->window_start = now_ms();
    pthread_mutex_unlock(&s->lock);
}

void au_apiserver_seen_get(au_apiserver *s, au_apiserver_seen *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->seen;
    pthread_mutex_unlock(&s->lock);
}
