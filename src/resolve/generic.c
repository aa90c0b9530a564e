/*
 * Generic values and quarantined values.
 *
 * A generic value is an e-mail, phone, national id or address that does not point at one
 * person: a known placeholder (000-00-0000, 123456789, test@test.com, noemail@..., a role
 * address such as info@ or sales@, "unknown") or a value that records of several clearly
 * different people hold (a shop's phone typed for every walk-in customer). Such a value is no
 * evidence either way, fires no deterministic rule, raises no identifier conflict and is not a
 * blocking key. Each interned value carries AU_GEN_* flag bits: the placeholder check runs once
 * when the value is first seen, the "shared" flag is set by the resolver as records arrive
 * (resolve.c, au_resolver_add), and matching.generic.never / .always override both.
 *
 * A quarantined value is one normalisation refused (raw kept, no key): an impossible date or a
 * phone number that is too short or malformed. Its digits still say something: the helpers
 * here extract them for the fuzzy, lower-weight comparisons of score.c.
 */
#include <ctype.h>
#include <string.h>

#include "lib/alloc.h"
#include "resolve/resolve_int.h"

/* Lower-case letters and digits of s only, into out (cap bytes, NUL-terminated). */
static void squash(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (isalnum((unsigned char)*s))
            out[n++] = (char)tolower((unsigned char)*s);
    out[n] = '\0';
}

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Digits that are all one digit, or a run up or down by one (1234567, 987654): keyboard
 * fillers. At least 5 digits. */
static int digit_filler(const char *d, size_t n)
{
    if (n < 5)
        return 0;
    int same = 1, up = 1, down = 1;
    for (size_t i = 1; i < n; i++) {
        same &= d[i] == d[0];
        up &= d[i] == d[i - 1] + 1;
        down &= d[i] == d[i - 1] - 1;
    }
    return same || up || down;
}

static size_t digits_of(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (isdigit((unsigned char)*s))
            out[n++] = *s;
    out[n] = '\0';
    return n;
}

/* Local parts that stand for "no address" or for a function rather than a person. */
static const char *const email_locals[] = {
    "noemail",   "nomail",     "none",       "no",        "na",      "nobody",  "noreply",
    "noreplay",  "donotreply", "unknown",    "null",      "test",    "testing", "email",
    "mail",      "invalid",    "fake",       "dummy",     "asdf",    "xxx",     "abc",
    "info",      "sales",      "admin",      "contact",   "office",  "support", "hello",
    "enquiries", "inquiries",  "billing",    "accounts",  "hr",      "jobs",    "marketing",
    "team",      "webmaster",  "postmaster", "reception", "service", "help",    "orders",
    NULL};

static int email_placeholder(const char *key)
{
    const char *at = strchr(key, '@');
    char local[64], dom[64];
    if (!at || at == key)
        return 0;
    size_t ll = (size_t)(at - key) < sizeof local ? (size_t)(at - key) : sizeof local - 1;
    char raw_local[64];
    memcpy(raw_local, key, ll);
    raw_local[ll] = '\0';
    squash(raw_local, local, sizeof local);
    /* The first label of the domain: test@test.com, a@a.com. */
    size_t dl = strcspn(at + 1, ".");
    dl = dl < sizeof dom ? dl : sizeof dom - 1;
    memcpy(dom, at + 1, dl);
    dom[dl] = '\0';
    if (!*local)
        return 1;
    if (in_list(local, email_locals) || strncmp(local, "noemail", 7) == 0 ||
        strncmp(local, "nomail", 6) == 0 || strcmp(local, dom) == 0)
        return 1;
    return strcmp(dom, "noemail") == 0 || strcmp(dom, "none") == 0 || strcmp(dom, "invalid") == 0;
}

static int phone_placeholder(const char *key)
{
    char d[32];
    size_t n = digits_of(key, d, sizeof d);
    /* A subscriber number of one repeated digit (0000000, 5555555), or a keyboard run over
     * the whole number (123456789); a real number may well end in 1234567. */
    if (n < 7)
        return 0;
    for (size_t i = 0; i + 9 <= n; i++)
        if (digit_filler(d + i, n - i) && n - i >= 9)
            return 1;
    const char *sub = d + n - 7;
    return strspn(sub, (char[]){sub[0], 0}) == 7;
}

static int nid_placeholder(const char *key)
{
    static const char *const words[] = {"na",          "none",    "unknown", "null",
                                        "notprovided", "refused", "test",    NULL};
    char s[64], d[64];
    squash(key, s, sizeof s);
    if (in_list(s, words))
        return 1;
    size_t n = digits_of(key, d, sizeof d);
    if (n != strlen(s))
        return s[0] && strspn(s, "x") == strlen(s); /* XXXXXXXXX */
    if (digit_filler(d, n))
        return 1;
    /* A US social security number is never issued with area 000 or 666, group 00 or serial
     * 0000: such a number is a filler. */
    return n == 9 && (memcmp(d, "000", 3) == 0 || memcmp(d, "666", 3) == 0 ||
                      memcmp(d + 3, "00", 2) == 0 || memcmp(d + 5, "0000", 4) == 0);
}

static int address_placeholder(const char *key)
{
    static const char *const words[] = {
        "unknown", "none",        "na",       "noaddress", "nofixedabode",
        "nfa",     "notprovided", "notgiven", "homeless",  "generaldelivery",
        "test",    "address",     "tbd",      "tba",       "null",
        "nil",     "xxx",         "0",        NULL};
    char s[128];
    squash(key, s, sizeof s);
    return !s[0] || in_list(s, words) || (s[1] && strspn(s, "x") == strlen(s));
}

unsigned au_gen_check(au_intern *t, uint32_t id, au_gcol c)
{
    if (!id)
        return 0;
    if (t->gen[id] & AU_GEN_SEEN) {
        t->gen[id] |= AU_GEN_REPEAT;
        return au_gen_is(t, id) ? 1u << c : 0;
    }
    const char *s = au_intern_str(t, id);
    int ph = c == AU_GCOL_EMAIL         ? email_placeholder(s)
             : c == AU_GCOL_PHONE       ? phone_placeholder(s)
             : c == AU_GCOL_NATIONAL_ID ? nid_placeholder(s)
                                        : address_placeholder(s);
    t->gen[id] = (uint8_t)(t->gen[id] | AU_GEN_SEEN | (ph ? AU_GEN_PLACEHOLDER : 0) |
                           (unsigned)(c - 1) << AU_GEN_COL_SHIFT);
    return au_gen_is(t, id) ? 1u << c : 0;
}

/* Flags one spelling of a configured value in table t. */
static au_rc gen_config_one(au_intern *t, const char *s, int never)
{
    uint32_t id;
    au_rc rc = au_intern_get(t, s, &id);
    if (rc || !id)
        return rc;
    t->gen[id] |= never ? AU_GEN_NEVER : AU_GEN_ALWAYS;
    return AU_OK;
}

/* A configured value is matched in the forms the comparison keys take: as written, lower-case
 * (e-mail, address), upper-case letters and digits (identifier) and + digits (E.164 phone). */
au_rc au_gen_apply_config(au_resolver *res)
{
    const au_model *m = &res->model;
    au_rc rc = AU_OK;
    char form[AU_GENERIC_VALUE_MAX + 2];
    for (int i = 0; i < m->ngeneric && !rc; i++) {
        const char *v = m->generic_values[i];
        int never = m->generic_never[i];
        size_t n = 0;
        if ((rc = gen_config_one(&res->ids, v, never)) ||
            (rc = gen_config_one(&res->text, v, never)))
            break;
        for (const char *p = v; *p && n + 1 < sizeof form; p++)
            form[n++] = (char)tolower((unsigned char)*p);
        form[n] = '\0';
        if ((rc = gen_config_one(&res->ids, form, never)) ||
            (rc = gen_config_one(&res->text, form, never)))
            break;
        n = 0;
        for (const char *p = v; *p && n + 1 < sizeof form; p++)
            if (isalnum((unsigned char)*p))
                form[n++] = (char)toupper((unsigned char)*p);
        form[n] = '\0';
        if ((rc = gen_config_one(&res->ids, form, never)))
            break;
        form[0] = '+';
        if (digits_of(v, form + 1, sizeof form - 1) >= 5)
            rc = gen_config_one(&res->ids, form, never);
    }
    return rc;
}

int au_gen_date_digits(const char *raw, au_date_parts *out)
{
    int part[3] = {0, 0, 0}, len[3] = {0, 0, 0}, np = 0;
    memset(out, 0, sizeof *out);
    if (!raw)
        return 0;
    char d[16];
    size_t nd = digits_of(raw, d, sizeof d);
    int seps = 0;
    for (const char *p = raw; *p; p++)
        seps += !isdigit((unsigned char)*p) && !isspace((unsigned char)*p);
    if (seps == 0 && nd == 8) { /* 19153312: YYYYxxyy, or xxyyYYYY when that is no year */
        int y1 = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
        int first = y1 >= 1800 && y1 <= 2100;
        const char *y = first ? d : d + 4, *r = first ? d + 4 : d;
        part[0] = (y[0] - '0') * 1000 + (y[1] - '0') * 100 + (y[2] - '0') * 10 + (y[3] - '0');
        part[1] = (r[0] - '0') * 10 + (r[1] - '0');
        part[2] = (r[2] - '0') * 10 + (r[3] - '0');
    } else {
        for (const char *p = raw; *p && np < 3;) {
            if (!isdigit((unsigned char)*p)) {
                p++;
                continue;
            }
            int v = 0, l = 0;
            for (; isdigit((unsigned char)*p); p++, l++)
                v = l < 6 ? v * 10 + (*p - '0') : v;
            part[np] = v;
            len[np++] = l;
        }
        /* A partial date (1958, 1958-03, 03/1958) keeps its year and month, the rest 0. */
        int yi = len[0] == 4 ? 0 : np > 1 && len[np - 1] == 4 ? np - 1 : -1;
        if (yi < 0)
            return 0;
        int a = np == 1 ? 0 : yi == 0 ? part[1] : part[0];
        int b = np < 3 ? 0 : yi == 0 ? part[2] : part[1];
        part[0] = part[yi];
        part[1] = a;
        part[2] = b;
    }
    if (part[0] < 1000 || part[0] > 2999 || part[1] > 99 || part[2] > 99)
        return 0;
    out->y = (short)part[0];
    out->m = (signed char)part[1];
    out->d = (signed char)part[2];
    return 1;
}

int au_gen_phone_digits(const char *raw, char *out, size_t cap)
{
    if (!raw || cap < 9)
        return 0;
    size_t n = digits_of(raw, out + 1, cap - 1);
    if (n < 7)
        return 0;
    out[0] = '#';
    return 1;
}

/* ---- listing ---------------------------------------------------------------------------- */

#define GEN_ANY (AU_GEN_PLACEHOLDER | AU_GEN_SHARED | AU_GEN_ALWAYS | AU_GEN_NEVER)

static const char *gcol_name(unsigned c)
{
    static const char *const names[AU_GCOL_COUNT] = {NULL, "email", "phone", "national_id",
                                                     "address"};
    return c > 0 && c < AU_GCOL_COUNT ? names[c] : NULL;
}

static const char *gen_reason(uint8_t g)
{
    if (g & AU_GEN_NEVER)
        return "configured_never";
    if (g & AU_GEN_ALWAYS)
        return "configured_always";
    if (g & AU_GEN_PLACEHOLDER)
        return "placeholder";
    return "shared_by_different_people";
}

/* Live records holding each flagged value of the ids (count[0]) and text (count[1]) tables. */
static void gen_counts(const au_resolver *res, uint32_t *ids, uint32_t *text)
{
    for (size_t r = 0; r < res->nf; r++) {
        const au_feat *f = &res->f[r];
        if (!f->alive)
            continue;
        uint32_t v[3] = {f->email, f->phone, f->nid};
        for (int i = 0; i < 3; i++)
            if (v[i] && (res->ids.gen[v[i]] & GEN_ANY))
                ids[v[i]]++;
        if (f->addr && (res->text.gen[f->addr] & GEN_ANY))
            text[f->addr]++;
    }
}

static au_rc list_table(const au_intern *t, const uint32_t *count, json_t *arr, size_t max,
                        size_t *total)
{
    for (uint32_t id = 1; id <= t->n; id++) {
        uint8_t g = t->gen[id];
        const char *col = g & AU_GEN_SEEN ? gcol_name((g >> AU_GEN_COL_SHIFT) + 1u) : NULL;
        if (!(g & GEN_ANY) || !col)
            continue; /* never seen in a generic-capable column: a configured spelling only */
        if (!count[id] && !(g & AU_GEN_SHARED))
            continue; /* a placeholder pattern no live record holds */
        if ((*total)++ >= max)
            continue;
        json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:i}", "column", col, "value",
                              au_intern_str(t, id), "generic", au_gen_is(t, id), "reason",
                              gen_reason(g), "records", (json_int_t)count[id]);
        if (!o || json_array_append_new(arr, o))
            return AU_ERR_NOMEM;
    }
    return AU_OK;
}

json_t *au_resolver_generic_list(const au_resolver *res, size_t max)
{
    json_t *doc = json_object(), *arr = json_array();
    uint32_t *ci = au_calloc(res->ids.n + 1, sizeof(uint32_t));
    uint32_t *ct = au_calloc(res->text.n + 1, sizeof(uint32_t));
    size_t total = 0;
    if (!doc || !arr || !ci || !ct)
        goto fail;
    gen_counts(res, ci, ct);
    if (list_table(&res->ids, ci, arr, max, &total) || list_table(&res->text, ct, arr, max, &total))
        goto fail;
    au_free(ci);
    au_free(ct);
    json_object_set_new(doc, "values", arr);
    json_object_set_new(doc, "total", json_integer((json_int_t)total));
    json_object_set_new(doc, "truncated", json_boolean(total > max));
    return doc;
fail:
    au_free(ci);
    au_free(ct);
    json_decref(arr);
    json_decref(doc);
    return NULL;
}
