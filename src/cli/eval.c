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
#include "lib/array.h"
#include "lib/csv.h"
#include "lib/lockfile.h"
#include "resolve/eval.h"

typedef struct eval_opts {
    const char *data, *config, *truth, *traps;
    int json;
} eval_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--truth", AU_ARG_STR, offsetof(eval_opts, truth), "FILE",
               "CSV source,record_id,cluster (or person_id)", .required = 1),
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(eval_opts, data), "DIR",
               "data directory (default: data_dir of the config); must exist"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(eval_opts, config), "FILE", "YAML configuration"),
    AU_ARG_ROW("--traps", AU_ARG_STR, offsetof(eval_opts, traps), "FILE",
               "CSV source,record_id,traps (space-separated kinds per record, such as the "
               "traps.csv of `aurum gen --traps`): also print, per kind, the false-merge and "
               "missed-link pairs in which a record of that kind takes part"),
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
    size_t n, keys_cap, labels_cap; /* the two arrays grow apart, each by AU_ARRAY_GROW */
} keyed;

static int keyed_add(keyed *k, const char *source, const char *record_id, const char *label)
{
    if (AU_ARRAY_GROW(k->keys, k->keys_cap, k->n + 1, 4096) ||
        AU_ARRAY_GROW(k->labels, k->labels_cap, k->n + 1, 4096))
        return -1;
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

/* The kinds of a traps file: names (bit k = names[k]) and each record's mask. */
typedef struct trap_file {
    char *names[64]; /* owned */
    int nnames;
    keyed recs;     /* key -> mask, the label holding the mask in decimal */
    int cs, ci, ck; /* columns */
} trap_file;

static au_rc traps_header(void *ctx, const au_csv *c, au_err *err)
{
    static const char *const src_names[] = {"source", NULL};
    static const char *const id_names[] = {"record_id", "record", "id", NULL};
    static const char *const kind_names[] = {"traps", "tags", "kinds", NULL};
    trap_file *tf = ctx;
    tf->cs = column(c, src_names);
    tf->ci = column(c, id_names);
    tf->ck = column(c, kind_names);
    if (tf->cs < 0 || tf->ci < 0 || tf->ck < 0)
        return au_err_set(err, AU_ERR_INVALID,
                          "the traps header must name source, record_id and traps");
    return AU_OK;
}

/* Bit of a kind name, added when new; -1 past 64 kinds. */
static int kind_bit(trap_file *tf, const char *name, size_t n)
{
    for (int k = 0; k < tf->nnames; k++)
        if (strlen(tf->names[k]) == n && memcmp(tf->names[k], name, n) == 0)
            return k;
    if (tf->nnames == 64)
        return -1;
    tf->names[tf->nnames] = au_strndup(name, n);
    return tf->names[tf->nnames] ? tf->nnames++ : -1;
}

static au_rc traps_record(void *ctx, const au_csv_row *row, au_err *err)
{
    trap_file *tf = ctx;
    uint64_t mask = 0;
    for (const char *s = row->fields[tf->ck]; *s;) {
        size_t n = strcspn(s, " ;|");
        if (n) {
            int k = kind_bit(tf, s, n);
            if (k < 0)
                return au_err_set(err, AU_ERR_INVALID, "more than 64 kinds of trap");
            mask |= 1ULL << k;
        }
        s += n + (s[n] != '\0');
    }
    char label[24];
    snprintf(label, sizeof(label), "%llu", (unsigned long long)mask);
    if (keyed_add(&tf->recs, row->fields[tf->cs], row->fields[tf->ci], label))
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    return AU_OK;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* tags[i] = the mask of truth record i (0 when the traps file does not list it). */
static uint64_t *traps_align(trap_file *tf, const keyed *t)
{
    size_t n = tf->recs.n;
    char **idx = au_malloc((n ? n : 1) * 2 * sizeof(char *)); /* key, label pairs */
    uint64_t *tags = au_calloc(t->n ? t->n : 1, sizeof(uint64_t));
    if (!idx || !tags) {
        au_free(idx);
        au_free(tags);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        idx[2 * i] = tf->recs.keys[i];
        idx[2 * i + 1] = tf->recs.labels[i];
    }
    qsort(idx, n, 2 * sizeof(char *), by_key);
    for (size_t i = 0; i < t->n; i++) {
        char **hit = n ? bsearch(&t->keys[i], idx, n, 2 * sizeof(char *), by_key) : NULL;
        if (hit)
            tags[i] = strtoull(hit[1], NULL, 10);
    }
    au_free(idx);
    return tags;
}

static int read_traps(const char *path, trap_file *tf)
{
    au_err err;
    au_err_init(&err);
    au_rc rc = au_csv_each(path, "aurum eval", traps_header, traps_record, tf, &err);
    if (rc)
        fprintf(stderr, "aurum eval: %s: %s\n", path, err.message);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

static void print_tags(const trap_file *tf, const au_eval_by_tag *b, int json)
{
    if (json) {
        printf(",\"by_trap\":{");
        for (int k = 0; k < tf->nnames; k++)
            printf("%s\"%s\":{\"fp\":%llu,\"fn\":%llu,\"pred_pairs\":%llu,\"true_pairs\":%llu}",
                   k ? "," : "", tf->names[k], (unsigned long long)b->tag_fp[k],
                   (unsigned long long)b->tag_fn[k], (unsigned long long)b->tag_pred[k],
                   (unsigned long long)b->tag_true[k]);
        printf("%s\"(none)\":{\"fp\":%llu,\"fn\":%llu}}", tf->nnames ? "," : "",
               (unsigned long long)b->untagged_fp, (unsigned long long)b->untagged_fn);
        return;
    }
    printf("\nerrors by trap kind: pairs in which a record of the kind takes part (a pair counts\n"
           "under every kind either record carries); precision and recall among those pairs\n");
    printf("%-26s %11s %6s %9s %11s %6s %9s\n", "kind", "false merge", "% fp", "precision",
           "missed link", "% fn", "recall");
    for (int k = 0; k < tf->nnames; k++)
        printf("%-26s %11llu %5.1f%% %9.4f %11llu %5.1f%% %9.4f\n", tf->names[k],
               (unsigned long long)b->tag_fp[k], b->fp ? 100.0 * b->tag_fp[k] / b->fp : 0.0,
               b->tag_pred[k] ? 1.0 - (double)b->tag_fp[k] / b->tag_pred[k] : 1.0,
               (unsigned long long)b->tag_fn[k], b->fn ? 100.0 * b->tag_fn[k] / b->fn : 0.0,
               b->tag_true[k] ? 1.0 - (double)b->tag_fn[k] / b->tag_true[k] : 1.0);
    printf("%-26s %11llu %5.1f%% %9s %11llu %5.1f%%\n", "(no kind on either record)",
           (unsigned long long)b->untagged_fp, b->fp ? 100.0 * b->untagged_fp / b->fp : 0.0, "",
           (unsigned long long)b->untagged_fn, b->fn ? 100.0 * b->untagged_fn / b->fn : 0.0);
}

static void print_result(const au_eval_result *r, int json)
{
    if (json) { /* the closing brace is the caller's (print_tags may add a member) */
        printf("{\"records\":%zu,\"pairwise\":{\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,"
               "\"tp\":%llu,\"fp\":%llu,\"fn\":%llu},\"bcubed\":{\"precision\":%.6f,"
               "\"recall\":%.6f,\"f1\":%.6f}",
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
    trap_file tf = {0};
    uint64_t *tags = NULL;
    au_config *cfg = NULL;
    au_store *st = NULL;
    au_eval_result res;
    au_eval_by_tag by;
    if (read_truth(o.truth, &t) || (o.traps && read_traps(o.traps, &tf)))
        goto out;
    if (au_cli_open_store("eval", o.data, NULL, o.config, AU_STORE_RO, &cfg, &st, &lock))
        goto out;
    au_rc rc = au_store_resolve_scan(st, pred_row, &p);
    if (!rc)
        rc = au_eval_keyed((const char *const *)t.keys, (const char *const *)t.labels, t.n,
                           (const char *const *)p.keys, (const char *const *)p.labels, p.n, &res);
    if (!rc && o.traps) {
        tags = traps_align(&tf, &t);
        rc = tags ? au_eval_keyed_tags((const char *const *)t.keys, (const char *const *)t.labels,
                                       tags, t.n, (const char *const *)p.keys,
                                       (const char *const *)p.labels, p.n, &by)
                  : AU_ERR_NOMEM;
    }
    if (rc) {
        fprintf(stderr, "aurum eval: %s\n", au_rc_message(rc));
        goto out;
    }
    print_result(&res, o.json);
    if (o.traps)
        print_tags(&tf, &by, o.json);
    if (o.json)
        printf("}\n");
    code = 0;
out:
    au_free(tags);
    keyed_cleanup(&tf.recs);
    for (int k = 0; k < tf.nnames; k++)
        au_free(tf.names[k]);
    keyed_cleanup(&t);
    keyed_cleanup(&p);
    au_store_close(st);
    au_lockfile_release(lock);
    au_config_free(cfg);
    return code;
}

const au_cli_command au_cli_eval = {
    "eval", run, "precision / recall / F1 of the profiles against a truth file", NULL, &spec};
