/*
 * The --server mode's HTTP call (http_client.h): libcurl easy handle per call, the answer read
 * into a bounded buffer so a wrong URL cannot make the CLI grow without limit.
 */
#include "cli/http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"

/* Largest answer read (a quality report of many sources with their series). */
#define CLI_HTTP_MAX_RESPONSE (64u << 20)

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    return au_buf_append(ctx, p, size * n) ? 0 : size * n;
}

/* The message of a daemon's {"error":{"message"}} body, or the body itself. */
static au_rc answer_error(long status, const au_buf *b, au_err *err)
{
    json_t *j = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    au_rc rc = status == 404   ? AU_ERR_NOT_FOUND
               : status == 401 ? AU_ERR_UNAUTHORIZED
               : status == 403 ? AU_ERR_FORBIDDEN
               : status < 500  ? AU_ERR_INVALID
                               : AU_ERR_IO;
    au_err_set(err, rc, "server answered %ld: %s", status, msg ? msg : "no message");
    json_decref(j);
    return rc;
}

au_rc au_cli_http_json(const char *method, const char *server, const char *path, const char *key,
                       const char *body, json_t **out, au_err *err)
{
    au_rc rc = AU_OK;
    au_buf b;
    long status = 0;
    struct curl_slist *hdr = NULL;
    char *url = au_asprintf("%s%s", server, path);
    const char *k = key ? key : getenv("AURUM_KEY");
    char *auth = k ? au_asprintf("Authorization: Bearer %s", k) : NULL;
    CURL *c = curl_easy_init();
    au_buf_init(&b, CLI_HTTP_MAX_RESPONSE);
    *out = NULL;
    if (!url || !c || (k && !auth)) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (auth)
        hdr = curl_slist_append(hdr, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = au_err_set(err, AU_ERR_IO, "%s: %s", url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        rc = answer_error(status, &b, err);
        goto out;
    }
    if (!(*out = json_loadb(b.data ? b.data : "", b.len, 0, NULL)))
        rc = au_err_set(err, AU_ERR_PARSE, "%s: the answer is not JSON", url);
out:
    curl_slist_free_all(hdr);
    if (c)
        curl_easy_cleanup(c);
    au_free(auth);
    au_free(url);
    au_buf_cleanup(&b);
    return rc;
}
