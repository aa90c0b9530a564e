/*
 * Unit tests for survivorship: each rule on its own with its lineage, the default configuration
 * on a realistic cluster, independence from member order, configuration errors and behaviour
 * under allocation failure.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"
#include "profile/survivorship.h"
#include "../../support/fault.h"

#define DAY 86400000LL
#define T0  1700000000000LL /* 2023-11-14T22:13:20Z */

/* A cluster under construction: records and members side by side. */
typedef struct cluster {
    au_record *recs[16];
    au_survive_member m[16];
    double trust[16][AU_ATTR_COUNT];
    size_t n;
} cluster;

static au_survive_member *add(cluster *c, const char *source, const char *id, int64_t updated,
                              double trust)
{
    au_record *r = au_record_new();
    r->source = au_strdup(source);
    r->record_id = au_strdup(id);
    c->recs[c->n] = r;
    for (int a = 0; a < AU_ATTR_COUNT; a++)
        c->trust[c->n][a] = trust;
    au_survive_member *m = &c->m[c->n];
    memset(m, 0, sizeof(*m));
    m->record = r;
    m->version = (int64_t)c->n + 1;
    m->updated_ms = updated;
    m->trust = c->trust[c->n];
    c->n++;
    return m;
}

/* Sets attribute a of the last added record; key defaults to the lower-cased value. */
static void set(cluster *c, au_attr a, const char *value, const char *key)
{
    char low[256];
    size_t i = 0;
    for (; value[i] && i < sizeof(low) - 1; i++)
        low[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ? value[i] + 32 : value[i]);
    low[i] = '\0';
    au_record_set(c->recs[c->n - 1], a, au_strdup(value), au_strdup(value),
                  au_strdup(key ? key : low));
}

static void cluster_free(cluster *c)
{
    for (size_t i = 0; i < c->n; i++)
        au_record_free(c->recs[i]);
}

static au_survive_config *config(const char *json)
{
    json_error_t je;
    json_t *j = json ? json_loads(json, 0, &je) : NULL;
    cr_assert(!json || j, "bad test JSON: %s", je.text);
    au_err e;
    au_err_init(&e);
    au_survive_config *cfg = NULL;
    cr_assert_eq(au_survive_config_parse(j, &cfg, &e), AU_OK, "%s", e.message);
    json_decref(j);
    au_err_cleanup(&e);
    return cfg;
}

static json_t *survive(cluster *c, const char *cfg_json)
{
    au_survive_config *cfg = config(cfg_json);
    json_t *p = NULL;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_survive(c->m, c->n, cfg, &p, &e), AU_OK, "%s", e.message);
    au_err_cleanup(&e);
    au_survive_config_free(cfg);
    return p;
}

static const char *attr(json_t *p, const char *name)
{
    return json_string_value(json_object_get(json_object_get(p, "attributes"), name));
}

static json_t *lin(json_t *p, const char *name)
{
    json_t *l = json_object_get(json_object_get(p, "lineage"), name);
    cr_assert_not_null(l, "no lineage for %s", name);
    return l;
}

static void assert_lineage(json_t *p, const char *name, const char *source, const char *id,
                           const char *rule)
{
    json_t *l = lin(p, name);
    cr_assert_str_eq(json_string_value(json_object_get(l, "source")), source, "%s source", name);
    cr_assert_str_eq(json_string_value(json_object_get(l, "record_id")), id, "%s record", name);
    cr_assert_str_eq(json_string_value(json_object_get(l, "rule")), rule, "%s rule", name);
}

Test(survivorship, trust_picks_the_most_trusted_source_then_the_newest)
{
    cluster c = {0};
    add(&c, "webshop", "w1", T0 + 5 * DAY, 0.4);
    set(&c, AU_ATTR_FIRST_NAME, "Jonathan", NULL);
    au_survive_member *crm = add(&c, "crm", "c1", T0, 0.9);
    set(&c, AU_ATTR_FIRST_NAME, "John", NULL);
    add(&c, "billing", "b1", T0 + DAY, 0.9);
    set(&c, AU_ATTR_FIRST_NAME, "Johnny", NULL);
    json_t *p = survive(&c, "{\"first_name\":\"trust\"}");
    /* crm and billing tie on trust; billing is newer */
    cr_assert_str_eq(attr(p, "first_name"), "Johnny");
    assert_lineage(p, "first_name", "billing", "b1", "trust");
    json_decref(p);

    crm->trust = NULL; /* crm without trust array: 0.5 */
    c.trust[2][AU_ATTR_FIRST_NAME] = 0.3;
    p = survive(&c, "{\"first_name\":\"trust\"}");
    cr_assert_str_eq(attr(p, "first_name"), "John");
    json_t *l = lin(p, "first_name");
    cr_assert_eq(json_integer_value(json_object_get(l, "version")), crm->version);
    cr_assert_str_eq(json_string_value(json_object_get(l, "at")), "2023-11-14T22:13:20.000Z");
    json_decref(p);
    cluster_free(&c);
}

Test(survivorship, most_recent_picks_the_latest_update)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0 + 2 * DAY, 0.9);
    set(&c, AU_ATTR_PHONE, "+442079460958", NULL);
    add(&c, "pos", "p1", T0 + 9 * DAY, 0.1);
    set(&c, AU_ATTR_PHONE, "+447700900123", NULL);
    add(&c, "billing", "b1", T0, 0.9);
    set(&c, AU_ATTR_PHONE, "+442079460000", NULL);
    json_t *p = survive(&c, "{\"phone\":\"most_recent\"}");
    cr_assert_str_eq(attr(p, "phone"), "+447700900123");
    assert_lineage(p, "phone", "pos", "p1", "most_recent");
    cr_assert_str_eq(json_string_value(json_object_get(lin(p, "phone"), "at")),
                     "2023-11-23T22:13:20.000Z");
    json_decref(p);
    cluster_free(&c);
}

Test(survivorship, most_frequent_outvotes_a_typo_and_breaks_ties_by_trust)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0, 0.5);
    set(&c, AU_ATTR_LAST_NAME, "Smith", NULL);
    add(&c, "webshop", "w1", T0 + 9 * DAY, 0.9);
    set(&c, AU_ATTR_LAST_NAME, "Smiht", NULL);
    add(&c, "billing", "b1", T0 + DAY, 0.5);
    set(&c, AU_ATTR_LAST_NAME, "SMITH", "smith");
    json_t *p = survive(&c, "{\"last_name\":\"most_frequent\"}");
    cr_assert_str_eq(attr(p, "last_name"), "Smith",
                     "equal keys vote together; the well-cased spelling is shown, not the newer "
                     "one in capitals (issue 9)");
    json_t *l = lin(p, "last_name");
    cr_assert_str_eq(json_string_value(json_object_get(l, "rule")), "most_frequent");
    cr_assert_eq(json_integer_value(json_object_get(l, "support")), 2);
    json_decref(p);
    /* within the winning key, the display spelling most records use is shown */
    add(&c, "pos", "p1", T0 - DAY, 0.1);
    set(&c, AU_ATTR_LAST_NAME, "Smith", NULL);
    p = survive(&c, "{\"last_name\":\"most_frequent\"}");
    cr_assert_str_eq(attr(p, "last_name"), "Smith");
    assert_lineage(p, "last_name", "crm", "c1", "most_frequent");
    cr_assert_eq(json_integer_value(json_object_get(lin(p, "last_name"), "support")), 3);
    json_decref(p);

    /* one vote each: the more trusted source wins even though it is older */
    cluster d = {0};
    add(&d, "crm", "c1", T0, 0.8);
    set(&d, AU_ATTR_FIRST_NAME, "Robert", NULL);
    add(&d, "webshop", "w1", T0 + 9 * DAY, 0.3);
    set(&d, AU_ATTR_FIRST_NAME, "Bob", NULL);
    p = survive(&d, "{\"first_name\":\"most_frequent\"}");
    cr_assert_str_eq(attr(p, "first_name"), "Robert");
    assert_lineage(p, "first_name", "crm", "c1", "most_frequent");
    json_decref(p);
    cluster_free(&c);
    cluster_free(&d);
}

/* Sets attribute a of the last added record as the pipeline would: raw, value and key from
 * au_norm_value. */
static void setn(cluster *c, au_attr a, const char *raw)
{
    au_value v = {0};
    au_norm_opts gb = {"GB", AU_DATE_AUTO, 0, 0};
    cr_assert_eq(au_norm_value(a, raw, &gb, &v, NULL), AU_OK, "%s", raw);
    au_record_set(c->recs[c->n - 1], a, v.raw, v.value, v.key);
}

/* Issue 9: "leeds" from one system must not beat "Leeds" from the others. The value is the
 * rule's (same key); the spelling shown is the best-cased one, and the lineage says where it
 * came from. Values here bypass normalisation, as values stored before it re-cased them do. */
Test(survivorship, a_well_cased_spelling_is_shown_among_equal_keys)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0, 0.9);
    set(&c, AU_ATTR_ADDRESS_LINE1, "12 High St", "12 high st");
    set(&c, AU_ATTR_CITY, "Leeds", NULL);
    set(&c, AU_ATTR_LAST_NAME, "McDonald", "mcdonald");
    set(&c, AU_ATTR_COMPANY, "Acme Ltd", NULL);
    add(&c, "webshop", "w1", T0 + 9 * DAY, 0.5);
    set(&c, AU_ATTR_ADDRESS_LINE1, "12 high st", "12 high st");
    set(&c, AU_ATTR_CITY, "leeds", NULL);
    set(&c, AU_ATTR_LAST_NAME, "MCDONALD", "mcdonald");
    set(&c, AU_ATTR_COMPANY, "ACME LTD", "acme ltd");
    json_t *p = survive(&c, "{\"last_name\":\"most_recent\",\"company\":\"most_recent\"}");
    cr_assert_str_eq(attr(p, "city"), "Leeds");
    cr_assert_str_eq(attr(p, "address_line1"), "12 High St", "the address parts move together");
    assert_lineage(p, "city", "webshop", "w1", "most_recent");
    json_t *sp = json_object_get(lin(p, "city"), "spelling_from");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "source")), "crm");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "record_id")), "c1");
    cr_assert_str_eq(attr(p, "last_name"), "McDonald");
    assert_lineage(p, "last_name", "webshop", "w1", "most_recent");
    cr_assert_str_eq(attr(p, "company"), "ACME LTD", "company is not a name: newest as given");
    cr_assert_null(json_object_get(lin(p, "company"), "spelling_from"));
    json_t *addrs = json_object_get(p, "addresses");
    cr_assert_eq(json_array_size(addrs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(addrs, 0), "city")), "Leeds");
    json_decref(p);

    /* most_frequent: two "leeds" against one "Leeds" still show "Leeds" */
    add(&c, "pos", "p1", T0 + 10 * DAY, 0.9);
    set(&c, AU_ATTR_FIRST_NAME, "anne", NULL);
    add(&c, "billing", "b1", T0 + 11 * DAY, 0.9);
    set(&c, AU_ATTR_FIRST_NAME, "anne", NULL);
    add(&c, "support", "s1", T0 - DAY, 0.1);
    set(&c, AU_ATTR_FIRST_NAME, "Anne", NULL);
    p = survive(&c, NULL);
    cr_assert_str_eq(attr(p, "first_name"), "Anne");
    cr_assert_eq(json_integer_value(json_object_get(lin(p, "first_name"), "support")), 3);
    json_decref(p);
    cluster_free(&c);
}

/* Issue 9: an address given in parts by one system and as one line by another is one entry. */
Test(survivorship, an_address_in_parts_and_in_one_line_is_one_entry)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0, 0.9);
    setn(&c, AU_ATTR_ADDRESS_LINE1, "12 High Street");
    setn(&c, AU_ATTR_CITY, "Leeds");
    setn(&c, AU_ATTR_POSTCODE, "LS1 4AP");
    setn(&c, AU_ATTR_COUNTRY, "GB");
    add(&c, "billing", "b1", T0 + DAY, 0.9);
    setn(&c, AU_ATTR_ADDRESS_FULL, "12 HIGH ST, LEEDS, LS1 4AP");
    setn(&c, AU_ATTR_POSTCODE, "ls14ap");
    add(&c, "pos", "p1", T0 - DAY, 0.5);
    setn(&c, AU_ATTR_ADDRESS_FULL, "Flat 2, 9 Park Road, York YO1 7HH");
    json_t *p = survive(&c, NULL);
    json_t *addrs = json_object_get(p, "addresses");
    cr_assert_eq(json_array_size(addrs), 2, "%s", json_dumps(addrs, 0));
    json_t *a0 = json_array_get(addrs, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a0, "full")), "12 High St, Leeds, LS1 4AP",
                     "the newest of the group is shown, re-cased by normalisation");
    cr_assert_eq(json_array_size(json_object_get(a0, "sources")), 2, "crm and billing");
    cr_assert_str_eq(attr(p, "address_full"), "12 High St, Leeds, LS1 4AP");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(addrs, 1), "full")),
                     "Flat 2, 9 Park Road, York YO1 7HH");
    json_decref(p);

    /* two countries and nothing else are two addresses */
    cluster d = {0};
    add(&d, "crm", "c1", T0, 0.9);
    setn(&d, AU_ATTR_COUNTRY, "GB");
    add(&d, "pos", "p1", T0, 0.9);
    setn(&d, AU_ATTR_COUNTRY, "FR");
    p = survive(&d, NULL);
    cr_assert_eq(json_array_size(json_object_get(p, "addresses")), 2);
    json_decref(p);
    cluster_free(&c);
    cluster_free(&d);
}

Test(survivorship, most_complete_prefers_the_more_informative_value)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0 + 9 * DAY, 0.9);
    set(&c, AU_ATTR_DATE_OF_BIRTH, "1981-09", NULL);
    add(&c, "billing", "b1", T0, 0.1);
    set(&c, AU_ATTR_DATE_OF_BIRTH, "1981-09-23", NULL);
    add(&c, "pos", "p1", T0 + DAY, 0.1);
    set(&c, AU_ATTR_DATE_OF_BIRTH, "1981-09-24", NULL);
    json_t *p = survive(&c, "{\"date_of_birth\":{\"rule\":\"most_complete\"}}");
    /* two full dates tie on completeness: the newer one */
    cr_assert_str_eq(attr(p, "date_of_birth"), "1981-09-24");
    assert_lineage(p, "date_of_birth", "pos", "p1", "most_complete");
    json_decref(p);
    cluster_free(&c);
}

Test(survivorship, source_priority_follows_the_list_and_puts_unlisted_sources_last)
{
    cluster c = {0};
    add(&c, "webshop", "w1", T0 + 9 * DAY, 1.0);
    set(&c, AU_ATTR_COMPANY, "Acme Online", NULL);
    add(&c, "billing", "b1", T0, 0.2);
    set(&c, AU_ATTR_COMPANY, "Acme Ltd", NULL);
    const char *cfg =
        "{\"company\":{\"rule\":\"source_priority\",\"sources\":[\"crm\",\"billing\"]}}";
    json_t *p = survive(&c, cfg);
    cr_assert_str_eq(attr(p, "company"), "Acme Ltd");
    assert_lineage(p, "company", "billing", "b1", "source_priority");
    cr_assert_null(json_object_get(lin(p, "company"), "unlisted_source"));
    json_decref(p);

    add(&c, "crm", "c1", T0 - DAY, 0.1);
    set(&c, AU_ATTR_COMPANY, "ACME Limited", NULL);
    p = survive(&c, cfg);
    cr_assert_str_eq(attr(p, "company"), "ACME Limited");
    json_decref(p);

    cluster d = {0};
    add(&d, "webshop", "w1", T0, 0.9);
    set(&d, AU_ATTR_COMPANY, "Acme Online", NULL);
    p = survive(&d, cfg);
    cr_assert_str_eq(attr(p, "company"), "Acme Online");
    cr_assert(json_is_true(json_object_get(lin(p, "company"), "unlisted_source")));
    json_decref(p);
    cluster_free(&c);
    cluster_free(&d);
}

Test(survivorship, fixed_source_wins_when_present_and_falls_back_otherwise)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0, 0.1);
    set(&c, AU_ATTR_EMAIL, "old@example.com", NULL);
    add(&c, "crm", "c2", T0 + DAY, 0.1);
    set(&c, AU_ATTR_EMAIL, "newer@example.com", NULL);
    add(&c, "webshop", "w1", T0 + 9 * DAY, 0.9);
    set(&c, AU_ATTR_EMAIL, "shop@example.com", NULL);
    json_t *p = survive(&c, "{\"email\":\"fixed_source: crm\"}");
    cr_assert_str_eq(attr(p, "email"), "newer@example.com", "latest record of the source");
    assert_lineage(p, "email", "crm", "c2", "fixed_source");
    json_decref(p);

    p = survive(&c, "{\"email\":{\"rule\":\"fixed_source\",\"source\":\"support\","
                    "\"fallback\":\"most_recent\"}}");
    cr_assert_str_eq(attr(p, "email"), "shop@example.com");
    assert_lineage(p, "email", "webshop", "w1", "most_recent");
    cr_assert_str_eq(json_string_value(json_object_get(lin(p, "email"), "fallback_from")),
                     "fixed_source");
    json_decref(p);
    cluster_free(&c);
}

static json_t *find_by_value(json_t *list, const char *value)
{
    size_t i;
    json_t *it;
    json_array_foreach(
        list, i, it) if (!strcmp(json_string_value(json_object_get(it, "value")), value)) return it;
    return NULL;
}

static int has_source(json_t *item, const char *source, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(item, "sources"), i, s)
    {
        if (!strcmp(json_string_value(json_object_get(s, "source")), source) &&
            !strcmp(json_string_value(json_object_get(s, "record_id")), id))
            return 1;
    }
    return 0;
}

/* Northwind's Robert Smith in four systems: the web shop has a typo in the first name but the
 * newest address (he moved), e-mails differ in case, pos has only a phone. */
static void northwind(cluster *c)
{
    add(c, "crm", "CRM-1001", T0, 0.9);
    set(c, AU_ATTR_FIRST_NAME, "Robert", NULL);
    set(c, AU_ATTR_LAST_NAME, "Smith", NULL);
    set(c, AU_ATTR_DATE_OF_BIRTH, "1981-09-23", NULL);
    set(c, AU_ATTR_EMAIL, "robert.smith@example.com", NULL);
    set(c, AU_ATTR_ADDRESS_LINE1, "12 Old Street", NULL);
    set(c, AU_ATTR_CITY, "London", NULL);
    set(c, AU_ATTR_POSTCODE, "EC1V 9HL", "ec1v9hl");
    set(c, AU_ATTR_COUNTRY, "GB", NULL);
    set(c, AU_ATTR_NATIONAL_ID, "QQ123456C", NULL);
    add(c, "webshop", "WS-77", T0 + 30 * DAY, 0.6);
    set(c, AU_ATTR_FIRST_NAME, "Rboert", NULL);
    set(c, AU_ATTR_LAST_NAME, "Smith", NULL);
    set(c, AU_ATTR_EMAIL, "Robert.Smith@Example.com", "robert.smith@example.com");
    set(c, AU_ATTR_ADDRESS_LINE1, "4 New Road", NULL);
    set(c, AU_ATTR_CITY, "Leeds", NULL);
    set(c, AU_ATTR_COUNTRY, "GB", NULL);
    add(c, "billing", "B-9", T0 + 10 * DAY, 0.8);
    set(c, AU_ATTR_FIRST_NAME, "Robert", NULL);
    set(c, AU_ATTR_LAST_NAME, "Smith", NULL);
    set(c, AU_ATTR_DATE_OF_BIRTH, "1981-09-23", NULL);
    set(c, AU_ATTR_EMAIL, "bob@work.example", NULL);
    set(c, AU_ATTR_ADDRESS_LINE1, "12 Old St", "12 old street");
    set(c, AU_ATTR_CITY, "London", NULL);
    set(c, AU_ATTR_POSTCODE, "EC1V 9HL", "ec1v9hl");
    set(c, AU_ATTR_COUNTRY, "GB", NULL);
    set(c, AU_ATTR_NATIONAL_ID, "QQ123456D", NULL);
    add(c, "pos", "P-3", T0 + 20 * DAY, 0.3);
    set(c, AU_ATTR_PHONE, "+442079460958", NULL);
    set(c, AU_ATTR_FIRST_NAME, "Bob", NULL);
}

Test(survivorship, default_config_on_a_realistic_cluster)
{
    cluster c = {0};
    northwind(&c);
    c.trust[2][AU_ATTR_NATIONAL_ID] = 0.95; /* billing checks ids */
    json_t *p = survive(&c, NULL);

    cr_assert_str_eq(attr(p, "first_name"), "Robert", "the typo'd record is outvoted");
    assert_lineage(p, "first_name", "crm", "CRM-1001", "most_frequent"); /* most trusted */
    cr_assert_str_eq(attr(p, "last_name"), "Smith");
    cr_assert_str_eq(attr(p, "date_of_birth"), "1981-09-23");
    cr_assert_str_eq(attr(p, "national_id"), "QQ123456D");
    assert_lineage(p, "national_id", "billing", "B-9", "trust");

    /* he moved: the newest address wins, as a whole (no postcode borrowed from the old one) */
    cr_assert_str_eq(attr(p, "address_line1"), "4 New Road");
    cr_assert_str_eq(attr(p, "city"), "Leeds");
    cr_assert_null(attr(p, "postcode"), "postcode of the old address must not be mixed in");
    assert_lineage(p, "city", "webshop", "WS-77", "most_recent");

    cr_assert_str_eq(attr(p, "email"), "Robert.Smith@Example.com", "most recent e-mail");
    json_t *emails = json_object_get(p, "emails");
    cr_assert_eq(json_array_size(emails), 2, "distinct by key: %s",
                 json_dumps(emails, JSON_COMPACT));
    json_t *rs = find_by_value(emails, "Robert.Smith@Example.com");
    cr_assert_not_null(rs);
    cr_assert(has_source(rs, "crm", "CRM-1001") && has_source(rs, "webshop", "WS-77"));
    cr_assert_eq(json_array_size(json_object_get(rs, "sources")), 2);
    json_t *bob = find_by_value(emails, "bob@work.example");
    cr_assert(bob && has_source(bob, "billing", "B-9"));
    cr_assert_eq(json_array_get(emails, 0), rs, "newest first");

    json_t *phones = json_object_get(p, "phones");
    cr_assert_eq(json_array_size(phones), 1);
    cr_assert(has_source(json_array_get(phones, 0), "pos", "P-3"));

    json_t *addrs = json_object_get(p, "addresses");
    cr_assert_eq(json_array_size(addrs), 2, "12 Old Street = 12 Old St by key: %s",
                 json_dumps(addrs, JSON_COMPACT));
    json_t *a0 = json_array_get(addrs, 0), *a1 = json_array_get(addrs, 1);
    cr_assert_str_eq(json_string_value(json_object_get(a0, "line1")), "4 New Road");
    cr_assert_str_eq(json_string_value(json_object_get(a1, "postcode")), "EC1V 9HL");
    cr_assert(has_source(a1, "crm", "CRM-1001") && has_source(a1, "billing", "B-9"));
    cr_assert_str_eq(json_string_value(json_object_get(a1, "line1")), "12 Old St",
                     "the newest spelling of the old address is shown");

    cr_assert_eq(json_array_size(json_object_get(p, "sources")), 4);
    json_decref(p);
    cluster_free(&c);
}

Test(survivorship, result_does_not_depend_on_member_order)
{
    cluster c = {0};
    northwind(&c);
    /* ties everywhere: equal trust and equal times, so only the canonical order decides */
    add(&c, "support", "S-1", T0 + 30 * DAY, 0.6);
    set(&c, AU_ATTR_FIRST_NAME, "Bob", NULL);
    set(&c, AU_ATTR_ADDRESS_LINE1, "4 New Rd", "4 new road");
    set(&c, AU_ATTR_CITY, "Leeds", NULL);
    set(&c, AU_ATTR_COUNTRY, "GB", NULL);
    set(&c, AU_ATTR_EMAIL, "bob@home.example", NULL);
    c.recs[4]->custom = json_pack("{s:s}", "plan", "gold");
    c.recs[0]->custom = json_pack("{s:s}", "plan", "silver");
    const char *cfg = "{\"*\":\"most_frequent\"}";
    json_t *ref = survive(&c, cfg);
    char *want = json_dumps(ref, JSON_SORT_KEYS | JSON_COMPACT);
    unsigned seed = 42;
    for (int round = 0; round < 50; round++) {
        cluster s = c;
        for (size_t i = s.n - 1; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            size_t j = (seed >> 16) % (i + 1);
            au_survive_member t = s.m[i];
            s.m[i] = s.m[j];
            s.m[j] = t;
        }
        json_t *p = survive(&s, cfg);
        char *got = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
        cr_assert_str_eq(got, want, "round %d", round);
        free(got);
        json_decref(p);
    }
    free(want);
    json_decref(ref);
    cluster_free(&c);
}

Test(survivorship, custom_attributes_survive_with_lineage)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0, 0.5);
    c.recs[0]->custom = json_pack("{s:s,s:i}", "plan", "silver", "visits", 3);
    add(&c, "webshop", "w1", T0 + DAY, 0.5);
    c.recs[1]->custom = json_pack("{s:s,s:n}", "plan", "gold", "visits");
    json_t *p = survive(&c, NULL);
    json_t *custom = json_object_get(p, "custom");
    cr_assert_str_eq(json_string_value(json_object_get(custom, "plan")), "gold");
    cr_assert_eq(json_integer_value(json_object_get(custom, "visits")), 3, "null is no value");
    assert_lineage(p, "custom.plan", "webshop", "w1", "most_recent");
    assert_lineage(p, "custom.visits", "crm", "c1", "most_recent");
    json_decref(p);
    cluster_free(&c);
}

Test(survivorship, empty_cluster_gives_an_empty_profile)
{
    json_t *p = NULL;
    cr_assert_eq(au_survive(NULL, 0, NULL, &p, NULL), AU_OK);
    cr_assert_eq(json_object_size(json_object_get(p, "attributes")), 0);
    cr_assert_eq(json_array_size(json_object_get(p, "emails")), 0);
    cr_assert_eq(json_array_size(json_object_get(p, "sources")), 0);
    json_decref(p);
}

static void assert_config_error(const char *json, const char *needle)
{
    json_error_t je;
    json_t *j = json_loads(json, JSON_DECODE_ANY, &je);
    cr_assert_not_null(j, "bad test JSON %s", json);
    au_err e;
    au_err_init(&e);
    au_survive_config *cfg = (au_survive_config *)0x1;
    cr_assert_eq(au_survive_config_parse(j, &cfg, &e), AU_ERR_INVALID, "accepted %s", json);
    cr_assert_eq(cfg, (au_survive_config *)0x1, "output untouched on error");
    cr_assert(strstr(e.message, needle), "%s: message \"%s\" lacks \"%s\"", json, e.message,
              needle);
    au_err_cleanup(&e);
    json_decref(j);
}

Test(survivorship, configuration_errors_name_the_key_and_the_problem)
{
    assert_config_error("{\"citty\":\"trust\"}", "unknown attribute \"citty\"");
    assert_config_error("{\"first_name\":\"most_frequnet\"}", "unknown rule \"most_frequnet\"");
    assert_config_error("{\"first_name\":\"most_frequnet\"}", "survivorship.first_name");
    assert_config_error("{\"city\":\"trust\"}", "configure \"address\"");
    assert_config_error("{\"email\":\"source_priority\"}", "\"sources\"");
    assert_config_error("{\"email\":{\"rule\":\"source_priority\",\"sources\":[]}}",
                        "non-empty list");
    assert_config_error("{\"email\":{\"rule\":\"source_priority\",\"sources\":[\"crm\",3]}}",
                        "source name");
    assert_config_error("{\"email\":\"fixed_source:\"}", "needs a source name");
    assert_config_error("{\"email\":{\"rule\":\"fixed_source\"}}", "needs \"source\"");
    assert_config_error("{\"email\":{\"rule\":\"fixed_source\",\"source\":\"crm\","
                        "\"fallback\":\"fixed_source\"}}",
                        "survivorship.email: fallback: expected one of trust, most_recent, "
                        "most_frequent, most_complete, got 'fixed_source'");
    /* a rule object's keys are declared options (src/lib/opts.h): their shared wording */
    assert_config_error("{\"email\":{\"rule\":\"trust\",\"sorces\":[\"crm\"]}}",
                        "survivorship.email: sorces: unknown key (valid keys: rule, sources, "
                        "source, fallback)");
    assert_config_error("{\"email\":{\"rule\":\"newest\"}}",
                        "survivorship.email: rule: expected one of trust, most_recent, ");
    assert_config_error("{\"email\":{\"sources\":[\"crm\"]}}",
                        "survivorship.email: rule: required");
    assert_config_error("{\"email\":{\"rule\":\"fixed_source\",\"source\":[\"crm\"]}}",
                        "survivorship.email: source: expected a string, got an array");
    assert_config_error("{\"email\":42}", "must be a rule name");
    assert_config_error("{\"*\":\"newest\"}", "survivorship.*");
    assert_config_error("[\"trust\"]", "must be an object");
}

Test(survivorship, configuration_round_trips_with_star_and_overrides)
{
    au_survive_config *cfg = config("{\"*\":\"trust\",\"first_name\":\"most_frequent\","
                                    "\"address\":{\"rule\":\"source_priority\",\"sources\":"
                                    "[\"crm\",\"billing\"]},\"email\":\"fixed_source:crm\"}");
    json_t *j = au_survive_config_to_json(cfg);
    json_t *rule = json_object_get(j, "last_name");
    cr_assert_str_eq(json_string_value(json_object_get(rule, "rule")), "trust", "from *");
    rule = json_object_get(j, "first_name");
    cr_assert_str_eq(json_string_value(json_object_get(rule, "rule")), "most_frequent");
    rule = json_object_get(j, "address");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(rule, "sources"), 1)),
                     "billing");
    rule = json_object_get(j, "email");
    cr_assert_str_eq(json_string_value(json_object_get(rule, "source")), "crm");
    cr_assert_str_eq(json_string_value(json_object_get(rule, "fallback")), "trust");
    cr_assert_null(json_object_get(j, "city"), "address parts are configured as \"address\"");
    /* what to_json says parses back to the same configuration */
    au_survive_config *again = NULL;
    cr_assert_eq(au_survive_config_parse(j, &again, NULL), AU_OK);
    json_t *j2 = au_survive_config_to_json(again);
    cr_assert(json_equal(j, j2));
    json_decref(j);
    json_decref(j2);
    au_survive_config_free(cfg);
    au_survive_config_free(again);

    au_survive_config *dflt = config(NULL);
    j = au_survive_config_to_json(dflt);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "address"), "rule")),
                     "most_recent");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "passport"), "rule")),
                     "trust");
    json_decref(j);
    au_survive_config_free(dflt);
}

/* One profile build under fault injection: on success the profile must be the reference,
 * whole (a failed allocation swallowed on the way would leave a piece missing). */
typedef struct build_run {
    cluster *c;
    au_survive_config *cfg;
    json_t *want; /* the profile built without faults */
} build_run;

static au_rc build_once(void *ctx)
{
    build_run *b = ctx;
    json_t *p = NULL;
    au_rc rc = au_survive(b->c->m, b->c->n, b->cfg, &p, NULL);
    if (!rc)
        cr_assert(json_equal(p, b->want), "the profile built is the reference, whole");
    else
        cr_assert_null(p, "nothing is returned on failure");
    json_decref(p);
    return rc;
}

Test(survivorship, allocation_failure_reports_nomem_and_leaks_nothing)
{
    cluster c = {0};
    northwind(&c);
    c.recs[1]->custom = json_pack("{s:s}", "plan", "gold");
    au_survive_config *cfg = config("{\"email\":\"fixed_source:crm\"}");
    build_run b = {&c, cfg, NULL};
    cr_assert_eq(au_survive(c.m, c.n, cfg, &b.want, NULL), AU_OK);
    cr_assert_str_eq(attr(b.want, "first_name"), "Robert");
    cr_assert_not_null(json_object_get(b.want, "lineage"));
    au_fault_every_allocation(build_once, &b);
    json_decref(b.want);
    au_survive_config_free(cfg);
    cluster_free(&c);
}

Test(survivorship, member_without_record_is_refused_with_its_index)
{
    cluster c = {0};
    add(&c, "crm", "c1", T0, 0.5);
    add(&c, "crm", "c2", T0, 0.5);
    c.m[1].record = NULL;
    c.m[1].record_id = "c2";
    json_t *p = NULL;
    au_err e;
    au_err_init(&e);
    cr_assert_eq(au_survive(c.m, c.n, NULL, &p, &e), AU_ERR_INVALID);
    cr_assert_null(p);
    cr_assert_eq(e.ndetails, 1);
    cr_assert_eq(e.details[0].index, 1);
    cr_assert_str_eq(e.details[0].record_id, "c2");
    au_err_cleanup(&e);
    c.m[1].record = c.recs[1];
    cluster_free(&c);
}

typedef struct parse_run {
    json_t *text; /* the configuration section */
    json_t *want; /* its parse, rendered back, without faults */
} parse_run;

static au_rc parse_once(void *ctx)
{
    parse_run *pr = ctx;
    au_survive_config *cfg = NULL;
    au_rc rc = au_survive_config_parse(pr->text, &cfg, NULL);
    if (!rc) {
        json_t *got = au_survive_config_to_json(cfg);
        cr_assert(json_equal(got, pr->want), "every rule was kept");
        json_decref(got);
    }
    au_survive_config_free(cfg);
    return rc;
}

Test(survivorship, config_parse_under_allocation_failure)
{
    parse_run pr = {json_loads("{\"*\":\"trust\",\"address\":{\"rule\":\"source_priority\","
                               "\"sources\":[\"crm\",\"billing\",\"pos\"]},\"email\":"
                               "\"fixed_source:crm\"}",
                               0, NULL),
                    NULL};
    au_survive_config *cfg = NULL;
    cr_assert_eq(au_survive_config_parse(pr.text, &cfg, NULL), AU_OK);
    pr.want = au_survive_config_to_json(cfg);
    au_survive_config_free(cfg);
    au_fault_every_allocation(parse_once, &pr);
    json_decref(pr.want);
    json_decref(pr.text);
}
