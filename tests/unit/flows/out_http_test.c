/*
 * Tests of the `http` connector against a real HTTP receiver on 127.0.0.1: request building
 * (method, URL template, headers, JSON body, Idempotency-Key, HMAC signature the receiver can
 * verify) and the three-way classification (200 OK, 500 retry, 429 + Retry-After retry with the
 * delay, 400 fail, connection refused retry, time-out retry).
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "lib/alloc.h"
#include "lib/netpolicy.h"
#include "../../support/receiver.h"

#define SECRET "collections-test-secret"

typedef struct fixture {
    rt_receiver *r;
    au_flowdef *f;
    void *state;
    json_t *ctx;
} fixture;

static void setup(fixture *fx, int port, const char *extra)
{
    char *y =
        au_asprintf("name: pay\ntrigger: {event: payment}\nsteps:\n  - http:\n"
                    "      url: 'http://127.0.0.1:%d/cases/{{ event.properties.case }}/close'\n"
                    "      secret: " SECRET "\n"
                    "      idempotency_key: 'payment-{{ event.id }}'\n"
                    "      headers: {X-Test: '{{ upper(event.source) }}'}\n"
                    "      body:\n        amount: '{{ event.properties.amount }}'\n"
                    "        reason: paid\n%s",
                    port, extra ? extra : "");
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(y, strlen(y), NULL, &fx->f, &err), AU_OK, "%s", err.message);
    fx->state = NULL;
    cr_assert_eq(fx->f->steps[0].connector->prepare(&fx->f->steps[0], &fx->state, &err), AU_OK);
    fx->ctx = json_loads("{\"event\":{\"id\":\"p-1\",\"source\":\"billing\",\"properties\":"
                         "{\"case\":\"D 77/a\",\"amount\":120.5}}}",
                         0, NULL);
    au_err_cleanup(&err);
    au_free(y);
}

static void send(fixture *fx, au_delivery *d)
{
    fx->f->steps[0].connector->send(fx->state, &fx->f->steps[0], fx->ctx, 0, d);
}

static void teardown(fixture *fx)
{
    fx->f->steps[0].connector->close(fx->state);
    au_flowdef_free(fx->f);
    json_decref(fx->ctx);
    rt_receiver_free(fx->r);
}

Test(out_http, delivers_signed_idempotent_json_and_gets_ok)
{
    fixture fx = {.r = rt_receiver_start(0)};
    cr_assert_not_null(fx.r);
    setup(&fx, rt_receiver_port(fx.r), NULL);
    au_delivery d;
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_OK, "%s", d.message);
    cr_assert_eq(d.http_status, 200);
    cr_assert_eq(rt_receiver_count(fx.r), 1);
    rt_request q;
    rt_receiver_get(fx.r, 0, &q);
    cr_assert_str_eq(q.method, "POST");
    cr_assert_str_eq(q.url, "/cases/D 77/a/close", "MHD decodes %%20 and %%2F back");
    cr_assert_str_eq(q.content_type, "application/json");
    cr_assert_str_eq(q.idempotency_key, "payment-p-1");
    cr_assert_str_eq(q.custom, "BILLING");
    json_t *body = json_loadb(q.body, q.body_len, 0, NULL);
    cr_assert_not_null(body, "body is JSON: %.*s", (int)q.body_len, q.body);
    cr_assert_eq(json_real_value(json_object_get(body, "amount")), 120.5);
    cr_assert_str_eq(json_string_value(json_object_get(body, "reason")), "paid");
    json_decref(body);

    /* The receiver verifies the signature over the exact body bytes with the shared secret. */
    cr_assert_eq(strncmp(q.signature, "sha256=", 7), 0, "%s", q.signature);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    size_t maclen;
    cr_assert_eq(sodium_hex2bin(mac, sizeof(mac), q.signature + 7, strlen(q.signature + 7), NULL,
                                &maclen, NULL),
                 0);
    cr_assert_eq(maclen, sizeof(mac));
    unsigned char key[crypto_auth_hmacsha256_KEYBYTES] = {0};
    memcpy(key, SECRET, strlen(SECRET));
    cr_assert_eq(crypto_auth_hmacsha256_verify(mac, (const unsigned char *)q.body, q.body_len, key),
                 0, "signature verifies");
    q.body[0] = '[';
    cr_assert_neq(
        crypto_auth_hmacsha256_verify(mac, (const unsigned char *)q.body, q.body_len, key), 0,
        "a changed body does not verify");
    teardown(&fx);
}

Test(out_http, server_errors_are_retried)
{
    fixture fx = {.r = rt_receiver_start(0)};
    setup(&fx, rt_receiver_port(fx.r), NULL);
    rt_receiver_answer(fx.r, 500, NULL, 0);
    au_delivery d;
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_RETRY);
    cr_assert_eq(d.http_status, 500);
    cr_assert_eq(d.retry_after_ms, -1);
    cr_assert(strstr(d.message, "HTTP 500"), "%s", d.message);
    rt_receiver_answer(fx.r, 200, NULL, 0);
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_OK, "the retry succeeds");
    rt_request a, b;
    rt_receiver_get(fx.r, 0, &a);
    rt_receiver_get(fx.r, 1, &b);
    cr_assert_str_eq(a.idempotency_key, b.idempotency_key, "same key on retry");
    teardown(&fx);
}

Test(out_http, too_many_requests_returns_the_retry_after_delay)
{
    fixture fx = {.r = rt_receiver_start(0)};
    setup(&fx, rt_receiver_port(fx.r), NULL);
    rt_receiver_answer(fx.r, 429, "7", 0);
    au_delivery d;
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_RETRY);
    cr_assert_eq(d.http_status, 429);
    cr_assert_eq(d.retry_after_ms, 7000);
    rt_receiver_answer(fx.r, 503, "Wed, 21 Oct 2015 07:28:00 GMT", 0);
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_RETRY);
    cr_assert_eq(d.retry_after_ms, 0, "a date in the past means now");
    teardown(&fx);
}

Test(out_http, client_errors_fail)
{
    fixture fx = {.r = rt_receiver_start(0)};
    setup(&fx, rt_receiver_port(fx.r), NULL);
    int codes[] = {400, 401, 404, 409, 422, 301};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        rt_receiver_answer(fx.r, codes[i], NULL, 0);
        au_delivery d;
        send(&fx, &d);
        cr_assert_eq(d.status, AU_DELIVER_FAIL, "status %d", codes[i]);
        cr_assert_eq(d.http_status, codes[i]);
    }
    rt_receiver_answer(fx.r, 408, NULL, 0);
    au_delivery d;
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_RETRY, "408 is retried");
    teardown(&fx);
}

Test(out_http, connection_refused_and_timeouts_are_retried)
{
    /* A port that was free a moment ago: start a receiver, note its port, stop it. */
    rt_receiver *tmp = rt_receiver_start(0);
    int port = rt_receiver_port(tmp);
    rt_receiver_free(tmp);
    fixture fx = {.r = NULL};
    setup(&fx, port, NULL);
    au_delivery d;
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_RETRY, "%s", d.message);
    cr_assert_eq(d.http_status, 0);
    teardown(&fx);

    fx.r = rt_receiver_start(0);
    setup(&fx, rt_receiver_port(fx.r), "      timeout_ms: 200\n");
    rt_receiver_answer(fx.r, 200, NULL, 5000);
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_RETRY, "%s", d.message);
    cr_assert(strstr(d.message, "Timeout"), "%s", d.message);
    teardown(&fx);
}

Test(out_http, evaluation_errors_fail_without_sending)
{
    fixture fx = {.r = rt_receiver_start(0)};
    setup(&fx, rt_receiver_port(fx.r), NULL);
    json_decref(fx.ctx);
    fx.ctx = json_loads("{\"event\":{\"source\":7,\"properties\":{}}}", 0, NULL);
    au_delivery d;
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_FAIL);
    cr_assert_str_eq(d.message, "headers: upper(): argument 1 must be a string, not number at 1:4");
    cr_assert_eq(rt_receiver_count(fx.r), 0);
    teardown(&fx);
}

Test(out_http, the_outbound_policy_refuses_loopback_after_resolution_for_good)
{
    fixture fx = {.r = rt_receiver_start(0)};
    au_netpolicy *p = NULL, *lo = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_netpolicy_new(NULL, &p, &err), AU_OK);
    json_t *allow = json_loads("{\"allow\": [\"loopback\"]}", 0, NULL);
    cr_assert_eq(au_netpolicy_new(allow, &lo, &err), AU_OK);
    json_decref(allow);
    setup(&fx, rt_receiver_port(fx.r), NULL);
    au_delivery d;
    au_netpolicy_install(p);
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_FAIL, "a policy refusal is never retried: %s", d.message);
    cr_assert(strstr(d.message, "outbound policy") && strstr(d.message, "loopback"), "%s",
              d.message);
    cr_assert_eq(rt_receiver_count(fx.r), 0, "no connection was made");
    au_netpolicy_install(lo);
    send(&fx, &d);
    cr_assert_eq(d.status, AU_DELIVER_OK, "allowed explicitly: %s", d.message);
    au_netpolicy_install(NULL);
    au_netpolicy_free(p);
    au_netpolicy_free(lo);
    au_err_cleanup(&err);
    teardown(&fx);
}

/* The result of validating a flow whose http url is `url`; message in msg. */
static au_rc parse_url(const char *url, char *msg, size_t cap)
{
    char *y = au_asprintf("name: t\ntrigger: {event: x}\nsteps:\n  - http: {url: '%s'}\n", url);
    au_flowdef *f = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_flowdef_parse(y, strlen(y), NULL, &f, &err);
    snprintf(msg, cap, "%s", rc ? err.message : "");
    au_flowdef_free(f);
    au_err_cleanup(&err);
    au_free(y);
    return rc;
}

Test(out_http, a_template_may_not_choose_the_scheme_host_or_port)
{
    const char *bad[] = {"http://{{ event.host }}/x", "http://api.example:{{ event.port }}/x",
                         "http://{{ event.user }}@api.example/x", "http://api{{ event.id }}/x",
                         NULL};
    const char *good[] = {"http://api.example/{{ event.id }}",
                          "https://api.example:8443/x?q={{ event.id }}", NULL};
    char msg[512];
    for (int i = 0; bad[i]; i++) {
        cr_assert_eq(parse_url(bad[i], msg, sizeof(msg)), AU_ERR_INVALID, "%s", bad[i]);
        cr_assert(strstr(msg, "may not hold a template"), "%s", msg);
    }
    for (int i = 0; good[i]; i++)
        cr_assert_eq(parse_url(good[i], msg, sizeof(msg)), AU_OK, "%s: %s", good[i], msg);
}
