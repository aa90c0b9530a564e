/*
 * Metrics tests: request counts by route and status, the cumulative latency histogram, records
 * and events by source and outcome, label escaping, and exact totals under concurrent updates.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "core/metrics.h"
#include "lib/alloc.h"

static const char *const routes[] = {"GET /a", "POST /b/{x}"};

static char *render(au_metrics *m)
{
    au_buf b;
    au_buf_init(&b, 1 << 20);
    cr_assert_eq(au_metrics_render(m, NULL, &b), AU_OK);
    return au_buf_steal(&b);
}

Test(metrics, requests_by_route_and_status_and_histogram)
{
    au_metrics *m = au_metrics_new(routes, 2);
    au_metrics_request(m, 0, 200, 1000);
    au_metrics_request(m, 0, 200, 2000);
    au_metrics_request(m, 1, 400, 30000);
    au_metrics_request(m, 7, 404, 20000000); /* unmatched, slower than every bucket */
    char *t = render(m);
    cr_assert(strstr(t, "# TYPE aurum_http_requests_total counter\n"), "%s", t);
    cr_assert(strstr(t, "aurum_http_requests_total{route=\"GET /a\",status=\"200\"} 2\n"), "%s", t);
    cr_assert(strstr(t, "aurum_http_requests_total{route=\"POST /b/{x}\",status=\"400\"} 1\n"),
              "%s", t);
    cr_assert(strstr(t, "aurum_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"), "%s",
              t);
    cr_assert(strstr(t, "aurum_http_request_duration_seconds_bucket{le=\"0.005\"} 2\n"), "%s", t);
    cr_assert(strstr(t, "aurum_http_request_duration_seconds_bucket{le=\"0.05\"} 3\n"), "%s", t);
    cr_assert(strstr(t, "aurum_http_request_duration_seconds_bucket{le=\"10\"} 3\n"), "%s", t);
    cr_assert(strstr(t, "aurum_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"), "%s", t);
    cr_assert(strstr(t, "aurum_http_request_duration_seconds_count 4\n"), "%s", t);
    cr_assert_null(strstr(t, "aurum_engine"), "no engine given, no engine gauges");
    au_free(t);
    au_metrics_free(m);
}

Test(metrics, records_and_events_by_source_with_escaped_labels)
{
    au_metrics *m = au_metrics_new(routes, 2);
    au_metrics_records(m, "crm", AU_OUTCOME_INSERTED, 3);
    au_metrics_records(m, "crm", AU_OUTCOME_UNCHANGED, 2);
    au_metrics_records(m, "we\"b", AU_OUTCOME_REJECTED, 1);
    au_metrics_events(m, "billing", AU_OUTCOME_INSERTED, 5);
    au_metrics_records(m, "crm", AU_OUTCOME_INSERTED, 0);
    char *t = render(m);
    cr_assert(strstr(t, "aurum_records_ingested_total{source=\"crm\",outcome=\"inserted\"} 3\n"),
              "%s", t);
    cr_assert(strstr(t, "aurum_records_ingested_total{source=\"crm\",outcome=\"unchanged\"} 2\n"),
              "%s", t);
    cr_assert(
        strstr(t, "aurum_records_ingested_total{source=\"we\\\"b\",outcome=\"rejected\"} 1\n"),
        "%s", t);
    cr_assert(strstr(t, "aurum_events_ingested_total{source=\"billing\",outcome=\"inserted\"} 5\n"),
              "%s", t);
    au_free(t);
    au_metrics_free(m);
}

#define THREADS    4
#define PER_THREAD 20000

static void *hammer(void *arg)
{
    au_metrics *m = arg;
    char src[8];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(src, sizeof(src), "s%d", i % 5);
        au_metrics_records(m, src, AU_OUTCOME_INSERTED, 1);
        au_metrics_request(m, 1, 200, 100);
    }
    return NULL;
}

Test(metrics, concurrent_updates_are_all_counted)
{
    au_metrics *m = au_metrics_new(routes, 2);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, hammer, m);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    char *t = render(m), want[128];
    snprintf(want, sizeof(want), "route=\"POST /b/{x}\",status=\"200\"} %d\n",
             THREADS * PER_THREAD);
    cr_assert(strstr(t, want), "%s", t);
    for (int s = 0; s < 5; s++) {
        snprintf(want, sizeof(want), "{source=\"s%d\",outcome=\"inserted\"} %d\n", s,
                 THREADS * PER_THREAD / 5);
        cr_assert(strstr(t, want), "missing %s in %s", want, t);
    }
    au_free(t);
    au_metrics_free(m);
}
