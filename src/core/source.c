/*
 * Source definitions and the mapping of one source document onto the canonical record. The
 * definition is validated and compiled once (attribute -> list of source field names, a hash
 * set of the fields any mapping uses) so that mapping a record, which import does hundreds of
 * thousands of times a second, never looks at the definition JSON again.
 */
#include "core/source.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/names.h"
#include "lib/opts.h"

/* Longest joined raw value accepted for one attribute; longer is refused as a field error. */
#define AU_SOURCE_MAX_VALUE (64 * 1024)

/* How one canonical attribute is read from a source document. */
typedef struct attr_map {
    char **from;         /* source field names, joined by a space; owned */
    size_t nfrom;        /* 0 when the attribute is not mapped */
    char *label;         /* field name used in error details ("a+b" when joined); owned */
    au_date_format date; /* for date_of_birth */
    int on_invalid;      /* the field's own on_invalid: INV_* (INV_SOURCE: the source's) */
    int yy_pivot;        /* the field's two_digit_year_pivot, -1 for the source's */
} attr_map;

/* on_invalid modes: quarantine the value (the default) or refuse the record. */
enum { INV_SOURCE, INV_QUARANTINE, INV_REJECT };

struct au_source {
    char *name;                    /* owned */
    json_t *def;                   /* deep copy of the definition, owned */
    char *record_id;               /* source field holding the record id, owned */
    char country[3];               /* default country, "" for none */
    attr_map map[AU_ATTR_COUNT];   /* compiled mapping */
    double trust[AU_ATTR_COUNT];   /* survivorship trust per attribute */
    const char **used;             /* open-addressing set of mapped field names (borrowed) */
    size_t used_cap;               /* power of two */
    int derive_full, derive_parts; /* which name side is derived from the other */
    int shared;                    /* some source field feeds more than one attribute */
    int reject_invalid;            /* on_invalid: reject (else quarantine the value, the default) */
    int yy_pivot;                  /* two_digit_year_pivot, 0 = the sliding default */
};

/* --- small helpers -------------------------------------------------------------------------- */

static size_t str_hash(const char *s)
{
    return (size_t)XXH3_64bits(s, strlen(s));
}

static int used_has(const au_source *s, const char *k)
{
    size_t mask = s->used_cap - 1;
    for (size_t i = str_hash(k) & mask; s->used[i]; i = (i + 1) & mask)
        if (strcmp(s->used[i], k) == 0)
            return 1;
    return 0;
}

static void used_add(au_source *s, const char *k)
{
    size_t mask = s->used_cap - 1;
    size_t i = str_hash(k) & mask;
    for (; s->used[i]; i = (i + 1) & mask)
        if (strcmp(s->used[i], k) == 0)
            return;
    s->used[i] = k;
}

/* Edit distance, bounded inputs (attribute names are short). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(size_t) * (lb + 1));
    }
    return prev[lb];
}

/* Writes "; did you mean X?" for the closest canonical attribute, or "" when none is close. */
static void close_name_hint(const char *name, char *out, size_t n)
{
    size_t best = 4;
    int besti = -1;
    for (int i = 0; i < AU_ATTR_COUNT; i++) {
        size_t d = edit_distance(name, au_attr_name((au_attr)i));
        if (d < best) {
            best = d;
            besti = i;
        }
    }
    if (besti < 0)
        for (int i = 0; i < AU_ATTR_COUNT; i++)
            if (strstr(au_attr_name((au_attr)i), name) || strstr(name, au_attr_name((au_attr)i))) {
                besti = i;
                break;
            }
    if (besti >= 0)
        snprintf(out, n, "; did you mean '%s'?", au_attr_name((au_attr)besti));
    else
        snprintf(out, n, "; canonical attributes are first_name, last_name, email, phone, ...");
}

/* --- definition ----------------------------------------------------------------------------- */

/* The keys of a source definition, as declared options: au_opts_from_json checks them (unknown
 * keys, types, bounds) and `aurum help config` / docs/CONFIG.md print them. fields, trust and
 * inbound are objects read below (and inbound by src/inbound). */
typedef struct source_opts {
    const char *record_id, *default_country, *country; /* borrowed from the definition */
    int on_invalid;                                    /* index in "quarantine|reject|keep_raw" */
    long pivot;                                        /* 0: not given */
    const json_t *fields, *trust, *inbound;            /* borrowed; NULL: not given */
} source_opts;

#define SO(f) offsetof(source_opts, f)
static const au_opt source_opts_table[] = {
    AU_OPT_ROW("record_id", AU_OPT_STRING, SO(record_id), "FIELD",
               "source field holding the record id (a record without one is refused)",
               .required = 1),
    AU_OPT_ROW("fields", AU_OPT_MAPPING, SO(fields), NULL,
               "canonical attribute -> source field, [fields joined by a space], or an object "
               "{from, format, on_invalid, two_digit_year_pivot}"),
    AU_OPT_ROW("default_country", AU_OPT_STRING, SO(default_country), "CC",
               "ISO 3166 country of phones and postcodes written nationally (alias: country; "
               "default: the top-level default_country)"),
    AU_OPT_ROW("country", AU_OPT_STRING, SO(country), "CC", "the first name of default_country"),
    AU_OPT_ROW("trust", AU_OPT_MAPPING, SO(trust), NULL,
               "attribute -> 0..1 trust for survivorship, \"*\" for the rest (default 0.5)"),
    AU_OPT_ROW("on_invalid", AU_OPT_CHOICE, SO(on_invalid), "quarantine|reject|keep_raw",
               "quarantine: a value normalisation refuses is kept raw with its reason and the "
               "record imported; reject: the record is refused (keep_raw: the old name of "
               "quarantine)",
               .def = "quarantine"),
    AU_OPT_ROW("two_digit_year_pivot", AU_OPT_INT, SO(pivot), "YY",
               "two-digit years below it are 20yy, the others 19yy (default: the latest century "
               "that keeps a date of birth past)",
               .min = 1, .max = 99),
    AU_OPT_ROW("inbound", AU_OPT_MAPPING, SO(inbound), NULL,
               "a connector pulling the source's records: {kind: file|postgres|http|nats, ...}, "
               "checked by src/inbound (aurum help connectors)"),
    {0},
};
#define NSOURCE_OPTS (sizeof source_opts_table / sizeof source_opts_table[0] - 1)

/* The keys of a field written as an object, as declared options (prefix "fields.ATTR"). */
typedef struct field_opts {
    const char *format; /* borrowed; NULL: auto */
    int on_invalid;     /* index in "quarantine|reject|keep_raw", -1: the source's */
    long pivot;         /* -1: the source's */
} field_opts;

static const au_opt field_opts_table[] = {
    AU_OPT_ROW("from", AU_OPT_MAPPING, 0, "string or list",
               "source field name, or an array of them joined by a space", .required = 1,
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("format", AU_OPT_STRING, offsetof(field_opts, format), "FORMAT",
               "date_of_birth only: YYYYMMDD, YYYY-MM-DD, DMY, MDY or auto (default)"),
    AU_OPT_ROW("on_invalid", AU_OPT_CHOICE, offsetof(field_opts, on_invalid),
               "quarantine|reject|keep_raw",
               "overrides the source's on_invalid for this attribute"),
    AU_OPT_ROW("two_digit_year_pivot", AU_OPT_INT, offsetof(field_opts, pivot), "YY",
               "date_of_birth only: overrides the source's pivot", .min = 1, .max = 99),
    {0},
};
#define NFIELD_OPTS (sizeof field_opts_table / sizeof field_opts_table[0] - 1)

au_rc au_source_options_markdown(au_buf *out)
{
    au_rc rc = au_opts_markdown(source_opts_table, NSOURCE_OPTS, out);
    if (!rc)
        rc = au_buf_printf(out, "\nA field of `fields` written as an object:\n\n");
    return rc ? rc : au_opts_markdown(field_opts_table, NFIELD_OPTS, out);
}

void au_source_print_help(FILE *f)
{
    fprintf(f,
            "Source definitions (under sources: NAME, or the body of PUT /v1/sources/NAME):\n\n");
    for (size_t i = 0; i < NSOURCE_OPTS; i++)
        fprintf(f, "  %-22s %s\n", source_opts_table[i].name, source_opts_table[i].help);
    fprintf(f, "\nA field written as an object:\n\n");
    for (size_t i = 0; i < NFIELD_OPTS; i++)
        fprintf(f, "  %-22s %s\n", field_opts_table[i].name, field_opts_table[i].help);
    fprintf(f, "\nCanonical attributes:");
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        fprintf(f, "%s%s", a % 8 ? " " : "\n  ", au_attr_name((au_attr)a));
    fprintf(f, "\n(title and name_suffix are also filled from titles and Jr/Sr/II/III/IV written "
               "in the names)\n\n"
               "Example:\n\n"
               "  sources:\n"
               "    crm:\n"
               "      record_id: customer_no\n"
               "      default_country: GB\n"
               "      on_invalid: quarantine        # the default; reject refuses the record\n"
               "      two_digit_year_pivot: 30      # 12/11/25 is 2025, 12/11/70 is 1970\n"
               "      fields:\n"
               "        full_name: name\n"
               "        email: email\n"
               "        phone: [phone_area, phone_number]\n"
               "        date_of_birth: {from: dob, format: DMY, on_invalid: reject}\n"
               "      trust: {email: 0.9, \"*\": 0.5}\n");
}

static au_rc add_from(attr_map *m, const json_t *v, const char *attr, au_err *err)
{
    if (json_is_string(v)) {
        if (json_string_length(v) == 0)
            return au_err_set(err, AU_ERR_INVALID, "fields.%s: empty source field name", attr);
        m->from = au_calloc(1, sizeof(char *));
        if (!m->from || !(m->from[0] = au_strdup(json_string_value(v))))
            return AU_ERR_NOMEM;
        m->nfrom = 1;
        return AU_OK;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return au_err_set(err, AU_ERR_INVALID,
                          "fields.%s: expected a source field name or a non-empty array of them",
                          attr);
    size_t n = json_array_size(v);
    m->from = au_calloc(n, sizeof(char *));
    if (!m->from)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_length(e) == 0)
            return au_err_set(err, AU_ERR_INVALID,
                              "fields.%s[%zu]: expected a non-empty source field name", attr, i);
        if (!(m->from[i] = au_strdup(json_string_value(e))))
            return AU_ERR_NOMEM;
        m->nfrom = i + 1;
    }
    return AU_OK;
}

static au_rc make_label(attr_map *m)
{
    au_buf b;
    au_buf_init(&b, 4096);
    au_rc rc = AU_OK;
    for (size_t i = 0; i < m->nfrom && !rc; i++)
        rc = au_buf_printf(&b, "%s%s", i ? "+" : "", m->from[i]);
    if (!rc)
        m->label = au_buf_steal(&b);
    au_buf_cleanup(&b);
    return rc ? rc : (m->label ? AU_OK : AU_ERR_NOMEM);
}

/* The options of a field written as an object: {"from", "format", "on_invalid",
 * "two_digit_year_pivot"}. */
static au_rc parse_field_options(attr_map *m, au_attr a, const char *attr, const json_t *v,
                                 au_err *err)
{
    char where[128];
    field_opts fo = {NULL, -1, -1};
    snprintf(where, sizeof where, "fields.%s", attr);
    au_rc rc = au_opts_from_json(field_opts_table, NFIELD_OPTS, v, where, &fo, 0, err);
    if (rc)
        return rc;
    if (fo.on_invalid >= 0)
        m->on_invalid = fo.on_invalid == 1 ? INV_REJECT : INV_QUARANTINE;
    if (a != AU_ATTR_DATE_OF_BIRTH && (fo.format || fo.pivot >= 0))
        return au_err_set(err, AU_ERR_INVALID, "%s.%s: only date_of_birth takes a %s", where,
                          fo.format ? "format" : "two_digit_year_pivot",
                          fo.format ? "format" : "two_digit_year_pivot");
    m->yy_pivot = (int)fo.pivot;
    if (fo.format) {
        int f = au_date_format_from_name(fo.format);
        if (f < 0)
            return au_err_set(err, AU_ERR_INVALID,
                              "fields.%s.format: expected YYYYMMDD, YYYY-MM-DD, DMY, MDY or auto",
                              attr);
        m->date = (au_date_format)f;
    }
    return AU_OK;
}

static au_rc parse_field(au_source *s, const char *attr, const json_t *v, au_err *err)
{
    int a = au_attr_from_name(attr);
    if (a < 0) {
        char hint[96];
        close_name_hint(attr, hint, sizeof hint);
        return au_err_set(err, AU_ERR_INVALID, "fields.%s: unknown canonical attribute '%s'%s",
                          attr, attr, hint);
    }
    attr_map *m = &s->map[a];
    m->date = AU_DATE_AUTO;
    m->yy_pivot = -1;
    const json_t *from = v;
    if (json_is_object(v)) {
        au_rc rc = parse_field_options(m, (au_attr)a, attr, v, err);
        if (rc)
            return rc;
        from = json_object_get(v, "from");
    }
    au_rc rc = add_from(m, from, attr, err);
    if (!rc)
        rc = make_label(m);
    return rc;
}

static au_rc parse_trust(au_source *s, const json_t *t, au_err *err)
{
    if (!json_is_object(t))
        return au_err_set(err, AU_ERR_INVALID, "trust: expected an object attribute -> 0..1");
    const json_t *star = json_object_get(t, "*");
    double dflt = 0.5;
    if (star) {
        if (!json_is_number(star) || json_number_value(star) < 0 || json_number_value(star) > 1)
            return au_err_set(err, AU_ERR_INVALID, "trust.*: expected a number from 0 to 1");
        dflt = json_number_value(star);
    }
    for (int i = 0; i < AU_ATTR_COUNT; i++)
        s->trust[i] = dflt;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)t, k, v)
    {
        if (strcmp(k, "*") == 0)
            continue;
        int a = au_attr_from_name(k);
        if (a < 0) {
            char hint[96];
            close_name_hint(k, hint, sizeof hint);
            return au_err_set(err, AU_ERR_INVALID, "trust.%s: unknown canonical attribute%s", k,
                              hint);
        }
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
            return au_err_set(err, AU_ERR_INVALID, "trust.%s: expected a number from 0 to 1", k);
        s->trust[a] = json_number_value(v);
    }
    return AU_OK;
}

static au_rc parse_country(au_source *s, const json_t *c, au_err *err)
{
    if (!json_is_string(c))
        return au_err_set(err, AU_ERR_INVALID, "country: expected an ISO 3166 country code");
    char *iso = NULL;
    au_norm_why why = {{0}};
    au_rc rc = au_norm_country(json_string_value(c), &iso, &why);
    if (rc == AU_ERR_NOMEM)
        return rc;
    if (rc || !iso || strlen(iso) != 2) {
        au_free(iso);
        return au_err_set(err, AU_ERR_INVALID, "country: '%s' is not a known country%s%s",
                          json_string_value(c), why.reason[0] ? ": " : "", why.reason);
    }
    memcpy(s->country, iso, 3);
    au_free(iso);
    return AU_OK;
}

static au_rc compile_used(au_source *s)
{
    size_t n = 1;
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        n += s->map[a].nfrom;
    s->used_cap = 16;
    while (s->used_cap < n * 2)
        s->used_cap <<= 1;
    s->used = au_calloc(s->used_cap, sizeof(char *));
    if (!s->used)
        return AU_ERR_NOMEM;
    used_add(s, s->record_id);
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        for (size_t i = 0; i < s->map[a].nfrom; i++) {
            s->shared |= used_has(s, s->map[a].from[i]);
            used_add(s, s->map[a].from[i]);
        }
    return AU_OK;
}

static au_rc parse_def(au_source *s, const json_t *def, au_err *err)
{
    if (!json_is_object(def))
        return au_err_set(err, AU_ERR_INVALID, "source '%s': definition must be an object",
                          s->name);
    source_opts o = {0};
    au_rc rc = au_opts_defaults(source_opts_table, NSOURCE_OPTS, &o, 0, err);
    if (!rc)
        rc = au_opts_from_json(source_opts_table, NSOURCE_OPTS, def, NULL, &o, 0, err);
    if (rc)
        return rc;
    if (!*o.record_id)
        return au_err_set(err, AU_ERR_INVALID,
                          "record_id: required, the name of the field holding the record id");
    if (!(s->record_id = au_strdup(o.record_id)))
        return AU_ERR_NOMEM;
    for (int i = 0; i < AU_ATTR_COUNT; i++)
        s->trust[i] = 0.5;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o.fields, k, v)
    {
        if ((rc = parse_field(s, k, v, err)))
            return rc;
    }
    /* default_country says what the key does (phones and postcodes written nationally); country
     * is its first name. */
    if (o.country && o.default_country)
        return au_err_set(err, AU_ERR_INVALID,
                          "country and default_country are the same setting: give one");
    const json_t *country = json_object_get(def, o.default_country ? "default_country" : "country");
    if (country && (rc = parse_country(s, country, err)))
        return rc;
    s->yy_pivot = (int)o.pivot;
    if (o.trust && (rc = parse_trust(s, o.trust, err)))
        return rc;
    s->reject_invalid = o.on_invalid == 1;
    int parts = s->map[AU_ATTR_FIRST_NAME].nfrom || s->map[AU_ATTR_MIDDLE_NAME].nfrom ||
                s->map[AU_ATTR_LAST_NAME].nfrom;
    int full = s->map[AU_ATTR_FULL_NAME].nfrom > 0;
    s->derive_full = parts && !full;
    s->derive_parts = full && !parts;
    return compile_used(s);
}

au_rc au_source_new(const char *name, const json_t *def, au_source **out, au_err *err)
{
    au_rc rc = AU_OK;
    if (!au_name_valid(name))
        return au_err_set(err, AU_ERR_INVALID,
                          "source name '%.80s%s' does not match %s (lower-case letters, digits, "
                          "'_', '.', '-'; at most %d characters)",
                          name ? name : "", name && strlen(name) > 80 ? "..." : "", AU_NAME_PATTERN,
                          AU_NAME_MAX);
    au_source *s = au_calloc(1, sizeof *s);
    if (!s)
        return AU_ERR_NOMEM;
    if (!(s->name = au_strdup(name)) || !(s->def = json_deep_copy(def))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    rc = parse_def(s, def, err);
out:
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    if (rc) {
        au_source_free(s);
        return rc;
    }
    *out = s;
    return AU_OK;
}

void au_source_free(au_source *s)
{
    if (!s)
        return;
    for (int a = 0; a < AU_ATTR_COUNT; a++) {
        for (size_t i = 0; i < s->map[a].nfrom; i++)
            au_free(s->map[a].from[i]);
        au_free(s->map[a].from);
        au_free(s->map[a].label);
    }
    au_free(s->used);
    au_free(s->record_id);
    json_decref(s->def);
    au_free(s->name);
    au_free(s);
}

const char *au_source_name(const au_source *s)
{
    return s->name;
}

const json_t *au_source_definition(const au_source *s)
{
    return s->def;
}

int au_source_maps(const au_source *s, au_attr a)
{
    if ((int)a < 0 || a >= AU_ATTR_COUNT)
        return 0;
    if (s->map[a].nfrom)
        return 1;
    if (a == AU_ATTR_FULL_NAME)
        return s->derive_full;
    if (a == AU_ATTR_FIRST_NAME || a == AU_ATTR_MIDDLE_NAME || a == AU_ATTR_LAST_NAME)
        return s->derive_parts;
    return 0;
}

double au_source_trust(const au_source *s, au_attr a)
{
    return (unsigned)a < AU_ATTR_COUNT ? s->trust[a] : 0.5;
}

const char *au_source_label(const au_source *s, au_attr a)
{
    if ((unsigned)a >= AU_ATTR_COUNT)
        return "?";
    return s->map[a].label ? s->map[a].label : au_attr_name(a);
}

/* --- mapping -------------------------------------------------------------------------------- */

/* Text of a scalar document value into tmp (numbers in their JSON text); NULL for null, objects
 * and arrays (those are not mappable values). */
static const char *scalar_text(const json_t *v, char *tmp, size_t n)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_value(v);
    case JSON_INTEGER:
        snprintf(tmp, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return tmp;
    case JSON_REAL: {
        /* The shortest text that reads back as the same number: 0.1, not 0.10000000000000001. */
        double d = json_real_value(v);
        snprintf(tmp, n, "%.15g", d);
        if (strtod(tmp, NULL) != d)
            snprintf(tmp, n, "%.17g", d);
        return tmp;
    }
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return NULL;
    }
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* Joins the mapped source fields of m into b; empty and absent ones skipped. *found counts the
 * fields present in doc. */
static au_rc join_fields(const attr_map *m, const json_t *doc, au_buf *b, size_t *found)
{
    char tmp[64];
    au_buf_reset(b);
    for (size_t i = 0; i < m->nfrom; i++) {
        const json_t *v = json_object_get(doc, m->from[i]);
        *found += v != NULL;
        const char *t = v ? scalar_text(v, tmp, sizeof tmp) : NULL;
        if (!t || is_blank(t))
            continue;
        au_rc rc = b->len ? au_buf_putc(b, ' ') : AU_OK;
        if (!rc)
            rc = au_buf_puts(b, t);
        if (rc)
            return rc;
    }
    return AU_OK;
}

typedef struct map_ctx {
    const au_source *s;
    au_record *r;
    au_err *err;
    long index;
    int bad;            /* fields refused so far */
    const char *title;  /* title found around a name ("Dr"), static */
    const char *suffix; /* generational suffix found after a name ("Jr"), static */
} map_ctx;

/* Whether a value attribute a refused rejects the record, by the field's own on_invalid, else
 * the source's. */
static int rejects(const au_source *s, au_attr a)
{
    int own = s->map[a].on_invalid;
    return own == INV_SOURCE ? s->reject_invalid : own == INV_REJECT;
}

/* Normalises `text` for attribute a into the record, keeping `raw` (what the source said; the
 * same as text unless a title or suffix was taken off) for lineage. A refusal quarantines the
 * value, or under on_invalid: reject becomes a detail that refuses the record. */
static au_rc put_attr(map_ctx *c, au_attr a, const char *raw, const char *text, const char *label)
{
    const attr_map *m = &c->s->map[a];
    au_norm_opts opts = {{0}, m->date, m->yy_pivot >= 0 ? m->yy_pivot : c->s->yy_pivot, 0};
    memcpy(opts.country, c->s->country, 3);
    au_value v = {0};
    au_norm_why why = {{0}};
    au_rc rc = au_norm_value(a, text, &opts, &v, &why);
    if (rc == AU_ERR_INVALID && !rejects(c->s, a)) {
        /* Losing the customer is worse than a dirty value: lineage and the quality ledger keep
         * what the source said with the reason; no cleaned value or key, so deterministic
         * matching and the golden record ignore it. */
        char *copy = au_strdup(raw);
        char *reason = au_strdup(why.reason[0] ? why.reason : "invalid value");
        if (!copy || !reason) {
            au_free(copy);
            au_free(reason);
            return AU_ERR_NOMEM;
        }
        au_record_quarantine(c->r, a, copy, reason);
        return AU_OK;
    }
    if (rc == AU_ERR_INVALID) {
        au_err_detail_add(c->err, c->index, c->r->record_id, label, "%s: %s", au_attr_name(a),
                          why.reason[0] ? why.reason : "invalid value");
        c->bad++;
        return AU_OK;
    }
    if (rc)
        return rc;
    if (raw != text) {
        char *copy = au_strdup(raw);
        if (!copy) {
            au_free(v.raw), au_free(v.value), au_free(v.key);
            return AU_ERR_NOMEM;
        }
        au_free(v.raw);
        v.raw = copy;
    }
    au_record_set(c->r, a, v.raw, v.value, v.key);
    return AU_OK;
}

static int is_name(au_attr a)
{
    return a == AU_ATTR_FIRST_NAME || a == AU_ATTR_MIDDLE_NAME || a == AU_ATTR_LAST_NAME ||
           a == AU_ATTR_FULL_NAME;
}

/* A name attribute: a title or generational suffix written into it ("Dr. Jane Smith", "Smith
 * Jr.") is taken off the name and remembered for the title and name_suffix attributes. */
static au_rc put_name(map_ctx *c, au_attr a, const char *raw, const char *label)
{
    char *rest = NULL;
    au_name_affixes aff;
    au_rc rc = au_norm_name_affixes(raw, &rest, &aff);
    if (rc)
        return rc;
    c->title = c->title ? c->title : aff.title;
    c->suffix = c->suffix ? c->suffix : aff.suffix;
    rc = put_attr(c, a, raw, rest ? rest : raw, label);
    au_free(rest);
    return rc;
}

/* title and name_suffix found in the names, unless the source maps those attributes itself. */
static au_rc put_affixes(map_ctx *c)
{
    au_rc rc = AU_OK;
    if (c->title && !c->s->map[AU_ATTR_TITLE].nfrom)
        rc = put_attr(c, AU_ATTR_TITLE, c->title, c->title, "title");
    if (!rc && c->suffix && !c->s->map[AU_ATTR_NAME_SUFFIX].nfrom)
        rc = put_attr(c, AU_ATTR_NAME_SUFFIX, c->suffix, c->suffix, "name_suffix");
    return rc;
}

static au_rc derive_names(map_ctx *c)
{
    au_record *r = c->r;
    au_rc rc = AU_OK;
    if (c->s->derive_full) {
        char *full = au_norm_name_join(r->attrs[AU_ATTR_FIRST_NAME].value,
                                       r->attrs[AU_ATTR_MIDDLE_NAME].value,
                                       r->attrs[AU_ATTR_LAST_NAME].value);
        /* NULL is out of memory, not "no name": the record must not lose its full name. */
        if (!full)
            return AU_ERR_NOMEM;
        if (*full)
            rc = put_attr(c, AU_ATTR_FULL_NAME, full, full, "full_name");
        au_free(full);
        return rc;
    }
    if (!c->s->derive_parts || !r->attrs[AU_ATTR_FULL_NAME].value)
        return AU_OK;
    char *part[3] = {NULL, NULL, NULL};
    static const au_attr attr[3] = {AU_ATTR_FIRST_NAME, AU_ATTR_MIDDLE_NAME, AU_ATTR_LAST_NAME};
    rc = au_norm_name_split(r->attrs[AU_ATTR_FULL_NAME].value, &part[0], &part[1], &part[2]);
    for (int i = 0; i < 3 && !rc; i++)
        if (part[i] && *part[i])
            rc = put_attr(c, attr[i], part[i], part[i], "full_name");
    for (int i = 0; i < 3; i++)
        au_free(part[i]);
    return rc;
}

/* Unmapped document fields become custom attributes; NULL custom when there are none. `found`
 * (mapped fields present, record id included) lets the common all-mapped case skip the scan. */
static au_rc collect_custom(const au_source *s, const json_t *doc, au_record *r, size_t found)
{
    const char *k;
    json_t *v;
    if (!s->shared && found == json_object_size(doc))
        return AU_OK;
    json_object_foreach((json_t *)doc, k, v)
    {
        if (used_has(s, k))
            continue;
        if (!r->custom && !(r->custom = json_object()))
            return AU_ERR_NOMEM;
        if (json_object_set(r->custom, k, v))
            return AU_ERR_NOMEM;
    }
    return AU_OK;
}

static au_rc record_id_of(const au_source *s, const json_t *doc, long index, au_record *r,
                          au_err *err)
{
    char tmp[64];
    const json_t *v = json_object_get(doc, s->record_id);
    const char *t = v ? scalar_text(v, tmp, sizeof tmp) : NULL;
    if (!t || is_blank(t)) {
        au_err_detail_add(err, index, NULL, s->record_id, "record id field %s missing",
                          s->record_id);
        return au_err_set(err, AU_ERR_INVALID, "record %ld: record id field %s missing", index,
                          s->record_id);
    }
    if (strlen(t) > AU_RECORD_ID_MAX) {
        au_err_detail_add(err, index, NULL, s->record_id, "record id longer than %d bytes",
                          AU_RECORD_ID_MAX);
        return au_err_set(err, AU_ERR_INVALID, "record %ld: record id longer than %d bytes", index,
                          AU_RECORD_ID_MAX);
    }
    return (r->record_id = au_strdup(t)) ? AU_OK : AU_ERR_NOMEM;
}

au_rc au_source_map(const au_source *s, const json_t *doc, long index, au_record **out, au_err *err)
{
    au_rc rc = AU_OK;
    au_buf b;
    au_buf_init(&b, AU_SOURCE_MAX_VALUE);
    au_record *r = au_record_new();
    map_ctx c = {s, r, err, index, 0, NULL, NULL};
    if (!r) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    if (!json_is_object(doc)) {
        au_err_detail_add(err, index, NULL, NULL, "expected a JSON object");
        rc = au_err_set(err, AU_ERR_INVALID, "record %ld: expected a JSON object", index);
        goto out;
    }
    if ((rc = record_id_of(s, doc, index, r, err)))
        goto out;
    if (!(r->source = au_strdup(s->name))) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    size_t found = 1; /* the record id */
    for (int a = 0; a < AU_ATTR_COUNT; a++) {
        const attr_map *m = &s->map[a];
        if (!m->nfrom)
            continue;
        rc = join_fields(m, doc, &b, &found);
        if (rc == AU_ERR_TOO_LARGE) {
            au_err_detail_add(err, index, r->record_id, m->label, "%s: value longer than %d bytes",
                              au_attr_name((au_attr)a), AU_SOURCE_MAX_VALUE);
            c.bad++;
            rc = AU_OK;
            continue;
        }
        if (rc)
            goto out;
        if (!b.len)
            continue;
        rc = is_name((au_attr)a) ? put_name(&c, (au_attr)a, b.data, m->label)
                                 : put_attr(&c, (au_attr)a, b.data, b.data, m->label);
        if (rc)
            goto out;
    }
    if ((rc = derive_names(&c)) || (rc = put_affixes(&c)) ||
        (rc = collect_custom(s, doc, r, found)))
        goto out;
    if (c.bad) {
        rc = au_err_set(err, AU_ERR_INVALID, "record %ld (%s): %d invalid field%s", index,
                        r->record_id, c.bad, c.bad > 1 ? "s" : "");
        goto out;
    }
    r->input = json_incref((json_t *)doc);
    au_record_hash(r);
    *out = r;
    r = NULL;
out:
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    au_record_free(r);
    au_buf_cleanup(&b);
    return rc;
}
