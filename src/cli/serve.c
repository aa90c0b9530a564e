/*
 * `aurum serve`: the daemon. Loads the configuration, takes the data-directory lock, opens the
 * engine, makes sure an admin key exists, serves HTTP and waits for SIGTERM/SIGINT in the main
 * thread (sigwait; the signals are blocked in every other thread). Shutdown is graceful: stop
 * accepting, let requests in flight answer, stop HTTP, then close the engine, which drains and
 * commits its queue.
 */
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "app/compose.h"
#include "audit/audit.h"
#include "bus/bus.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/keys.h"
#include "flows/flows.h"
#include "inbound/inbound.h"
#include "lib/alloc.h"
#include "lib/lockfile.h"
#include "lib/log.h"

typedef struct serve_opts {
    const char *config, *data, *store, *listen, *port_file, *tls_cert, *tls_key;
} serve_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(serve_opts, config), "FILE",
               "YAML configuration (see 'aurum help config')"),
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(serve_opts, data), "DIR",
               "data directory, created when missing (overrides data_dir)"),
    AU_ARG_ROW("--store", AU_ARG_STR, offsetof(serve_opts, store), "LOCATION",
               "store location, e.g. postgres://user@host:5432/db (overrides store; default: "
               "the SQLite store in DIR)"),
    AU_ARG_ROW("--listen", AU_ARG_STR, offsetof(serve_opts, listen), "ADDR:PORT",
               "listen address, port 0 picks a free port (overrides listen)"),
    AU_ARG_ROW("--port-file", AU_ARG_STR, offsetof(serve_opts, port_file), "FILE",
               "write the bound port to FILE once listening"),
    AU_ARG_ROW("--tls-cert", AU_ARG_STR, offsetof(serve_opts, tls_cert), "FILE",
               "PEM certificate: serve HTTPS (with --tls-key; overrides tls_cert)"),
    AU_ARG_ROW("--tls-key", AU_ARG_STR, offsetof(serve_opts, tls_key), "FILE",
               "PEM private key of the certificate (overrides tls_key)"),
};

static const au_args_spec spec = {
    .prog = "aurum serve",
    .about = "Runs the daemon: HTTP API on ADDR:PORT, embedded store in DIR.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .notes = "Environment: AURUM_ADMIN_KEY registers that token as an admin key; without it the "
             "first\nstart creates one and writes it to DIR/admin.key (mode 0600).\n"
             "Stops gracefully on SIGTERM or SIGINT; SIGHUP reloads the flows of the "
             "configuration.\nRoutes: 'aurum help api'. Configuration: 'aurum help config'. "
             "Limits, TLS and\nwhat is defended: docs/SECURITY.md.\n",
};

/* Written to a temporary name and renamed so a reader never sees a partial port number. */
static au_rc write_port_file(const char *path, int port, au_err *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        return au_err_set(err, AU_ERR_IO, "cannot write the port file %s", path);
    return AU_OK;
}

/* --tls-cert / --tls-key replace the configuration's files. */
static au_rc tls_override(au_config *cfg, const serve_opts *o, au_err *err)
{
    const char *given[2] = {o->tls_cert, o->tls_key};
    char **field[2] = {&cfg->tls_cert, &cfg->tls_key};
    for (int i = 0; i < 2; i++) {
        char *copy;
        if (!given[i])
            continue;
        if (!(copy = au_strdup(given[i])))
            return au_err_set(err, AU_ERR_NOMEM, "out of memory");
        au_free(*field[i]);
        *field[i] = copy;
    }
    return AU_OK;
}

/* SIGHUP re-reads the configuration file's flows (the rest of the configuration needs a
 * restart); an invalid file leaves the running flows as they were. */
static void reload_flows(const char *path, au_engine *engine)
{
    au_config *cfg = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_config_load(path, &cfg, &err);
    if (!rc)
        rc = au_flows_reload(au_flows_of(engine), cfg, &err);
    if (rc)
        au_log(AU_LOG_ERROR, "flows not reloaded", "error", err.message, NULL);
    au_config_free(cfg);
    au_err_cleanup(&err);
}

/* A crash writes what it was and where to stderr (the log) before the default action ends the
 * process: a crash seen once, where no core survives, is still diagnosable (the frames are
 * binary+offset, for addr2line -e build/aurum). Only async-signal-safe calls: write and
 * backtrace_symbols_fd; backtrace itself was called once at start-up, so it does not load
 * libgcc in the handler. Under ASan its own handler reports better, so this one stays out. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
static void on_crash(int sig)
{
    static const char head[] = "aurum serve: fatal signal, backtrace:\n";
    void *frames[64];
    ssize_t w = write(STDERR_FILENO, head, sizeof(head) - 1);
    (void)w;
    backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

static void report_crashes(void)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    void *warm[1];
    (void)backtrace(warm, 1);
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        signal(fatal[i], on_crash);
#endif
}

static void wait_for_stop_signal(const sigset_t *set, const char *config, au_engine *engine)
{
    int sig = 0;
    for (;;) {
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        reload_flows(config, engine);
    }
    au_log(AU_LOG_INFO, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
}

static int run(int argc, char **argv)
{
    serve_opts o = {0};
    au_config *cfg = NULL;
    au_engine *engine = NULL;
    au_keys *keys = NULL;
    au_api *api = NULL;
    int lock = -1, port = 0, status = 1;
    const char *dir = NULL, *store = NULL, *listen = NULL;
    char created[4096], addr[300];
    au_err err;
    au_err_init(&err);
    int npos, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    /* Blocked before any thread starts so that only sigwait below ever receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    report_crashes();

    au_rc rc = au_config_load(o.config, &cfg, &err);
    if (rc)
        goto out;
    au_config_apply_logging(cfg);
    if ((rc = tls_override(cfg, &o, &err)))
        goto out;
    dir = o.data ? o.data : cfg->data_dir;
    store = o.store ? o.store : cfg->store && *cfg->store ? cfg->store : dir;
    listen = o.listen ? o.listen : cfg->listen;
    if ((rc = au_keys_init())) {
        au_err_set(&err, rc, "cannot initialise libsodium");
        goto out;
    }
    if ((rc = au_lockfile_acquire(dir, &lock, &err)))
        goto out;
    if ((rc = au_app_engine_open_at(cfg, store, dir, &engine, &err)))
        goto out;
    if ((rc = au_keys_bootstrap(engine, dir, getenv("AURUM_ADMIN_KEY"), created, sizeof(created),
                                &err)))
        goto out;
    if (created[0])
        fprintf(stderr, "aurum serve: created an admin API key in %s\n", created);
    if ((rc = au_keys_new(engine, &keys)))
        goto out;
    if ((rc = au_flows_start(au_flows_of(engine), &err)))
        goto out;
    if ((rc = au_inbound_start(au_inbound_of(engine), &err)))
        goto out;
    if ((rc = au_audit_start(engine, &err)))
        goto out;
    if ((rc = au_bus_start(au_bus_of(engine), &err)))
        goto out;
    if ((rc = au_api_start(cfg, engine, keys, listen, &api, &port, &err)))
        goto out;
    const char *colon = strrchr(listen, ':');
    snprintf(addr, sizeof(addr), "%.*s:%d", (int)(colon - listen), listen, port);
    au_log(AU_LOG_INFO, "listening", "addr", addr, "data", dir, NULL);
    if (o.port_file && (rc = write_port_file(o.port_file, port, &err)))
        goto out;
    wait_for_stop_signal(&set, o.config, engine);
    status = 0;
out:
    if (rc) {
        au_log(AU_LOG_ERROR, "cannot serve", "error",
               err.message[0] ? err.message : au_rc_message(rc), NULL);
        fprintf(stderr, "aurum serve: %s\n", err.message[0] ? err.message : au_rc_message(rc));
    }
    /* connectors first: a request waiting for a sync (POST .../sync?wait) is answered at once
     * instead of holding the HTTP shutdown for up to its wait */
    if (engine)
        au_inbound_stop(au_inbound_of(engine));
    au_api_stop(api);
    if (engine)
        au_bus_stop(au_bus_of(engine)); /* it writes watermarks through the engine */
    if (engine)
        au_flows_stop(au_flows_of(engine));
    if (engine)
        au_audit_stop(engine); /* queued read entries are appended before the store closes */
    au_keys_free(keys);
    au_engine_close(engine);
    au_lockfile_release(lock);
    if (!rc)
        au_log(AU_LOG_INFO, "stopped", NULL);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return rc ? 1 : status;
}

const au_cli_command au_cli_serve = {"serve", run, "run the daemon (HTTP API, embedded store)",
                                     NULL, &spec};
