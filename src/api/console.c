/*
 * The web console over HTTP: its embedded files (GET / and GET /console/...) and its sessions
 * (POST, GET, DELETE /v1/session). Every file is served with its ETag (a matching If-None-Match
 * answers 304), "Cache-Control: no-cache" so a new binary's files are picked up at once while
 * unchanged ones cost a revalidation only, and a strict Content-Security-Policy: scripts and
 * styles from this origin only, no inline script, no framing. Signing in exchanges an API key
 * for an HttpOnly, SameSite=Strict session cookie and a CSRF token (api/session.h); the console
 * then calls the same /v1 routes as every other client, with the key's own scopes.
 */
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "api/assets.h"
#include "api/session.h"
#include "lib/clock.h"

#define CONSOLE_CSP                                                                                \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "             \
    "form-action 'self'"

static const au_asset *find_asset(const char *path)
{
    for (size_t i = 0; i < au_nassets; i++)
        if (strcmp(au_assets[i].path, path) == 0)
            return &au_assets[i];
    return NULL;
}

/* Headers every console file carries. */
static au_rc asset_headers(au_resp *resp, const au_asset *a)
{
    au_rc rc;
    if ((rc = au_resp_header(resp, "ETag", a->etag)) ||
        (rc = au_resp_header(resp, "Cache-Control", "no-cache")) ||
        (rc = au_resp_header(resp, "Content-Security-Policy", CONSOLE_CSP)) ||
        (rc = au_resp_header(resp, "X-Content-Type-Options", "nosniff")) ||
        (rc = au_resp_header(resp, "Referrer-Policy", "no-referrer")) ||
        (rc = au_resp_header(resp, "X-Frame-Options", "DENY")))
        return rc;
    return AU_OK;
}

static au_rc serve_asset(au_req *req, au_resp *resp, const char *path, au_err *err)
{
    const au_asset *a = find_asset(path);
    if (!a)
        return au_err_set(err, AU_ERR_NOT_FOUND, "no console file '%s'", path);
    au_rc rc = asset_headers(resp, a);
    if (rc)
        return rc;
    resp->content_type = a->type;
    const char *inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "If-None-Match");
    if (inm && strstr(inm, a->etag)) {
        resp->status = 304;
        return AU_OK;
    }
    resp->static_body = a->data;
    resp->len = a->len;
    return AU_OK;
}

/* GET / -> the console's page */
au_rc au_api_console_index(au_req *req, au_resp *resp, au_err *err)
{
    return serve_asset(req, resp, "index.html", err);
}

/* GET /console/{file} -> one console file (flat: web/FILE) */
au_rc au_api_console_asset(au_req *req, au_resp *resp, au_err *err)
{
    return serve_asset(req, resp, au_req_param(req, "file"), err);
}

int au_api_session_token(au_req *req, char *token, char *csrf)
{
    char id[AU_SESSION_ID_LEN], tok[AU_KEY_TOKEN_MAX], cs[AU_SESSION_CSRF_LEN];
    int64_t exp;
    const char *cookie = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Cookie");
    if (!au_cookie_value(cookie, AU_SESSION_COOKIE, id, sizeof(id)) ||
        au_sessions_get(req->srv->sessions, id, au_wall_ms(), tok, cs, &exp))
        return 0;
    if (token)
        memcpy(token, tok, AU_KEY_TOKEN_MAX);
    if (csrf)
        memcpy(csrf, cs, AU_SESSION_CSRF_LEN);
    return 1;
}

/* What the page needs to know about its key: id, scopes, CSRF token, expiry. */
static json_t *session_json(const au_key_scopes *k, const char *csrf, int64_t expires_ms)
{
    json_t *write = json_array();
    for (size_t i = 0; i < k->nwrite; i++)
        json_array_append_new(write, json_string(k->write[i]));
    if (k->write_all)
        json_array_append_new(write, json_string("*"));
    return json_pack("{s:s, s:{s:b, s:b, s:b, s:o}, s:s, s:I}", "key_id", k->id, "scopes", "admin",
                     k->admin, "read", au_key_can_read(k), "masked", au_key_is_masked(k), "write",
                     write, "csrf_token", csrf, "expires_at_ms", (json_int_t)expires_ms);
}

static au_rc set_cookie(au_resp *resp, const char *id, long max_age)
{
    char v[160];
    snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld",
             AU_SESSION_COOKIE, id, max_age);
    return au_resp_header(resp, "Set-Cookie", v);
}

/* POST /v1/session   {"key": API key} -> session cookie + {"key_id","scopes","csrf_token",...} */
au_rc au_api_session_post(au_req *req, au_resp *resp, au_err *err)
{
    json_t *body = NULL;
    au_key_scopes k = {0};
    char id[AU_SESSION_ID_LEN], csrf[AU_SESSION_CSRF_LEN];
    int64_t exp;
    au_rc rc = au_req_parse_json(req, &body, err);
    if (rc)
        goto out;
    const char *key = json_string_value(json_object_get(body, "key"));
    if (!key) {
        rc = au_err_set(err, AU_ERR_INVALID, "the body must be {\"key\": \"<API key>\"}");
        goto out;
    }
    if ((rc = au_keys_verify(req->srv->keys, key, &k, err)))
        goto out;
    if ((rc = au_sessions_create(req->srv->sessions, key, au_wall_ms(), id, csrf, &exp)) ||
        (rc = set_cookie(resp, id, (long)(AU_SESSION_LIFE_MS / 1000))) ||
        (rc = au_resp_header(resp, "Cache-Control", "no-store")))
        goto out;
    rc = au_resp_json(resp, 200, session_json(&k, csrf, exp));
out:
    au_key_scopes_cleanup(&k);
    json_decref(body);
    return rc;
}

/* GET /v1/session -> the signed-in key's {"key_id","scopes","csrf_token","expires_at_ms"}; 401
 * without a live session. Another site cannot read this answer (no CORS), so the CSRF token
 * stays with the page. */
au_rc au_api_session_get(au_req *req, au_resp *resp, au_err *err)
{
    char tok[AU_KEY_TOKEN_MAX], csrf[AU_SESSION_CSRF_LEN], id[AU_SESSION_ID_LEN];
    au_key_scopes k = {0};
    int64_t exp;
    const char *cookie = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Cookie");
    if (!au_cookie_value(cookie, AU_SESSION_COOKIE, id, sizeof(id)) ||
        au_sessions_get(req->srv->sessions, id, au_wall_ms(), tok, csrf, &exp))
        return au_err_set(err, AU_ERR_UNAUTHORIZED, "not signed in");
    au_rc rc = au_keys_verify(req->srv->keys, tok, &k, err);
    if (rc) {
        au_sessions_end(req->srv->sessions, id);
        return au_err_set(err, rc, "the session's API key is no longer valid; sign in again");
    }
    if (!(rc = au_resp_header(resp, "Cache-Control", "no-store")))
        rc = au_resp_json(resp, 200, session_json(&k, csrf, exp));
    au_key_scopes_cleanup(&k);
    return rc;
}

/* DELETE /v1/session (X-CSRF-Token) -> 204; the cookie is cleared. */
au_rc au_api_session_delete(au_req *req, au_resp *resp, au_err *err)
{
    char tok[AU_KEY_TOKEN_MAX], csrf[AU_SESSION_CSRF_LEN], id[AU_SESSION_ID_LEN];
    int64_t exp;
    const char *cookie = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Cookie");
    const char *sent = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-CSRF-Token");
    if (!au_cookie_value(cookie, AU_SESSION_COOKIE, id, sizeof(id)) ||
        au_sessions_get(req->srv->sessions, id, au_wall_ms(), tok, csrf, &exp))
        return au_err_set(err, AU_ERR_UNAUTHORIZED, "not signed in");
    if (!au_session_csrf_ok(csrf, sent))
        return au_err_set(err, AU_ERR_FORBIDDEN, "signing out needs the X-CSRF-Token header");
    au_sessions_end(req->srv->sessions, id);
    resp->status = 204;
    return set_cookie(resp, "", 0);
}
