/*
 * Entry point: dispatches to the subcommand named by argv[1] and implements `aurum help`.
 * What every subcommand shares lives here, once: --log-format (taken out of argv before the
 * command sees it), -h/--help for commands without a declared option table, `aurum --version`
 * as `aurum version`, and the help topics.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "lib/runtime.h"
#include "lib/log.h"

static const au_cli_command *const commands[] = {
    &au_cli_serve,   &au_cli_import,  &au_cli_gen,         &au_cli_keys,
    &au_cli_version, &au_cli_train,   &au_cli_clusters,    &au_cli_eval,
    &au_cli_explain, &au_cli_quality, &au_cli_renormalize, &au_cli_sink,
    &au_cli_secrets, &au_cli_erase,   &au_cli_export,      &au_cli_audit,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_overview(FILE *f)
{
    fprintf(f, "usage: aurum COMMAND [options]\n       aurum help [COMMAND|TOPIC]\n\n"
               "Aurum, the customer data integration hub.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-10s %s\n", "help", "usage of a command, or a topic below");
    fprintf(f, "\nhelp topics (aurum help TOPIC):\n");
    for (const au_cli_topic *t = au_cli_topics; t->name; t++)
        fprintf(f, "  %-10s %s\n", t->name, t->summary);
    fprintf(f, "  %-10s %s\n", "api", "the HTTP routes (--markdown for docs/API.md)");
    fprintf(f,
            "\nEvery command answers --help. Every command takes --log-format text|json (default:\n"
            "text on a terminal, JSON lines otherwise; also log_format in the config).\n"
            "Documentation: README.md and docs/ (IMPORT.md, MATCHING.md, FLOWS.md, API.md,\n"
            "PRIVACY.md).\n");
}

static void print_usage(const au_cli_command *c, FILE *f)
{
    if (c->spec)
        au_args_usage(c->spec, f);
    else
        fputs(c->usage, f);
}

static const au_cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i]->name) == 0)
            return commands[i];
    return NULL;
}

static int help(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
        print_overview(stdout);
        return 0;
    }
    if (strcmp(argv[2], "api") == 0) {
        au_api_print_routes(stdout, argc > 3 && strcmp(argv[3], "--markdown") == 0);
        return 0;
    }
    for (const au_cli_topic *t = au_cli_topics; t->name; t++)
        if (strcmp(argv[2], t->name) == 0) {
            t->print(stdout);
            return 0;
        }
    const au_cli_command *c = find_command(argv[2]);
    if (c) {
        print_usage(c, stdout);
        return 0;
    }
    fprintf(stderr, "aurum: no command or help topic '%s' (see 'aurum help')\n", argv[2]);
    return 2;
}

/* Takes --log-format F / --log-format=F out of argv (wherever it is, before "--") and applies
 * it; 0, or 2 for a bad value. */
static int take_log_format(int *argc, char **argv)
{
    int n = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (strcmp(a, "--") == 0) {
            while (i < *argc)
                argv[n++] = argv[i++];
            break;
        }
        if (strncmp(a, "--log-format=", 13) == 0)
            v = a + 13;
        else if (strcmp(a, "--log-format") == 0)
            v = i + 1 < *argc ? argv[++i] : "";
        if (!v) {
            argv[n++] = argv[i];
            continue;
        }
        int f = au_log_format_from_name(v);
        if (f < 0) {
            fprintf(stderr, "aurum: --log-format: '%s' is not one of text|json\n", v);
            return 2;
        }
        au_log_set_format((au_log_format)f, AU_LOG_FROM_CLI);
    }
    *argc = n;
    argv[n] = NULL;
    return 0;
}

/* For commands that parse argv themselves: -h or --help anywhere before "--". */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (au_runtime_init()) {
        fprintf(stderr, "aurum: cannot initialise libcurl, libsodium or SQLite\n");
        return 1;
    }
    if (take_log_format(&argc, argv))
        return 2;
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0)
        return help(argc, argv);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return au_cli_version.run(1, (char *[]){"version", NULL});
    const au_cli_command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "aurum: unknown command '%s' (see 'aurum help')\n", argv[1]);
        return 2;
    }
    if (!c->spec && wants_help(argc - 1, argv + 1)) {
        print_usage(c, stdout);
        return 0;
    }
    return c->run(argc - 1, argv + 1);
}
