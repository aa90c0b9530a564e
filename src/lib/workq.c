/*
 * The ordered work queue (workq.h): a ring of `depth` slots. Three counters walk it: `head`
 * (oldest item not popped), `claim` (next item no worker took yet) and `tail` (next free slot);
 * head <= claim <= tail, tail - head <= depth. Workers take items in push order but may finish
 * them in any order; pop waits for the slot at head to be marked done, which is what restores
 * the order.
 */
#include "lib/workq.h"

#include <pthread.h>

#include "lib/alloc.h"

/* Most worker threads; more than the machine's cores only adds switching. */
#define WORKQ_MAX_WORKERS 64

typedef struct slot {
    void *item; /* pushed item, owned by the queue until popped */
    int done;   /* the worker finished it */
} slot;

struct au_workq {
    au_workq_fn fn;         /* processes an item */
    void *ctx;              /* fn's context, borrowed */
    slot *ring;             /* depth slots, owned */
    size_t depth;           /* ring size */
    size_t head, claim;     /* oldest not popped / next not taken (monotonic, index % depth) */
    size_t tail;            /* next push (monotonic) */
    int stopping;           /* close: workers exit once nothing is left to take */
    pthread_mutex_t mu;     /* protects everything above */
    pthread_cond_t work_cv; /* workers: an item was pushed, or stopping */
    pthread_cond_t done_cv; /* popper: an item was finished */
    pthread_t threads[WORKQ_MAX_WORKERS]; /* the workers */
    int nthreads;                         /* started */
};

static void *worker_main(void *arg)
{
    au_workq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->claim == q->tail && !q->stopping)
            pthread_cond_wait(&q->work_cv, &q->mu);
        if (q->claim == q->tail)
            break; /* stopping and nothing left */
        slot *s = &q->ring[q->claim++ % q->depth];
        pthread_mutex_unlock(&q->mu);
        q->fn(q->ctx, s->item);
        pthread_mutex_lock(&q->mu);
        s->done = 1;
        /* Only the popper waits, and only for the slot at head; a broadcast also covers a
         * popper that started waiting for an older slot finished by another worker. */
        pthread_cond_broadcast(&q->done_cv);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

au_rc au_workq_open(int workers, size_t depth, au_workq_fn fn, void *ctx, au_workq **out)
{
    *out = NULL;
    if (workers < 1 || workers > WORKQ_MAX_WORKERS || depth < 1 || !fn)
        return AU_ERR_INVALID;
    au_workq *q = au_calloc(1, sizeof(*q));
    if (!q || !(q->ring = au_calloc(depth, sizeof(slot)))) {
        au_free(q);
        return AU_ERR_NOMEM;
    }
    q->fn = fn;
    q->ctx = ctx;
    q->depth = depth;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->work_cv, NULL);
    pthread_cond_init(&q->done_cv, NULL);
    for (; q->nthreads < workers; q->nthreads++) {
        if (pthread_create(&q->threads[q->nthreads], NULL, worker_main, q) != 0) {
            au_workq_close(q);
            return AU_ERR_INTERNAL;
        }
    }
    *out = q;
    return AU_OK;
}

void au_workq_close(au_workq *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->work_cv);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->nthreads; i++)
        pthread_join(q->threads[i], NULL);
    pthread_cond_destroy(&q->work_cv);
    pthread_cond_destroy(&q->done_cv);
    pthread_mutex_destroy(&q->mu);
    au_free(q->ring);
    au_free(q);
}

au_rc au_workq_push(au_workq *q, void *item)
{
    au_rc rc = AU_OK;
    pthread_mutex_lock(&q->mu);
    if (q->tail - q->head == q->depth) {
        rc = AU_ERR_BUSY;
    } else {
        slot *s = &q->ring[q->tail++ % q->depth];
        s->item = item;
        s->done = 0;
        pthread_cond_signal(&q->work_cv);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void *au_workq_pop(au_workq *q)
{
    void *item = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->head != q->tail) {
        slot *s = &q->ring[q->head % q->depth];
        while (!s->done)
            pthread_cond_wait(&q->done_cv, &q->mu);
        item = s->item;
        s->item = NULL;
        q->head++;
    }
    pthread_mutex_unlock(&q->mu);
    return item;
}

size_t au_workq_pending(au_workq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->tail - q->head;
    pthread_mutex_unlock(&q->mu);
    return n;
}

int au_workq_full(au_workq *q)
{
    return au_workq_pending(q) == q->depth;
}
