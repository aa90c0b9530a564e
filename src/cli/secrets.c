/*
 * `aurum secrets set|list|rm`: the secrets store of a running daemon (PUT, GET and DELETE
 * /v1/secrets with an admin key). The daemon holds the store key and the decrypted values, so
 * this command goes through it rather than the data directory. A value is read from stdin or a
 * file, never from the command line, where other users could see it in the process list.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/http_client.h"
#include "flows/secrets.h"
#include "lib/alloc.h"
#include "lib/buf.h"

typedef struct secrets_opts {
    const char *server, *key, *value_file;
} secrets_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--server", AU_ARG_STR, offsetof(secrets_opts, server), "URL",
               "the daemon (default http://127.0.0.1:8080)"),
    AU_ARG_ROW("--key", AU_ARG_STR, offsetof(secrets_opts, key), "KEY",
               "admin API key (default $AURUM_KEY)"),
    AU_ARG_ROW("--value-file", AU_ARG_STR, offsetof(secrets_opts, value_file), "FILE",
               "set: read the value from FILE instead of stdin"),
};

static const au_args_spec spec = {
    .prog = "aurum secrets",
    .synopsis = "set NAME [--value-file FILE] [--server URL] [--key KEY]   (value on stdin)\n"
                "       aurum secrets list [--server URL] [--key KEY]\n"
                "       aurum secrets rm NAME [--server URL] [--key KEY]",
    .about = "Secrets are values flow steps use as {{ secret.NAME }} (API tokens, passwords),\n"
             "stored encrypted in the daemon's data directory and never shown by any route,\n"
             "run, dead letter or log (docs/SECRETS.md). Names: 1-64 letters, digits or _.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .args = "set|list|rm [NAME]",
    .min_args = 1,
    .max_args = 2,
};

/* The value from FILE or stdin, without one trailing newline. NULL with err set on failure. */
static char *read_value(const char *path, au_err *err)
{
    FILE *f = path ? fopen(path, "rb") : stdin;
    au_buf b;
    char chunk[4096];
    size_t n;
    char *v = NULL;
    if (!f) {
        au_err_set(err, AU_ERR_IO, "cannot open %s", path);
        return NULL;
    }
    au_buf_init(&b, AU_SECRET_VALUE_MAX + 2);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (au_buf_append(&b, chunk, n)) {
            au_err_set(err, AU_ERR_TOO_LARGE, "a secret value is at most %d bytes",
                       AU_SECRET_VALUE_MAX);
            goto out;
        }
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.len--;
    if (!b.len)
        au_err_set(err, AU_ERR_INVALID, "empty value (give it on stdin or with --value-file)");
    else
        v = au_strndup(b.data, b.len);
out:
    if (b.data)
        memset(b.data, 0, b.len);
    au_buf_cleanup(&b);
    if (path)
        fclose(f);
    return v;
}

static au_rc set(const secrets_opts *o, const char *server, const char *name, au_err *err)
{
    char *value = read_value(o->value_file, err), *body = NULL, *path = NULL;
    json_t *out = NULL, *in = NULL;
    au_rc rc = value ? AU_OK : err->rc;
    if (!rc && !au_secrets_name_ok(name))
        rc = au_err_set(err, AU_ERR_INVALID, "secret names are 1-64 letters, digits or _");
    if (!rc) {
        in = json_pack("{s:s}", "value", value);
        body = in ? json_dumps(in, JSON_COMPACT) : NULL;
        path = au_asprintf("/v1/secrets/%s", name);
        rc = body && path ? au_cli_http_json("PUT", server, path, o->key, body, &out, err)
                          : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    if (!rc)
        printf("secret %s stored\n", name);
    if (value)
        memset(value, 0, strlen(value));
    if (body)
        memset(body, 0, strlen(body));
    au_free(value);
    free(body);
    au_free(path);
    json_decref(in);
    json_decref(out);
    return rc;
}

static au_rc list(const secrets_opts *o, const char *server, au_err *err)
{
    json_t *out = NULL, *s;
    size_t i;
    au_rc rc = au_cli_http_json("GET", server, "/v1/secrets", o->key, NULL, &out, err);
    json_array_foreach(json_object_get(out, "secrets"), i, s)
    {
        printf("%-40s %s\n", json_string_value(json_object_get(s, "name")),
               json_string_value(json_object_get(s, "updated")));
    }
    json_decref(out);
    return rc;
}

static au_rc rm(const secrets_opts *o, const char *server, const char *name, au_err *err)
{
    json_t *out = NULL;
    char *path = au_secrets_name_ok(name) ? au_asprintf("/v1/secrets/%s", name) : NULL;
    au_rc rc = path ? au_cli_http_json("DELETE", server, path, o->key, NULL, &out, err)
                    : au_err_set(err, AU_ERR_INVALID, "secret names are 1-64 letters, digits or _");
    if (!rc)
        printf("secret %s removed\n", name);
    au_free(path);
    json_decref(out);
    return rc;
}

static int run(int argc, char **argv)
{
    secrets_opts o = {0};
    au_err err;
    int npos, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    const char *verb = argv[1], *name = npos > 1 ? argv[2] : NULL;
    const char *server = o.server ? o.server : "http://127.0.0.1:8080";
    au_rc rc;
    au_err_init(&err);
    if (!strcmp(verb, "set") && name)
        rc = set(&o, server, name, &err);
    else if (!strcmp(verb, "list") && !name)
        rc = list(&o, server, &err);
    else if (!strcmp(verb, "rm") && name)
        rc = rm(&o, server, name, &err);
    else {
        fprintf(stderr, "aurum secrets: use set NAME, list or rm NAME (aurum help secrets)\n");
        return 2;
    }
    if (rc)
        fprintf(stderr, "aurum secrets: %s\n", err.message);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

const au_cli_command au_cli_secrets = {
    "secrets", run, "flow secrets (set from stdin, list names, rm) of a running daemon", NULL,
    &spec};
