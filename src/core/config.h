/*
 * Configuration read once at start-up from a YAML file (--config) plus command-line overrides.
 * Options are declared options (lib/opts.h) in one table in config.c: the table fills the struct,
 * rejects unknown keys with the line and column, and prints `aurum help config` and
 * docs/CONFIG.md. Sections owned by other modules (sources, matching, flows, ...) are kept for
 * them as JSON and as the loaded YAML tree (au_config_node: positions in the file).
 * After start-up the configuration is read-only, so threads share it without locks.
 */
#ifndef AU_CONFIG_H
#define AU_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/buf.h"
#include "lib/rc.h"
#include "lib/yaml.h"

typedef struct au_config {
    char *listen;                    /* "127.0.0.1:8080" */
    char *data_dir;                  /* store directory */
    char *store;                     /* store location ("postgres://..."), "": data_dir's SQLite */
    char *node;                      /* this node's name among several on one store, "": derived */
    char *default_country;           /* ISO alpha-2 used by sources that set none, "" for none */
    long max_body_bytes;             /* request body limit (413 above it) */
    long max_connections;            /* concurrent HTTP connections */
    long max_connections_per_client; /* concurrent connections from one client address */
    long idle_timeout;               /* seconds of silence before a connection is closed */
    long max_inflight_bytes;         /* body bytes x 8 (parse cost) handled at once */
    char *tls_cert;                  /* PEM certificate file, "" for plain HTTP */
    char *tls_key;                   /* PEM private key file, "" for plain HTTP */
    long group_commit_max;           /* most write jobs folded into one transaction */
    char *log_level;                 /* debug|info|warn|error */
    char *log_format;                /* auto|text|json */
    json_t *sources;   /* object name -> source definition (JSON, see source.h), owned */
    json_t *doc;       /* the whole file as JSON, for sections of other modules, owned */
    au_yaml_doc *yaml; /* the loaded file (positions for inline flows), owned; NULL: no file */
    char *path;        /* the file, owned; NULL: no file */
} au_config;

/* Loads `path` (NULL: defaults only). Errors name file, line and column. Caller frees. */
au_rc au_config_load(const char *path, au_config **out, au_err *err);
void au_config_free(au_config *c);
/* Applies log_level and log_format to the logger (a --log-format given on the command line
 * stays in force). Call once at start-up, before threads start. */
void au_config_apply_logging(const au_config *c);
/* Writes the option reference (name, type, default, help) generated from the table. */
void au_config_print_help(FILE *f);

/* The YAML node of a top-level section of the file (its value), NULL when absent: modules
 * validating a section with positions (inline flows) read it here. Borrowed from c. */
const au_ynode *au_config_node(const au_config *c, const char *section);
/* The file the configuration came from, for messages. */
const char *au_config_path(const au_config *c);
/* The reference of docs/CONFIG.md: a Markdown table of the options, then of the sections,
 * generated from the tables that parse them. */
AU_MUST_USE au_rc au_config_markdown(au_buf *out);

#endif
