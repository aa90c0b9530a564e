/*
 * Masking of personal values for read:masked keys (mask.h): the policy, the mask of one value
 * by attribute kind, and the walker that masks a JSON answer by the names of its members.
 */
#include "audit/mask.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

#define STARS "***"

static const char *const level_names[] = {"none", "partial", "full"};

/* Defaults: everything that identifies a person is partial; what an address is reduced to
 * (city, country) and what does not identify (company, title, suffix) is shown; gender is
 * hidden. */
static au_mask_level default_level(au_attr a)
{
    switch (a) {
    case AU_ATTR_COMPANY:
    case AU_ATTR_CITY:
    case AU_ATTR_COUNTRY:
    case AU_ATTR_TITLE:
    case AU_ATTR_NAME_SUFFIX:
        return AU_MASK_NONE;
    case AU_ATTR_GENDER:
        return AU_MASK_FULL;
    default:
        return AU_MASK_PARTIAL;
    }
}

au_rc au_mask_policy_parse(const au_config *cfg, au_mask_policy *p, au_err *err)
{
    const json_t *sec = cfg && cfg->doc ? json_object_get(cfg->doc, "masking") : NULL;
    const char *k;
    json_t *v;
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        p->level[a] = (unsigned char)default_level((au_attr)a);
    if (!sec || json_is_null(sec))
        return AU_OK;
    if (!json_is_object(sec))
        return au_err_set(err, AU_ERR_INVALID,
                          "masking: expected a mapping attribute -> full | partial | none");
    json_object_foreach((json_t *)sec, k, v)
    {
        int a = au_attr_from_name(k);
        const char *s = json_string_value(v);
        int lvl = -1;
        for (int i = 0; s && i < 3; i++)
            if (strcmp(s, level_names[i]) == 0)
                lvl = i;
        if (a < 0)
            return au_err_set(err, AU_ERR_INVALID, "masking.%s: not a canonical attribute", k);
        if (lvl < 0)
            return au_err_set(err, AU_ERR_INVALID, "masking.%s: expected full, partial or none", k);
        p->level[a] = (unsigned char)lvl;
    }
    return AU_OK;
}

/* Bytes of the UTF-8 character starting at s. */
static size_t utf8_len(const char *s)
{
    size_t n = 1;
    while (s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
        n++;
    return n;
}

/* "John Smith" -> "J. S." */
static char *initials(const char *v)
{
    size_t cap = strlen(v) * 2 + 2, n = 0;
    char *out = au_malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = v; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t c = utf8_len(p);
        if (n)
            out[n++] = ' ';
        memcpy(out + n, p, c);
        n += c;
        out[n++] = '.';
        p += c;
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    out[n] = '\0';
    return out;
}

static char *email_mask(const char *v)
{
    const char *at = strrchr(v, '@');
    if (!at || at == v)
        return au_strdup(STARS);
    size_t c = utf8_len(v), dl = strlen(at);
    char *out = au_malloc(c + 3 + dl + 1);
    if (!out)
        return NULL;
    memcpy(out, v, c);
    memcpy(out + c, STARS, 3);
    memcpy(out + c + 3, at, dl + 1);
    return out;
}

/* "***" and the last `keep` digits (phones) or characters (identifiers) of v. */
static char *tail_mask(const char *v, size_t keep, int digits_only)
{
    char tail[8];
    size_t n = 0;
    for (size_t i = strlen(v); i > 0 && n < keep; i--) {
        unsigned char ch = (unsigned char)v[i - 1];
        if (digits_only ? isdigit(ch) : isalnum(ch))
            tail[keep - 1 - n++] = (char)ch;
    }
    if (n < keep || strlen(v) <= keep)
        return au_strdup(STARS);
    char out[16];
    snprintf(out, sizeof(out), STARS "%.*s", (int)keep, tail);
    return au_strdup(out);
}

static char *year_of(const char *v)
{
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)v[i]))
            return au_strdup(STARS);
    return au_strndup(v, 4);
}

char *au_mask_value(au_attr a, au_mask_level lvl, const char *v)
{
    if (lvl == AU_MASK_NONE)
        return au_strdup(v);
    if (lvl == AU_MASK_FULL || !*v)
        return au_strdup(lvl == AU_MASK_FULL ? STARS : v);
    switch (au_attr_kind_of(a)) {
    case AU_KIND_NAME:
        return initials(v);
    case AU_KIND_EMAIL:
        return email_mask(v);
    case AU_KIND_PHONE:
        return tail_mask(v, 4, 1);
    case AU_KIND_DATE:
        return year_of(v);
    case AU_KIND_ID:
        return tail_mask(v, 2, 0);
    case AU_KIND_PLACE:
    case AU_KIND_COUNTRY:
        return au_strdup(v);
    default: /* address lines, postcode, state, free text, gender */
        return au_strdup(STARS);
    }
}

/* --- which member holds what -------------------------------------------------------------- */

/* Source field names in common use, exactly (FEBRL, Segment traits, shop exports). */
static const struct {
    const char *name;
    au_attr attr;
} aliases[] = {
    {"name", AU_ATTR_FULL_NAME},
    {"first", AU_ATTR_FIRST_NAME},
    {"given_name", AU_ATTR_FIRST_NAME},
    {"firstname", AU_ATTR_FIRST_NAME},
    {"last", AU_ATTR_LAST_NAME},
    {"surname", AU_ATTR_LAST_NAME},
    {"lastname", AU_ATTR_LAST_NAME},
    {"family_name", AU_ATTR_LAST_NAME},
    {"middle", AU_ATTR_MIDDLE_NAME},
    {"emails", AU_ATTR_EMAIL},
    {"phones", AU_ATTR_PHONE},
    {"dob", AU_ATTR_DATE_OF_BIRTH},
    {"birthday", AU_ATTR_DATE_OF_BIRTH},
    {"line1", AU_ATTR_ADDRESS_LINE1},
    {"line2", AU_ATTR_ADDRESS_LINE2},
    {"street_number", AU_ATTR_ADDRESS_LINE1},
    {"address_1", AU_ATTR_ADDRESS_LINE1},
    {"address_2", AU_ATTR_ADDRESS_LINE2},
    {"suburb", AU_ATTR_CITY},
    {"town", AU_ATTR_CITY},
    {"zip", AU_ATTR_POSTCODE},
    {"soc_sec_id", AU_ATTR_NATIONAL_ID},
    {"ssn", AU_ATTR_NATIONAL_ID},
    {"sex", AU_ATTR_GENDER},
};

/* Parts of a member name that mark it personal (customer_email, ship_to_address). */
static const struct {
    const char *part;
    au_attr attr;
} parts[] = {
    {"mail", AU_ATTR_EMAIL},
    {"phone", AU_ATTR_PHONE},
    {"mobile", AU_ATTR_PHONE},
    {"birth", AU_ATTR_DATE_OF_BIRTH},
    {"postcode", AU_ATTR_POSTCODE},
    {"postal", AU_ATTR_POSTCODE},
    {"zip", AU_ATTR_POSTCODE},
    {"street", AU_ATTR_ADDRESS_LINE1},
    {"address", AU_ATTR_ADDRESS_FULL},
    {"surname", AU_ATTR_LAST_NAME},
    {"_name", AU_ATTR_FULL_NAME},
    {"passport", AU_ATTR_PASSPORT},
    {"licen", AU_ATTR_DRIVERS_LICENSE},
    {"soc_sec", AU_ATTR_NATIONAL_ID},
    {"ship_to", AU_ATTR_ADDRESS_FULL},
    {"bill_to", AU_ATTR_ADDRESS_FULL},
    {"shipping", AU_ATTR_ADDRESS_FULL},
};

/* Members that are structure around values, never values: walked into, not masked whole. */
static const char *const structural[] = {"addresses", "sources",    "lineage", "source",
                                         "record_id", "key_id",     "status",  "reason",
                                         "attribute", "attributes", "mapped"};

/* The attribute member `key` holds, or -1. */
static int attr_of_key(const char *key)
{
    char low[64];
    size_t n = strlen(key);
    if (n >= sizeof(low))
        return -1;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)key[i]);
    for (size_t i = 0; i < sizeof(structural) / sizeof(structural[0]); i++)
        if (strcmp(low, structural[i]) == 0)
            return -1;
    int a = au_attr_from_name(low);
    if (a >= 0)
        return a;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(low, aliases[i].name) == 0)
            return (int)aliases[i].attr;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (strstr(low, parts[i].part))
            return (int)parts[i].attr;
    return -1;
}

/* A whole string shaped like an e-mail address (a@b.c, no spaces). */
static int looks_like_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && !strchr(at + 1, '@') && strchr(at + 1, '.') && !strpbrk(s, " \t\n");
}

/* --- the walker --------------------------------------------------------------------------- */

typedef struct walker {
    const au_mask_policy *p;
    au_mask_field_fn field;
    void *ctx;
} walker;

static au_rc walk(walker *w, json_t *node, const char *source);

/* Replaces the string (or number) *v with its mask. */
static au_rc mask_leaf(walker *w, json_t *parent, const char *key, size_t index, json_t *v,
                       au_attr a)
{
    char num[64];
    const char *s = json_string_value(v);
    if (!s && (json_is_integer(v) || json_is_real(v))) {
        if (json_is_integer(v))
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        else
            snprintf(num, sizeof(num), "%.15g", json_real_value(v));
        s = num;
    }
    if (!s)
        return AU_OK;
    char *m = au_mask_value(a, (au_mask_level)w->p->level[a], s);
    json_t *n = m ? json_string(m) : NULL;
    au_free(m);
    if (!n)
        return AU_ERR_NOMEM;
    int bad = key ? json_object_set_new(parent, key, n) : json_array_set_new(parent, index, n);
    return bad ? AU_ERR_NOMEM : AU_OK;
}

/* Masks what member `key` of parent (or element index) holds, as values of attribute a. */
static au_rc mask_under(walker *w, json_t *parent, const char *key, size_t index, json_t *v,
                        au_attr a)
{
    au_rc rc = AU_OK;
    if (w->p->level[a] == AU_MASK_NONE)
        return AU_OK;
    if (json_is_object(v)) {
        /* {raw, value, key, status, reason}: the forms of a value and their metadata */
        static const char *const forms[] = {"raw", "value", "key", "display"};
        for (size_t i = 0; i < 4 && !rc; i++) {
            json_t *f = json_object_get(v, forms[i]);
            if (f)
                rc = mask_under(w, v, forms[i], 0, f, a);
        }
        return rc;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && !rc; i++)
            rc = mask_under(w, v, NULL, i, json_array_get(v, i), a);
        return rc;
    }
    return mask_leaf(w, parent, key, index, v, a);
}

/* Members whose string value may be a JSON document (a dead letter's request and response, a
 * webhook body); text that is not JSON under them is masked whole. */
static int holds_text(const char *key)
{
    return strcmp(key, "request") == 0 || strcmp(key, "response") == 0 ||
           strcmp(key, "body") == 0 || strcmp(key, "input") == 0;
}

static au_rc walk_text(walker *w, json_t *obj, const char *key, json_t *v, const char *source)
{
    const char *s = json_string_value(v);
    json_t *doc = json_loads(s, JSON_DECODE_ANY, NULL);
    au_rc rc = AU_OK;
    if (json_is_object(doc) || json_is_array(doc)) {
        char *text = NULL;
        if (!(rc = walk(w, doc, source)) && !(text = json_dumps(doc, JSON_COMPACT)))
            rc = AU_ERR_NOMEM;
        if (!rc && json_object_set_new(obj, key, json_string(text)))
            rc = AU_ERR_NOMEM;
        free(text);
    } else if (*s && strcmp(key, "input") != 0) {
        rc = json_object_set_new(obj, key, json_string(STARS)) ? AU_ERR_NOMEM : AU_OK;
    }
    json_decref(doc);
    return rc;
}

/* A record's input as received: its fields through the source's mapping first. */
static au_rc walk_input(walker *w, json_t *input, const char *source)
{
    const char *k;
    json_t *v;
    void *tmp;
    au_rc rc = AU_OK;
    json_object_foreach_safe(input, tmp, k, v)
    {
        int a = w->field && source ? w->field(w->ctx, source, k) : -1;
        rc = a >= 0 ? mask_under(w, input, k, 0, v, (au_attr)a) : AU_OK;
        if (!rc && a < 0) {
            int b = attr_of_key(k);
            rc = b >= 0 ? mask_under(w, input, k, 0, v, (au_attr)b) : walk(w, v, source);
        }
        if (rc)
            break;
    }
    return rc;
}

static au_rc walk_object(walker *w, json_t *obj, const char *source)
{
    const char *k;
    json_t *v;
    void *tmp;
    au_rc rc = AU_OK;
    const char *own = json_string_value(json_object_get(obj, "source"));
    if (own)
        source = own;
    /* {"column": "phone", "value": ...}: a value labelled by its attribute (generic values) */
    const char *col = json_string_value(json_object_get(obj, "column"));
    json_t *labelled = json_object_get(obj, "value");
    int ca = col && labelled ? attr_of_key(col) : -1;
    if (ca >= 0 && (rc = mask_under(w, obj, "value", 0, labelled, (au_attr)ca)))
        return rc;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        int a = attr_of_key(k);
        if (a >= 0)
            rc = mask_under(w, obj, k, 0, v, (au_attr)a);
        else if (json_is_string(v) && holds_text(k))
            rc = walk_text(w, obj, k, v, source);
        else if (json_is_object(v) && strcmp(k, "input") == 0)
            rc = walk_input(w, v, source);
        else if (json_is_string(v) && looks_like_email(json_string_value(v)))
            rc = mask_leaf(w, obj, k, 0, v, AU_ATTR_EMAIL);
        else
            rc = walk(w, v, source);
        if (rc)
            break;
    }
    return rc;
}

static au_rc walk(walker *w, json_t *node, const char *source)
{
    au_rc rc = AU_OK;
    if (json_is_object(node))
        return walk_object(w, node, source);
    if (!json_is_array(node))
        return AU_OK;
    for (size_t i = 0; i < json_array_size(node) && !rc; i++) {
        json_t *v = json_array_get(node, i);
        if (json_is_string(v) && looks_like_email(json_string_value(v)))
            rc = mask_leaf(w, node, NULL, i, v, AU_ATTR_EMAIL);
        else
            rc = walk(w, v, source);
    }
    return rc;
}

au_rc au_mask_json(const au_mask_policy *p, json_t *doc, au_mask_field_fn field, void *ctx)
{
    walker w = {p, field, ctx};
    return walk(&w, doc, NULL);
}

au_rc au_mask_text(const au_mask_policy *p, const char *text, size_t len, au_mask_field_fn field,
                   void *ctx, char **out, size_t *out_len)
{
    json_error_t jerr;
    *out = NULL;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    if (!doc)
        return strstr(jerr.text, "memory") ? AU_ERR_NOMEM : AU_ERR_PARSE;
    au_rc rc = au_mask_json(p, doc, field, ctx);
    if (!rc && !(*out = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15))))
        rc = AU_ERR_NOMEM;
    if (*out)
        *out_len = strlen(*out);
    json_decref(doc);
    return rc;
}
