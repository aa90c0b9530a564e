/*
 * Lock-free counters behind /metrics. Request counts are a dense [route][status] table so a
 * request is one atomic add with no lookup; per-source counters live in an append-only slot
 * array whose published length is read with acquire semantics, so lookups never lock.
 */
#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"

#define STATUS_MIN 100
#define STATUS_MAX 599
#define NSTATUS    (STATUS_MAX - STATUS_MIN + 1)
/* Past this many distinct sources, further ones are counted under "_other". */
#define MAX_SOURCES     256
#define SOURCE_NAME_MAX 64

/* Latency bucket upper bounds in microseconds (Prometheus default buckets, in seconds). */
static const uint64_t bucket_us[] = {5000,   10000,   25000,   50000,   100000,  250000,
                                     500000, 1000000, 2500000, 5000000, 10000000};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

static const char *const outcome_names[AU_OUTCOME_COUNT] = {"inserted", "updated", "unchanged",
                                                            "deleted", "rejected"};
static const char *const unlinked_names[AU_UNLINKED_COUNT] = {"unknown_customer",
                                                              "undeclared_source"};

typedef struct source_slot {
    char name[SOURCE_NAME_MAX];                   /* written once before the slot is published */
    _Atomic uint64_t records[AU_OUTCOME_COUNT];   /* records by outcome */
    _Atomic uint64_t events[AU_OUTCOME_COUNT];    /* events by outcome */
    _Atomic uint64_t unlinked[AU_UNLINKED_COUNT]; /* new events linked to nobody, by reason */
} source_slot;

struct au_metrics {
    const char *const *routes;            /* route labels, borrowed */
    size_t nroutes;                       /* labels; index nroutes is "unmatched" */
    _Atomic uint64_t *requests;           /* [(nroutes + 1) * NSTATUS] */
    _Atomic uint64_t buckets[NBUCKETS];   /* cumulative at render time, per bucket here */
    _Atomic uint64_t latency_count;       /* requests observed */
    _Atomic uint64_t latency_sum_us;      /* total duration */
    pthread_mutex_t add_lock;             /* serialises the publication of new source slots */
    _Atomic size_t nsources;              /* published slots */
    source_slot sources[MAX_SOURCES + 1]; /* the last one is "_other" */
};

au_metrics *au_metrics_new(const char *const *routes, size_t nroutes)
{
    au_metrics *m = au_calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->requests = au_calloc((nroutes + 1) * NSTATUS, sizeof(*m->requests));
    if (!m->requests) {
        au_free(m);
        return NULL;
    }
    m->routes = routes;
    m->nroutes = nroutes;
    pthread_mutex_init(&m->add_lock, NULL);
    snprintf(m->sources[MAX_SOURCES].name, SOURCE_NAME_MAX, "_other");
    return m;
}

void au_metrics_free(au_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->add_lock);
    au_free(m->requests);
    au_free(m);
}

void au_metrics_request(au_metrics *m, size_t route, int status, uint64_t duration_us)
{
    if (!m)
        return;
    if (route > m->nroutes)
        route = m->nroutes;
    if (status < STATUS_MIN || status > STATUS_MAX)
        status = 500;
    atomic_fetch_add_explicit(&m->requests[route * NSTATUS + (size_t)(status - STATUS_MIN)], 1,
                              memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKETS && duration_us > bucket_us[b])
        b++;
    if (b < NBUCKETS)
        atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_us, duration_us, memory_order_relaxed);
}

static source_slot *find_source(au_metrics *m, const char *name)
{
    size_t n = atomic_load_explicit(&m->nsources, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (strncmp(m->sources[i].name, name, SOURCE_NAME_MAX) == 0)
            return &m->sources[i];
    return NULL;
}

static source_slot *source_slot_of(au_metrics *m, const char *name)
{
    source_slot *s = find_source(m, name);
    if (s)
        return s;
    pthread_mutex_lock(&m->add_lock);
    s = find_source(m, name); /* another thread may have added it meanwhile */
    if (!s) {
        size_t n = atomic_load_explicit(&m->nsources, memory_order_relaxed);
        if (n < MAX_SOURCES && strlen(name) < SOURCE_NAME_MAX) {
            s = &m->sources[n];
            snprintf(s->name, SOURCE_NAME_MAX, "%s", name);
            atomic_store_explicit(&m->nsources, n + 1, memory_order_release);
        } else {
            s = &m->sources[MAX_SOURCES];
        }
    }
    pthread_mutex_unlock(&m->add_lock);
    return s;
}

void au_metrics_records(au_metrics *m, const char *source, au_outcome outcome, uint64_t n)
{
    if (!m || !n || (unsigned)outcome >= AU_OUTCOME_COUNT)
        return;
    source_slot *s = source_slot_of(m, source ? source : "");
    atomic_fetch_add_explicit(&s->records[outcome], n, memory_order_relaxed);
}

void au_metrics_events(au_metrics *m, const char *source, au_outcome outcome, uint64_t n)
{
    if (!m || !n || (unsigned)outcome >= AU_OUTCOME_COUNT)
        return;
    source_slot *s = source_slot_of(m, source ? source : "");
    atomic_fetch_add_explicit(&s->events[outcome], n, memory_order_relaxed);
}

void au_metrics_events_unlinked(au_metrics *m, const char *source, au_unlinked_reason reason,
                                uint64_t n)
{
    if (!m || !n || (unsigned)reason >= AU_UNLINKED_COUNT)
        return;
    source_slot *s = source_slot_of(m, source ? source : "");
    atomic_fetch_add_explicit(&s->unlinked[reason], n, memory_order_relaxed);
}

/* Label values come from route patterns and source names; escape what the format requires. */
au_rc au_metrics_label(au_buf *out, const char *v)
{
    au_rc rc = AU_OK;
    for (; *v && !rc; v++) {
        if (*v == '\\' || *v == '"')
            rc = au_buf_putc(out, '\\');
        if (!rc)
            rc = *v == '\n' ? au_buf_puts(out, "\\n") : au_buf_putc(out, *v);
    }
    return rc;
}

static au_rc render_requests(au_metrics *m, au_buf *out)
{
    au_rc rc = au_buf_puts(out, "# HELP aurum_http_requests_total HTTP requests by route pattern "
                                "and status.\n# TYPE aurum_http_requests_total counter\n");
    for (size_t r = 0; r <= m->nroutes && !rc; r++) {
        for (size_t s = 0; s < NSTATUS && !rc; s++) {
            uint64_t v = atomic_load_explicit(&m->requests[r * NSTATUS + s], memory_order_relaxed);
            if (!v)
                continue;
            rc = au_buf_puts(out, "aurum_http_requests_total{route=\"");
            if (!rc)
                rc = au_metrics_label(out, r < m->nroutes ? m->routes[r] : "unmatched");
            if (!rc)
                rc = au_buf_printf(out, "\",status=\"%zu\"} %llu\n", s + STATUS_MIN,
                                   (unsigned long long)v);
        }
    }
    return rc;
}

static au_rc render_latency(au_metrics *m, au_buf *out)
{
    au_rc rc = au_buf_puts(out, "# HELP aurum_http_request_duration_seconds Time from request "
                                "start to response.\n"
                                "# TYPE aurum_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < NBUCKETS && !rc; b++) {
        cum += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
        rc = au_buf_printf(out, "aurum_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                           (double)bucket_us[b] / 1e6, (unsigned long long)cum);
    }
    uint64_t count = atomic_load_explicit(&m->latency_count, memory_order_relaxed);
    uint64_t sum = atomic_load_explicit(&m->latency_sum_us, memory_order_relaxed);
    if (!rc)
        rc = au_buf_printf(out,
                           "aurum_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                           "aurum_http_request_duration_seconds_sum %.6f\n"
                           "aurum_http_request_duration_seconds_count %llu\n",
                           (unsigned long long)count, (double)sum / 1e6, (unsigned long long)count);
    return rc;
}

static au_rc render_sources(au_metrics *m, au_buf *out, const char *metric, const char *help,
                            int events)
{
    au_rc rc = au_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", metric, help, metric);
    size_t n = atomic_load_explicit(&m->nsources, memory_order_acquire);
    for (size_t i = 0; i <= MAX_SOURCES && !rc; i++) {
        if (i >= n && i < MAX_SOURCES)
            continue;
        source_slot *s = &m->sources[i];
        for (int o = 0; o < AU_OUTCOME_COUNT && !rc; o++) {
            uint64_t v =
                atomic_load_explicit(events ? &s->events[o] : &s->records[o], memory_order_relaxed);
            if (!v)
                continue;
            rc = au_buf_printf(out, "%s{source=\"", metric);
            if (!rc)
                rc = au_metrics_label(out, s->name);
            if (!rc)
                rc = au_buf_printf(out, "\",outcome=\"%s\"} %llu\n", outcome_names[o],
                                   (unsigned long long)v);
        }
    }
    return rc;
}

static au_rc render_unlinked(au_metrics *m, au_buf *out)
{
    au_rc rc = au_buf_puts(out, "# HELP aurum_events_unlinked_total Events stored that belong to "
                                "nobody yet (unknown customer, undeclared source), by source "
                                "and reason.\n"
                                "# TYPE aurum_events_unlinked_total counter\n");
    size_t n = atomic_load_explicit(&m->nsources, memory_order_acquire);
    for (size_t i = 0; i <= MAX_SOURCES && !rc; i++) {
        if (i >= n && i < MAX_SOURCES)
            continue;
        for (int r = 0; r < AU_UNLINKED_COUNT && !rc; r++) {
            uint64_t v = atomic_load_explicit(&m->sources[i].unlinked[r], memory_order_relaxed);
            if (!v)
                continue;
            rc = au_buf_puts(out, "aurum_events_unlinked_total{source=\"");
            if (!rc)
                rc = au_metrics_label(out, m->sources[i].name);
            if (!rc)
                rc = au_buf_printf(out, "\",reason=\"%s\"} %llu\n", unlinked_names[r],
                                   (unsigned long long)v);
        }
    }
    return rc;
}

static au_rc render_engine(au_engine *engine, au_buf *out)
{
    au_engine_stats st = {0};
    au_engine_stats_get(engine, &st);
    return au_buf_printf(out,
                         "# HELP aurum_engine_commits_total Transactions committed by the writer.\n"
                         "# TYPE aurum_engine_commits_total counter\n"
                         "aurum_engine_commits_total %llu\n"
                         "# HELP aurum_engine_jobs_total Write jobs applied by the writer.\n"
                         "# TYPE aurum_engine_jobs_total counter\n"
                         "aurum_engine_jobs_total %llu\n"
                         "# HELP aurum_engine_queue_depth Write jobs waiting for the writer.\n"
                         "# TYPE aurum_engine_queue_depth gauge\n"
                         "aurum_engine_queue_depth %llu\n",
                         (unsigned long long)st.commits, (unsigned long long)st.jobs,
                         (unsigned long long)st.queue_depth);
}

au_rc au_metrics_render(au_metrics *m, au_engine *engine, au_buf *out)
{
    au_rc rc = render_requests(m, out);
    if (!rc)
        rc = render_latency(m, out);
    if (!rc)
        rc = render_sources(m, out, "aurum_records_ingested_total",
                            "Source records received by source and outcome.", 0);
    if (!rc)
        rc = render_sources(m, out, "aurum_events_ingested_total",
                            "Business events received by source and outcome.", 1);
    if (!rc)
        rc = render_unlinked(m, out);
    if (!rc && engine)
        rc = render_engine(engine, out);
    return rc;
}
