/*
 * Implementation of the tests' HTTP target (shared by the unit and runtime suites). The handler
 * runs on libmicrohttpd's threads, so the recorded requests live under a mutex in a growing array.
 */
#include "receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rt_receiver {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    rt_request *reqs;
    int *ok; /* per request: answered 2xx */
    int n, cap;
    int status;
    char retry_after[64];
    int delay_ms;
};

typedef struct upload {
    rt_request req;
    size_t len;
} upload;

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t size)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(dst, size, "%s", v ? v : "");
}

static void record(rt_receiver *r, const rt_request *q, int ok)
{
    pthread_mutex_lock(&r->lock);
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 256;
        rt_request *a = realloc(r->reqs, (size_t)cap * sizeof(*a));
        int *o = realloc(r->ok, (size_t)cap * sizeof(*o));
        if (a)
            r->reqs = a;
        if (o)
            r->ok = o;
        if (a && o)
            r->cap = cap;
    }
    if (r->n < r->cap) {
        r->reqs[r->n] = *q;
        r->ok[r->n] = ok;
        r->n++;
    }
    pthread_mutex_unlock(&r->lock);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    rt_receiver *r = cls;
    upload *u = *con_cls;
    if (!u) {
        if (!(u = calloc(1, sizeof(*u))))
            return MHD_NO;
        snprintf(u->req.method, sizeof(u->req.method), "%s", method);
        snprintf(u->req.url, sizeof(u->req.url), "%s", url);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        u->req.at_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        copy_header(c, "X-Aurum-Signature", u->req.signature, sizeof(u->req.signature));
        copy_header(c, "Idempotency-Key", u->req.idempotency_key, sizeof(u->req.idempotency_key));
        copy_header(c, "Content-Type", u->req.content_type, sizeof(u->req.content_type));
        copy_header(c, "X-Test", u->req.custom, sizeof(u->req.custom));
        *con_cls = u;
        return MHD_YES;
    }
    if (*size) {
        size_t room = sizeof(u->req.body) - 1 - u->len;
        size_t take = *size < room ? *size : room;
        memcpy(u->req.body + u->len, data, take);
        u->len += take;
        u->req.body_len = u->len;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->lock);
    int status = r->status, delay = r->delay_ms;
    char retry_after[64];
    snprintf(retry_after, sizeof(retry_after), "%s", r->retry_after);
    pthread_mutex_unlock(&r->lock);
    record(r, &u->req, status >= 200 && status < 300);
    if (delay > 0) {
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    static const char body[] = "{\"ok\":true}";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (*retry_after)
        MHD_add_response_header(resp, "Retry-After", retry_after);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    free(*con_cls);
    *con_cls = NULL;
}

int rt_receiver_up(rt_receiver *r)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)r->port);
    r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, handler, r, MHD_OPTION_NOTIFY_COMPLETED, completed, r,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&addr, MHD_OPTION_END);
    if (!r->d)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
    r->port = info ? info->port : -1;
    return 0;
}

rt_receiver *rt_receiver_start(int port)
{
    rt_receiver *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->status = 200;
    r->port = port;
    if (rt_receiver_up(r)) {
        free(r);
        return NULL;
    }
    return r;
}

void rt_receiver_down(rt_receiver *r)
{
    if (r->d)
        MHD_stop_daemon(r->d);
    r->d = NULL;
}

void rt_receiver_free(rt_receiver *r)
{
    if (!r)
        return;
    rt_receiver_down(r);
    pthread_mutex_destroy(&r->lock);
    free(r->reqs);
    free(r->ok);
    free(r);
}

int rt_receiver_port(const rt_receiver *r)
{
    return r->port;
}

void rt_receiver_answer(rt_receiver *r, int status, const char *retry_after, int delay_ms)
{
    pthread_mutex_lock(&r->lock);
    r->status = status;
    snprintf(r->retry_after, sizeof(r->retry_after), "%s", retry_after ? retry_after : "");
    r->delay_ms = delay_ms;
    pthread_mutex_unlock(&r->lock);
}

int rt_receiver_count(rt_receiver *r)
{
    pthread_mutex_lock(&r->lock);
    int n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

int rt_receiver_get(rt_receiver *r, int i, rt_request *out)
{
    pthread_mutex_lock(&r->lock);
    int ok = i >= 0 && i < r->n;
    if (ok)
        *out = r->reqs[i];
    pthread_mutex_unlock(&r->lock);
    return ok ? 0 : -1;
}

int rt_receiver_wait(rt_receiver *r, int n, int timeout_s)
{
    for (int i = 0; i < timeout_s * 50; i++) {
        if (rt_receiver_count(r) >= n)
            break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return rt_receiver_count(r);
}

int rt_receiver_distinct_ok(rt_receiver *r)
{
    int distinct = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++) {
        if (!r->ok[i])
            continue;
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = r->ok[k] && !strcmp(r->reqs[k].idempotency_key, r->reqs[i].idempotency_key);
        distinct += !seen;
    }
    pthread_mutex_unlock(&r->lock);
    return distinct;
}
