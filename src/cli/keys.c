/*
 * `aurum keys`: create, list and revoke API keys on the data directory. It writes the store
 * directly (not through an engine: no writer thread, no resolution index to load), which SQLite
 * allows beside a running daemon; the daemon finds a new key on its first use and drops a
 * revoked one from its cache within AU_KEY_CACHE_TTL_MS. A new token is printed once, on
 * stdout, and never stored.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/config.h"
#include "store/store.h"
#include "core/keys.h"
#include "lib/clock.h"

typedef struct keys_opts {
    const char *config, *data, *name, *id;
    au_args_list scopes;
} keys_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--scope", AU_ARG_LIST, offsetof(keys_opts, scopes), "S",
               "create: a scope of the new key (repeatable): admin, read, read:masked, "
               "write:<source>, write:*"),
    AU_ARG_ROW("--name", AU_ARG_STR, offsetof(keys_opts, name), "N",
               "create: a name to recognise the key"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(keys_opts, config), "FILE", "YAML configuration"),
    AU_ARG_ROW(
        "--data", AU_ARG_STR, offsetof(keys_opts, data), "DIR",
        "data directory (default: data_dir of the config); list and revoke need an existing one; "
        "with store: in the config, the keys are in that store"),
};

static const au_args_spec spec = {
    .prog = "aurum keys",
    .synopsis = "create [--config FILE] [--data DIR] --scope S [--scope S...] [--name N]\n"
                "       aurum keys list   [--config FILE] [--data DIR]\n"
                "       aurum keys revoke [--config FILE] [--data DIR] ID",
    .about = "Scopes: admin (everything), read (every GET), read:masked (every GET with personal "
             "values\nmasked: j***@example.com, ***0958, J., 1980; no export; masking: in the "
             "config), write:<source>,\nwrite:* (all sources).\ncreate prints the token once on "
             "stdout; only its hash is stored. Works "
             "while the daemon\nruns: a revoked key stops working there within a few seconds.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .args = "create|list|revoke [ID]",
    .min_args = 0,
    .max_args = 2,
};

/* One write in its own transaction, so a busy daemon's writer and this process take turns. */
static au_rc put_key(au_store *s, const au_key_row *row)
{
    au_rc rc = au_store_begin(s);
    if (rc)
        return rc;
    rc = au_store_key_put(s, row);
    if (!rc)
        rc = au_store_commit(s);
    if (rc)
        AU_BEST_EFFORT(au_store_rollback(s)); /* rc is the error to report */
    return rc;
}

static au_rc do_create(au_store *s, const keys_opts *o, au_err *err)
{
    char token[AU_KEY_TOKEN_MAX], id[AU_KEY_ID_MAX];
    uint8_t hash[AU_KEY_HASH_LEN];
    au_key_scopes check;
    json_t *arr = json_array();
    for (int i = 0; arr && i < o->scopes.n; i++)
        json_array_append_new(arr, json_string(o->scopes.v[i]));
    char *scopes = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!scopes)
        return AU_ERR_NOMEM;
    au_rc rc = au_key_scopes_parse(scopes, &check, err);
    if (rc) {
        free(scopes);
        return rc;
    }
    au_key_scopes_cleanup(&check);
    au_key_generate(token, id, hash);
    au_key_row row = {id, hash, scopes, o->name, au_wall_ms()};
    rc = put_key(s, &row);
    if (rc)
        au_err_set(err, rc, "cannot store the key: %s", au_rc_message(rc));
    else {
        printf("%s\n", token);
        fprintf(stderr, "created key %s with scopes %s (the token above is shown only once)\n", id,
                scopes);
    }
    free(scopes);
    return rc;
}

static void print_time(int64_t ms)
{
    if (!ms) {
        printf("%-20s", "-");
        return;
    }
    char buf[32];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%-20s", buf);
}

static int print_key(void *ctx, const au_key_out *k)
{
    printf("%-15s %-20s %-30s ", k->id, k->name && *k->name ? k->name : "-",
           k->scopes ? k->scopes : "");
    print_time(k->created_ms);
    printf(" ");
    print_time(k->revoked_ms);
    printf("\n");
    return 0;
}

static au_rc do_list(au_store *s, au_err *err)
{
    printf("%-15s %-20s %-30s %-20s %-20s\n", "ID", "NAME", "SCOPES", "CREATED", "REVOKED");
    au_rc rc = au_store_key_list(s, print_key, NULL);
    return rc ? au_err_set(err, rc, "cannot list keys") : AU_OK;
}

/* The verb and its arguments agree; 0 or the usage exit code. */
static int check_usage(const char *verb, int npos, const keys_opts *o)
{
    if (npos == 0)
        return au_args_fail(&spec, "missing what to do: create, list or revoke");
    if (strcmp(verb, "create") == 0) {
        if (npos > 1)
            return au_args_fail(&spec, "unexpected argument '%s' (create takes no ID)", o->id);
        return o->scopes.n ? 0 : au_args_fail(&spec, "missing --scope S: create needs a scope");
    }
    if (strcmp(verb, "list") == 0)
        return npos > 1 ? au_args_fail(&spec, "unexpected argument '%s'", o->id) : 0;
    if (strcmp(verb, "revoke") == 0)
        return npos > 1 ? 0 : au_args_fail(&spec, "missing ID: revoke needs the key's id");
    return au_args_fail(&spec, "unknown verb '%s' (create, list or revoke)", verb);
}

static au_rc do_revoke(au_store *s, const char *id, au_err *err)
{
    au_rc rc = au_store_begin(s);
    if (!rc)
        rc = au_store_key_revoke(s, id, au_wall_ms());
    if (!rc)
        rc = au_store_commit(s);
    if (rc) {
        AU_BEST_EFFORT(au_store_rollback(s)); /* rc is the error to report */
        return rc == AU_ERR_NOT_FOUND ? au_err_set(err, rc, "no API key with id '%s'", id)
                                      : au_err_set(err, rc, "cannot revoke: %s", au_rc_message(rc));
    }
    fprintf(stderr, "revoked key %s\n", id);
    return AU_OK;
}

static int run(int argc, char **argv)
{
    keys_opts o = {0};
    au_config *cfg = NULL;
    au_store *store = NULL;
    au_err err;
    int npos, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    o.id = npos > 1 ? argv[2] : NULL;
    if ((code = check_usage(argv[1], npos, &o)))
        return code;
    au_err_init(&err);
    au_rc rc = au_config_load(o.config, &cfg, &err);
    if (rc)
        goto out;
    au_config_apply_logging(cfg);
    /* keys live in the store: the config's `store:` (PostgreSQL) when set, else DIR */
    const char *dir = cfg->store && *cfg->store ? cfg->store : o.data ? o.data : cfg->data_dir;
    if ((rc = au_keys_init()))
        goto out;
    /* Only create may make a new store (keys provisioned before the first start); list and
     * revoke on a mistyped --data say so instead of creating an empty store. */
    int creates = strcmp(argv[1], "create") == 0;
    if (!creates && (rc = au_store_open(dir, AU_STORE_RO, &store, &err)))
        goto out;
    if (strcmp(argv[1], "revoke") == 0) {
        au_store_close(store);
        store = NULL;
    }
    if (!store && (rc = au_store_open(dir, AU_STORE_RW, &store, &err)))
        goto out;
    if (strcmp(argv[1], "create") == 0)
        rc = do_create(store, &o, &err);
    else if (strcmp(argv[1], "list") == 0)
        rc = do_list(store, &err);
    else
        rc = do_revoke(store, o.id, &err);
out:
    if (rc)
        fprintf(stderr, "aurum keys: %s\n", err.message[0] ? err.message : au_rc_message(rc));
    au_store_close(store);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

const au_cli_command au_cli_keys = {"keys", run, "create, list and revoke API keys", NULL, &spec};
