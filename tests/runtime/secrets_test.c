/*
 * Black-box tests of secrets, redaction, the outbound policy and webhook signatures with the
 * real daemon (docs/SECRETS.md): a secret reaches the target and nothing else — no route, run,
 * dead letter, dry run, log line or store file holds it —; credentials written into
 * definitions are redacted by type; a step cannot reach loopback unless allowed, nor template
 * its host; response bodies are for admin keys; webhooks refuse stale, replayed and unsigned
 * calls, and answer an unknown flow exactly as a wrong secret; a definition read from the API
 * and saved back keeps its hidden values instead of storing their placeholders.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "../support/receiver.h"
#include "flows_helpers.h"
#include "harness.h"

#define VALUE "Zq9-secret-value-7731"

TestSuite(secrets, .fini = au_rt_cleanup_all);

static char *text_of(au_rt_daemon *d, const char *path, const char *key)
{
    au_rt_resp r = {0};
    long st = au_rt_request(d, "GET", path, NULL, NULL, 0, key ? key : d->admin_key, &r);
    cr_assert_eq(st, 200, "GET %s: %ld %s", path, st, r.body);
    char *t = strdup(r.body);
    au_rt_resp_cleanup(&r);
    return t;
}

static void assert_absent(const char *where, const char *text, const char *needle)
{
    cr_assert_null(strstr(text, needle), "%s holds %s: %s", where, needle, text);
}

/* Calls the webhook of flow with the plain secret and the current timestamp. */
static long fire(au_rt_daemon *d, const char *flow, const char *secret, const char *body,
                 au_rt_resp *out)
{
    char path[128], ts[64], sec[160];
    snprintf(path, sizeof(path), "/v1/hooks/%s", flow);
    snprintf(ts, sizeof(ts), "X-Aurum-Timestamp: %lld", (long long)time(NULL));
    snprintf(sec, sizeof(sec), "X-Aurum-Secret: %s", secret);
    const char *h[] = {ts, sec, NULL};
    return au_rt_request_h(d, "POST", path, h, NULL, body, strlen(body), NULL, out);
}

/* 1 when some file of dir holds needle (bytes). */
static int dir_holds(const char *dir, const char *needle)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    int found = 0;
    cr_assert_not_null(dp);
    while (!found && (de = readdir(dp))) {
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        static char buf[1 << 20];
        size_t n, keep = 0, nl = strlen(needle);
        while ((n = fread(buf + keep, 1, sizeof(buf) - keep, f)) > 0 && !found) {
            n += keep;
            found = memmem(buf, n, needle, nl) != NULL;
            keep = n >= nl ? nl - 1 : n;
            memmove(buf, buf + n - keep, keep);
        }
        fclose(f);
    }
    closedir(dp);
    return found;
}

Test(secrets, a_secret_reaches_the_target_and_nothing_else, .timeout = 90)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char yaml[1024], rd[80];
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, rd, "read", NULL), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    rt_call(&d, "PUT", "/v1/secrets/crm_token", "{\"value\":\"" VALUE "\"}", 200);
    rt_call(&d, "PUT", "/v1/secrets/bad-name", "{\"value\":\"x\"}", 400);
    rt_call(&d, "PUT", "/v1/secrets/crm_token2", "{\"value\":12}", 400);
    cr_assert_eq(au_rt_request(&d, "PUT", "/v1/secrets/x", NULL, "{\"value\":\"v\"}", 13, rd, &r),
                 403, "admin only");
    au_rt_resp_cleanup(&r);
    char *t = text_of(&d, "/v1/secrets", NULL);
    cr_assert(strstr(t, "crm_token"), "%s", t);
    assert_absent("GET /v1/secrets", t, VALUE);
    free(t);
    snprintf(yaml, sizeof(yaml),
             "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
             "retry: {max_attempts: 1}\n"
             "steps:\n  - id: send\n    http:\n"
             "      url: \"http://127.0.0.1:%d/s/{{ webhook.id }}?token={{ secret.crm_token }}\"\n"
             "      headers: {X-Test: \"{{ secret.crm_token }}\", Authorization: \"Bearer {{ "
             "secret.crm_token }}\"}\n"
             "      body: {t: \"{{ secret.crm_token }}\"}\n",
             rt_receiver_port(rx));
    rt_flow_put(&d, "s1", yaml);
    rt_receiver_answer(rx, 422, NULL, 0);
    cr_assert_eq(fire(&d, "s1", "hook-secret-0123456789", "{\"id\":\"a1\"}", &r), 202, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(rt_receiver_wait(rx, 1, 30), 1);
    rt_request q;
    rt_receiver_get(rx, 0, &q);
    cr_assert_str_eq(q.custom, VALUE, "the target gets the value");
    cr_assert(strstr(q.body, VALUE), "%s", q.body);
    json_decref(rt_flow_runs_when(&d, "s1", "status=failed", 1));
    const char *reads[] = {"/v1/deadletters?flow=s1", "/v1/flows/s1/runs?context=1", "/v1/flows",
                           "/v1/flows/s1", NULL};
    for (int i = 0; reads[i]; i++) {
        t = text_of(&d, reads[i], NULL);
        assert_absent(reads[i], t, VALUE);
        free(t);
    }
    t = text_of(&d, "/v1/deadletters?flow=s1", NULL);
    cr_assert(strstr(t, "[secret:crm_token]"), "the dead letter names the secret: %s", t);
    cr_assert(strstr(t, "ok"), "an admin sees the response body: %s", t);
    free(t);
    t = text_of(&d, "/v1/deadletters?flow=s1", rd);
    cr_assert(strstr(t, "HTTP 422 [response body: admin only]"), "%s", t);
    assert_absent("dead letters for a read key", t, "ok\\\"");
    free(t);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/flows/s1/test", "{\"webhook\":{\"id\":\"x\"}}", &r),
                 200, "%s", r.body);
    cr_assert(strstr(r.body, "[secret:crm_token]"), "%s", r.body);
    assert_absent("dry run", r.body, VALUE);
    au_rt_resp_cleanup(&r);
    /* A restart opens the same store with the key it generated. */
    cr_assert_eq(au_rt_stop(&d), 0);
    char *log = au_rt_log(&d);
    assert_absent("the log", log, VALUE);
    free(log);
    cr_assert(!dir_holds(d.dir, VALUE), "a file of the data directory holds the secret");
    cr_assert_eq(au_rt_restart(&d), 0);
    rt_receiver_answer(rx, 200, NULL, 0);
    cr_assert_eq(fire(&d, "s1", "hook-secret-0123456789", "{\"id\":\"a2\"}", &r), 202);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(rt_receiver_wait(rx, 2, 30), 2);
    rt_receiver_get(rx, 1, &q);
    cr_assert_str_eq(q.custom, VALUE);
    rt_call(&d, "DELETE", "/v1/secrets/crm_token", NULL, 200);
    rt_call(&d, "DELETE", "/v1/secrets/crm_token", NULL, 404);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(secrets, credentials_in_definitions_are_redacted_by_type, .timeout = 60)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    rt_flow_put(&d, "creds",
                "trigger: {event: payment}\nsteps:\n"
                "  - http:\n      url: \"https://bob:urlpass77@crm.example/x?key=querykey88\"\n"
                "      headers: {Authorization: \"Bearer literal-tok-99\", X-Test: keep-me}\n"
                "  - postgres:\n      conninfo: \"host=db.example password=pgpass66 "
                "dbname=crm\"\n      table: t\n      key: [id]\n      columns: {id: x}\n");
    char *t = text_of(&d, "/v1/flows/creds", NULL);
    const char *secrets[] = {"urlpass77", "querykey88", "literal-tok-99", "pgpass66", NULL};
    for (int i = 0; secrets[i]; i++)
        assert_absent("GET /v1/flows/creds", t, secrets[i]);
    cr_assert(strstr(t, "keep-me") && strstr(t, "host=db.example"), "the rest stays: %s", t);
    free(t);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

Test(secrets, steps_reach_loopback_only_when_allowed_and_never_a_templated_host, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char yaml[1024];
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, "outbound: {allow: [\"10.0.0.0/8\"]}\n"), 0);
    snprintf(yaml, sizeof(yaml),
             "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
             "steps:\n  - http: {url: \"http://127.0.0.1:%d/internal\"}\n",
             rt_receiver_port(rx));
    rt_flow_put(&d, "ssrf", yaml);
    cr_assert_eq(fire(&d, "ssrf", "hook-secret-0123456789", "{}", &r), 202);
    au_rt_resp_cleanup(&r);
    json_t *runs = rt_flow_runs_when(&d, "ssrf", "status=failed", 1);
    const char *err = json_string_value(
        json_object_get(json_array_get(json_object_get(runs, "runs"), 0), "error"));
    cr_assert(err && strstr(err, "outbound policy") && strstr(err, "loopback"), "%s", err);
    cr_assert(strstr(err, "permanent failure"), "not retried: %s", err);
    json_decref(runs);
    cr_assert_eq(rt_receiver_count(rx), 0, "nothing reached the loopback target");
    /* PostgreSQL and NATS steps are checked on their resolved host too (never contacted). */
    rt_flow_put(&d, "pg",
                "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
                "steps:\n  - postgres: {conninfo: \"host=localhost port=5 dbname=x\", table: t, "
                "key: [id], columns: {id: \"1\"}}\n");
    rt_flow_put(&d, "nats",
                "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
                "steps:\n  - nats: {url: \"nats://127.0.0.1:5\", subject: s, body: {}}\n");
    const char *more[] = {"pg", "nats", NULL};
    for (int i = 0; more[i]; i++) {
        char body[64]; /* the same signed call to another flow would be a replay */
        snprintf(body, sizeof(body), "{\"n\":%d}", i);
        cr_assert_eq(fire(&d, more[i], "hook-secret-0123456789", body, &r), 202, "%s", r.body);
        au_rt_resp_cleanup(&r);
        runs = rt_flow_runs_when(&d, more[i], "status=failed", 1);
        err = json_string_value(
            json_object_get(json_array_get(json_object_get(runs, "runs"), 0), "error"));
        cr_assert(err && strstr(err, "outbound policy") && strstr(err, "permanent"), "%s: %s",
                  more[i], err);
        json_decref(runs);
    }
    const char *bad = "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
                      "steps:\n  - http: {url: \"http://{{ webhook.host }}/x\"}\n";
    cr_assert_eq(au_rt_request(&d, "PUT", "/v1/flows/hosty", "application/yaml", bad, strlen(bad),
                               d.admin_key, &r),
                 400);
    cr_assert(strstr(r.body, "may not hold a template"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(secrets, webhooks_refuse_stale_calls_and_answer_unknown_flows_alike, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp a = {0}, b = {0}, c = {0};
    cr_assert_eq(au_rt_start(&d, "webhooks: {max_age_s: 60}\n"), 0);
    rt_flow_put(&d, "known",
                "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
                "steps:\n  - file: {path: /dev/null, body: {}}\n");
    long sa = fire(&d, "known", "wrong-secret-000000000", "{}", &a);
    long sb = fire(&d, "unknown", "wrong-secret-000000000", "{}", &b);
    long sc = fire(&d, "unknown", "hook-secret-0123456789", "{}", &c);
    cr_assert_eq(sa, 401);
    cr_assert_eq(sb, sa);
    cr_assert_eq(sc, sa);
    cr_assert_str_eq(a.body, b.body, "unknown and known flows answer alike");
    cr_assert_str_eq(a.body, c.body);
    au_rt_resp_cleanup(&a);
    au_rt_resp_cleanup(&b);
    au_rt_resp_cleanup(&c);
    char old[64];
    snprintf(old, sizeof(old), "X-Aurum-Timestamp: %lld", (long long)time(NULL) - 120);
    const char *h[] = {old, "X-Aurum-Secret: hook-secret-0123456789", NULL};
    cr_assert_eq(au_rt_request_h(&d, "POST", "/v1/hooks/known", h, NULL, "{}", 2, NULL, &a), 401,
                 "older than the window");
    cr_assert(strstr(a.body, "window"), "%s", a.body);
    au_rt_resp_cleanup(&a);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

/* Runs `aurum secrets ARGS` against d with the value on stdin; the exit status, output in out. */
static int cli(au_rt_daemon *d, const char *args, const char *stdin_text, char *out, size_t cap)
{
    char cmd[1024];
    const char *bin = getenv("AURUM_BIN") ? getenv("AURUM_BIN") : "build/aurum";
    snprintf(cmd, sizeof(cmd),
             "printf '%%s' '%s' | AURUM_KEY=%s %s secrets %s --server "
             "http://127.0.0.1:%d 2>&1",
             stdin_text ? stdin_text : "", d->admin_key, bin, args, d->port);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(secrets, the_cli_sets_lists_and_removes_without_showing_values, .timeout = 60)
{
    au_rt_daemon d;
    char out[4096];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(cli(&d, "set pg_password", VALUE "\n", out, sizeof(out)), 0, "%s", out);
    cr_assert_eq(cli(&d, "list", NULL, out, sizeof(out)), 0, "%s", out);
    cr_assert(strstr(out, "pg_password"), "%s", out);
    assert_absent("aurum secrets list", out, VALUE);
    cr_assert_eq(cli(&d, "set bad-name", "v", out, sizeof(out)), 1, "%s", out);
    cr_assert_eq(cli(&d, "set empty", "", out, sizeof(out)), 1, "%s", out);
    cr_assert_eq(cli(&d, "rm pg_password", NULL, out, sizeof(out)), 0, "%s", out);
    cr_assert_eq(cli(&d, "rm pg_password", NULL, out, sizeof(out)), 1, "%s", out);
    cr_assert(strstr(out, "no secret named"), "%s", out);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

/* The webhooks section is a declared option: a bad value stops the daemon with the option's
 * bounds and its line and column in the configuration file (the harness writes one line of its
 * own first). */
Test(secrets, a_bad_webhooks_value_names_its_line_in_the_configuration, .timeout = 30)
{
    au_rt_daemon d;
    cr_assert_neq(au_rt_start(&d, "webhooks: {max_age_s: 0}\n"), 0);
    char *log = au_rt_log(&d);
    cr_assert_not_null(log);
    cr_assert(strstr(log, "config.yaml:2:23: webhooks.max_age_s: expected an integer from 1 to "
                          "86400, got '0'"),
              "%s", log);
    free(log);
    au_rt_cleanup(&d);
}

/* The definition part of a GET /v1/flows/{name} answer, as a client would send it back. */
static char *definition_of(au_rt_daemon *d, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s", name);
    json_t *j = rt_get(d, path), *def = json_object();
    const char *keys[] = {"name",  "description", "enabled",     "trigger", "condition",
                          "steps", "retry",       "concurrency", NULL};
    for (int i = 0; keys[i]; i++)
        if (json_object_get(j, keys[i]))
            json_object_set(def, keys[i], json_object_get(j, keys[i]));
    char *t = json_dumps(def, JSON_SORT_KEYS);
    json_decref(j);
    json_decref(def);
    return t;
}

/* The console's builder reads a flow (secrets shown as "********", credentials as
 * "[redacted]") and saves it back: the stored values stay, the placeholders are never saved;
 * a placeholder that matches nothing stored is refused with where it is. */
Test(secrets, a_flow_read_and_saved_back_keeps_its_hidden_values, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char yaml[1024];
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    snprintf(yaml, sizeof(yaml),
             "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
             "steps:\n  - id: audit\n    file: {path: /dev/null, body: {a: 1}}\n"
             "  - id: send\n    http:\n"
             "      url: \"http://127.0.0.1:%d/k?token=querytok88\"\n"
             "      secret: \"step-signing-secret-42\"\n"
             "      body: {order: \"{{ webhook.order }}\", api_token: \"body-tok-77\"}\n",
             rt_receiver_port(rx));
    rt_flow_put(&d, "kept", yaml);
    char *shown = definition_of(&d, "kept");
    cr_assert(strstr(shown, "********") && strstr(shown, "token=[redacted]") &&
                  !strstr(shown, "body-tok-77"),
              "%s", shown);
    rt_call(&d, "PUT", "/v1/flows/kept", shown, 200);
    char *again = definition_of(&d, "kept");
    cr_assert_str_eq(again, shown, "reading after saving back shows the same");
    free(again);
    /* the steps reordered, as the builder may: secrets follow their step's id */
    json_t *j = json_loads(shown, 0, NULL), *steps = json_object_get(j, "steps");
    json_t *first = json_incref(json_array_get(steps, 0));
    json_array_remove(steps, 0);
    json_array_append_new(steps, first);
    char *reordered = json_dumps(j, 0);
    json_decref(j);
    rt_call(&d, "PUT", "/v1/flows/kept", reordered, 200);
    free(reordered);

    /* the real webhook secret, URL token and signing secret are still in force */
    cr_assert_eq(fire(&d, "kept", "hook-secret-0123456789", "{\"order\":\"o1\"}", &r), 202,
                 "the webhook secret is the stored one: %s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(rt_receiver_wait(rx, 1, 30), 1);
    rt_request q;
    rt_receiver_get(rx, 0, &q);
    cr_assert_str_eq(q.url, "/k");
    cr_assert(strstr(q.body, "\"body-tok-77\""), "the body's credential is the stored one: %s",
              q.body);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof(mac) + 1], want[80];
    cr_assert(sodium_init() >= 0);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)"step-signing-secret-42", 22);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)q.body, q.body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(want, sizeof(want), "sha256=%s", hex);
    cr_assert_str_eq(q.signature, want, "signed with the stored secret, not the placeholder");

    /* a placeholder with no stored value behind it is refused, naming where it is */
    const char *bad = "{\"trigger\":{\"event\":\"payment\"},\"steps\":[{\"id\":\"s\","
                      "\"http\":{\"url\":\"http://127.0.0.1:1/x\",\"secret\":\"********\"}}]}";
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/flows/fresh", bad, &r), 400, "%s", r.body);
    cr_assert(strstr(r.body, "steps[0].http.secret") && strstr(r.body, "placeholder"), "%s",
              r.body);
    au_rt_resp_cleanup(&r);
    /* an edited URL that still holds a redacted part cannot be restored either */
    j = json_loads(shown, 0, NULL);
    json_t *http = json_object_get(json_array_get(json_object_get(j, "steps"), 1), "http");
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/other?token=[redacted]", rt_receiver_port(rx));
    json_object_set_new(http, "url", json_string(url));
    char *edited = json_dumps(j, 0);
    json_decref(j);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/flows/kept", edited, &r), 400, "%s", r.body);
    cr_assert(strstr(r.body, "steps[1].http.url"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    free(edited);
    free(shown);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}
