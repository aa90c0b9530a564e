/*
 * Unit tests for the YAML configuration: YAML to JSON typing, anchors, aliases and merge keys,
 * error positions, defaults, unknown keys and the generated reference.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

#include "../../support/fault.h"

static json_t *yaml(const char *text)
{
    json_t *j = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_yaml_to_json(text, strlen(text), &j, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    return j;
}

static void assert_json(json_t *j, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    cr_assert_not_null(w, "bad expectation %s", want);
    char *got = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert(json_equal(j, w), "got %s, want %s", got, want);
    free(got);
    json_decref(w);
    json_decref(j);
}

Test(yaml, plain_scalars_are_typed_quoted_stay_strings)
{
    assert_json(yaml("a: 12\nb: -3.5\nc: true\nd: ~\ne: null\nf: '12'\ng: \"true\"\n"
                     "h: hello world\ni: 1e3\nj: 0012\nk: \"7\"\nl:\n"),
                "{\"a\":12,\"b\":-3.5,\"c\":true,\"d\":null,\"e\":null,\"f\":\"12\","
                "\"g\":\"true\",\"h\":\"hello world\",\"i\":1000.0,\"j\":12,\"k\":\"7\","
                "\"l\":null}");
}

Test(yaml, anchors_aliases_and_merge_keys)
{
    assert_json(yaml("base: &b {x: 1, y: 2}\n"
                     "other: &o {y: 3, z: 4}\n"
                     "one:\n  <<: *b\n  y: 9\n"
                     "two:\n  <<: [*o, *b]\n"
                     "list: [*b, *b]\n"),
                "{\"base\":{\"x\":1,\"y\":2},\"other\":{\"y\":3,\"z\":4},"
                "\"one\":{\"x\":1,\"y\":9},\"two\":{\"x\":1,\"y\":3,\"z\":4},"
                "\"list\":[{\"x\":1,\"y\":2},{\"x\":1,\"y\":2}]}");
}

Test(yaml, empty_document_is_an_empty_object)
{
    assert_json(yaml(""), "{}");
}

static void expect_error(const char *text, const char *want)
{
    json_t *j = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_yaml_to_json(text, strlen(text), &j, &err), AU_ERR_PARSE);
    cr_assert_null(j);
    cr_assert(strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
    au_err_cleanup(&err);
}

Test(yaml, errors_give_line_and_column)
{
    expect_error("a: 1\nb: [1, 2\nc: 3\n", "3:2");
    expect_error("a: 1\n  b: 2\n", "2:4");
    expect_error("a: 1\na: 2\n", "2:1: duplicate key a");
    expect_error("a: *nope\n", "1:4");
    expect_error("a: &x\n  <<: 5\n", "2:7: merge key");
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/aurum-config-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(config, defaults_without_a_file)
{
    au_config *c = NULL;
    cr_assert_eq(au_config_load(NULL, &c, NULL), AU_OK);
    cr_assert_str_eq(c->listen, "127.0.0.1:8080");
    cr_assert_str_eq(c->data_dir, "./aurum-data");
    cr_assert_str_eq(c->default_country, "GB");
    cr_assert_eq(c->max_body_bytes, 8 * 1024 * 1024);
    cr_assert_eq(c->max_connections, 1024);
    cr_assert_eq(c->max_connections_per_client, 64);
    cr_assert_eq(c->idle_timeout, 30);
    cr_assert_eq(c->max_inflight_bytes, 128L << 20);
    cr_assert_eq(c->group_commit_max, 256);
    cr_assert_str_eq(c->log_level, "info");
    cr_assert_eq(json_object_size(c->sources), 0);
    au_config_free(c);
}

Test(config, options_and_sections_are_read)
{
    char *p = write_tmp("listen: 0.0.0.0:9000\nmax_connections: 10\ndefault_country: au\n"
                        "matching: {match_weight: 9}\n"
                        "sources:\n  crm:\n    record_id: id\n    fields: {email: mail}\n");
    au_config *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(p, &c, &err), AU_OK, "%s", err.message);
    cr_assert_str_eq(c->listen, "0.0.0.0:9000");
    cr_assert_eq(c->max_connections, 10);
    cr_assert_str_eq(c->default_country, "au");
    cr_assert_str_eq(c->data_dir, "./aurum-data");
    json_t *crm = json_object_get(c->sources, "crm");
    cr_assert_not_null(crm);
    cr_assert_str_eq(json_string_value(json_object_get(crm, "country")), "au",
                     "sources without a country get default_country");
    cr_assert_not_null(json_object_get(json_object_get(c->doc, "matching"), "match_weight"));
    au_config_free(c);
    au_err_cleanup(&err);
    unlink(p);
    free(p);
}

static void expect_load_error(const char *text, au_rc rc, const char *want)
{
    char *p = write_tmp(text);
    au_config *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(p, &c, &err), rc, "%s", err.message);
    cr_assert_null(c);
    cr_assert(strstr(err.message, p), "'%s' names no file", err.message);
    cr_assert(strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
    au_err_cleanup(&err);
    unlink(p);
    free(p);
}

Test(config, unknown_keys_and_bad_values_are_refused_with_position)
{
    expect_load_error("listen: x\nlisten_port: 8\n", AU_ERR_INVALID,
                      ":2:1: unknown key 'listen_port'; valid keys: listen, data_dir, ");
    expect_load_error("max_connections: many\n", AU_ERR_INVALID,
                      ":1:18: max_connections: expected an integer of at least 1, got 'many'");
    expect_load_error("max_connections: 0\n", AU_ERR_INVALID,
                      ":1:18: max_connections: expected an integer of at least 1, got '0'");
    expect_load_error("max_connections: '12'\n", AU_ERR_INVALID,
                      ":1:18: max_connections: expected an integer of at least 1, got the quoted "
                      "string '12'");
    expect_load_error("a: [\n", AU_ERR_PARSE, ":2:1:");
    expect_load_error("sources:\n  crm: {fields: {email: mail}}\n", AU_ERR_INVALID,
                      ":2:3: sources.crm.record_id");
    expect_load_error("sources:\n  crm:\n    record_id: id\n    fields:\n      firstname: fn\n",
                      AU_ERR_INVALID, ":5:7: sources.crm.fields.firstname: unknown canonical");
    expect_load_error("- 1\n- 2\n", AU_ERR_INVALID, "must be a mapping");
}

/* A mistyped key at any level is refused with the keys that level accepts. */
Test(config, unknown_keys_list_the_valid_keys_at_every_level)
{
    expect_load_error(
        "lisen: x\n", AU_ERR_INVALID,
        "valid keys: listen, data_dir, store, node, default_country, max_body_bytes, "
        "max_connections, max_connections_per_client, idle_timeout, "
        "max_inflight_bytes, tls_cert, tls_key, group_commit_max, log_level, log_format, sources, "
        "matching, survivorship, flows, secrets, outbound, webhooks, retention, masking, bus, "
        "clock, "
        "x-*");
    expect_load_error("sources:\n  crm:\n    record_id: id\n    feilds: {email: mail}\n",
                      AU_ERR_INVALID,
                      ":4:5: sources.crm.feilds: unknown key (valid keys: record_id, fields, "
                      "default_country, country, trust, on_invalid, two_digit_year_pivot, "
                      "inbound)");
    expect_load_error(
        "sources:\n  crm:\n    record_id: id\n    fields:\n      email: {form: m}\n",
        AU_ERR_INVALID,
        "sources.crm.fields.email.form: unknown key (valid keys: from, format, on_invalid, "
        "two_digit_year_pivot)");
    expect_load_error("x-base: 1\nmatching:\n  match_wieght: 3\n", AU_ERR_INVALID,
                      ":3:3: matching.match_wieght: unknown key (valid keys: prior, ");
    expect_load_error("matching:\n  columns:\n    email: {enabled: true, tff: 1}\n", AU_ERR_INVALID,
                      ":3:28: matching.columns.email.tff: unknown key (valid keys: enabled, tf, "
                      "m, u, levels, weights)");
    expect_load_error("matching:\n  columns:\n    emial: {enabled: true}\n", AU_ERR_INVALID,
                      ":3:5: matching.columns.emial: unknown column (valid columns: first_name, ");
}

/* Sections users reach for that are not built are refused, saying what to use instead; they
 * are not listed as valid keys. */
Test(config, unbuilt_sections_are_refused_with_what_to_use_instead)
{
    expect_load_error("listen: x\nkeys:\n  - admin\n", AU_ERR_UNSUPPORTED,
                      ":2:1: keys: this section is not supported yet: API keys are created with "
                      "'aurum keys create --scope S' or given to the daemon in AURUM_ADMIN_KEY");
    expect_load_error("connectors: {}\n", AU_ERR_UNSUPPORTED,
                      ":1:1: connectors: this section is not supported yet: outbound systems are "
                      "flow steps");
    char *p = write_tmp("lisen: x\n");
    au_config *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(p, &c, &err), AU_ERR_INVALID);
    cr_assert_null(strstr(err.message, "connectors"), "%s", err.message);
    cr_assert_null(strstr(err.message, "keys,"), "%s", err.message);
    au_err_cleanup(&err);
    unlink(p);
    free(p);
}

Test(config, log_level_and_format_are_checked)
{
    expect_load_error("log_format: yaml\n", AU_ERR_INVALID,
                      ":1:1: log_format: expected one of auto, text, json, got 'yaml'");
    expect_load_error("log_level: loud\n", AU_ERR_INVALID,
                      ":1:1: log_level: expected one of debug, info, warn, error, got 'loud'");
    char *p = write_tmp("log_format: json\nlog_level: warn\n");
    au_config *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(p, &c, &err), AU_OK, "%s", err.message);
    cr_assert_str_eq(c->log_format, "json");
    cr_assert_str_eq(c->log_level, "warn");
    au_config_free(c);
    au_err_cleanup(&err);
    unlink(p);
    free(p);
}

Test(config, missing_file_is_an_io_error)
{
    au_config *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load("/nonexistent/aurum.yaml", &c, &err), AU_ERR_IO);
    cr_assert(strstr(err.message, "/nonexistent/aurum.yaml"));
    au_err_cleanup(&err);
}

Test(config, help_lists_every_option_with_its_default)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    au_config_print_help(f);
    fclose(f);
    cr_assert(strstr(text, "listen") && strstr(text, "127.0.0.1:8080"));
    cr_assert(strstr(text, "group_commit_max") && strstr(text, "sources"));
    free(text);
}

/* Loads a file of options, anchors and an inline flow (config.c's own work: the loader, the
 * option table, the kept tree); on success checks what it read. */
static au_rc load_options(void *arg)
{
    au_config *c = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_config_load(arg, &c, &err);
    if (!rc) {
        cr_assert_str_eq(c->listen, "0.0.0.0:9000");
        cr_assert_eq(c->max_connections, 10);
        cr_assert_not_null(au_config_node(c, "flows"));
    } else {
        cr_assert_null(c);
        cr_assert_eq(rc, AU_ERR_NOMEM, "%s", err.message);
    }
    au_config_free(c);
    au_err_cleanup(&err);
    return rc;
}

Test(config, every_allocation_failure_is_reported_as_nomem)
{
    char *p = write_tmp("x-base: &b {listen: 0.0.0.0:9000}\n<<: *b\nmax_connections: 10\n"
                        "tls_cert: ~\nflows:\n  - name: f\n    trigger: {event: x}\n");
    au_fault_every_allocation(load_options, p);
    unlink(p);
    free(p);
}
