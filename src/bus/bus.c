/*
 * The bus module's state (bus.h): the engine hook that holds it and wakes the publisher after
 * every commit, the declared `bus:` section, the status of GET /v1/bus, the aurum_bus_*
 * metrics and the help. The publishing itself is publish.c.
 */
#include <stddef.h>
#include <string.h>

#include "bus/bus_int.h"
#include "core/config.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/opts.h"
#include "store/store.h"

/* The `bus:` section, declared once: parsing, `aurum help bus` and docs/CONFIG.md. */
static const au_opt bus_opts[] = {
    AU_OPT_ROW("enabled", AU_OPT_BOOL, offsetof(au_bus_config, enabled), "BOOL",
               "publish with `aurum serve` (off: the section is only checked)", .def = "false"),
    AU_OPT_ROW("url", AU_OPT_STRING, offsetof(au_bus_config, url), "URL",
               "nats:// or tls:// server URL, or several separated by commas",
               .def = "nats://127.0.0.1:4222"),
    AU_OPT_ROW("stream", AU_OPT_STRING, offsetof(au_bus_config, stream), "NAME",
               "the JetStream stream holding the subjects", .def = "AURUM"),
    AU_OPT_ROW("subject_prefix", AU_OPT_STRING, offsetof(au_bus_config, prefix), "PREFIX",
               "subjects are PREFIX.profiles.changed and PREFIX.events.TYPE", .def = "aurum"),
    AU_OPT_ROW("changes", AU_OPT_BOOL, offsetof(au_bus_config, changes), "BOOL",
               "publish the change feed (merges, splits, updates of profiles)", .def = "true"),
    AU_OPT_ROW("events", AU_OPT_BOOL, offsetof(au_bus_config, events), "BOOL",
               "publish the business events", .def = "true"),
    AU_OPT_ROW("create_stream", AU_OPT_BOOL, offsetof(au_bus_config, create_stream), "BOOL",
               "create the stream on PREFIX.> (file storage) when it does not exist",
               .def = "true"),
    AU_OPT_ROW("batch", AU_OPT_INT, offsetof(au_bus_config, batch), "N",
               "messages published between two watermark writes", .def = "256", .min = 1,
               .max = 10000),
    AU_OPT_ROW("timeout_ms", AU_OPT_INT, offsetof(au_bus_config, timeout_ms), "MS",
               "connect and acknowledgement wait", .def = "5000", .min = 100, .max = 300000),
    AU_OPT_ROW("duplicate_window_s", AU_OPT_INT, offsetof(au_bus_config, duplicate_window_s), "S",
               "duplicate window of a stream Aurum creates: a resend within it is dropped",
               .def = "600", .min = 1, .max = 604800),
};
#define NOPTS (sizeof(bus_opts) / sizeof(bus_opts[0]))

/* A subject prefix and a stream name are single NATS tokens (no wildcards, no spaces). */
static au_rc check_names(const au_bus_config *c, au_err *err)
{
    if (!c->stream[0] || strpbrk(c->stream, ". *>\t"))
        return au_err_set(err, AU_ERR_INVALID,
                          "bus.stream: a name without '.', '*', '>' or spaces, got '%.60s'",
                          c->stream);
    if (!c->prefix[0] || strpbrk(c->prefix, " *>\t") || c->prefix[0] == '.' ||
        c->prefix[strlen(c->prefix) - 1] == '.')
        return au_err_set(err, AU_ERR_INVALID,
                          "bus.subject_prefix: subject tokens without '*', '>' or spaces, "
                          "got '%.60s'",
                          c->prefix);
    if (strncmp(c->url, "nats://", 7) && strncmp(c->url, "tls://", 6))
        return au_err_set(err, AU_ERR_INVALID, "bus.url: must start with nats:// or tls://");
    return AU_OK;
}

/* Fills c from the configuration's `bus:` section (defaults when absent); errors name the
 * file, line and column. */
static au_rc read_section(const au_config *cfg, au_bus_config *c, au_err *err)
{
    unsigned line = 0, col = 0;
    au_rc rc = au_opts_defaults(bus_opts, NOPTS, c, AU_OPT_COPY, err);
    if (!rc && cfg)
        rc = au_opts_from_yaml(bus_opts, NOPTS, au_config_node(cfg, "bus"), "bus", c, AU_OPT_COPY,
                               &line, &col, err);
    if (rc && rc != AU_ERR_NOMEM) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        return au_err_set(err, rc, "%s:%u:%u: %s", au_config_path(cfg), line, col, msg);
    }
    return rc ? rc : check_names(c, err);
}

static void bus_free(au_bus *b)
{
    if (!b)
        return;
    au_opts_cleanup(bus_opts, NOPTS, &b->cfg);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    au_free(b);
}

static au_rc hook_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    au_bus *b = au_calloc(1, sizeof *b);
    if (!b)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    b->engine = e;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    au_rc rc = read_section(au_engine_config(e), &b->cfg, err);
    if (rc) {
        bus_free(b);
        return rc;
    }
    *state = b;
    return AU_OK;
}

static void hook_close(void *state)
{
    au_bus_stop(state);
    bus_free(state);
}

/* Writer thread, after every commit: wake the publisher (new changes or events may be there). */
static void hook_committed(void *state)
{
    au_bus *b = state;
    pthread_mutex_lock(&b->mu);
    b->gen++;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

const au_engine_hook au_bus_hook = {
    .name = "bus",
    .open = hook_open,
    .close = hook_close,
    .committed = hook_committed,
};

au_bus *au_bus_of(au_engine *e)
{
    return au_engine_hook_state(e, "bus");
}

/* --- the thread's lifecycle --------------------------------------------------------------- */

au_rc au_bus_start(au_bus *b, au_err *err)
{
    if (!b || !b->cfg.enabled || b->running)
        return AU_OK; /* running is only written by this thread (start, stop) */
    b->stop = 0;
    if (pthread_create(&b->thread, NULL, au_bus_publisher, b) != 0)
        return au_err_set(err, AU_ERR_IO, "cannot start the bus publisher thread");
    pthread_mutex_lock(&b->mu);
    b->running = 1; /* under mu: GET /v1/bus reads it */
    pthread_mutex_unlock(&b->mu);
    au_log(AU_LOG_INFO, "bus publishing", "url", b->cfg.url, "stream", b->cfg.stream, NULL);
    return AU_OK;
}

void au_bus_stop(au_bus *b)
{
    if (!b || !b->running)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    pthread_mutex_lock(&b->mu);
    b->running = 0;
    pthread_mutex_unlock(&b->mu);
}

int au_bus_stopping(au_bus *b)
{
    pthread_mutex_lock(&b->mu);
    int s = b->stop;
    pthread_mutex_unlock(&b->mu);
    return s;
}

uint64_t au_bus_gen(au_bus *b)
{
    pthread_mutex_lock(&b->mu);
    uint64_t g = b->gen;
    pthread_mutex_unlock(&b->mu);
    return g;
}

void au_bus_wait(au_bus *b, const uint64_t *gen, int64_t ms)
{
    struct timespec until = au_timespec_of_ms(au_wall_ms() + ms);
    pthread_mutex_lock(&b->mu);
    while (!b->stop && (!gen || b->gen == *gen))
        if (pthread_cond_timedwait(&b->cv, &b->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&b->mu);
}

void au_bus_note_error(au_bus *b, const char *what)
{
    pthread_mutex_lock(&b->mu);
    int again = strcmp(b->last_error, what) == 0;
    snprintf(b->last_error, sizeof b->last_error, "%s", what);
    b->last_error_ms = au_wall_ms();
    b->errors++;
    b->connected = 0;
    pthread_mutex_unlock(&b->mu);
    if (!again) /* a server that stays down is logged once, not every retry */
        au_log(AU_LOG_WARN, "bus publishing failed", "error", what, NULL);
}

/* --- status and metrics ------------------------------------------------------------------- */

/* The newest change-feed and event positions, read with a reader handle. */
static au_rc heads(au_bus *b, int64_t *changes, int64_t *events)
{
    *changes = *events = 0;
    au_store *st = au_engine_reader(b->engine);
    if (!st)
        return AU_ERR_BUSY;
    au_rc rc = au_store_change_last(st, changes);
    if (!rc)
        rc = au_store_bus_event_last(st, events);
    au_engine_reader_release(b->engine, st);
    return rc;
}

static json_t *feed_json(const au_bus_feed *f, int64_t head, int on)
{
    int64_t lag = on && head > f->wm ? head - f->wm : 0;
    return json_pack("{s:b, s:I, s:I, s:I, s:I}", "enabled", on, "published_seq", (json_int_t)f->wm,
                     "head_seq", (json_int_t)head, "lag", (json_int_t)lag, "published",
                     (json_int_t)f->published);
}

au_rc au_bus_status(au_bus *b, json_t **out, au_err *err)
{
    int64_t hc = 0, he = 0;
    char changes[300], events[300];
    if (!b)
        return au_err_set(err, AU_ERR_NOT_FOUND, "the bus is not part of this engine");
    au_rc rc = heads(b, &hc, &he);
    if (rc)
        return au_err_set(err, rc, "cannot read the feeds' positions");
    snprintf(changes, sizeof changes, "%s.profiles.changed", b->cfg.prefix);
    snprintf(events, sizeof events, "%s.events.TYPE", b->cfg.prefix);
    pthread_mutex_lock(&b->mu);
    *out =
        json_pack("{s:b, s:s, s:s, s:{s:s, s:s}, s:b, s:b, s:o, s:o, s:I, s:I, s:s, s:I, s:I}",
                  "enabled", b->cfg.enabled, "url", b->cfg.url, "stream", b->cfg.stream, "subjects",
                  "changes", changes, "events", events, "running", b->running, "connected",
                  b->connected, "changes", feed_json(&b->changes, hc, b->cfg.changes), "events",
                  feed_json(&b->events, he, b->cfg.events), "duplicates", (json_int_t)b->duplicates,
                  "errors", (json_int_t)b->errors, "last_error", b->last_error, "last_error_ms",
                  (json_int_t)b->last_error_ms, "last_publish_ms", (json_int_t)b->last_publish_ms);
    pthread_mutex_unlock(&b->mu);
    return *out ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

au_rc au_bus_metrics(au_bus *b, au_buf *out)
{
    int64_t hc = 0, he = 0;
    if (!b || !b->cfg.enabled)
        return AU_OK;
    au_rc rc = heads(b, &hc, &he);
    if (rc)
        return rc;
    pthread_mutex_lock(&b->mu);
    int64_t lc = b->cfg.changes && hc > b->changes.wm ? hc - b->changes.wm : 0;
    int64_t le = b->cfg.events && he > b->events.wm ? he - b->events.wm : 0;
    rc = au_buf_printf(
        out,
        "# HELP aurum_bus_published_total Messages the JetStream stream acknowledged, by feed.\n"
        "# TYPE aurum_bus_published_total counter\n"
        "aurum_bus_published_total{feed=\"changes\"} %ld\n"
        "aurum_bus_published_total{feed=\"events\"} %ld\n"
        "# HELP aurum_bus_duplicates_total Acknowledgements of resends the stream dropped.\n"
        "# TYPE aurum_bus_duplicates_total counter\naurum_bus_duplicates_total %ld\n"
        "# HELP aurum_bus_errors_total Failed connects, publishes and reads of the publisher.\n"
        "# TYPE aurum_bus_errors_total counter\naurum_bus_errors_total %ld\n"
        "# HELP aurum_bus_lag Entries stored but not yet acknowledged by the stream, by feed.\n"
        "# TYPE aurum_bus_lag gauge\naurum_bus_lag{feed=\"changes\"} %lld\n"
        "aurum_bus_lag{feed=\"events\"} %lld\n"
        "# HELP aurum_bus_connected 1 while the publisher is connected to NATS.\n"
        "# TYPE aurum_bus_connected gauge\naurum_bus_connected %d\n",
        b->changes.published, b->events.published, b->duplicates, b->errors, (long long)lc,
        (long long)le, b->connected);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* --- help --------------------------------------------------------------------------------- */

au_rc au_bus_options_markdown(au_buf *out)
{
    return au_opts_markdown(bus_opts, NOPTS, out);
}

void au_bus_print_help(FILE *f)
{
    char type[64];
    fputs("The bus: profile changes and business events published to NATS JetStream\n"
          "(docs/BUS.md). With `bus: {enabled: true}` `aurum serve` publishes\n"
          "  PREFIX.profiles.changed   every change-feed entry (as GET /v1/changes shows it),\n"
          "                            message id change:SEQ\n"
          "  PREFIX.events.TYPE        every stored event, message id event:SOURCE:ID\n"
          "and waits for the stream's acknowledgement; the watermark of each feed is stored\n"
          "after it, so a restart resumes without loss and JetStream's duplicate window drops\n"
          "resends. GET /v1/bus shows the state; /metrics has aurum_bus_*.\n\n"
          "Options of the `bus:` section:\n\n",
          f);
    for (size_t i = 0; i < NOPTS; i++) {
        au_opt_type_text(&bus_opts[i], type, sizeof type);
        fprintf(f, "  %-20s %s, default %s\n      %s\n", bus_opts[i].name, type, bus_opts[i].def,
                bus_opts[i].help);
    }
    fputs("\nExample:\n\n  bus:\n    enabled: true\n    url: nats://127.0.0.1:4222\n"
          "    stream: AURUM\n    subject_prefix: aurum\n",
          f);
}
