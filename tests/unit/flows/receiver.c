/*
 * Implementation of the test HTTP receiver. Requests are recorded under a mutex because
 * libmicrohttpd calls the handler from its own thread.
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

#include "lib/alloc.h"

struct receiver {
    struct MHD_Daemon *d;                 /* the server */
    pthread_mutex_t lock;                 /* guards everything below */
    received reqs[RECEIVER_MAX_REQUESTS]; /* recorded requests */
    int count;                            /* requests received */
    int status;                           /* status to answer */
    char retry_after[64];                 /* Retry-After to send, "" for none */
    int delay_ms;                         /* delay before answering */
    volatile int stopping;                /* set by receiver_stop to cut delays short */
};

/* Per-connection upload state. */
typedef struct upload {
    received req; /* being filled */
} upload;

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t size)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(dst, size, "%s", v ? v : "");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    receiver *r = cls;
    upload *u = *con_cls;
    if (!u) {
        u = calloc(1, sizeof(*u));
        if (!u)
            return MHD_NO;
        snprintf(u->req.method, sizeof(u->req.method), "%s", method);
        snprintf(u->req.url, sizeof(u->req.url), "%s", url);
        copy_header(c, "Content-Type", u->req.content_type, sizeof(u->req.content_type));
        copy_header(c, "X-Aurum-Signature", u->req.signature, sizeof(u->req.signature));
        copy_header(c, "Idempotency-Key", u->req.idempotency_key, sizeof(u->req.idempotency_key));
        copy_header(c, "X-Test", u->req.custom, sizeof(u->req.custom));
        *con_cls = u;
        return MHD_YES;
    }
    if (*size) {
        size_t room = sizeof(u->req.body) - 1 - u->req.body_len;
        size_t take = *size < room ? *size : room;
        memcpy(u->req.body + u->req.body_len, data, take);
        u->req.body_len += take;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->lock);
    if (r->count < RECEIVER_MAX_REQUESTS)
        r->reqs[r->count] = u->req;
    r->count++;
    int status = r->status, delay = r->delay_ms;
    char retry_after[64];
    snprintf(retry_after, sizeof(retry_after), "%s", r->retry_after);
    pthread_mutex_unlock(&r->lock);
    for (int waited = 0; waited < delay && !r->stopping; waited += 10) {
        struct timespec ts = {0, 10 * 1000000L};
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

receiver *receiver_start(void)
{
    receiver *r = au_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->status = 200;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; /* the kernel picks a free port */
    r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, handler, r, MHD_OPTION_NOTIFY_COMPLETED, completed, r,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&addr, MHD_OPTION_END);
    if (!r->d) {
        au_free(r);
        return NULL;
    }
    return r;
}

void receiver_stop(receiver *r)
{
    if (!r)
        return;
    r->stopping = 1;
    MHD_stop_daemon(r->d);
    pthread_mutex_destroy(&r->lock);
    au_free(r);
}

int receiver_port(const receiver *r)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : -1;
}

void receiver_answer(receiver *r, int status, const char *retry_after, int delay_ms)
{
    pthread_mutex_lock(&r->lock);
    r->status = status;
    snprintf(r->retry_after, sizeof(r->retry_after), "%s", retry_after ? retry_after : "");
    r->delay_ms = delay_ms;
    pthread_mutex_unlock(&r->lock);
}

int receiver_count(receiver *r)
{
    pthread_mutex_lock(&r->lock);
    int n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void receiver_get(receiver *r, int i, received *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->reqs[i];
    pthread_mutex_unlock(&r->lock);
}
