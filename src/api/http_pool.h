/*
 * The request workers and the waiting room of the HTTP server (src/api/http.c).
 *
 * libmicrohttpd's own threads (a small pool, one epoll loop each) only move bytes: they read
 * headers and bodies, check keys, answer /healthz and refused requests, and write responses.
 * A handler that may block (a store read, a write waiting for the group commit) runs on one of
 * a fixed number of worker threads while its connection is suspended, so a slow request never
 * holds an event loop and a connection that sends nothing holds no thread at all.
 *
 * A request with nothing to say yet (a long-poll on the change feed, an idle Server-Sent
 * Events stream) is parked: its connection stays suspended and no thread waits for it. One
 * waker thread wakes it when the change feed moves, when its time is up, when its client hangs
 * up (MHD does not watch a suspended socket, so the waker polls it) or when the server stops.
 */
#ifndef AU_API_HTTP_POOL_H
#define AU_API_HTTP_POOL_H

#include <microhttpd.h>
#include <stdint.h>

#include "api/api_int.h"
#include "profile/profiles.h"

typedef struct au_http_pool au_http_pool;

/* Work for a worker, or what the waker calls when a parked request wakes. */
typedef void (*au_http_fn)(void *arg);

/* One queued job or one parked request. The caller embeds it in its per-request state, so
 * queueing and parking never allocate; a node is in at most one list at a time. */
typedef struct au_http_node {
    struct au_http_node *next;   /* list link, owned by the pool while queued or parked */
    au_http_fn fn;               /* run on a worker (queued) or on the waker (parked) */
    void *arg;                   /* passed to fn */
    struct MHD_Connection *conn; /* parked: the suspended connection whose socket is watched */
    au_wait wait;                /* parked: what wakes it */
} au_http_node;

/* Starts `nworkers` workers and the waker; parked requests wake on prof's generation. *stopping
 * is the server's flag, read by the waker. tick(tick_arg), when set, is called on the waker
 * thread about every WAKER_SLICE_MS (200 ms): the server's header deadline. NULL when threads
 * cannot be started. */
au_http_pool *au_http_pool_new(int nworkers, au_profiles *prof, _Atomic int *stopping,
                               au_http_fn tick, void *tick_arg);
/* Wakes every parked request, lets the workers finish every queued job and joins all threads.
 * Afterwards parking is refused and a queued job runs on the caller's thread, so no connection
 * stays suspended (MHD_stop_daemon requires it). */
void au_http_pool_stop(au_http_pool *p);
/* Stops the pool if needed and frees it: only once MHD has stopped. NULL is a no-op. */
void au_http_pool_free(au_http_pool *p);

/* Queues fn(arg) for a worker, through the caller's node. */
void au_http_pool_run(au_http_pool *p, au_http_node *n, au_http_fn fn, void *arg);
/* Parks a request: fn(arg) is called once, on the waker thread, when the generation is no
 * longer n->wait.gen, n->wait.until_ms has passed, conn's client left or the server stops.
 * Returns 0 when parked; -1 when it should run again at once instead (the generation already
 * moved, or the server is stopping): then nothing was parked and fn is not called. */
int au_http_pool_park(au_http_pool *p, au_http_node *n, struct MHD_Connection *conn,
                      const au_wait *w, au_http_fn fn, void *arg);

/* Requests parked now, and jobs waiting for a worker (for /metrics). */
long au_http_pool_parked(au_http_pool *p);
long au_http_pool_queued(au_http_pool *p);

#endif
