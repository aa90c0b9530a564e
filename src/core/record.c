/*
 * Canonical attribute table and record (de)serialisation. The JSON form is what the store keeps
 * per record version, so it must round-trip exactly.
 */
#include "core/record.h"

#include <string.h>
#include <xxhash.h>

#include "lib/alloc.h"

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
