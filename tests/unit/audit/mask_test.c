/*
 * Unit tests of src/audit: the mask of each kind of value, the masking policy and the walker
 * over the shapes the API answers with (golden record, record with raw input, event), the
 * retention windows, the chain hash, and the walker under allocation failure.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/mask.h"
#include "lib/alloc.h"
#include "../../support/fault.h"

static void expect_mask(au_attr a, au_mask_level lvl, const char *in, const char *want)
{
    char *got = au_mask_value(a, lvl, in);
    cr_assert_not_null(got);
    cr_assert_str_eq(got, want, "%s at level %d: %s", in, lvl, got);
    au_free(got);
}

Test(mask, each_kind_at_partial)
{
    expect_mask(AU_ATTR_EMAIL, AU_MASK_PARTIAL, "john.smith@example.com", "j***@example.com");
    expect_mask(AU_ATTR_EMAIL, AU_MASK_PARTIAL, "not-an-address", "***");
    expect_mask(AU_ATTR_PHONE, AU_MASK_PARTIAL, "+44 20 7946 0958", "***0958");
    expect_mask(AU_ATTR_PHONE, AU_MASK_PARTIAL, "123", "***");
    expect_mask(AU_ATTR_FIRST_NAME, AU_MASK_PARTIAL, "John", "J.");
    expect_mask(AU_ATTR_FULL_NAME, AU_MASK_PARTIAL, "John  Smith", "J. S.");
    expect_mask(AU_ATTR_LAST_NAME, AU_MASK_PARTIAL, "Ørsted", "Ø.");
    expect_mask(AU_ATTR_DATE_OF_BIRTH, AU_MASK_PARTIAL, "1980-02-03", "1980");
    expect_mask(AU_ATTR_ADDRESS_LINE1, AU_MASK_PARTIAL, "1 High St", "***");
    expect_mask(AU_ATTR_POSTCODE, AU_MASK_PARTIAL, "SW1A 1AA", "***");
    expect_mask(AU_ATTR_CITY, AU_MASK_PARTIAL, "London", "London");
    expect_mask(AU_ATTR_NATIONAL_ID, AU_MASK_PARTIAL, "AB123456C", "***6C");
    expect_mask(AU_ATTR_EMAIL, AU_MASK_FULL, "john@example.com", "***");
    expect_mask(AU_ATTR_EMAIL, AU_MASK_NONE, "john@example.com", "john@example.com");
}

/* A configuration whose only content is `yaml`. */
static au_config *config_of(const char *yaml)
{
    au_config *cfg = NULL;
    au_err err;
    au_err_init(&err);
    char path[] = "/tmp/aurum-mask-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    au_rc rc = au_config_load(path, &cfg, &err);
    unlink(path);
    cr_assert_eq(rc, AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    return cfg;
}

Test(mask, policy_defaults_overrides_and_errors)
{
    au_mask_policy p;
    au_err err;
    au_err_init(&err);
    au_config *cfg = config_of("masking: {email: full, city: partial, gender: none}\n");
    cr_assert_eq(au_mask_policy_parse(cfg, &p, &err), AU_OK);
    cr_assert_eq(p.level[AU_ATTR_EMAIL], AU_MASK_FULL);
    cr_assert_eq(p.level[AU_ATTR_GENDER], AU_MASK_NONE);
    cr_assert_eq(p.level[AU_ATTR_PHONE], AU_MASK_PARTIAL, "unset: the default");
    cr_assert_eq(p.level[AU_ATTR_COUNTRY], AU_MASK_NONE, "unset: the default");
    au_config_free(cfg);
    cfg = config_of("masking: {emial: full}\n");
    cr_assert_eq(au_mask_policy_parse(cfg, &p, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "masking.emial"), "%s", err.message);
    au_config_free(cfg);
    cfg = config_of("masking: {email: hidden}\n");
    cr_assert_eq(au_mask_policy_parse(cfg, &p, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "full, partial or none"), "%s", err.message);
    au_config_free(cfg);
    au_err_cleanup(&err);
}

/* The source "crm" maps its field "pc" onto postcode. */
static int crm_fields(void *ctx, const char *source, const char *field)
{
    return strcmp(source, "crm") == 0 && strcmp(field, "pc") == 0 ? AU_ATTR_POSTCODE : -1;
}

static const char answer[] =
    "{\"source\":\"crm\",\"record_id\":\"c1\",\"attributes\":{\"email\":{\"raw\":\"J@X.com\","
    "\"value\":\"j@x.com\",\"key\":\"j@x.com\",\"status\":\"valid\"},\"first_name\":\"John\"},"
    "\"lineage\":{\"email\":{\"source\":\"crm\",\"record_id\":\"c1\",\"rule\":\"most_recent\"}},"
    "\"addresses\":[{\"line1\":\"1 High St\",\"city\":\"London\",\"sources\":[{\"source\":"
    "\"crm\",\"record_id\":\"c1\"}]}],\"emails\":[{\"value\":\"j@x.com\"}],"
    "\"input\":{\"pc\":\"SW1A 1AA\",\"surname\":\"Smith\",\"plan\":\"gold\"},"
    "\"properties\":{\"ship_to\":\"2 Low St\",\"note\":\"j@x.com\",\"total\":12.5},"
    "\"request\":\"{\\\"email\\\":\\\"j@x.com\\\"}\",\"response\":\"Smith's record\","
    "\"values\":[{\"column\":\"phone\",\"value\":\"+447700900123\",\"records\":3}]}";

static const char masked[] =
    "{\"source\":\"crm\",\"record_id\":\"c1\",\"attributes\":{\"email\":{\"raw\":\"J***@X.com\","
    "\"value\":\"j***@x.com\",\"key\":\"j***@x.com\",\"status\":\"valid\"},\"first_name\":\"J.\"},"
    "\"lineage\":{\"email\":{\"source\":\"crm\",\"record_id\":\"c1\",\"rule\":\"most_recent\"}},"
    "\"addresses\":[{\"line1\":\"***\",\"city\":\"London\",\"sources\":[{\"source\":"
    "\"crm\",\"record_id\":\"c1\"}]}],\"emails\":[{\"value\":\"j***@x.com\"}],"
    "\"input\":{\"pc\":\"***\",\"surname\":\"S.\",\"plan\":\"gold\"},"
    "\"properties\":{\"ship_to\":\"***\",\"note\":\"j***@x.com\",\"total\":12.5},"
    "\"request\":\"{\\\"email\\\":\\\"j***@x.com\\\"}\",\"response\":\"***\","
    "\"values\":[{\"column\":\"phone\",\"value\":\"***0123\",\"records\":3}]}";

Test(mask, the_walker_masks_values_and_keeps_metadata)
{
    au_mask_policy p;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_mask_policy_parse(NULL, &p, &err), AU_OK);
    char *out = NULL;
    size_t len = 0;
    cr_assert_eq(au_mask_text(&p, answer, strlen(answer), crm_fields, NULL, &out, &len), AU_OK);
    json_t *got = json_loads(out, 0, NULL), *want = json_loads(masked, 0, NULL);
    cr_assert(json_equal(got, want), "got %s", out);
    json_decref(got);
    json_decref(want);
    free(out);
    cr_assert_eq(au_mask_text(&p, "not json", 8, NULL, NULL, &out, &len), AU_ERR_PARSE);
    au_err_cleanup(&err);
}

static au_rc mask_once(void *ctx)
{
    char *out = NULL;
    size_t len = 0;
    au_rc rc = au_mask_text(ctx, answer, strlen(answer), crm_fields, NULL, &out, &len);
    if (!rc && !strstr(out, "j***@x.com"))
        rc = AU_ERR_INTERNAL;
    free(out);
    return rc;
}

Test(mask, every_allocation_failure_is_nomem)
{
    au_mask_policy p;
    cr_assert_eq(au_mask_policy_parse(NULL, &p, NULL), AU_OK);
    au_fault_every_allocation(mask_once, &p);
}

Test(retention, durations_defaults_and_errors)
{
    au_retention r;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_retention_parse(NULL, &r, &err), AU_OK);
    cr_assert_eq(r.runs_ms, 30LL * 24 * 3600 * 1000);
    cr_assert_eq(r.audit_ms, 365LL * 24 * 3600 * 1000);
    cr_assert_eq(r.interval_ms, 3600LL * 1000);
    au_config *cfg = config_of("retention: {runs: 12h, audit: forever, interval: 90}\n");
    cr_assert_eq(au_retention_parse(cfg, &r, &err), AU_OK);
    cr_assert_eq(r.runs_ms, 12LL * 3600 * 1000);
    cr_assert_eq(r.audit_ms, 0);
    cr_assert_eq(r.interval_ms, 90LL * 1000);
    au_config_free(cfg);
    cfg = config_of("retention: {runs: 3 weeks}\n");
    cr_assert_eq(au_retention_parse(cfg, &r, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "retention.runs"), "%s", err.message);
    au_config_free(cfg);
    cfg = config_of("retention: {history: 1d}\n");
    cr_assert_eq(au_retention_parse(cfg, &r, &err), AU_ERR_INVALID);
    au_config_free(cfg);
    au_err_cleanup(&err);
}

Test(chain, the_hash_covers_every_field_and_the_previous_hash)
{
    uint8_t prev[AU_AUDIT_HASH_LEN] = {0}, h0[AU_AUDIT_HASH_LEN], h[AU_AUDIT_HASH_LEN];
    au_audit_row r = {.id = 7,
                      .at_ms = 1000,
                      .action = "read",
                      .key_id = "key_1",
                      .client = "127.0.0.1",
                      .route = "GET /v1/profiles/{id}",
                      .profiles = "[1]",
                      .records = "[2]"};
    au_audit_hash(prev, &r, h0);
    au_audit_row variants[8];
    for (int i = 0; i < 8; i++)
        variants[i] = r;
    variants[0].id = 8;
    variants[1].at_ms = 1001;
    variants[2].action = "change";
    variants[3].key_id = "key_2";
    variants[4].client = "127.0.0.2";
    variants[5].route = "GET /v1/profiles";
    variants[6].profiles = "[3]";
    variants[7].records = "[]";
    for (int i = 0; i < 8; i++) {
        au_audit_hash(prev, &variants[i], h);
        cr_assert_neq(memcmp(h, h0, sizeof(h)), 0, "field %d is covered", i);
    }
    prev[0] = 1;
    au_audit_hash(prev, &r, h);
    cr_assert_neq(memcmp(h, h0, sizeof(h)), 0, "the previous hash is covered");
    /* fields do not run into each other: "ab"+"c" differs from "a"+"bc" */
    au_audit_row a = r, b = r;
    a.key_id = "ab", a.client = "c";
    b.key_id = "a", b.client = "bc";
    au_audit_hash(prev, &a, h0);
    au_audit_hash(prev, &b, h);
    cr_assert_neq(memcmp(h, h0, sizeof(h)), 0);
}
