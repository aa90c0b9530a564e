/*
 * Tests of flow definition validation: the three Northwind flows validate and evaluate, and
 * each kind of mistake is reported with the flow name, the YAML line and column and, for
 * expressions, the position inside the expression.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "flows/flowdef.h"
#include "lib/alloc.h"

#include "../../support/fault.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = au_malloc(1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static au_flowdef *load_ok(const char *path)
{
    char *text = slurp(path);
    au_flowdef *f = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_flowdef_parse(text, strlen(text), NULL, &f, &err);
    cr_assert_eq(rc, AU_OK, "%s: %s", path, err.message);
    au_err_cleanup(&err);
    au_free(text);
    return f;
}

Test(flowdef, northwind_payment_flow_validates_and_renders)
{
    au_flowdef *f = load_ok("docs/flows/payment-closes-dunning.yaml");
    cr_assert_str_eq(f->name, "payment-closes-dunning");
    cr_assert_eq(f->trigger.kind, AU_TRIGGER_EVENT);
    cr_assert_str_eq(f->trigger.event_type, "payment");
    cr_assert_str_eq(f->trigger.event_source, "billing");
    cr_assert_eq(f->nsteps, 1);
    cr_assert_str_eq(f->steps[0].connector->name, "http");
    cr_assert_eq(f->max_attempts, 10);
    cr_assert_eq(f->concurrency, 1, "default");

    json_t *ctx = json_loads(
        "{\"profile\":{\"id\":\"P1\",\"records\":[{\"source\":\"crm\",\"record_id\":\"C9\"},"
        "{\"source\":\"collections\",\"record_id\":\"K 7\"}],"
        "\"timeline\":[{\"type\":\"dunning_case_opened\"}]},"
        "\"event\":{\"id\":\"pay-1\",\"at\":\"2026-11-20T09:00:00Z\","
        "\"properties\":{\"amount\":80}}}",
        0, NULL);
    int match;
    au_expr_error ee;
    cr_assert_eq(au_flowdef_condition(f, ctx, 0, &match, &ee), AU_OK, "%s", ee.message);
    cr_assert_eq(match, 1);
    char *url;
    cr_assert_eq(au_flow_value_render(au_flow_step_value(&f->steps[0], "url"), ctx, 0,
                                      AU_TMPL_URLENCODE, &url, &ee),
                 AU_OK, "%s", ee.message);
    cr_assert_str_eq(url, "http://collections.northwind.test/api/customers/K%207/dunning/close");
    au_free(url);
    json_t *body;
    cr_assert_eq(au_flow_value_eval(au_flow_step_value(&f->steps[0], "body"), ctx, 0, &body, &ee),
                 AU_OK, "%s", ee.message);
    json_t *want = json_loads("{\"reason\":\"payment_received\",\"payment_id\":\"pay-1\","
                              "\"amount\":80,\"currency\":\"GBP\",\"paid_at\":"
                              "\"2026-11-20T09:00:00Z\",\"aurum_profile\":\"P1\"}",
                              0, NULL);
    cr_assert(json_equal(body, want));
    json_decref(want);
    json_decref(body);

    /* After the case is closed the condition no longer holds. */
    json_array_append_new(json_object_get(json_object_get(ctx, "profile"), "timeline"),
                          json_pack("{s:s}", "type", "dunning_case_closed"));
    cr_assert_eq(au_flowdef_condition(f, ctx, 0, &match, &ee), AU_OK);
    cr_assert_eq(match, 0);
    json_decref(ctx);

    json_t *j = au_flowdef_to_json(f, 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(j, "steps"), 0), "http"), "secret")),
        "********");
    json_decref(j);
    au_flowdef_free(f);
}

Test(flowdef, northwind_complaint_flow_enriches_with_orders_and_payments)
{
    au_flowdef *f = load_ok("docs/flows/complaint-to-support.yaml");
    cr_assert_eq(f->nsteps, 2);
    cr_assert_str_eq(f->steps[1].connector->name, "file");
    json_t *ctx = json_loads(
        "{\"profile\":{\"id\":\"P1\",\"first_name\":\"Ann\",\"last_name\":\"Lee\","
        "\"tags\":[\"vip\"],\"timeline\":["
        "{\"type\":\"order\",\"at\":\"2026-11-01T00:00:00Z\",\"properties\":{\"amount\":30}},"
        "{\"type\":\"invoice\",\"at\":\"2026-11-01T00:00:00Z\",\"properties\":{\"amount\":100}},"
        "{\"type\":\"payment\",\"at\":\"2026-11-05T00:00:00Z\",\"properties\":{\"amount\":60}},"
        "{\"type\":\"order\",\"at\":\"2026-11-10T00:00:00Z\",\"properties\":{\"amount\":70}}]},"
        "\"event\":{\"id\":\"t-1\",\"properties\":{\"ticket_id\":\"T-5\","
        "\"category\":\"Complaint\"}}}",
        0, NULL);
    int match;
    au_expr_error ee;
    cr_assert_eq(au_flowdef_condition(f, ctx, 1795435200000LL, &match, &ee), AU_OK);
    cr_assert_eq(match, 1);
    json_t *body;
    cr_assert_eq(au_flow_value_eval(au_flow_step_value(&f->steps[0], "body"), ctx, 1795435200000LL,
                                    &body, &ee),
                 AU_OK, "%s", ee.message);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(body, "customer"), "name")),
                     "Ann Lee");
    cr_assert(json_is_true(json_object_get(json_object_get(body, "customer"), "vip")));
    cr_assert_eq(json_array_size(json_object_get(body, "last_orders")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(body, "last_orders"), 0), "at")),
                     "2026-11-10T00:00:00Z", "latest first");
    cr_assert_eq(json_integer_value(json_object_get(body, "open_balance")), 40);
    cr_assert_eq(json_integer_value(json_object_get(body, "days_since_last_order")), 13);
    json_decref(body);
    json_decref(ctx);
    au_flowdef_free(f);
}

Test(flowdef, northwind_address_flow_is_loop_free)
{
    au_flowdef *f = load_ok("docs/flows/address-sync.yaml");
    cr_assert_eq(f->trigger.kind, AU_TRIGGER_PROFILE);
    cr_assert_eq(f->trigger.profile_changes, AU_PROFILE_UPDATED);
    cr_assert_eq(f->trigger.nattributes, 5);
    cr_assert_eq(f->concurrency, 4);
    json_t *ctx =
        json_loads("{\"profile\":{\"id\":\"P1\"},\"change\":{\"source\":\"crm\"}}", 0, NULL);
    json_t *v;
    au_expr_error ee;
    cr_assert_eq(au_expr_eval(f->steps[0].when, ctx, 0, &v, &ee), AU_OK);
    cr_assert(json_is_true(v), "a CRM change goes to the warehouse");
    json_decref(v);
    cr_assert_eq(au_expr_eval(f->steps[1].when, ctx, 0, &v, &ee), AU_OK);
    cr_assert(json_is_false(v), "but not back to the CRM");
    json_decref(v);
    json_decref(ctx);
    au_flowdef_free(f);
}

Test(flowdef, json_text_and_schedule_and_webhook_triggers)
{
    const char *json = "{\"name\":\"nightly\",\"trigger\":{\"schedule\":{\"cron\":\"0 2 * * *\","
                       "\"timezone\":\"Europe/London\"}},\"steps\":[{\"file\":{\"path\":"
                       "\"/tmp/x.jsonl\",\"body\":{\"at\":\"{{ now() }}\",\"n\":1}}}]}";
    au_flowdef *f;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(json, strlen(json), "nightly", &f, &err), AU_OK, "%s",
                 err.message);
    cr_assert_eq(f->trigger.kind, AU_TRIGGER_SCHEDULE);
    cr_assert_str_eq(au_cron_timezone(f->trigger.cron), "Europe/London");
    cr_assert_str_eq(f->steps[0].id, "step1");
    json_t *j = au_flowdef_to_json(f, 0);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "retry"), "max_attempts")),
                 5);
    json_decref(j);
    au_flowdef_free(f);

    const char *hook = "trigger:\n  webhook:\n    secret: abcdefghijklmnopq\n"
                       "steps:\n  - http: {url: 'https://x.test/a'}\n";
    cr_assert_eq(au_flowdef_parse(hook, strlen(hook), "hooked", &f, &err), AU_OK, "%s",
                 err.message);
    cr_assert_str_eq(f->name, "hooked");
    cr_assert_eq(f->trigger.kind, AU_TRIGGER_WEBHOOK);
    cr_assert_str_eq(json_string_value(json_object_get(f->steps[0].config, "method")), "POST");
    cr_assert_eq(json_integer_value(json_object_get(f->steps[0].config, "timeout_ms")), 10000);
    au_flowdef_free(f);
    au_err_cleanup(&err);
}

typedef struct bad_flow {
    const char *yaml;
    const char *message; /* expected first error */
} bad_flow;

#define HEAD "name: f1\ntrigger:\n  event: {type: payment}\n"

static const bad_flow bad[] = {
    {"name: f1\ntrigger: {event: x}\nsteps: [ {http: {url: 'http://x'} }",
     "flow \"(unnamed)\": line 4, column 1: YAML error: did not find expected ',' or ']' while "
     "parsing a flow sequence"},
    {"- a\n- b\n", "flow \"(unnamed)\": line 1, column 1: a flow definition must be a mapping"},
    {"trigger: {event: x}\nsteps: [{file: {path: /a, body: {a: 1}}}]\n",
     "flow \"(unnamed)\": line 1, column 1: missing 'name'"},
    {"name: 'bad name!'\ntrigger: {event: x}\nsteps: [{file: {path: /a, body: {a: 1}}}]\n",
     "flow \"bad name!\": line 1, column 7: name: must be 1-64 letters, digits, '_', '-' or '.'"},
    {HEAD "steps: []\n", "flow \"f1\": line 4, column 8: steps: needs 1 to 32 steps, found 0"},
    {HEAD "colour: red\nsteps:\n  - file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 4, column 1: unknown key 'colour' (valid keys: name, description, "
     "enabled, trigger, condition, steps, retry, concurrency)"},
    {"name: f1\ntrigger:\n  event: {type: payment}\n  schedule: '* * * * *'\n"
     "steps:\n  - file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 4, column 13: trigger: has both 'event' and 'schedule'; a flow has one "
     "trigger"},
    {"name: f1\ntrigger:\n  profile: renamed\nsteps:\n  - file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 3, column 12: trigger.profile: must be created, updated, merged, split, "
     "deleted or erased"},
    {"name: f1\ntrigger:\n  schedule: {cron: '0 25 * * *'}\nsteps:\n"
     "  - file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 3, column 20: trigger.schedule.cron: cron hour: '25' out of range 0-23 at "
     "column 3"},
    {"name: f1\ntrigger:\n  schedule: {cron: '@daily', timezone: Mars/Base}\nsteps:\n"
     "  - file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 3, column 40: trigger.schedule.timezone: unknown time zone 'Mars/Base'"},
    {"name: f1\ntrigger:\n  webhook: {secret: short}\nsteps:\n"
     "  - file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 3, column 21: trigger.webhook.secret: must be at least 16 characters"},
    {HEAD "condition: event.amount > (1\nsteps:\n  - file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 4, column 12: condition: expression error: expected ')', found end of "
     "expression at 1:18 (line:column within the expression)"},
    {HEAD "steps:\n  - id: s1\n    smtp: {to: x}\n",
     "flow \"f1\": line 6, column 5: steps[0]: unknown key 'smtp' (step kinds: http, "
     "upsert_record, postgres, nats, file) (and 1 more error)"},
    {HEAD "steps:\n  - http:\n      url: 'http://x/{{ profile.id'\n",
     "flow \"f1\": line 6, column 12: steps[0].http.url: expression error: '{{' without a "
     "matching '}}' at 1:10 (line:column within the expression)"},
    {HEAD "steps:\n  - http:\n      url: 'ftp://x/'\n",
     "flow \"f1\": line 6, column 12: steps[0].http.url: url must start with http:// or https://"},
    {HEAD "steps:\n  - http:\n      url: 'http://x/'\n      methd: GET\n",
     "flow \"f1\": line 7, column 7: steps[0].http: unknown key 'methd' (valid keys: method, "
     "url, headers, body, secret, idempotency_key, timeout_ms)"},
    {HEAD "steps:\n  - http:\n      method: FETCH\n      url: 'http://x/'\n",
     "flow \"f1\": line 6, column 15: steps[0].http.method: method must be GET, POST, PUT, PATCH "
     "or DELETE"},
    {HEAD "steps:\n  - http:\n      url: 'http://x/'\n      timeout_ms: 0\n",
     "flow \"f1\": line 7, column 19: steps[0].http.timeout_ms: expected an integer from 1 to "
     "300000, got '0'"},
    {HEAD "steps:\n  - http:\n      url: 'http://x/'\n      body:\n        a: '{{ 1 + }}'\n",
     "flow \"f1\": line 8, column 12: steps[0].http.body.a: expression error: expected a value, "
     "found end of expression at 1:8 (line:column within the expression)"},
    {HEAD "steps:\n  - http: {}\n",
     "flow \"f1\": line 5, column 11: steps[0].http: missing required option 'url'"},
    {HEAD "steps:\n  - file: {path: relative.jsonl, body: {a: 1}}\n",
     "flow \"f1\": line 5, column 18: steps[0].file.path: path must be an absolute file path"},
    {HEAD "steps:\n  - postgres: {conninfo: x, table: t, key: [id], columns: {name: a}}\n",
     "flow \"f1\": line 5, column 44: steps[0].postgres.key: key column 'id' is not in columns"},
    {HEAD "steps:\n  - nats: {url: 'http://x', subject: s, body: {a: 1}}\n",
     "flow \"f1\": line 5, column 17: steps[0].nats.url: url must start with nats:// or tls://"},
    {HEAD "steps:\n  - upsert_record: {source: crm, fields: {a: 1}}\n",
     "flow \"f1\": line 5, column 20: steps[0].upsert_record: missing required option "
     "'record_id'"},
    {HEAD "steps:\n  - id: a\n    file: {path: /a, body: {a: 1}}\n  - id: a\n"
          "    file: {path: /b, body: {a: 1}}\n",
     "flow \"f1\": line 7, column 9: steps[1]: duplicate step id 'a'"},
    {HEAD "steps:\n  - when: 'x =='\n    file: {path: /a, body: {a: 1}}\n",
     "flow \"f1\": line 5, column 11: steps[0].when: expression error: expected a value, found "
     "end of expression at 1:5 (line:column within the expression)"},
    {HEAD "steps:\n  - file: {path: /a, body: {a: 1}}\n    http: {url: 'http://x'}\n",
     "flow \"f1\": line 6, column 5: steps[0]: has both 'file' and 'http'; one kind per step"},
    {HEAD "steps:\n  - file: {path: /a, body: {a: 1}}\nretry: {max_attempts: 0}\n",
     "flow \"f1\": line 6, column 23: retry.max_attempts: expected an integer from 1 to 100, got "
     "'0'"},
    {HEAD "steps:\n  - file: {path: /a, body: {a: 1}}\nenabled: maybe\n",
     "flow \"f1\": line 6, column 10: enabled: expected true or false (yes/no, on/off, 1/0), got "
     "'maybe'"},
};

Test(flowdef, every_mistake_names_flow_line_and_column)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        au_flowdef *f = (au_flowdef *)1;
        au_err err;
        au_err_init(&err);
        au_rc rc = au_flowdef_parse(bad[i].yaml, strlen(bad[i].yaml), NULL, &f, &err);
        cr_assert_neq(rc, AU_OK, "case %zu parsed:\n%s", i, bad[i].yaml);
        cr_assert_null(f);
        cr_expect(!strcmp(err.message, bad[i].message), "case %zu: got\n%s\nwant\n%s", i,
                  err.message, bad[i].message);
        au_err_cleanup(&err);
    }
}

Test(flowdef, all_errors_are_reported_as_details)
{
    const char *y = "name: f1\ntrigger:\n  event: {type: payment}\ncondition: 'a +'\n"
                    "steps:\n  - http: {url: 'ftp://x'}\n  - file: {path: x, body: {a: 1}}\n"
                    "concurrency: 100\n";
    au_flowdef *f;
    au_err err;
    au_err_init(&err);
    cr_assert_neq(au_flowdef_parse(y, strlen(y), NULL, &f, &err), AU_OK);
    cr_assert_eq(err.ndetails, 4, "%zu details: %s", err.ndetails, err.message);
    cr_assert(strstr(err.message, "(and 3 more errors)"), "%s", err.message);
    cr_assert_str_eq(err.details[0].record_id, "f1");
    cr_assert_str_eq(err.details[0].field, "condition");
    cr_assert_str_eq(err.details[1].field, "steps[0].http.url");
    cr_assert_str_eq(err.details[2].field, "steps[1].file.path");
    cr_assert_str_eq(err.details[3].field, "concurrency");
    cr_assert(!strncmp(err.details[3].reason, "line 8, column 14:", 18), "%s",
              err.details[3].reason);
    au_err_cleanup(&err);
}

Test(flowdef, name_must_match_the_saved_name)
{
    const char *y = HEAD "steps:\n  - file: {path: /a, body: {a: 1}}\n";
    au_flowdef *f;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(y, strlen(y), "other", &f, &err), AU_ERR_INVALID);
    cr_assert_str_eq(err.message, "flow \"f1\": line 1, column 7: name: does not match the flow "
                                  "name 'other' it is saved as");
    au_err_cleanup(&err);
}

/* Parses the example flow; on success checks it came out whole. */
static au_rc parse_example(void *arg)
{
    const char *text = arg;
    au_flowdef *f = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_flowdef_parse(text, strlen(text), NULL, &f, &err);
    if (!rc) {
        cr_assert_not_null(f);
        cr_assert_str_eq(f->name, "complaint-to-support");
    } else {
        cr_assert_null(f, "a failed parse returns no flow");
        cr_assert(rc == AU_ERR_NOMEM, "rc %d: %s", rc, err.message);
    }
    au_flowdef_free(f);
    au_err_cleanup(&err);
    return rc;
}

Test(flowdef, every_allocation_failure_is_reported_as_nomem)
{
    char *text = slurp("docs/flows/complaint-to-support.yaml");
    au_fault_every_allocation(parse_example, text);
    au_free(text);
}

/* What GET shows (secrets "********", credentials "[redacted]") sent back, even with the steps
 * reordered, gets the stored values back; a placeholder nothing stands behind is found. */
Test(flowdef, placeholders_sent_back_keep_the_stored_values)
{
    const char *yaml = "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
                       "steps:\n  - id: a\n    http:\n      url: \"https://x.test/p?token=t0k\"\n"
                       "      secret: \"sign-secret-1\"\n"
                       "      headers: {Authorization: \"Bearer b3arer\"}\n"
                       "  - id: b\n    file: {path: /tmp/x.jsonl, body: {k: 1}}\n";
    au_flowdef *old = NULL, *nf = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(yaml, strlen(yaml), "f", &old, &err), AU_OK, "%s", err.message);
    json_t *nw = au_flowdef_to_json(old, 1), *steps = json_object_get(nw, "steps");
    json_t *first = json_incref(json_array_get(steps, 0));
    json_array_remove(steps, 0);
    json_array_append_new(steps, first);
    char path[128];
    cr_assert_eq(au_flowdef_keep_hidden(nw, old), 4, "webhook secret, step secret, url, header");
    json_t *want = json_deep_copy(old->json), *ws = json_object_get(want, "steps");
    first = json_incref(json_array_get(ws, 0));
    json_array_remove(ws, 0);
    json_array_append_new(ws, first);
    cr_assert(json_equal(nw, want), "the stored values are back");
    char *text = json_dumps(nw, 0);
    cr_assert_eq(au_flowdef_parse(text, strlen(text), "f", &nf, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_flowdef_placeholder_at(nf, path, sizeof(path)), 0);
    free(text);
    au_flowdef_free(nf);
    nf = NULL;
    /* a new step holding a placeholder: nothing to put back, and it is found */
    json_object_set_new(json_object_get(json_array_get(steps, 0), "file"), "path",
                        json_string("/tmp/[redacted].jsonl"));
    cr_assert_eq(au_flowdef_keep_hidden(nw, NULL), 0);
    text = json_dumps(nw, 0);
    cr_assert_eq(au_flowdef_parse(text, strlen(text), "f", &nf, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_flowdef_placeholder_at(nf, path, sizeof(path)), 1);
    cr_assert_str_eq(path, "steps[0].file.path");
    free(text);
    json_decref(nw);
    json_decref(want);
    au_flowdef_free(nf);
    au_flowdef_free(old);
    au_err_cleanup(&err);
}

Test(flowdef, alias_bombs_and_huge_mappings_are_refused)
{
    /* Each level repeats the previous one 10 times: 10^6 values if expanded. */
    const char *y = "name: bomb\ntrigger: {event: x}\n"
                    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                    "steps:\n  - file: {path: /a, body: {v: *e}}\n";
    au_flowdef *f;
    au_err err;
    au_err_init(&err);
    /* The YAML loader refuses it before the flow is walked: the expanded tree is over budget. */
    cr_assert_eq(au_flowdef_parse(y, strlen(y), NULL, &f, &err), AU_ERR_TOO_LARGE);
    cr_assert(strstr(err.message, "more than 100000 nodes"), "%s", err.message);
    au_err_cleanup(&err);
    /* Under the loader's budget, the walk's own budget of values still holds: 10^4 copies of a
     * one-key mapping fit the tree (about 66000 nodes) but not the 20000 values of a step. */
    const char *y2 = "name: bomb\ntrigger: {event: x}\n"
                     "x-a: &a [{k: x}, {k: x}, {k: x}, {k: x}, {k: x}, {k: x}, {k: x}, {k: x}, "
                     "{k: x}, {k: x}]\n"
                     "x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                     "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                     "x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                     "steps:\n  - file: {path: /a, body: {v: *d}}\n";
    au_err_init(&err);
    cr_assert_neq(au_flowdef_parse(y2, strlen(y2), NULL, &f, &err), AU_OK);
    int found = 0;
    for (size_t i = 0; i < err.ndetails; i++)
        found |= strstr(err.details[i].reason, "more than 20000 values") != NULL;
    cr_assert(found, "%s", err.message);
    au_err_cleanup(&err);
}

/* An inline flow of the configuration file is validated on its node of the file's YAML tree:
 * the error gives the line and column in that file, not in a re-dumped text. */
Test(flowdef, an_inline_flow_names_the_line_of_the_configuration_file)
{
    char path[] = "/tmp/aurum-flowdef-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "listen: 127.0.0.1:0\n"
                       "flows:\n"
                       "  - name: audit\n"
                       "    trigger: {event: order}\n"
                       "    steps:\n"
                       "      - file:\n"
                       "          path: /tmp/a.jsonl\n"
                       "          body: {id: '{{ event.id }}'}\n"
                       "          mode: append\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    au_config *cfg = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(path, &cfg, &err), AU_OK, "%s", err.message);
    const au_ynode *flows = au_config_node(cfg, "flows");
    cr_assert_not_null(flows);
    cr_assert_eq(flows->kind, AU_YAML_SEQ);
    au_flowdef *f = NULL;
    cr_assert_eq(au_flowdef_from_node(flows->items[0], NULL, &f, &err), AU_ERR_INVALID);
    cr_assert_str_eq(err.message, "flow \"audit\": line 9, column 11: steps[0].file: unknown key "
                                  "'mode' (valid keys: path, body)");
    au_err_cleanup(&err);
    au_config_free(cfg);
    unlink(path);
}
