/*
 * Start-up fast path of the resolve hook: reads only the comparison keys (attrs.<name>.key) out
 * of a stored record document, without building a JSON tree. Restoring a million records spent
 * three quarters of its time in the JSON parser and malloc for values the resolver never reads
 * (raw and display forms, custom fields, the input document). Any document this small scanner
 * does not understand is refused, and the caller falls back to the full parser.
 */
#include <string.h>

#include "resolve/hook.h"
#include "lib/alloc.h"

#define DOC_MAX_DEPTH 64

typedef struct scan {
    const char *p; /* next unread character */
} scan;

static void ws(scan *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
        s->p++;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at s->p ('"'); with out, decoded into a new heap string (au_free). */
static int string(scan *s, char **out)
{
    if (*s->p != '"')
        return -1;
    const char *start = ++s->p;
    int escaped = 0;
    for (; *s->p != '"'; s->p++) {
        if (!*s->p)
            return -1;
        if (*s->p == '\\') {
            escaped = 1;
            if (!*++s->p)
                return -1;
        }
    }
    size_t n = (size_t)(s->p - start);
    s->p++;
    if (!out)
        return 0;
    /* decoding never grows: \uXXXX (6 bytes) becomes at most 3, a pair (12) at most 4 */
    char *o = au_malloc(n + 1), *w = o;
    if (!o)
        return -1;
    for (const char *q = start; q < start + n; q++) {
        if (!escaped || *q != '\\') {
            *w++ = *q;
            continue;
        }
        q++;
        unsigned cp, lo;
        switch (*q) {
        case 'b':
            *w++ = '\b';
            break;
        case 'f':
            *w++ = '\f';
            break;
        case 'n':
            *w++ = '\n';
            break;
        case 'r':
            *w++ = '\r';
            break;
        case 't':
            *w++ = '\t';
            break;
        case 'u':
            if (q + 5 > start + n || hex4(q + 1, &cp))
                goto bad;
            q += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (q + 7 > start + n || q[1] != '\\' || q[2] != 'u' || hex4(q + 3, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            if (cp == 0)
                goto bad; /* a NUL would cut the key short: let the full parser decide */
            w += put_utf8(w, cp);
            break;
        default: /* " \ / */
            *w++ = *q;
        }
    }
    *w = '\0';
    *out = o;
    return 0;
bad:
    au_free(o);
    return -1;
}

/* Skips any JSON value. */
static int skip(scan *s, int depth)
{
    ws(s);
    if (*s->p == '"')
        return string(s, NULL);
    if (*s->p == '{' || *s->p == '[') {
        char close = *s->p == '{' ? '}' : ']';
        if (depth >= DOC_MAX_DEPTH)
            return -1;
        s->p++;
        ws(s);
        if (*s->p == close) {
            s->p++;
            return 0;
        }
        for (;;) {
            if (close == '}') {
                ws(s);
                if (string(s, NULL))
                    return -1;
                ws(s);
                if (*s->p++ != ':')
                    return -1;
            }
            if (skip(s, depth + 1))
                return -1;
            ws(s);
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p++ != close)
                return -1;
            return 0;
        }
    }
    const char *start = s->p;
    while (*s->p && !strchr(",}] \t\r\n", *s->p))
        s->p++;
    return s->p > start ? 0 : -1;
}

/* Iterates the members of the object at s->p: cb(ctx, s, name) must consume the value. */
static int members(scan *s, int (*cb)(void *ctx, scan *s, const char *name), void *ctx)
{
    ws(s);
    if (*s->p++ != '{')
        return -1;
    ws(s);
    if (*s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        char *name = NULL;
        ws(s);
        if (string(s, &name))
            return -1;
        ws(s);
        int rc = *s->p++ == ':' ? cb(ctx, s, name) : -1;
        au_free(name);
        if (rc)
            return -1;
        ws(s);
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        return *s->p++ == '}' ? 0 : -1;
    }
}

typedef struct attr_ctx {
    char *key, *value, *raw; /* the forms read, owned */
    int has_key;             /* "key" was present (a null key means no key, not "use value") */
} attr_ctx;

/* A string value into *dst (replacing), or skips anything else (null: *dst stays NULL). */
static int take_string(scan *s, char **dst)
{
    ws(s);
    if (*s->p != '"')
        return skip(s, 2);
    au_free(*dst);
    *dst = NULL;
    return string(s, dst);
}

static int on_form(void *ctx, scan *s, const char *name)
{
    attr_ctx *a = ctx;
    if (strcmp(name, "key") == 0) {
        a->has_key = 1;
        return take_string(s, &a->key);
    }
    if (strcmp(name, "value") == 0)
        return take_string(s, &a->value);
    if (strcmp(name, "raw") == 0)
        return take_string(s, &a->raw);
    return skip(s, 2);
}

/* Mirrors the stored forms of record.c: a plain string is all three forms; in an object a
 * missing key means the key equals the value. The raw form is kept only for a quarantined
 * value (no value, no key): the resolver compares its digits. */
static int on_attr(void *ctx, scan *s, const char *name)
{
    au_record *r = ctx;
    int attr = au_attr_from_name(name);
    attr_ctx a = {0};
    int rc;
    if (attr < 0)
        return skip(s, 1);
    ws(s);
    if (*s->p == '"') {
        rc = string(s, &a.key);
    } else {
        rc = members(s, on_form, &a);
        if (!rc && !a.has_key) {
            a.key = a.value;
            a.value = NULL;
        }
    }
    if (!rc && !a.key && !a.value && a.raw) {
        au_record_set(r, (au_attr)attr, a.raw, NULL, NULL);
        a.raw = NULL;
    } else if (!rc) {
        au_record_set(r, (au_attr)attr, NULL, NULL, a.key);
    } else {
        au_free(a.key);
    }
    au_free(a.value);
    au_free(a.raw);
    return rc;
}

static int on_top(void *ctx, scan *s, const char *name)
{
    return strcmp(name, "attrs") == 0 ? members(s, on_attr, ctx) : skip(s, 1);
}

au_rc au_resolve_keys_from_doc(const char *doc, const char *source, const char *record_id,
                               au_record **out)
{
    au_record *r = au_record_new();
    scan s = {doc};
    *out = NULL;
    if (!r)
        return AU_ERR_NOMEM;
    r->source = au_strdup(source);
    r->record_id = au_strdup(record_id);
    if (!r->source || !r->record_id || members(&s, on_top, r)) {
        au_record_free(r);
        return AU_ERR_PARSE;
    }
    *out = r;
    return AU_OK;
}
