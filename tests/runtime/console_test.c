/*
 * The web console as served by the real daemon: its page and files with Content-Type, ETag
 * revalidation, cache and security headers; signing in for a session cookie with its flags; the
 * cookie standing for the key on reads, writes refused without the CSRF token and accepted with
 * it; the key's scopes kept (a read key's session cannot write); signing out; API keys in
 * Authorization unchanged.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(console, .fini = au_rt_cleanup_all);

/* One exchange with the response headers kept (the harness keeps the body only). */
typedef struct xchg {
    long status;
    char head[8192]; /* response headers, as received */
    size_t hlen;
    char body[65536];
    size_t blen;
} xchg;

static size_t on_head(char *p, size_t sz, size_t n, void *ud)
{
    xchg *x = ud;
    size_t len = sz * n;
    if (x->hlen + len < sizeof(x->head)) {
        memcpy(x->head + x->hlen, p, len);
        x->head[x->hlen += len] = '\0';
    }
    return len;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    xchg *x = ud;
    size_t len = sz * n;
    if (x->blen + len < sizeof(x->body)) {
        memcpy(x->body + x->blen, p, len);
        x->body[x->blen += len] = '\0';
    }
    return len;
}

/* headers: NULL-terminated "Name: value" list or NULL; body NULL for none. */
static long call(const au_rt_daemon *d, const char *method, const char *path,
                 const char *const *headers, const char *body, xchg *x)
{
    char url[512];
    memset(x, 0, sizeof(*x));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", d->port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return x->status;
}

/* The value of response header `name` (case-insensitive) copied to out; 0 when absent. */
static int header(const xchg *x, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = x->head; *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(eol - v);
            if (vl >= cap)
                return 0;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return 1;
        }
        p = eol + 2;
    }
    return 0;
}

Test(console, page_and_files_with_type_etag_and_security_headers)
{
    au_rt_daemon d;
    xchg x;
    char v[512], etag[128], inm[160];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(call(&d, "GET", "/", NULL, NULL, &x), 200);
    cr_assert(header(&x, "Content-Type", v, sizeof(v)));
    cr_assert_str_eq(v, "text/html; charset=utf-8");
    cr_assert(strstr(x.body, "<script type=\"module\" src=\"/console/app.js\">"), "%s", x.body);
    cr_assert_null(strstr(x.body, "<script>"), "no inline script");
    cr_assert(header(&x, "Content-Security-Policy", v, sizeof(v)));
    cr_assert(strstr(v, "script-src 'self';"), "%s", v);
    cr_assert_null(strstr(v, "unsafe-inline"), "%s", v);
    cr_assert(strstr(v, "frame-ancestors 'none'"), "%s", v);
    cr_assert(header(&x, "X-Content-Type-Options", v, sizeof(v)));
    cr_assert_str_eq(v, "nosniff");
    cr_assert(header(&x, "Cache-Control", v, sizeof(v)));
    cr_assert_str_eq(v, "no-cache");
    cr_assert(header(&x, "ETag", etag, sizeof(etag)));

    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    const char *h[] = {inm, NULL};
    cr_assert_eq(call(&d, "GET", "/", h, NULL, &x), 304, "unchanged: revalidated, not resent");
    cr_assert_eq(x.blen, 0);

    cr_assert_eq(call(&d, "GET", "/console/app.js", NULL, NULL, &x), 200);
    cr_assert(header(&x, "Content-Type", v, sizeof(v)));
    cr_assert_str_eq(v, "text/javascript; charset=utf-8");
    cr_assert(header(&x, "ETag", v, sizeof(v)));
    cr_assert_str_neq(v, etag, "each file has its own validator");
    cr_assert_eq(call(&d, "GET", "/console/console.css", NULL, NULL, &x), 200);
    cr_assert(header(&x, "Content-Type", v, sizeof(v)));
    cr_assert_str_eq(v, "text/css; charset=utf-8");
    cr_assert_eq(call(&d, "GET", "/console/nope.js", NULL, NULL, &x), 404);
    cr_assert_eq(call(&d, "GET", "/console/..%2Fconfig.yaml", NULL, NULL, &x), 404);
    cr_assert_eq(au_rt_stop(&d), 0);
}

/* Signs in with key; fills the cookie header ("Cookie: aurum_session=...") and the CSRF token. */
static void sign_in(const au_rt_daemon *d, const char *key, char cookie[600], char csrf[64])
{
    xchg x;
    char body[160], v[512];
    snprintf(body, sizeof(body), "{\"key\":\"%s\"}", key);
    cr_assert_eq(call(d, "POST", "/v1/session", NULL, body, &x), 200, "%s", x.body);
    cr_assert(header(&x, "Set-Cookie", v, sizeof(v)));
    cr_assert(strstr(v, "; HttpOnly"), "%s", v);
    cr_assert(strstr(v, "; SameSite=Strict"), "%s", v);
    cr_assert(strstr(v, "; Path=/"), "%s", v);
    cr_assert_eq(strncmp(v, "aurum_session=", 14), 0, "%s", v);
    *strchr(v, ';') = '\0';
    snprintf(cookie, 600, "Cookie: %s", v);
    json_t *j = json_loads(x.body, 0, NULL);
    cr_assert_not_null(j);
    const char *t = json_string_value(json_object_get(j, "csrf_token"));
    cr_assert_not_null(t);
    snprintf(csrf, 64, "%s", t);
    json_decref(j);
}

Test(console, session_cookie_reads_and_csrf_guards_writes)
{
    au_rt_daemon d;
    xchg x;
    char cookie[600], csrf[64], csrf_h[96], v[512];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(call(&d, "POST", "/v1/session", NULL, "{\"key\":\"au_wrong\"}", &x), 401);
    cr_assert_eq(call(&d, "POST", "/v1/session", NULL, "{\"key\":", &x), 400);
    cr_assert_eq(call(&d, "POST", "/v1/session", NULL, "{}", &x), 400);
    cr_assert_eq(call(&d, "GET", "/v1/session", NULL, NULL, &x), 401);
    cr_assert_eq(call(&d, "GET", "/v1/sources", NULL, NULL, &x), 401, "no key, no cookie");
    sign_in(&d, d.admin_key, cookie, csrf);
    snprintf(csrf_h, sizeof(csrf_h), "X-CSRF-Token: %s", csrf);

    const char *with_cookie[] = {cookie, NULL};
    cr_assert_eq(call(&d, "GET", "/v1/session", with_cookie, NULL, &x), 200);
    cr_assert(strstr(x.body, "\"admin\":true"), "%s", x.body);
    cr_assert(strstr(x.body, csrf), "the page can fetch its CSRF token after a reload");
    cr_assert_eq(call(&d, "GET", "/v1/sources", with_cookie, NULL, &x), 200, "%s", x.body);

    const char *src = "{\"record_id\":\"id\",\"fields\":{\"email\":\"email\"}}";
    cr_assert_eq(call(&d, "PUT", "/v1/sources/crm", with_cookie, src, &x), 403);
    cr_assert(strstr(x.body, "X-CSRF-Token"), "%s", x.body);
    const char *bad_csrf[] = {cookie, "X-CSRF-Token: not-the-token", NULL};
    cr_assert_eq(call(&d, "PUT", "/v1/sources/crm", bad_csrf, src, &x), 403);
    cr_assert_eq(call(&d, "GET", "/v1/sources/crm", with_cookie, NULL, &x), 404,
                 "the refused write wrote nothing");
    const char *good[] = {cookie, csrf_h, NULL};
    cr_assert_eq(call(&d, "PUT", "/v1/sources/crm", good, src, &x), 200, "%s", x.body);

    /* API keys keep working unchanged, with or without a cookie around */
    char bearer[128];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", d.admin_key);
    const char *api[] = {bearer, NULL};
    cr_assert_eq(call(&d, "PUT", "/v1/sources/pos", api, src, &x), 200, "%s", x.body);

    /* signing out needs the token, then the cookie is worthless and cleared */
    cr_assert_eq(call(&d, "DELETE", "/v1/session", with_cookie, NULL, &x), 403);
    cr_assert_eq(call(&d, "DELETE", "/v1/session", good, NULL, &x), 204);
    cr_assert(header(&x, "Set-Cookie", v, sizeof(v)));
    cr_assert(strstr(v, "Max-Age=0"), "%s", v);
    cr_assert_eq(call(&d, "GET", "/v1/sources", with_cookie, NULL, &x), 401);
    cr_assert_eq(au_rt_stop(&d), 0);
}

Test(console, a_read_keys_session_cannot_write)
{
    au_rt_daemon d;
    xchg x;
    char token[80], cookie[600], csrf[64], csrf_h[96];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, token, "read", NULL), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    sign_in(&d, token, cookie, csrf);
    snprintf(csrf_h, sizeof(csrf_h), "X-CSRF-Token: %s", csrf);
    const char *h[] = {cookie, csrf_h, NULL};
    cr_assert_eq(call(&d, "GET", "/v1/session", h, NULL, &x), 200);
    cr_assert(strstr(x.body, "\"admin\":false"), "%s", x.body);
    cr_assert(strstr(x.body, "\"read\":true"), "%s", x.body);
    cr_assert_eq(call(&d, "GET", "/v1/flows", h, NULL, &x), 200);
    cr_assert_eq(call(&d, "PUT", "/v1/sources/crm", h, "{\"fields\":{}}", &x), 403, "%s", x.body);
    cr_assert(strstr(x.body, "lacks the scope admin"), "%s", x.body);
    cr_assert_eq(au_rt_stop(&d), 0);
}
