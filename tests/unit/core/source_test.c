/*
 * Unit tests for source definitions and mapping: validation errors name the key, a FEBRL row
 * maps to the expected normalised values, joins skip empty fields, names are derived both ways,
 * refused values become per-field details, unmapped fields become custom attributes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/source.h"
#include "lib/alloc.h"
#include "../../support/fault.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "bad JSON in test: %s", e.text);
    return j;
}

static au_source *source(const char *def_text)
{
    json_t *def = js(def_text);
    au_source *s = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_source_new("t", def, &s, &err), AU_OK, "%s", err.message);
    json_decref(def);
    au_err_cleanup(&err);
    return s;
}

static void expect_invalid(const char *def_text, const char *want)
{
    json_t *def = js(def_text);
    au_source *s = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_source_new("t", def, &s, &err), AU_ERR_INVALID, "accepted %s", def_text);
    cr_assert_null(s);
    cr_assert(strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
    json_decref(def);
    au_err_cleanup(&err);
}

Test(source, validation_errors_name_the_key)
{
    expect_invalid("{\"fields\":{}}", "record_id");
    expect_invalid("{\"record_id\":\"id\",\"fields\":{\"firstname\":\"fn\"}}",
                   "unknown canonical attribute 'firstname'; did you mean 'first_name'?");
    expect_invalid(
        "{\"record_id\":\"id\",\"fields\":{\"email\":{\"from\":\"m\",\"format\":\"DMY\"}}}",
        "fields.email.format");
    expect_invalid("{\"record_id\":\"id\",\"fields\":{\"date_of_birth\":{\"from\":\"d\","
                   "\"format\":\"julian\"}}}",
                   "fields.date_of_birth.format");
    expect_invalid("{\"record_id\":\"id\",\"fields\":{\"email\":[]}}", "fields.email");
    expect_invalid("{\"record_id\":\"id\",\"fields\":{\"email\":{\"form\":\"x\"}}}",
                   "fields.email.form: unknown key (valid keys: from, format, on_invalid, "
                   "two_digit_year_pivot)");
    expect_invalid("{\"record_id\":\"id\",\"fields\":{\"email\":{}}}",
                   "fields.email.from: required");
    expect_invalid("{\"record_id\":\"id\",\"trust\":{\"email\":2}}", "trust.email");
    expect_invalid("{\"record_id\":\"id\",\"trust\":{\"emial\":0.5}}", "did you mean 'email'");
    expect_invalid("{\"record_id\":\"id\",\"mapping\":{}}", "mapping: unknown key");
    expect_invalid(
        "{\"record_id\":\"id\",\"fields\":{\"email\":{\"from\":\"m\","
        "\"on_invalid\":\"drop\"}}}",
        "fields.email.on_invalid: expected one of quarantine, reject, keep_raw, got 'drop'");
    expect_invalid("{\"record_id\":\"id\",\"fields\":{\"email\":{\"from\":\"m\","
                   "\"two_digit_year_pivot\":30}}}",
                   "fields.email.two_digit_year_pivot: only date_of_birth");
    expect_invalid(
        "{\"record_id\":\"id\",\"fields\":{\"date_of_birth\":{\"from\":\"d\","
        "\"two_digit_year_pivot\":100}}}",
        "fields.date_of_birth.two_digit_year_pivot: expected an integer from 1 to 99, got "
        "'100'");
    /* the source's scalar keys are declared options (src/lib/opts.h): their shared wording */
    expect_invalid("{\"record_id\":\"id\",\"two_digit_year_pivot\":\"30\"}",
                   "two_digit_year_pivot: expected an integer from 1 to 99, got the string '30'");
    expect_invalid("{\"record_id\":\"id\",\"two_digit_year_pivot\":100}",
                   "two_digit_year_pivot: expected an integer from 1 to 99, got '100'");
    expect_invalid("{\"record_id\":\"id\",\"on_invalid\":\"drop\"}",
                   "on_invalid: expected one of quarantine, reject, keep_raw, got 'drop'");
    expect_invalid("{\"record_id\":{\"a\":1}}", "record_id: expected a string, got an object");
    expect_invalid("{\"fields\":{}}", "record_id: required (source field holding the record id");
    expect_invalid("{\"record_id\":\"\"}", "record_id: required, the name of the field");
    expect_invalid("{\"record_id\":\"id\",\"fields\":\"email\"}",
                   "fields: expected an object, got a string");
    expect_invalid("{\"record_id\":\"id\",\"mapping\":{}}",
                   "mapping: unknown key (valid keys: record_id, fields, default_country, country, "
                   "trust, on_invalid, two_digit_year_pivot, inbound)");
    expect_invalid("{\"record_id\":\"id\",\"country\":\"GB\",\"default_country\":\"GB\"}",
                   "give one");
    expect_invalid("{\"record_id\":\"id\",\"default_country\":\"Narnia\"}", "not a known country");
}

Test(source, trust_defaults_and_overrides)
{
    au_source *s = source("{\"record_id\":\"id\",\"trust\":{\"email\":0.9,\"*\":0.2}}");
    cr_assert_float_eq(au_source_trust(s, AU_ATTR_EMAIL), 0.9, 1e-9);
    cr_assert_float_eq(au_source_trust(s, AU_ATTR_PHONE), 0.2, 1e-9);
    cr_assert_str_eq(au_source_name(s), "t");
    cr_assert_not_null(json_object_get(au_source_definition(s), "trust"));
    au_source_free(s);
    s = source("{\"record_id\":\"id\"}");
    cr_assert_float_eq(au_source_trust(s, AU_ATTR_PHONE), 0.5, 1e-9);
    au_source_free(s);
}

/* The FEBRL mapping as shipped in tests/data/febrl.yaml, loaded through the config. */
static au_source *febrl(void)
{
    au_config *cfg = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load("tests/data/febrl.yaml", &cfg, &err), AU_OK, "%s", err.message);
    au_source *s = NULL;
    cr_assert_eq(au_source_new("febrl", json_object_get(cfg->sources, "febrl"), &s, &err), AU_OK,
                 "%s", err.message);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return s;
}

static au_record *map_ok(au_source *s, const char *doc_text)
{
    json_t *doc = js(doc_text);
    au_record *r = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_source_map(s, doc, 0, &r, &err), AU_OK, "%s", err.message);
    cr_assert_eq(err.ndetails, 0);
    json_decref(doc);
    au_err_cleanup(&err);
    return r;
}

Test(source, maps_a_febrl_row)
{
    au_source *s = febrl();
    au_record *r = map_ok(s, "{\"rec_id\":\"rec-122-org\",\"given_name\":\"lachlan\","
                             "\"surname\":\"berry\",\"street_number\":\"69\",\"address_1\":"
                             "\"giblin street\",\"address_2\":\"killarney\",\"suburb\":"
                             "\"bittern\",\"postcode\":\"4814\",\"state\":\"qld\","
                             "\"date_of_birth\":\"19990219\",\"soc_sec_id\":\"7364009\"}");
    cr_assert_str_eq(r->source, "febrl");
    cr_assert_str_eq(r->record_id, "rec-122-org");
    cr_assert_str_eq(r->attrs[AU_ATTR_FIRST_NAME].raw, "lachlan");
    cr_assert_str_eq(r->attrs[AU_ATTR_FIRST_NAME].value, "Lachlan");
    cr_assert_str_eq(r->attrs[AU_ATTR_FIRST_NAME].key, "lachlan");
    cr_assert_str_eq(r->attrs[AU_ATTR_LAST_NAME].value, "Berry");
    cr_assert_str_eq(r->attrs[AU_ATTR_DATE_OF_BIRTH].value, "1999-02-19");
    cr_assert_str_eq(r->attrs[AU_ATTR_ADDRESS_LINE1].raw, "69 giblin street");
    cr_assert_str_eq(r->attrs[AU_ATTR_POSTCODE].value, "4814");
    cr_assert_str_eq(r->attrs[AU_ATTR_NATIONAL_ID].key, "7364009");
    cr_assert_str_eq(r->attrs[AU_ATTR_FULL_NAME].value, "Lachlan Berry", "derived from the parts");
    cr_assert_null(r->attrs[AU_ATTR_EMAIL].raw);
    cr_assert_null(r->custom, "every FEBRL field is mapped");
    cr_assert_not_null(r->input);
    cr_assert_neq(r->hash, 0);
    au_record_free(r);
    au_source_free(s);
}

Test(source, joins_skip_empty_fields_and_numbers_become_text)
{
    au_source *s = febrl();
    au_record *r = map_ok(s, "{\"rec_id\":7,\"given_name\":\"\",\"surname\":\"waller\","
                             "\"street_number\":\"\",\"address_1\":\"tullaroop street\","
                             "\"postcode\":4011,\"date_of_birth\":19081209,\"soc_sec_id\":null}");
    cr_assert_str_eq(r->record_id, "7");
    cr_assert_null(r->attrs[AU_ATTR_FIRST_NAME].raw, "an empty field maps to nothing");
    cr_assert_str_eq(r->attrs[AU_ATTR_ADDRESS_LINE1].raw, "tullaroop street");
    cr_assert_str_eq(r->attrs[AU_ATTR_POSTCODE].raw, "4011");
    cr_assert_str_eq(r->attrs[AU_ATTR_DATE_OF_BIRTH].value, "1908-12-09");
    cr_assert_null(r->attrs[AU_ATTR_NATIONAL_ID].raw);
    cr_assert_str_eq(r->attrs[AU_ATTR_FULL_NAME].value, "Waller");
    au_record_free(r);
    au_source_free(s);
}

Test(source, same_content_same_hash)
{
    au_source *s = febrl();
    au_record *a = map_ok(s, "{\"rec_id\":\"1\",\"surname\":\"berry\"}");
    au_record *b = map_ok(s, "{\"rec_id\":\"1\",\"surname\":\"berry\"}");
    au_record *c = map_ok(s, "{\"rec_id\":\"1\",\"surname\":\"barry\"}");
    cr_assert_eq(a->hash, b->hash);
    cr_assert_neq(a->hash, c->hash);
    au_record_free(a);
    au_record_free(b);
    au_record_free(c);
    au_source_free(s);
}

Test(source, full_name_is_split_when_only_it_is_mapped)
{
    au_source *s = source("{\"record_id\":\"id\",\"fields\":{\"full_name\":\"name\"}}");
    au_record *r = map_ok(s, "{\"id\":\"a1\",\"name\":\"john smith\",\"tier\":\"gold\"}");
    cr_assert_str_eq(r->attrs[AU_ATTR_FIRST_NAME].value, "John");
    cr_assert_str_eq(r->attrs[AU_ATTR_LAST_NAME].value, "Smith");
    cr_assert_str_eq(json_string_value(json_object_get(r->custom, "tier")), "gold");
    au_record_free(r);
    r = map_ok(s, "{\"id\":0.1,\"name\":\"ann lee\"}");
    cr_assert_str_eq(r->record_id, "0.1", "numbers become their shortest text");
    cr_assert_null(json_object_get(r->custom, "id"), "the record id is not custom");
    cr_assert_null(json_object_get(r->custom, "name"), "mapped fields are not custom");
    au_record_free(r);
    au_source_free(s);
}

Test(source, refused_values_name_field_record_and_index)
{
    au_source *s =
        source("{\"record_id\":\"rec_id\",\"on_invalid\":\"reject\","
               "\"fields\":{\"last_name\":\"surname\","
               "\"date_of_birth\":{\"from\":\"date_of_birth\",\"format\":\"YYYYMMDD\"}}}");
    json_t *doc = js("{\"rec_id\":\"rec-9\",\"surname\":\"x\",\"date_of_birth\":\"19991302\"}");
    au_record *r = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_source_map(s, doc, 41, &r, &err), AU_ERR_INVALID);
    cr_assert_null(r);
    cr_assert_eq(err.ndetails, 1);
    cr_assert_eq(err.details[0].index, 41);
    cr_assert_str_eq(err.details[0].record_id, "rec-9");
    cr_assert_str_eq(err.details[0].field, "date_of_birth");
    cr_assert(strstr(err.details[0].reason, "date_of_birth: "), "%s", err.details[0].reason);
    json_decref(doc);
    au_err_cleanup(&err);

    au_err_init(&err);
    doc = js("{\"given_name\":\"x\"}");
    cr_assert_eq(au_source_map(s, doc, 3, &r, &err), AU_ERR_INVALID);
    cr_assert_eq(err.ndetails, 1);
    cr_assert_str_eq(err.details[0].reason, "record id field rec_id missing");
    json_decref(doc);
    au_err_cleanup(&err);
    au_source_free(s);
}

/* The default keeps the record and quarantines the value with its reason, which survives the
 * stored document; keep_raw is the old name of that mode and still accepted. */
Test(source, invalid_values_are_quarantined_by_default)
{
    static const char *const defs[] = {
        "{\"record_id\":\"id\",\"fields\":{\"date_of_birth\":{\"from\":\"dob\","
        "\"format\":\"YYYYMMDD\"},\"last_name\":\"ln\"}}",
        "{\"record_id\":\"id\",\"on_invalid\":\"keep_raw\",\"fields\":{\"date_of_birth\":"
        "{\"from\":\"dob\",\"format\":\"YYYYMMDD\"},\"last_name\":\"ln\"}}",
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        au_source *s = source(defs[i]);
        au_record *r = map_ok(s, "{\"id\":\"k1\",\"dob\":\"19153312\",\"ln\":\"lee\"}");
        const au_value *dob = &r->attrs[AU_ATTR_DATE_OF_BIRTH];
        cr_assert_str_eq(dob->raw, "19153312");
        cr_assert_null(dob->value);
        cr_assert_null(dob->key);
        cr_assert(au_record_is_quarantined(r, AU_ATTR_DATE_OF_BIRTH));
        cr_assert_str_eq(r->attrs[AU_ATTR_LAST_NAME].value, "Lee");
        cr_assert_not(au_record_is_quarantined(r, AU_ATTR_LAST_NAME));

        json_t *doc = au_record_to_json(r);
        char *text = au_record_to_text(r);
        json_t *parsed = json_loads(text, 0, NULL);
        cr_assert(json_equal(doc, parsed), "direct writer and Jansson agree: %s", text);
        au_record *back = NULL;
        cr_assert_eq(au_record_from_json("s", "k1", doc, &back), AU_OK);
        cr_assert_str_eq(back->attrs[AU_ATTR_DATE_OF_BIRTH].reason, dob->reason);
        cr_assert_str_eq(back->attrs[AU_ATTR_DATE_OF_BIRTH].raw, "19153312");
        json_t *shown = au_record_doc_attrs(doc);
        const json_t *sd = json_object_get(shown, "date_of_birth");
        cr_assert_str_eq(json_string_value(json_object_get(sd, "status")), "quarantined");
        cr_assert_str_eq(json_string_value(json_object_get(sd, "reason")), dob->reason);
        const json_t *sl = json_object_get(shown, "last_name");
        cr_assert_str_eq(json_string_value(json_object_get(sl, "status")), "valid");

        json_decref(shown);
        au_record_free(back);
        json_decref(parsed);
        au_free(text);
        json_decref(doc);
        au_record_free(r);
        au_source_free(s);
    }
    expect_invalid("{\"record_id\":\"id\",\"on_invalid\":\"ignore\"}", "on_invalid");
}

/* Loads the FEBRL configuration, builds its source and maps one document; on success the
 * record must be the reference one (ctx), whole. */
typedef struct load_map_run {
    json_t *doc;  /* the document, borrowed */
    json_t *want; /* the record mapped without faults, as JSON */
} load_map_run;

static au_rc load_and_map(void *ctx)
{
    load_map_run *lm = ctx;
    au_config *cfg = NULL;
    au_source *s = NULL;
    au_record *r = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_config_load("tests/data/febrl.yaml", &cfg, &err);
    if (!rc)
        rc = au_source_new("febrl", json_object_get(cfg->sources, "febrl"), &s, &err);
    if (!rc)
        rc = au_source_map(s, lm->doc, 0, &r, &err);
    if (!rc && lm->want) {
        json_t *got = au_record_to_json(r);
        char *g = json_dumps(got, JSON_SORT_KEYS), *w = json_dumps(lm->want, JSON_SORT_KEYS);
        cr_assert(json_equal(got, lm->want), "the mapped record is the reference, whole:\n%s\n%s",
                  g, w);
        free(g);
        free(w);
        json_decref(got);
    } else if (!rc) {
        lm->want = au_record_to_json(r);
    }
    au_record_free(r);
    au_source_free(s);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return rc;
}

/* Every allocation failure is AU_ERR_NOMEM and leaks nothing (checked under ASan). */
Test(source, allocation_failures_are_reported)
{
    load_map_run lm = {js("{\"rec_id\":\"r1\",\"given_name\":\"ann\",\"surname\":\"lee\","
                          "\"street_number\":\"1\",\"address_1\":\"high st\",\"extra\":\"x\"}"),
                       NULL};
    cr_assert_eq(load_and_map(&lm), AU_OK);
    cr_assert_not_null(lm.want);
    au_fault_every_allocation(load_and_map, &lm);
    json_decref(lm.want);
    json_decref(lm.doc);
}

/* Maps doc under s; returns the rc and leaves the record (or NULL) in *r and details in err. */
static au_rc map_doc(au_source *s, const char *doc_text, au_record **r, au_err *err)
{
    json_t *doc = js(doc_text);
    *r = NULL;
    au_rc rc = au_source_map(s, doc, 0, r, err);
    json_decref(doc);
    return rc;
}

/* A field's own on_invalid overrides the source's, both ways. */
Test(source, on_invalid_per_field_overrides_the_source)
{
    au_source *lenient = source(
        "{\"record_id\":\"id\",\"fields\":{\"email\":\"mail\",\"date_of_birth\":{\"from\":\"dob\","
        "\"format\":\"YYYYMMDD\",\"on_invalid\":\"reject\"}}}");
    au_source *strict = source(
        "{\"record_id\":\"id\",\"on_invalid\":\"reject\",\"fields\":{\"email\":{\"from\":\"mail\","
        "\"on_invalid\":\"quarantine\"},\"date_of_birth\":{\"from\":\"dob\",\"format\":"
        "\"YYYYMMDD\"}}}");
    au_record *r = NULL;
    au_err err;

    /* a dirty e-mail: quarantined under both, the record kept */
    for (int i = 0; i < 2; i++) {
        au_err_init(&err);
        cr_assert_eq(map_doc(i ? strict : lenient,
                             "{\"id\":\"a\",\"mail\":\"nope\",\"dob\":\"19700101\"}", &r, &err),
                     AU_OK, "%s", err.message);
        cr_expect(au_record_is_quarantined(r, AU_ATTR_EMAIL));
        cr_expect_str_eq(r->attrs[AU_ATTR_DATE_OF_BIRTH].value, "1970-01-01");
        au_record_free(r);
        au_err_cleanup(&err);
    }
    /* an impossible date: the field (lenient source) and the source (strict) refuse the record */
    for (int i = 0; i < 2; i++) {
        au_err_init(&err);
        cr_expect_eq(map_doc(i ? strict : lenient,
                             "{\"id\":\"b\",\"mail\":\"b@x.com\",\"dob\":\"19701301\"}", &r, &err),
                     AU_ERR_INVALID);
        cr_expect_null(r);
        cr_assert_eq(err.ndetails, 1);
        cr_expect_str_eq(err.details[0].field, "dob");
        cr_expect(strstr(err.details[0].reason, "month 13"), "%s", err.details[0].reason);
        au_err_cleanup(&err);
    }
    au_source_free(lenient);
    au_source_free(strict);
}

/* The pivot of a field wins over the source's, which wins over the sliding default. */
Test(source, two_digit_year_pivot_per_source_and_field)
{
    au_source *s = source("{\"record_id\":\"id\",\"two_digit_year_pivot\":30,\"fields\":{"
                          "\"date_of_birth\":{\"from\":\"dob\",\"format\":\"DMY\"}}}");
    au_record *r = map_ok(s, "{\"id\":\"a\",\"dob\":\"12/11/25\"}");
    cr_expect_str_eq(r->attrs[AU_ATTR_DATE_OF_BIRTH].value, "2025-11-12");
    au_record_free(r);
    r = map_ok(s, "{\"id\":\"a\",\"dob\":\"12/11/31\"}");
    cr_expect_str_eq(r->attrs[AU_ATTR_DATE_OF_BIRTH].value, "1931-11-12");
    au_record_free(r);
    au_source_free(s);
    s = source(
        "{\"record_id\":\"id\",\"two_digit_year_pivot\":30,\"fields\":{"
        "\"date_of_birth\":{\"from\":\"dob\",\"format\":\"DMY\",\"two_digit_year_pivot\":20}}}");
    r = map_ok(s, "{\"id\":\"a\",\"dob\":\"12/11/25\"}");
    cr_expect_str_eq(r->attrs[AU_ATTR_DATE_OF_BIRTH].value, "1925-11-12");
    au_record_free(r);
    au_source_free(s);
}

/* default_country is the same setting as country: national phones read in that plan. */
Test(source, default_country_is_an_alias_of_country)
{
    au_source *s = source("{\"record_id\":\"id\",\"default_country\":\"United Kingdom\","
                          "\"fields\":{\"phone\":\"tel\"}}");
    au_record *r = map_ok(s, "{\"id\":\"a\",\"tel\":\"020 7946 0958\"}");
    cr_expect_str_eq(r->attrs[AU_ATTR_PHONE].value, "+442079460958");
    au_record_free(r);
    au_source_free(s);
}

/* Titles and suffixes leave the name parts for their own attributes; the raw value keeps what
 * the source wrote. A source that maps title itself keeps its own. */
Test(source, titles_and_suffixes_get_their_own_attributes)
{
    au_source *s = source("{\"record_id\":\"id\",\"fields\":{\"first_name\":\"fn\","
                          "\"last_name\":\"ln\"}}");
    au_record *r = map_ok(s, "{\"id\":\"a\",\"fn\":\"Dr. Jane\",\"ln\":\"Smith Jr.\"}");
    cr_expect_str_eq(r->attrs[AU_ATTR_FIRST_NAME].value, "Jane");
    cr_expect_str_eq(r->attrs[AU_ATTR_FIRST_NAME].raw, "Dr. Jane");
    cr_expect_str_eq(r->attrs[AU_ATTR_LAST_NAME].value, "Smith");
    cr_expect_str_eq(r->attrs[AU_ATTR_LAST_NAME].raw, "Smith Jr.");
    cr_expect_str_eq(r->attrs[AU_ATTR_FULL_NAME].value, "Jane Smith");
    cr_expect_str_eq(r->attrs[AU_ATTR_TITLE].value, "Dr");
    cr_expect_str_eq(r->attrs[AU_ATTR_NAME_SUFFIX].value, "Jr");
    cr_expect_str_eq(r->attrs[AU_ATTR_NAME_SUFFIX].key, "jr");
    au_record_free(r);
    au_source_free(s);

    s = source("{\"record_id\":\"id\",\"fields\":{\"full_name\":\"name\"}}");
    r = map_ok(s, "{\"id\":\"b\",\"name\":\"SMITH, JOHN III\"}");
    cr_expect_str_eq(r->attrs[AU_ATTR_LAST_NAME].value, "Smith");
    cr_expect_str_eq(r->attrs[AU_ATTR_FIRST_NAME].value, "John");
    cr_expect_null(r->attrs[AU_ATTR_MIDDLE_NAME].value);
    cr_expect_str_eq(r->attrs[AU_ATTR_NAME_SUFFIX].value, "III");
    cr_expect_null(r->attrs[AU_ATTR_TITLE].value);
    au_record_free(r);
    au_source_free(s);

    s = source(
        "{\"record_id\":\"id\",\"fields\":{\"full_name\":\"name\",\"title\":\"salutation\"}}");
    r = map_ok(s, "{\"id\":\"c\",\"name\":\"Dr Jane Smith\",\"salutation\":\"Professor\"}");
    cr_expect_str_eq(r->attrs[AU_ATTR_TITLE].value, "Professor");
    cr_expect_str_eq(r->attrs[AU_ATTR_FIRST_NAME].value, "Jane");
    au_record_free(r);
    au_source_free(s);
}

/* The example `aurum help config` prints is a configuration that loads: the help is checked
 * against the parser, and names every source key and the new attributes. */
Test(source, the_help_example_is_a_valid_configuration)
{
    char *text = NULL, path[] = "/tmp/aurum-help-XXXXXX";
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    au_source_print_help(f);
    fclose(f);
    static const char *const words[] = {"default_country", "on_invalid", "two_digit_year_pivot",
                                        "name_suffix",     "title",      "quarantine"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        cr_expect(strstr(text, words[i]), "help lacks %s", words[i]);
    const char *ex = strstr(text, "Example:\n\n");
    cr_assert_not_null(ex);
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *out = fdopen(fd, "w");
    fputs(ex + strlen("Example:\n\n"), out);
    fclose(out);
    au_config *cfg = NULL;
    au_err err;
    au_err_init(&err);
    cr_expect_eq(au_config_load(path, &cfg, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    au_config_free(cfg);
    unlink(path);
    free(text);
}
