/*
 * Declared command-line options: a command describes its options in one table (name, type,
 * offset into its options struct, value name, help) plus its positional arguments, and this
 * module parses argv into the struct, answers -h/--help, refuses unknown options and missing
 * values or arguments with a message naming them, and prints the usage generated from the same
 * table - so the help can never drift from what is parsed. The rows are lib/opts.h's declared
 * options; this file is their argv front-end. Domain-free: the CLI (src/cli/) supplies the tables.
 */
#ifndef AU_ARGS_H
#define AU_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "lib/opts.h"
#include "lib/rc.h"

/* A command's option rows are declared options (lib/opts.h): the same types, bounds and
 * messages as the configuration, connector options and query parameters. The argv names of
 * the shared types: */
typedef au_opt au_arg;
#define AU_ARG_FLAG   AU_OPT_BOOL    /* no value: the int at offset is set to 1 */
#define AU_ARG_STR    AU_OPT_STRING  /* const char * into argv (borrowed) */
#define AU_ARG_LIST   AU_OPT_STRINGS /* repeatable string, appended to an au_args_list */
#define AU_ARG_LONG   AU_OPT_INT     /* long; within .min..max when min < max */
#define AU_ARG_U64    AU_OPT_U64     /* uint64_t */
#define AU_ARG_DOUBLE AU_OPT_DOUBLE  /* double */
#define AU_ARG_CHOICE AU_OPT_CHOICE  /* int: index of the value among the '|'-separated words */
typedef au_opt_list au_args_list;
#define AU_ARG_LIST_MAX AU_OPT_LIST_MAX
/* One row: name ("--people"), type, offset, value name, help, then designated fields
 * (.required = 1, .min = 1, .max = 100, .def = "8192": a default is stored before parsing and
 * shown in the usage). */
#define AU_ARG_ROW AU_OPT_ROW

/* A command's whole interface: what `--help` prints and what is parsed. */
typedef struct au_args_spec {
    const char *prog;     /* "aurum gen": prefixes messages and the synopsis */
    const char *synopsis; /* after prog on the usage line(s); NULL: generated from the table */
    const char *about;    /* paragraph(s) after the synopsis, may be NULL */
    const au_arg *opts;   /* the table */
    size_t nopts;         /* its rows */
    const char *args;     /* positional arguments in the synopsis ("FILE..."), NULL for none */
    int min_args;         /* fewer: "missing <args>" */
    int max_args;         /* more: "unexpected argument"; -1 for no limit */
    const char *notes;    /* text after the option list (environment, exit status), may be NULL */
} au_args_spec;

/* The result of au_args_run that means "parsed, go on" (otherwise it is the exit code). */
#define AU_ARG_CONTINUE (-1)

/* Parses argv[1..argc-1] into `dst` (fields of options not given are left as they are). The
 * positional arguments are moved to argv[1..*npos], in order; "--" ends the options. Rows with
 * a default get it first. -h and
 * --help set *help and stop. Errors (AU_ERR_INVALID) name the option or what is missing. */
AU_MUST_USE au_rc au_args_parse(const au_args_spec *spec, void *dst, int argc, char **argv,
                                int *npos, int *help, au_err *err);
/* Writes the usage: synopsis, about, the option list generated from the table, notes. */
void au_args_usage(const au_args_spec *spec, FILE *f);
/* au_args_parse for a command's run(): on --help prints the usage to stdout and returns 0; on
 * an error prints "PROG: message" and the usage to stderr and returns 2; else AU_ARG_CONTINUE. */
int au_args_run(const au_args_spec *spec, void *dst, int argc, char **argv, int *npos);

/* A usage error found by the command itself: prints "PROG: message" and the usage to stderr and
 * returns 2, the exit code. */
int au_args_fail(const au_args_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
