/*
 * `aurum eval`: compares the store's clustering with a ground-truth file (source,record_id,
 * cluster - the generator's truth.csv with person_id works as is) and prints pairwise and
 * B-cubed precision, recall and F1. Reads the store read-only.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "lib/alloc.h"
#include "lib/csv.h"
#include "lib/lockfile.h"
#include "resolve/eval.h"

typedef struct eval_opts {
    const char *data, *config, *truth;
    int json;
} eval_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--truth", AU_ARG_STR, offsetof(eval_opts, truth), "FILE",
               "CSV source,record_id,cluster (or person_id)", .required = 1),
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(eval_opts, data), "DIR",
               "data directory (default: data_dir of the config); must exist"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(eval_opts, config), "FILE", "YAML configuration"),
    AU_ARG_ROW("--json", AU_ARG_FLAG, offsetof(eval_opts, json), NULL, "print the scores as JSON"),
};

static const au_args_spec spec = {
    .prog = "aurum eval",
    .about = "FILE is CSV with a header: source,record_id,cluster (or person_id): the true entity "
             "of\neach record. Prints pairwise and B-cubed precision / recall / F1 of the store's "
             "profiles;\na record of the truth missing from the store counts as a singleton.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
};

/* Parallel key / label lists; strings owned. */
typedef struct keyed {
    char **keys, **labels;
    size_t n, cap;
} keyed;

static int keyed_add(keyed *k, const char *source, const char *record_id, const char *label)
{
    if (k->n == k->cap) {
        size_t ncap = k->cap ? 2 * k->cap : 4096;
        char **nk = au_realloc(k->keys, ncap * sizeof(*nk));
        if (!nk)
            return -1;
        k->keys = nk;
        char **nl = au_realloc(k->labels, ncap * sizeof(*nl));
        if (!nl)
            return -1;
        k->labels = nl;
        k->cap = ncap;
    }
    /* \x1f cannot appear in a source name and keeps "a:b" + "c" apart from "a" + "b:c" */
    k->keys[k->n] = au_asprintf("%s\x1f%s", source, record_id);
    k->labels[k->n] = au_strdup(label);
    if (!k->keys[k->n] || !k->labels[k->n]) {
        au_free(k->keys[k->n]);
        au_free(k->labels[k->n]);
        return -1;
    }
    k->n++;
    return 0;
}

static void keyed_cleanup(keyed *k)
{
    for (size_t i = 0; i < k->n; i++) {
        au_free(k->keys[i]);
        au_free(k->labels[i]);
    }
    au_free(k->keys);
    au_free(k->labels);
}

static int pred_row(void *ctx, const au_resolve_row *r)
{
    char label[32];
    if (!r->profile) /* not resolved: a singleton, like a record missing from the prediction */
        return 0;
    snprintf(label, sizeof(label), "%lld", (long long)r->profile);
    return keyed_add(ctx, r->source, r->record_id, label) ? (int)AU_ERR_NOMEM : 0;
}

static int column(const au_csv *c, const char *const *names)
{
    for (size_t i = 0; i < au_csv_header_count(c); i++)
        for (const char *const *n = names; *n; n++)
            if (strcmp(au_csv_header_name(c, i), *n) == 0)
                return (int)i;
    return -1;
}

/* Columns of the truth file, found by name. */
typedef struct truth_cols {
    keyed *t;       /* where the truth goes */
    int cs, ci, cc; /* source, record id and cluster columns */
} truth_cols;

static au_rc truth_header(void *ctx, const au_csv *c, au_err *err)
{
    static const char *const src_names[] = {"source", NULL};
    static const char *const id_names[] = {"record_id", "record", "id", NULL};
    static const char *const cl_names[] = {"cluster", "person_id", "profile_id",
                                           "entity",  "truth",     NULL};
    truth_cols *tc = ctx;
    tc->cs = column(c, src_names);
    tc->ci = column(c, id_names);
    tc->cc = column(c, cl_names);
    if (tc->cs < 0 || tc->ci < 0 || tc->cc < 0)
        return au_err_set(err, AU_ERR_INVALID,
                          "the truth header must name source, record_id and cluster");
    return AU_OK;
}

static au_rc truth_record(void *ctx, const au_csv_row *row, au_err *err)
{
    truth_cols *tc = ctx;
    if (keyed_add(tc->t, row->fields[tc->cs], row->fields[tc->ci], row->fields[tc->cc]))
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    return AU_OK;
}

static int read_truth(const char *path, keyed *t)
{
    truth_cols tc = {t, -1, -1, -1};
    au_err err;
    au_err_init(&err);
    au_rc rc = au_csv_each(path, "aurum eval", truth_header, truth_record, &tc, &err);
    if (rc)
        fprintf(stderr, "aurum eval: %s: %s\n", path, err.message);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

static void print_result(const au_eval_result *r, int json)
{
    if (json) {
        printf("{\"records\":%zu,\"pairwise\":{\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,"
               "\"tp\":%llu,\"fp\":%llu,\"fn\":%llu},\"bcubed\":{\"precision\":%.6f,"
               "\"recall\":%.6f,\"f1\":%.6f}}\n",
               r->n, r->pair_p, r->pair_r, r->pair_f1, (unsigned long long)r->tp,
               (unsigned long long)r->fp, (unsigned long long)r->fn, r->b3_p, r->b3_r, r->b3_f1);
        return;
    }
    printf("records   %zu\n", r->n);
    printf("pairwise  precision %.4f  recall %.4f  F1 %.4f  (tp %llu, fp %llu, fn %llu)\n",
           r->pair_p, r->pair_r, r->pair_f1, (unsigned long long)r->tp, (unsigned long long)r->fp,
           (unsigned long long)r->fn);
    printf("b-cubed   precision %.4f  recall %.4f  F1 %.4f\n", r->b3_p, r->b3_r, r->b3_f1);
}

static int run(int argc, char **argv)
{
    eval_opts o = {0};
    int npos, code = au_args_run(&spec, &o, argc, argv, &npos), lock = -1;
    if (code != AU_ARG_CONTINUE)
        return code;
    code = 1;
    keyed t = {0}, p = {0};
    au_config *cfg = NULL;
    au_store *st = NULL;
    au_eval_result res;
    if (read_truth(o.truth, &t))
        goto out;
    if (au_cli_open_store("eval", o.data, o.config, AU_STORE_RO, &cfg, &st, &lock))
        goto out;
    au_rc rc = au_store_resolve_scan(st, pred_row, &p);
    if (!rc)
        rc = au_eval_keyed((const char *const *)t.keys, (const char *const *)t.labels, t.n,
                           (const char *const *)p.keys, (const char *const *)p.labels, p.n, &res);
    if (rc) {
        fprintf(stderr, "aurum eval: %s\n", au_rc_message(rc));
        goto out;
    }
    print_result(&res, o.json);
    code = 0;
out:
    keyed_cleanup(&t);
    keyed_cleanup(&p);
    au_store_close(st);
    au_lockfile_release(lock);
    au_config_free(cfg);
    return code;
}

const au_cli_command au_cli_eval = {
    "eval", run, "precision / recall / F1 of the profiles against a truth file", NULL, &spec};
