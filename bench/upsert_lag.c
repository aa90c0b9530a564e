/*
 * Benchmark client (not part of the daemon): upsert-to-visible latency and change-feed lag.
 * T writer threads together send RATE record upserts per second (open loop: each request is
 * scheduled on a fixed clock, and latency counts from the scheduled time, so a stall is not
 * hidden by coordinated omission). Each upsert is one record of source `people` with a unique
 * id; after the POST returns, the writer reads the record's profile with
 * GET /v1/profiles?source=people&record=ID until it is there: upsert-to-visible is from the
 * scheduled send to that read's answer. One consumer long-polls /v1/changes and, for each
 * change naming one of the benchmark's records, records now - (when the POST was acknowledged):
 * the change-feed delivery lag.
 *
 * Build: cc -O2 -o upsert_lag bench/upsert_lag.c -lcurl -ljansson -lpthread
 * Usage: upsert_lag URL KEY RATE SECONDS [THREADS]
 */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXN 2000000

static const char *base, *key;
static double rate;
static int seconds, nthreads;
static int64_t t0_ns;
static double *visible_ms; /* per request */
static int64_t *acked_ns;  /* per request: when its POST returned */
static double *lag_ms;     /* per request: change-feed lag */
static volatile int done;
static char run_tag[32];

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    buf *b = ud;
    size_t len = sz * nm;
    char *q = realloc(b->p, b->n + len + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, d, len);
    b->p = q;
    b->n += len;
    b->p[b->n] = 0;
    return len;
}

static long request(CURL *c, const char *url, const char *body, buf *out)
{
    struct curl_slist *h = NULL;
    char auth[256];
    long code = 0;
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    out->n = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    return code;
}

static void *writer(void *arg)
{
    int w = (int)(intptr_t)arg;
    CURL *c = curl_easy_init();
    buf b = {0};
    char url[512], body[512];
    long total = (long)(rate * seconds);
    double interval_ns = 1e9 / rate;
    for (long i = w; i < total && i < MAXN; i += nthreads) {
        int64_t sched = t0_ns + (int64_t)(i * interval_ns);
        while (now_ns() < sched) {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
        snprintf(body, sizeof(body),
                 "[{\"id\":\"lag-%s-%ld\",\"first_name\":\"Lagtest\",\"last_name\":\"Person%ld\","
                 "\"email\":\"lag.%s.%ld@bench.example\"}]",
                 run_tag, i, i, run_tag, i);
        snprintf(url, sizeof(url), "%s/v1/sources/people/records", base);
        if (request(c, url, body, &b) != 200) {
            fprintf(stderr, "POST failed: %s\n", b.p ? b.p : "");
            continue;
        }
        acked_ns[i] = now_ns();
        snprintf(url, sizeof(url), "%s/v1/profiles?source=people&record=lag-%s-%ld", base, run_tag,
                 i);
        while (request(c, url, NULL, &b) != 200)
            ;
        visible_ms[i] = (double)(now_ns() - sched) / 1e6;
    }
    free(b.p);
    curl_easy_cleanup(c);
    return NULL;
}

static void *consumer(void *arg)
{
    CURL *c = curl_easy_init();
    buf b = {0};
    char url[512], cursor[64];
    (void)arg;
    /* the caller passes the cursor of the end of the feed in LAG_AFTER */
    snprintf(cursor, sizeof(cursor), "%s",
             getenv("LAG_AFTER") ? getenv("LAG_AFTER") : "c_000000000000000");
    size_t tl = strlen(run_tag);
    while (!done) {
        snprintf(url, sizeof(url), "%s/v1/changes?limit=1000&wait=1&after=%s", base, cursor);
        if (request(c, url, NULL, &b) != 200)
            continue;
        int64_t now = now_ns();
        json_t *j = json_loads(b.p, 0, NULL);
        size_t k;
        json_t *ch;
        json_array_foreach(json_object_get(j, "changes"), k, ch)
        {
            const char *rid = json_string_value(json_object_get(ch, "record_id"));
            if (rid && strncmp(rid, "lag-", 4) == 0 && strncmp(rid + 4, run_tag, tl) == 0) {
                long i = atol(rid + 5 + tl);
                if (i >= 0 && i < MAXN && acked_ns[i] && lag_ms[i] == 0)
                    lag_ms[i] = (double)(now - acked_ns[i]) / 1e6;
            }
        }
        const char *nc = json_string_value(json_object_get(j, "next_cursor"));
        if (nc)
            snprintf(cursor, sizeof(cursor), "%s", nc);
        json_decref(j);
    }
    free(b.p);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, long n)
{
    double *s = malloc((size_t)n * sizeof(*s));
    long m = 0;
    for (long i = 0; i < n; i++)
        if (v[i] > 0)
            s[m++] = v[i];
    qsort(s, (size_t)m, sizeof(*s), cmp);
    if (m)
        printf("%s: n=%ld p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms\n", what, m, s[m / 2],
               s[(long)(m * 0.9)], s[(long)(m * 0.99)], s[m - 1]);
    else
        printf("%s: no samples\n", what);
    free(s);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: upsert_lag URL KEY RATE SECONDS [THREADS]\n");
        return 2;
    }
    base = argv[1];
    key = argv[2];
    rate = atof(argv[3]);
    seconds = atoi(argv[4]);
    nthreads = argc > 5 ? atoi(argv[5]) : 16;
    snprintf(run_tag, sizeof(run_tag), "%ld", (long)time(NULL));
    long total = (long)(rate * seconds);
    visible_ms = calloc(MAXN, sizeof(double));
    lag_ms = calloc(MAXN, sizeof(double));
    acked_ns = calloc(MAXN, sizeof(int64_t));
    curl_global_init(CURL_GLOBAL_ALL);
    pthread_t cons, th[256];
    pthread_create(&cons, NULL, consumer, NULL);
    t0_ns = now_ns() + 100000000;
    for (int i = 0; i < nthreads && i < 256; i++)
        pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
    for (int i = 0; i < nthreads && i < 256; i++)
        pthread_join(th[i], NULL);
    double elapsed = (double)(now_ns() - t0_ns) / 1e9;
    struct timespec ts = {2, 0};
    nanosleep(&ts, NULL);
    done = 1;
    pthread_join(cons, NULL);
    printf("sent %ld upserts in %.1f s (%.0f/s target %.0f/s)\n", total, elapsed,
           (double)total / elapsed, rate);
    report("upsert-to-visible", visible_ms, total);
    report("change-feed lag (ack to delivery)", lag_ms, total);
    return 0;
}
