/*
 * A stand-in target system for building and trying flows: an HTTP endpoint on a local port that
 * accepts every request, answers 200 and appends it as one JSON line (time, method, path, the
 * headers a flow sets, body) to a file. `aurum sink` runs it; `make demo` points the Northwind
 * flows at it so what they send is visible without the real CRM, collections or support system.
 */
#ifndef AU_SINK_H
#define AU_SINK_H

#include <stdio.h>

#include "lib/rc.h"

typedef struct au_sink au_sink;

/* Starts listening on `listen` ("127.0.0.1:9090"; port 0 picks a free one) and appends to out
 * (borrowed, must outlive the sink; each line is flushed). Caller stops it with au_sink_free. */
au_rc au_sink_start(const char *listen, FILE *out, au_sink **sink, au_err *err);
/* The port actually listened on. */
int au_sink_port(const au_sink *sink);
/* Requests recorded so far. */
long au_sink_count(au_sink *sink);
void au_sink_free(au_sink *sink);

#endif
