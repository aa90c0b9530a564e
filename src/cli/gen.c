/*
 * `aurum gen`: writes realistic, deterministic customer data with ground truth (src/gen/gen.h)
 * for the Northwind demo, tests and benchmarks. Options are declared in one table that drives
 * parsing; progress goes to stderr only on a terminal, a summary line always.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gen/gen.h"

typedef enum { OPT_LONG, OPT_U64, OPT_DOUBLE, OPT_STR, OPT_FLAG, OPT_FORMAT } opt_type;

/* One command-line option: its name, how its argument is parsed and where it lands. */
typedef struct gen_opt {
    const char *name; /* "--people" */
    opt_type type;
    size_t offset; /* into au_gen_opts */
} gen_opt;

static const gen_opt options[] = {
    {"--people", OPT_LONG, offsetof(au_gen_opts, people)},
    {"--records", OPT_LONG, offsetof(au_gen_opts, records)},
    {"--out", OPT_STR, offsetof(au_gen_opts, out_dir)},
    {"--seed", OPT_U64, offsetof(au_gen_opts, seed)},
    {"--format", OPT_FORMAT, offsetof(au_gen_opts, format)},
    {"--events", OPT_FLAG, offsetof(au_gen_opts, events)},
    {"--traps", OPT_FLAG, offsetof(au_gen_opts, traps)},
    {"--single-source", OPT_FLAG, offsetof(au_gen_opts, single_source)},
    {"--dup-rate", OPT_DOUBLE, offsetof(au_gen_opts, dup_rate)},
    {"--country", OPT_STR, offsetof(au_gen_opts, country)},
};

static const char usage[] =
    "usage: aurum gen --people N --out DIR [--seed S] [--format csv|jsonl] [--events]\n"
    "                 [--dup-rate R] [--traps] [--country GB]\n"
    "       aurum gen --single-source (--records M | --people N) --out DIR [--seed S]\n"
    "                 [--dup-rate R] [--format csv|jsonl]\n"
    "\n"
    "Writes realistic customer data with ground truth. The same seed and options always give\n"
    "byte-identical files.\n"
    "\n"
    "Northwind mode (default): N people (1 to 10,000,000) spread over six systems, each with its\n"
    "own layout: crm, webshop, pos, billing, collections, support (DIR/<system>.csv or .jsonl).\n"
    "Records carry nicknames, typos, swapped names, old addresses, phone and e-mail variants;\n"
    "households share addresses and twins share surname, address and date of birth.\n"
    "  --dup-rate R   chance that a person has a second account in a system (default 0.05)\n"
    "  --events       also write events.jsonl: orders, payments, dunning cases, tickets\n"
    "  --traps        also the dirty values and hard cases of real data, in real-world\n"
    "                 proportions: two-digit years (12/11/70), impossible and partial dates\n"
    "                 (1996-13-02, 19153312, 1958-03), births before 1900, 1900-01-01;\n"
    "                 \"Bob Smith\" <bob@x.com>, role e-mails shared by colleagues (info@),\n"
    "                 test@test.com; fathers and sons of one name (Sr/Jr), twins, families\n"
    "                 sharing a phone; NI numbers keyed to the wrong customer, 000-00-0000;\n"
    "                 foreign phones (+49 30 ..., 030 ..., (212) 555-0134), people abroad,\n"
    "                 country aliases (UK, Deutschland, Lichtenstein); titles and suffixes\n"
    "                 (Dr, Mrs, Jr, III). Adds country and ni_number columns (crm, webshop,\n"
    "                 billing) and DIR/traps.csv (source,record_id,traps): the kinds each\n"
    "                 record carries, for `aurum eval --traps`. See docs/GENERATOR.md.\n"
    "Also written: truth.csv (source,record_id,person_id) and northwind.yaml (the `sources:`\n"
    "mapping of every system onto the canonical attributes, usable with aurum serve --config).\n"
    "\n"
    "Single-source mode (benchmarks): DIR/people.csv, a CRM-like export of M rows of which a\n"
    "share R (default 0.30) repeat an earlier person with fresh noise; truth.csv and\n"
    "people.yaml. Give --records M (people = M x (1 - R)) or --people N (M = N / (1 - R)).\n"
    "\n"
    "  --seed S       PRNG seed (default 1)\n"
    "  --format F     csv (RFC 4180, default) or jsonl (one object per line, missing = absent)\n"
    "  --country C    only GB is built in\n";

typedef struct progress_state {
    struct timespec start;
    int tty;
} progress_state;

static double elapsed(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(void *ctx, long done, long total, long rows)
{
    progress_state *ps = ctx;
    if (!ps->tty)
        return;
    double s = elapsed(&ps->start);
    double rate = s > 0 ? (double)rows / s : 0;
    double eta = done > 0 ? s * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\raurum gen: %ld/%ld people, %ld rows, %.0f rows/s, ETA %.0f s   ", done,
            total, rows, rate, eta);
    fflush(stderr);
}

static int parse_value(const gen_opt *op, const char *arg, au_gen_opts *o)
{
    char *end = NULL;
    void *dst = (char *)o + op->offset;
    errno = 0;
    switch (op->type) {
    case OPT_LONG:
        *(long *)dst = strtol(arg, &end, 10);
        break;
    case OPT_U64:
        *(uint64_t *)dst = strtoull(arg, &end, 10);
        break;
    case OPT_DOUBLE:
        *(double *)dst = strtod(arg, &end);
        break;
    case OPT_STR:
        *(const char **)dst = arg;
        return 0;
    case OPT_FORMAT:
        if (strcmp(arg, "csv") == 0)
            *(au_gen_format *)dst = AU_GEN_CSV;
        else if (strcmp(arg, "jsonl") == 0)
            *(au_gen_format *)dst = AU_GEN_JSONL;
        else
            return -1;
        return 0;
    default:
        return -1;
    }
    return (errno || !end || *end || end == arg) ? -1 : 0;
}

static int parse_args(int argc, char **argv, au_gen_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const gen_opt *op = NULL;
        for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
            if (strcmp(argv[i], options[k].name) == 0)
                op = &options[k];
        if (!op) {
            fprintf(stderr, "aurum gen: unknown option '%s' (see 'aurum help gen')\n", argv[i]);
            return -1;
        }
        if (op->type == OPT_FLAG) {
            *(int *)((char *)o + op->offset) = 1;
            continue;
        }
        if (i + 1 >= argc || parse_value(op, argv[i + 1], o)) {
            fprintf(stderr, "aurum gen: %s needs a valid value (see 'aurum help gen')\n", op->name);
            return -1;
        }
        i++;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    au_gen_opts o;
    au_gen_stats st;
    au_err err;
    progress_state ps;
    au_gen_opts_init(&o);
    if (parse_args(argc, argv, &o))
        return 2;
    ps.tty = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &ps.start);
    o.progress = on_progress;
    o.progress_ctx = &ps;
    au_err_init(&err);
    au_rc rc = au_gen_run(&o, &st, &err);
    if (ps.tty)
        fputc('\n', stderr);
    if (rc) {
        fprintf(stderr, "aurum gen: %s\n", err.message[0] ? err.message : au_rc_message(rc));
        au_err_cleanup(&err);
        return rc == AU_ERR_INVALID ? 2 : 1;
    }
    au_err_cleanup(&err);
    double s = elapsed(&ps.start);
    fprintf(stderr,
            "aurum gen: %d files, %ld rows (%ld duplicates), %ld events, %ld people in %s "
            "in %.2f s (%.0f rows/s)\n",
            st.files, st.total_rows, st.duplicate_rows, st.events, st.people, o.out_dir, s,
            s > 0 ? (double)st.total_rows / s : 0.0);
    if (o.traps)
        fprintf(stderr, "aurum gen: %ld rows (%.1f %%) carry a dirty value; traps.csv lists them\n",
                st.trap_rows, st.total_rows ? 100.0 * (double)st.trap_rows / st.total_rows : 0.0);
    return 0;
}

const au_cli_command au_cli_gen = {
    "gen", run, "generate realistic multi-source customer data with ground truth", usage};
