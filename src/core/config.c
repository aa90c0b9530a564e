/*
 * The YAML configuration. The file is read by the one YAML loader (lib/yaml: depth limit, node
 * budget, merge keys, a position on every node) and the top-level keys are checked against one
 * table: the options below are declared options (lib/opts, the same rows and converter as the
 * command line, connector options and query parameters) that fill struct au_config; the
 * sections are kept for the modules that own them, as JSON and as the loaded YAML tree (so an
 * inline flow is validated with the positions of this file); anything else is an error at its
 * line and column. The same table prints `aurum help config` and docs/CONFIG.md.
 */
#include "core/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/source.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/opts.h"
#include "lib/yaml.h"
#include "resolve/model.h"

/* A configuration file larger than this is certainly a mistake. */
#define AU_CONFIG_MAX_BYTES (16 * 1024 * 1024)

/* The options: declared once (lib/opts.h), they fill au_config, answer `aurum help config` and
 * generate docs/CONFIG.md. Strings are copies (AU_OPT_COPY), freed by au_config_free. */
static const au_opt options[] = {
    AU_OPT_ROW("listen", AU_OPT_STRING, offsetof(au_config, listen), "ADDR:PORT",
               "address and port the HTTP API listens on", .def = "127.0.0.1:8080"),
    AU_OPT_ROW("data_dir", AU_OPT_STRING, offsetof(au_config, data_dir), "DIR",
               "directory of the embedded store", .def = "./aurum-data"),
    AU_OPT_ROW("store", AU_OPT_STRING, offsetof(au_config, store), "LOCATION",
               "store location when not the embedded SQLite store of data_dir: "
               "postgres://user@host:port/db (docs/POSTGRES.md)",
               .def = ""),
    AU_OPT_ROW("node", AU_OPT_STRING, offsetof(au_config, node), "NAME",
               "this node's name, unique among the nodes sharing one store: it owns the "
               "deliveries the node leases (docs/FLOWS.md); default the host name and a hash of "
               "the data directory, stable across restarts",
               .def = ""),
    AU_OPT_ROW("default_country", AU_OPT_STRING, offsetof(au_config, default_country), "CC",
               "ISO 3166 alpha-2 country for phones and postcodes of sources that set none",
               .def = "GB"),
    AU_OPT_ROW("max_body_bytes", AU_OPT_INT, offsetof(au_config, max_body_bytes), "BYTES",
               "largest accepted request body in bytes (413 above it)", .def = "8388608", .min = 1,
               .max = __LONG_MAX__),
    AU_OPT_ROW("max_connections", AU_OPT_INT, offsetof(au_config, max_connections), "N",
               "concurrent HTTP connections", .def = "1024", .min = 1, .max = __LONG_MAX__),
    AU_OPT_ROW("max_connections_per_client", AU_OPT_INT,
               offsetof(au_config, max_connections_per_client), "N",
               "concurrent HTTP connections from one client address (more are refused at accept)",
               .def = "64", .min = 1, .max = __LONG_MAX__),
    AU_OPT_ROW("idle_timeout", AU_OPT_INT, offsetof(au_config, idle_timeout), "SECONDS",
               "seconds a connection may send nothing, or take to send a request's headers in "
               "full, before it is closed",
               .def = "30", .min = 1, .max = __LONG_MAX__),
    AU_OPT_ROW("max_inflight_bytes", AU_OPT_INT, offsetof(au_config, max_inflight_bytes), "BYTES",
               "memory for request bodies handled at once, each body byte counted 8 times (its "
               "parse cost); beyond it 503 with Retry-After",
               .def = "134217728", .min = 1, .max = __LONG_MAX__),
    AU_OPT_ROW("tls_cert", AU_OPT_STRING, offsetof(au_config, tls_cert), "FILE",
               "PEM certificate (chain) file: the API is served over HTTPS (with tls_key)",
               .def = ""),
    AU_OPT_ROW("tls_key", AU_OPT_STRING, offsetof(au_config, tls_key), "FILE",
               "PEM private key file of tls_cert", .def = ""),
    AU_OPT_ROW("group_commit_max", AU_OPT_INT, offsetof(au_config, group_commit_max), "N",
               "most write jobs folded into one transaction", .def = "256", .min = 1,
               .max = __LONG_MAX__),
    AU_OPT_ROW("log_level", AU_OPT_STRING, offsetof(au_config, log_level), "LEVEL",
               "debug, info, warn or error", .def = "info"),
    AU_OPT_ROW("log_format", AU_OPT_STRING, offsetof(au_config, log_format), "FORMAT",
               "text, json, or auto: text on a terminal, JSON lines otherwise (--log-format "
               "overrides)",
               .def = "auto"),
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
     "two_digit_year_pivot, inbound)",
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
    {"retention",
     "how long history is kept: {runs: 30d, audit: 365d, interval: 1h}; 0 or forever keeps all "
     "(aurum help privacy)",
     NULL},
    {"masking",
     "what read:masked keys see, per attribute: full, partial or none (aurum help privacy)", NULL},
    {"bus",
     "NATS JetStream publishing of profile changes and events: {enabled, url, stream, "
     "subject_prefix, ...} (aurum help bus, docs/BUS.md)",
     NULL},
    {"clock",
     "tests only: {offset_file: PATH} runs the flows' clock ahead by the milliseconds in PATH "
     "(docs/FLOWS.md)",
     NULL},
    {"connectors", "not supported yet",
     "is not supported yet: outbound systems are flow steps (http, upsert_record, postgres, "
     "nats, file) under 'flows:' (see 'aurum help flows'); inbound connectors are declared per "
     "source, under sources: NAME: inbound: (see 'aurum help connectors')"},
    {"keys", "not supported yet",
     "is not supported yet: API keys are created with 'aurum keys create --scope S' or given "
     "to the daemon in AURUM_ADMIN_KEY"},
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* --- options ---------------------------------------------------------------------------------- */

static const au_opt *find_option(const char *name)
{
    return au_opts_find(options, NOPTIONS, name, strlen(name));
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

/* Line:column of the deepest key found along `path` ("sources.crm.fields.x: message": the
 * dotted words before the first ':' or space), for error messages. 0:0 when none is found. */
static void key_mark(const au_ynode *root, const char *path, unsigned *line, unsigned *col)
{
    char buf[256];
    size_t n = strcspn(path, ": ");
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), path);
    const au_ynode *node = root, *k;
    char *save = NULL;
    *line = *col = 0;
    for (char *w = strtok_r(buf, ".", &save); w; w = strtok_r(NULL, ".", &save)) {
        w[strcspn(w, "[")] = 0;
        if (!(node = au_yaml_get(node, w, &k)))
            return;
        *line = k->line;
        *col = k->col;
    }
}

/* Checks one top-level key (its YAML value vn, JSON value v); fills the option or validates
 * the sources section. */
static au_rc apply_key(au_config *cfg, const char *k, const au_ynode *vn, const json_t *v,
                       au_err *err)
{
    const au_opt *o = find_option(k);
    if (o)
        return au_opt_set_node(o, vn, cfg, AU_OPT_COPY, err);
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

/* log_level and log_format name values the logger knows (checked at load, not at use), with
 * the declared options' wording: they stay strings in au_config for the logger's own names. */
static au_rc check_logging(const au_config *cfg, au_err *err)
{
    static const au_opt level = {
        .name = "log_level", .type = AU_OPT_CHOICE, .arg = "debug|info|warn|error"};
    static const au_opt format = {
        .name = "log_format", .type = AU_OPT_CHOICE, .arg = "auto|text|json"};
    au_opt_val v;
    au_rc rc = au_opt_convert(&level, cfg->log_level, &v, err);
    const char *name = rc ? level.name : format.name;
    if (!rc)
        rc = au_opt_convert(&format, cfg->log_format, &v, err);
    if (rc) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        return au_err_set(err, rc, "%s: %s", name, msg);
    }
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

/* "path:line:col: message" from err's message. */
static au_rc positioned(au_err *err, au_rc rc, const char *path, unsigned line, unsigned col)
{
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err ? err->message : "");
    return au_err_set(err, rc, "%s:%u:%u: %s", path, line, col, msg);
}

static au_rc apply_doc(au_config *cfg, const au_ynode *root, const char *path, au_err *err)
{
    if (!root)
        return AU_OK;
    if (root->kind != AU_YAML_MAP)
        return au_err_set(err, AU_ERR_INVALID, "%s: the configuration must be a mapping", path);
    for (size_t i = 0; i < root->n; i++) {
        const au_ynode *k = AU_YAML_KEY(root, i), *vn = AU_YAML_VALUE(root, i);
        au_rc rc = apply_key(cfg, k->text, vn, json_object_get(cfg->doc, k->text), err);
        if (rc == AU_ERR_NOMEM)
            return au_err_set(err, rc, "out of memory");
        /* A bad value is shown where the value is; an unknown or refused key where the key is. */
        if (rc)
            return find_option(k->text) ? positioned(err, rc, path, vn->line, vn->col)
                                        : positioned(err, rc, path, k->line, k->col);
    }
    au_rc rc = check_logging(cfg, err);
    if (!rc)
        rc = check_matching(cfg, err);
    if (!rc)
        rc = check_sources(cfg, err);
    if (rc && rc != AU_ERR_NOMEM) {
        unsigned line, col;
        key_mark(root, err->message, &line, &col);
        return positioned(err, rc, path, line, col);
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

/* Parses text (from file `path`) into cfg, which keeps the loaded tree; errors are prefixed with
 * path:line:column. */
static au_rc load_text(au_config *cfg, const char *path, const char *text, size_t len, au_err *err)
{
    unsigned line = 0, col = 0;
    json_t *doc = NULL;
    au_rc rc = au_yaml_load(text, len, NULL, &cfg->yaml, &line, &col, err);
    const au_ynode *root = au_yaml_root(cfg->yaml);
    if (!rc && root)
        rc = au_yaml_node_to_json(root, &doc, &line, &col, err);
    if (rc)
        return rc == AU_ERR_NOMEM ? rc : positioned(err, rc, path, line, col);
    if (doc) {
        json_decref(cfg->doc);
        cfg->doc = doc;
    }
    return apply_doc(cfg, root, path, err);
}

au_rc au_config_load(const char *path, au_config **out, au_err *err)
{
    au_rc rc = AU_OK;
    char *text = NULL;
    size_t len = 0;
    au_config *cfg = au_calloc(1, sizeof *cfg);
    if (!cfg)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if ((rc = au_opts_defaults(options, NOPTIONS, cfg, AU_OPT_COPY, err)))
        goto out;
    if (!(cfg->doc = json_object()) || !(cfg->sources = json_object())) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    if (!path)
        goto out;
    if ((rc = read_file(path, &text, &len, err)))
        goto out;
    if (!(cfg->path = au_strdup(path))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
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
    au_opts_cleanup(options, NOPTIONS, c);
    au_yaml_free(c->yaml);
    au_free(c->path);
    json_decref(c->sources);
    json_decref(c->doc);
    au_free(c);
}

void au_config_print_help(FILE *f)
{
    char type[64];
    fprintf(f, "Configuration file (YAML, --config FILE). Options:\n\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        au_opt_type_text(&options[i], type, sizeof type);
        fprintf(f, "  %-18s %-10s default %-16s %s\n", options[i].name, type,
                *options[i].def ? options[i].def : "\"\"", options[i].help);
    }
    fprintf(f, "\nSections (read by the module that owns them):\n\n");
    for (size_t i = 0; i < NSECTIONS; i++)
        if (!sections[i].refusal)
            fprintf(f, "  %-18s %s\n", sections[i].name, sections[i].help);
    fprintf(f, "\nAnchors, aliases and merge keys (<<) are supported; top-level keys starting "
               "with x- are ignored\n(a place for anchored blocks).\n\n");
    au_source_print_help(f);
}

const au_ynode *au_config_node(const au_config *c, const char *section)
{
    return c ? au_yaml_get(au_yaml_root(c->yaml), section, NULL) : NULL;
}

const char *au_config_path(const au_config *c)
{
    return c && c->path ? c->path : "(no configuration file)";
}

au_rc au_config_markdown(au_buf *out)
{
    au_rc rc = au_opts_markdown(options, NOPTIONS, out);
    if (!rc)
        rc = au_buf_printf(out, "\n| section | what it holds |\n|---|---|\n");
    for (size_t i = 0; i < NSECTIONS && !rc; i++)
        if (!sections[i].refusal)
            rc = au_buf_printf(out, "| `%s` | %s |\n", sections[i].name, sections[i].help);
    return rc;
}
