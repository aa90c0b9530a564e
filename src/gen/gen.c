/*
 * `aurum gen` engine: walks households in order, decides which Northwind systems each person is
 * in (and whether twice), renders each record in that system's own layout with realistic noise,
 * and streams the rows, the ground truth and the optional events to buffered files. Memory stays
 * constant whatever the size: nothing is kept per person except, in single-source mode, a ring
 * of recent people from which duplicates are drawn.
 */
#include "gen/gen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gen/gen_int.h"
#include "lib/alloc.h"

#pragma GCC diagnostic ignored "-Wformat-truncation" /* bounded strings, see person.c */

#define MAX_COLS 16
#define LINE_CAP 16384
#define RING     8192          /* single-source: duplicates come from the last RING people */
#define T0       1735689600LL  /* 2025-01-01T00:00:00Z: start of the events window */
#define TSPAN    (454 * 86400) /* to 2026-03-31 */

/* One rendered record: column values in the system's column order ("" = missing). */
typedef struct row {
    const char *v[MAX_COLS];
} row;

/* One observed (noisy) view of a person, shared by every layout. */
typedef struct view {
    const char *first, *middle, *last; /* possibly nicknamed, mistyped, folded */
    const au_gen_addr *a;              /* current or old address */
    int y, m, d;                       /* dob as recorded, y == 0 when missing */
    const char *email;                 /* chosen address, NULL when missing */
    int swapped;                       /* first and last given the wrong way round */
    int miss_phone;                    /* system has no phone for this record */
} view;

typedef struct gen gen;

/* A Northwind system: its layout, share of people and how noisy its data entry is. */
typedef struct sys_def {
    const char *name;
    const char *const *cols; /* header */
    int ncols;
    double member;                /* share of people present */
    double nick, typo, swap, old; /* chances of nickname, typo, swapped names, old address */
    double miss_dob, miss_email;  /* chances of a missing value */
    double miss_phone;
    int fold; /* ASCII-only names */
    void (*fill)(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *out);
    const char *mapping; /* YAML lines under the source name (after country) */
} sys_def;

typedef struct out_file {
    FILE *f;
    char *path; /* owned */
} out_file;

struct gen {
    const au_gen_opts *o;
    au_gen_tables t;
    au_gen_pool pool;
    out_file src[AU_GEN_NSYSTEMS];
    out_file truth, events;
    long counter[AU_GEN_NSYSTEMS]; /* records written per system, for ids */
    long ev_counter;
    au_gen_stats st;
    char line[LINE_CAP];
    size_t len;
};

/* ---------------------------------------------------------------- small formatting helpers */

static void put(gen *g, const char *s, size_t n)
{
    if (g->len + n >= LINE_CAP)
        n = LINE_CAP - 1 - g->len; /* rows are bounded far below; never truncates real data */
    memcpy(g->line + g->len, s, n);
    g->len += n;
}

static void puts_(gen *g, const char *s)
{
    put(g, s, strlen(s));
}

static void putc_(gen *g, char c)
{
    if (g->len + 1 < LINE_CAP)
        g->line[g->len++] = c;
}

/* Right-aligned zero-padded decimal without snprintf (hot path). */
static char *fmt_num(char *end, unsigned long long v, int width)
{
    *end = '\0';
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
        width--;
    } while (v || width > 0);
    return p;
}

/* Builds one string at the end of the row pool without snprintf (the hot path of every row). */
typedef struct pb {
    au_gen_pool *p;
    char *s;  /* start of the string in the pool */
    size_t n; /* bytes so far */
} pb;

#define PB_MAX 511 /* longest string built; the pool holds many */

static void pb_init(pb *b, au_gen_pool *p)
{
    if (p->used + PB_MAX + 1 > sizeof(p->buf))
        p->used = 0; /* never reached: a row uses far less than the pool */
    b->p = p;
    b->s = p->buf + p->used;
    b->n = 0;
}

static void pb_s(pb *b, const char *s)
{
    size_t n = strlen(s);
    if (n > PB_MAX - b->n)
        n = PB_MAX - b->n;
    memcpy(b->s + b->n, s, n);
    b->n += n;
}

static void pb_c(pb *b, char c)
{
    if (b->n < PB_MAX)
        b->s[b->n++] = c;
}

static void pb_u(pb *b, unsigned long long v, int width)
{
    char num[24];
    pb_s(b, fmt_num(num + sizeof(num) - 1, v, width));
}

static const char *pb_done(pb *b)
{
    b->s[b->n] = '\0';
    b->p->used += b->n + 1;
    return b->s;
}

static const char *pool_fmt_date(gen *g, int y, int m, int d, char style)
{
    pb b;
    pb_init(&b, &g->pool);
    switch (style) {
    case 'I': /* YYYY-MM-DD */
        pb_u(&b, (unsigned)y, 4);
        pb_c(&b, '-');
        pb_u(&b, (unsigned)m, 2);
        pb_c(&b, '-');
        pb_u(&b, (unsigned)d, 2);
        break;
    case 'D': /* DD/MM/YYYY */
    case 'M': /* MM/DD/YYYY */
        pb_u(&b, (unsigned)(style == 'D' ? d : m), 2);
        pb_c(&b, '/');
        pb_u(&b, (unsigned)(style == 'D' ? m : d), 2);
        pb_c(&b, '/');
        pb_u(&b, (unsigned)y, 4);
        break;
    default: /* YYYYMMDD */
        pb_u(&b, (unsigned)y, 4);
        pb_u(&b, (unsigned)m, 2);
        pb_u(&b, (unsigned)d, 2);
        break;
    }
    return pb_done(&b);
}

static const char *pool_printf(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *pool_printf(gen *g, const char *fmt, ...)
{
    char b[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof(b), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(b))
        n = sizeof(b) - 1;
    return au_gen_pool_dup(&g->pool, b, (size_t)n);
}

/* Scrambled but unique 8-digit number for the n-th record of a system. */
static unsigned long long id8(long n, unsigned salt)
{
    return ((unsigned long long)n * 73939133ULL + 1234567ULL * salt) % 100000000ULL;
}

static const char *make_id(gen *g, au_gen_system s, long n)
{
    char num[24];
    char *d = fmt_num(num + sizeof(num) - 1, id8(n, (unsigned)s + 1), 8);
    static const char *const prefix[] = {"C", "W", "6338", "BA-", "DC-", "sup_"};
    if (s == AU_GEN_SUPPORT) {
        char b[24];
        unsigned long long h = ((unsigned long long)n * 0x9E3779B97F4BULL + 0x5DEECE66DULL) &
                               0xFFFFFFFFFFFFULL; /* odd multiplier: a bijection mod 2^48 */
        snprintf(b, sizeof(b), "sup_%012llx", h);
        return au_gen_pool_dup(&g->pool, b, strlen(b));
    }
    pb b;
    pb_init(&b, &g->pool);
    pb_s(&b, prefix[s]);
    pb_s(&b, d);
    return pb_done(&b);
}

static const char *street_line(gen *g, const au_gen_addr *a, int abbrev, int flat_first)
{
    static const char *const full[] = {"Road", "Street", "Lane", "Avenue", "Drive", "Place"};
    static const char *const ab[] = {"Rd", "St", "Ln", "Ave", "Dr", "Pl"};
    const char *type = a->stype;
    if (abbrev)
        for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++)
            if (strcmp(type, full[i]) == 0)
                type = ab[i];
    pb b;
    pb_init(&b, &g->pool);
    if (a->flat && flat_first) {
        pb_s(&b, "Flat ");
        pb_u(&b, a->flat, 1);
        pb_s(&b, ", ");
    }
    pb_u(&b, a->house, 1);
    pb_c(&b, ' ');
    pb_s(&b, a->street);
    pb_c(&b, ' ');
    pb_s(&b, type);
    return pb_done(&b);
}

static const char *postcode_variant(gen *g, au_gen_rng *r, const char *pc)
{
    double u = au_gen_unit(r);
    if (u < 0.12)
        return au_gen_lower(&g->pool, pc);
    if (u < 0.25) {
        char b[16];
        size_t n = 0;
        for (const char *c = pc; *c && n + 1 < sizeof(b); c++)
            if (*c != ' ')
                b[n++] = *c;
        return au_gen_pool_dup(&g->pool, b, n);
    }
    return pc;
}

/* E-mail as typed: mostly lower case, sometimes capitalised parts or all upper case. */
static const char *email_variant(gen *g, au_gen_rng *r, const char *e, double cap, double upper)
{
    double u = au_gen_unit(r);
    if (u < upper)
        return au_gen_upper(&g->pool, e);
    if (u < upper + cap) {
        char b[128];
        size_t n = strlen(e);
        if (n >= sizeof(b))
            return e;
        int start = 1;
        for (size_t i = 0; i <= n; i++) {
            char c = e[i];
            b[i] = (start && c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
            start = c == '.' || c == '@' || c == '_';
        }
        b[0] = (b[0] >= 'a' && b[0] <= 'z') ? (char)(b[0] - 32) : b[0];
        return au_gen_pool_dup(&g->pool, b, n);
    }
    return e;
}

static const char *phone_pick(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v,
                              double landline_pref, const au_gen_phone_style *styles, int nst)
{
    if (v->miss_phone)
        return "";
    const au_gen_phone *ph = NULL;
    int has_m = pe->mobile.nsn[0] != '\0', has_l = pe->landline.nsn[0] != '\0';
    if (has_l && (!has_m || au_gen_chance(r, landline_pref)))
        ph = &pe->landline;
    else if (has_m)
        ph = &pe->mobile;
    if (!ph)
        return "";
    return au_gen_phone_fmt(&g->pool, ph, styles[au_gen_below(r, (uint32_t)nst)]);
}

static const char *join_name(gen *g, const view *v, int last_first, int comma)
{
    const char *a = v->first, *b = v->last;
    if (last_first != v->swapped) {
        a = v->last;
        b = v->first;
    }
    pb o;
    pb_init(&o, &g->pool);
    pb_s(&o, a);
    if (comma)
        pb_c(&o, ',');
    pb_c(&o, ' ');
    pb_s(&o, b);
    return pb_done(&o);
}

static const char *date_between(gen *g, au_gen_rng *r, int y0, int y1)
{
    int y = y0 + (int)au_gen_below(r, (uint32_t)(y1 - y0 + 1));
    return pool_fmt_date(g, y, 1 + (int)au_gen_below(r, 12), 1 + (int)au_gen_below(r, 28), 'I');
}

/* ------------------------------------------------------------------------- the six layouts */

static const char *const crm_cols[] = {
    "customer_id",   "title", "first_name", "middle_name", "last_name",
    "gender",        "dob",   "email",      "phone",       "address_line1",
    "address_line2", "town",  "postcode",   "created_at"};

static void fill_crm(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_INTL_SPACED, AU_GEN_PH_INTL_SPACED,
                                            AU_GEN_PH_NATIONAL_SP};
    o->v[1] = au_gen_chance(r, 0.03) ? "Dr"
              : pe->female           ? (au_gen_chance(r, 0.5) ? "Mrs" : "Ms")
                                     : "Mr";
    o->v[2] = v->swapped ? v->last : v->first;
    o->v[3] = v->middle && au_gen_chance(r, 0.7) ? v->middle : "";
    o->v[4] = v->swapped ? v->first : v->last;
    o->v[5] = au_gen_chance(r, 0.08) ? "" : pe->female ? "F" : "M";
    o->v[6] = v->y ? pool_fmt_date(g, v->y, v->m, v->d, 'I') : "";
    o->v[7] = v->email ? email_variant(g, r, v->email, 0.05, 0.0) : "";
    o->v[8] = phone_pick(g, r, pe, v, 0.3, st, 3);
    o->v[9] = street_line(g, v->a, 0, 0);
    o->v[10] = "";
    if (v->a->flat) {
        pb b;
        pb_init(&b, &g->pool);
        pb_s(&b, "Flat ");
        pb_u(&b, v->a->flat, 1);
        o->v[10] = pb_done(&b);
    }
    o->v[11] = au_gen_towns[v->a->town].name;
    o->v[12] = v->a->postcode;
    o->v[13] = date_between(g, r, 2012, 2025);
}

static const char *const web_cols[] = {"account_id", "email",       "full_name",
                                       "phone",      "street",      "city",
                                       "post_code",  "signup_date", "marketing_opt_in"};

static void fill_webshop(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_NATIONAL, AU_GEN_PH_DIGITS, AU_GEN_PH_E164,
                                            AU_GEN_PH_NATIONAL};
    o->v[1] = v->email ? email_variant(g, r, v->email, 0.2, 0.04) : "";
    o->v[2] = join_name(g, v, 0, 0);
    o->v[3] = pe->mobile.nsn[0] && !v->miss_phone
                  ? au_gen_phone_fmt(&g->pool, &pe->mobile, st[au_gen_below(r, 4)])
                  : "";
    o->v[4] = street_line(g, v->a, au_gen_chance(r, 0.4), 1);
    o->v[5] = au_gen_chance(r, 0.1) ? au_gen_lower(&g->pool, au_gen_towns[v->a->town].name)
                                    : au_gen_towns[v->a->town].name;
    o->v[6] = postcode_variant(g, r, v->a->postcode);
    o->v[7] = pool_printf(g, "%s %02u:%02u", date_between(g, r, 2018, 2025), au_gen_below(r, 24),
                          au_gen_below(r, 60));
    o->v[8] = au_gen_chance(r, 0.4) ? "true" : "false";
}

static const char *const pos_cols[] = {"loyalty_card", "customer_name", "birth_date", "mobile",
                                       "email",        "postcode",      "home_store", "joined"};

static void fill_pos(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_00, AU_GEN_PH_INTL_SPACED, AU_GEN_PH_DIGITS};
    const char *name = join_name(g, v, 1, 1);
    o->v[1] = au_gen_chance(r, 0.2) ? au_gen_upper(&g->pool, name) : name;
    o->v[2] = v->y ? pool_fmt_date(g, v->y, v->m, v->d, 'M') : "";
    o->v[3] = pe->mobile.nsn[0] && !v->miss_phone
                  ? au_gen_phone_fmt(&g->pool, &pe->mobile, st[au_gen_below(r, 3)])
                  : "";
    o->v[4] = v->email ? email_variant(g, r, v->email, 0.0, 0.15) : "";
    o->v[5] = postcode_variant(g, r, v->a->postcode);
    o->v[6] = pool_printf(g, "%s %s", au_gen_towns[v->a->town].name,
                          au_gen_chance(r, 0.5) ? "High Street" : "Retail Park");
    o->v[7] = date_between(g, r, 2016, 2025);
}

static const char *const bill_cols[] = {
    "account_no", "surname",         "forenames",        "date_of_birth",  "email",
    "tel",        "billing_address", "billing_postcode", "payment_method", "status"};

static void fill_billing(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_NATIONAL, AU_GEN_PH_NATIONAL_SP,
                                            AU_GEN_PH_PARENS};
    static const char *const methods[] = {"direct_debit", "card", "invoice"};
    o->v[1] = v->swapped ? v->first : v->last;
    const char *fn = v->swapped ? v->last : v->first;
    o->v[2] = v->middle && au_gen_chance(r, 0.4) ? pool_printf(g, "%s %s", fn, v->middle) : fn;
    o->v[3] = v->y ? pool_fmt_date(g, v->y, v->m, v->d, 'D') : "";
    o->v[4] = v->email ? email_variant(g, r, v->email, 0.0, 0.3) : "";
    o->v[5] = phone_pick(g, r, pe, v, 0.6, st, 3);
    const char *street = street_line(g, v->a, au_gen_chance(r, 0.2), 1);
    pb b;
    pb_init(&b, &g->pool);
    pb_s(&b, street);
    pb_s(&b, ", ");
    pb_s(&b, au_gen_towns[v->a->town].name);
    pb_s(&b, ", ");
    pb_s(&b, v->a->postcode);
    o->v[6] = pb_done(&b);
    o->v[7] = v->a->postcode;
    o->v[8] = methods[au_gen_below(r, 3)];
    o->v[9] = au_gen_chance(r, 0.9) ? "active" : "closed";
}

static const char *const coll_cols[] = {"debtor_ref", "name",     "dob",        "phone", "address",
                                        "town",       "postcode", "amount_due", "agency"};

static void fill_collections(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_E164};
    o->v[1] = au_gen_upper(&g->pool, join_name(g, v, 0, 0));
    o->v[2] = v->y ? pool_fmt_date(g, v->y, v->m, v->d, 'Y') : "";
    o->v[3] = phone_pick(g, r, pe, v, 0.2, st, 1);
    o->v[4] = au_gen_upper(&g->pool, street_line(g, v->a, 0, 1));
    o->v[5] = au_gen_upper(&g->pool, au_gen_towns[v->a->town].name);
    o->v[6] = v->a->postcode;
    o->v[7] = pool_printf(g, "%u.%02u", 40 + au_gen_below(r, 900), au_gen_below(r, 100));
    o->v[8] = au_gen_chance(r, 0.6) ? "in-house" : "Northgate Recoveries";
}

static const char *const sup_cols[] = {"contact_id", "name", "email", "phone", "created"};

static void fill_support(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_INTL_SPACED, AU_GEN_PH_NATIONAL,
                                            AU_GEN_PH_00,          AU_GEN_PH_E164,
                                            AU_GEN_PH_DIGITS,      AU_GEN_PH_PARENS};
    o->v[1] = au_gen_chance(r, 0.05) ? v->first : join_name(g, v, 0, 0);
    o->v[2] = v->email ? email_variant(g, r, v->email, 0.25, 0.05) : "";
    o->v[3] = phone_pick(g, r, pe, v, 0.4, st, 6);
    o->v[4] = pool_printf(g, "%sT%02u:%02u:00Z", date_between(g, r, 2020, 2025),
                          au_gen_below(r, 24), au_gen_below(r, 60));
}

#define NC(a) (int)(sizeof(a) / sizeof((a)[0]))

static const sys_def systems[AU_GEN_NSYSTEMS] = {
    {"crm", crm_cols, NC(crm_cols), 0.80, 0.04, 0.02, 0.010, 0.25, 0.05, 0.10, 0.10, 0, fill_crm,
     "    record_id: customer_id\n"
     "    fields:\n"
     "      first_name: first_name\n"
     "      middle_name: middle_name\n"
     "      last_name: last_name\n"
     "      gender: gender\n"
     "      date_of_birth: {from: dob, format: YYYY-MM-DD}\n"
     "      email: email\n"
     "      phone: phone\n"
     "      address_line1: address_line1\n"
     "      address_line2: address_line2\n"
     "      city: town\n"
     "      postcode: postcode\n"
     "    trust: {\"*\": 0.8}\n"},
    {"webshop", web_cols, NC(web_cols), 0.60, 0.20, 0.04, 0.010, 0.35, 1.0, 0.0, 0.25, 0,
     fill_webshop,
     "    record_id: account_id\n"
     "    fields:\n"
     "      full_name: full_name\n"
     "      email: email\n"
     "      phone: phone\n"
     "      address_line1: street\n"
     "      city: city\n"
     "      postcode: post_code\n"
     "    trust: {email: 0.9, \"*\": 0.6}\n"},
    {"pos", pos_cols, NC(pos_cols), 0.40, 0.10, 0.05, 0.010, 0.50, 0.30, 0.60, 0.30, 1, fill_pos,
     "    record_id: loyalty_card\n"
     "    fields:\n"
     "      full_name: customer_name\n"
     "      date_of_birth: {from: birth_date, format: MDY}\n"
     "      phone: mobile\n"
     "      email: email\n"
     "      postcode: postcode\n"
     "    trust: {\"*\": 0.4}\n"},
    {"billing", bill_cols, NC(bill_cols), 0.50, 0.02, 0.02, 0.015, 0.50, 0.08, 0.15, 0.15, 1,
     fill_billing,
     "    record_id: account_no\n"
     "    fields:\n"
     "      first_name: forenames\n"
     "      last_name: surname\n"
     "      date_of_birth: {from: date_of_birth, format: DMY}\n"
     "      email: email\n"
     "      phone: tel\n"
     "      address_full: billing_address\n"
     "      postcode: billing_postcode\n"
     "    trust: {address_full: 0.9, postcode: 0.9, \"*\": 0.7}\n"},
    {"collections", coll_cols, NC(coll_cols), 0.10, 0.01, 0.03, 0.020, 0.20, 0.10, 1.0, 0.10, 1,
     fill_collections,
     "    record_id: debtor_ref\n"
     "    fields:\n"
     "      full_name: name\n"
     "      date_of_birth: {from: dob, format: YYYYMMDD}\n"
     "      phone: phone\n"
     "      address_line1: address\n"
     "      city: town\n"
     "      postcode: postcode\n"
     "    trust: {\"*\": 0.5}\n"},
    {"support", sup_cols, NC(sup_cols), 0.15, 0.30, 0.05, 0.010, 0.0, 1.0, 0.30, 0.35, 0,
     fill_support,
     "    record_id: contact_id\n"
     "    fields:\n"
     "      full_name: name\n"
     "      email: email\n"
     "      phone: phone\n"
     "    trust: {\"*\": 0.3}\n"},
};

const char *au_gen_system_name(au_gen_system s)
{
    return (unsigned)s < AU_GEN_NSYSTEMS ? systems[s].name : "?";
}

/* ------------------------------------------------------------------------------ the noise */

static void make_view(gen *g, au_gen_rng *r, const au_gen_person *pe, const sys_def *sd, int dup,
                      view *v)
{
    double k = dup ? 2.5 : 1.0; /* a second account is typed with less care */
    memset(v, 0, sizeof(*v));
    v->first = pe->first;
    v->middle = pe->middle;
    v->last = pe->last;
    if (au_gen_chance(r, sd->nick * k)) {
        const char *n = au_gen_nickname(&g->t, pe, r);
        if (n)
            v->first = n;
    }
    if (au_gen_chance(r, sd->typo * k))
        v->first = au_gen_typo(&g->pool, r, v->first);
    if (au_gen_chance(r, sd->typo * k))
        v->last = au_gen_typo(&g->pool, r, v->last);
    if (sd->fold || au_gen_chance(r, 0.1)) {
        v->first = au_gen_fold(&g->pool, v->first);
        v->last = au_gen_fold(&g->pool, v->last);
        if (v->middle)
            v->middle = au_gen_fold(&g->pool, v->middle);
    }
    v->swapped = au_gen_chance(r, sd->swap * k);
    v->a = pe->moved && au_gen_chance(r, dup ? 0.6 : sd->old) ? &pe->old : &pe->addr;
    if (!au_gen_chance(r, sd->miss_dob)) {
        v->y = pe->y;
        v->m = pe->m;
        v->d = pe->d;
        if (au_gen_chance(r, 0.015 * k)) { /* keying error in the date */
            if (v->d <= 12 && v->d != v->m) {
                v->m = pe->d;
                v->d = pe->m;
            } else {
                v->d = v->d > 1 ? v->d - 1 : 2;
            }
        }
    }
    if (pe->email[0] && !au_gen_chance(r, sd->miss_email))
        v->email = pe->email2[0] && au_gen_chance(r, 0.3) ? pe->email2 : pe->email;
    else if (pe->email2[0] && !au_gen_chance(r, sd->miss_email))
        v->email = pe->email2;
    v->miss_phone = au_gen_chance(r, sd->miss_phone * (dup ? 1.5 : 1.0));
}

/* ---------------------------------------------------------------------------- file output */

static void csv_field(gen *g, const char *s)
{
    size_t start = g->len;
    const char *p = s;
    for (; *p; p++) {
        if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
            break;
        putc_(g, *p);
    }
    if (!*p)
        return;
    g->len = start; /* RFC 4180: quote the field, double the quotes */
    putc_(g, '"');
    for (; *s; s++) {
        if (*s == '"')
            putc_(g, '"');
        putc_(g, *s);
    }
    putc_(g, '"');
}

static void json_str(gen *g, const char *s)
{
    putc_(g, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            putc_(g, '\\');
            putc_(g, (char)c);
        } else if (c < 0x20) {
            char b[8];
            snprintf(b, sizeof(b), "\\u%04x", c);
            puts_(g, b);
        } else {
            putc_(g, (char)c);
        }
    }
    putc_(g, '"');
}

static au_rc flush_line(gen *g, out_file *f)
{
    size_t n = g->len;
    g->len = 0;
    return fwrite_unlocked(g->line, 1, n, f->f) == n ? AU_OK : AU_ERR_IO;
}

static au_rc write_row(gen *g, out_file *f, const char *const *cols, int ncols, const row *rw)
{
    g->len = 0;
    if (g->o->format == AU_GEN_CSV) {
        for (int i = 0; i < ncols; i++) {
            if (i)
                putc_(g, ',');
            csv_field(g, rw->v[i]);
        }
    } else {
        int first = 1;
        putc_(g, '{');
        for (int i = 0; i < ncols; i++) {
            if (!rw->v[i][0])
                continue; /* a missing value is an absent key in JSONL */
            if (!first)
                putc_(g, ',');
            first = 0;
            json_str(g, cols[i]);
            putc_(g, ':');
            json_str(g, rw->v[i]);
        }
        putc_(g, '}');
    }
    putc_(g, '\n');
    return flush_line(g, f);
}

static au_rc write_header(gen *g, out_file *f, const char *const *cols, int ncols)
{
    if (g->o->format != AU_GEN_CSV)
        return AU_OK;
    row h;
    for (int i = 0; i < ncols; i++)
        h.v[i] = cols[i];
    return write_row(g, f, cols, ncols, &h);
}

static au_rc write_truth(gen *g, const char *source, const char *rid, long pid)
{
    char num[24];
    g->len = 0;
    puts_(g, source);
    putc_(g, ',');
    puts_(g, rid);
    puts_(g, ",P");
    puts_(g, fmt_num(num + sizeof(num) - 1, (unsigned long long)pid + 1, 8));
    putc_(g, '\n');
    return flush_line(g, &g->truth);
}

static au_rc open_out(gen *g, out_file *f, const char *name, au_err *err)
{
    f->path = au_asprintf("%s/%s", g->o->out_dir, name);
    if (!f->path)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    f->f = fopen(f->path, "w");
    if (!f->f)
        return au_err_set(err, AU_ERR_IO, "cannot create %s: %s", f->path, strerror(errno));
    setvbuf(f->f, NULL, _IOFBF, 1 << 20);
    g->st.files++;
    return AU_OK;
}

static au_rc close_out(out_file *f, au_err *err)
{
    au_rc rc = AU_OK;
    if (f->f && (ferror(f->f) | fclose(f->f)) && err)
        rc = au_err_set(err, AU_ERR_IO, "cannot write %s: %s", f->path, strerror(errno));
    f->f = NULL;
    au_free(f->path);
    f->path = NULL;
    return rc;
}

/* -------------------------------------------------------------------------------- events */

/* The record ids one person got, so that events can point at them. */
typedef struct person_ids {
    char id[AU_GEN_NSYSTEMS][2][32];
    int n[AU_GEN_NSYSTEMS];
} person_ids;

#define MAX_EVENTS 64

/* One person's events, collected then written in time order so that a replay of the file
 * tells each story in sequence (dunning case opened, then the payment). */
typedef struct ev_batch {
    struct {
        long long at;
        au_gen_system src;
        const char *type;
        const char *record;
        char props[320];
    } e[MAX_EVENTS];
    int n;
} ev_batch;

static void ev_add(ev_batch *b, long long at, au_gen_system src, const char *type,
                   const char *record, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void ev_add(ev_batch *b, long long at, au_gen_system src, const char *type,
                   const char *record, const char *fmt, ...)
{
    if (b->n >= MAX_EVENTS)
        return;
    b->e[b->n].at = at;
    b->e[b->n].src = src;
    b->e[b->n].type = type;
    b->e[b->n].record = record;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->e[b->n].props, sizeof(b->e[b->n].props), fmt, ap);
    va_end(ap);
    b->n++;
}

static long long rand_time(au_gen_rng *r, long long from, long long to)
{
    if (to <= from)
        return from;
    return from + (long long)(au_gen_next(r) % (unsigned long long)(to - from));
}

static void money(char *b, size_t n, unsigned pence)
{
    snprintf(b, n, "%u.%02u", pence / 100, pence % 100);
}

static void collect_events(gen *g, const au_gen_person *pe, const person_ids *ids, ev_batch *b)
{
    au_gen_rng r;
    au_gen_rng_seed(&r, g->o->seed, 0x200000000ULL + (uint64_t)pe->pid);
    long long end = T0 + TSPAN;
    char amt[24];
    for (int k = 0; k < ids->n[AU_GEN_WEBSHOP]; k++)
        for (unsigned i = 0, n = au_gen_below(&r, 5); i < n; i++) {
            money(amt, sizeof(amt), 1500 + au_gen_below(&r, 30000));
            ev_add(b, rand_time(&r, T0, end), AU_GEN_WEBSHOP, "order", ids->id[AU_GEN_WEBSHOP][k],
                   "{\"order_id\":\"WO-%09ld\",\"total\":%s,\"currency\":\"GBP\",\"lines\":%u,"
                   "\"first_item\":\"%s\",\"channel\":\"web\"}",
                   pe->pid * 8 + (long)i, amt, 1 + au_gen_below(&r, 5),
                   au_gen_products[au_gen_below(&r, (uint32_t)au_gen_nproducts)]);
        }
    for (int k = 0; k < ids->n[AU_GEN_POS]; k++)
        for (unsigned i = 0, n = au_gen_below(&r, 4); i < n; i++) {
            money(amt, sizeof(amt), 300 + au_gen_below(&r, 20000));
            ev_add(b, rand_time(&r, T0, end), AU_GEN_POS, "order", ids->id[AU_GEN_POS][k],
                   "{\"receipt\":\"R-%09ld\",\"store\":\"%s\",\"total\":%s,\"currency\":\"GBP\","
                   "\"lines\":%u,\"payment\":\"%s\"}",
                   pe->pid * 8 + (long)i, au_gen_towns[pe->addr.town].name, amt,
                   1 + au_gen_below(&r, 6), au_gen_chance(&r, 0.8) ? "card" : "cash");
        }
    static const char *const methods[] = {"card", "direct_debit", "bank_transfer"};
    for (int k = 0; k < ids->n[AU_GEN_BILLING]; k++)
        for (unsigned i = 0, n = 1 + au_gen_below(&r, 4); i < n; i++) {
            money(amt, sizeof(amt), 1000 + au_gen_below(&r, 25000));
            ev_add(b, rand_time(&r, T0, end), AU_GEN_BILLING, "payment", ids->id[AU_GEN_BILLING][k],
                   "{\"payment_id\":\"PAY-%09ld\",\"amount\":%s,\"currency\":\"GBP\","
                   "\"method\":\"%s\",\"invoice\":\"INV-%09ld\"}",
                   pe->pid * 16 + (long)i, amt, methods[au_gen_below(&r, 3)],
                   pe->pid * 16 + (long)i);
        }
    long long complaint_after = 0;
    for (int k = 0; k < ids->n[AU_GEN_COLLECTIONS]; k++) {
        /* The worked scenario: a dunning case opens; in most stories a payment follows in
         * billing, sometimes already acknowledged by collections, sometimes not yet. */
        unsigned due = 4000 + au_gen_below(&r, 90000);
        money(amt, sizeof(amt), due);
        long long opened = rand_time(&r, T0, end - 30 * 86400);
        long case_no = pe->pid * 2 + k;
        ev_add(b, opened, AU_GEN_COLLECTIONS, "dunning_case_opened", ids->id[AU_GEN_COLLECTIONS][k],
               "{\"case_id\":\"DC-%08ld\",\"amount_due\":%s,\"currency\":\"GBP\",\"stage\":1,"
               "\"reason\":\"invoice overdue\"}",
               case_no, amt);
        double u = au_gen_unit(&r);
        if (u < 0.75 && ids->n[AU_GEN_BILLING] > 0) {
            long long paid = opened + 86400 + (long long)au_gen_below(&r, 20 * 86400);
            ev_add(b, paid, AU_GEN_BILLING, "payment", ids->id[AU_GEN_BILLING][0],
                   "{\"payment_id\":\"PAY-D%08ld\",\"amount\":%s,\"currency\":\"GBP\","
                   "\"method\":\"bank_transfer\",\"reference\":\"DC-%08ld\"}",
                   case_no, amt, case_no);
            if (u < 0.35)
                ev_add(b, paid + 3600 + au_gen_below(&r, 86400), AU_GEN_COLLECTIONS,
                       "dunning_case_closed", ids->id[AU_GEN_COLLECTIONS][k],
                       "{\"case_id\":\"DC-%08ld\",\"outcome\":\"paid\"}", case_no);
            else
                complaint_after = paid;
        }
    }
    static const char *const channels[] = {"phone", "email", "chat"};
    for (int k = 0; k < ids->n[AU_GEN_SUPPORT]; k++)
        for (unsigned i = 0, n = 1 + au_gen_below(&r, 2); i < n; i++) {
            const char *subject =
                au_gen_ticket_subjects[au_gen_below(&r, (uint32_t)au_gen_nticket_subjects)];
            long long at = rand_time(&r, T0, end);
            if (complaint_after && i == 0) {
                subject = "Complaint: still being chased for a debt I have paid";
                at = complaint_after + 2 * 86400 + au_gen_below(&r, 86400);
            }
            ev_add(b, at, AU_GEN_SUPPORT, "ticket_opened", ids->id[AU_GEN_SUPPORT][k],
                   "{\"ticket_id\":\"T-%09ld\",\"subject\":\"%s\",\"channel\":\"%s\","
                   "\"priority\":\"%s\"}",
                   pe->pid * 4 + (long)i, subject, channels[au_gen_below(&r, 3)],
                   complaint_after && i == 0 ? "high" : "normal");
        }
}

static au_rc write_events(gen *g, ev_batch *b)
{
    /* Insertion sort: a person has a handful of events. Ties keep insertion order. */
    for (int i = 1; i < b->n; i++)
        for (int j = i; j > 0 && b->e[j - 1].at > b->e[j].at; j--) {
            long long at = b->e[j].at;
            au_gen_system s = b->e[j].src;
            const char *t = b->e[j].type, *rec = b->e[j].record;
            char props[sizeof(b->e[0].props)];
            memcpy(props, b->e[j].props, sizeof(props));
            b->e[j].at = b->e[j - 1].at;
            b->e[j].src = b->e[j - 1].src;
            b->e[j].type = b->e[j - 1].type;
            b->e[j].record = b->e[j - 1].record;
            memcpy(b->e[j].props, b->e[j - 1].props, sizeof(props));
            b->e[j - 1].at = at;
            b->e[j - 1].src = s;
            b->e[j - 1].type = t;
            b->e[j - 1].record = rec;
            memcpy(b->e[j - 1].props, props, sizeof(props));
        }
    for (int i = 0; i < b->n; i++) {
        time_t tt = (time_t)b->e[i].at;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char ts[32], hdr[512];
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        const char *src = systems[b->e[i].src].name;
        snprintf(hdr, sizeof(hdr),
                 "{\"source\":\"%s\",\"event_id\":\"ev-%010ld\",\"type\":\"%s\",\"at\":\"%s\","
                 "\"customer\":{\"source\":\"%s\",\"record\":\"%s\"},\"properties\":",
                 src, ++g->ev_counter, b->e[i].type, ts, src, b->e[i].record);
        g->len = 0;
        puts_(g, hdr);
        puts_(g, b->e[i].props);
        puts_(g, "}\n");
        au_rc rc = flush_line(g, &g->events);
        if (rc)
            return rc;
        g->st.events++;
    }
    return AU_OK;
}

/* ------------------------------------------------------------------ multi-source records */

static au_rc emit_record(gen *g, au_gen_rng *r, const au_gen_person *pe, au_gen_system s, int dup,
                         person_ids *ids)
{
    const sys_def *sd = &systems[s];
    row rw;
    view v;
    g->pool.used = 0;
    make_view(g, r, pe, sd, dup, &v);
    rw.v[0] = make_id(g, s, g->counter[s]++);
    sd->fill(g, r, pe, &v, &rw);
    au_rc rc = write_row(g, &g->src[s], sd->cols, sd->ncols, &rw);
    if (!rc)
        rc = write_truth(g, sd->name, rw.v[0], pe->pid);
    if (ids && ids->n[s] < 2) {
        snprintf(ids->id[s][ids->n[s]], sizeof(ids->id[s][0]), "%s", rw.v[0]);
        ids->n[s]++;
    }
    g->st.rows[s]++;
    g->st.total_rows++;
    g->st.duplicate_rows += dup;
    return rc;
}

static au_rc emit_person(gen *g, const au_gen_person *pe, ev_batch *eb)
{
    au_gen_rng r;
    au_gen_rng_seed(&r, g->o->seed, 0x300000000ULL + (uint64_t)pe->pid);
    int in[AU_GEN_NSYSTEMS], any = 0;
    for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
        double p = systems[s].member;
        if (s == AU_GEN_COLLECTIONS) /* debt is only chased from billing customers */
            p = in[AU_GEN_BILLING] ? p : 0.0;
        in[s] = au_gen_chance(&r, p);
        any |= in[s];
    }
    if (!any)
        in[AU_GEN_CRM] = 1;
    person_ids ids;
    memset(ids.n, 0, sizeof(ids.n));
    au_rc rc = AU_OK;
    for (int s = 0; s < AU_GEN_NSYSTEMS && !rc; s++) {
        if (!in[s])
            continue;
        rc = emit_record(g, &r, pe, (au_gen_system)s, 0, &ids);
        if (!rc && au_gen_chance(&r, g->o->dup_rate))
            rc = emit_record(g, &r, pe, (au_gen_system)s, 1, &ids);
    }
    if (!rc && g->o->events) {
        eb->n = 0;
        collect_events(g, pe, &ids, eb);
        rc = write_events(g, eb);
    }
    return rc;
}

/* ------------------------------------------------------------------- single-source mode */

static const char *const people_cols[] = {"id",    "first_name", "last_name", "dob",     "email",
                                          "phone", "address",    "city",      "postcode"};

/* A clean-ish first record and a noisier repeat, as in a typical CRM export. */
static const sys_def people_new = {
    "people", people_cols, NC(people_cols), 1.0, 0.02, 0.02, 0.005, 0.2, 0.03, 0.12, 0.12, 0,
    NULL,     NULL};
static const sys_def people_dup = {
    "people", people_cols, NC(people_cols), 1.0, 0.12, 0.08, 0.02, 0.5, 0.12, 0.25, 0.25, 0,
    NULL,     NULL};

static au_rc emit_people_row(gen *g, au_gen_rng *r, const au_gen_person *pe, long n, int dup)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_NATIONAL_SP, AU_GEN_PH_INTL_SPACED,
                                            AU_GEN_PH_NATIONAL, AU_GEN_PH_E164};
    row rw;
    view v;
    g->pool.used = 0;
    make_view(g, r, pe, dup ? &people_dup : &people_new, dup, &v);
    char num[24];
    rw.v[0] = au_gen_pool_dup(&g->pool, fmt_num(num + sizeof(num) - 1, id8(n, 7), 8), 8);
    rw.v[1] = v.swapped ? v.last : v.first;
    rw.v[2] = v.swapped ? v.first : v.last;
    rw.v[3] = v.y ? pool_fmt_date(g, v.y, v.m, v.d, 'I') : "";
    rw.v[4] = v.email ? email_variant(g, r, v.email, 0.05, 0.02) : "";
    rw.v[5] = phone_pick(g, r, pe, &v, 0.3, st, 4);
    rw.v[6] = street_line(g, v.a, au_gen_chance(r, 0.2), 1);
    rw.v[7] = au_gen_towns[v.a->town].name;
    rw.v[8] = postcode_variant(g, r, v.a->postcode);
    au_rc rc = write_row(g, &g->src[0], people_cols, NC(people_cols), &rw);
    if (!rc)
        rc = write_truth(g, "people", rw.v[0], pe->pid);
    g->st.rows[0]++;
    g->st.total_rows++;
    g->st.duplicate_rows += dup;
    return rc;
}

static void progress(gen *g, long done, long total)
{
    if (g->o->progress)
        g->o->progress(g->o->progress_ctx, done, total, g->st.total_rows);
}

/* Rows are new people or repeats, chosen by selection sampling so that exactly `people` rows
 * are new and the rest repeat someone from the recent ring. */
static au_rc run_single(gen *g, long people, long records, au_err *err)
{
    au_rc rc = AU_OK;
    au_gen_person *ring = au_calloc(RING, sizeof(*ring));
    au_gen_person hh[AU_GEN_MAX_HOUSEHOLD];
    int hh_n = 0, hh_i = 0;
    long made = 0, h = 0;
    au_gen_rng r;
    au_gen_rng_seed(&r, g->o->seed, 0x400000000ULL);
    if (!ring) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (long i = 0; i < records && !rc; i++) {
        long left = records - i, new_left = people - made;
        /* left <= 2 x 10 M fits the 32-bit bound of au_gen_below. */
        int fresh =
            made == 0 || (new_left > 0 && (long)au_gen_below(&r, (uint32_t)left) < new_left);
        const au_gen_person *pe;
        if (fresh) {
            if (hh_i == hh_n) {
                long cap = people - made;
                hh_n =
                    au_gen_household(&g->t, h++, made, hh,
                                     cap < AU_GEN_MAX_HOUSEHOLD ? (int)cap : AU_GEN_MAX_HOUSEHOLD);
                hh_i = 0;
            }
            ring[made % RING] = hh[hh_i++];
            pe = &ring[made % RING];
            made++;
            if ((made & 0xFFFF) == 0)
                progress(g, made, people);
        } else {
            long span = made < RING ? made : RING;
            pe = &ring[(made - 1 - (long)au_gen_below(&r, (uint32_t)span)) % RING];
        }
        au_gen_rng rr;
        au_gen_rng_seed(&rr, g->o->seed, 0x500000000ULL + (uint64_t)i);
        rc = emit_people_row(g, &rr, pe, i, !fresh);
        if (rc)
            au_err_set(err, rc, "cannot write %s: %s", g->src[0].path, strerror(errno));
    }
    g->st.people = made;
out:
    au_free(ring);
    return rc;
}

static au_rc run_multi(gen *g, au_err *err)
{
    au_gen_person hh[AU_GEN_MAX_HOUSEHOLD];
    ev_batch *eb = g->o->events ? au_malloc(sizeof(*eb)) : NULL;
    long total = g->o->people, pid = 0, h = 0, next_report = 0x10000;
    au_rc rc = AU_OK;
    if (g->o->events && !eb)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    while (pid < total && !rc) {
        long cap = total - pid;
        int n = au_gen_household(&g->t, h++, pid, hh,
                                 cap < AU_GEN_MAX_HOUSEHOLD ? (int)cap : AU_GEN_MAX_HOUSEHOLD);
        for (int i = 0; i < n && !rc; i++)
            rc = emit_person(g, &hh[i], eb);
        pid += n;
        if (pid >= next_report) {
            progress(g, pid, total);
            next_report += 0x10000;
        }
    }
    if (rc)
        au_err_set(err, rc, "write failed in %s: %s", g->o->out_dir, strerror(errno));
    g->st.people = pid;
    au_free(eb);
    return rc;
}

/* ------------------------------------------------------------------------ configuration */

static au_rc write_yaml(gen *g, const char *name, au_err *err)
{
    out_file f = {0};
    au_rc rc = open_out(g, &f, name, err);
    if (rc)
        goto out;
    const au_gen_opts *o = g->o;
    fprintf(f.f,
            "# Aurum configuration written by `aurum gen` (seed %llu, %ld people, %s).\n"
            "# Each source maps its own columns onto the canonical attributes; columns not\n"
            "# mapped are kept as custom attributes. Ground truth is in truth.csv.\n"
            "sources:\n",
            (unsigned long long)o->seed, g->st.people, o->format == AU_GEN_CSV ? "csv" : "jsonl");
    if (o->single_source) {
        fprintf(f.f,
                "  people:\n    country: %s\n"
                "    record_id: id\n"
                "    fields:\n"
                "      first_name: first_name\n"
                "      last_name: last_name\n"
                "      date_of_birth: {from: dob, format: YYYY-MM-DD}\n"
                "      email: email\n"
                "      phone: phone\n"
                "      address_line1: address\n"
                "      city: city\n"
                "      postcode: postcode\n",
                o->country);
    } else {
        for (int s = 0; s < AU_GEN_NSYSTEMS; s++)
            fprintf(f.f, "  %s:\n    country: %s\n%s", systems[s].name, o->country,
                    systems[s].mapping);
    }
out:
    if (f.f || f.path) {
        au_rc rc2 = close_out(&f, err);
        if (!rc)
            rc = rc2;
    }
    return rc;
}

/* ------------------------------------------------------------------------------ entry */

void au_gen_opts_init(au_gen_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->format = AU_GEN_CSV;
    o->dup_rate = -1;
    o->country = "GB";
}

static au_rc check_opts(au_gen_opts *o, au_err *err)
{
    if (!o->out_dir || !*o->out_dir)
        return au_err_set(err, AU_ERR_INVALID, "--out DIR is required");
    if (!o->country || strcmp(o->country, "GB") != 0)
        return au_err_set(err, AU_ERR_INVALID,
                          "--country %s: only GB name, address and phone lists are built in",
                          o->country ? o->country : "(null)");
    if (o->dup_rate < 0)
        o->dup_rate = o->single_source ? 0.30 : 0.05;
    if (o->dup_rate > 0.9)
        return au_err_set(err, AU_ERR_INVALID, "--dup-rate %g: must be between 0 and 0.9",
                          o->dup_rate);
    if (o->single_source) {
        if (o->records > 0 && o->people <= 0)
            o->people = (long)((double)o->records * (1.0 - o->dup_rate) + 0.5);
        else if (o->records <= 0 && o->people > 0)
            o->records = (long)((double)o->people / (1.0 - o->dup_rate) + 0.5);
        if (o->people < 1)
            o->people = 1;
        if (o->records < o->people)
            return au_err_set(err, AU_ERR_INVALID, "--records %ld is fewer than --people %ld",
                              o->records, o->people);
        if (o->records > 2 * AU_GEN_MAX_PEOPLE)
            return au_err_set(err, AU_ERR_INVALID, "--records %ld: at most %ld", o->records,
                              2 * AU_GEN_MAX_PEOPLE);
    } else if (o->records > 0) {
        return au_err_set(err, AU_ERR_INVALID, "--records needs --single-source");
    }
    if (o->people < AU_GEN_MIN_PEOPLE || o->people > AU_GEN_MAX_PEOPLE)
        return au_err_set(err, AU_ERR_INVALID, "--people %ld: must be between %d and %ld",
                          o->people, AU_GEN_MIN_PEOPLE, AU_GEN_MAX_PEOPLE);
    if (o->single_source && o->events)
        return au_err_set(err, AU_ERR_INVALID,
                          "--events needs the six systems (no --single-source)");
    return AU_OK;
}

au_rc au_gen_run(const au_gen_opts *opts, au_gen_stats *stats, au_err *err)
{
    au_gen_opts o = *opts;
    gen *g = NULL;
    const char *ext = o.format == AU_GEN_CSV ? "csv" : "jsonl";
    char name[64];
    au_rc rc = check_opts(&o, err);
    if (rc)
        goto out;
    if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
        rc = au_err_set(err, AU_ERR_IO, "cannot create %s: %s", o.out_dir, strerror(errno));
        goto out;
    }
    g = au_calloc(1, sizeof(*g));
    if (!g || au_gen_tables_init(&g->t, o.seed, o.people)) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    g->o = &o;
    if ((rc = open_out(g, &g->truth, "truth.csv", err)))
        goto out;
    fputs("source,record_id,person_id\n", g->truth.f);
    if (o.single_source) {
        snprintf(name, sizeof(name), "people.%s", ext);
        if ((rc = open_out(g, &g->src[0], name, err)) ||
            (rc = write_header(g, &g->src[0], people_cols, NC(people_cols))) ||
            (rc = run_single(g, o.people, o.records, err)) ||
            (rc = write_yaml(g, "people.yaml", err)))
            goto out;
    } else {
        for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
            snprintf(name, sizeof(name), "%s.%s", systems[s].name, ext);
            if ((rc = open_out(g, &g->src[s], name, err)) ||
                (rc = write_header(g, &g->src[s], systems[s].cols, systems[s].ncols)))
                goto out;
        }
        if (o.events && (rc = open_out(g, &g->events, "events.jsonl", err)))
            goto out;
        if ((rc = run_multi(g, err)) || (rc = write_yaml(g, "northwind.yaml", err)))
            goto out;
    }
    progress(g, g->st.people, o.people);
out:
    if (g) {
        for (int s = 0; s < AU_GEN_NSYSTEMS; s++) {
            au_rc rc2 = close_out(&g->src[s], rc ? NULL : err);
            rc = rc ? rc : rc2;
        }
        au_rc rc2 = close_out(&g->truth, rc ? NULL : err);
        rc = rc ? rc : rc2;
        rc2 = close_out(&g->events, rc ? NULL : err);
        rc = rc ? rc : rc2;
        if (stats)
            *stats = g->st;
        au_gen_tables_cleanup(&g->t);
        au_free(g);
    }
    return rc;
}
