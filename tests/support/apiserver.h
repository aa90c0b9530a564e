/*
 * A real paginated JSON API for the inbound http connector tests (libmicrohttpd on 127.0.0.1):
 * GET /customers serves the documents put by the test, ordered by (updated_at, id), filtered
 * by ?updated_since= (strictly later), paged by ?page= (from 1) or ?offset= or ?cursor= with
 * ?per_page= (default 2); each answer is {"data":[...],"meta":{"next_cursor"}} and carries a
 * Link rel="next" header while there is more. POST /token grants OAuth2 client credentials.
 * The test can demand a bearer token, answer every Nth request with 429 and Retry-After, and
 * read what the server saw.
 */
#ifndef AU_TEST_APISERVER_H
#define AU_TEST_APISERVER_H

typedef struct au_apiserver au_apiserver;

/* Starts on a free port. NULL on failure. */
au_apiserver *au_apiserver_start(void);
void au_apiserver_free(au_apiserver *s);
int au_apiserver_port(const au_apiserver *s);
/* Adds or replaces the document (a JSON object with "id" and "updated_at") by id. */
int au_apiserver_put(au_apiserver *s, const char *json);
/* GET /customers needs "Authorization: Bearer TOKEN" where TOKEN is static_token, or one this
 * server granted for client_id/secret (NULLs: no authentication). */
void au_apiserver_auth(au_apiserver *s, const char *static_token, const char *client_id,
                       const char *client_secret);
/* Every nth GET /customers (0: none) is answered 429 with Retry-After: retry_after_s. */
void au_apiserver_rate_limit(au_apiserver *s, int nth, int retry_after_s);

/* A quota of n GETs of /customers per window_s seconds (0: none): each answer says
 * X-RateLimit-Remaining and X-RateLimit-Reset (seconds until the window ends); a request over
 * the quota is counted as too_early and answered 429 with Retry-After. */
void au_apiserver_quota(au_apiserver *s, int n, int window_s);

/* What was seen: GETs of /customers answered 200, answered 429, tokens granted, and the
 * updated_since of the last GET ("" when absent; copied to since[128]). */
typedef struct au_apiserver_seen {
    int ok, limited, unauthorized, tokens;
    int too_early; /* requests over the quota (the client did not wait for the reset) */
    char since[128];
} au_apiserver_seen;
void au_apiserver_seen_get(au_apiserver *s, au_apiserver_seen *out);

#endif
