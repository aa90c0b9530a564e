/*
 * `aurum sink`: runs the stand-in target system (src/flows/sink.h) until SIGINT/SIGTERM,
 * printing every request it receives as one JSON line, so flows can be tried without the
 * systems they will talk to.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "flows/sink.h"

static const char usage[] =
    "usage: aurum sink [--listen ADDR:PORT] [--out FILE]\n"
    "\n"
    "Accepts every HTTP request on ADDR:PORT (default 127.0.0.1:9090), answers 200 and appends\n"
    "it as a JSON line (time, method, path, flow headers, body) to FILE (default stdout).\n"
    "Point a flow's http step at it to see what the flow sends.\n";

static int run(int argc, char **argv)
{
    const char *listen = "127.0.0.1:9090", *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            path = argv[++i];
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    FILE *out = path ? fopen(path, "a") : stdout;
    if (!out) {
        perror(path);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the server thread inherits the mask */
    au_sink *sink = NULL;
    au_err err;
    au_err_init(&err);
    if (au_sink_start(listen, out, &sink, &err)) {
        fprintf(stderr, "aurum sink: %s\n", err.message);
        if (path)
            fclose(out);
        return 1;
    }
    fprintf(stderr, "aurum sink: listening on port %d\n", au_sink_port(sink));
    int sig;
    sigwait(&set, &sig);
    fprintf(stderr, "aurum sink: %ld requests received\n", au_sink_count(sink));
    au_sink_free(sink);
    if (path)
        fclose(out);
    return 0;
}

const au_cli_command au_cli_sink = {"sink", run, "a stand-in target that records what flows send",
                                    usage};
