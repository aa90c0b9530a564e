/*
 * An ordered work queue: one thread pushes items, N worker threads process them in parallel
 * (each item by exactly one worker), and the same thread pops them back in the order it pushed
 * them, each only once processed. A parallel stage so built hands its results on exactly as the
 * sequential loop it replaces would, whatever the number of workers and whichever worker was
 * faster: the importer's batches, counts and kept messages do not depend on --workers.
 *
 * Bounded: at most `depth` items are pushed and not yet popped. Push never blocks (the pusher is
 * also the popper, a blocking push would wait for itself): when the queue is full it refuses
 * and the caller pops the oldest first.
 */
#ifndef AU_WORKQ_H
#define AU_WORKQ_H

#include <stddef.h>

#include "lib/rc.h"

typedef struct au_workq au_workq;

/* Processes one item on a worker thread. ctx is the queue's (shared by every worker: what fn
 * touches through it must be read-only or its own locking); the item belongs to fn until it
 * returns, then to the queue until popped. */
typedef void (*au_workq_fn)(void *ctx, void *item);

/* Starts `workers` (>= 1) threads; depth >= 1 bounds the items in the queue. ctx is borrowed
 * and must outlive the queue. */
AU_MUST_USE au_rc au_workq_open(int workers, size_t depth, au_workq_fn fn, void *ctx,
                                au_workq **out);
/* Stops and joins the workers. Items pushed and not popped are processed first and then lost
 * to the caller (pop them before closing to free them). NULL is a no-op. */
void au_workq_close(au_workq *q);

/* Queues item (owned by the queue until popped). AU_ERR_BUSY: the queue is full, nothing was
 * queued; pop first. */
AU_MUST_USE au_rc au_workq_push(au_workq *q, void *item);
/* The oldest item pushed and not yet popped, once processed (waits for it); NULL when none is
 * pending. Ownership returns to the caller. */
void *au_workq_pop(au_workq *q);
/* Items pushed and not yet popped. */
size_t au_workq_pending(au_workq *q);
/* Whether a push would be refused. */
int au_workq_full(au_workq *q);

#endif
