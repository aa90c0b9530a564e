/*
 * The YAML configuration. The file is read with libyaml's document API (which resolves aliases
 * to their anchored nodes), turned into JSON (merge keys `<<` applied, plain scalars typed), and
 * the top-level keys are checked against one declarative table: the options below fill struct
 * au_config, the sections are kept for the modules that own them, anything else is an error at
 * its line and column. The same table prints `aurum help config`.
 */
#include "core/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/source.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "resolve/model.h"

/* A configuration file larger than this is certainly a mistake. */
#define AU_CONFIG_MAX_BYTES (16 * 1024 * 1024)
/* Nesting deeper than this is refused (also stops alias cycles such as `&a [*a]`). */
#define AU_YAML_MAX_DEPTH 64

typedef enum { OPT_STRING, OPT_INT } opt_type;

/* One option: how the struct field is filled and documented. */
typedef struct opt_def {
    opt_type type;    /* value type */
    const char *name; /* key in the file */
    const char *dflt; /* default, as text */
    size_t offset;    /* offsetof the field in au_config */
    const char *help; /* one line for `aurum help config` */
} opt_def;

static const opt_def options[] = {
    {OPT_STRING, "listen", "127.0.0.1:8080", offsetof(au_config, listen),
     "address and port the HTTP API listens on"},
    {OPT_STRING, "data_dir", "./aurum-data", offsetof(au_config, data_dir),
     "directory of the embedded store"},
    {OPT_STRING, "default_country", "GB", offsetof(au_config, default_country),
     "ISO 3166 alpha-2 country for phones and postcodes of sources that set none"},
    {OPT_INT, "max_body_bytes", "8388608", offsetof(au_config, max_body_bytes),
     "largest accepted request body in bytes (413 above it)"},
    {OPT_INT, "max_connections", "1024", offsetof(au_config, max_connections),
     "concurrent HTTP connections"},
    {OPT_INT, "max_connections_per_client", "64", offsetof(au_config, max_connections_per_client),
     "concurrent HTTP connections from one client address (more are refused at accept)"},
    {OPT_INT, "idle_timeout", "30", offsetof(au_config, idle_timeout),
     "seconds a connection may send nothing (half-sent headers, idle keep-alive) before it is "
     "closed"},
    {OPT_INT, "max_inflight_bytes", "33554432", offsetof(au_config, max_inflight_bytes),
     "request body bytes held by all requests at once; beyond it 503 with Retry-After"},
    {OPT_STRING, "tls_cert", "", offsetof(au_config, tls_cert),
     "PEM certificate (chain) file: the API is served over HTTPS (with tls_key)"},
    {OPT_STRING, "tls_key", "", offsetof(au_config, tls_key), "PEM private key file of tls_cert"},
    {OPT_INT, "group_commit_max", "256", offsetof(au_config, group_commit_max),
     "most write jobs folded into one transaction"},
    {OPT_STRING, "log_level", "info", offsetof(au_config, log_level), "debug, info, warn or error"},
    {OPT_STRING, "log_format", "auto", offsetof(au_config, log_format),
     "text, json, or auto: text on a terminal, JSON lines otherwise (--log-format overrides)"},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* Top-level sections owned by other modules: accepted and kept in cfg->doc. A section with a
 * refusal is a name users reach for that is not built: refused with what to use instead, so it
 * never silently does nothing. */
static const struct {
    const char *name;
    const char *help;    /* one line for `aurum help config` */
    const char *refusal; /* NULL: supported; else why not and what to use instead */
} sections[] = {
    {"sources",
     "name -> source definition (record_id, fields, default_country, trust, on_invalid, "
     "two_digit_year_pivot)",
     NULL},
    {"matching",
     "identity resolution: thresholds, rules, comparison columns, generic: {never, always, "
     "min_people} (docs/MATCHING.md)",
     NULL},
    {"survivorship", "golden record rules per attribute (docs/PROFILES.md)", NULL},
    {"flows", "integration flows: trigger / condition / steps (aurum help flows)", NULL},
    {"secrets",
     "secrets store key: {key_file: PATH} (else $AURUM_SECRETS_KEY or DATA/secret.key; "
     "docs/SECRETS.md)",
     NULL},
    {"outbound", "hosts flow steps may reach: {allow: [rules], deny: [rules]} (docs/SECRETS.md)",
     NULL},
    {"webhooks", "webhook signatures: {max_age_s: 300} accepted age of X-Aurum-Timestamp", NULL},
    {"clock",
     "tests only: {offset_file: PATH} runs the flows' clock ahead by the milliseconds in PATH "
     "(docs/FLOWS.md)",
     NULL},
    {"connectors", "not supported yet",
     "is not supported yet: outbound systems are flow steps (http, upsert_record, postgres, "
     "nats, file) under 'flows:' (see 'aurum help flows'); inbound records come through POST "
     "/v1/sources/{source}/records or 'aurum import'"},
    {"keys", "not supported yet",
     "is not supported yet: API keys are created with 'aurum keys create --scope S' or given "
     "to the daemon in AURUM_ADMIN_KEY"},
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* --- YAML to JSON ----------------------------------------------------------------------------- */

typedef struct conv {
    yaml_document_t *doc;
    au_err *err;
} conv;

static au_rc at(au_err *err, const yaml_node_t *n, const char *fmt, const char *arg)
{
    return au_err_set(err, AU_ERR_PARSE, "%zu:%zu: %s%s", n->start_mark.line + 1,
                      n->start_mark.column + 1, fmt, arg ? arg : "");
}

static int is_int_text(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int is_float_text(const char *s)
{
    char *end;
    int digit = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digit = 1;
        else if (!strchr("+-.eE", *p))
            return 0;
    }
    if (!digit)
        return 0;
    errno = 0;
    (void)strtod(s, &end);
    return *end == 0 && errno == 0;
}

static int one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return 1;
    return 0;
}

/* A plain scalar typed by the YAML 1.2 core schema; anything else stays a string. */
static json_t *plain_scalar(const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    if (one_of(s, nulls))
        return json_null();
    if (one_of(s, trues))
        return json_true();
    if (one_of(s, falses))
        return json_false();
    if (is_int_text(s)) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno == 0)
            return json_integer(v);
    }
    if (is_float_text(s))
        return json_real(strtod(s, NULL));
    return json_stringn(s, len);
}

static json_t *scalar_to_json(const yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (strlen(s) != len) /* an escaped NUL cannot be a JSON key or a C string */
        return NULL;
    /* The document API gives every untagged scalar the str tag, so explicit tags cannot be told
     * apart: quoting is the way to keep a number-like value a string. */
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(s, len);
    return plain_scalar(s, len);
}

static au_rc node_to_json(conv *c, yaml_node_t *n, int depth, json_t **out);

/* Applies a `<<` value: a mapping or a sequence of mappings whose keys do not override. */
static au_rc merge_into(conv *c, json_t *obj, yaml_node_t *v, int depth)
{
    if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            au_rc rc = merge_into(c, obj, yaml_document_get_node(c->doc, *it), depth + 1);
            if (rc)
                return rc;
        }
        return AU_OK;
    }
    if (v->type != YAML_MAPPING_NODE)
        return at(c->err, v, "merge key '<<' needs a mapping or a list of mappings", NULL);
    json_t *src = NULL;
    au_rc rc = node_to_json(c, v, depth + 1, &src);
    if (rc)
        return rc;
    const char *k;
    json_t *x;
    json_object_foreach(src, k, x)
    {
        if (!json_object_get(obj, k) && json_object_set(obj, k, x)) {
            rc = AU_ERR_NOMEM;
            break;
        }
    }
    json_decref(src);
    return rc;
}

static au_rc mapping_to_json(conv *c, yaml_node_t *n, int depth, json_t *obj)
{
    yaml_node_pair_t *p;
    /* Explicit keys first, so merged keys never override them. */
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return at(c->err, k, "mapping keys must be scalars", NULL);
        const char *key = (const char *)k->data.scalar.value;
        if (strlen(key) != k->data.scalar.length)
            return at(c->err, k, "key contains a NUL character", NULL);
        if (k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && strcmp(key, "<<") == 0)
            continue;
        if (json_object_get(obj, key))
            return at(c->err, k, "duplicate key ", key);
        json_t *jv = NULL;
        au_rc rc = node_to_json(c, v, depth + 1, &jv);
        if (rc)
            return rc;
        if (json_object_set_new(obj, key, jv))
            return AU_ERR_NOMEM;
    }
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        if (k->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
            strcmp((const char *)k->data.scalar.value, "<<") != 0)
            continue;
        au_rc rc = merge_into(c, obj, yaml_document_get_node(c->doc, p->value), depth);
        if (rc)
            return rc;
    }
    return AU_OK;
}

static au_rc node_to_json(conv *c, yaml_node_t *n, int depth, json_t **out)
{
    au_rc rc = AU_OK;
    json_t *j = NULL;
    if (depth > AU_YAML_MAX_DEPTH)
        return at(c->err, n, "nested too deeply (or a recursive alias)", NULL);
    switch (n->type) {
    case YAML_SCALAR_NODE:
        if (!(j = scalar_to_json(n)))
            return at(c->err, n, "scalar contains a NUL character", NULL);
        break;
    case YAML_SEQUENCE_NODE:
        if (!(j = json_array()))
            return AU_ERR_NOMEM;
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top && !rc; it++) {
            json_t *e = NULL;
            rc = node_to_json(c, yaml_document_get_node(c->doc, *it), depth + 1, &e);
            if (!rc && json_array_append_new(j, e))
                rc = AU_ERR_NOMEM;
        }
        break;
    case YAML_MAPPING_NODE:
        if (!(j = json_object()))
            return AU_ERR_NOMEM;
        rc = mapping_to_json(c, n, depth, j);
        break;
    default:
        return at(c->err, n, "unexpected YAML node", NULL);
    }
    if (rc) {
        json_decref(j);
        return rc;
    }
    *out = j;
    return AU_OK;
}

/* Loads the first document; an empty stream gives an empty mapping. */
static au_rc load_document(const char *text, size_t len, yaml_document_t *doc, au_err *err)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return AU_ERR_NOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    au_rc rc = AU_OK;
    if (!yaml_parser_load(&p, doc)) {
        const yaml_mark_t *m = p.problem ? &p.problem_mark : &p.context_mark;
        rc = au_err_set(err, AU_ERR_PARSE, "%zu:%zu: %s%s%s", m->line + 1, m->column + 1,
                        p.problem ? p.problem : "YAML error", p.context ? " " : "",
                        p.context ? p.context : "");
    }
    yaml_parser_delete(&p);
    return rc;
}

au_rc au_yaml_to_json(const char *text, size_t len, json_t **out, au_err *err)
{
    yaml_document_t doc;
    au_rc rc = load_document(text, len, &doc, err);
    if (rc)
        return rc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    conv c = {&doc, err};
    json_t *j = NULL;
    if (!root)
        j = json_object();
    else
        rc = node_to_json(&c, root, 0, &j);
    yaml_document_delete(&doc);
    if (!rc && !j)
        rc = AU_ERR_NOMEM;
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    if (!rc)
        *out = j;
    return rc;
}

/* --- options ---------------------------------------------------------------------------------- */

static au_rc set_option(au_config *cfg, const opt_def *o, const json_t *v, au_err *err)
{
    char *base = (char *)cfg + o->offset;
    if (o->type == OPT_INT) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return au_err_set(err, AU_ERR_INVALID, "%s: expected a positive integer", o->name);
        *(long *)base = (long)json_integer_value(v);
        return AU_OK;
    }
    char tmp[64];
    const char *s = json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = tmp;
    } else if (json_is_null(v))
        s = "";
    if (!s)
        return au_err_set(err, AU_ERR_INVALID, "%s: expected a string", o->name);
    char *copy = au_strdup(s);
    if (!copy)
        return AU_ERR_NOMEM;
    au_free(*(char **)base);
    *(char **)base = copy;
    return AU_OK;
}

static au_rc set_defaults(au_config *cfg)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt_def *o = &options[i];
        json_t *v =
            o->type == OPT_INT ? json_integer(strtoll(o->dflt, NULL, 10)) : json_string(o->dflt);
        au_rc rc = v ? set_option(cfg, o, v, NULL) : AU_ERR_NOMEM;
        json_decref(v);
        if (rc)
            return rc;
    }
    return AU_OK;
}

static const opt_def *find_option(const char *name)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

/* The section row of `name`, or -1. */
static int find_section(const char *name)
{
    for (size_t i = 0; i < NSECTIONS; i++)
        if (strcmp(sections[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* "unknown option 'x'; valid keys: listen, data_dir, ..., sources, ..." (supported ones). */
static au_rc unknown_key(const char *k, au_err *err)
{
    char list[512];
    size_t pos = 0;
    for (size_t i = 0; i < NOPTIONS + NSECTIONS; i++) {
        const char *name = i < NOPTIONS ? options[i].name : sections[i - NOPTIONS].name;
        if (i >= NOPTIONS && sections[i - NOPTIONS].refusal)
            continue;
        int n = snprintf(list + pos, sizeof list - pos, "%s%s", pos ? ", " : "", name);
        if (n < 0 || (size_t)n >= sizeof list - pos)
            break;
        pos += (size_t)n;
    }
    return au_err_set(err, AU_ERR_INVALID,
                      "unknown key '%s'; valid keys: %s, x-* (see 'aurum help config')", k, list);
}

/* The key `name` in mapping node m, or NULL. */
static yaml_node_t *map_key(yaml_document_t *doc, yaml_node_t *m, const char *name,
                            yaml_node_t **value)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, name) == 0) {
            *value = yaml_document_get_node(doc, p->value);
            return k;
        }
    }
    return NULL;
}

/* Line:column of the deepest key found along `path` ("sources.crm.fields.x: message": the
 * dotted words before the first ':' or space), for error messages. 0:0 when none is found. */
static void key_mark(yaml_document_t *doc, const char *path, size_t *line, size_t *col)
{
    char buf[256];
    size_t n = strcspn(path, ": ");
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), path);
    yaml_node_t *node = yaml_document_get_root_node(doc), *k;
    char *save = NULL;
    *line = *col = 0;
    for (char *w = strtok_r(buf, ".", &save); w; w = strtok_r(NULL, ".", &save)) {
        w[strcspn(w, "[")] = 0;
        if (!(k = map_key(doc, node, w, &node)))
            return;
        *line = k->start_mark.line + 1;
        *col = k->start_mark.column + 1;
    }
}

/* Checks one top-level key; fills the option or validates the sources section. */
static au_rc apply_key(au_config *cfg, const char *k, const json_t *v, au_err *err)
{
    const opt_def *o = find_option(k);
    if (o)
        return set_option(cfg, o, v, err);
    if (strncmp(k, "x-", 2) == 0) /* free extension keys, e.g. to hold anchors */
        return AU_OK;
    int sec = find_section(k);
    if (sec < 0)
        return unknown_key(k, err);
    if (sections[sec].refusal)
        return au_err_set(err, AU_ERR_UNSUPPORTED, "%s: this section %s", k, sections[sec].refusal);
    if (strcmp(k, "sources") != 0)
        return AU_OK;
    if (!json_is_object(v))
        return au_err_set(err, AU_ERR_INVALID, "sources: expected a mapping name -> definition");
    json_decref(cfg->sources);
    cfg->sources = json_incref((json_t *)v);
    return AU_OK;
}

/* Gives sources without a country the configured default, then validates every definition
 * (after all options are read, whatever their order in the file). */
static au_rc check_sources(au_config *cfg, au_err *err)
{
    const char *name;
    json_t *def;
    json_object_foreach(cfg->sources, name, def)
    {
        if (json_is_object(def) && !json_object_get(def, "country") &&
            !json_object_get(def, "default_country") && cfg->default_country[0] &&
            json_object_set_new(def, "country", json_string(cfg->default_country)))
            return AU_ERR_NOMEM;
        au_source *s = NULL;
        au_err e;
        au_err_init(&e);
        au_rc rc = au_source_new(name, def, &s, &e);
        if (rc)
            au_err_set(err, rc, "sources.%s.%s", name, e.message);
        au_err_cleanup(&e);
        au_source_free(s);
        if (rc)
            return rc;
    }
    return AU_OK;
}

/* The matching section is read by the resolver at engine start; checking it here too gives
 * its mistakes a line and column and stops read commands from running with a broken file. */
static au_rc check_matching(const au_config *cfg, au_err *err)
{
    const json_t *cm = json_object_get(cfg->doc, "matching");
    if (!cm || json_is_null(cm))
        return AU_OK;
    au_model *m = au_malloc(sizeof *m);
    if (!m)
        return AU_ERR_NOMEM;
    au_model_default(m);
    au_rc rc = au_model_from_json(m, cm, err);
    au_free(m);
    return rc;
}

static const char *const level_names[] = {"debug", "info", "warn", "error", NULL};

/* log_level and log_format name values the logger knows (checked at load, not at use). */
static au_rc check_logging(const au_config *cfg, au_err *err)
{
    if (!one_of(cfg->log_level, level_names))
        return au_err_set(err, AU_ERR_INVALID,
                          "log_level: '%s' is not one of debug, info, warn, error", cfg->log_level);
    if (au_log_format_from_name(cfg->log_format) < 0)
        return au_err_set(err, AU_ERR_INVALID, "log_format: '%s' is not one of auto, text, json",
                          cfg->log_format);
    return AU_OK;
}

void au_config_apply_logging(const au_config *c)
{
    for (int i = 0; level_names[i]; i++)
        if (strcmp(c->log_level, level_names[i]) == 0)
            au_log_set_level((au_log_level)i);
    int f = au_log_format_from_name(c->log_format);
    if (f >= 0)
        au_log_set_format((au_log_format)f, AU_LOG_FROM_CONFIG);
}

static au_rc apply_doc(au_config *cfg, yaml_document_t *ydoc, const char *path, au_err *err)
{
    if (!json_is_object(cfg->doc))
        return au_err_set(err, AU_ERR_INVALID, "%s: the configuration must be a mapping", path);
    const char *k;
    json_t *v;
    json_object_foreach(cfg->doc, k, v)
    {
        au_rc rc = apply_key(cfg, k, v, err);
        if (rc == AU_ERR_NOMEM)
            return au_err_set(err, rc, "out of memory");
        if (rc) {
            size_t line, col;
            char msg[sizeof err->message];
            key_mark(ydoc, k, &line, &col);
            snprintf(msg, sizeof msg, "%s", err->message);
            return au_err_set(err, rc, "%s:%zu:%zu: %s", path, line, col, msg);
        }
    }
    au_rc rc = check_logging(cfg, err);
    if (!rc)
        rc = check_matching(cfg, err);
    if (!rc)
        rc = check_sources(cfg, err);
    if (rc && rc != AU_ERR_NOMEM) {
        size_t line, col;
        char msg[sizeof err->message];
        key_mark(ydoc, err->message, &line, &col);
        snprintf(msg, sizeof msg, "%s", err->message);
        return au_err_set(err, rc, "%s:%zu:%zu: %s", path, line, col, msg);
    }
    return rc;
}

static au_rc read_file(const char *path, char **text, size_t *len, au_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return au_err_set(err, AU_ERR_IO, "%s: %s", path, strerror(errno));
    au_rc rc = AU_OK;
    char *buf = au_malloc(AU_CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, AU_CONFIG_MAX_BYTES + 1, f) : 0;
    if (!buf)
        rc = AU_ERR_NOMEM;
    else if (ferror(f))
        rc = au_err_set(err, AU_ERR_IO, "%s: read error", path);
    else if (n > AU_CONFIG_MAX_BYTES)
        rc = au_err_set(err, AU_ERR_TOO_LARGE, "%s: larger than %d bytes", path,
                        AU_CONFIG_MAX_BYTES);
    fclose(f);
    if (rc) {
        au_free(buf);
        return rc;
    }
    *text = buf;
    *len = n;
    return AU_OK;
}

/* Parses text (from file `path`) into cfg; yaml errors are prefixed with the path. */
static au_rc load_text(au_config *cfg, const char *path, const char *text, size_t len, au_err *err)
{
    yaml_document_t ydoc;
    au_rc rc = load_document(text, len, &ydoc, err);
    if (rc)
        goto prefix;
    yaml_node_t *root = yaml_document_get_root_node(&ydoc);
    conv c = {&ydoc, err};
    json_decref(cfg->doc);
    cfg->doc = NULL;
    rc = root ? node_to_json(&c, root, 0, &cfg->doc) : AU_OK;
    if (!rc && !cfg->doc && !(cfg->doc = json_object()))
        rc = AU_ERR_NOMEM;
    if (!rc)
        rc = apply_doc(cfg, &ydoc, path, err);
    yaml_document_delete(&ydoc);
    if (rc != AU_ERR_PARSE)
        return rc;
prefix : {
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err ? err->message : "");
    return au_err_set(err, rc, "%s:%s", path, msg);
}
}

au_rc au_config_load(const char *path, au_config **out, au_err *err)
{
    au_rc rc = AU_OK;
    char *text = NULL;
    size_t len = 0;
    au_config *cfg = au_calloc(1, sizeof *cfg);
    if (!cfg)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if ((rc = set_defaults(cfg)))
        goto out;
    if (!(cfg->doc = json_object()) || !(cfg->sources = json_object())) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    if (!path)
        goto out;
    if ((rc = read_file(path, &text, &len, err)))
        goto out;
    rc = load_text(cfg, path, text, len, err);
out:
    au_free(text);
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    if (rc) {
        au_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return AU_OK;
}

void au_config_free(au_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].type == OPT_STRING)
            au_free(*(char **)((char *)c + options[i].offset));
    json_decref(c->sources);
    json_decref(c->doc);
    au_free(c);
}

void au_config_print_help(FILE *f)
{
    fprintf(f, "Configuration file (YAML, --config FILE). Options:\n\n");
    for (size_t i = 0; i < NOPTIONS; i++)
        fprintf(f, "  %-18s %-7s default %-16s %s\n", options[i].name,
                options[i].type == OPT_INT ? "integer" : "string", options[i].dflt,
                options[i].help);
    fprintf(f, "\nSections (read by the module that owns them):\n\n");
    for (size_t i = 0; i < NSECTIONS; i++)
        if (!sections[i].refusal)
            fprintf(f, "  %-18s %s\n", sections[i].name, sections[i].help);
    fprintf(f, "\nAnchors, aliases and merge keys (<<) are supported; top-level keys starting "
               "with x- are ignored\n(a place for anchored blocks).\n\n");
    au_source_print_help(f);
}
