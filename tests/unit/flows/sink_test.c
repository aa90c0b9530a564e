/*
 * Tests of the stand-in target (flows/sink.h): what arrives is answered 200 and recorded as one
 * JSON line with the flow headers and the parsed body.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "flows/sink.h"

static size_t discard(char *p, size_t s, size_t n, void *ctx)
{
    return s * n;
}

static long post(int port, const char *path, const char *body, const char *key)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char kh[128];
    snprintf(kh, sizeof(kh), "Idempotency-Key: %s", key);
    h = curl_slist_append(h, kh);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

Test(sink, records_each_request_as_a_json_line)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    au_sink *s = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_sink_start("127.0.0.1:0", out, &s, &err), AU_OK, "%s", err.message);
    cr_assert_gt(au_sink_port(s), 0);
    cr_assert_eq(post(au_sink_port(s), "/dunning/close", "{\"amount\":113.43}", "pay-1"), 200);
    cr_assert_eq(post(au_sink_port(s), "/raw", "not json", "k2"), 200);
    cr_assert_eq(au_sink_count(s), 2);
    au_sink_free(s);
    fclose(out);

    char *nl = strchr(buf, '\n');
    cr_assert_not_null(nl);
    json_t *first = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
    cr_assert_not_null(first);
    cr_assert_str_eq(json_string_value(json_object_get(first, "path")), "/dunning/close");
    cr_assert_str_eq(json_string_value(json_object_get(first, "method")), "POST");
    json_t *h = json_object_get(first, "headers");
    cr_assert_str_eq(json_string_value(json_object_get(h, "Idempotency-Key")), "pay-1");
    double amount = json_real_value(json_object_get(json_object_get(first, "body"), "amount"));
    cr_assert_float_eq(amount, 113.43, 1e-9);
    json_t *second = json_loads(nl + 1, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(second, "body")), "not json");
    json_decref(first);
    json_decref(second);
    free(buf);
}

Test(sink, refuses_a_bad_listen_address)
{
    au_sink *s = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_sink_start("localhost", stdout, &s, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "ADDR:PORT"), "%s", err.message);
}
