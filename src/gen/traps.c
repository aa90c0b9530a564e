/*
 * The person-level traps of `aurum gen --traps`: what makes real customer data hard beyond
 * typing noise. Fathers and sons who share a name, an address and a phone (Sr and Jr, 22+ years
 * apart); people who live abroad or carry a foreign mobile; colleagues at one employer who all
 * give its role e-mail (info@, sales@); and the National Insurance numbers that a data-entry
 * error later gives to the wrong customer. Each household's traps come from their own PRNG
 * stream, so a trap set is the clean set with these overlaid, never a different population.
 * The record-level traps (dirty dates, display-name and placeholder e-mails, titles, country
 * aliases) are applied where records are rendered, in gen.c.
 */
#include <stdio.h>
#include <string.h>

#include "gen/gen.h"
#include "gen/gen_int.h"

#pragma GCC diagnostic ignored "-Wformat-truncation" /* bounded strings, see person.c */

/* Numbers use the fixed prefixes below and pid-derived subscriber digits; the US ones sit in
 * the 555 exchange. Streets and postcodes are written as each country writes them. */
const au_gen_foreign au_gen_foreign_list[] = {
    {"DE",
     "49",
     "0",
     "30",
     8,
     "Berlin",
     "Hauptstraße",
     1,
     "1099",
     {"Germany", "Deutschland", "DE", "Germany"},
     30},
    {"US",
     "1",
     "",
     "212555",
     4,
     "New York",
     "Park Avenue",
     0,
     "100999",
     {"United States", "USA", "U.S.A.", "America"},
     20},
    {"IE",
     "353",
     "0",
     "87",
     7,
     "Dublin",
     "Main Street",
     0,
     "D09 A9A9",
     {"Ireland", "Eire", "Republic of Ireland", "IE"},
     15},
    {"FR",
     "33",
     "0",
     "6",
     8,
     "Paris",
     "rue de Rivoli",
     0,
     "750999",
     {"France", "FR", "France", "France"},
     12},
    {"NL",
     "31",
     "0",
     "6",
     8,
     "Amsterdam",
     "Prinsengracht",
     1,
     "1099 AA",
     {"Netherlands", "Holland", "The Netherlands", "NL"},
     10},
    {"LI",
     "423",
     "",
     "79",
     5,
     "Vaduz",
     "Städtle",
     1,
     "9490",
     {"Liechtenstein", "Lichtenstein", "FL", "Liechtenstien"},
     5},
    {"ES",
     "34",
     "",
     "6",
     8,
     "Madrid",
     "Calle Mayor",
     1,
     "2899",
     {"Spain", "España", "Espana", "ES"},
     8},
};
const size_t au_gen_nforeign = sizeof(au_gen_foreign_list) / sizeof(au_gen_foreign_list[0]);

static const char *const trap_names[] = {
#define AU_GEN_TRAP_NAME(id, name, what) name,
    AU_GEN_TRAP_LIST(AU_GEN_TRAP_NAME)
#undef AU_GEN_TRAP_NAME
};

static const char *const trap_whats[] = {
#define AU_GEN_TRAP_WHAT(id, name, what) what,
    AU_GEN_TRAP_LIST(AU_GEN_TRAP_WHAT)
#undef AU_GEN_TRAP_WHAT
};

const char *au_gen_trap_name(au_gen_trap t)
{
    return (unsigned)t < AU_GEN_NTRAPS ? trap_names[t] : "?";
}

const char *au_gen_trap_what(au_gen_trap t)
{
    return (unsigned)t < AU_GEN_NTRAPS ? trap_whats[t] : "?";
}

/* ------------------------------------------------------------------------------ employers */

static const char *const company_kinds[] = {"builders", "legal",    "dental", "motors",
                                            "lettings", "partners", "design", "catering"};
static const char *const company_roles[] = {"info",  "sales",   "office",    "accounts",
                                            "admin", "contact", "enquiries", "hello"};

void au_gen_company_email(long company, char *dst, size_t cap)
{
    unsigned long c = (unsigned long)(company > 0 ? company - 1 : 0);
    size_t nk = sizeof(company_kinds) / sizeof(company_kinds[0]);
    size_t nr = sizeof(company_roles) / sizeof(company_roles[0]);
    au_gen_pool tmp;
    tmp.used = 0;
    const char *sur = au_gen_fold(&tmp, au_gen_surnames[c % au_gen_nsurnames].name);
    char name[40];
    size_t n = 0;
    for (; *sur && n + 1 < sizeof(name); sur++)
        if ((*sur >= 'a' && *sur <= 'z') || (*sur >= 'A' && *sur <= 'Z'))
            name[n++] = (char)(*sur | 0x20);
    name[n] = '\0';
    unsigned long round = c / au_gen_nsurnames; /* past one per surname, a branch number */
    char num[24] = "";
    if (round >= nk)
        snprintf(num, sizeof(num), "%lu", round / nk);
    snprintf(dst, cap, "%s@%s-%s%s.co.uk", company_roles[(c * 7) % nr], name,
             company_kinds[round % nk], num);
}

/* ---------------------------------------------------------------- national insurance numbers */

/* First letters a real NINO can have (no D, F, I, Q, U, V) and the second (also no O). */
static const char nino_first[] = "JKLMNPRSTWXYZABCEGH";
static const char nino_second[] = "ABCEGHJKLMNPRSTWXYZ";

/* A NINO unique to the person number: the six digits are a bijection of pid mod 10^6 and the
 * letters count the millions. */
static void make_nino(long pid, char *dst, size_t cap)
{
    unsigned long long p = (unsigned long long)pid;
    unsigned long long digits = (p * 7919ULL + 104729ULL) % 1000000ULL;
    unsigned long long block = p / 1000000ULL;
    size_t n1 = sizeof(nino_first) - 1, n2 = sizeof(nino_second) - 1;
    snprintf(dst, cap, "%c%c%06llu%c", nino_first[(block / n2) % n1], nino_second[block % n2],
             digits, "ABCD"[p % 4]);
}

void au_gen_nino(long pid, char *dst, size_t cap)
{
    make_nino(pid, dst, cap);
}

/* ------------------------------------------------------------------------ people abroad */

static unsigned pick_foreign(au_gen_rng *r)
{
    unsigned total = 0;
    for (size_t i = 0; i < au_gen_nforeign; i++)
        total += au_gen_foreign_list[i].weight;
    unsigned x = au_gen_below(r, total);
    for (size_t i = 0; i < au_gen_nforeign; i++) {
        if (x < au_gen_foreign_list[i].weight)
            return (unsigned)i;
        x -= au_gen_foreign_list[i].weight;
    }
    return 0;
}

/* The person's mobile becomes a number of country f, unique to the person. */
static void foreign_mobile(long pid, unsigned f, au_gen_phone *ph)
{
    const au_gen_foreign *fc = &au_gen_foreign_list[f];
    unsigned long long mod = 1;
    for (unsigned i = 0; i < fc->digits; i++)
        mod *= 10;
    unsigned long long v = ((unsigned long long)pid * 2654435761ULL + 977ULL) % mod;
    snprintf(ph->nsn, sizeof(ph->nsn), "%s%0*llu", fc->prefix, (int)fc->digits, v);
    ph->arealen = strcmp(fc->iso, "US") == 0 ? 3 : (unsigned)strlen(fc->prefix);
    ph->abroad = f + 1;
}

static void foreign_address(au_gen_rng *r, unsigned f, au_gen_addr *a)
{
    const au_gen_foreign *fc = &au_gen_foreign_list[f];
    static const char letters[] = "ACDEFHKNPRTVWXY";
    memset(a, 0, sizeof(*a));
    a->abroad = f + 1;
    a->town = f;
    a->street = fc->street;
    a->stype = "";
    a->house = 1 + au_gen_below(r, 120);
    size_t n = 0;
    for (const char *p = fc->pc_fmt; *p && n + 1 < sizeof(a->postcode); p++) {
        char c = *p;
        if (c == '9')
            c = (char)('0' + au_gen_below(r, 10));
        else if (c == 'A')
            c = letters[au_gen_below(r, sizeof(letters) - 1)];
        a->postcode[n++] = c;
    }
    a->postcode[n] = '\0';
}

/* ------------------------------------------------------------------------ the overlay */

/* Son named after his father: the first (and middle) name of the head, Jr and Sr. */
static void junior(const au_gen_tables *t, au_gen_rng *r, au_gen_person *head, au_gen_person *son)
{
    son->first = head->first;
    son->first_idx = head->first_idx;
    son->middle = au_gen_chance(r, 0.5) ? head->middle : son->middle;
    if (son->email[0]) { /* his own address, from his (new) name */
        const char *at = strchr(son->email, '@');
        char dom[64];
        snprintf(dom, sizeof(dom), "%s", at ? at + 1 : "gmail.com");
        au_gen_make_email(t, r, son, son->email, sizeof(son->email), dom, 0);
    }
    head->suffix = "Sr";
    son->suffix = au_gen_chance(r, 0.1) ? "III" : "Jr";
    head->tags |= AU_GEN_TAG(AU_GEN_TRAP_JR_SR);
    son->tags |= AU_GEN_TAG(AU_GEN_TRAP_JR_SR);
}

void au_gen_traps_household(const au_gen_tables *t, long h, au_gen_person *pe, int n)
{
    au_gen_rng r;
    au_gen_rng_seed(&r, t->seed, 0x600000000ULL + (uint64_t)h);
    long companies = t->people_total / 30 + 1;
    if (n == 1 && au_gen_chance(&r, 0.04)) { /* emigrated: foreign address, UK one is old */
        unsigned f = pick_foreign(&r);
        pe[0].old = pe[0].addr;
        pe[0].moved = 1;
        foreign_address(&r, f, &pe[0].addr);
        pe[0].landline.nsn[0] = '\0';
        if (au_gen_chance(&r, 0.7))
            foreign_mobile(pe[0].pid, f, &pe[0].mobile);
        pe[0].tags |= AU_GEN_TAG(AU_GEN_TRAP_ABROAD);
    }
    for (int i = 0; i < n; i++) {
        au_gen_person *p = &pe[i];
        if (n > 1)
            p->tags |= AU_GEN_TAG(AU_GEN_TRAP_HOUSEHOLD);
        if (p->twin)
            p->tags |= AU_GEN_TAG(AU_GEN_TRAP_TWIN);
        if (i > 0)
            p->head_mobile = pe[0].mobile;
        if (!p->addr.abroad && p->mobile.nsn[0] && au_gen_chance(&r, 0.01))
            foreign_mobile(p->pid, pick_foreign(&r), &p->mobile); /* an expat's old SIM */
        if (au_gen_chance(&r, 0.10)) {
            uint64_t x = (uint64_t)p->pid * 0x9E3779B97F4A7C15ULL;
            p->company = 1 + (long)((x >> 20) % (uint64_t)companies);
            p->tags |= AU_GEN_TAG(AU_GEN_TRAP_COMPANY_STAFF);
        }
        if (!p->addr.abroad && au_gen_chance(&r, 0.85))
            make_nino(p->pid, p->nid, sizeof(p->nid));
        if (au_gen_chance(&r, 0.002))
            p->suffix = "III";
    }
    /* Head and a son of the same name: only between a father and a son 15+ years younger
     * (children are born head + 22..35 but not after 2007), never twins, at most one per
     * household. */
    if (n >= 3 && !pe[0].female)
        for (int i = 2; i < n; i++)
            if (!pe[i].female && !pe[i].twin && pe[i].y - pe[0].y >= 15 && au_gen_chance(&r, 0.3)) {
                junior(t, &r, &pe[0], &pe[i]);
                break;
            }
}
