/*
 * Segment Tracking API mapping. Validation follows Segment's documented requirements (a userId or
 * an anonymousId on every call, an event name on track, userId and previousId on alias, a groupId
 * on group) and adds what Aurum needs to stay precise: typed fields, parseable timestamps, and
 * errors that name the field and, in a batch, the index.
 */
#include "ingest/segment.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "record/record.h"
#include "lib/alloc.h"
#include "lib/isotime.h"

/* Nested custom traits deeper than this are kept as one JSON string, bounding the number of
 * document fields a hostile message can create. */
#define MAX_TRAIT_DEPTH 4
/* Longest accepted Authorization header value. */
#define MAX_AUTH_HEADER 1024

static const char *const call_types[] = {"identify", "track", "page", "screen", "group", "alias"};

/* Defaults a batch gives its messages. */
typedef struct seg_defaults {
    const json_t *context; /* batch-level context, may be NULL */
    const json_t *sent_at; /* batch-level sentAt, may be NULL */
    int64_t received_ms;   /* server receive time */
    long index;            /* position in the batch, -1 for a single call */
} seg_defaults;

/* What is known of a message once its envelope is validated. */
typedef struct seg_msg {
    const json_t *msg;      /* the message, borrowed */
    const char *type;       /* call type */
    const char *message_id; /* NULL when absent */
    char user[256];         /* userId, "" when absent */
    char anon[256];         /* anonymousId, "" when absent */
    char record[270];       /* record id of the customer: userId or "anon:"+anonymousId */
    char event_id[64];      /* messageId or the derived hash id (when it fits) */
    int64_t at_ms;          /* event time */
} seg_msg;

static au_rc fail(au_err *err, const seg_defaults *d, const char *mid, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static au_rc fail(au_err *err, const seg_defaults *d, const char *mid, const char *field,
                  const char *fmt, ...)
{
    char reason[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    au_err_detail_add(err, d->index, mid, field, "%s", reason);
    if (d->index >= 0)
        return au_err_set(err, AU_ERR_INVALID, "batch[%ld]: %s%s%s", d->index, field ? field : "",
                          field ? ": " : "", reason);
    return au_err_set(err, AU_ERR_INVALID, "%s%s%s", field ? field : "", field ? ": " : "", reason);
}

/* --- time ---------------------------------------------------------------------------------- */

static au_rc resolve_time(const seg_msg *m, const seg_defaults *d, au_err *err, int64_t *at)
{
    static const char *const fields[] = {"timestamp", "originalTimestamp", "sentAt", "receivedAt"};
    int found = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const json_t *v = json_object_get(m->msg, fields[i]);
        if (!v && i == 2)
            v = d->sent_at;
        if (!v || json_is_null(v))
            continue;
        int64_t t;
        if (!json_is_string(v) || au_iso8601_parse(json_string_value(v), json_string_length(v), &t))
            return fail(err, d, m->message_id, fields[i], "must be an ISO 8601 timestamp");
        if (!found)
            *at = t;
        found = 1; /* later fields are still validated, so a malformed one is never ignored */
    }
    if (!found)
        *at = d->received_ms;
    return AU_OK;
}

/* --- envelope ------------------------------------------------------------------------------ */

/* An id field: a non-empty string or an integer (SDKs send numeric user ids). *present = 0 when
 * absent, null or empty. */
static au_rc get_id(const seg_msg *m, const seg_defaults *d, const char *field, char *buf,
                    size_t cap, au_err *err)
{
    const json_t *v = json_object_get(m->msg, field);
    buf[0] = '\0';
    if (!v || json_is_null(v))
        return AU_OK;
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return AU_OK;
    }
    if (!json_is_string(v))
        return fail(err, d, m->message_id, field, "must be a string");
    if (json_string_length(v) >= cap)
        return fail(err, d, m->message_id, field, "longer than %zu characters", cap - 1);
    snprintf(buf, cap, "%s", json_string_value(v));
    return AU_OK;
}

static au_rc check_object(const seg_msg *m, const seg_defaults *d, const char *field, au_err *err)
{
    const json_t *v = json_object_get(m->msg, field);
    if (v && !json_is_null(v) && !json_is_object(v))
        return fail(err, d, m->message_id, field, "must be an object");
    return AU_OK;
}

static au_rc check_type(seg_msg *m, const char *hint, const seg_defaults *d, au_err *err)
{
    const json_t *t = json_object_get(m->msg, "type");
    if (t && !json_is_string(t))
        return fail(err, d, m->message_id, "type", "must be a string");
    const char *ts = json_string_value(t);
    if (hint && ts && strcmp(ts, hint))
        return fail(err, d, m->message_id, "type", "\"%s\" does not match the /v1/%s endpoint", ts,
                    hint);
    if (!hint && !ts)
        return fail(err, d, m->message_id, "type", "is required in a batch");
    const char *want = hint ? hint : ts;
    for (size_t i = 0; i < sizeof(call_types) / sizeof(call_types[0]); i++)
        if (strcmp(want, call_types[i]) == 0) {
            m->type = call_types[i];
            return AU_OK;
        }
    return fail(err, d, m->message_id, "type",
                "unknown call type \"%s\" (expected identify, track, page, screen, group or "
                "alias)",
                want);
}

static void derive_event_id(seg_msg *m)
{
    if (m->message_id && strlen(m->message_id) < sizeof(m->event_id)) {
        snprintf(m->event_id, sizeof(m->event_id), "%s", m->message_id);
        return;
    }
    /* No messageId (or one too long to keep whole): a hash of the message, so a retried
     * identical message maps to the same id. */
    char *dump = json_dumps(m->msg, JSON_COMPACT | JSON_SORT_KEYS);
    XXH128_hash_t h = XXH3_128bits(dump ? dump : "", dump ? strlen(dump) : 0);
    free(dump);
    snprintf(m->event_id, sizeof(m->event_id), "h_%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
}

static au_rc parse_envelope(seg_msg *m, const char *hint, const seg_defaults *d, au_err *err)
{
    if (!json_is_object(m->msg))
        return fail(err, d, NULL, NULL, "message must be a JSON object");
    const json_t *mid = json_object_get(m->msg, "messageId");
    if (mid && (!json_is_string(mid) || json_string_length(mid) == 0))
        return fail(err, d, NULL, "messageId", "must be a non-empty string");
    m->message_id = json_string_value(mid);
    au_rc rc;
    if ((rc = check_type(m, hint, d, err)) ||
        (rc = get_id(m, d, "userId", m->user, sizeof(m->user), err)) ||
        (rc = get_id(m, d, "anonymousId", m->anon, sizeof(m->anon), err)) ||
        (rc = check_object(m, d, "context", err)) || (rc = resolve_time(m, d, err, &m->at_ms)))
        return rc;
    if (strcmp(m->type, "alias") != 0 && !m->user[0] && !m->anon[0])
        return fail(err, d, m->message_id, "userId", "a userId or an anonymousId is required");
    if (m->user[0])
        snprintf(m->record, sizeof(m->record), "%s", m->user);
    else
        snprintf(m->record, sizeof(m->record), "anon:%s", m->anon);
    derive_event_id(m);
    return AU_OK;
}

/* --- identify ------------------------------------------------------------------------------ */

/* Segment trait (top level) → canonical attribute; the first present alias wins. */
static const struct {
    const char *trait, *attr;
} trait_map[] = {
    {"email", "email"},
    {"phone", "phone"},
    {"firstName", "first_name"},
    {"first_name", "first_name"},
    {"lastName", "last_name"},
    {"last_name", "last_name"},
    {"middleName", "middle_name"},
    {"middle_name", "middle_name"},
    {"name", "full_name"},
    {"birthday", "date_of_birth"},
    {"gender", "gender"},
};

/* address.* sub-trait → canonical attribute. */
static const struct {
    const char *trait, *attr;
} address_map[] = {
    {"street", "address_line1"}, {"city", "city"},   {"postalCode", "postcode"},
    {"postal_code", "postcode"}, {"state", "state"}, {"country", "country"},
};

/* Keys of the document that are not attributes. */
static int reserved_doc_key(const char *k)
{
    return !strcmp(k, "record_id") || !strcmp(k, "user_id") || !strcmp(k, "anonymous_id");
}

static int is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static au_rc put_custom(json_t *doc, const char *name, const json_t *v, int depth);

/* Sets a canonical attribute; when an earlier alias already set it, the value is kept as a
 * custom field "traits.NAME" rather than dropped. */
static au_rc put_canon(const seg_msg *m, const seg_defaults *d, json_t *doc, const char *attr,
                       const char *path, const json_t *v, au_err *err)
{
    if (!v || json_is_null(v))
        return AU_OK;
    if (!is_scalar(v))
        return fail(err, d, m->message_id, path, "must be a string, number or boolean");
    if (json_object_get(doc, attr)) {
        char k[300];
        snprintf(k, sizeof(k), "traits.%s", path + strlen("traits."));
        return put_custom(doc, k, v, 0);
    }
    return json_object_set_new(doc, attr, json_deep_copy(v)) ? AU_ERR_NOMEM : AU_OK;
}

/* Unmapped traits: objects flattened with dotted names, arrays and deep objects kept as JSON. */
static au_rc put_custom(json_t *doc, const char *name, const json_t *v, int depth)
{
    if (json_is_null(v))
        return AU_OK;
    if (json_is_object(v) && depth < MAX_TRAIT_DEPTH) {
        const char *k;
        json_t *sub;
        json_object_foreach((json_t *)v, k, sub)
        {
            char path[300];
            snprintf(path, sizeof(path), "%s.%s", name, k);
            au_rc rc = put_custom(doc, path, sub, depth + 1);
            if (rc)
                return rc;
        }
        return AU_OK;
    }
    char key[300];
    if (json_object_get(doc, name) || reserved_doc_key(name))
        snprintf(key, sizeof(key), "traits.%s", name);
    else
        snprintf(key, sizeof(key), "%s", name);
    if (is_scalar(v))
        return json_object_set_new(doc, key, json_deep_copy(v)) ? AU_ERR_NOMEM : AU_OK;
    char *dump = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    au_rc rc = dump && !json_object_set_new(doc, key, json_string(dump)) ? AU_OK : AU_ERR_NOMEM;
    free(dump);
    return rc;
}

static au_rc map_address(const seg_msg *m, const seg_defaults *d, const json_t *a, json_t *doc,
                         au_err *err)
{
    if (json_is_string(a))
        return put_canon(m, d, doc, "address_full", "traits.address", a, err);
    if (!json_is_object(a))
        return json_is_null(a)
                   ? AU_OK
                   : fail(err, d, m->message_id, "traits.address", "must be an object or a string");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)a, k, v)
    {
        char path[300];
        snprintf(path, sizeof(path), "traits.address.%s", k);
        const char *attr = NULL;
        for (size_t i = 0; !attr && i < sizeof(address_map) / sizeof(address_map[0]); i++)
            if (!strcmp(k, address_map[i].trait))
                attr = address_map[i].attr;
        au_rc rc = attr ? put_canon(m, d, doc, attr, path, v, err)
                        : put_custom(doc, path + strlen("traits."), v, 1);
        if (rc)
            return rc;
    }
    return AU_OK;
}

static au_rc map_company(const seg_msg *m, const seg_defaults *d, const json_t *c, json_t *doc,
                         au_err *err)
{
    if (!json_is_object(c))
        return put_canon(m, d, doc, "company", "traits.company", c, err);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)c, k, v)
    {
        char path[300];
        snprintf(path, sizeof(path), "traits.company.%s", k);
        au_rc rc = !strcmp(k, "name") ? put_canon(m, d, doc, "company", path, v, err)
                                      : put_custom(doc, path + strlen("traits."), v, 1);
        if (rc)
            return rc;
    }
    return AU_OK;
}

static int trait_is_mapped(const char *k)
{
    if (!strcmp(k, "address") || !strcmp(k, "company"))
        return 1;
    for (size_t i = 0; i < sizeof(trait_map) / sizeof(trait_map[0]); i++)
        if (!strcmp(k, trait_map[i].trait))
            return 1;
    return 0;
}

static au_rc map_traits(const seg_msg *m, const seg_defaults *d, const json_t *traits, json_t *doc,
                        au_err *err)
{
    au_rc rc = AU_OK;
    const json_t *a = json_object_get(traits, "address"), *c = json_object_get(traits, "company");
    if (a && (rc = map_address(m, d, a, doc, err)))
        return rc;
    if (c && (rc = map_company(m, d, c, doc, err)))
        return rc;
    for (size_t i = 0; i < sizeof(trait_map) / sizeof(trait_map[0]) && !rc; i++) {
        char path[300];
        snprintf(path, sizeof(path), "traits.%s", trait_map[i].trait);
        rc = put_canon(m, d, doc, trait_map[i].attr, path,
                       json_object_get(traits, trait_map[i].trait), err);
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)traits, k, v)
    {
        if (rc || trait_is_mapped(k))
            continue;
        char path[300];
        snprintf(path, sizeof(path), "traits.%s", k);
        /* A trait already named like a canonical attribute ("city") maps onto it. */
        if (au_attr_from_name(k) >= 0)
            rc = put_canon(m, d, doc, k, path, v, err);
        else
            rc = put_custom(doc, k, v, 0);
    }
    return rc;
}

static json_t *ref(const char *record)
{
    return json_pack("{s:s,s:s}", "source", AU_SEGMENT_SOURCE, "record", record);
}

static au_rc append_link(json_t *items, const char *reason, json_t *from, const char *to)
{
    json_t *l = json_pack("{s:s,s:s,s:o,s:o}", "kind", "link", "reason", reason, "from", from, "to",
                          ref(to));
    return l && !json_array_append_new(items, l) ? AU_OK : AU_ERR_NOMEM;
}

static au_rc map_identify(const seg_msg *m, const seg_defaults *d, json_t *items, au_err *err)
{
    au_rc rc = check_object(m, d, "traits", err);
    if (rc)
        return rc;
    json_t *doc = json_pack("{s:s}", "record_id", m->record);
    if (!doc)
        return AU_ERR_NOMEM;
    if ((m->user[0] && json_object_set_new(doc, "user_id", json_string(m->user))) ||
        (m->anon[0] && json_object_set_new(doc, "anonymous_id", json_string(m->anon)))) {
        json_decref(doc);
        return AU_ERR_NOMEM;
    }
    const json_t *traits = json_object_get(m->msg, "traits");
    if (json_is_object(traits) && (rc = map_traits(m, d, traits, doc, err))) {
        json_decref(doc);
        return rc;
    }
    json_t *rec =
        json_pack("{s:s,s:s,s:s,s:o,s:s,s:I,s:I}", "kind", "record", "source", AU_SEGMENT_SOURCE,
                  "record_id", m->record, "doc", doc, "message_id", m->event_id, "at_ms",
                  (json_int_t)m->at_ms, "index", (json_int_t)(d->index > 0 ? d->index : 0));
    if (!rec || json_array_append_new(items, rec))
        return AU_ERR_NOMEM;
    if (m->user[0] && m->anon[0]) {
        char anon[270];
        snprintf(anon, sizeof(anon), "anon:%s", m->anon);
        return append_link(items, "identify", json_pack("[o]", ref(anon)), m->user);
    }
    return AU_OK;
}

/* --- events and alias ---------------------------------------------------------------------- */

static au_rc event_properties(const seg_msg *m, const seg_defaults *d, json_t **out, au_err *err)
{
    const json_t *props = json_object_get(m->msg, "properties");
    json_t *p = json_is_object(props) ? json_deep_copy(props) : json_object();
    if (!p)
        return AU_ERR_NOMEM;
    int bad = 0;
    if (!strcmp(m->type, "page") || !strcmp(m->type, "screen")) {
        const char *names[] = {"name", "category"};
        for (int i = 0; i < 2; i++) {
            const json_t *v = json_object_get(m->msg, names[i]);
            if (json_is_string(v) && !json_object_get(p, names[i]))
                bad |= json_object_set_new(p, names[i], json_deep_copy(v));
        }
    } else if (!strcmp(m->type, "group")) {
        const json_t *g = json_object_get(m->msg, "groupId");
        const json_t *t = json_object_get(m->msg, "traits");
        if (!(json_is_string(g) && json_string_length(g)) && !json_is_integer(g)) {
            json_decref(p);
            return fail(err, d, m->message_id, "groupId", "is required (string)");
        }
        bad |= json_object_set_new(p, "group_id", json_deep_copy(g));
        if (json_is_object(t))
            bad |= json_object_set_new(p, "traits", json_deep_copy(t));
    }
    if (bad) {
        json_decref(p);
        return AU_ERR_NOMEM;
    }
    *out = p;
    return AU_OK;
}

/* The batch context with the message's own context over it. */
static json_t *merged_context(const seg_msg *m, const seg_defaults *d)
{
    json_t *c = json_is_object(d->context) ? json_deep_copy(d->context) : json_object();
    const json_t *own = json_object_get(m->msg, "context");
    if (c && json_is_object(own) && json_object_update(c, (json_t *)own)) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static au_rc map_event(const seg_msg *m, const seg_defaults *d, json_t *items, au_err *err)
{
    const char *type = m->type;
    au_rc rc = check_object(m, d, "properties", err);
    if (!rc && !strcmp(type, "group"))
        rc = check_object(m, d, "traits", err);
    if (rc)
        return rc;
    if (!strcmp(type, "track")) {
        const json_t *ev = json_object_get(m->msg, "event");
        if (!json_is_string(ev) || json_string_length(ev) == 0)
            return fail(err, d, m->message_id, "event", "a track call needs an event name");
        type = json_string_value(ev);
    }
    json_t *props = NULL, *ctx = NULL;
    if ((rc = event_properties(m, d, &props, err)))
        return rc;
    if (!(ctx = merged_context(m, d))) {
        json_decref(props);
        return AU_ERR_NOMEM;
    }
    json_t *e =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o}", "kind", "event", "source", AU_SEGMENT_SOURCE,
                  "event_id", m->event_id, "type", type, "segment_type", m->type, "at_ms",
                  (json_int_t)m->at_ms, "customer", ref(m->record), "properties", props);
    if (!e) {
        json_decref(ctx);
        return AU_ERR_NOMEM;
    }
    if (json_object_size(ctx) ? json_object_set_new(e, "context", ctx) : (json_decref(ctx), 0)) {
        json_decref(e);
        return AU_ERR_NOMEM;
    }
    return json_array_append_new(items, e) ? AU_ERR_NOMEM : AU_OK;
}

static au_rc map_alias(const seg_msg *m, const seg_defaults *d, json_t *items, au_err *err)
{
    char prev[256], anon[270];
    au_rc rc = get_id(m, d, "previousId", prev, sizeof(prev), err);
    if (rc)
        return rc;
    if (!m->user[0])
        return fail(err, d, m->message_id, "userId", "an alias call needs a userId");
    if (!prev[0])
        return fail(err, d, m->message_id, "previousId", "an alias call needs a previousId");
    snprintf(anon, sizeof(anon), "anon:%s", prev);
    return append_link(items, "alias", json_pack("[o,o]", ref(prev), ref(anon)), m->user);
}

static au_rc map_one(const char *hint, const json_t *msg, const seg_defaults *d, json_t *items,
                     au_err *err)
{
    seg_msg m;
    memset(&m, 0, sizeof(m));
    m.msg = msg;
    au_rc rc = parse_envelope(&m, hint, d, err);
    if (rc)
        return rc;
    if (!strcmp(m.type, "identify"))
        return map_identify(&m, d, items, err);
    if (!strcmp(m.type, "alias"))
        return map_alias(&m, d, items, err);
    return map_event(&m, d, items, err);
}

au_rc au_segment_map(const char *type, const json_t *msg, int64_t received_ms, json_t **items,
                     au_err *err)
{
    seg_defaults d = {NULL, NULL, received_ms, -1};
    json_t *out = json_array();
    if (!out)
        return au_err_set(err, AU_ERR_NOMEM, NULL);
    au_rc rc = map_one(type, msg, &d, out, err);
    if (rc) {
        json_decref(out);
        return rc == AU_ERR_NOMEM ? au_err_set(err, rc, NULL) : rc;
    }
    *items = out;
    return AU_OK;
}

au_rc au_segment_map_batch(const json_t *body, int64_t received_ms, json_t **items, au_err *err)
{
    const json_t *batch = json_object_get(body, "batch");
    if (!json_is_array(batch))
        return au_err_set(err, AU_ERR_INVALID,
                          "batch: a JSON object with a \"batch\" array is "
                          "required");
    size_t n = json_array_size(batch);
    if (n > AU_SEGMENT_MAX_BATCH_ITEMS)
        return au_err_set(err, AU_ERR_TOO_LARGE, "batch: %zu messages, at most %d allowed", n,
                          AU_SEGMENT_MAX_BATCH_ITEMS);
    seg_defaults d = {json_object_get(body, "context"), json_object_get(body, "sentAt"),
                      received_ms, 0};
    json_t *out = json_array();
    size_t bad = 0;
    long first_bad = -1;
    char first_msg[sizeof(err->message)] = "";
    if (!out)
        return au_err_set(err, AU_ERR_NOMEM, NULL);
    for (size_t i = 0; i < n; i++) {
        d.index = (long)i;
        au_rc rc = map_one(NULL, json_array_get(batch, i), &d, out, err);
        if (rc == AU_ERR_NOMEM) {
            json_decref(out);
            return au_err_set(err, rc, NULL);
        }
        if (rc && !bad++) {
            first_bad = (long)i;
            snprintf(first_msg, sizeof(first_msg), "%s", err ? err->message : "");
        }
    }
    if (bad) {
        json_decref(out);
        return au_err_set(err, AU_ERR_INVALID,
                          "batch rejected: %zu of %zu messages invalid (first at index %ld: %s)",
                          bad, n, first_bad, first_msg);
    }
    *items = out;
    return AU_OK;
}

/* --- authentication ------------------------------------------------------------------------ */

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with optional padding; out holds at least strlen(in) bytes. Returns the
 * decoded length or -1. */
static long b64_decode(const char *in, unsigned char *out)
{
    size_t n = strlen(in);
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (strlen(in) - n > 2 || n % 4 == 1)
        return -1;
    unsigned acc = 0, bits = 0;
    long o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1))
        return -1; /* leftover bits must be zero: one encoding per key */
    return o;
}

au_rc au_segment_write_key_from_basic(const char *header, char **key, au_err *err)
{
    if (!header || !*header)
        return au_err_set(err, AU_ERR_UNAUTHORIZED,
                          "missing Authorization header (Basic with the write key as user)");
    if (strlen(header) > MAX_AUTH_HEADER)
        return au_err_set(err, AU_ERR_UNAUTHORIZED, "Authorization header too long");
    if (strncasecmp(header, "Basic ", 6) != 0)
        return au_err_set(err, AU_ERR_UNAUTHORIZED,
                          "Authorization must use the Basic scheme with the write key as user");
    const char *p = header + 6;
    while (*p == ' ')
        p++;
    unsigned char buf[MAX_AUTH_HEADER + 1];
    long n = b64_decode(p, buf);
    if (n < 0)
        return au_err_set(err, AU_ERR_UNAUTHORIZED, "Authorization: Basic value is not base64");
    const unsigned char *colon = memchr(buf, ':', (size_t)n);
    size_t klen = colon ? (size_t)(colon - buf) : (size_t)n;
    if (klen == 0)
        return au_err_set(err, AU_ERR_UNAUTHORIZED, "Authorization: the write key is empty");
    if (memchr(buf, '\0', klen))
        return au_err_set(err, AU_ERR_UNAUTHORIZED, "Authorization: the write key contains NUL");
    char *k = au_strndup((const char *)buf, klen);
    if (!k)
        return au_err_set(err, AU_ERR_NOMEM, NULL);
    *key = k;
    return AU_OK;
}

const char *au_segment_write_key_from_body(const json_t *body)
{
    const char *k = json_string_value(json_object_get(body, "writeKey"));
    return k && *k ? k : NULL;
}

/* --- source definition --------------------------------------------------------------------- */

json_t *au_segment_source_definition(void)
{
    json_t *fields = json_object();
    for (int a = 0; fields && a < AU_ATTR_COUNT; a++) {
        const char *name = au_attr_name((au_attr)a);
        json_t *f = a == AU_ATTR_DATE_OF_BIRTH
                        ? json_pack("{s:s,s:s}", "from", name, "format", "YYYY-MM-DD")
                        : json_string(name);
        if (json_object_set_new(fields, name, f)) {
            json_decref(fields);
            return NULL;
        }
    }
    if (!fields)
        return NULL;
    return json_pack("{s:s,s:o,s:{s:f}}", "record_id", "record_id", "fields", fields, "trust", "*",
                     0.5);
}
