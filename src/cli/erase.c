/*
 * `aurum erase` and `aurum export`: the data-subject routes (docs/PRIVACY.md) from the terminal,
 * through a running daemon (erasure must go through its writer, which owns the in-memory
 * resolution index). The person is named by exactly one of --profile, --email, --phone or
 * --source with --record; the answer (the erasure receipt, or the export document) is printed
 * as JSON.
 */
#include <curl/curl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/http_client.h"
#include "lib/alloc.h"

typedef struct args {
    const char *server, *key, *email, *phone, *source, *record;
    long profile;
    int suppress;
} args;

#define SUBJECT_ROWS                                                                               \
    AU_ARG_ROW("--server", AU_ARG_STR, offsetof(args, server), "URL",                              \
               "the running daemon (e.g. http://127.0.0.1:8080); required"),                       \
        AU_ARG_ROW("--key", AU_ARG_STR, offsetof(args, key), "KEY",                                \
                   "API key with the admin scope (default $AURUM_KEY)"),                           \
        AU_ARG_ROW("--profile", AU_ARG_LONG, offsetof(args, profile), "ID",                        \
                   "the person's profile", .min = 1, .max = LONG_MAX),                             \
        AU_ARG_ROW("--email", AU_ARG_STR, offsetof(args, email), "ADDRESS",                        \
                   "the person holding this e-mail"),                                              \
        AU_ARG_ROW("--phone", AU_ARG_STR, offsetof(args, phone), "NUMBER",                         \
                   "the person holding this phone number"),                                        \
        AU_ARG_ROW("--source", AU_ARG_STR, offsetof(args, source), "NAME",                         \
                   "with --record: the person holding this source record"),                        \
        AU_ARG_ROW("--record", AU_ARG_STR, offsetof(args, record), "ID", "the source's own id")

static const au_arg erase_opts[] = {
    SUBJECT_ROWS,
    AU_ARG_ROW("--suppress", AU_ARG_FLAG, offsetof(args, suppress), NULL,
               "keep the hashed identifiers on the suppression list"),
};
static const au_arg export_opts[] = {SUBJECT_ROWS};

static const au_args_spec erase_spec = {
    .prog = "aurum erase",
    .about = "Erases a person (right to erasure): their records are deleted, the rest re-resolved,"
             "\nand every trace leaves every table and the WAL; prints the receipt (hashed\n"
             "identifiers, what was removed). Name the person by exactly one identifier.\n",
    .opts = erase_opts,
    .nopts = sizeof(erase_opts) / sizeof(erase_opts[0]),
    .notes = "See docs/PRIVACY.md. An identifier held by several profiles is refused: use "
             "--profile.\n",
};

static const au_args_spec export_spec = {
    .prog = "aurum export",
    .about = "Everything held about a person, with where it came from (subject access request):\n"
             "golden record, every record version, events, flow runs and dead letters, as JSON.\n",
    .opts = export_opts,
    .nopts = sizeof(export_opts) / sizeof(export_opts[0]),
    .notes = "See docs/PRIVACY.md.\n",
};

/* The subject as a JSON object (erase body) or a query string (export), NULL on bad usage. */
static json_t *subject_json(const args *a)
{
    json_t *o = json_object();
    if (a->profile)
        json_object_set_new(o, "profile", json_integer(a->profile));
    if (a->email)
        json_object_set_new(o, "email", json_string(a->email));
    if (a->phone)
        json_object_set_new(o, "phone", json_string(a->phone));
    if (a->source)
        json_object_set_new(o, "source", json_string(a->source));
    if (a->record)
        json_object_set_new(o, "record", json_string(a->record));
    return o;
}

static char *subject_query(const json_t *o)
{
    char *q = au_strdup("");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        char num[32];
        const char *s = json_is_string(v) ? json_string_value(v) : num;
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        char *esc = curl_easy_escape(NULL, s, 0);
        char *next = q && esc ? au_asprintf("%s%s%s=%s", q, *q ? "&" : "?", k, esc) : NULL;
        curl_free(esc);
        au_free(q);
        q = next;
    }
    return q;
}

static int call(const char *prog, const args *a, int erase)
{
    json_t *subj = subject_json(a), *ans = NULL;
    char *path = NULL, *body = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = AU_OK;
    if (!a->server) {
        fprintf(stderr, "%s: --server URL is required (erasure goes through the daemon)\n", prog);
        json_decref(subj);
        return 2;
    }
    if (erase) {
        if (a->suppress)
            json_object_set_new(subj, "suppress", json_true());
        char *t = json_dumps(subj, JSON_COMPACT);
        body = t ? au_strdup(t) : NULL;
        free(t);
        rc = body ? au_cli_http_json("POST", a->server, "/v1/subjects/erase", a->key, body, &ans,
                                     &err)
                  : au_err_set(&err, AU_ERR_NOMEM, "out of memory");
    } else {
        char *q = subject_query(subj);
        path = q ? au_asprintf("/v1/subjects/export%s", q) : NULL;
        au_free(q);
        rc = path ? au_cli_http_json("GET", a->server, path, a->key, NULL, &ans, &err)
                  : au_err_set(&err, AU_ERR_NOMEM, "out of memory");
    }
    if (!rc) {
        json_dumpf(ans, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        fprintf(stderr, "%s: %s\n", prog, err.message);
    }
    json_decref(subj);
    json_decref(ans);
    au_free(path);
    au_free(body);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

static int run_erase(int argc, char **argv)
{
    args a = {0};
    int npos, code = au_args_run(&erase_spec, &a, argc, argv, &npos);
    return code != AU_ARG_CONTINUE ? code : call("aurum erase", &a, 1);
}

static int run_export(int argc, char **argv)
{
    args a = {0};
    int npos, code = au_args_run(&export_spec, &a, argc, argv, &npos);
    return code != AU_ARG_CONTINUE ? code : call("aurum export", &a, 0);
}

const au_cli_command au_cli_erase = {
    "erase", run_erase, "erase a person from every store (needs --server)", NULL, &erase_spec};
const au_cli_command au_cli_export = {"export", run_export,
                                      "everything held about a person as JSON (needs --server)",
                                      NULL, &export_spec};
