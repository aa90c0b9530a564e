/*
 * Canonical attribute table and record (de)serialisation. The JSON form is what the store keeps
 * per record version, so it must round-trip exactly.
 */
#include "record/record.h"

#include <string.h>
#include <xxhash.h>

#include "lib/alloc.h"
#include "lib/buf.h"

static const struct {
    const char *name;
    au_attr_kind kind;
} attr_table[AU_ATTR_COUNT] = {
#define AU_ATTR_ROW(id, n, k) {n, k},
    AU_ATTR_LIST(AU_ATTR_ROW)
#undef AU_ATTR_ROW
};

const char *au_attr_name(au_attr a)
{
    return (unsigned)a < AU_ATTR_COUNT ? attr_table[a].name : "?";
}

au_attr_kind au_attr_kind_of(au_attr a)
{
    return (unsigned)a < AU_ATTR_COUNT ? attr_table[a].kind : AU_KIND_TEXT;
}

int au_attr_from_name(const char *name)
{
    for (int i = 0; i < AU_ATTR_COUNT; i++)
        if (strcmp(attr_table[i].name, name) == 0)
            return i;
    return -1;
}

au_record *au_record_new(void)
{
    return au_calloc(1, sizeof(au_record));
}

static void value_clear(au_value *v)
{
    au_free(v->raw);
    au_free(v->value);
    au_free(v->key);
    au_free(v->reason);
    v->raw = v->value = v->key = v->reason = NULL;
}

void au_record_free(au_record *r)
{
    if (!r)
        return;
    au_free(r->source);
    au_free(r->record_id);
    for (int i = 0; i < AU_ATTR_COUNT; i++)
        value_clear(&r->attrs[i]);
    json_decref(r->custom);
    json_decref(r->input);
    au_free(r);
}

void au_record_set(au_record *r, au_attr a, char *raw, char *value, char *key)
{
    value_clear(&r->attrs[a]);
    r->attrs[a].raw = raw;
    r->attrs[a].value = value;
    r->attrs[a].key = key;
}

void au_record_quarantine(au_record *r, au_attr a, char *raw, char *reason)
{
    value_clear(&r->attrs[a]);
    r->attrs[a].raw = raw;
    r->attrs[a].reason = reason;
}

int au_record_is_quarantined(const au_record *r, au_attr a)
{
    return r->attrs[a].reason != NULL;
}

static void hash_str(XXH3_state_t *st, const char *s)
{
    /* The terminating NUL separates fields so ("ab","c") and ("a","bc") differ. */
    if (s)
        XXH3_64bits_update(st, s, strlen(s) + 1);
    else
        XXH3_64bits_update(st, "\x01", 1);
}

uint64_t au_record_hash(au_record *r)
{
    XXH3_state_t *st = XXH3_createState();
    if (!st)
        return 0;
    XXH3_64bits_reset(st);
    for (int i = 0; i < AU_ATTR_COUNT; i++) {
        hash_str(st, r->attrs[i].raw);
        hash_str(st, r->attrs[i].value);
        /* A new verdict on the same raw value (renormalisation, a changed rule) is a change
         * the quality ledger must see; hashed only when present so that the hashes of records
         * without quarantined values stay what they were. */
        if (r->attrs[i].reason)
            hash_str(st, r->attrs[i].reason);
    }
    if (r->custom) {
        char *c = json_dumps(r->custom, JSON_SORT_KEYS | JSON_COMPACT);
        hash_str(st, c);
        free(c);
    }
    r->hash = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return r->hash;
}

static int set_opt_str(json_t *obj, const char *k, const char *v)
{
    return v ? json_object_set_new(obj, k, json_string(v)) : 0;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* raw or key in the stored form: omitted when equal to value, null when absent. */
static int set_form(json_t *obj, const char *k, const char *v, const char *value)
{
    if (same_str(v, value))
        return 0;
    return json_object_set_new(obj, k, v ? json_string(v) : json_null());
}

/* One attribute as stored: the bare string when all three forms are equal (most names,
 * dates and e-mails), otherwise {"value"} plus only the forms that differ from it. */
static json_t *stored_attr(const au_value *v)
{
    if (v->value && same_str(v->raw, v->value) && same_str(v->key, v->value))
        return json_string(v->value);
    json_t *o = json_object();
    if (o && (set_form(o, "raw", v->raw, v->value) || set_opt_str(o, "value", v->value) ||
              set_form(o, "key", v->key, v->value) || set_opt_str(o, "invalid", v->reason))) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

json_t *au_record_to_json(const au_record *r)
{
    json_t *doc = json_object(), *attrs = json_object();
    if (!doc || !attrs)
        goto fail;
    for (int i = 0; i < AU_ATTR_COUNT; i++) {
        const au_value *v = &r->attrs[i];
        if (!v->raw && !v->value && !v->key)
            continue;
        json_t *o = stored_attr(v);
        if (!o || json_object_set_new(attrs, attr_table[i].name, o))
            goto fail;
    }
    if (json_object_set_new(doc, "attrs", attrs))
        goto fail_doc;
    if (r->custom && json_object_set(doc, "custom", r->custom))
        goto fail_doc;
    if (r->input && json_object_set(doc, "input", r->input))
        goto fail_doc;
    return doc;
fail:
    json_decref(attrs);
fail_doc:
    json_decref(doc);
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? au_strdup(s) : NULL;
}

/* Decodes one stored attribute into its three forms and its quarantine reason (pointers into
 * `v`, not copies). */
static void stored_forms(const json_t *v, const char **raw, const char **value, const char **key,
                         const char **reason)
{
    *reason = NULL;
    if (json_is_string(v)) {
        *raw = *value = *key = json_string_value(v);
        return;
    }
    *reason = json_string_value(json_object_get(v, "invalid"));
    *value = json_string_value(json_object_get(v, "value"));
    const json_t *r = json_object_get(v, "raw"), *k = json_object_get(v, "key");
    *raw = r ? json_string_value(r) : *value;
    *key = k ? json_string_value(k) : *value;
}

json_t *au_record_doc_attrs(const json_t *doc)
{
    json_t *out = json_object();
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(doc, "attrs"), name, v)
    {
        const char *raw, *value, *key, *reason;
        stored_forms(v, &raw, &value, &key, &reason);
        json_t *o = json_object();
        if (!out || !o || set_opt_str(o, "raw", raw) || set_opt_str(o, "value", value) ||
            set_opt_str(o, "key", key) ||
            set_opt_str(o, "status", reason ? "quarantined" : "valid") ||
            set_opt_str(o, "reason", reason) || json_object_set_new(out, name, o)) {
            json_decref(o);
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

au_rc au_record_from_json(const char *source, const char *record_id, const json_t *doc,
                          au_record **out)
{
    au_record *r = au_record_new();
    if (!r)
        return AU_ERR_NOMEM;
    r->source = au_strdup(source);
    r->record_id = au_strdup(record_id);
    const json_t *attrs = json_object_get(doc, "attrs");
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)attrs, name, v)
    {
        int a = au_attr_from_name(name);
        if (a < 0)
            continue;
        const char *raw, *value, *key, *reason;
        stored_forms(v, &raw, &value, &key, &reason);
        if (reason)
            au_record_quarantine(r, (au_attr)a, dup_or_null(raw), dup_or_null(reason));
        else
            au_record_set(r, (au_attr)a, dup_or_null(raw), dup_or_null(value), dup_or_null(key));
    }
    json_t *c = json_object_get(doc, "custom");
    r->custom = c ? json_incref(c) : NULL;
    json_t *in = json_object_get(doc, "input");
    r->input = in ? json_incref(in) : NULL;
    au_record_hash(r);
    *out = r;
    return AU_OK;
}

/* Records are bounded by the request body limit; this only stops a runaway. */
#define RECORD_TEXT_LIMIT (64u << 20)

/* Escapes exactly as Jansson's compact dump does (short forms for \b \f \n \r \t, upper-case
 * \u00XX otherwise), so the direct writer stays byte-identical to json_dumps. */
static void put_json_str(au_buf *b, const char *s, au_rc *rc)
{
    static const char hex[] = "0123456789ABCDEF";
    if (*rc || (*rc = au_buf_reserve(b, 64)))
        return;
    char *o = b->data + b->len, *end = b->data + b->cap - 8;
    *o++ = '"';
    for (unsigned char c; (c = (unsigned char)*s); s++) {
        if (o >= end) {
            /* Room for the longest escape (6) and the closing quote, grown geometrically. */
            b->len = (size_t)(o - b->data);
            if ((*rc = au_buf_reserve(b, b->cap)))
                return;
            o = b->data + b->len;
            end = b->data + b->cap - 8;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

static int dump_to_buf(const char *data, size_t size, void *ctx)
{
    return au_buf_append(ctx, data, size) ? -1 : 0;
}

static void put_raw(au_buf *b, const char *s, au_rc *rc)
{
    if (!*rc)
        *rc = au_buf_append(b, s, strlen(s));
}

static void put_member(au_buf *b, const char *k, const char *v, int *first, au_rc *rc)
{
    if (!v || *rc)
        return;
    put_raw(b, *first ? "" : ",", rc);
    *first = 0;
    put_json_str(b, k, rc);
    put_raw(b, ":", rc);
    put_json_str(b, v, rc);
}

/* raw or key as stored: omitted when equal to value, null when absent (see stored_attr). */
static void put_form(au_buf *b, const char *k, const char *v, const char *value, int *first,
                     au_rc *rc)
{
    if (*rc || same_str(v, value))
        return;
    if (v) {
        put_member(b, k, v, first, rc);
        return;
    }
    put_raw(b, *first ? "" : ",", rc);
    *first = 0;
    put_json_str(b, k, rc);
    put_raw(b, ":null", rc);
}

/* An object whose members are all strings (every CSV row, most JSON documents) is written
 * directly, in the same member order Jansson dumps; anything else goes through Jansson. */
static int flat_string_object(const json_t *v)
{
    const char *k;
    json_t *m;
    if (!json_is_object(v))
        return 0;
    json_object_foreach((json_t *)v, k, m)
    {
        if (!json_is_string(m) || strlen(json_string_value(m)) != json_string_length(m))
            return 0;
    }
    return 1;
}

static void put_json_value(au_buf *b, const char *k, const json_t *v, au_rc *rc)
{
    if (!v || *rc)
        return;
    put_raw(b, ",", rc);
    put_json_str(b, k, rc);
    put_raw(b, ":", rc);
    if (*rc)
        return;
    if (!flat_string_object(v)) {
        if (json_dump_callback(v, dump_to_buf, b, JSON_COMPACT) != 0)
            *rc = AU_ERR_NOMEM;
        return;
    }
    const char *mk;
    json_t *m;
    int first = 1;
    put_raw(b, "{", rc);
    json_object_foreach((json_t *)v, mk, m)
    {
        put_member(b, mk, json_string_value(m), &first, rc);
    }
    put_raw(b, "}", rc);
}

char *au_record_to_text(const au_record *r)
{
    au_buf b;
    au_rc rc = AU_OK;
    au_buf_init(&b, RECORD_TEXT_LIMIT);
    /* Typical documents fit, so the buffer is allocated once. */
    rc = au_buf_reserve(&b, 1024);
    put_raw(&b, "{\"attrs\":{", &rc);
    int first_attr = 1;
    for (int i = 0; i < AU_ATTR_COUNT && !rc; i++) {
        const au_value *v = &r->attrs[i];
        if (!v->raw && !v->value && !v->key)
            continue;
        put_raw(&b, first_attr ? "" : ",", &rc);
        first_attr = 0;
        put_json_str(&b, attr_table[i].name, &rc);
        put_raw(&b, ":", &rc);
        if (v->value && same_str(v->raw, v->value) && same_str(v->key, v->value)) {
            put_json_str(&b, v->value, &rc);
            continue;
        }
        int first = 1;
        put_raw(&b, "{", &rc);
        put_form(&b, "raw", v->raw, v->value, &first, &rc);
        put_member(&b, "value", v->value, &first, &rc);
        put_form(&b, "key", v->key, v->value, &first, &rc);
        put_member(&b, "invalid", v->reason, &first, &rc);
        put_raw(&b, "}", &rc);
    }
    rc = rc ? rc : au_buf_putc(&b, '}');
    put_json_value(&b, "custom", r->custom, &rc);
    put_json_value(&b, "input", r->input, &rc);
    rc = rc ? rc : au_buf_putc(&b, '}');
    if (rc) {
        au_buf_cleanup(&b);
        return NULL;
    }
    /* A batch's texts wait together in its write job: without trimming, the buffer's doubling
     * slack (up to half of it) was held per record, 83 MB for one 8 MiB batch. */
    size_t len = b.len;
    char *text = au_buf_steal(&b);
    char *fit = au_realloc(text, len + 1);
    /* An allocator that refuses even to shrink is out of memory: said so like every other
     * allocation failure (the fault-injection loops hold every step to that). */
    if (!fit)
        au_free(text);
    return fit;
}
