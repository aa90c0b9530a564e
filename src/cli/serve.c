/*
 * `aurum serve`: the daemon. Loads the configuration, takes the data-directory lock, opens the
 * engine, makes sure an admin key exists, serves HTTP and waits for SIGTERM/SIGINT in the main
 * thread (sigwait; the signals are blocked in every other thread). Shutdown is graceful: stop
 * accepting, let requests in flight answer, stop HTTP, then close the engine, which drains and
 * commits its queue.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/keys.h"
#include "flows/flows.h"
#include "lib/lockfile.h"
#include "lib/log.h"

static const char usage[] =
    "usage: aurum serve [--config FILE] [--data DIR] [--listen ADDR:PORT] [--port-file FILE]\n"
    "\n"
    "Runs the daemon: HTTP API on ADDR:PORT (port 0 picks a free port), embedded store in DIR.\n"
    "  --config FILE     YAML configuration (see `aurum help config`)\n"
    "  --data DIR        data directory (overrides data_dir)\n"
    "  --listen A:P      listen address (overrides listen)\n"
    "  --port-file FILE  write the bound port to FILE once listening\n"
    "Environment: AURUM_ADMIN_KEY registers that token as an admin key; without it the first\n"
    "start creates one and writes it to DIR/admin.key (mode 0600).\n"
    "Stops gracefully on SIGTERM or SIGINT; SIGHUP reloads the flows of the configuration.\n"
    "Routes: `aurum help api`.\n";

typedef struct serve_opts {
    const char *config, *data, *listen, *port_file;
} serve_opts;

static int parse_args(int argc, char **argv, serve_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--config") == 0)
            slot = &o->config;
        else if (strcmp(argv[i], "--data") == 0)
            slot = &o->data;
        else if (strcmp(argv[i], "--listen") == 0)
            slot = &o->listen;
        else if (strcmp(argv[i], "--port-file") == 0)
            slot = &o->port_file;
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "aurum serve: unexpected argument '%s'\n%s", argv[i], usage);
            return 2;
        }
        *slot = argv[++i];
    }
    return 0;
}

static void set_log_level(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, names[i]) == 0)
            au_log_set_level((au_log_level)i);
}

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
    const char *dir = NULL, *listen = NULL;
    char created[4096], addr[300];
    au_err err;
    au_err_init(&err);
    if (parse_args(argc, argv, &o))
        return 2;
    /* Blocked before any thread starts so that only sigwait below ever receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    au_rc rc = au_config_load(o.config, &cfg, &err);
    if (rc)
        goto out;
    set_log_level(cfg->log_level);
    dir = o.data ? o.data : cfg->data_dir;
    listen = o.listen ? o.listen : cfg->listen;
    if ((rc = au_keys_init())) {
        au_err_set(&err, rc, "cannot initialise libsodium");
        goto out;
    }
    if ((rc = au_lockfile_acquire(dir, &lock, &err)))
        goto out;
    if ((rc = au_engine_open(cfg, dir, &engine, &err)))
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
    au_api_stop(api);
    if (engine)
        au_flows_stop(au_flows_of(engine));
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
                                     usage};
