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
    const au_gen_phone *mobile;        /* the person's, or the household head's (a trap) */
    /* Traps only (NULL / 0 / -1 otherwise): */
    const char *title, *suffix; /* "Dr", "Jr" written into the name fields */
    int dob_trap;               /* au_gen_trap of the date of birth, -1 when written clean */
    int display_name;           /* e-mail written as "Name" <address> */
    const char *nid;            /* national id as written, NULL when missing */
    const char *country;        /* country as written, NULL when missing */
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
    const char *mapping; /* YAML lines under the source name (after country), up to trust */
    const char *trust;   /* the YAML trust line */
    /* With traps: the layout gains columns (tcols replaces cols) mapped by tmapping; the
     * system's date style, how often its e-mails carry a display name, and whether it holds a
     * national id (share of records) and a country. */
    const char *const *tcols;
    int ntcols;
    const char *tmapping;
    char dob_style;      /* 'I' ISO, 'D' DMY, 'M' MDY, 'Y' YYYYMMDD, 0 none */
    double display_name; /* chance an e-mail is written with a display name */
    double nid;          /* chance the record has the national id, 0 no such column */
    int country;         /* has a country column */
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
    out_file traps;  /* traps.csv (--traps) */
    au_gen_rng trng; /* the current record's trap stream, apart from its noise stream */
    uint64_t tags;   /* trap bits of the current record */
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
    if (a->abroad) { /* "Hauptstraße 12" or "350 Park Avenue", as that country writes it */
        const au_gen_foreign *f = &au_gen_foreign_list[a->abroad - 1];
        return f->number_after ? pool_printf(g, "%s %u", a->street, a->house)
                               : pool_printf(g, "%u %s", a->house, a->street);
    }
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

/* A phone as written; a foreign number tags the record with the form it is written in. */
static const char *phone_out(gen *g, const au_gen_phone *ph, au_gen_phone_style st)
{
    if (ph->abroad)
        g->tags |=
            AU_GEN_TAG(st == AU_GEN_PH_INTL_SPACED || st == AU_GEN_PH_E164 || st == AU_GEN_PH_00
                           ? AU_GEN_TRAP_PHONE_FOREIGN
                           : AU_GEN_TRAP_PHONE_FOREIGN_NATIONAL);
    return au_gen_phone_fmt(&g->pool, ph, st);
}

/* The person's mobile as written; a trap may put the household head's there instead. */
static const char *mobile_out(gen *g, const au_gen_person *pe, const view *v, au_gen_phone_style st)
{
    if (v->mobile != &pe->mobile)
        g->tags |= AU_GEN_TAG(AU_GEN_TRAP_PHONE_FAMILY);
    return phone_out(g, v->mobile, st);
}

static const char *town_name(const au_gen_addr *a)
{
    return a->abroad ? au_gen_foreign_list[a->abroad - 1].city : au_gen_towns[a->town].name;
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
    if (ph == &pe->mobile)
        return mobile_out(g, pe, v, styles[au_gen_below(r, (uint32_t)nst)]);
    return phone_out(g, ph, styles[au_gen_below(r, (uint32_t)nst)]);
}

/* The first name as written in a given-name field: with the title when a trap put one. */
static const char *given(gen *g, const char *first, const view *v)
{
    return v->title ? pool_printf(g, "%s %s", v->title, first) : first;
}

/* The surname as written in a surname field: with the suffix when a trap put one. */
static const char *family(gen *g, const char *last, const view *v)
{
    return v->suffix ? pool_printf(g, "%s %s", last, v->suffix) : last;
}

static const char *join_name(gen *g, const view *v, int last_first, int comma)
{
    const char *a = v->first, *b = v->last;
    if (last_first != v->swapped) {
        a = v->last;
        b = v->first;
    }
    if (v->title || v->suffix) { /* "Dr John Smith Jr", "Smith Jr, Dr John" */
        a = last_first ? family(g, a, v) : given(g, a, v);
        b = last_first ? given(g, b, v) : family(g, b, v);
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

/* A date in a system's style with a two-digit year: 12/11/70. */
static const char *dob_short(gen *g, const view *v, char style)
{
    int a = style == 'M' ? v->m : v->d, b = style == 'M' ? v->d : v->m;
    return pool_printf(g, "%02d/%02d/%02d", a, b, v->y % 100);
}

/* The date of birth as the system writes it, or as the trap chosen in make_view wrote it. */
static const char *dob_str(gen *g, const view *v, char style)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!v->y)
        return "";
    int y = v->y, m = v->m, d = v->d;
    switch (v->dob_trap) {
    case AU_GEN_TRAP_DOB_2DIGIT_YEAR:
        return dob_short(g, v, style);
    case AU_GEN_TRAP_DOB_IMPOSSIBLE:
        if (style == 'I' || style == 'Y') { /* day keyed as the month, else a month digit slip */
            if (d > 12) {
                m = v->d;
                d = v->m;
            } else {
                m += m < 10 ? 20 : 10;
            }
        } else {
            d = mdays[m - 1] + 1 + (m == 2); /* 31/02, 31/04, 32/01 */
        }
        break;
    case AU_GEN_TRAP_DOB_BEFORE_1900:
        /* 1858 or 1058 for 1958; 1007 for 2007 (1907 would not be before 1900) */
        y = y < 2000 && au_gen_chance(&g->trng, 0.8) ? y - 100 : 1000 + y % 100;
        break;
    case AU_GEN_TRAP_DOB_PLACEHOLDER:
        y = 1900;
        m = d = 1;
        break;
    case AU_GEN_TRAP_DOB_PARTIAL:
        if (style == 'Y')
            return pool_printf(g, "%04d%02d00", y, au_gen_chance(&g->trng, 0.5) ? m : 0);
        return au_gen_chance(&g->trng, 0.5) ? pool_printf(g, "%04d", y)
                                            : pool_printf(g, "%04d-%02d", y, m);
    default:
        break;
    }
    return pool_fmt_date(g, y, m, d, style);
}

/* An e-mail as written: with the person's name in front when a trap says so. */
static const char *email_out(gen *g, const view *v, const char *e)
{
    if (!v->display_name)
        return e;
    if (au_gen_chance(&g->trng, 0.6))
        return pool_printf(g, "\"%s %s\" <%s>", v->first, v->last, e);
    return pool_printf(g, "%s %s <%s>", v->first, v->last, e);
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
    o->v[2] = given(g, v->swapped ? v->last : v->first, v);
    o->v[3] = v->middle && au_gen_chance(r, 0.7) ? v->middle : "";
    o->v[4] = family(g, v->swapped ? v->first : v->last, v);
    o->v[5] = au_gen_chance(r, 0.08) ? "" : pe->female ? "F" : "M";
    o->v[6] = dob_str(g, v, 'I');
    o->v[7] = v->email ? email_out(g, v, email_variant(g, r, v->email, 0.05, 0.0)) : "";
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
    o->v[11] = town_name(v->a);
    o->v[12] = v->a->postcode;
    o->v[13] = date_between(g, r, 2012, 2025);
    o->v[14] = v->country ? v->country : ""; /* the trap columns */
    o->v[15] = v->nid ? v->nid : "";
}

static const char *const web_cols[] = {"account_id", "email",       "full_name",
                                       "phone",      "street",      "city",
                                       "post_code",  "signup_date", "marketing_opt_in"};

static void fill_webshop(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_NATIONAL, AU_GEN_PH_DIGITS, AU_GEN_PH_E164,
                                            AU_GEN_PH_NATIONAL};
    o->v[1] = v->email ? email_out(g, v, email_variant(g, r, v->email, 0.2, 0.04)) : "";
    o->v[2] = join_name(g, v, 0, 0);
    o->v[3] =
        pe->mobile.nsn[0] && !v->miss_phone ? mobile_out(g, pe, v, st[au_gen_below(r, 4)]) : "";
    o->v[4] = street_line(g, v->a, au_gen_chance(r, 0.4), 1);
    o->v[5] = au_gen_chance(r, 0.1) ? au_gen_lower(&g->pool, town_name(v->a)) : town_name(v->a);
    o->v[6] = postcode_variant(g, r, v->a->postcode);
    o->v[7] = pool_printf(g, "%s %02u:%02u", date_between(g, r, 2018, 2025), au_gen_below(r, 24),
                          au_gen_below(r, 60));
    o->v[8] = au_gen_chance(r, 0.4) ? "true" : "false";
    o->v[9] = v->country ? v->country : "";
}

static const char *const pos_cols[] = {"loyalty_card", "customer_name", "birth_date", "mobile",
                                       "email",        "postcode",      "home_store", "joined"};

static void fill_pos(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_00, AU_GEN_PH_INTL_SPACED, AU_GEN_PH_DIGITS};
    const char *name = join_name(g, v, 1, 1);
    o->v[1] = au_gen_chance(r, 0.2) ? au_gen_upper(&g->pool, name) : name;
    o->v[2] = dob_str(g, v, 'M');
    o->v[3] =
        pe->mobile.nsn[0] && !v->miss_phone ? mobile_out(g, pe, v, st[au_gen_below(r, 3)]) : "";
    o->v[4] = v->email ? email_out(g, v, email_variant(g, r, v->email, 0.0, 0.15)) : "";
    o->v[5] = postcode_variant(g, r, v->a->postcode);
    /* people abroad shop where they lived (their old address) */
    o->v[6] = pool_printf(g, "%s %s", town_name(v->a->abroad ? &pe->old : v->a),
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
    o->v[1] = family(g, v->swapped ? v->first : v->last, v);
    const char *fn = given(g, v->swapped ? v->last : v->first, v);
    o->v[2] = v->middle && au_gen_chance(r, 0.4) ? pool_printf(g, "%s %s", fn, v->middle) : fn;
    o->v[3] = dob_str(g, v, 'D');
    o->v[4] = v->email ? email_out(g, v, email_variant(g, r, v->email, 0.0, 0.3)) : "";
    o->v[5] = phone_pick(g, r, pe, v, 0.6, st, 3);
    const char *street = street_line(g, v->a, au_gen_chance(r, 0.2), 1);
    pb b;
    pb_init(&b, &g->pool);
    pb_s(&b, street);
    pb_s(&b, ", ");
    pb_s(&b, town_name(v->a));
    pb_s(&b, ", ");
    pb_s(&b, v->a->postcode);
    if (v->a->abroad && v->country) {
        pb_s(&b, ", ");
        pb_s(&b, v->country);
    }
    o->v[6] = pb_done(&b);
    o->v[7] = v->a->postcode;
    o->v[8] = methods[au_gen_below(r, 3)];
    o->v[9] = au_gen_chance(r, 0.9) ? "active" : "closed";
    o->v[10] = v->nid ? v->nid : "";
}

static const char *const coll_cols[] = {"debtor_ref", "name",     "dob",        "phone", "address",
                                        "town",       "postcode", "amount_due", "agency"};

static void fill_collections(gen *g, au_gen_rng *r, const au_gen_person *pe, const view *v, row *o)
{
    static const au_gen_phone_style st[] = {AU_GEN_PH_E164};
    o->v[1] = au_gen_upper(&g->pool, join_name(g, v, 0, 0));
    o->v[2] = dob_str(g, v, 'Y');
    o->v[3] = phone_pick(g, r, pe, v, 0.2, st, 1);
    o->v[4] = au_gen_upper(&g->pool, street_line(g, v->a, 0, 1));
    o->v[5] = au_gen_upper(&g->pool, town_name(v->a));
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
    o->v[2] = v->email ? email_out(g, v, email_variant(g, r, v->email, 0.25, 0.05)) : "";
    o->v[3] = phone_pick(g, r, pe, v, 0.4, st, 6);
    o->v[4] = pool_printf(g, "%sT%02u:%02u:00Z", date_between(g, r, 2020, 2025),
                          au_gen_below(r, 24), au_gen_below(r, 60));
}

#define NC(a) (int)(sizeof(a) / sizeof((a)[0]))

static const char *const crm_tcols[] = {
    "customer_id", "title",      "first_name", "middle_name",   "last_name",     "gender",
    "dob",         "email",      "phone",      "address_line1", "address_line2", "town",
    "postcode",    "created_at", "country",    "ni_number"};
static const char *const web_tcols[] = {"account_id",       "email",  "full_name", "phone",
                                        "street",           "city",   "post_code", "signup_date",
                                        "marketing_opt_in", "country"};
static const char *const bill_tcols[] = {
    "account_no",      "surname",          "forenames",      "date_of_birth", "email",    "tel",
    "billing_address", "billing_postcode", "payment_method", "status",        "ni_number"};

static const sys_def systems[AU_GEN_NSYSTEMS] = {
    {"crm",
     crm_cols,
     NC(crm_cols),
     0.80,
     0.04,
     0.02,
     0.010,
     0.25,
     0.05,
     0.10,
     0.10,
     0,
     fill_crm,
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
     "      postcode: postcode\n",
     "    trust: {\"*\": 0.8}\n",
     crm_tcols,
     NC(crm_tcols),
     "      country: country\n"
     "      national_id: ni_number\n",
     'I',
     0.01,
     0.6,
     1},
    {"webshop",
     web_cols,
     NC(web_cols),
     0.60,
     0.20,
     0.04,
     0.010,
     0.35,
     1.0,
     0.0,
     0.25,
     0,
     fill_webshop,
     "    record_id: account_id\n"
     "    fields:\n"
     "      full_name: full_name\n"
     "      email: email\n"
     "      phone: phone\n"
     "      address_line1: street\n"
     "      city: city\n"
     "      postcode: post_code\n",
     "    trust: {email: 0.9, \"*\": 0.6}\n",
     web_tcols,
     NC(web_tcols),
     "      country: country\n",
     0,
     0.05,
     0,
     1},
    {"pos",
     pos_cols,
     NC(pos_cols),
     0.40,
     0.10,
     0.05,
     0.010,
     0.50,
     0.30,
     0.60,
     0.30,
     1,
     fill_pos,
     "    record_id: loyalty_card\n"
     "    fields:\n"
     "      full_name: customer_name\n"
     "      date_of_birth: {from: birth_date, format: MDY}\n"
     "      phone: mobile\n"
     "      email: email\n"
     "      postcode: postcode\n",
     "    trust: {\"*\": 0.4}\n",
     pos_cols,
     NC(pos_cols),
     "",
     'M',
     0.0,
     0,
     0},
    {"billing",
     bill_cols,
     NC(bill_cols),
     0.50,
     0.02,
     0.02,
     0.015,
     0.50,
     0.08,
     0.15,
     0.15,
     1,
     fill_billing,
     "    record_id: account_no\n"
     "    fields:\n"
     "      first_name: forenames\n"
     "      last_name: surname\n"
     "      date_of_birth: {from: date_of_birth, format: DMY}\n"
     "      email: email\n"
     "      phone: tel\n"
     "      address_full: billing_address\n"
     "      postcode: billing_postcode\n",
     "    trust: {address_full: 0.9, postcode: 0.9, \"*\": 0.7}\n",
     bill_tcols,
     NC(bill_tcols),
     "      national_id: ni_number\n",
     'D',
     0.01,
     0.5,
     0},
    {"collections",
     coll_cols,
     NC(coll_cols),
     0.10,
     0.01,
     0.03,
     0.020,
     0.20,
     0.10,
     1.0,
     0.10,
     1,
     fill_collections,
     "    record_id: debtor_ref\n"
     "    fields:\n"
     "      full_name: name\n"
     "      date_of_birth: {from: dob, format: YYYYMMDD}\n"
     "      phone: phone\n"
     "      address_line1: address\n"
     "      city: town\n"
     "      postcode: postcode\n",
     "    trust: {\"*\": 0.5}\n",
     coll_cols,
     NC(coll_cols),
     "",
     'Y',
     0.0,
     0,
     0},
    {"support",
     sup_cols,
     NC(sup_cols),
     0.15,
     0.30,
     0.05,
     0.010,
     0.0,
     1.0,
     0.30,
     0.35,
     0,
     fill_support,
     "    record_id: contact_id\n"
     "    fields:\n"
     "      full_name: name\n"
     "      email: email\n"
     "      phone: phone\n",
     "    trust: {\"*\": 0.3}\n",
     sup_cols,
     NC(sup_cols),
     "",
     0,
     0.08,
     0,
     0},
};

const char *au_gen_system_name(au_gen_system s)
{
    return (unsigned)s < AU_GEN_NSYSTEMS ? systems[s].name : "?";
}

/* ------------------------------------------------------------------------------ the noise */

static void tag(gen *g, au_gen_trap t)
{
    g->tags |= AU_GEN_TAG(t);
}

static int has_col(const sys_def *sd, const char *name)
{
    for (int i = 0; i < sd->ncols; i++)
        if (strcmp(sd->cols[i], name) == 0)
            return 1;
    return 0;
}

/* Placeholders clerks type when a form insists on a value. */
static const char *const placeholder_emails[] = {
    "test@test.com", "noemail@noemail.com", "noemail@northwind.co.uk", "none@none.com",
    "no@email.com",  "na@na.com",           "noemail@gmail.com",       "customer@northwind.co.uk"};
static const char *const placeholder_ids[] = {"000-00-0000", "123456789", "AA000000A",
                                              "QQ123456C",   "000000000", "999999999"};

/* How this record writes the country: mostly proper names and codes, sometimes an alias or a
 * misspelling (which tags the record). */
static const char *country_as_written(gen *g, const au_gen_addr *a)
{
    /* Weights per thousand: mostly the proper name or code, then the everyday aliases, a few
     * real misspellings. */
    static const struct {
        const char *name;
        unsigned w;
    } gb[] = {{"United Kingdom", 550}, {"GB", 120},           {"UK", 200},
              {"England", 60},         {"Great Britain", 30}, {"U.K.", 20},
              {"Britain", 10},         {"Untied Kingdom", 5}, {"Scotland", 5}};
    au_gen_rng *r = &g->trng;
    if (au_gen_chance(r, 0.08))
        return NULL;
    if (a->abroad) {
        const au_gen_foreign *f = &au_gen_foreign_list[a->abroad - 1];
        const char *c = f->names[au_gen_below(r, 4)];
        if (strcmp(c, f->names[0]) != 0 && strcmp(c, f->iso) != 0)
            tag(g, AU_GEN_TRAP_COUNTRY_ALIAS);
        return c;
    }
    unsigned x = au_gen_below(r, 1000);
    size_t i = 0;
    while (i + 1 < NC(gb) && x >= gb[i].w)
        x -= gb[i++].w;
    const char *c = gb[i].name;
    if (strcmp(c, "United Kingdom") != 0 && strcmp(c, "GB") != 0)
        tag(g, AU_GEN_TRAP_COUNTRY_ALIAS);
    return c;
}

/* The national id as keyed: the person's own (in one of its written forms), another
 * customer's (a slip of the clerk), a placeholder, or none. */
static const char *nid_as_written(gen *g, const au_gen_person *pe, const sys_def *sd, double k)
{
    au_gen_rng *r = &g->trng;
    char other[16];
    if (!au_gen_chance(r, sd->nid))
        return NULL;
    if (!pe->nid[0] || au_gen_chance(r, 0.015 * k)) {
        if (!pe->nid[0] && !au_gen_chance(r, 0.15))
            return NULL;
        tag(g, AU_GEN_TRAP_ID_PLACEHOLDER);
        return placeholder_ids[au_gen_below(r, NC(placeholder_ids))];
    }
    const char *id = pe->nid;
    if (au_gen_chance(r, 0.006 * k) && g->o->people > 1) {
        /* A neighbour in the clerk's pile: another customer keyed a few rows away. */
        long o = (pe->pid + 1 + (long)au_gen_below(r, 40)) % g->o->people;
        au_gen_nino(o == pe->pid ? (o + 1) % g->o->people : o, other, sizeof(other));
        id = other;
        tag(g, AU_GEN_TRAP_ID_REUSED);
    }
    if (au_gen_chance(r, 0.3)) /* "AB 12 34 56 C" as printed on the card */
        return pool_printf(g, "%.2s %.2s %.2s %.2s %s", id, id + 2, id + 4, id + 6, id + 8);
    return au_gen_pool_dup(&g->pool, id, strlen(id));
}

/* The record-level traps, from the record's own trap stream (g->trng): the noise decisions
 * in make_view are those of the clean set. */
static void trap_view(gen *g, const au_gen_person *pe, const sys_def *sd, int dup, view *v)
{
    static const char *const titles_m[] = {"Mr", "Mr", "Mr", "Dr", "Prof", "Rev", "Sir"};
    static const char *const titles_f[] = {"Mrs", "Ms", "Miss", "Mrs", "Dr", "Prof", "Lady"};
    static const char *const jr[] = {"Jr", "Jr.", "Junior", "JR"};
    static const char *const sr[] = {"Sr", "Sr.", "Senior", "SR"};
    au_gen_rng *r = &g->trng;
    double k = dup ? 2.0 : 1.0;
    g->tags |= pe->tags & (AU_GEN_TAG(AU_GEN_TRAP_ABROAD) | AU_GEN_TAG(AU_GEN_TRAP_HOUSEHOLD) |
                           AU_GEN_TAG(AU_GEN_TRAP_TWIN) | AU_GEN_TAG(AU_GEN_TRAP_JR_SR) |
                           AU_GEN_TAG(AU_GEN_TRAP_COMPANY_STAFF));
    if (au_gen_chance(r, 0.04 * k)) {
        v->title = pe->female ? titles_f[au_gen_below(r, NC(titles_f))]
                              : titles_m[au_gen_below(r, NC(titles_m))];
        tag(g, AU_GEN_TRAP_NAME_TITLE);
    }
    if (pe->suffix && au_gen_chance(r, 0.6)) {
        v->suffix = strcmp(pe->suffix, "Jr") == 0   ? jr[au_gen_below(r, NC(jr))]
                    : strcmp(pe->suffix, "Sr") == 0 ? sr[au_gen_below(r, NC(sr))]
                                                    : pe->suffix;
        tag(g, AU_GEN_TRAP_NAME_SUFFIX);
    }
    if (v->y && sd->dob_style) {
        double u = au_gen_unit(r), two = sd->dob_style == 'D' || sd->dob_style == 'M' ? 0.05 : 0;
        double part = sd->dob_style == 'I' || sd->dob_style == 'Y' ? 0.02 : 0;
        static const au_gen_trap kinds[] = {AU_GEN_TRAP_DOB_2DIGIT_YEAR, AU_GEN_TRAP_DOB_PARTIAL,
                                            AU_GEN_TRAP_DOB_IMPOSSIBLE, AU_GEN_TRAP_DOB_BEFORE_1900,
                                            AU_GEN_TRAP_DOB_PLACEHOLDER};
        const double p[] = {two, part, 0.008 * k, 0.004 * k, 0.006};
        for (int i = 0; i < NC(kinds) && v->dob_trap < 0; i++) {
            if (u < p[i]) {
                v->dob_trap = (int)kinds[i];
                tag(g, kinds[i]);
            }
            u -= p[i];
        }
    }
    if (has_col(sd, "email")) {
        if (pe->company && au_gen_chance(r, 0.35)) {
            char role[96];
            au_gen_company_email(pe->company, role, sizeof(role));
            v->email = au_gen_pool_dup(&g->pool, role, strlen(role));
            tag(g, AU_GEN_TRAP_EMAIL_ROLE);
        } else if (au_gen_chance(r, v->email ? 0.01 : 0.12)) {
            v->email = placeholder_emails[au_gen_below(r, NC(placeholder_emails))];
            tag(g, AU_GEN_TRAP_EMAIL_PLACEHOLDER);
        }
        if (v->email && au_gen_chance(r, sd->display_name)) {
            v->display_name = 1;
            tag(g, AU_GEN_TRAP_EMAIL_DISPLAY_NAME);
        }
    }
    if (pe->head_mobile.nsn[0] && pe->mobile.nsn[0] && au_gen_chance(r, 0.12))
        v->mobile = &pe->head_mobile; /* tagged where it is written (mobile_out) */
    v->nid = sd->nid > 0 ? nid_as_written(g, pe, sd, k) : NULL;
    v->country = sd->country ? country_as_written(g, v->a) : NULL;
}

static void make_view(gen *g, au_gen_rng *r, const au_gen_person *pe, const sys_def *sd, int dup,
                      view *v)
{
    double k = dup ? 2.5 : 1.0; /* a second account is typed with less care */
    memset(v, 0, sizeof(*v));
    v->first = pe->first;
    v->middle = pe->middle;
    v->last = pe->last;
    v->mobile = &pe->mobile;
    v->dob_trap = -1;
    if (dup)
        tag(g, AU_GEN_TRAP_SECOND_ACCOUNT);
    if (au_gen_chance(r, sd->nick * k)) {
        const char *n = au_gen_nickname(&g->t, pe, r);
        if (n) {
            v->first = n;
            tag(g, AU_GEN_TRAP_NICKNAME);
        }
    }
    if (au_gen_chance(r, sd->typo * k))
        v->first = au_gen_typo(&g->pool, r, v->first);
    if (au_gen_chance(r, sd->typo * k))
        v->last = au_gen_typo(&g->pool, r, v->last);
    if (strcmp(v->first, pe->first) && !(g->tags & AU_GEN_TAG(AU_GEN_TRAP_NICKNAME)))
        tag(g, AU_GEN_TRAP_TYPO);
    if (strcmp(v->last, pe->last))
        tag(g, AU_GEN_TRAP_TYPO);
    if (sd->fold || au_gen_chance(r, 0.1)) {
        v->first = au_gen_fold(&g->pool, v->first);
        v->last = au_gen_fold(&g->pool, v->last);
        if (v->middle)
            v->middle = au_gen_fold(&g->pool, v->middle);
    }
    v->swapped = au_gen_chance(r, sd->swap * k);
    v->a = pe->moved && au_gen_chance(r, dup ? 0.6 : sd->old) ? &pe->old : &pe->addr;
    if (v->swapped)
        tag(g, AU_GEN_TRAP_SWAPPED_NAMES);
    if (v->a == &pe->old)
        tag(g, AU_GEN_TRAP_OLD_ADDRESS);
    if (!au_gen_chance(r, sd->miss_dob)) {
        v->y = pe->y;
        v->m = pe->m;
        v->d = pe->d;
        if (au_gen_chance(r, 0.015 * k)) { /* keying error in the date */
            tag(g, AU_GEN_TRAP_DOB_KEYING);
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
    if (v->email && v->email == pe->email2)
        tag(g, AU_GEN_TRAP_EMAIL_WORK);
    if (g->o->traps)
        trap_view(g, pe, sd, dup, v);
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

/* Kinds that are dirty values (not the ordinary noise nor the kind of person). */
#define DIRTY_TRAPS                                                                                \
    (AU_GEN_TAG(AU_GEN_TRAP_DOB_2DIGIT_YEAR) | AU_GEN_TAG(AU_GEN_TRAP_DOB_IMPOSSIBLE) |            \
     AU_GEN_TAG(AU_GEN_TRAP_DOB_BEFORE_1900) | AU_GEN_TAG(AU_GEN_TRAP_DOB_PLACEHOLDER) |           \
     AU_GEN_TAG(AU_GEN_TRAP_DOB_PARTIAL) | AU_GEN_TAG(AU_GEN_TRAP_EMAIL_DISPLAY_NAME) |            \
     AU_GEN_TAG(AU_GEN_TRAP_EMAIL_ROLE) | AU_GEN_TAG(AU_GEN_TRAP_EMAIL_PLACEHOLDER) |              \
     AU_GEN_TAG(AU_GEN_TRAP_ID_REUSED) | AU_GEN_TAG(AU_GEN_TRAP_ID_PLACEHOLDER) |                  \
     AU_GEN_TAG(AU_GEN_TRAP_PHONE_FOREIGN) | AU_GEN_TAG(AU_GEN_TRAP_PHONE_FOREIGN_NATIONAL) |      \
     AU_GEN_TAG(AU_GEN_TRAP_PHONE_FAMILY) | AU_GEN_TAG(AU_GEN_TRAP_COUNTRY_ALIAS) |                \
     AU_GEN_TAG(AU_GEN_TRAP_NAME_TITLE) | AU_GEN_TAG(AU_GEN_TRAP_NAME_SUFFIX))

/* traps.csv: source,record_id,traps - the kinds the record carries, space-separated. */
static au_rc write_traps(gen *g, const char *source, const char *rid)
{
    g->len = 0;
    puts_(g, source);
    putc_(g, ',');
    puts_(g, rid);
    putc_(g, ',');
    int first = 1;
    for (int t = 0; t < AU_GEN_NTRAPS; t++) {
        if (!(g->tags & AU_GEN_TAG(t)))
            continue;
        if (!first)
            putc_(g, ' ');
        first = 0;
        puts_(g, au_gen_trap_name((au_gen_trap)t));
        g->st.traps[t]++;
    }
    g->st.trap_rows += (g->tags & DIRTY_TRAPS) != 0;
    putc_(g, '\n');
    return flush_line(g, &g->traps);
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
    g->tags = 0;
    if (g->o->traps) /* one stream per record, apart from the noise of the clean set */
        au_gen_rng_seed(&g->trng, g->o->seed, 0x700000000ULL + (uint64_t)g->st.total_rows);
    make_view(g, r, pe, sd, dup, &v);
    rw.v[0] = make_id(g, s, g->counter[s]++);
    sd->fill(g, r, pe, &v, &rw);
    au_rc rc = g->o->traps ? write_row(g, &g->src[s], sd->tcols, sd->ntcols, &rw)
                           : write_row(g, &g->src[s], sd->cols, sd->ncols, &rw);
    if (!rc)
        rc = write_truth(g, sd->name, rw.v[0], pe->pid);
    if (!rc && g->o->traps)
        rc = write_traps(g, sd->name, rw.v[0]);
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
static const sys_def people_new = {.name = "people",
                                   .cols = people_cols,
                                   .ncols = NC(people_cols),
                                   .member = 1.0,
                                   .nick = 0.02,
                                   .typo = 0.02,
                                   .swap = 0.005,
                                   .old = 0.2,
                                   .miss_dob = 0.03,
                                   .miss_email = 0.12,
                                   .miss_phone = 0.12};
static const sys_def people_dup = {.name = "people",
                                   .cols = people_cols,
                                   .ncols = NC(people_cols),
                                   .member = 1.0,
                                   .nick = 0.12,
                                   .typo = 0.08,
                                   .swap = 0.02,
                                   .old = 0.5,
                                   .miss_dob = 0.12,
                                   .miss_email = 0.25,
                                   .miss_phone = 0.25};

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
            fprintf(f.f, "  %s:\n    country: %s\n%s%s%s", systems[s].name, o->country,
                    systems[s].mapping, o->traps ? systems[s].tmapping : "", systems[s].trust);
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
    if (o->single_source && o->traps)
        return au_err_set(err, AU_ERR_INVALID,
                          "--traps needs the six systems (no --single-source)");
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
    g->t.traps = o.traps;
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
            const sys_def *sd = &systems[s];
            if ((rc = open_out(g, &g->src[s], name, err)) ||
                (rc = o.traps ? write_header(g, &g->src[s], sd->tcols, sd->ntcols)
                              : write_header(g, &g->src[s], sd->cols, sd->ncols)))
                goto out;
        }
        if (o.traps) {
            if ((rc = open_out(g, &g->traps, "traps.csv", err)))
                goto out;
            fputs("source,record_id,traps\n", g->traps.f);
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
        rc2 = close_out(&g->traps, rc ? NULL : err);
        rc = rc ? rc : rc2;
        if (stats)
            *stats = g->st;
        au_gen_tables_cleanup(&g->t);
        au_free(g);
    }
    return rc;
}
