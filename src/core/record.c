/*
 * Canonical attribute table and record (de)serialisation. The JSON form is what the store keeps
 * per record version, so it must round-trip exactly.
 */
#include "core/record.h"

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
    v->raw = v->value = v->key = NULL;
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

json_t *au_record_to_json(const au_record *r)
{
    json_t *doc = json_object(), *attrs = json_object();
    if (!doc || !attrs)
        goto fail;
    for (int i = 0; i < AU_ATTR_COUNT; i++) {
        const au_value *v = &r->attrs[i];
        if (!v->raw && !v->value && !v->key)
            continue;
        json_t *o = json_object();
        if (!o || set_opt_str(o, "raw", v->raw) || set_opt_str(o, "value", v->value) ||
            set_opt_str(o, "key", v->key) || json_object_set_new(attrs, attr_table[i].name, o))
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

static char *dup_field(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? au_strdup(s) : NULL;
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
        au_record_set(r, (au_attr)a, dup_field(v, "raw"), dup_field(v, "value"),
                      dup_field(v, "key"));
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

static void put_json_str(au_buf *b, const char *s, au_rc *rc)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;
    *rc = *rc ? *rc : au_buf_putc(b, '"');
    for (; *s && !*rc; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        *rc = au_buf_append(b, run, (size_t)(s - run));
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t n = 2;
        if (c == '\n')
            esc[1] = 'n';
        else if (c == '\t')
            esc[1] = 't';
        else if (c == '\r')
            esc[1] = 'r';
        else if (c < 0x20) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (!*rc)
            *rc = au_buf_append(b, esc, n);
        run = s + 1;
    }
    if (!*rc)
        *rc = au_buf_append(b, run, (size_t)(s - run));
    if (!*rc)
        *rc = au_buf_putc(b, '"');
}

static int dump_to_buf(const char *data, size_t size, void *ctx)
{
    return au_buf_append(ctx, data, size) ? -1 : 0;
}

static void put_member(au_buf *b, const char *k, const char *v, int *first, au_rc *rc)
{
    if (!v || *rc)
        return;
    *rc = au_buf_puts(b, *first ? "" : ",");
    *first = 0;
    put_json_str(b, k, rc);
    *rc = *rc ? *rc : au_buf_putc(b, ':');
    put_json_str(b, v, rc);
}

static void put_json_value(au_buf *b, const char *k, const json_t *v, au_rc *rc)
{
    if (!v || *rc)
        return;
    *rc = au_buf_putc(b, ',');
    put_json_str(b, k, rc);
    *rc = *rc ? *rc : au_buf_putc(b, ':');
    if (!*rc && json_dump_callback(v, dump_to_buf, b, JSON_COMPACT) != 0)
        *rc = AU_ERR_NOMEM;
}

char *au_record_to_text(const au_record *r)
{
    au_buf b;
    au_rc rc = AU_OK;
    au_buf_init(&b, RECORD_TEXT_LIMIT);
    rc = au_buf_puts(&b, "{\"attrs\":{");
    int first_attr = 1;
    for (int i = 0; i < AU_ATTR_COUNT && !rc; i++) {
        const au_value *v = &r->attrs[i];
        if (!v->raw && !v->value && !v->key)
            continue;
        rc = au_buf_puts(&b, first_attr ? "" : ",");
        first_attr = 0;
        put_json_str(&b, attr_table[i].name, &rc);
        rc = rc ? rc : au_buf_puts(&b, ":{");
        int first = 1;
        put_member(&b, "raw", v->raw, &first, &rc);
        put_member(&b, "value", v->value, &first, &rc);
        put_member(&b, "key", v->key, &first, &rc);
        rc = rc ? rc : au_buf_putc(&b, '}');
    }
    rc = rc ? rc : au_buf_putc(&b, '}');
    put_json_value(&b, "custom", r->custom, &rc);
    put_json_value(&b, "input", r->input, &rc);
    rc = rc ? rc : au_buf_putc(&b, '}');
    if (rc) {
        au_buf_cleanup(&b);
        return NULL;
    }
    return au_buf_steal(&b);
}
