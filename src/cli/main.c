/*
 * Entry point: dispatches to the subcommand named by argv[1] and implements `aurum help`.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "core/config.h"

static const au_cli_command *const commands[] = {
    &au_cli_serve,   &au_cli_import,  &au_cli_gen,         &au_cli_keys,
    &au_cli_version, &au_cli_train,   &au_cli_clusters,    &au_cli_eval,
    &au_cli_explain, &au_cli_quality, &au_cli_renormalize, &au_cli_sink,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_overview(FILE *f)
{
    fprintf(f, "aurum - customer data integration hub\n\nusage: aurum COMMAND [options]\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-12s %s\n", "help",
            "help [COMMAND|config|api]: usage of a command, the config or the API");
}

static int help(int argc, char **argv)
{
    if (argc < 3) {
        print_overview(stdout);
        return 0;
    }
    if (strcmp(argv[2], "config") == 0) {
        au_config_print_help(stdout);
        return 0;
    }
    if (strcmp(argv[2], "api") == 0) {
        au_api_print_routes(stdout, argc > 3 && strcmp(argv[3], "--markdown") == 0);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[2], commands[i]->name) == 0) {
            fputs(commands[i]->usage, stdout);
            return 0;
        }
    fprintf(stderr, "aurum: unknown command '%s'\n", argv[2]);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0)
        return help(argc, argv);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "aurum: unknown command '%s' (see 'aurum help')\n", argv[1]);
    return 2;
}
