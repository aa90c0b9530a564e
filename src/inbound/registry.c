/*
 * The registry of inbound connector kinds (one line each) and the options every inbound block
 * shares (kind, schedule, batch, retries). One declared table per kind plus the common one
 * check a block (unknown keys and wrong types are refused, naming the key) and print
 * `aurum help connectors`, so validation and reference cannot drift apart.
 */
#include <string.h>

#include "flows/cron.h"
#include "inbound/inbound_int.h"

extern const au_inbound_kind au_inbound_file;
extern const au_inbound_kind au_inbound_postgres;
extern const au_inbound_kind au_inbound_http;
extern const au_inbound_kind au_inbound_nats;

const au_inbound_kind *const au_inbound_kinds[] = {
    &au_inbound_file,
    &au_inbound_postgres,
    &au_inbound_http,
    &au_inbound_nats,

    NULL,
};

/* Keys of every inbound block. */
static const au_inbound_opt common_opts[] = {
    AU_INBOUND_OPT("kind", AU_OPT_STRING, 1, NULL, 0, 0,
                   "the connector kind: file, postgres, http or nats"),
    AU_INBOUND_OPT(
        "schedule", AU_OPT_STRING, 0, NULL, 0, 0,
        "cron schedule (\"*/5 * * * *\", @hourly...) of the syncs; without it a file drop runs "
        "continuously and the others on demand only"),
    AU_INBOUND_OPT("timezone", AU_OPT_STRING, 0, "UTC", 0, 0,
                   "IANA time zone of the schedule (default UTC)"),
    AU_INBOUND_OPT(
        "continuous", AU_OPT_BOOL, 0, NULL, 0, 0,
        "true: sync again as soon as there may be something new (a file arrives) or every "
        "poll_interval_s"),
    AU_INBOUND_OPT(
        "poll_interval_s", AU_OPT_INT, 0, NULL, 1, 86400,
        "seconds between two syncs of a continuous connector (default 5; nats 1; a file drop "
        "rescans this often besides inotify, default 60)"),
    AU_INBOUND_OPT("batch", AU_OPT_INT, 0, "5000", 1, 1000000, "records per write (default 5000)"),
    AU_INBOUND_OPT("retry_initial_s", AU_OPT_INT, 0, "1", 1, 86400,
                   "first backoff after a failed sync (default 1, doubled "
                   "after each further failure)"),
    AU_INBOUND_OPT("retry_max_s", AU_OPT_INT, 0, "300", 1, 86400, "longest backoff (default 300)"),
    {.name = "documents",
     .type = AU_OPT_CHOICE,
     .def = "records",
     .arg = "records|events|auto",
     .help = "what the documents are: records of the source (default), business events "
             "({event_id, type, at, customer, properties}, as POST /v1/events takes them; the "
             "source is the connector's unless an event names another), or auto: an event when "
             "it has event_id, type and a customer object, else a record (file: JSON Lines only)"},
    {0},
};

const au_inbound_kind *au_inbound_kind_find(const char *name)
{
    for (size_t i = 0; name && au_inbound_kinds[i]; i++)
        if (strcmp(au_inbound_kinds[i]->name, name) == 0)
            return au_inbound_kinds[i];
    return NULL;
}

static const au_inbound_opt *find_opt(const au_inbound_opt *t, const char *k)
{
    for (; t && t->name; t++)
        if (strcmp(t->name, k) == 0)
            return t;
    return NULL;
}

/* 1 when word is one of the '|'-separated words of list. */
static int one_of(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *w = list; w && *w;) {
        size_t len = strcspn(w, "|");
        if (len == n && strncmp(w, word, n) == 0)
            return 1;
        w += len + (w[len] == '|');
    }
    return 0;
}

/* Whether the JSON value v is what row o declares. */
static int value_ok(const au_inbound_opt *o, const json_t *v)
{
    switch (o->type) {
    case AU_OPT_STRING:
        return json_is_string(v);
    case AU_OPT_INT:
        return json_is_integer(v) &&
               (o->min < o->max ? json_integer_value(v) >= o->min && json_integer_value(v) <= o->max
                                : json_integer_value(v) >= 0);
    case AU_OPT_BOOL:
        return json_is_boolean(v);
    case AU_OPT_MAPPING:
        return json_is_object(v);
    case AU_OPT_CHOICE:
        return json_is_string(v) && one_of(o->arg, json_string_value(v));
    case AU_OPT_STRINGS:
        if (json_is_string(v))
            return 1;
        if (!json_is_array(v))
            return 0;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!json_is_string(json_array_get(v, i)))
                return 0;
        return 1;
    default:
        return 0;
    }
}

/* "an integer from 1 to 1000000", "one of csv, jsonl", "a string"... */
static void expected(const au_inbound_opt *o, char *buf, size_t cap)
{
    static const char *const names[] = {[AU_OPT_STRING] = "a string",
                                        [AU_OPT_BOOL] = "true or false",
                                        [AU_OPT_STRINGS] = "a string or a list of strings",
                                        [AU_OPT_MAPPING] = "an object"};
    if (o->type == AU_OPT_INT && o->min >= o->max)
        snprintf(buf, cap, "a non-negative integer");
    else if (o->type == AU_OPT_INT || o->type == AU_OPT_CHOICE)
        au_opt_expected(o, buf, cap);
    else
        snprintf(buf, cap, "%s",
                 (size_t)o->type < sizeof names / sizeof *names && names[o->type] ? names[o->type]
                                                                                  : "another type");
}

static au_rc check_schedule(const json_t *def, au_err *err)
{
    const char *spec = au_inbound_str(def, "schedule");
    if (!spec)
        return AU_OK;
    const char *tz = au_inbound_str(def, "timezone");
    au_cron *c = NULL;
    au_err e2;
    au_err_init(&e2);
    au_rc rc = au_cron_parse(spec, tz, &c, &e2);
    if (rc)
        au_err_set(err, rc, "inbound.schedule: %s", e2.message);
    au_cron_free(c);
    au_err_cleanup(&e2);
    return rc;
}

au_rc au_inbound_check(const json_t *def, au_err *err)
{
    if (!json_is_object(def))
        return au_err_set(err, AU_ERR_INVALID, "inbound: expected an object {kind: ..., ...}");
    const char *kname = au_inbound_str(def, "kind");
    const au_inbound_kind *kind = au_inbound_kind_find(kname);
    if (!kind)
        return au_err_set(
            err, AU_ERR_INVALID, "inbound.kind: %s%s%s (expected file, postgres, http or nats)",
            kname ? "unknown kind '" : "required", kname ? kname : "", kname ? "'" : "");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)def, k, v)
    {
        const au_inbound_opt *o = find_opt(common_opts, k);
        if (!o)
            o = find_opt(kind->opts, k);
        if (!o)
            return au_err_set(err, AU_ERR_INVALID,
                              "inbound.%s: unknown key for kind %s (see 'aurum help connectors')",
                              k, kind->name);
        if (!value_ok(o, v)) {
            char what[160];
            expected(o, what, sizeof what);
            return au_err_set(err, AU_ERR_INVALID, "inbound.%s: expected %s", k, what);
        }
    }
    for (const au_inbound_opt *o = kind->opts; o && o->name; o++)
        if (o->required && !json_object_get(def, o->name))
            return au_err_set(err, AU_ERR_INVALID, "inbound.%s: required for kind %s", o->name,
                              kind->name);
    au_rc rc = check_schedule(def, err);
    if (!rc && kind->check)
        rc = kind->check(def, err);
    return rc;
}

/* Prints text from column 21, wrapped before column 100 at spaces. */
static void print_wrapped(FILE *f, const char *req, const char *text)
{
    int col = 21 + fprintf(f, "%s", req), first = 1;
    while (*text) {
        const char *sp = strchr(text, ' ');
        int w = sp ? (int)(sp - text) : (int)strlen(text);
        if (!first && col + 1 + w > 99) {
            fprintf(f, "\n%21s", "");
            col = 21;
            first = 1;
        }
        col += fprintf(f, "%s%.*s", first ? "" : " ", w, text);
        first = 0;
        text += w + (sp ? 1 : 0);
    }
    fputc('\n', f);
}

static void print_opts(FILE *f, const au_inbound_opt *o)
{
    for (; o && o->name; o++) {
        fprintf(f, "  %-18s ", o->name);
        print_wrapped(f, o->required ? "(required) " : "", o->help);
    }
}

void au_inbound_print_help(FILE *f)
{
    fprintf(f, "Inbound connectors pull a source's records from where its system lives.\n"
               "Declared per source (configuration or PUT /v1/sources/NAME):\n\n"
               "  sources:\n    billing:\n      record_id: id\n      fields: {email: email}\n"
               "      inbound: {kind: postgres, conninfo: \"host=db dbname=billing\",\n"
               "                table: customers, cursor_column: updated_at,\n"
               "                schedule: \"*/5 * * * *\"}\n\n"
               "Keys of every inbound block:\n");
    print_opts(f, common_opts);
    for (size_t i = 0; au_inbound_kinds[i]; i++) {
        fprintf(f, "\nkind: %s - %s\n", au_inbound_kinds[i]->name, au_inbound_kinds[i]->summary);
        print_opts(f, au_inbound_kinds[i]->opts);
    }
    fprintf(f, "\nSync now: 'aurum sync SOURCE' or POST /v1/sources/SOURCE/sync; state, cursor,\n"
               "lag and counts: GET /v1/sources/SOURCE/sync and /metrics. Complete examples of\n"
               "each kind: docs/CONNECTORS.md.\n");
}

au_rc au_inbound_options_markdown(au_buf *out)
{
    au_rc rc = au_buf_printf(out, "### Keys of every inbound block\n\n");
    if (!rc)
        rc = au_opts_markdown(common_opts, au_opts_count(common_opts), out);
    for (size_t i = 0; !rc && au_inbound_kinds[i]; i++) {
        const au_inbound_kind *k = au_inbound_kinds[i];
        rc = au_buf_printf(out, "\n### kind: `%s` — %s\n\n", k->name, k->summary);
        if (!rc)
            rc = au_opts_markdown(k->opts, au_opts_count(k->opts), out);
    }
    return rc;
}

/* --- helpers for kinds ------------------------------------------------------------------- */

const char *au_inbound_str(const json_t *def, const char *key)
{
    return json_string_value(json_object_get(def, key));
}

long au_inbound_int(const json_t *def, const char *key, long dflt)
{
    const json_t *v = json_object_get(def, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

int au_inbound_bool(const json_t *def, const char *key, int dflt)
{
    const json_t *v = json_object_get(def, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

const json_t *au_inbound_path(const json_t *j, const char *path)
{
    char part[128];
    while (j && path && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = 0;
        j = json_object_get(j, part);
        path = dot ? dot + 1 : NULL;
    }
    return j;
}

int au_inbound_truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return 0;
    if (json_is_number(v))
        return json_number_value(v) != 0;
    if (json_is_string(v)) {
        static const char *const no[] = {"", "f", "false", "0", "no", "n", NULL};
        for (size_t i = 0; no[i]; i++)
            if (strcasecmp(json_string_value(v), no[i]) == 0)
                return 0;
    }
    return 1;
}
