/*
 * People and households for the generator: who lives where, with which names, dates of birth,
 * phones and e-mails, plus the small string transformations (typos, nicknames, accent folding,
 * phone renderings) that make one person look different in each system. Households give the
 * hard non-matches: partners and children at the same address with the same surname, and twins
 * who share surname, address and date of birth but not their first names.
 */
#include "gen/gen_int.h"

#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"

/* Every string here is bounded by construction and snprintf truncates safely; gcc cannot see
 * the bounds of list entries, so its truncation warning is noise in this file. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

int au_gen_tables_init(au_gen_tables *t, uint64_t seed, long people_total)
{
    memset(t, 0, sizeof(*t));
    t->seed = seed;
    t->people_total = people_total;
    if (au_gen_cdf_init(&t->male, au_gen_male, au_gen_nmale) ||
        au_gen_cdf_init(&t->female, au_gen_female, au_gen_nfemale) ||
        au_gen_cdf_init(&t->surnames, au_gen_surnames, au_gen_nsurnames) ||
        au_gen_cdf_init_towns(&t->towns) ||
        au_gen_cdf_init(&t->domains, au_gen_mail_domains, au_gen_nmail_domains))
        return -1;
    for (int g = 0; g < 2; g++) {
        const au_gen_wname *names = g ? au_gen_female : au_gen_male;
        size_t n = g ? au_gen_nfemale : au_gen_nmale;
        t->nick_start[g] = au_calloc(n, sizeof(unsigned));
        t->nick_count[g] = au_calloc(n, sizeof(unsigned));
        if (!t->nick_start[g] || !t->nick_count[g])
            return -1;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < au_gen_nnicks; k++)
                if (strcmp(au_gen_nicks[k].formal, names[i].name) == 0) {
                    if (t->nick_count[g][i]++ == 0)
                        t->nick_start[g][i] = (unsigned)k;
                }
    }
    return 0;
}

void au_gen_tables_cleanup(au_gen_tables *t)
{
    au_gen_cdf_cleanup(&t->male);
    au_gen_cdf_cleanup(&t->female);
    au_gen_cdf_cleanup(&t->surnames);
    au_gen_cdf_cleanup(&t->towns);
    au_gen_cdf_cleanup(&t->domains);
    for (int g = 0; g < 2; g++) {
        au_free(t->nick_start[g]);
        au_free(t->nick_count[g]);
    }
}

/* Postcode letters never used in the inward code. */
static const char pc_letters[] = "ABDEFGHJLNPQRSTUWXYZ";

static void make_addr(const au_gen_tables *t, au_gen_rng *r, au_gen_addr *a)
{
    a->abroad = 0;
    a->town = (unsigned)au_gen_cdf_pick(&t->towns, r);
    const au_gen_town *tw = &au_gen_towns[a->town];
    a->street = au_gen_streets[au_gen_below(r, (uint32_t)au_gen_nstreets)];
    a->stype = au_gen_street_types[au_gen_below(r, (uint32_t)au_gen_nstreet_types)];
    a->house = 1 + (au_gen_chance(r, 0.7) ? au_gen_below(r, 60) : au_gen_below(r, 240));
    a->flat = au_gen_chance(r, 0.12) ? 1 + au_gen_below(r, 24) : 0;
    snprintf(a->postcode, sizeof(a->postcode), "%s%u %u%c%c", tw->pc_area,
             1 + au_gen_below(r, tw->pc_districts), 1 + au_gen_below(r, 9),
             pc_letters[au_gen_below(r, 20)], pc_letters[au_gen_below(r, 20)]);
}

/* Drama numbers while they suffice (the first 1,000 households / people); past that, numbers
 * outside the drama blocks but still unique per household / person, so that a phone stays a
 * strong identifier at 10 M people. */
static void make_landline(long h, const au_gen_addr *a, au_gen_phone *ph)
{
    const au_gen_town *tw = &au_gen_towns[a->town];
    size_t alen = strlen(tw->area_code);
    ph->arealen = (unsigned)alen;
    if (tw->drama && h < 1000) {
        snprintf(ph->nsn, sizeof(ph->nsn), "%s%s%03u", tw->area_code, tw->drama,
                 (unsigned)(h % 1000));
        return;
    }
    unsigned sublen = 10 - (unsigned)alen; /* subscriber digits after the area code */
    uint64_t mod = 1;
    for (unsigned i = 1; i < sublen; i++)
        mod *= 10;
    uint64_t v = ((uint64_t)h * 2654435761ULL) % mod;
    snprintf(ph->nsn, sizeof(ph->nsn), "%s3%0*llu", tw->area_code, (int)(sublen - 1),
             (unsigned long long)v);
}

static void make_mobile(long pid, au_gen_phone *ph)
{
    ph->arealen = 4;
    if (pid < 1000)
        snprintf(ph->nsn, sizeof(ph->nsn), "7700900%03u", (unsigned)(pid % 1000));
    else
        snprintf(ph->nsn, sizeof(ph->nsn), "78%08llu",
                 (unsigned long long)(((uint64_t)pid * 48271ULL) % 100000000ULL));
}

/* Lower-case ASCII of a name for e-mail local parts: accents folded, punctuation dropped. */
static void mail_part(char *dst, size_t cap, const char *name)
{
    au_gen_pool tmp;
    tmp.used = 0;
    const char *f = au_gen_fold(&tmp, name);
    size_t n = 0;
    for (; *f && n + 1 < cap; f++)
        if ((*f >= 'a' && *f <= 'z') || (*f >= 'A' && *f <= 'Z'))
            dst[n++] = (char)(*f | 0x20);
    dst[n] = '\0';
}

/* The number at the end of every local part is a bijection of the person number, so two
 * people never share an address even when they share a name. */
static unsigned long long mail_number(const au_gen_tables *t, long pid, uint64_t salt)
{
    uint64_t mod = 1000;
    while (mod < (uint64_t)t->people_total)
        mod *= 10;
    return (((uint64_t)pid * 7919ULL) + salt * 104729ULL) % mod;
}

void au_gen_make_email(const au_gen_tables *t, au_gen_rng *r, const au_gen_person *pe, char *dst,
                       size_t cap, const char *domain, uint64_t salt)
{
    char f[40], l[40];
    mail_part(f, sizeof(f), pe->first);
    mail_part(l, sizeof(l), pe->last);
    unsigned long long n = mail_number(t, pe->pid, salt);
    switch (au_gen_below(r, 6)) {
    case 0:
        snprintf(dst, cap, "%s.%s%llu@%s", f, l, n, domain);
        break;
    case 1:
        snprintf(dst, cap, "%s%s%llu@%s", f, l, n, domain);
        break;
    case 2:
        snprintf(dst, cap, "%c.%s%llu@%s", f[0] ? f[0] : 'x', l, n, domain);
        break;
    case 3:
        snprintf(dst, cap, "%s.%s%llu@%s", l, f, n, domain);
        break;
    case 4:
        snprintf(dst, cap, "%s_%s%llu@%s", f, l, n, domain);
        break;
    default:
        snprintf(dst, cap, "%s%llu@%s", f, n, domain);
        break;
    }
}

static void make_name(const au_gen_tables *t, au_gen_rng *r, au_gen_person *pe, int female)
{
    pe->female = female;
    const au_gen_cdf *c = female ? &t->female : &t->male;
    const au_gen_wname *names = female ? au_gen_female : au_gen_male;
    pe->first_idx = (unsigned)au_gen_cdf_pick(c, r);
    pe->first = names[pe->first_idx].name;
    pe->middle = NULL;
    if (au_gen_chance(r, 0.4)) {
        size_t m = au_gen_cdf_pick(c, r);
        if (m != pe->first_idx)
            pe->middle = names[m].name;
    }
}

static void finish_person(const au_gen_tables *t, au_gen_rng *r, au_gen_person *pe)
{
    pe->mobile.nsn[0] = '\0';
    if (au_gen_chance(r, 0.88))
        make_mobile(pe->pid, &pe->mobile);
    pe->email[0] = pe->email2[0] = '\0';
    if (au_gen_chance(r, 0.87)) {
        const char *dom = au_gen_mail_domains[au_gen_cdf_pick(&t->domains, r)].name;
        au_gen_make_email(t, r, pe, pe->email, sizeof(pe->email), dom, 0);
    }
    if (au_gen_chance(r, 0.10)) {
        const char *dom = au_gen_work_domains[au_gen_below(r, (uint32_t)au_gen_nwork_domains)];
        au_gen_make_email(t, r, pe, pe->email2, sizeof(pe->email2), dom, 1);
    }
}

static int clamp_year(int y)
{
    return y > 2007 ? 2007 : y; /* customers are adults in 2026 */
}

static void set_dob(au_gen_rng *r, au_gen_person *pe, int y)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    pe->y = y;
    pe->m = 1 + (int)au_gen_below(r, 12);
    int md = mdays[pe->m - 1] + (pe->m == 2 && y % 4 == 0 && (y % 100 || y % 400 == 0));
    pe->d = 1 + (int)au_gen_below(r, (uint32_t)md);
}

int au_gen_household(const au_gen_tables *t, long h, long first_pid, au_gen_person *out, int max)
{
    au_gen_rng r;
    au_gen_rng_seed(&r, t->seed, 0x100000000ULL + (uint64_t)h);
    double u = au_gen_unit(&r);
    int size = u < 0.45 ? 1 : u < 0.75 ? 2 : u < 0.88 ? 3 : 4;
    if (size > max)
        size = max;
    int twins = size == 4 && au_gen_chance(&r, 0.25);

    au_gen_addr addr, old;
    make_addr(t, &r, &addr);
    int moved = au_gen_chance(&r, 0.12);
    if (moved)
        make_addr(t, &r, &old);
    au_gen_phone landline = {"", 0, 0};
    if (au_gen_chance(&r, 0.35))
        make_landline(h, &addr, &landline);
    const char *family = au_gen_surnames[au_gen_cdf_pick(&t->surnames, &r)].name;
    int head_y = 1945 + (int)au_gen_below(&r, 60);

    for (int i = 0; i < size; i++) {
        au_gen_person *pe = &out[i];
        memset(pe, 0, sizeof(*pe));
        pe->pid = first_pid + i;
        pe->addr = addr;
        pe->moved = moved;
        if (moved)
            pe->old = old;
        pe->landline = landline;
        pe->last = family;
        if (i == 0) {
            make_name(t, &r, pe, au_gen_chance(&r, 0.5));
            set_dob(&r, pe, clamp_year(head_y));
        } else if (i == 1) {
            make_name(t, &r, pe, au_gen_chance(&r, 0.85) ? !out[0].female : out[0].female);
            if (au_gen_chance(&r, 0.3))
                pe->last = au_gen_surnames[au_gen_cdf_pick(&t->surnames, &r)].name;
            set_dob(&r, pe, clamp_year(head_y - 6 + (int)au_gen_below(&r, 13)));
        } else if (i == 3 && twins) {
            /* A twin: everything but the first name (and maybe gender) as the sibling. */
            do
                make_name(t, &r, pe, au_gen_chance(&r, 0.5));
            while (strcmp(pe->first, out[2].first) == 0);
            pe->y = out[2].y;
            pe->m = out[2].m;
            pe->d = out[2].d;
            pe->twin = out[2].twin = 1;
        } else {
            make_name(t, &r, pe, au_gen_chance(&r, 0.5));
            set_dob(&r, pe, clamp_year(head_y + 22 + (int)au_gen_below(&r, 14)));
        }
        finish_person(t, &r, pe);
    }
    if (t->traps)
        au_gen_traps_household(t, h, out, size);
    return size;
}

const char *au_gen_pool_dup(au_gen_pool *p, const char *s, size_t n)
{
    if (p->used + n + 1 > sizeof(p->buf))
        p->used = 0; /* rows are far smaller than the pool; never reached in practice */
    char *d = p->buf + p->used;
    memcpy(d, s, n);
    d[n] = '\0';
    p->used += n + 1;
    return d;
}

/* QWERTY neighbours of a..z, for substitutions and insertions a hand would make. */
static const char *const kb_near[26] = {
    "qwsz",   "vghn",  "xdfv", "serfcx", "wsdr", "drtgvc", "ftyhbv", "gyujnb", "ujko",
    "huikmn", "jiolm", "kop",  "njk",    "bhjm", "iklp",   "ol",     "wa",     "edft",
    "awedxz", "rfgy",  "yhji", "cfgb",   "qase", "zsdc",   "tghu",   "asx"};

static char near_key(au_gen_rng *r, char c)
{
    char lc = (char)(c | 0x20);
    if (lc < 'a' || lc > 'z' || au_gen_chance(r, 0.15))
        return (char)('a' + au_gen_below(r, 26));
    const char *n = kb_near[lc - 'a'];
    char k = n[au_gen_below(r, (uint32_t)strlen(n))];
    return (c >= 'A' && c <= 'Z') ? (char)(k & ~0x20) : k;
}

const char *au_gen_typo(au_gen_pool *p, au_gen_rng *r, const char *s)
{
    char b[128];
    size_t n = strlen(s);
    if (n < 2 || n + 2 > sizeof(b))
        return s;
    /* Only touch ASCII letters after the first, next to ASCII on both sides (a transposition at
     * the end swaps with the previous byte), so a UTF-8 sequence is never split and the
     * initial (which people rarely mistype) survives. */
    size_t i = 1 + au_gen_below(r, (uint32_t)(n - 1));
    if ((unsigned char)s[i] >= 0x80 || (i + 1 < n && (unsigned char)s[i + 1] >= 0x80) ||
        (unsigned char)s[i - 1] >= 0x80)
        return s;
    memcpy(b, s, n + 1);
    switch (au_gen_below(r, 4)) {
    case 0: /* insert */
        memmove(b + i + 1, b + i, n - i + 1);
        b[i] = (char)(near_key(r, s[i]) | 0x20);
        break;
    case 1: /* delete */
        memmove(b + i, b + i + 1, n - i);
        break;
    case 2: /* transpose */
        if (i + 1 < n) {
            b[i] = s[i + 1];
            b[i + 1] = s[i];
        } else {
            b[i] = s[i - 1];
            b[i - 1] = s[i];
        }
        break;
    default:
        b[i] = near_key(r, s[i]);
        break;
    }
    return au_gen_pool_dup(p, b, strlen(b));
}

/* Two-byte UTF-8 letters used by the lists and their ASCII base letters. */
static const struct {
    unsigned char b1, b2;
    char ascii;
} fold_tab[] = {
    {0xC3, 0xA9, 'e'}, {0xC3, 0xAB, 'e'}, {0xC3, 0xA8, 'e'}, {0xC3, 0xA1, 'a'}, {0xC3, 0xA2, 'a'},
    {0xC3, 0xAD, 'i'}, {0xC3, 0xB3, 'o'}, {0xC3, 0xB6, 'o'}, {0xC3, 0xBA, 'u'}, {0xC3, 0xBC, 'u'},
    {0xC3, 0xB1, 'n'}, {0xC3, 0xA7, 'c'}, {0xC3, 0xA4, 'a'}, {0xC3, 0x89, 'E'}, {0xC3, 0x96, 'O'},
    {0xC3, 0x9C, 'U'}, {0xC5, 0x9B, 's'}, {0xC3, 0xAA, 'e'}, {0xC3, 0xAE, 'i'}, {0xC3, 0xB4, 'o'},
};

const char *au_gen_fold(au_gen_pool *p, const char *s)
{
    char b[128];
    size_t n = 0;
    int changed = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c && n + 1 < sizeof(b); c++) {
        if (*c >= 0x80 && c[1]) {
            char a = '?';
            for (size_t k = 0; k < sizeof(fold_tab) / sizeof(fold_tab[0]); k++)
                if (fold_tab[k].b1 == c[0] && fold_tab[k].b2 == c[1])
                    a = fold_tab[k].ascii;
            if (a != '?') {
                b[n++] = a;
                c++;
                changed = 1;
                continue;
            }
        }
        b[n++] = (char)*c;
    }
    return changed ? au_gen_pool_dup(p, b, n) : s;
}

static const char *recase(au_gen_pool *p, const char *s, int upper)
{
    char b[256];
    size_t n = strlen(s);
    if (n >= sizeof(b))
        return s;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (upper && c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        else if (!upper && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        else if (c == 0xC3 && i + 1 < n) {
            /* Latin-1 supplement letters: lower U+00E0..FE, upper U+00C0..DE; skip ÷ and ×. */
            unsigned char d = (unsigned char)s[i + 1];
            if (upper && d >= 0xA0 && d <= 0xBE && d != 0xB7)
                d = (unsigned char)(d - 0x20);
            else if (!upper && d >= 0x80 && d <= 0x9E && d != 0x97)
                d = (unsigned char)(d + 0x20);
            b[i++] = (char)c;
            c = d;
        }
        b[i] = (char)c;
    }
    return au_gen_pool_dup(p, b, n);
}

const char *au_gen_upper(au_gen_pool *p, const char *s)
{
    return recase(p, s, 1);
}

const char *au_gen_lower(au_gen_pool *p, const char *s)
{
    return recase(p, s, 0);
}

const char *au_gen_nickname(const au_gen_tables *t, const au_gen_person *pe, au_gen_rng *r)
{
    unsigned n = t->nick_count[pe->female][pe->first_idx];
    if (n == 0)
        return NULL;
    return au_gen_nicks[t->nick_start[pe->female][pe->first_idx] + au_gen_below(r, n)].nick;
}

/* A foreign number as written abroad (national) or anywhere (international). */
static const char *foreign_fmt(au_gen_pool *p, const au_gen_phone *ph, au_gen_phone_style st)
{
    const au_gen_foreign *f = &au_gen_foreign_list[ph->abroad - 1];
    char b[48];
    const char *d = ph->nsn;
    int a = (int)ph->arealen,
        intl = st == AU_GEN_PH_INTL_SPACED || st == AU_GEN_PH_E164 || st == AU_GEN_PH_00;
    if (st == AU_GEN_PH_E164)
        snprintf(b, sizeof(b), "+%s%s", f->cc, d);
    else if (intl)
        snprintf(b, sizeof(b), "%s%s %.*s %s", st == AU_GEN_PH_00 ? "00" : "+", f->cc, a, d, d + a);
    else if (strcmp(f->iso, "US") == 0) /* (212) 555-0134 or 212-555-0134 */
        snprintf(b, sizeof(b), st == AU_GEN_PH_PARENS ? "(%.3s) %.3s-%s" : "%.3s-%.3s-%s", d, d + 3,
                 d + 6);
    else
        snprintf(b, sizeof(b), "%s%.*s %s", f->trunk, a, d, d + a);
    return au_gen_pool_dup(p, b, strlen(b));
}

const char *au_gen_phone_fmt(au_gen_pool *p, const au_gen_phone *ph, au_gen_phone_style st)
{
    char b[40];
    if (ph->abroad)
        return foreign_fmt(p, ph, st);
    const char *d = ph->nsn;
    int a = (int)ph->arealen;
    const char *rest = d + a;
    size_t rl = strlen(rest);
    /* Subscriber part split as people write it: 8 digits 4+4, 7 digits 3+4, 6 digits whole. */
    int split = rl == 8 ? 4 : rl == 7 ? 3 : (int)rl;
    switch (st) {
    case AU_GEN_PH_INTL_SPACED:
        snprintf(b, sizeof(b), "+44 %.*s %.*s%s%s", a, d, split, rest, split < (int)rl ? " " : "",
                 rest + split);
        break;
    case AU_GEN_PH_E164:
        snprintf(b, sizeof(b), "+44%s", d);
        break;
    case AU_GEN_PH_NATIONAL:
        snprintf(b, sizeof(b), "0%.*s %s", a, d, rest);
        break;
    case AU_GEN_PH_NATIONAL_SP:
        snprintf(b, sizeof(b), "0%.*s %.*s%s%s", a, d, split, rest, split < (int)rl ? " " : "",
                 rest + split);
        break;
    case AU_GEN_PH_00:
        snprintf(b, sizeof(b), "0044 %.*s %s", a, d, rest);
        break;
    case AU_GEN_PH_DIGITS:
        snprintf(b, sizeof(b), "0%s", d);
        break;
    default:
        snprintf(b, sizeof(b), "(0%.*s) %.*s%s%s", a, d, split, rest, split < (int)rl ? " " : "",
                 rest + split);
        break;
    }
    return au_gen_pool_dup(p, b, strlen(b));
}
