/*
 * kind: http - polling a JSON API with libcurl. Each sync walks the pages of `url` (styles:
 * none, page, offset, cursor, link), takes the documents at `items` in each answer and sends
 * `since_param` = the persisted cursor, which is the largest `since_field` value seen (numbers
 * compared as numbers, strings such as ISO 8601 times as text). The new cursor is stored only
 * once the whole walk was committed: a sync cut short is read again from the old cursor, and
 * the records already written come back as unchanged. Authentication: a header whose value is
 * a secret (auth_secret), or OAuth2 client credentials (token fetched once per sync, again on
 * a 401). A 429 or 503 is retried after its Retry-After (seconds or an HTTP date; at most
 * max_wait_s) up to max_retries times; beyond that the sync fails and the manager backs off.
 * Quotas are honoured before they bite: after an answer saying X-RateLimit-Remaining: 0 the
 * next request waits for X-RateLimit-Reset (delta seconds, or epoch seconds), and
 * requests_per_s spaces requests out.
 */
#include <curl/curl.h>
#include <string.h>
#include <time.h>

#include "inbound/inbound_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/clock.h"

#define HTTP_MAX_BODY (64u << 20)

static const au_inbound_opt http_opts[] = {
    AU_INBOUND_OPT("url", AU_OPT_STRING, 1, NULL, 0, 0,
                   "the collection's URL (http or https), query parameters allowed"),
    AU_INBOUND_OPT(
        "items", AU_OPT_STRING, 0, NULL, 0, 0,
        "dotted path of the array of documents in an answer (default: the answer itself when it "
        "is an array, else \"data\")"),
    AU_INBOUND_OPT("headers", AU_OPT_MAPPING, 0, NULL, 0, 0, "extra request headers {name: value}"),
    {.name = "pagination",
     .type = AU_OPT_CHOICE,
     .def = "none",
     .arg = "none|page|offset|cursor|link",
     .help = "page numbers, offsets, a cursor in the answer, or RFC 8288 Link headers "
             "rel=\"next\""},
    AU_INBOUND_OPT("page_param", AU_OPT_STRING, 0, NULL, 0, 0,
                   "page: the page number parameter (default page); offset: the "
                   "offset parameter (default offset)"),
    AU_INBOUND_OPT("first_page", AU_OPT_INT, 0, "1", 0, 1000000,
                   "page: the first page's number (default 1)"),
    AU_INBOUND_OPT("size_param", AU_OPT_STRING, 0, NULL, 0, 0,
                   "parameter carrying page_size (default: none sent)"),
    AU_INBOUND_OPT("page_size", AU_OPT_INT, 0, "100", 1, 100000,
                   "documents per page (default 100); a shorter page is the last"),
    AU_INBOUND_OPT("cursor_param", AU_OPT_STRING, 0, "cursor", 0, 0,
                   "cursor: the parameter carrying the next cursor (default "
                   "cursor)"),
    AU_INBOUND_OPT("next_cursor", AU_OPT_STRING, 0, NULL, 0, 0,
                   "cursor: dotted path of the next cursor in an answer "
                   "(required for cursor; absent, null or \"\" ends the walk)"),
    AU_INBOUND_OPT("since_param", AU_OPT_STRING, 0, NULL, 0, 0,
                   "parameter carrying the persisted cursor (updated_since)"),
    AU_INBOUND_OPT("since_field", AU_OPT_STRING, 0, NULL, 0, 0,
                   "document field whose largest value becomes the cursor"),
    AU_INBOUND_OPT("since_initial", AU_OPT_STRING, 0, NULL, 0, 0,
                   "since value of the very first sync (default: none sent)"),
    AU_INBOUND_OPT("deleted_field", AU_OPT_STRING, 0, NULL, 0, 0,
                   "document field that marks a deleted record"),
    AU_INBOUND_OPT("auth_secret", AU_OPT_STRING, 0, NULL, 0, 0,
                   "secret sent in auth_header (API token)"),
    AU_INBOUND_OPT("auth_header", AU_OPT_STRING, 0, "Authorization", 0, 0,
                   "header of auth_secret (default Authorization)"),
    AU_INBOUND_OPT("auth_prefix", AU_OPT_STRING, 0, "Bearer ", 0, 0,
                   "text before the secret (default \"Bearer \")"),
    AU_INBOUND_OPT("oauth2_token_url", AU_OPT_STRING, 0, NULL, 0, 0,
                   "OAuth2 client credentials: the token endpoint"),
    AU_INBOUND_OPT("oauth2_client_id", AU_OPT_STRING, 0, NULL, 0, 0, "OAuth2: the client id"),
    AU_INBOUND_OPT("oauth2_secret", AU_OPT_STRING, 0, NULL, 0, 0,
                   "OAuth2: name of the secret holding the client secret"),
    AU_INBOUND_OPT("oauth2_scope", AU_OPT_STRING, 0, NULL, 0, 0,
                   "OAuth2: scope asked for (optional)"),
    AU_INBOUND_OPT("max_retries", AU_OPT_INT, 0, "5", 0, 100,
                   "429/503/transport failures retried per request (default 5)"),
    AU_INBOUND_OPT("max_wait_s", AU_OPT_INT, 0, "120", 0, 86400,
                   "longest Retry-After waited inside a sync (default 120)"),
    AU_INBOUND_OPT("timeout_s", AU_OPT_INT, 0, "30", 1, 3600, "per request (default 30)"),
    AU_INBOUND_OPT("max_pages", AU_OPT_INT, 0, "100000", 1, 100000000,
                   "pages per sync at most (default 100000)"),
    AU_INBOUND_OPT("requests_per_s", AU_OPT_INT, 0, NULL, 1, 100000,
                   "at most this many requests a second (default: no limit)"),
    {0},
};

static au_rc http_check(const json_t *def, au_err *err)
{
    const char *p = au_inbound_str(def, "pagination");
    if (p && !strcmp(p, "cursor") && !au_inbound_str(def, "next_cursor"))
        return au_err_set(err, AU_ERR_INVALID,
                          "inbound.next_cursor: required for cursor "
                          "pagination");
    if (!au_inbound_str(def, "since_param") != !au_inbound_str(def, "since_field"))
        return au_err_set(err, AU_ERR_INVALID, "inbound: since_param and since_field go together");
    const char *url = au_inbound_str(def, "url");
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return au_err_set(err, AU_ERR_INVALID, "inbound.url: expected an http or https URL");
    if (au_inbound_str(def, "oauth2_token_url") &&
        (!au_inbound_str(def, "oauth2_client_id") || !au_inbound_str(def, "oauth2_secret")))
        return au_err_set(err, AU_ERR_INVALID,
                          "inbound: oauth2_token_url needs oauth2_client_id and oauth2_secret");
    return AU_OK;
}

typedef struct http_sync {
    au_inbound_run *run;
    const json_t *def;
    CURL *curl;
    char *auth;      /* "Header: value" or NULL, owned */
    char *next_link; /* link style: the next page's URL, owned */
    json_t *since;   /* largest since_field value seen (own reference) or NULL */
    long wait_s;     /* seconds the API asked to wait before the next request (quota), or 0 */
    int64_t last_us; /* monotonic time of the last request (requests_per_s) */
    au_buf body;     /* the answer being read */
} http_sync;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    return au_buf_append(ctx, p, size * n) ? 0 : size * n;
}

/* Keeps the rel="next" target of a Link header. */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    http_sync *h = ctx;
    size_t len = size * n;
    if (len > 5 && strncasecmp(p, "link:", 5) == 0) {
        char *line = au_strndup(p + 5, len - 5);
        char *next = line ? strstr(line, "rel=\"next\"") : NULL;
        if (next) {
            *next = 0;
            char *open = strrchr(line, '<'), *close = open ? strchr(open, '>') : NULL;
            if (open && close) {
                au_free(h->next_link);
                h->next_link = au_strndup(open + 1, (size_t)(close - open - 1));
            }
        }
        au_free(line);
    }
    return len;
}

/* Seconds a Retry-After value asks for (delta seconds or an HTTP date); -1 when none. */
static long retry_after_s(CURL *c)
{
    struct curl_header *hd = NULL;
    if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
        return -1;
    char *end = NULL;
    long s = strtol(hd->value, &end, 10);
    if (end != hd->value && *end == 0)
        return s < 0 ? 0 : s;
    time_t at = curl_getdate(hd->value, NULL);
    time_t now = (time_t)(au_wall_ms() / 1000);
    return at < 0 ? -1 : at > now ? (long)(at - now) : 0;
}

/* Sleeps ms milliseconds in steps, ending early when the run is stopped. */
static void pause_ms(au_inbound_run *run, int64_t ms)
{
    while (ms > 0 && !au_inbound_stopping(run)) {
        int64_t step = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static void pause_s(au_inbound_run *run, long s)
{
    pause_ms(run, (int64_t)s * 1000);
}

/* After an answer: X-RateLimit-Remaining: 0 means wait for X-RateLimit-Reset (delta seconds,
 * or epoch seconds when larger than a day) before the next request. */
static void note_quota(http_sync *h)
{
    struct curl_header *rem = NULL, *reset = NULL;
    h->wait_s = 0;
    if (curl_easy_header(h->curl, "X-RateLimit-Remaining", 0, CURLH_HEADER, -1, &rem) !=
            CURLHE_OK ||
        strtol(rem->value, NULL, 10) > 0 ||
        curl_easy_header(h->curl, "X-RateLimit-Reset", 0, CURLH_HEADER, -1, &reset) != CURLHE_OK)
        return;
    long v = strtol(reset->value, NULL, 10), now = (long)(au_wall_ms() / 1000);
    h->wait_s = v > 86400 ? (v > now ? v - now : 0) : v > 0 ? v : 0;
}

/* Waits what the quota and requests_per_s ask before a request; an error when that is longer
 * than max_wait_s. */
static au_rc before_request(http_sync *h, au_err *err)
{
    long max_wait = au_inbound_int(h->def, "max_wait_s", 120);
    if (h->wait_s > max_wait)
        return au_err_set(err, AU_ERR_IO, "the API's quota resets in %ld s (more than max_wait_s)",
                          h->wait_s);
    pause_s(h->run, h->wait_s);
    h->wait_s = 0;
    long rps = au_inbound_int(h->def, "requests_per_s", 0);
    int64_t now = au_mono_us();
    if (rps > 0 && h->last_us && now - h->last_us < 1000000 / rps)
        pause_ms(h->run, (1000000 / rps - (now - h->last_us) + 999) / 1000);
    h->last_us = au_mono_us();
    return AU_OK;
}

/* One request; *status the HTTP status, h->body the answer. */
static au_rc perform(http_sync *h, const char *url, const char *post, long *status, au_err *err)
{
    struct curl_slist *hdr = NULL;
    const char *k;
    const json_t *v;
    au_buf_reset(&h->body);
    curl_easy_reset(h->curl);
    hdr = curl_slist_append(hdr, "Accept: application/json");
    if (h->auth && !post)
        hdr = curl_slist_append(hdr, h->auth);
    json_object_foreach((json_t *)json_object_get(h->def, "headers"), k, v)
    {
        char *line = json_is_string(v) ? au_asprintf("%s: %s", k, json_string_value(v)) : NULL;
        if (line)
            hdr = curl_slist_append(hdr, line);
        au_free(line);
    }
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->body);
    curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, au_inbound_int(h->def, "timeout_s", 30));
    curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
    if (post)
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, post);
    CURLcode cc = curl_easy_perform(h->curl);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK)
        return au_err_set(err, AU_ERR_IO, "%s: %s", url, curl_easy_strerror(cc));
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
    return AU_OK;
}

static char *form_escape(CURL *c, const char *s)
{
    char *e = curl_easy_escape(c, s ? s : "", 0);
    char *r = e ? au_strdup(e) : NULL;
    curl_free(e);
    return r;
}

/* OAuth2 client credentials: fetches a token into h->auth. */
static au_rc oauth2_token(http_sync *h, au_err *err)
{
    const char *url = au_inbound_str(h->def, "oauth2_token_url");
    char *secret = NULL, *id = NULL, *sec = NULL, *scope = NULL, *form = NULL;
    long status = 0;
    au_rc rc = au_inbound_secret(h->run, au_inbound_str(h->def, "oauth2_secret"), &secret, err);
    if (rc)
        return rc;
    id = form_escape(h->curl, au_inbound_str(h->def, "oauth2_client_id"));
    sec = form_escape(h->curl, secret);
    scope = form_escape(h->curl, au_inbound_str(h->def, "oauth2_scope"));
    form = id && sec && scope ? au_asprintf("grant_type=client_credentials&client_id=%s&"
                                            "client_secret=%s%s%s",
                                            id, sec, scope[0] ? "&scope=" : "", scope)
                              : NULL;
    rc = form ? perform(h, url, form, &status, err) : au_err_set(err, AU_ERR_NOMEM, "oom");
    json_t *j = rc ? NULL : json_loadb(h->body.data, h->body.len, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "access_token"));
    if (!rc && (status != 200 || !tok))
        rc = au_err_set(err, AU_ERR_UNAUTHORIZED, "OAuth2 token endpoint answered %ld", status);
    if (!rc) {
        au_free(h->auth);
        if (!(h->auth = au_asprintf("Authorization: Bearer %s", tok)))
            rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    json_decref(j);
    au_free(secret);
    au_free(id);
    au_free(sec);
    au_free(scope);
    au_free(form);
    return rc;
}

static au_rc static_auth(http_sync *h, au_err *err)
{
    const char *name = au_inbound_str(h->def, "auth_secret");
    if (!name)
        return AU_OK;
    char *v = NULL;
    au_rc rc = au_inbound_secret(h->run, name, &v, err);
    if (rc)
        return rc;
    const char *hn = au_inbound_str(h->def, "auth_header"),
               *pre = au_inbound_str(h->def, "auth_prefix");
    h->auth = au_asprintf("%s: %s%s", hn ? hn : "Authorization", pre ? pre : "Bearer ", v);
    au_free(v);
    return h->auth ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

/* GETs url, retrying 429/503/transport errors after Retry-After (or 1, 2, 4... s); a 401 with
 * OAuth2 fetches a new token once. On success the answer is in h->body. */
static au_rc get(http_sync *h, const char *url, au_err *err)
{
    long tries = au_inbound_int(h->def, "max_retries", 5),
         max_wait = au_inbound_int(h->def, "max_wait_s", 120);
    int renewed = 0;
    for (long attempt = 0;; attempt++) {
        long status = 0, wait = -1;
        au_rc rc = before_request(h, err);
        if (rc)
            return rc;
        rc = perform(h, url, NULL, &status, err);
        if (!rc)
            note_quota(h);
        if (!rc && status == 401 && !renewed && au_inbound_str(h->def, "oauth2_token_url")) {
            renewed = 1;
            if ((rc = oauth2_token(h, err)))
                return rc;
            attempt--;
            continue;
        }
        if (!rc && status >= 200 && status < 300)
            return AU_OK;
        int transient = rc || status == 429 || status == 503 || status == 502 || status == 504;
        if (!rc)
            rc = au_err_set(err, status == 401 || status == 403 ? AU_ERR_UNAUTHORIZED : AU_ERR_IO,
                            "%s answered %ld", url, status);
        if (!transient || attempt >= tries || au_inbound_stopping(h->run))
            return rc;
        if (status)
            wait = retry_after_s(h->curl);
        if (wait < 0)
            wait = 1L << (attempt < 6 ? attempt : 6);
        if (wait > max_wait)
            return au_err_set(err, AU_ERR_IO, "%s asked to wait %ld s (more than max_wait_s)", url,
                              wait);
        pause_s(h->run, wait);
    }
}

/* The URL of a page: url plus since, page/offset/cursor and size parameters. */
static char *page_url(http_sync *h, long page, const char *cursor)
{
    const char *style = au_inbound_str(h->def, "pagination");
    CURLU *u = curl_url();
    char *out = NULL, *q = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, au_inbound_str(h->def, "url"), 0) != CURLUE_OK)
        goto out;
    const char *since_param = au_inbound_str(h->def, "since_param");
    const char *since = au_inbound_cursor(h->run);
    if (!since)
        since = au_inbound_str(h->def, "since_initial");
    char num[32];
    const char *pp = au_inbound_str(h->def, "page_param"),
               *sp = au_inbound_str(h->def, "size_param");
    long size = au_inbound_int(h->def, "page_size", 100);
#define ADD(name, value)                                                                           \
    do {                                                                                           \
        au_free(q);                                                                                \
        q = au_asprintf("%s=%s", name, value);                                                     \
        if (!q || curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE))        \
            goto out;                                                                              \
    } while (0)
    if (since_param && since)
        ADD(since_param, since);
    if (style && !strcmp(style, "page")) {
        snprintf(num, sizeof num, "%ld", au_inbound_int(h->def, "first_page", 1) + page);
        ADD(pp ? pp : "page", num);
    } else if (style && !strcmp(style, "offset")) {
        snprintf(num, sizeof num, "%ld", page * size);
        ADD(pp ? pp : "offset", num);
    } else if (style && !strcmp(style, "cursor") && cursor) {
        const char *cp = au_inbound_str(h->def, "cursor_param");
        ADD(cp ? cp : "cursor", cursor);
    }
    if (sp) {
        snprintf(num, sizeof num, "%ld", size);
        ADD(sp, num);
    }
#undef ADD
    char *s = NULL;
    if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = au_strdup(s);
    curl_free(s);
out:
    au_free(q);
    curl_url_cleanup(u);
    return out;
}

/* Keeps the larger of the cursor so far and v. */
static void note_since(http_sync *h, const json_t *v)
{
    if (!v || json_is_null(v))
        return;
    int larger = !h->since;
    if (!larger && json_is_number(v) && json_is_number(h->since))
        larger = json_number_value(v) > json_number_value(h->since);
    else if (!larger && json_is_string(v) && json_is_string(h->since))
        larger = strcmp(json_string_value(v), json_string_value(h->since)) > 0;
    if (larger) {
        json_decref(h->since);
        h->since = json_incref((json_t *)v);
    }
}

/* Hands the documents of one answer over; *n their count. */
static au_rc take_items(http_sync *h, const json_t *body, size_t *n, au_err *err)
{
    const char *path = au_inbound_str(h->def, "items");
    const json_t *items = path                  ? au_inbound_path(body, path)
                          : json_is_array(body) ? body
                                                : json_object_get(body, "data");
    const char *del = au_inbound_str(h->def, "deleted_field");
    const char *sf = au_inbound_str(h->def, "since_field");
    size_t i;
    const json_t *doc;
    au_rc rc = AU_OK;
    if (!json_is_array(items))
        return au_err_set(err, AU_ERR_PARSE, "the answer holds no array of documents at '%s'",
                          path ? path : "data");
    *n = json_array_size(items);
    json_array_foreach((json_t *)items, i, doc)
    {
        if (sf)
            note_since(h, json_object_get(doc, sf));
        rc = au_inbound_put_or_delete(h->run, doc, del, err);
        if (rc)
            break;
    }
    return rc;
}

/* The next cursor of a cursor-style answer (new string) or NULL at the end. */
static char *next_cursor(http_sync *h, const json_t *body)
{
    const json_t *v = au_inbound_path(body, au_inbound_str(h->def, "next_cursor"));
    char num[32];
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return au_strdup(num);
    }
    return json_is_string(v) && json_string_length(v) ? au_strdup(json_string_value(v)) : NULL;
}

/* Walks the pages. */
static au_rc walk(http_sync *h, au_err *err)
{
    const char *style = au_inbound_str(h->def, "pagination");
    if (!style)
        style = "none";
    long max_pages = au_inbound_int(h->def, "max_pages", 100000),
         size = au_inbound_int(h->def, "page_size", 100);
    char *cursor = NULL, *url = page_url(h, 0, NULL);
    au_rc rc = AU_OK;
    for (long page = 0; url && page < max_pages && !au_inbound_stopping(h->run); page++) {
        au_free(h->next_link);
        h->next_link = NULL;
        if ((rc = get(h, url, err)))
            break;
        json_error_t je;
        json_t *body = json_loadb(h->body.data, h->body.len, 0, &je);
        size_t n = 0;
        rc = body ? take_items(h, body, &n, err)
                  : au_err_set(err, AU_ERR_PARSE, "%s: not JSON: %s", url, je.text);
        au_free(url);
        url = NULL;
        if (!rc && !strcmp(style, "cursor") && (au_free(cursor), cursor = next_cursor(h, body)))
            url = page_url(h, page + 1, cursor);
        else if (!rc && !strcmp(style, "link") && h->next_link)
            url = au_strdup(h->next_link);
        else if (!rc && (!strcmp(style, "page") || !strcmp(style, "offset")) && n &&
                 (long)n >= size)
            url = page_url(h, page + 1, NULL);
        json_decref(body);
        if (!rc)
            rc = au_inbound_commit(h->run, NULL, err);
        if (rc)
            break;
    }
    au_free(url);
    au_free(cursor);
    return rc;
}

static au_rc http_sync_run(void *state, au_inbound_run *run, au_err *err)
{
    http_sync h = {.run = run, .def = au_inbound_def(run)};
    au_buf_init(&h.body, HTTP_MAX_BODY);
    h.curl = curl_easy_init();
    au_rc rc = h.curl ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = au_inbound_str(h.def, "oauth2_token_url") ? oauth2_token(&h, err)
                                                       : static_auth(&h, err);
    if (!rc)
        rc = walk(&h, err);
    /* The cursor moves only after a complete walk: the API's order is not known. */
    if (!rc && h.since && !au_inbound_stopping(run)) {
        char num[64];
        const char *text = json_is_string(h.since) ? json_string_value(h.since) : num;
        if (json_is_integer(h.since))
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(h.since));
        else if (json_is_real(h.since))
            snprintf(num, sizeof num, "%.17g", json_real_value(h.since));
        rc = au_inbound_commit(run, text, err);
    }
    json_decref(h.since);
    au_buf_cleanup(&h.body);
    au_free(h.auth);
    au_free(h.next_link);
    if (h.curl)
        curl_easy_cleanup(h.curl);
    return rc;
}

const au_inbound_kind au_inbound_http = {
    .name = "http",
    .summary = "polling a paginated JSON API (page, offset, cursor or Link header)",
    .opts = http_opts,
    .continuous = 0,
    .check = http_check,
    .sync = http_sync_run,
};
