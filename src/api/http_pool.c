/*
 * Request workers and the waiting room (http_pool.h): a mutex-guarded FIFO of jobs served by a
 * fixed set of threads, and a list of parked requests watched by one waker thread. The waker
 * sleeps on the change feed's generation in short slices; each slice it wakes the parked
 * requests whose generation moved, whose time is up, whose client left, or all of them when
 * the server stops.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "api/http_pool.h"
#include "lib/alloc.h"
#include "lib/clock.h"

/* Longest the waker sleeps: how late a deadline or a departed client is noticed. */
#define WAKER_SLICE_MS 200
/* More workers than this is a configuration mistake, not a need. */
#define MAX_WORKERS 256

struct au_http_pool {
    pthread_mutex_t mu;             /* guards everything below */
    pthread_cond_t work;            /* a job was queued, or closing was set */
    au_http_node *head, *tail;      /* jobs waiting for a worker, oldest first */
    au_http_node *parked;           /* parked requests, any order */
    long nqueued, nparked;          /* lengths of the two lists */
    int closing;                    /* parking is refused; the waker wakes all and exits */
    int draining;                   /* the workers exit once the queue is empty */
    int drained;                    /* the workers have exited: a job runs on its caller */
    au_profiles *prof;              /* the change feed's generation; may be NULL */
    _Atomic int *stopping;          /* the server's flag: parked requests wake at once */
    pthread_t waker;                /* the waker thread */
    au_http_fn tick;                /* called each slice on the waker thread; may be NULL */
    void *tick_arg;                 /* its argument */
    int nworkers;                   /* started workers */
    pthread_t workers[MAX_WORKERS]; /* the worker threads */
};

static void *worker_main(void *arg)
{
    au_http_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->draining)
            pthread_cond_wait(&p->work, &p->mu);
        au_http_node *n = p->head;
        if (!n)
            break; /* draining and nothing left */
        p->head = n->next;
        if (!p->head)
            p->tail = NULL;
        p->nqueued--;
        pthread_mutex_unlock(&p->mu);
        n->fn(n->arg); /* may free the node's owner */
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void au_http_pool_run(au_http_pool *p, au_http_node *n, au_http_fn fn, void *arg)
{
    n->next = NULL;
    n->fn = fn;
    n->arg = arg;
    pthread_mutex_lock(&p->mu);
    if (p->drained) {
        /* Only when shutdown's bounded wait gave up on a request: it still gets its answer. */
        pthread_mutex_unlock(&p->mu);
        fn(arg);
        return;
    }
    if (p->tail)
        p->tail->next = n;
    else
        p->head = n;
    p->tail = n;
    p->nqueued++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
}

static uint64_t generation(au_http_pool *p)
{
    return p->prof ? au_profiles_generation(p->prof) : 0;
}

int au_http_pool_park(au_http_pool *p, au_http_node *n, struct MHD_Connection *conn,
                      const au_wait *w, au_http_fn fn, void *arg)
{
    int parked = 0;
    pthread_mutex_lock(&p->mu);
    /* Checked under the lock the waker reads the generation under, so a commit between the
     * caller's read and this park is seen here or by the waker's next wait. */
    if (!p->closing && !atomic_load(p->stopping) && generation(p) == w->gen) {
        *n = (au_http_node){p->parked, fn, arg, conn, *w};
        p->parked = n;
        p->nparked++;
        parked = 1;
    }
    pthread_mutex_unlock(&p->mu);
    return parked ? 0 : -1;
}

/* Should this parked request wake now? */
static int due(au_http_pool *p, const au_http_node *n, uint64_t gen, int64_t now)
{
    return p->closing || atomic_load(p->stopping) || n->wait.gen != gen ||
           now >= n->wait.until_ms || au_req_client_gone(n->conn);
}

/* Takes the due requests off the parked list (under the lock); returns them as a list. */
static au_http_node *take_due(au_http_pool *p, uint64_t gen, int64_t *next_ms)
{
    int64_t now = au_wall_ms();
    au_http_node *woken = NULL, **link = &p->parked;
    *next_ms = now + WAKER_SLICE_MS;
    while (*link) {
        au_http_node *n = *link;
        if (due(p, n, gen, now)) {
            *link = n->next;
            n->next = woken;
            woken = n;
            p->nparked--;
            continue;
        }
        if (n->wait.until_ms < *next_ms)
            *next_ms = n->wait.until_ms;
        link = &n->next;
    }
    return woken;
}

static void *waker_main(void *arg)
{
    au_http_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int64_t next_ms;
        uint64_t gen = generation(p);
        au_http_node *woken = take_due(p, gen, &next_ms);
        int done = p->closing && !p->parked;
        pthread_mutex_unlock(&p->mu);
        while (woken) {
            au_http_node *n = woken;
            woken = n->next;
            n->fn(n->arg); /* may free the node's owner */
        }
        if (done)
            return NULL;
        if (p->tick)
            p->tick(p->tick_arg);
        if (p->prof)
            au_profiles_wait(p->prof, gen, next_ms);
        else {
            struct timespec ts = {0, WAKER_SLICE_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(&p->mu);
    }
}

long au_http_pool_parked(au_http_pool *p)
{
    pthread_mutex_lock(&p->mu);
    long n = p->nparked;
    pthread_mutex_unlock(&p->mu);
    return n;
}

long au_http_pool_queued(au_http_pool *p)
{
    pthread_mutex_lock(&p->mu);
    long n = p->nqueued;
    pthread_mutex_unlock(&p->mu);
    return n;
}

au_http_pool *au_http_pool_new(int nworkers, au_profiles *prof, _Atomic int *stopping,
                               au_http_fn tick, void *tick_arg)
{
    au_http_pool *p = au_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    p->prof = prof;
    p->stopping = stopping;
    p->tick = tick;
    p->tick_arg = tick_arg;
    if (nworkers < 1)
        nworkers = 1;
    if (nworkers > MAX_WORKERS)
        nworkers = MAX_WORKERS;
    if (pthread_create(&p->waker, NULL, waker_main, p) != 0) {
        pthread_cond_destroy(&p->work);
        pthread_mutex_destroy(&p->mu);
        au_free(p);
        return NULL;
    }
    while (p->nworkers < nworkers &&
           pthread_create(&p->workers[p->nworkers], NULL, worker_main, p) == 0)
        p->nworkers++;
    if (p->nworkers < nworkers) {
        au_http_pool_free(p);
        return NULL;
    }
    return p;
}

void au_http_pool_stop(au_http_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int again = p->closing;
    p->closing = 1;
    pthread_mutex_unlock(&p->mu);
    if (again)
        return;
    /* The waker wakes the parked first: a woken long-poll becomes a job the workers still run. */
    pthread_join(p->waker, NULL);
    pthread_mutex_lock(&p->mu);
    p->draining = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nworkers; i++)
        pthread_join(p->workers[i], NULL);
    pthread_mutex_lock(&p->mu);
    p->drained = 1;
    pthread_mutex_unlock(&p->mu);
}

void au_http_pool_free(au_http_pool *p)
{
    if (!p)
        return;
    au_http_pool_stop(p);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->mu);
    au_free(p);
}
