/*
 * The aurum command line: one binary, one subcommand per file in src/cli/, registered by one
 * line in the table of main.c. A subcommand gets argc/argv starting at its own name and returns
 * the process exit code (0 ok, 1 failure, 2 usage error).
 */
#ifndef AU_CLI_H
#define AU_CLI_H

typedef struct au_cli_command {
    const char *name;                  /* "serve" */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    const char *summary;               /* one line for `aurum help` */
    const char *usage;                 /* full usage text for `aurum help NAME` */
} au_cli_command;

extern const au_cli_command au_cli_serve, au_cli_import, au_cli_gen, au_cli_keys, au_cli_version;
/* identity resolution */
extern const au_cli_command au_cli_train, au_cli_clusters, au_cli_eval, au_cli_explain;
/* data quality */
extern const au_cli_command au_cli_quality, au_cli_renormalize;
/* Development aid: a stand-in target system for flows. */
extern const au_cli_command au_cli_sink;

#endif
