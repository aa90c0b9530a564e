/*
 * The HTTP API of the daemon: libmicrohttpd (epoll event loops, handlers on a worker pool,
 * waiting long-polls and streams parked without a thread: http_pool.h) in front of the
 * engine. Every route is declared once in the table of routes.c (method, path pattern, handler,
 * required scope, summary); the router, the scope checks, the metrics labels, `aurum help api`
 * and docs/API.md all come from that table.
 */
#ifndef AU_API_H
#define AU_API_H

#include <stdio.h>

#include "core/config.h"
#include "core/engine.h"
#include "core/keys.h"
#include "core/metrics.h"
#include "lib/rc.h"

typedef struct au_api au_api;

/* Starts serving on `listen` ("ADDR:PORT", port 0 = any free port). cfg, engine and keys are
 * borrowed and must outlive the server. *port receives the bound port. */
au_rc au_api_start(const au_config *cfg, au_engine *engine, au_keys *keys, const char *listen,
                   au_api **out, int *port, au_err *err);
/* Stops accepting, lets requests in flight finish, stops the server and frees it. */
void au_api_stop(au_api *api);

/* The route reference generated from the table; markdown = 1 for docs/API.md. */
void au_api_print_routes(FILE *f, int markdown);

#endif
