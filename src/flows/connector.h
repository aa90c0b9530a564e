/*
 * The connector method table: every kind of flow step (http, file, upsert_record, postgres,
 * nats) is one const struct au_connector, registered by one line in connectors.c. A connector
 * declares its options in a table (name, type, required, default, bounds, help) from which the
 * flow validator checks and compiles a step's configuration with line/column errors, and the
 * option reference in docs/FLOWS.md is written; validate() adds the checks a table cannot say.
 * Delivery is three-way, as in Fluent Bit's FLB_OUTPUT_RETURN: OK, RETRY (the engine backs off
 * and tries again, honouring a delay the target asked for) or FAIL (dead letter). Connectors
 * never sleep or retry themselves: the engine owns backoff, dead letters and replay.
 */
#ifndef AU_CONNECTOR_H
#define AU_CONNECTOR_H

#include <jansson.h>
#include <stdint.h>

#include "lib/opts.h"
#include "lib/rc.h"

/* Outcome of one delivery attempt. */
typedef enum au_deliver_status {
    AU_DELIVER_OK = 0,    /* delivered; the run step is done */
    AU_DELIVER_RETRY = 1, /* transient failure; try again later */
    AU_DELIVER_FAIL = 2   /* permanent failure; do not retry (dead letter) */
} au_deliver_status;

/* What happened, for the engine and the run history. */
typedef struct au_delivery {
    au_deliver_status status; /* the three-way result */
    long retry_after_ms;      /* delay the target asked for (HTTP Retry-After), -1 if none */
    int http_status;          /* response status for http, 0 when none */
    char message[256];        /* human-readable reason, empty on success */
} au_delivery;

/* A connector option is a declared option (lib/opts.h), written in the connector tables as
 * AU_CONNECTOR_OPT(name, type, required, default, min, max, help): STRING, INT (within min..max),
 * BOOL, STRINGS (a list; a single string is a list of one), TEMPLATE (a string with {{ expr }}
 * parts, rendered for each run) or MAPPING (an object whose strings are templates). The default
 * is written as in YAML ("10000", "POST"). */
typedef au_opt au_connector_option;
/* One row of a connector table: AU_CONNECTOR_OPT("timeout_ms", AU_OPT_INT, 0, "10000", 1, 300000,
 * "whole-request time limit"); the table ends with {0}. */
#define AU_CONNECTOR_OPT(name_, type_, required_, def_, min_, max_, help_)                         \
    {                                                                                              \
        .name = (name_), .type = (type_), .required = (required_), .def = (def_), .min = (min_),   \
        .max = (max_), .help = (help_)                                                             \
    }

struct au_flow_step;
struct au_engine;

/* What the daemon gives connectors that write back into Aurum (upsert_record). */
typedef struct au_connector_env {
    struct au_engine *engine; /* the running engine, borrowed */
    const char *flow;         /* name of the flow the step belongs to, borrowed */
} au_connector_env;

/* A kind of flow step. Slots may be NULL where noted. */
typedef struct au_connector {
    const char *name;                   /* step key in flow definitions, e.g. "http" */
    const char *help;                   /* one line for the reference */
    const au_connector_option *options; /* declared options, ended by {NULL} */
    /* Checks beyond the option table on the validated configuration (defaults filled).
     * NULL if none. Fills err with a message naming the option. */
    au_rc (*validate)(const json_t *config, au_err *err);
    /* Creates per-step state (connections, handles) before the first send; *state may stay
     * NULL. NULL slot: the connector cannot deliver yet (validation only). On failure the
     * delivery is retried (prepare runs again next time), except for AU_ERR_INVALID and
     * AU_ERR_FORBIDDEN, which say the step can never work as configured: it fails for good
     * (dead letter, replayable once fixed) with err's message. */
    au_rc (*prepare)(const struct au_flow_step *step, void **state, au_err *err);
    /* Delivers one run of the step for context ctx; fills out. Must not crash or block
     * longer than the step's own timeout. */
    void (*send)(void *state, const struct au_flow_step *step, const json_t *ctx, int64_t now_ms,
                 au_delivery *out);
    /* Like prepare, for connectors that need the daemon (env); used instead of prepare when
     * set. NULL for most connectors. */
    au_rc (*prepare_env)(const struct au_flow_step *step, const au_connector_env *env, void **state,
                         au_err *err);
    /* Optional non-blocking delivery through the engine's libcurl multi handle (http). start()
     * renders the request for ctx and sets *easy to a configured CURL easy handle, which the
     * engine adds to its multi handle and drives with many others at once, and *xfer to what
     * finish() needs; it returns non-zero with out filled when there is nothing to transfer.
     * finish() is called once with the transfer's CURLcode after the engine removed the handle
     * from its multi handle; it fills out (as send would) and frees xfer. Both NULL: the engine
     * calls send on a worker thread. */
    int (*start)(void *state, const struct au_flow_step *step, const json_t *ctx, int64_t now_ms,
                 void **xfer, void **easy, au_delivery *out);
    void (*finish)(void *xfer, int curl_code, au_delivery *out);
    /* Releases what prepare created. NULL slot: nothing to release. */
    void (*close)(void *state);
} au_connector;

/* The connector named `name`, or NULL. */
const au_connector *au_connector_find(const char *name);
/* All registered connectors, ended by NULL. */
const au_connector *const *au_connector_list(void);

/* Helpers for connectors: set out to a result with a printf message. */
void au_delivery_set(au_delivery *out, au_deliver_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
