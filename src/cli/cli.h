/*
 * The aurum command line: one binary, one subcommand per file in src/cli/, registered by one
 * line in the table of main.c. A subcommand gets argc/argv starting at its own name and returns
 * the process exit code (0 ok, 1 failure, 2 usage error).
 *
 * A subcommand declares its options in an au_args_spec (src/lib/args.h: one row per option with
 * name, type, offset, value name and help) and starts its run() with
 *     int npos, code = au_args_run(&spec, &opts, argc, argv, &npos);
 *     if (code != AU_ARG_CONTINUE) return code;
 * which gives it, with no code of its own: -h/--help (usage on stdout, exit 0), "unknown option
 * '--x'" and "missing ..." with the usage (exit 2), and `aurum help NAME`, all generated from
 * the same table. A command without a spec still gets -h/--help from main.c (its `usage` text).
 */
#ifndef AU_CLI_H
#define AU_CLI_H

#include <stdio.h>

#include "lib/args.h"

typedef struct au_cli_command {
    const char *name;                  /* "serve" */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    const char *summary;               /* one line for `aurum help` */
    const char *usage;                 /* usage text when there is no spec, else NULL */
    const au_args_spec *spec;          /* declared options: parsing and usage, may be NULL */
} au_cli_command;

extern const au_cli_command au_cli_serve, au_cli_import, au_cli_gen, au_cli_keys, au_cli_version;
/* inbound connectors (sync.c) */
extern const au_cli_command au_cli_sync;
/* identity resolution */
extern const au_cli_command au_cli_train, au_cli_clusters, au_cli_eval, au_cli_explain;
/* data quality */
extern const au_cli_command au_cli_quality, au_cli_renormalize;
/* data subjects: erasure and export (erase.c) */
extern const au_cli_command au_cli_erase, au_cli_export;
/* the audit log: verification and retention (audit.c) */
extern const au_cli_command au_cli_audit;
/* flows */
extern const au_cli_command au_cli_secrets;
/* Development aid: a stand-in target system for flows. */
extern const au_cli_command au_cli_sink;

/* A help topic beyond the commands: `aurum help config`, `aurum help flows` (help.c). */
typedef struct au_cli_topic {
    const char *name;       /* "config" */
    const char *summary;    /* one line for `aurum help` */
    void (*print)(FILE *f); /* writes the topic */
} au_cli_topic;

/* The topics, ended by {NULL}. */
extern const au_cli_topic au_cli_topics[];
/* docs/CONFIG.md: the configuration and flow-step option tables as Markdown
 * (`aurum help config --markdown`, written by scripts/opts-doc.sh). */
void au_cli_config_markdown(FILE *f);

#endif
