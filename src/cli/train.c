/*
 * `aurum train`: estimates the match model from the records in the store - u by random
 * sampling, m by EM without labels, or both from labelled pairs - prints the weights, stores
 * the model (the daemon uses it from its next start; new writes are scored with it, existing
 * profiles stay as they are) and optionally writes it as JSON. Takes the data-dir lock.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "resolve/hook.h"
#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/clock.h"
#include "lib/csv.h"
#include "lib/lockfile.h"
#include "resolve/train.h"

typedef struct train_opts {
    const char *data, *config, *labels, *json;
} train_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(train_opts, data), "DIR",
               "data directory (default: data_dir of the config); must exist"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(train_opts, config), "FILE", "YAML configuration"),
    AU_ARG_ROW("--labels", AU_ARG_STR, offsetof(train_opts, labels), "FILE",
               "labelled pairs, CSV: source_a,record_a,source_b,record_b,match (1/0)"),
    AU_ARG_ROW("--json", AU_ARG_STR, offsetof(train_opts, json), "OUT",
               "also write the model to OUT as JSON"),
};

static const au_args_spec spec = {
    .prog = "aurum train",
    .about = "Estimates the match model from the stored records: u probabilities from random "
             "pairs, m\nby expectation-maximisation over the blocked candidate pairs (no labels "
             "needed). With\n--labels m and u are counted from the labelled pairs instead. Prints "
             "the weights, stores\nthe model (used by the daemon from its next start) and writes "
             "it to OUT when asked.\nTakes the data directory's lock: stop the daemon first.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
};

typedef struct labels {
    uint32_t (*pairs)[2];
    int *match;
    size_t n, pairs_cap, match_cap; /* pairs and match grow apart, each by AU_ARRAY_GROW */
} labels;

static int labels_add(labels *l, uint32_t a, uint32_t b, int m)
{
    if (AU_ARRAY_GROW(l->pairs, l->pairs_cap, l->n + 1, 1024) ||
        AU_ARRAY_GROW(l->match, l->match_cap, l->n + 1, 1024))
        return -1;
    l->pairs[l->n][0] = a;
    l->pairs[l->n][1] = b;
    l->match[l->n++] = m;
    return 0;
}

/* Where labelled pairs go and how records are found. */
typedef struct labels_ctx {
    au_store *st; /* record numbers by (source, record id) */
    labels *l;    /* the pairs */
} labels_ctx;

static au_rc labels_header(void *ctx, const au_csv *c, au_err *err)
{
    if (au_csv_header_count(c) < 5)
        return au_err_set(err, AU_ERR_INVALID, "need source_a,record_a,source_b,record_b,match");
    return AU_OK;
}

/* Pairs naming unknown records are reported and skipped. */
static au_rc labels_record(void *ctx, const au_csv_row *row, au_err *err)
{
    labels_ctx *lc = ctx;
    int64_t a, b;
    if (au_store_record_no(lc->st, row->fields[0], row->fields[1], &a) ||
        au_store_record_no(lc->st, row->fields[2], row->fields[3], &b)) {
        fprintf(stderr, "aurum train: line %ld: unknown record (skipped)\n", row->line);
        return AU_OK;
    }
    int m = row->fields[4][0] == '1' || row->fields[4][0] == 't' || row->fields[4][0] == 'y';
    if (labels_add(lc->l, (uint32_t)a, (uint32_t)b, m))
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    return AU_OK;
}

/* Reads the labelled pairs (CSV: source_a,record_a,source_b,record_b,match). */
static int read_labels(const char *path, au_store *st, labels *l)
{
    labels_ctx lc = {st, l};
    au_err err;
    au_err_init(&err);
    au_rc rc = au_csv_each(path, "aurum train", labels_header, labels_record, &lc, &err);
    if (rc)
        fprintf(stderr, "aurum train: %s: %s\n", path, err.message);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

/* The weights table: one line per column and level. */
static void print_weights(const json_t *rep)
{
    const json_t *model = json_object_get(rep, "model");
    const char *name;
    json_t *col;
    printf("u from %lld random pairs; m by EM over %lld candidate pairs, %lld iterations%s\n",
           (long long)json_integer_value(json_object_get(rep, "u_pairs")),
           (long long)json_integer_value(json_object_get(rep, "em_pairs")),
           (long long)json_integer_value(json_object_get(rep, "iterations")),
           json_is_true(json_object_get(rep, "converged")) ? " (converged)" : "");
    printf("\n%-14s %-38s %10s %10s %9s\n", "column", "level", "m", "u", "weight");
    json_object_foreach((json_t *)json_object_get(model, "columns"), name, col)
    {
        json_t *lv = json_object_get(col, "levels");
        for (size_t i = 0; i < json_array_size(lv); i++)
            printf("%-14s %-38s %10.6f %10.6f %+9.2f\n", i ? "" : name,
                   json_string_value(json_array_get(lv, i)),
                   json_real_value(json_array_get(json_object_get(col, "m"), i)),
                   json_real_value(json_array_get(json_object_get(col, "u"), i)),
                   json_real_value(json_array_get(json_object_get(col, "weights"), i)));
    }
}

static int train(au_store *st, const au_config *cfg, const char *labels_path, const char *out)
{
    au_resolve_state *s = NULL;
    au_model m;
    au_train_report rep = {0};
    labels l = {0};
    json_t *doc = NULL;
    char *text = NULL;
    int code = 1;
    au_err err;
    au_err_init(&err);
    if (au_resolve_state_load(st, cfg, &s, &err))
        goto out;
    const au_resolver *res = au_resolve_state_resolver(s);
    m = *au_resolver_model(res);
    if (labels_path) {
        if (read_labels(labels_path, st, &l))
            goto out;
        if (au_train_labelled(res, (const uint32_t(*)[2])l.pairs, l.match, l.n, &m)) {
            au_err_set(&err, AU_ERR_INVALID, "training from %zu labelled pairs failed", l.n);
            goto out;
        }
    } else {
        au_train_opts o;
        au_train_opts_default(&o);
        au_rc rc = au_train_unsupervised(res, &o, &m, &rep);
        if (rc) {
            au_err_set(&err, rc, "training failed: %s (at least 2 records are needed)",
                       au_rc_message(rc));
            goto out;
        }
    }
    doc = au_train_report_json(&rep, &m);
    text = doc ? json_dumps(json_object_get(doc, "model"), JSON_COMPACT) : NULL;
    if (!text) {
        au_err_set(&err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    print_weights(doc);
    au_rc rc = au_store_model_put(st, text, au_wall_ms());
    if (rc) {
        au_err_set(&err, rc, "storing the model: %s", au_rc_message(rc));
        goto out;
    }
    if (out && json_dump_file(json_object_get(doc, "model"), out, JSON_INDENT(2)) != 0) {
        au_err_set(&err, AU_ERR_IO, "cannot write %s", out);
        goto out;
    }
    printf("\nmodel stored%s%s; the daemon uses it from its next start\n",
           out ? " and written to " : "", out ? out : "");
    code = 0;
out:
    if (err.rc)
        fprintf(stderr, "aurum train: %s\n", err.message);
    au_err_cleanup(&err);
    free(text);
    json_decref(doc);
    au_free(l.pairs);
    au_free(l.match);
    au_resolve_state_free(s);
    return code;
}

static int run(int argc, char **argv)
{
    train_opts o = {0};
    int npos, lock = -1, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    au_config *cfg;
    au_store *st;
    if (au_cli_open_store("train", o.data, NULL, o.config, AU_STORE_RW, &cfg, &st, &lock))
        return 1;
    code = train(st, cfg, o.labels, o.json);
    au_store_close(st);
    au_lockfile_release(lock);
    au_config_free(cfg);
    return code;
}

const au_cli_command au_cli_train = {
    "train", run, "estimate the match model from the stored records", NULL, &spec};
