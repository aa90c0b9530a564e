/*
 * Declared command-line options: a command describes its options in one table (name, type,
 * offset into its options struct, value name, help) plus its positional arguments, and this
 * module parses argv into the struct, answers -h/--help, refuses unknown options and missing
 * values or arguments with a message naming them, and prints the usage generated from the same
 * table - so the help can never drift from what is parsed (Fluent Bit's config_map, applied to
 * argv). Domain-free: the CLI (src/cli/) supplies the tables.
 */
#ifndef AU_ARGS_H
#define AU_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "lib/rc.h"

typedef enum {
    AU_ARG_FLAG,   /* no value: the int at offset is set to 1 */
    AU_ARG_STR,    /* const char * into argv (borrowed) */
    AU_ARG_LIST,   /* repeatable string, appended to an au_args_list */
    AU_ARG_LONG,   /* long; the whole value must be a number within lo..hi when lo < hi */
    AU_ARG_U64,    /* uint64_t */
    AU_ARG_DOUBLE, /* double */
    AU_ARG_CHOICE, /* int: index of the value among the '|'-separated words of `arg` */
} au_args_type;

/* Values of a repeatable option (AU_ARG_LIST), borrowed from argv. */
#define AU_ARG_LIST_MAX 32
typedef struct au_args_list {
    const char *v[AU_ARG_LIST_MAX]; /* in command-line order */
    int n;                          /* used entries */
} au_args_list;

/* One option: one row of a command's table. */
typedef struct au_arg {
    const char *name;  /* "--people" (a long name; --name=value is accepted too) */
    au_args_type type; /* how the value is parsed */
    size_t offset;     /* offsetof the field in the command's options struct */
    const char *arg;   /* value name in the usage ("FILE"); the words for AU_ARG_CHOICE */
    const char *help;  /* one line of the usage */
    int required;      /* missing from the command line: a usage error naming it */
    long lo, hi;       /* AU_ARG_LONG range when lo < hi */
} au_arg;

/* One row of a table: name, type, offset, value name, help, then optional designated fields
 * (.required = 1, .lo = 1, .hi = 100). Designated initialisers leave the rest zero without a
 * -Wmissing-field-initializers warning. */
#define AU_ARG_ROW(name_, type_, offset_, arg_, help_, ...)                                        \
    {                                                                                              \
        .name = (name_), .type = (type_), .offset = (offset_), .arg = (arg_), .help = (help_),     \
        __VA_ARGS__                                                                                \
    }

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
 * positional arguments are moved to argv[1..*npos], in order; "--" ends the options. -h and
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
