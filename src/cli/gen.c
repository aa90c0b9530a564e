/*
 * `aurum gen`: writes realistic, deterministic customer data with ground truth (src/gen/gen.h)
 * for the Northwind demo, tests and benchmarks. Options are declared in one table that drives
 * parsing and the usage; progress goes to stderr only on a terminal, a summary line always.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gen/gen.h"
#include "lib/clock.h"

/* --format writes the index of csv|jsonl, which are the enum's values, as an int. */
_Static_assert(sizeof(au_gen_format) == sizeof(int) && AU_GEN_CSV == 0 && AU_GEN_JSONL == 1,
               "au_gen_format is filled as an int index");

static const au_arg options[] = {
    AU_ARG_ROW("--people", AU_ARG_LONG, offsetof(au_gen_opts, people), "N",
               "distinct people, 1 to 10,000,000"),
    AU_ARG_ROW("--records", AU_ARG_LONG, offsetof(au_gen_opts, records), "M",
               "single-source: total rows (people = M x (1 - R))"),
    AU_ARG_ROW("--out", AU_ARG_STR, offsetof(au_gen_opts, out_dir), "DIR",
               "where the files go (created when missing)", .required = 1),
    AU_ARG_ROW("--seed", AU_ARG_U64, offsetof(au_gen_opts, seed), "S", "PRNG seed (default 1)"),
    AU_ARG_ROW("--format", AU_ARG_CHOICE, offsetof(au_gen_opts, format), "csv|jsonl",
               "csv (RFC 4180, default) or jsonl (one object per line, missing = absent)"),
    AU_ARG_ROW("--events", AU_ARG_FLAG, offsetof(au_gen_opts, events), NULL,
               "also write events.jsonl: orders, payments, dunning cases, tickets"),
    AU_ARG_ROW("--traps", AU_ARG_FLAG, offsetof(au_gen_opts, traps), NULL,
               "also the dirty values and hard cases of real data (see below)"),
    AU_ARG_ROW("--single-source", AU_ARG_FLAG, offsetof(au_gen_opts, single_source), NULL,
               "one CRM-like people.csv for benchmarks instead of six systems"),
    AU_ARG_ROW("--dup-rate", AU_ARG_DOUBLE, offsetof(au_gen_opts, dup_rate), "R",
               "duplicate share (default 0.05 per system, 0.30 single-source)"),
    AU_ARG_ROW("--country", AU_ARG_STR, offsetof(au_gen_opts, country), "C", "only GB is built in"),
};

static const au_args_spec spec = {
    .prog = "aurum gen",
    .synopsis = "--people N --out DIR [--seed S] [--format csv|jsonl] [--events]\n"
                "                 [--dup-rate R] [--traps] [--country GB]\n"
                "       aurum gen --single-source (--records M | --people N) --out DIR [--seed S]\n"
                "                 [--dup-rate R] [--format csv|jsonl]",
    .about =
        "Writes realistic customer data with ground truth. The same seed and options always give\n"
        "byte-identical files.\n"
        "\n"
        "Northwind mode (default): N people spread over six systems, each with its own layout:\n"
        "crm, webshop, pos, billing, collections, support (DIR/<system>.csv or .jsonl). Records\n"
        "carry nicknames, typos, swapped names, old addresses, phone and e-mail variants;\n"
        "households share addresses and twins share surname, address and date of birth.\n"
        "Also written: truth.csv (source,record_id,person_id) and northwind.yaml (the `sources:`\n"
        "mapping of every system onto the canonical attributes, usable with aurum serve "
        "--config).\n"
        "\n"
        "Single-source mode (benchmarks): DIR/people.csv, a CRM-like export of M rows of which a\n"
        "share R (default 0.30) repeat an earlier person with fresh noise; truth.csv and\n"
        "people.yaml. Give --records M or --people N (M = N / (1 - R)).\n"
        "\n"
        "--traps adds the dirty values and hard cases of real data, in real-world proportions:\n"
        "two-digit years (12/11/70), impossible and partial dates (1996-13-02, 19153312, "
        "1958-03),\n"
        "births before 1900, 1900-01-01; \"Bob Smith\" <bob@x.com>, role e-mails shared by\n"
        "colleagues (info@), test@test.com; fathers and sons of one name (Sr/Jr), twins, families\n"
        "sharing a phone; NI numbers keyed to the wrong customer, 000-00-0000; foreign phones\n"
        "(+49 30 ..., 030 ..., (212) 555-0134), people abroad, country aliases (UK, Deutschland,\n"
        "Lichtenstein); titles and suffixes (Dr, Mrs, Jr, III). Adds country and ni_number "
        "columns\n"
        "(crm, webshop, billing) and DIR/traps.csv (source,record_id,traps): the kinds each "
        "record\n"
        "carries, for `aurum eval --traps`.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .notes = "See docs/GENERATOR.md.\n",
};

typedef struct progress_state {
    int64_t start_us; /* au_mono_us() when generation began */
    int tty;
} progress_state;

static double elapsed(int64_t t0_us)
{
    return (double)(au_mono_us() - t0_us) / 1e6;
}

static void on_progress(void *ctx, long done, long total, long rows)
{
    progress_state *ps = ctx;
    if (!ps->tty)
        return;
    double s = elapsed(ps->start_us);
    double rate = s > 0 ? (double)rows / s : 0;
    double eta = done > 0 ? s * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\raurum gen: %ld/%ld people, %ld rows, %.0f rows/s, ETA %.0f s   ", done,
            total, rows, rate, eta);
    fflush(stderr);
}

static int run(int argc, char **argv)
{
    au_gen_opts o;
    au_gen_stats st;
    au_err err;
    progress_state ps;
    au_gen_opts_init(&o);
    int npos, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    ps.tty = isatty(STDERR_FILENO);
    ps.start_us = au_mono_us();
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
    double s = elapsed(ps.start_us);
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
    "gen", run, "generate realistic multi-source customer data with ground truth", NULL, &spec};
