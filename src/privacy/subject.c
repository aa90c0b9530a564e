/*
 * Finding a data subject: from a profile id or one identifier to the live profile, its member
 * records, and from every stored version of those records the references under which events
 * were filed, the identifiers that mark flow runs and dead letters as theirs, and the hashes an
 * erasure receipt keeps. Reads only (any store handle).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "record/record.h"
#include "lib/alloc.h"
#include "privacy/privacy_int.h"
#include "profile/profiles.h"

/* Attributes whose every form is distinctive enough to mark a run or dead letter as the
 * person's wherever it appears (names, cities or birth dates are shared by other people). */
static const au_attr strong_attrs[] = {AU_ATTR_EMAIL, AU_ATTR_PHONE, AU_ATTR_NATIONAL_ID,
                                       AU_ATTR_PASSPORT, AU_ATTR_DRIVERS_LICENSE};

void au_subject_hash(const char *kind, const char *value, char out[65])
{
    unsigned char h[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind));
    crypto_generichash_update(&st, (const unsigned char *)":", 1);
    crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

au_rc au_subject_query_from_json(const json_t *obj, au_subject_query *q, au_err *err)
{
    memset(q, 0, sizeof(*q));
    if (!json_is_object(obj))
        return au_err_set(err, AU_ERR_INVALID, "name the person: a JSON object");
    const json_t *p = json_object_get(obj, "profile");
    int given = 0;
    if (p) {
        q->profile = json_is_integer(p) ? (int64_t)json_integer_value(p) : -1;
        if (q->profile <= 0)
            return au_err_set(err, AU_ERR_INVALID, "profile: a positive integer");
        given++;
    }
    static const char *const names[] = {"email", "phone", "source", "record"};
    const char **slots[] = {&q->email, &q->phone, &q->source, &q->record};
    for (size_t i = 0; i < 4; i++) {
        const json_t *v = json_object_get(obj, names[i]);
        if (v && (!json_is_string(v) || !*json_string_value(v)))
            return au_err_set(err, AU_ERR_INVALID, "%s: a non-empty string", names[i]);
        *slots[i] = v ? json_string_value(v) : NULL;
    }
    if ((q->source != NULL) != (q->record != NULL))
        return au_err_set(err, AU_ERR_INVALID, "source and record go together");
    given += (q->email != NULL) + (q->phone != NULL) + (q->source != NULL);
    if (given != 1)
        return au_err_set(err, AU_ERR_INVALID,
                          "give exactly one of profile, email, phone, or source with record");
    return AU_OK;
}

/* The live profile the query names. */
static au_rc find_profile(au_engine *e, au_store *st, const au_subject_query *q, int64_t *id,
                          au_err *err)
{
    json_t *got = NULL;
    au_rc rc;
    if (q->profile > 0) {
        rc = au_profile_get(e, st, q->profile, 0, &got, err);
        if (!rc)
            *id = (int64_t)json_integer_value(json_object_get(got, "id"));
        json_decref(got);
        return rc;
    }
    rc = au_profile_lookup(e, st, q->email, q->phone, q->source, q->record, 0, &got, err);
    if (rc)
        return rc;
    size_t n = json_array_size(got);
    if (n == 0)
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no profile holds that identifier");
    else if (n > 1)
        rc = au_err_set(err, AU_ERR_CONFLICT,
                        "%zu profiles hold that identifier: name the person by profile id", n);
    else
        *id = (int64_t)json_integer_value(json_object_get(json_array_get(got, 0), "id"));
    json_decref(got);
    return rc;
}

/* Adds s to the array unless it is there already. */
static void add_unique(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return;
    json_array_append_new(arr, json_string(s));
}

/* A JSON member as compact text: "name":"value" with the value escaped (caller frees). */
static char *member_text(const char *name, const char *value)
{
    json_t *v = json_string(value);
    char *enc = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
    char *out = enc ? au_asprintf("\"%s\":%s", name, enc) : NULL;
    free(enc);
    json_decref(v);
    return out;
}

/* Every form (raw, value, key) of attribute `name` of a stored document: cb each string. */
static void attr_forms(const json_t *attrs, const char *name, void (*cb)(void *, const char *),
                       void *ctx)
{
    const json_t *a = json_object_get(attrs, name);
    if (json_is_string(a)) {
        cb(ctx, json_string_value(a));
        return;
    }
    static const char *const forms[] = {"raw", "value", "key"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *f = json_object_get(a, forms[i]);
        if (json_is_string(f))
            cb(ctx, json_string_value(f));
    }
}

static void add_needle(void *ctx, const char *s)
{
    /* short values (a country code, a digit) would mark other people's runs too */
    if (strlen(s) >= 5)
        add_unique(((au_subject *)ctx)->needles, s);
}

/* What one stored version contributes: event references and hashes of its identifier keys,
 * and its distinctive values as needles. */
static int on_version(void *ctx, const au_record_out *r)
{
    au_subject *s = ctx;
    json_t *doc = r->doc ? json_loads(r->doc, 0, NULL) : NULL;
    const json_t *attrs = json_object_get(doc, "attrs");
    for (size_t i = 0; attrs && i < sizeof(strong_attrs) / sizeof(strong_attrs[0]); i++)
        attr_forms(attrs, au_attr_name(strong_attrs[i]), add_needle, s);
    static const struct {
        au_attr a;
        const char *ref, *kind;
    } keyed[] = {{AU_ATTR_EMAIL, "e:", "email"}, {AU_ATTR_PHONE, "p:", "phone"}};
    for (size_t i = 0; attrs && i < 2; i++) {
        const json_t *a = json_object_get(attrs, au_attr_name(keyed[i].a));
        /* the stored form omits key when it equals value (docs/STORE.md) */
        const json_t *k = json_is_string(a) ? a : json_object_get(a, "key");
        if (json_is_object(a) && !k)
            k = json_object_get(a, "value");
        if (!json_is_string(k))
            continue;
        char *ref = au_asprintf("%s%s", keyed[i].ref, json_string_value(k));
        char h[65];
        au_subject_hash(keyed[i].kind, json_string_value(k), h);
        if (ref)
            add_unique(s->refs, ref);
        add_unique(s->hashes, h);
        au_free(ref);
    }
    json_decref(doc);
    return 0;
}

typedef struct member_ctx {
    au_subject *s;
    au_store *st;
    au_rc rc;
} member_ctx;

/* One member record: its identity, reference, hash and every version. */
static int on_member(void *vctx, const au_resolve_row *m)
{
    member_ctx *c = vctx;
    au_subject *s = c->s;
    json_array_append_new(s->members, json_pack("{s:I, s:s, s:s}", "no", (json_int_t)m->no, "s",
                                                m->source, "r", m->record_id));
    char *ref = au_asprintf("r:%s\x1f%s", m->source, m->record_id);
    char *rid = member_text("record_id", m->record_id), *rec = member_text("record", m->record_id);
    char h[65];
    au_subject_hash("record", ref ? ref + 2 : "", h);
    if (!ref || !rid || !rec) {
        c->rc = AU_ERR_NOMEM;
    } else {
        add_unique(s->refs, ref);
        add_unique(s->needles, rid);
        add_unique(s->needles, rec);
        add_unique(s->hashes, h);
        c->rc = au_store_record_history(c->st, m->source, m->record_id, on_version, s);
    }
    au_free(ref);
    au_free(rid);
    au_free(rec);
    return c->rc ? 1 : 0;
}

au_rc au_subject_find(au_engine *e, au_store *st, const au_subject_query *q, au_subject *out,
                      au_err *err)
{
    memset(out, 0, sizeof(*out));
    out->members = json_array();
    out->refs = json_array();
    out->needles = json_array();
    out->hashes = json_array();
    if (!out->members || !out->refs || !out->needles || !out->hashes)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    au_rc rc = find_profile(e, st, q, &out->profile, err);
    if (rc)
        return rc;
    /* flow run inputs name the profile as {"id":N} and change rows as "profile":N */
    char buf[80];
    snprintf(buf, sizeof(buf), "\"profile\":{\"id\":%lld}", (long long)out->profile);
    add_unique(out->needles, buf);
    snprintf(buf, sizeof(buf), "\"profile\":%lld,", (long long)out->profile);
    add_unique(out->needles, buf);
    snprintf(buf, sizeof(buf), "\"profile\":%lld}", (long long)out->profile);
    add_unique(out->needles, buf);
    member_ctx c = {out, st, AU_OK};
    rc = au_store_profile_members(st, out->profile, on_member, &c);
    if (rc == 1)
        rc = c.rc;
    if (rc)
        return au_err_set(err, rc, "cannot read the records of profile %lld",
                          (long long)out->profile);
    return AU_OK;
}

void au_subject_cleanup(au_subject *s)
{
    json_decref(s->members);
    json_decref(s->refs);
    json_decref(s->needles);
    json_decref(s->hashes);
    memset(s, 0, sizeof(*s));
}
