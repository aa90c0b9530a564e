/*
 * Unit tests for declared command-line options (src/lib/args.c): every value type lands in its
 * field, positional arguments are compacted in order around the options, --name=value and "--"
 * work, and each mistake is refused with a message naming the option or what is missing; the
 * usage is generated from the table.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/args.h"

typedef struct t_opts {
    const char *name;
    long n;
    uint64_t seed;
    double rate;
    int flag, format;
    au_args_list tags;
} t_opts;

static const au_arg rows[] = {
    AU_ARG_ROW("--name", AU_ARG_STR, offsetof(t_opts, name), "NAME", "the name", .required = 1),
    AU_ARG_ROW("--n", AU_ARG_LONG, offsetof(t_opts, n), "N", "a count", .min = 1, .max = 100),
    AU_ARG_ROW("--seed", AU_ARG_U64, offsetof(t_opts, seed), "S", "a seed"),
    AU_ARG_ROW("--rate", AU_ARG_DOUBLE, offsetof(t_opts, rate), "R", "a rate"),
    AU_ARG_ROW("--flag", AU_ARG_FLAG, offsetof(t_opts, flag), NULL, "a flag"),
    AU_ARG_ROW("--format", AU_ARG_CHOICE, offsetof(t_opts, format), "csv|jsonl", "a format"),
    AU_ARG_ROW("--tag", AU_ARG_LIST, offsetof(t_opts, tags), "T",
               "a repeatable tag with a help text long enough to be wrapped onto a second line "
               "of the usage"),
};

static const au_args_spec spec = {
    .prog = "aurum t",
    .about = "About.\n",
    .opts = rows,
    .nopts = sizeof rows / sizeof rows[0],
    .args = "FILE...",
    .min_args = 1,
    .max_args = 3,
};

/* Parses a NULL-terminated list (argv[0] = "t"); returns the rc, fills o, npos, help, err. */
static au_rc parse(char **argv, t_opts *o, int *npos, int *help, au_err *err)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    memset(o, 0, sizeof *o);
    au_err_init(err);
    return au_args_parse(&spec, o, argc, argv, npos, help, err);
}

Test(args, every_type_lands_in_its_field_and_positionals_keep_their_order)
{
    char *argv[] = {"t", "a.csv",   "--name", "crm",    "--n=42",   "b.csv", "--seed",
                    "7", "--rate",  "0.25",   "--flag", "--format", "jsonl", "--tag",
                    "x", "--tag=y", "--",     "--c",    NULL};
    t_opts o;
    int npos, help;
    au_err err;
    cr_assert_eq(parse(argv, &o, &npos, &help, &err), AU_OK, "%s", err.message);
    cr_assert_eq(help, 0);
    cr_assert_str_eq(o.name, "crm");
    cr_assert_eq(o.n, 42);
    cr_assert_eq(o.seed, 7);
    cr_assert_float_eq(o.rate, 0.25, 1e-12);
    cr_assert_eq(o.flag, 1);
    cr_assert_eq(o.format, 1);
    cr_assert_eq(o.tags.n, 2);
    cr_assert_str_eq(o.tags.v[1], "y");
    cr_assert_eq(npos, 3);
    cr_assert_str_eq(argv[1], "a.csv");
    cr_assert_str_eq(argv[2], "b.csv");
    cr_assert_str_eq(argv[3], "--c", "after --, options are arguments");
    au_err_cleanup(&err);
}

/* argv must fail with a message containing `want`. */
static void refused(char **argv, const char *want)
{
    t_opts o;
    int npos, help;
    au_err err;
    cr_assert_eq(parse(argv, &o, &npos, &help, &err), AU_ERR_INVALID, "accepted: %s", want);
    cr_assert(strstr(err.message, want), "'%s' lacks '%s'", err.message, want);
    au_err_cleanup(&err);
}

Test(args, mistakes_name_the_option_or_what_is_missing)
{
    refused((char *[]){"t", "--name", "x", "--nmae", "y", "f", NULL}, "unknown option '--nmae'");
    refused((char *[]){"t", "--name", "x", "--nope=3", "f", NULL}, "unknown option '--nope'");
    refused((char *[]){"t", "f", "--name", NULL}, "--name needs a value (NAME)");
    refused((char *[]){"t", "f", NULL}, "missing --name NAME");
    refused((char *[]){"t", "--name", "x", NULL}, "missing FILE...");
    refused((char *[]){"t", "--name", "x", "1", "2", "3", "4", NULL}, "unexpected argument '4'");
    refused((char *[]){"t", "--name", "x", "--n", "0", "f", NULL},
            "--n: expected an integer from 1 to 100, got '0'");
    refused((char *[]){"t", "--name", "x", "--n", "5x", "f", NULL},
            "--n: expected an integer from 1 to 100, got '5x'");
    refused((char *[]){"t", "--name", "x", "--seed", "-1", "f", NULL},
            "--seed: expected a non-negative integer, got '-1'");
    refused((char *[]){"t", "--name", "x", "--rate", "fast", "f", NULL},
            "--rate: expected a number, got 'fast'");
    refused((char *[]){"t", "--name", "x", "--format", "xml", "f", NULL},
            "--format: expected one of csv, jsonl, got 'xml'");
    refused((char *[]){"t", "--name", "x", "--flag=1", "f", NULL}, "--flag takes no value");
}

Test(args, help_stops_parsing_before_any_check)
{
    char *argv[] = {"t", "--nope", NULL};
    char *argv2[] = {"t", "-h", "--nope", NULL};
    t_opts o;
    int npos, help;
    au_err err;
    cr_assert_eq(parse(argv2, &o, &npos, &help, &err), AU_OK);
    cr_assert_eq(help, 1);
    au_err_cleanup(&err);
    cr_assert_eq(parse(argv, &o, &npos, &help, &err), AU_ERR_INVALID);
    cr_assert_eq(help, 0);
    au_err_cleanup(&err);
}

Test(args, usage_is_generated_from_the_table_and_wrapped)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    au_args_usage(&spec, f);
    fclose(f);
    cr_assert_eq(strncmp(text,
                         "usage: aurum t --name NAME [--n N] [--seed S] [--rate R] [--flag] "
                         "[--format csv|jsonl] [--tag T] FILE...\n\nAbout.\n\noptions:\n",
                         strlen("usage: aurum t --name NAME")),
                 0, "%s", text);
    cr_assert(strstr(text, "  --name NAME"
                           "         the name (required)\n"),
              "%s", text);
    cr_assert(strstr(text, "  --flag"
                           "              a flag\n"),
              "%s", text);
    cr_assert(strstr(text, "  -h, --help"
                           "          this help\n"),
              "%s", text);
    for (char *line = text; *line; line = strchr(line, '\n') + 1)
        cr_assert_leq(strcspn(line, "\n"), 100, "a line over 100 columns: %s", line);
    cr_assert(strstr(text, "\n                      of the usage\n"),
              "continuation lines align with the help column: %s", text);
    free(text);
}

/* A row with a default gets it before parsing, and the usage says so. */
Test(args, defaults_are_stored_and_shown_in_the_usage)
{
    typedef struct d_opts {
        long batch;
        const char *mode;
    } d_opts;
    static const au_arg drows[] = {
        AU_ARG_ROW("--batch", AU_ARG_LONG, offsetof(d_opts, batch), "N", "records per batch",
                   .min = 1, .max = 1000, .def = "100"),
        AU_ARG_ROW("--mode", AU_ARG_STR, offsetof(d_opts, mode), "M", "a mode", .def = "fast"),
    };
    static const au_args_spec dspec = {.prog = "aurum d", .opts = drows, .nopts = 2};
    d_opts o = {0};
    char *argv[] = {"d", "--mode", "slow", NULL};
    int npos = 0, help = 0;
    cr_assert_eq(au_args_parse(&dspec, &o, 3, argv, &npos, &help, NULL), AU_OK);
    cr_assert_eq(o.batch, 100, "absent: the default");
    cr_assert_str_eq(o.mode, "slow", "given: the value");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    au_args_usage(&dspec, f);
    fclose(f);
    cr_assert(strstr(buf, "--batch N   records per batch (default 100)\n"), "%s", buf);
    cr_assert(strstr(buf, "--mode M    a mode (default fast)\n"), "%s", buf);
    free(buf);
}
