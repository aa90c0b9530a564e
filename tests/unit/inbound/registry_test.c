/*
 * The inbound registry (src/inbound/registry.c): every kind is registered and documented, an
 * inbound block is checked against the common and the kind's declared options (each error names
 * the key), and the helpers kinds share (dotted paths, soft-delete markers) read JSON as
 * documented.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../support/fault.h"
#include "inbound/inbound_int.h"

static void expect_error(const char *json, const char *needle)
{
    json_t *def = json_loads(json, 0, NULL);
    cr_assert_not_null(def, "%s", json);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_inbound_check(def, &err), AU_ERR_INVALID, "%s", json);
    cr_assert_not_null(strstr(err.message, needle), "'%s' not in '%s'", needle, err.message);
    au_err_cleanup(&err);
    json_decref(def);
}

static void expect_ok(const char *json)
{
    json_t *def = json_loads(json, 0, NULL);
    cr_assert_not_null(def, "%s", json);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_inbound_check(def, &err), AU_OK, "%s: %s", json, err.message);
    au_err_cleanup(&err);
    json_decref(def);
}

Test(inbound_registry, every_kind_is_registered_with_its_options)
{
    static const char *const names[] = {"file", "postgres", "http", "nats"};
    for (size_t i = 0; i < 4; i++) {
        const au_inbound_kind *k = au_inbound_kind_find(names[i]);
        cr_assert_not_null(k, "%s", names[i]);
        cr_assert_not_null(k->sync);
        cr_assert_not_null(k->opts[0].name);
    }
    cr_assert_null(au_inbound_kind_find("ftp"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    au_inbound_print_help(f);
    fclose(f);
    for (size_t i = 0; au_inbound_kinds[i]; i++) {
        char head[64];
        snprintf(head, sizeof head, "kind: %s - ", au_inbound_kinds[i]->name);
        cr_assert_not_null(strstr(text, head), "%s", head);
        for (const au_inbound_opt *o = au_inbound_kinds[i]->opts; o->name; o++)
            cr_assert_not_null(strstr(text, o->name), "%s", o->name);
    }
    free(text);
}

Test(inbound_registry, blocks_are_checked_naming_the_key)
{
    expect_ok("{\"kind\":\"file\",\"dir\":\"/tmp/x\"}");
    expect_ok("{\"kind\":\"postgres\",\"conninfo\":\"host=db\",\"table\":\"t\","
              "\"cursor_column\":\"updated_at\",\"schedule\":\"*/5 * * * *\"}");
    expect_ok("{\"kind\":\"http\",\"url\":\"https://api.example/c\",\"pagination\":\"cursor\","
              "\"next_cursor\":\"meta.next\"}");
    expect_ok("{\"kind\":\"nats\",\"url\":\"nats://h:4222\",\"subject\":\"a.>\","
              "\"durable\":\"aurum\"}");
    expect_error("{\"dir\":\"/tmp/x\"}", "inbound.kind: required");
    expect_error("{\"kind\":\"ftp\"}", "unknown kind 'ftp'");
    expect_error("{\"kind\":\"file\"}", "inbound.dir: required for kind file");
    expect_error("{\"kind\":\"file\",\"dir\":\"/x\",\"dri\":1}", "inbound.dri: unknown key");
    expect_error("{\"kind\":\"file\",\"dir\":7}", "inbound.dir: expected a string");
    expect_error("{\"kind\":\"file\",\"dir\":\"/x\",\"batch\":0}",
                 "inbound.batch: expected an integer from 1 to 1000000");
    expect_error("{\"kind\":\"file\",\"dir\":\"/x\",\"format\":\"xml\"}",
                 "inbound.format: expected one of csv, jsonl");
    expect_error("{\"kind\":\"file\",\"dir\":\"/x\",\"schedule\":\"61 * * * *\"}",
                 "inbound.schedule:");
    expect_error("{\"kind\":\"postgres\",\"conninfo\":\"x\"}", "exactly one of table and query");
    expect_error("{\"kind\":\"postgres\",\"conninfo\":\"x\",\"table\":\"t\",\"query\":\"q\"}",
                 "exactly one of table and query");
    expect_error("{\"kind\":\"http\",\"url\":\"ftp://x\"}", "inbound.url:");
    expect_error("{\"kind\":\"http\",\"url\":\"http://x\",\"pagination\":\"pages\"}",
                 "inbound.pagination: expected one of none, page, offset, cursor, link");
    expect_error("{\"kind\":\"http\",\"url\":\"http://x\",\"pagination\":\"cursor\"}",
                 "inbound.next_cursor:");
    expect_error("{\"kind\":\"http\",\"url\":\"http://x\",\"since_param\":\"s\"}",
                 "since_param and since_field");
    expect_error("{\"kind\":\"http\",\"url\":\"http://x\",\"oauth2_token_url\":\"http://t\"}",
                 "oauth2_client_id");
    expect_error("{\"kind\":\"nats\",\"url\":\"n\",\"subject\":\"s\",\"durable\":\"a.b\"}",
                 "inbound.durable:");
}

static au_rc check_scheduled(void *ctx)
{
    au_err err;
    au_err_init(&err);
    au_rc rc = au_inbound_check(ctx, &err);
    au_err_cleanup(&err);
    return rc;
}

Test(inbound_registry, a_failed_allocation_while_checking_is_reported)
{
    json_t *def = json_loads("{\"kind\":\"postgres\",\"conninfo\":\"x\",\"table\":\"t\","
                             "\"schedule\":\"0 3 * * mon-fri\",\"timezone\":\"Europe/London\"}",
                             0, NULL);
    au_fault_every_allocation(check_scheduled, def);
    json_decref(def);
}

Test(inbound_registry, paths_and_soft_delete_markers)
{
    json_t *j = json_loads("{\"meta\":{\"next\":\"c2\"},\"a\":1}", 0, NULL);
    cr_assert_str_eq(json_string_value(au_inbound_path(j, "meta.next")), "c2");
    cr_assert_eq(au_inbound_path(j, ""), j);
    cr_assert_null(au_inbound_path(j, "meta.none"));
    cr_assert_null(au_inbound_path(j, "a.b"));
    json_decref(j);
    static const char *const yes[] = {"true", "1", "\"t\"", "\"2026-01-01\"", "\"yes\""};
    static const char *const no[] = {"false",     "0",     "null", "\"f\"",
                                     "\"false\"", "\"0\"", "\"\"", "\"N\""};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        json_t *v = json_loads(yes[i], JSON_DECODE_ANY, NULL);
        cr_assert(au_inbound_truthy(v), "%s", yes[i]);
        json_decref(v);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        json_t *v = json_loads(no[i], JSON_DECODE_ANY, NULL);
        cr_assert(!au_inbound_truthy(v), "%s", no[i]);
        json_decref(v);
    }
    cr_assert(!au_inbound_truthy(NULL));
}
