/*
 * Flows benchmark driver (bench/flows.sh): one process that is both the HTTP target and the
 * event source, so Aurum and Node-RED are measured against the same receiver and the same load.
 * It starts a receiver on 127.0.0.1:PORT, posts N events to the system under test from C
 * client threads (keep-alive), and waits until N deliveries arrived. Each event carries its send
 * time; the flow maps it into the delivered body, so the receiver measures event -> delivery
 * latency. Prints throughput (events delivered per second, first post to last delivery) and
 * latency percentiles.
 *
 * usage: flows_bench PORT URL N CONNS BATCH [KEY]
 *   URL: where events are POSTed; BATCH: events per request (a JSON array when > 1, the same
 *   for both systems); KEY: bearer token
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct state {
    long n, batch;
    atomic_long received, next, errors;
    long long *lat_us; /* per delivery */
    atomic_llong last_us;
    const char *url, *key;
    long long run;
} state;

static state S;

typedef struct upload {
    char body[4096];
    size_t len;
} upload;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        size_t take = *size < sizeof(u->body) - 1 - u->len ? *size : sizeof(u->body) - 1 - u->len;
        memcpy(u->body + u->len, data, take);
        u->len += take;
        *size = 0;
        return MHD_YES;
    }
    long long t = now_us();
    const char *p = strstr(u->body, "\"sent_us\"");
    if (p && (p = strchr(p, ':'))) {
        long i = atomic_fetch_add(&S.received, 1);
        if (i < S.n)
            S.lat_us[i] = t - atoll(p + 1);
        atomic_store(&S.last_us, t);
    }
    static const char ok[] = "{\"ok\":true}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    free(*con_cls);
    *con_cls = NULL;
}

static size_t sink(char *d, size_t s, size_t n, void *u)
{
    return s * n;
}

static void *client(void *arg)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    char auth[256];
    size_t cap = 600 * (size_t)S.batch + 16;
    char *body = malloc(cap);
    if (S.key) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", S.key);
        hd = curl_slist_append(hd, auth);
    }
    curl_easy_setopt(h, CURLOPT_URL, S.url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    for (;;) {
        long first = atomic_fetch_add(&S.next, S.batch);
        if (first >= S.n)
            break;
        size_t len = 0;
        if (S.batch > 1)
            body[len++] = '[';
        for (long i = first; i < first + S.batch && i < S.n; i++)
            len += (size_t)snprintf(
                body + len, cap - len,
                "%s{\"source\":\"shop\",\"event_id\":\"%lld-%ld\",\"type\":\"order\","
                "\"customer\":{\"source\":\"shop\",\"record\":\"c%ld\"},\"properties\":{"
                "\"amount\":%ld,\"sent_us\":%lld}}",
                i > first ? "," : "", S.run, i, i % 1000, i % 100 + 1, now_us());
        if (S.batch > 1)
            body[len++] = ']';
        body[len] = '\0';
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        long status = 0;
        if (curl_easy_perform(h) != CURLE_OK ||
            (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), status != 200))
            atomic_fetch_add(&S.errors, 1);
    }
    free(body);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: flows_bench PORT URL N CONNS BATCH [KEY]\n");
        return 2;
    }
    int port = atoi(argv[1]), conns = atoi(argv[4]);
    S.url = argv[2];
    S.n = atol(argv[3]);
    S.batch = atol(argv[5]) > 0 ? atol(argv[5]) : 1;
    S.key = argc > 6 ? argv[6] : NULL;
    S.run = now_us();
    S.lat_us = calloc((size_t)S.n, sizeof(long long));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handler, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_THREAD_POOL_SIZE, 2,
        MHD_OPTION_CONNECTION_LIMIT, 4096, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "cannot listen on %d\n", port);
        return 1;
    }
    pthread_t th[256];
    long long t0 = now_us();
    for (int i = 0; i < conns && i < 256; i++)
        pthread_create(&th[i], NULL, client, NULL);
    for (int i = 0; i < conns && i < 256; i++)
        pthread_join(th[i], NULL);
    long long posted = now_us();
    /* Wait for the deliveries: give up after 10 s without progress. */
    long seen = -1;
    for (long long idle = 0; atomic_load(&S.received) < S.n && idle < 10000000;) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        long r = atomic_load(&S.received);
        idle = r == seen ? idle + 20000 : 0;
        seen = r;
    }
    long got = atomic_load(&S.received);
    MHD_stop_daemon(d);
    long m = got < S.n ? got : S.n;
    qsort(S.lat_us, (size_t)m, sizeof(long long), cmp);
    double secs = (double)(atomic_load(&S.last_us) - t0) / 1e6;
    printf("events=%ld post_errors=%ld delivered=%ld ingest_s=%.2f total_s=%.2f "
           "throughput=%.0f/s p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
           S.n, atomic_load(&S.errors), got, (double)(posted - t0) / 1e6, secs,
           secs > 0 ? (double)m / secs : 0.0, m ? S.lat_us[m / 2] / 1000.0 : 0.0,
           m ? S.lat_us[(long)(m * 0.99)] / 1000.0 : 0.0, m ? S.lat_us[m - 1] / 1000.0 : 0.0);
    return got >= S.n ? 0 : 1;
}
