/*
 * Profile-read rate client: T threads, each R sequential keep-alive GETs of
 * http://127.0.0.1:PORT/v1/profiles/ID (ids cycling over 1..N), with a Bearer key; prints
 * requests/s and the number of answers that were not 200. bench/audit.sh runs it against two
 * daemons (with and without the audit log) and reads each daemon's CPU time around it.
 * Usage: read_rate PORT KEY THREADS REQUESTS_PER_THREAD N
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_THREADS 64

typedef struct opts {
    int port, per_thread, ids;
    const char *key;
} opts;

typedef struct worker {
    const opts *o;
    long index; /* spreads the threads over the ids */
    long bad;   /* answers that were not 200 */
} worker;

static size_t discard(void *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

static void *run(void *arg)
{
    worker *w = arg;
    char url[200], auth[300];
    CURL *c = curl_easy_init();
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->o->key);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    for (int i = 0; i < w->o->per_thread; i++) {
        long st = 0, id = (w->index * 7919 + i) % w->o->ids + 1;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/profiles/%ld", w->o->port, id);
        curl_easy_setopt(c, CURLOPT_URL, url);
        if (curl_easy_perform(c) != CURLE_OK ||
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st) != CURLE_OK || st != 200)
            w->bad++;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: read_rate PORT KEY THREADS REQUESTS_PER_THREAD N\n");
        return 2;
    }
    opts o = {atoi(argv[1]), atoi(argv[4]), atoi(argv[5]), argv[2]};
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > MAX_THREADS || o.ids < 1 || o.per_thread < 1)
        return 2;
    pthread_t th[MAX_THREADS];
    worker w[MAX_THREADS];
    struct timespec a, b;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){&o, i, 0};
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    long bad = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        bad += w[i].bad;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    long n = (long)threads * o.per_thread;
    printf("%ld requests in %.2f s: %.0f req/s (not 200: %ld)\n", n, s, (double)n / s, bad);
    curl_global_cleanup();
    return bad ? 1 : 0;
}
