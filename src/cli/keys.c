/*
 * `aurum keys`: create, list and revoke API keys offline, on the data directory. It takes the
 * same data-directory lock as `aurum serve`, so while the daemon runs it refuses and says so
 * (keys are not managed over HTTP yet). A new token is printed once, on stdout, and never stored.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/keys.h"
#include "lib/lockfile.h"

static const char usage[] =
    "usage: aurum keys create [--config FILE] [--data DIR] --scope S [--scope S...] [--name N]\n"
    "       aurum keys list   [--config FILE] [--data DIR]\n"
    "       aurum keys revoke [--config FILE] [--data DIR] ID\n"
    "\n"
    "Scopes: admin (everything), read (every GET), write:<source>, write:* (all sources).\n"
    "create prints the token once on stdout; only its hash is stored. The daemon must be\n"
    "stopped (it holds the data directory lock).\n";

#define MAX_SCOPES 32

typedef struct keys_opts {
    const char *config, *data, *name, *id;
    const char *scopes[MAX_SCOPES];
    int nscopes;
} keys_opts;

static int parse_args(int argc, char **argv, keys_opts *o)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--config") == 0 && has_value)
            o->config = argv[++i];
        else if (strcmp(a, "--data") == 0 && has_value)
            o->data = argv[++i];
        else if (strcmp(a, "--name") == 0 && has_value)
            o->name = argv[++i];
        else if (strcmp(a, "--scope") == 0 && has_value && o->nscopes < MAX_SCOPES)
            o->scopes[o->nscopes++] = argv[++i];
        else if (a[0] != '-' && !o->id)
            o->id = a;
        else {
            fprintf(stderr, "aurum keys: unexpected argument '%s'\n%s", a, usage);
            return 2;
        }
    }
    return 0;
}

static au_rc do_create(au_engine *e, const keys_opts *o, au_err *err)
{
    char token[AU_KEY_TOKEN_MAX], id[AU_KEY_ID_MAX];
    json_t *arr = json_array();
    for (int i = 0; arr && i < o->nscopes; i++)
        json_array_append_new(arr, json_string(o->scopes[i]));
    char *scopes = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!scopes)
        return AU_ERR_NOMEM;
    au_rc rc = au_keys_create(e, scopes, o->name, token, id, err);
    if (!rc) {
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

static au_rc do_list(au_engine *e, au_err *err)
{
    au_store *s = au_engine_reader(e);
    if (!s)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    printf("%-15s %-20s %-30s %-20s %-20s\n", "ID", "NAME", "SCOPES", "CREATED", "REVOKED");
    au_rc rc = au_store_key_list(s, print_key, NULL);
    au_engine_reader_release(e, s);
    return rc ? au_err_set(err, rc, "cannot list keys") : AU_OK;
}

static int check_usage(const char *verb, const keys_opts *o)
{
    if (strcmp(verb, "create") == 0 && o->nscopes > 0 && !o->id)
        return 0;
    if (strcmp(verb, "list") == 0 && !o->id)
        return 0;
    if (strcmp(verb, "revoke") == 0 && o->id)
        return 0;
    fputs(usage, stderr);
    return 2;
}

static int run(int argc, char **argv)
{
    keys_opts o = {0};
    au_config *cfg = NULL;
    au_engine *engine = NULL;
    int lock = -1;
    au_err err;
    au_err_init(&err);
    if (argc < 2 || parse_args(argc, argv, &o) || check_usage(argv[1], &o)) {
        if (argc < 2)
            fputs(usage, stderr);
        return 2;
    }
    au_rc rc = au_config_load(o.config, &cfg, &err);
    if (rc)
        goto out;
    const char *dir = o.data ? o.data : cfg->data_dir;
    if ((rc = au_keys_init()))
        goto out;
    if ((rc = au_lockfile_acquire(dir, &lock, &err))) {
        if (rc == AU_ERR_BUSY)
            au_err_set(&err, rc,
                       "%s is locked by a running aurum process (stop `aurum serve` first; keys "
                       "are managed offline)",
                       dir);
        goto out;
    }
    if ((rc = au_engine_open(cfg, dir, &engine, &err)))
        goto out;
    if (strcmp(argv[1], "create") == 0)
        rc = do_create(engine, &o, &err);
    else if (strcmp(argv[1], "list") == 0)
        rc = do_list(engine, &err);
    else if ((rc = au_keys_revoke(engine, NULL, o.id, &err)) == AU_OK)
        fprintf(stderr, "revoked key %s\n", o.id);
out:
    if (rc)
        fprintf(stderr, "aurum keys: %s\n", err.message[0] ? err.message : au_rc_message(rc));
    au_engine_close(engine);
    au_lockfile_release(lock);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

const au_cli_command au_cli_keys = {"keys", run, "create, list and revoke API keys (offline)",
                                    usage};
