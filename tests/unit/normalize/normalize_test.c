/*
 * Unit tests for au_norm_value (src/normalize/normalize.c): the three forms per attribute kind,
 * absent values, refusals, invalid UTF-8, and allocation failure at every step of a typical
 * record (must give AU_ERR_NOMEM or AU_OK and leak nothing; the sanitizer build checks leaks).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"
#include "../../support/fault.h"

static void clear(au_value *v)
{
    au_free(v->raw);
    au_free(v->value);
    au_free(v->key);
    memset(v, 0, sizeof(*v));
}

Test(norm_value, forms_per_kind)
{
    au_norm_opts gb = {"GB", AU_DATE_DMY, 0, 0};
    static const struct {
        au_attr a;
        const char *raw, *value, *key;
    } cases[] = {
        {AU_ATTR_FIRST_NAME, "  JOS\xc3\x89 ", "Jos\xc3\xa9", "jose"},
        {AU_ATTR_LAST_NAME, "o'brien", "O'Brien", "obrien"},
        {AU_ATTR_FULL_NAME, "anne-marie van der berg", "Anne-Marie van der Berg",
         "anne marie van der berg"},
        {AU_ATTR_COMPANY, " Northwind  Outfitters Ltd. ", "Northwind Outfitters Ltd.",
         "northwind outfitters ltd"},
        {AU_ATTR_GENDER, "F", "female", "female"},
        {AU_ATTR_EMAIL, " Bob.Smith+x@GMail.com", "bob.smith+x@gmail.com", "bobsmith@gmail.com"},
        {AU_ATTR_PHONE, "020 7946 0958", "+442079460958", "+442079460958"},
        {AU_ATTR_DATE_OF_BIRTH, "23/09/1981", "1981-09-23", "1981-09-23"},
        {AU_ATTR_ADDRESS_LINE1, " 12 High  Street ", "12 High Street", "12 high st"},
        {AU_ATTR_CITY, "LONDON", "London", "london"},
        {AU_ATTR_CITY, "newcastle upon tyne", "Newcastle upon Tyne", "newcastle upon tyne"},
        {AU_ATTR_CITY, "King's LYNN", "King's Lynn", "kings lynn"},
        {AU_ATTR_ADDRESS_LINE1, "ST JOHN'S RD", "St John's Rd", "st johns rd"},
        {AU_ATTR_ADDRESS_FULL, "flat 2a, 12 high st, leeds ls1 4ap",
         "Flat 2A, 12 High St, Leeds LS1 4AP", "apt 2a 12 high st leeds ls1 4ap"},
        {AU_ATTR_COMPANY, "ACME LTD", "ACME LTD", "acme ltd"}, /* not a name: kept as given */
        {AU_ATTR_POSTCODE, "sw1a1aa", "SW1A 1AA", "SW1A1AA"},
        {AU_ATTR_COUNTRY, "United Kingdom", "GB", "GB"},
        {AU_ATTR_NATIONAL_ID, " ab 12-34 ", "ab 12-34", "AB1234"},
        {AU_ATTR_PASSPORT, "123456789", "123456789", "123456789"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        au_value v = {0};
        au_norm_why why = {{0}};
        cr_assert_eq(au_norm_value(cases[i].a, cases[i].raw, &gb, &v, &why), AU_OK, "case %zu: %s",
                     i, why.reason);
        cr_expect_str_eq(v.raw, cases[i].raw, "case %zu raw", i);
        cr_expect_str_eq(v.value, cases[i].value, "case %zu value", i);
        cr_expect_str_eq(v.key, cases[i].key, "case %zu key", i);
        cr_expect_neq(v.value, v.key, "separate allocations");
        clear(&v);
    }
}

Test(norm_value, absent_values)
{
    static const struct {
        au_attr a;
        const char *raw;
    } cases[] = {
        {AU_ATTR_FIRST_NAME, ""},    {AU_ATTR_FIRST_NAME, "   "},
        {AU_ATTR_EMAIL, " \t "},     {AU_ATTR_PHONE, "\xc2\xa0"}, /* no-break space */
        {AU_ATTR_GENDER, "unknown"}, {AU_ATTR_DATE_OF_BIRTH, ""},
        {AU_ATTR_LAST_NAME, " - "},  {AU_ATTR_COMPANY, "..."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        au_value v = {0};
        cr_assert_eq(au_norm_value(cases[i].a, cases[i].raw, NULL, &v, NULL), AU_OK, "case %zu", i);
        cr_expect_str_eq(v.raw, cases[i].raw, "case %zu: raw kept for lineage", i);
        cr_expect_null(v.value, "case %zu", i);
        cr_expect_null(v.key, "case %zu", i);
        clear(&v);
    }
    au_value v = {0};
    cr_assert_eq(au_norm_value(AU_ATTR_EMAIL, NULL, NULL, &v, NULL), AU_OK);
    cr_expect(!v.raw && !v.value && !v.key);
}

Test(norm_value, refusals_and_encoding_errors)
{
    au_norm_opts none = {"", AU_DATE_AUTO, 0, 0};
    static const struct {
        au_attr a;
        const char *raw;
        au_rc rc;
        const char *reason;
    } cases[] = {
        {AU_ATTR_EMAIL, "bob", AU_ERR_INVALID, "not an e-mail address: missing @"},
        {AU_ATTR_PHONE, "020 7946 0958", AU_ERR_INVALID,
         "national phone number without a country, write it with + or set a default country"},
        {AU_ATTR_DATE_OF_BIRTH, "03/04/1981", AU_ERR_INVALID,
         "ambiguous day/month order, set a format"},
        {AU_ATTR_COUNTRY, "Narnia", AU_ERR_INVALID, "unknown country 'Narnia'"},
        {AU_ATTR_GENDER, "yes", AU_ERR_INVALID, "unknown gender 'yes'"},
        {AU_ATTR_NATIONAL_ID, "--", AU_ERR_INVALID, "identifier has no letters or digits"},
        {AU_ATTR_FIRST_NAME, "J\xffohn", AU_ERR_ENCODING, "not valid UTF-8"},
        {AU_ATTR_EMAIL, "\xc3", AU_ERR_ENCODING, "not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        au_value v = {(char *)0x1, (char *)0x1, (char *)0x1, NULL};
        au_norm_why why = {{0}};
        cr_expect_eq(au_norm_value(cases[i].a, cases[i].raw, &none, &v, &why), cases[i].rc,
                     "case %zu", i);
        cr_expect_str_eq(why.reason, cases[i].reason, "case %zu", i);
        cr_expect(v.raw == (char *)0x1 && v.value == (char *)0x1 && v.key == (char *)0x1,
                  "case %zu: out untouched on error", i);
    }
}

Test(norm_value, long_input_does_not_crash)
{
    size_t n = 200000;
    char *s = au_malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = "ab\xc3\xa9 -.'"[i % 8];
    s[n] = '\0';
    s[n - 1] = 'x'; /* do not end inside the 2-byte é */
    for (int a = 0; a < AU_ATTR_COUNT; a++) {
        au_value v = {0};
        au_norm_why why = {{0}};
        au_rc rc = au_norm_value((au_attr)a, s, NULL, &v, &why);
        cr_expect(rc == AU_OK || rc == AU_ERR_INVALID || rc == AU_ERR_ENCODING, "attr %d: %d", a,
                  rc);
        clear(&v);
    }
    au_free(s);
}

/* A typical record, with values that take every kind's slow path at least once. */
static const struct {
    au_attr a;
    const char *raw;
} record[] = {
    {AU_ATTR_FIRST_NAME, "Jos\xc3\xa9"},
    {AU_ATTR_LAST_NAME, "o'brien"},
    {AU_ATTR_FULL_NAME, "Dr. Jos\xc3\xa9 O'Brien"},
    {AU_ATTR_COMPANY, "Northwind"},
    {AU_ATTR_GENDER, "m"},
    {AU_ATTR_EMAIL, "Jose.OBrien+shop@googlemail.com"},
    {AU_ATTR_PHONE, "020 7946 0958"},
    {AU_ATTR_DATE_OF_BIRTH, "23/09/1981"},
    {AU_ATTR_ADDRESS_LINE1, "Flat 2, 12 High Street"},
    {AU_ATTR_CITY, "M\xc3\xbcnchen"},
    {AU_ATTR_POSTCODE, "sw1a1aa"},
    {AU_ATTR_COUNTRY, "\xc3\x96sterreich"},
    {AU_ATTR_NATIONAL_ID, "AB 12 34 56 C"},
};

/* One value of the record normalised under fault injection: AU_ERR_NOMEM with nothing
 * returned, or exactly the forms a run without faults gives. */
typedef struct value_run {
    size_t i;      /* which value of `record` */
    au_value want; /* its forms without faults */
} value_run;

static au_rc value_once(void *ctx)
{
    value_run *vr = ctx;
    au_norm_opts gb = {"GB", AU_DATE_DMY, 0, 0};
    au_value v = {0};
    au_rc rc = au_norm_value(record[vr->i].a, record[vr->i].raw, &gb, &v, NULL);
    if (rc) {
        cr_assert(!v.raw && !v.value && !v.key, "value %zu: nothing returned on failure", vr->i);
    } else {
        cr_assert_str_eq(v.value, vr->want.value, "value %zu", vr->i);
        cr_assert_str_eq(v.key, vr->want.key, "value %zu", vr->i);
    }
    clear(&v);
    return rc;
}

Test(norm_value, allocation_failure_leaks_nothing)
{
    au_norm_opts gb = {"GB", AU_DATE_DMY, 0, 0};
    for (size_t i = 0; i < sizeof(record) / sizeof(record[0]); i++) {
        value_run vr = {i, {0}};
        cr_assert_eq(au_norm_value(record[i].a, record[i].raw, &gb, &vr.want, NULL), AU_OK);
        cr_assert(vr.want.value && vr.want.key, "value %zu has both forms", i);
        au_fault_every_allocation(value_once, &vr);
        clear(&vr.want);
    }
}

/* Name splitting and address parsing, every allocation failing in turn: AU_ERR_NOMEM with
 * nothing returned, or the very parts a run without faults gives. */
typedef struct parts_run {
    int address;   /* 0: au_norm_name_split, 1: au_norm_address */
    char *want[3]; /* the parts without faults */
} parts_run;

static au_rc parts_of(int address, char *out[3])
{
    out[0] = out[1] = out[2] = NULL;
    return address ? au_norm_address("Flat 2, 12 High Street", &out[0], &out[1])
                   : au_norm_name_split("Dr. John Adam Smith Jr", &out[0], &out[1], &out[2]);
}

static au_rc parts_once(void *ctx)
{
    parts_run *pr = ctx;
    char *got[3];
    au_rc rc = parts_of(pr->address, got);
    for (int i = 0; i < 3; i++) {
        if (rc)
            cr_assert_null(got[i], "part %d returned on failure", i);
        else if (pr->want[i])
            cr_assert_str_eq(got[i], pr->want[i]);
        else
            cr_assert_null(got[i]);
        au_free(got[i]);
    }
    return rc;
}

Test(norm_value, other_functions_survive_allocation_failure)
{
    for (int address = 0; address < 2; address++) {
        parts_run pr = {address, {NULL, NULL, NULL}};
        cr_assert_eq(parts_of(address, pr.want), AU_OK);
        au_fault_every_allocation(parts_once, &pr);
        for (int i = 0; i < 3; i++)
            au_free(pr.want[i]);
    }
}
