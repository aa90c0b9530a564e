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

typedef struct sink_opts {
    const char *listen, *out;
} sink_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--listen", AU_ARG_STR, offsetof(sink_opts, listen), "ADDR:PORT",
               "where to listen (default 127.0.0.1:9090)"),
    AU_ARG_ROW("--out", AU_ARG_STR, offsetof(sink_opts, out), "FILE",
               "append the requests to FILE (default stdout)"),
};

static const au_args_spec spec = {
    .prog = "aurum sink",
    .about = "Accepts every HTTP request on ADDR:PORT, answers 200 and appends it as a JSON line "
             "(time,\nmethod, path, flow headers, body) to FILE. Point a flow's http step at it "
             "to see what\nthe flow sends. Stops on SIGINT or SIGTERM.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
};

static int run(int argc, char **argv)
{
    sink_opts o = {"127.0.0.1:9090", NULL};
    int npos, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    const char *listen = o.listen, *path = o.out;
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
                                    NULL, &spec};
