/*
 * The stand-in target (sink.h). One libmicrohttpd daemon with its own polling thread; a mutex
 * keeps lines from concurrent connections whole. Bodies are bounded: a flow step's body is a
 * mapping of a few fields, so anything larger is recorded truncated rather than buffered.
 */
#include "flows/sink.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/clock.h"

#define SINK_MAX_BODY (1u << 20)

struct au_sink {
    struct MHD_Daemon *mhd; /* the server */
    FILE *out;              /* borrowed */
    pthread_mutex_t mu;     /* serialises lines and the counter */
    long count;             /* requests recorded */
    int port;               /* actual port */
};

static void add_header(json_t *h, struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    if (v)
        json_object_set_new(h, name, json_string(v));
}

static void record(au_sink *s, struct MHD_Connection *c, const char *method, const char *url,
                   const au_buf *body)
{
    json_t *line = json_object(), *h = json_object();
    int64_t ms = au_wall_ms();
    time_t secs = (time_t)(ms / 1000);
    char at[40];
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(at + n, sizeof(at) - n, ".%03dZ", (int)(ms % 1000));
    const char *names[] = {"Content-Type", "Idempotency-Key", "X-Aurum-Signature", "X-Aurum-Flow",
                           "X-Northwind-Origin"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        add_header(h, c, names[i]);
    json_t *parsed = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
    json_object_set_new(line, "at", json_string(at));
    json_object_set_new(line, "method", json_string(method));
    json_object_set_new(line, "path", json_string(url));
    json_object_set_new(line, "headers", h);
    json_object_set_new(line, "body",
                        parsed ? parsed : json_stringn(body->data ? body->data : "", body->len));
    char *text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(line);
    pthread_mutex_lock(&s->mu);
    if (text) {
        fprintf(s->out, "%s\n", text);
        fflush(s->out);
    }
    s->count++;
    pthread_mutex_unlock(&s->mu);
    free(text);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    au_sink *s = cls;
    au_buf *body = *state;
    if (!body) {
        if (!(body = au_malloc(sizeof(*body))))
            return MHD_NO;
        au_buf_init(body, SINK_MAX_BODY);
        *state = body;
        return MHD_YES;
    }
    if (*size) {
        /* Past the bound the body is kept truncated. */
        AU_BEST_EFFORT(au_buf_append(body, data, *size));
        *size = 0;
        return MHD_YES;
    }
    record(s, c, method, url, body);
    static const char ok[] = "{\"received\":true}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode why)
{
    au_buf *body = *state;
    if (body) {
        au_buf_cleanup(body);
        au_free(body);
        *state = NULL;
    }
}

static au_rc parse_listen(const char *listen, struct sockaddr_in *sa, au_err *err)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof(host))
        return au_err_set(err, AU_ERR_INVALID, "listen address '%s' is not ADDR:PORT", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return au_err_set(err, AU_ERR_INVALID, "listen address '%s' is not IPv4ADDR:PORT", listen);
    return AU_OK;
}

au_rc au_sink_start(const char *listen, FILE *out, au_sink **sink, au_err *err)
{
    struct sockaddr_in sa;
    au_rc rc = parse_listen(listen, &sa, err);
    if (rc)
        return rc;
    au_sink *s = au_calloc(1, sizeof(*s));
    if (!s)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    s->out = out;
    pthread_mutex_init(&s->mu, NULL);
    s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL,
                              NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
                              MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_END);
    if (!s->mhd) {
        pthread_mutex_destroy(&s->mu);
        au_free(s);
        return au_err_set(err, AU_ERR_IO, "cannot listen on %s", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    *sink = s;
    return AU_OK;
}

int au_sink_port(const au_sink *sink)
{
    return sink->port;
}

long au_sink_count(au_sink *sink)
{
    pthread_mutex_lock(&sink->mu);
    long n = sink->count;
    pthread_mutex_unlock(&sink->mu);
    return n;
}

void au_sink_free(au_sink *sink)
{
    if (!sink)
        return;
    MHD_stop_daemon(sink->mhd);
    pthread_mutex_destroy(&sink->mu);
    au_free(sink);
}
