/*
 * The bus: Aurum's profile changes and business events published to a NATS JetStream stream,
 * so outside consumers (and other Aurum nodes) subscribe instead of long-polling. Declared by
 * the `bus:` section of the configuration (url, stream, subject prefix, enabled; docs/BUS.md).
 *
 * One publisher thread, started by `aurum serve`, follows the change feed and the stored events
 * from a watermark per feed and publishes each entry with a JetStream message id
 * (`change:<seq>` on <prefix>.profiles.changed, `event:<source>:<id>` on <prefix>.events.<type>),
 * waiting for the stream's acknowledgement. A watermark is persisted (inbound_state keys
 * "bus:changes", "bus:events", through the writer) only after the entries it covers were
 * acknowledged, so a restart or kill -9 resumes without losing anything; what was published but
 * not yet covered by a persisted watermark is sent again with the same message id, and
 * JetStream's duplicate window drops it. A nats-server that is down only delays publishing: the
 * thread reconnects with backoff and catches up from its watermark.
 *
 * The state is the engine hook "bus" (its `committed` slot wakes the publisher after every
 * commit; it does no work inside transactions), reachable with au_bus_of from API handlers.
 * au_bus_status and au_bus_metrics may be called from any thread.
 */
#ifndef AU_BUS_H
#define AU_BUS_H

#include <jansson.h>
#include <stdio.h>

#include "core/engine.h"
#include "lib/buf.h"
#include "lib/rc.h"

typedef struct au_bus au_bus;

/* The engine hook holding the publisher's state (registered in src/app/compose.c); its open
 * reads and checks the `bus:` section, so a mistake there stops the daemon at start-up. */
extern const au_engine_hook au_bus_hook;
/* The bus of an engine opened with au_bus_hook, NULL otherwise. */
au_bus *au_bus_of(au_engine *e);

/* Starts the publisher thread when the section says `enabled: true` (else does nothing). */
AU_MUST_USE au_rc au_bus_start(au_bus *b, au_err *err);
/* Stops the publisher (a publish in progress ends within its timeout); b NULL: no-op. Call
 * before the engine closes: the thread writes its watermarks through the writer. */
void au_bus_stop(au_bus *b);

/* GET /v1/bus: {"enabled","url","stream","subjects","running","connected","changes":{...},
 * "events":{...},"duplicates","errors","last_error","last_error_ms","last_publish_ms"}; each
 * feed {"enabled","published_seq","head_seq","lag","published"}. *out is a new reference. */
AU_MUST_USE au_rc au_bus_status(au_bus *b, json_t **out, au_err *err);
/* Appends aurum_bus_* (Prometheus text): published, duplicates, errors, lag, connected. */
AU_MUST_USE au_rc au_bus_metrics(au_bus *b, au_buf *out);

/* `aurum help bus`: what is published, the section's options and an example. */
void au_bus_print_help(FILE *f);
/* The section's options as a Markdown table (docs/CONFIG.md, scripts/opts-doc.sh). */
AU_MUST_USE au_rc au_bus_options_markdown(au_buf *out);

#endif
