/*
 * Unit tests for `aurum gen --traps` (src/gen/traps.c and the trap rendering in gen.c): the
 * trap set is deterministic and is the clean set underneath; every kind occurs in plausible
 * proportions; each record's traps.csv entry is true of the values written (a dirty date is
 * dirty, an untagged one is clean); and the person-level truth holds: Sr and Jr are different
 * people 15+ years apart at one address, colleagues share one role e-mail, a reused national id
 * belongs to another customer, people abroad live alone with a foreign address.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/gen.h"
#include "gen/gen_int.h"
#include "lib/alloc.h"
#include "lib/csv.h"

/* ---- helpers ---- */

static void gen_traps(const char *dir, long people, uint64_t seed, int traps, au_gen_stats *st)
{
    au_gen_opts o;
    au_err err;
    au_gen_opts_init(&o);
    o.out_dir = dir;
    o.people = people;
    o.seed = seed;
    o.traps = traps;
    au_err_init(&err);
    cr_assert_eq(au_gen_run(&o, st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

static void rmtree(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    cr_assert_eq(system(cmd), 0);
}

/* A CSV file as a JSON array of objects (column -> value). */
static json_t *load_csv(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0, "cannot open %s", path);
    au_csv *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_csv_open_fd(fd, NULL, &c), AU_OK);
    cr_assert_eq(au_csv_read_header(c, &err), AU_OK);
    json_t *rows = json_array();
    for (;;) {
        au_csv_row row;
        cr_assert_eq(au_csv_next_record(c, &row, &err), AU_OK, "%s: %s", name, err.message);
        if (row.eof)
            break;
        json_t *o = json_object();
        for (size_t i = 0; i < row.nfields; i++)
            json_object_set_new(o, au_csv_header_name(c, i), json_string(row.fields[i]));
        json_array_append_new(rows, o);
    }
    au_csv_free(c);
    close(fd);
    au_err_cleanup(&err);
    return rows;
}

/* "source,record_id" -> value of `col` in truth.csv or traps.csv. */
static json_t *index_by_record(const char *dir, const char *name, const char *col)
{
    json_t *rows = load_csv(dir, name), *idx = json_object(), *r;
    size_t i;
    json_array_foreach(rows, i, r)
    {
        char key[128];
        snprintf(key, sizeof(key), "%s,%s", json_string_value(json_object_get(r, "source")),
                 json_string_value(json_object_get(r, "record_id")));
        json_object_set(idx, key, json_object_get(r, col));
    }
    json_decref(rows);
    return idx;
}

static const char *field(const json_t *row, const char *col)
{
    const char *v = json_string_value(json_object_get(row, col));
    cr_assert_not_null(v, "no column %s", col);
    return v;
}

/* Whether the space-separated kind list has `kind`. */
static int has(const char *kinds, const char *kind)
{
    size_t n = strlen(kind);
    for (const char *s = kinds; (s = strstr(s, kind)); s += n)
        if ((s == kinds || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
            return 1;
    return 0;
}

static int in_list(const char *v, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(v, *list) == 0)
            return 1;
    return 0;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* A real calendar date in ISO form, year 1900 or later. */
static int clean_iso(const char *v)
{
    static const int md[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-' || !digits(v, 4))
        return 0;
    int y = atoi(v), m = atoi(v + 5), d = atoi(v + 8);
    return y > 1900 && m >= 1 && m <= 12 && d >= 1 && d <= md[m - 1];
}

/* ---- the set as a whole ---- */

Test(traps, same_seed_same_bytes_and_the_clean_set_underneath)
{
    char a[] = "/tmp/aurum-traps-a-XXXXXX", b[] = "/tmp/aurum-traps-b-XXXXXX",
         c[] = "/tmp/aurum-traps-c-XXXXXX";
    cr_assert(mkdtemp(a) && mkdtemp(b) && mkdtemp(c));
    au_gen_stats sa, sb, sc;
    gen_traps(a, 3000, 9, 1, &sa);
    gen_traps(b, 3000, 9, 1, &sb);
    gen_traps(c, 3000, 9, 0, &sc);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s' >/dev/null", a, b);
    cr_assert_eq(system(cmd), 0, "same seed, same bytes");
    cr_assert_eq(sa.files, sc.files + 1, "traps.csv besides the clean set's files");
    snprintf(cmd, sizeof(cmd), "%s/traps.csv", c);
    cr_assert_neq(access(cmd, F_OK), 0, "no traps.csv without --traps");
    /* The same people in the same systems: (source, person) of the first accounts agree. */
    json_t *ta = load_csv(a, "truth.csv"), *tc = load_csv(c, "truth.csv");
    json_t *seen_a = json_object(), *seen_c = json_object(), *r;
    size_t i;
    json_array_foreach(ta, i, r)
    {
        char k[64];
        snprintf(k, sizeof(k), "%s,%s", field(r, "source"), field(r, "person_id"));
        json_object_set_new(seen_a, k, json_true());
    }
    json_array_foreach(tc, i, r)
    {
        char k[64];
        snprintf(k, sizeof(k), "%s,%s", field(r, "source"), field(r, "person_id"));
        json_object_set_new(seen_c, k, json_true());
    }
    cr_assert(json_equal(seen_a, seen_c), "every person is in the same systems");
    /* The trap columns exist only with --traps, and the mapping maps them. */
    json_t *crm = load_csv(a, "crm.csv"), *crm_c = load_csv(c, "crm.csv");
    cr_assert_not_null(json_object_get(json_array_get(crm, 0), "ni_number"));
    cr_assert_not_null(json_object_get(json_array_get(crm, 0), "country"));
    cr_assert_null(json_object_get(json_array_get(crm_c, 0), "ni_number"));
    FILE *f;
    char path[512], yaml[8192];
    snprintf(path, sizeof(path), "%s/northwind.yaml", a);
    cr_assert_not_null(f = fopen(path, "r"));
    yaml[fread(yaml, 1, sizeof(yaml) - 1, f)] = '\0';
    fclose(f);
    cr_assert(strstr(yaml, "      national_id: ni_number\n") &&
              strstr(yaml, "      country: country\n"));
    json_decref(crm);
    json_decref(crm_c);
    json_decref(seen_a);
    json_decref(seen_c);
    json_decref(ta);
    json_decref(tc);
    rmtree(a);
    rmtree(b);
    rmtree(c);
}

Test(traps, every_kind_occurs_in_plausible_proportions)
{
    char d[] = "/tmp/aurum-traps-p-XXXXXX";
    cr_assert(mkdtemp(d));
    au_gen_stats st;
    gen_traps(d, 20000, 3, 1, &st);
    double n = (double)st.total_rows;
    for (int k = 0; k < AU_GEN_NTRAPS; k++) {
        const char *name = au_gen_trap_name((au_gen_trap)k);
        cr_assert_gt(st.traps[k], 0, "%s occurs", name);
        if (k != AU_GEN_TRAP_HOUSEHOLD && k != AU_GEN_TRAP_COUNTRY_ALIAS)
            cr_assert_lt(st.traps[k] / n, 0.12, "%s is not in every record: %ld", name,
                         st.traps[k]);
    }
    /* rare kinds stay rare, common ones common: real-world proportions, not one per file */
    cr_assert_lt(st.traps[AU_GEN_TRAP_ID_REUSED] / n, 0.005);
    cr_assert_gt(st.traps[AU_GEN_TRAP_ID_REUSED], 20);
    cr_assert_gt(st.traps[AU_GEN_TRAP_DOB_2DIGIT_YEAR] / n, 0.005);
    cr_assert_lt(st.traps[AU_GEN_TRAP_COUNTRY_ALIAS] / n, 0.30);
    cr_assert(st.trap_rows > n * 0.2 && st.trap_rows < n * 0.5, "dirty records: %ld of %.0f",
              st.trap_rows, n);
    json_t *truth = load_csv(d, "truth.csv"), *traps = load_csv(d, "traps.csv");
    cr_assert_eq(json_array_size(traps), json_array_size(truth), "one traps row per record");
    for (size_t i = 0; i < json_array_size(truth); i += 97) {
        json_t *t = json_array_get(truth, i), *p = json_array_get(traps, i);
        cr_assert_str_eq(field(t, "source"), field(p, "source"));
        cr_assert_str_eq(field(t, "record_id"), field(p, "record_id"));
    }
    json_decref(truth);
    json_decref(traps);
    rmtree(d);
}

/* ---- each record's traps are true of its values ---- */

static const char *const placeholder_emails[] = {"test@test.com",
                                                 "noemail@noemail.com",
                                                 "noemail@northwind.co.uk",
                                                 "none@none.com",
                                                 "no@email.com",
                                                 "na@na.com",
                                                 "noemail@gmail.com",
                                                 "customer@northwind.co.uk",
                                                 NULL};
static const char *const placeholder_ids[] = {"000-00-0000", "123456789", "AA000000A", "QQ123456C",
                                              "000000000",   "999999999", NULL};
static const char *const proper_countries[] = {"United Kingdom",
                                               "GB",
                                               "Germany",
                                               "DE",
                                               "United States",
                                               "Ireland",
                                               "IE",
                                               "France",
                                               "FR",
                                               "Netherlands",
                                               "NL",
                                               "Liechtenstein",
                                               "Spain",
                                               "ES",
                                               NULL};
static const char *const titles[] = {"Mr",   "Mrs", "Ms",  "Miss", "Dr",
                                     "Prof", "Rev", "Sir", "Lady", NULL};
static const char *const suffixes[] = {"Jr",  "Jr.",    "Junior", "JR",  "Sr",
                                       "Sr.", "Senior", "SR",     "III", NULL};

static long person_of(const json_t *truth, const char *source, const char *id)
{
    char key[128];
    snprintf(key, sizeof(key), "%s,%s", source, id);
    const char *p = json_string_value(json_object_get(truth, key));
    cr_assert_not_null(p, "%s is in the truth", key);
    return strtol(p + 1, NULL, 10) - 1; /* "P00000001" is pid 0 */
}

static void check_crm(const json_t *row, const char *kinds, long pid)
{
    const char *dob = field(row, "dob"), *first = field(row, "first_name");
    const char *last = field(row, "last_name"), *nid = field(row, "ni_number");
    const char *country = field(row, "country");
    if (has(kinds, "dob_partial"))
        cr_assert(strlen(dob) == 4 || strlen(dob) == 7, "partial %s", dob);
    else if (has(kinds, "dob_impossible"))
        cr_assert(atoi(dob + 5) > 12 || atoi(dob + 8) > 31, "impossible %s", dob);
    else if (has(kinds, "dob_before_1900"))
        cr_assert_lt(atoi(dob), 1900, "%s", dob);
    else if (has(kinds, "dob_placeholder"))
        cr_assert_str_eq(dob, "1900-01-01");
    else if (*dob)
        cr_assert(clean_iso(dob), "untagged dob %s is a clean date", dob);
    char own[16], compact[16];
    au_gen_nino(pid, own, sizeof(own));
    size_t n = 0;
    for (const char *s = nid; *s && n + 1 < sizeof(compact); s++)
        if (*s != ' ')
            compact[n++] = *s;
    compact[n] = '\0';
    if (has(kinds, "id_placeholder"))
        cr_assert(in_list(nid, placeholder_ids), "placeholder id %s", nid);
    else if (has(kinds, "id_reused"))
        cr_assert(strcmp(compact, own) != 0 && strlen(compact) == 9, "%s is not %s", nid, own);
    else if (*nid)
        cr_assert_str_eq(compact, own, "an untagged id is the person's own");
    if (has(kinds, "country_alias"))
        cr_assert(*country && !in_list(country, proper_countries), "alias %s", country);
    else if (*country)
        cr_assert(in_list(country, proper_countries), "untagged country %s", country);
    if (has(kinds, "name_title")) {
        char word[16];
        snprintf(word, sizeof(word), "%.*s", (int)strcspn(first, " "), first);
        cr_assert(in_list(word, titles), "title in '%s'", first);
    }
    if (has(kinds, "name_suffix")) {
        const char *sp = strrchr(last, ' ');
        cr_assert(sp && in_list(sp + 1, suffixes), "suffix in '%s'", last);
    }
}

static void check_email(const char *email, const char *kinds)
{
    int display = strchr(email, '<') != NULL;
    cr_assert_eq(display, has(kinds, "email_display_name"), "'%s' vs [%s]", email, kinds);
    const char *addr = display ? strchr(email, '<') + 1 : email;
    char bare[128];
    snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(addr, ">"), addr);
    for (char *c = bare; *c; c++) /* systems write some e-mails capitalised or upper case */
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    if (has(kinds, "email_placeholder"))
        cr_assert(in_list(bare, placeholder_emails), "placeholder %s", bare);
    if (has(kinds, "email_role"))
        cr_assert(strstr(bare, ".co.uk") && strchr(bare, '@'), "role %s", bare);
}

static void check_phone(const char *ph, const char *kinds)
{
    int intl = ph[0] == '+' || strncmp(ph, "00", 2) == 0;
    int gb = strncmp(ph, "+44", 3) == 0 || strncmp(ph, "0044", 4) == 0;
    if (has(kinds, "phone_foreign"))
        cr_assert(intl && !gb, "foreign international %s", ph);
    if (has(kinds, "phone_foreign_national") && !has(kinds, "phone_foreign"))
        cr_assert(!intl, "foreign national %s", ph);
    if (!has(kinds, "phone_foreign") && intl)
        cr_assert(gb, "an untagged international number is British: %s", ph);
}

Test(traps, each_record_carries_what_its_traps_say)
{
    char d[] = "/tmp/aurum-traps-v-XXXXXX";
    cr_assert(mkdtemp(d));
    au_gen_stats st;
    gen_traps(d, 6000, 11, 1, &st);
    json_t *truth = index_by_record(d, "truth.csv", "person_id");
    json_t *traps = index_by_record(d, "traps.csv", "traps");
    static const struct {
        const char *sys, *id, *email, *phone, *dob;
        char style;
    } sys[] = {{"crm", "customer_id", "email", "phone", "dob", 'I'},
               {"webshop", "account_id", "email", "phone", NULL, 0},
               {"pos", "loyalty_card", "email", "mobile", "birth_date", 'M'},
               {"billing", "account_no", "email", "tel", "date_of_birth", 'D'},
               {"collections", "debtor_ref", NULL, "phone", "dob", 'Y'},
               {"support", "contact_id", "email", "phone", NULL, 0}};
    long checked = 0, role_shared = 0;
    json_t *role_people = json_object(); /* role address -> {pid: true} */
    for (size_t s = 0; s < sizeof(sys) / sizeof(sys[0]); s++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.csv", sys[s].sys);
        json_t *rows = load_csv(d, name), *row;
        size_t i;
        json_array_foreach(rows, i, row)
        {
            const char *id = field(row, sys[s].id);
            long pid = person_of(truth, sys[s].sys, id);
            char key[128];
            snprintf(key, sizeof(key), "%s,%s", sys[s].sys, id);
            const char *kinds = json_string_value(json_object_get(traps, key));
            cr_assert_not_null(kinds, "%s has a traps row", key);
            if (s == 0)
                check_crm(row, kinds, pid);
            if (sys[s].email && *field(row, sys[s].email))
                check_email(field(row, sys[s].email), kinds);
            if (sys[s].email && has(kinds, "email_role")) {
                const char *e = field(row, sys[s].email);
                json_t *who = json_object_get(role_people, e);
                if (!who)
                    json_object_set_new(role_people, e, who = json_object());
                json_object_set_new(who, json_string_value(json_object_get(truth, key)),
                                    json_true());
            }
            if (*field(row, sys[s].phone))
                check_phone(field(row, sys[s].phone), kinds);
            if (sys[s].style == 'D' || sys[s].style == 'M') {
                const char *dob = field(row, sys[s].dob);
                int two = strlen(dob) == 8 && dob[2] == '/' && dob[5] == '/';
                cr_assert_eq(two, has(kinds, "dob_2digit_year"), "%s [%s]", dob, kinds);
            }
            checked++;
        }
        json_decref(rows);
    }
    cr_assert_eq(checked, st.total_rows);
    const char *addr;
    json_t *who;
    json_object_foreach(role_people, addr, who) role_shared += json_object_size(who) > 1;
    cr_assert_gt(role_shared, 10, "colleagues share a role e-mail (%ld addresses)", role_shared);
    json_decref(role_people);
    json_decref(truth);
    json_decref(traps);
    rmtree(d);
}

/* ---- the people behind the traps ---- */

Test(traps, households_hold_the_person_level_truth)
{
    au_gen_tables t;
    cr_assert_eq(au_gen_tables_init(&t, 5, 200000), 0);
    t.traps = 1;
    au_gen_person hh[AU_GEN_MAX_HOUSEHOLD];
    long pid = 0, jr = 0, abroad = 0, foreign = 0, staff = 0;
    json_t *ninos = json_object(), *companies = json_object();
    for (long h = 0; pid < 200000; h++) {
        int n = au_gen_household(&t, h, pid, hh, AU_GEN_MAX_HOUSEHOLD);
        int sr = -1, son = -1;
        for (int i = 0; i < n; i++) {
            const au_gen_person *p = &hh[i];
            if (p->tags & AU_GEN_TAG(AU_GEN_TRAP_JR_SR)) {
                if (i == 0)
                    sr = i;
                else
                    son = i;
            }
            if (p->nid[0]) {
                cr_assert_null(json_object_get(ninos, p->nid), "NI %s is unique", p->nid);
                json_object_set_new(ninos, p->nid, json_true());
            }
            if (p->addr.abroad) {
                abroad++;
                cr_assert_eq(n, 1, "people abroad live alone");
                cr_assert(p->moved && !p->old.abroad, "their UK address is the old one");
                cr_assert_eq(p->landline.nsn[0], '\0');
            }
            foreign += p->mobile.abroad != 0;
            if (p->company) {
                char k[24];
                snprintf(k, sizeof(k), "%ld", p->company);
                json_t *c = json_object_get(companies, k);
                json_object_set_new(companies, k, json_integer(c ? json_integer_value(c) + 1 : 1));
                staff++;
            }
            if (i > 0)
                cr_assert_str_eq(p->head_mobile.nsn, hh[0].mobile.nsn);
        }
        if (sr >= 0 || son >= 0) {
            cr_assert(sr == 0 && son > 0, "Sr is the head and Jr a child");
            const au_gen_person *a = &hh[sr], *b = &hh[son];
            cr_assert_str_eq(a->first, b->first, "one first name");
            cr_assert_str_eq(a->last, b->last, "one surname");
            cr_assert_neq(a->pid, b->pid, "two people");
            cr_assert_geq(b->y - a->y, 15, "15+ years apart");
            cr_assert_str_eq(a->addr.postcode, b->addr.postcode, "one address");
            cr_assert_str_eq(a->suffix, "Sr");
            cr_assert(strcmp(b->suffix, "Jr") == 0 || strcmp(b->suffix, "III") == 0);
            cr_assert(!a->female && !b->female);
            jr++;
        }
        pid += n;
    }
    long shared = 0;
    const char *k;
    json_t *v;
    json_object_foreach(companies, k, v) shared += json_integer_value(v) > 1;
    cr_assert_gt(jr, 500, "fathers and sons of one name: %ld", jr);
    cr_assert_gt(abroad, 1000);
    cr_assert_gt(foreign, abroad, "expats keep foreign mobiles too");
    cr_assert_gt(shared, (long)json_object_size(companies) / 2,
                 "most employers have several customers among their staff");
    cr_assert_gt(staff, 10000);
    json_decref(ninos);
    json_decref(companies);
    au_gen_tables_cleanup(&t);
}

Test(traps, foreign_numbers_in_their_own_forms)
{
    au_gen_pool p;
    p.used = 0;
    /* Germany (index 0) and the United States (index 1) of au_gen_foreign_list */
    au_gen_phone de = {"3012345678", 2, 1}, us = {"2125550134", 3, 2};
    cr_assert_str_eq(au_gen_foreign_list[0].iso, "DE");
    cr_assert_str_eq(au_gen_foreign_list[1].iso, "US");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &de, AU_GEN_PH_INTL_SPACED), "+49 30 12345678");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &de, AU_GEN_PH_E164), "+493012345678");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &de, AU_GEN_PH_00), "0049 30 12345678");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &de, AU_GEN_PH_NATIONAL), "030 12345678");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &us, AU_GEN_PH_PARENS), "(212) 555-0134");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &us, AU_GEN_PH_NATIONAL), "212-555-0134");
    cr_assert_str_eq(au_gen_phone_fmt(&p, &us, AU_GEN_PH_E164), "+12125550134");
    char e[96];
    au_gen_company_email(1, e, sizeof(e));
    cr_assert(strchr(e, '@') && strstr(e, ".co.uk"), "%s", e);
    char e2[96];
    au_gen_company_email(2, e2, sizeof(e2));
    cr_assert_str_neq(e, e2, "employers differ");
    cr_assert_str_eq(au_gen_trap_name(AU_GEN_TRAP_DOB_2DIGIT_YEAR), "dob_2digit_year");
    cr_assert_str_eq(au_gen_trap_name(AU_GEN_NTRAPS), "?");
}
