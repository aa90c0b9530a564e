/*
 * Tests of the ordered work queue (src/lib/workq.c): items come back in push order even when a
 * later one finishes first (forced with a gate, not with timing), every item is processed by
 * exactly one worker, a full queue refuses a push instead of blocking its own popper, and close
 * finishes what was pushed.
 */
#include <criterion/criterion.h>
#include <pthread.h>

#include "lib/workq.h"

typedef struct item {
    int n;         /* position in push order */
    int processed; /* times a worker ran it */
    int out;       /* n * n, set by the worker */
} item;

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int second_done; /* item 1 finished: item 0 may finish */
} gate;

static void square(void *ctx, void *p)
{
    (void)ctx;
    item *it = p;
    it->processed++;
    it->out = it->n * it->n;
}

/* Item 0 waits until item 1 is finished: the first pushed finishes last. */
static void gated(void *ctx, void *p)
{
    gate *g = ctx;
    item *it = p;
    pthread_mutex_lock(&g->mu);
    if (it->n == 0) {
        while (!g->second_done)
            pthread_cond_wait(&g->cv, &g->mu);
    } else {
        g->second_done = 1;
        pthread_cond_broadcast(&g->cv);
    }
    it->processed++;
    pthread_mutex_unlock(&g->mu);
}

Test(workq, pops_in_push_order_when_a_later_item_finishes_first)
{
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    item items[2] = {{0, 0, 0}, {1, 0, 0}};
    au_workq *q = NULL;
    cr_assert_eq(au_workq_open(2, 4, gated, &g, &q), AU_OK);
    cr_assert_eq(au_workq_push(q, &items[0]), AU_OK);
    cr_assert_eq(au_workq_push(q, &items[1]), AU_OK);
    cr_assert_eq(au_workq_pop(q), &items[0], "the first pushed, though it finished last");
    cr_assert(g.second_done);
    cr_assert_eq(au_workq_pop(q), &items[1]);
    cr_assert_null(au_workq_pop(q), "nothing pending");
    au_workq_close(q);
    cr_assert_eq(items[0].processed + items[1].processed, 2);
}

Test(workq, every_item_processed_once_and_returned_in_order)
{
    enum { N = 5000, DEPTH = 7 };
    static item items[N];
    au_workq *q = NULL;
    cr_assert_eq(au_workq_open(3, DEPTH, square, NULL, &q), AU_OK);
    int pushed = 0, popped = 0;
    while (popped < N) {
        while (pushed < N && !au_workq_full(q)) {
            items[pushed].n = pushed;
            cr_assert_eq(au_workq_push(q, &items[pushed]), AU_OK);
            pushed++;
        }
        cr_assert_leq(au_workq_pending(q), DEPTH);
        item *it = au_workq_pop(q);
        cr_assert_eq(it, &items[popped], "item %d", popped);
        cr_assert_eq(it->processed, 1);
        cr_assert_eq(it->out, popped * popped);
        popped++;
    }
    au_workq_close(q);
}

Test(workq, full_queue_refuses_a_push)
{
    item items[3] = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
    au_workq *q = NULL;
    cr_assert_eq(au_workq_open(1, 2, square, NULL, &q), AU_OK);
    cr_assert_eq(au_workq_push(q, &items[0]), AU_OK);
    cr_assert_eq(au_workq_push(q, &items[1]), AU_OK);
    cr_assert(au_workq_full(q));
    cr_assert_eq(au_workq_push(q, &items[2]), AU_ERR_BUSY, "the popper is the pusher: no wait");
    cr_assert_eq(au_workq_pop(q), &items[0]);
    cr_assert_eq(au_workq_push(q, &items[2]), AU_OK, "room again");
    au_workq_close(q); /* items 1 and 2 still pending: processed, not popped */
    cr_assert_eq(items[1].processed, 1);
    cr_assert_eq(items[2].processed, 1);
}

Test(workq, refuses_impossible_parameters)
{
    au_workq *q = (au_workq *)1;
    cr_assert_eq(au_workq_open(0, 4, square, NULL, &q), AU_ERR_INVALID);
    cr_assert_null(q);
    cr_assert_eq(au_workq_open(2, 0, square, NULL, &q), AU_ERR_INVALID);
    au_workq_close(NULL);
}
