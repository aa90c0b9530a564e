/*
 * The single customer view over HTTP: golden records by id, lookups by identifier, name search,
 * timelines and the change feed (JSON long-poll or Server-Sent Events). Handlers parse and
 * validate the query, borrow a store reader, and call src/profile.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "api/query.h"
#include "lib/alloc.h"
#include "lib/cursor.h"
#include "profile/profiles.h"
#include "lib/clock.h"

#define WAIT_MAX_S      60 /* long-poll cap: a longer wait is served as 60 s */
#define SSE_KEEPALIVE_S 15 /* comment line sent on an idle stream */

/* A profile id from the path: a positive integer; anything else names no profile (404). */
static const au_query_spec id_path[] = {AU_QUERY_ROW("id", AU_QUERY_INT, 0, NULL, "profile",
                                                     .min = 1, .max = __LONG_MAX__, .required = 1,
                                                     .flags = AU_OPT_NOT_FOUND),
                                        {0}};

static au_rc path_id(const au_req *req, int64_t *id, au_err *err)
{
    long v = 0;
    au_rc rc = au_path_parse(req, id_path, &v, err);
    *id = v;
    return rc;
}

/* GET /v1/profiles/{id}?lineage=1 */
const au_query_spec au_api_query_profile_get[] = {
    AU_QUERY_ROW("lineage", AU_QUERY_FLAG, 0, "0", "add where every value came from"), {0}};

/* GET /v1/profiles?email=|phone=|source=&record=&lineage=1 */
typedef struct lookup_args {
    const char *email, *phone, *source, *record; /* borrowed from the request */
    int lineage;                                 /* add where every value came from */
} lookup_args;

const au_query_spec au_api_query_profile_lookup[] = {
    AU_QUERY_ROW("email", AU_QUERY_STR, offsetof(lookup_args, email), NULL, "an e-mail address"),
    AU_QUERY_ROW("phone", AU_QUERY_STR, offsetof(lookup_args, phone), NULL, "a phone number"),
    AU_QUERY_ROW("source", AU_QUERY_STR, offsetof(lookup_args, source), NULL,
                 "a source (with record)"),
    AU_QUERY_ROW("record", AU_QUERY_STR, offsetof(lookup_args, record), NULL,
                 "a record id of that source"),
    AU_QUERY_ROW("lineage", AU_QUERY_FLAG, offsetof(lookup_args, lineage), "0",
                 "add where every value came from"),
    {0}};

/* GET /v1/profiles/search?q=NAME&limit=N */
typedef struct search_args {
    const char *q; /* the name, borrowed */
    long limit;    /* profiles to answer */
} search_args;

const au_query_spec au_api_query_profile_search[] = {
    AU_QUERY_ROW("q", AU_QUERY_STR, offsetof(search_args, q), NULL,
                 "a name or part of one (required)"),
    AU_QUERY_ROW("limit", AU_QUERY_INT, offsetof(search_args, limit), "20", "profiles to answer",
                 .min = 1, .max = 100),
    {0}};

/* GET /v1/profiles/{id}/timeline?type=&source=&limit=&cursor= */
typedef struct timeline_args {
    const char *type, *source, *cursor; /* borrowed */
    long limit;                         /* events per page */
} timeline_args;

const au_query_spec au_api_query_profile_timeline[] = {
    AU_QUERY_ROW("type", AU_QUERY_STR, offsetof(timeline_args, type), NULL,
                 "only events of this type"),
    AU_QUERY_ROW("source", AU_QUERY_STR, offsetof(timeline_args, source), NULL,
                 "only events of this source"),
    AU_QUERY_ROW("limit", AU_QUERY_INT, offsetof(timeline_args, limit), "50", "events per page",
                 .min = 1, .max = 500),
    AU_QUERY_ROW("cursor", AU_QUERY_STR, offsetof(timeline_args, cursor), NULL,
                 "the \"next\" of the previous page"),
    {0}};

/* GET /v1/changes?after=CURSOR|0|now&wait=SECONDS&limit=N */
typedef struct changes_args {
    const char *after; /* borrowed */
    long wait, limit;  /* long-poll seconds, changes per answer */
} changes_args;

const au_query_spec au_api_query_changes[] = {
    AU_QUERY_ROW("after", AU_QUERY_STR, offsetof(changes_args, after), NULL,
                 "a cursor, 0 (from the beginning) or now (only later changes)"),
    AU_QUERY_ROW("wait", AU_QUERY_INT, offsetof(changes_args, wait), "0",
                 "seconds to wait for a change (long-poll)", .min = 0, .max = WAIT_MAX_S,
                 .flags = AU_OPT_CLAMP),
    AU_QUERY_ROW("limit", AU_QUERY_INT, offsetof(changes_args, limit), "100", "changes per answer",
                 .min = 1, .max = 1000),
    {0}};

static au_rc with_reader(au_req *req, au_store **st, au_err *err)
{
    *st = au_engine_reader(req->srv->engine);
    return *st ? AU_OK : au_err_set(err, AU_ERR_BUSY, "no store reader available");
}

/* GET /v1/profiles/{id}[?lineage=1] */
au_rc au_api_profile_get(au_req *req, au_resp *resp, au_err *err)
{
    int64_t id = 0;
    int lineage = 0;
    au_store *st = NULL;
    char *text = NULL;
    size_t len = 0;
    au_rc rc = path_id(req, &id, err);
    if (!rc)
        rc = au_query_parse(req, au_api_query_profile_get, &lineage, err);
    if (!rc)
        rc = with_reader(req, &st, err);
    if (!rc)
        rc = au_profile_get_text(req->srv->engine, st, id, lineage, &text, &len, err);
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    if (rc)
        return rc;
    resp->status = 200;
    resp->body = text;
    resp->len = len;
    return AU_OK;
}

au_rc au_api_profile_lookup(au_req *req, au_resp *resp, au_err *err)
{
    lookup_args a = {0};
    au_store *st = NULL;
    json_t *list = NULL;
    au_rc rc = au_query_parse(req, au_api_query_profile_lookup, &a, err);
    if (rc)
        return rc;
    if ((a.source != NULL) != (a.record != NULL))
        return au_err_set(err, AU_ERR_INVALID, "source and record go together");
    rc = with_reader(req, &st, err);
    if (!rc)
        rc = au_profile_lookup(req->srv->engine, st, a.email, a.phone, a.source, a.record,
                               a.lineage, &list, err);
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    if (!rc && json_array_size(list) == 0) {
        json_decref(list);
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "no profile holds %s '%s'",
                        a.email   ? "email"
                        : a.phone ? "phone"
                                  : "record",
                        a.email   ? a.email
                        : a.phone ? a.phone
                                  : a.record);
    } else if (!rc) {
        rc = au_resp_json(resp, 200, json_pack("{s:o}", "profiles", list));
    }
    return rc;
}

au_rc au_api_profile_search(au_req *req, au_resp *resp, au_err *err)
{
    search_args a = {0};
    au_store *st = NULL;
    json_t *list = NULL;
    au_rc rc = au_query_parse(req, au_api_query_profile_search, &a, err);
    if (!rc && (!a.q || !*a.q))
        rc = au_err_set(err, AU_ERR_INVALID, "q: required (a name or part of one)");
    if (!rc)
        rc = with_reader(req, &st, err);
    if (!rc)
        rc = au_profile_search(req->srv->engine, st, a.q, (int)a.limit, &list, err);
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    if (!rc)
        rc = au_resp_json(resp, 200, json_pack("{s:s, s:o}", "q", a.q, "profiles", list));
    return rc;
}

/* A cursor query parameter s (absent: 0). */
static au_rc query_cursor(const char *s, const char *name, int64_t *seq, au_err *err)
{
    uint64_t v = 0;
    au_err e2;
    *seq = 0;
    if (!s)
        return AU_OK;
    au_err_init(&e2);
    au_rc rc = au_cursor_decode(s, &v, &e2);
    if (rc)
        au_err_set(err, AU_ERR_INVALID, "%s: %s", name, e2.message);
    au_err_cleanup(&e2);
    if (!rc && v > INT64_MAX)
        rc = au_err_set(err, AU_ERR_INVALID, "%s: out of range", name);
    *seq = rc ? 0 : (int64_t)v;
    return rc;
}

/* `after` of the change feed: a cursor, "0" (the beginning, as when absent) or "now" (the newest
 * committed change, so that only later ones are answered). */
static au_rc query_after(au_req *req, const char *s, int64_t *seq, au_err *err)
{
    *seq = 0;
    if (s && strcmp(s, "0") == 0)
        return AU_OK;
    if (!s || strcmp(s, "now") != 0)
        return query_cursor(s, "after", seq, err);
    au_store *st = NULL;
    au_rc rc = with_reader(req, &st, err);
    if (!rc && (rc = au_profile_changes_now(st, seq)))
        au_err_set(err, rc, "cannot read the change feed");
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    return rc;
}

au_rc au_api_profile_timeline(au_req *req, au_resp *resp, au_err *err)
{
    int64_t id = 0, before = 0;
    timeline_args a = {0};
    au_store *st = NULL;
    json_t *page = NULL;
    au_rc rc = path_id(req, &id, err);
    if (!rc)
        rc = au_query_parse(req, au_api_query_profile_timeline, &a, err);
    if (!rc)
        rc = query_cursor(a.cursor, "cursor", &before, err);
    if (!rc)
        rc = with_reader(req, &st, err);
    if (!rc)
        rc = au_profile_timeline(req->srv->engine, st, id, before, a.type, a.source, (int)a.limit,
                                 &page, err);
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    return rc ? rc : au_resp_json(resp, 200, page);
}

/* Reads changes after *after with a fresh reader. */
static au_rc read_changes(au_server *srv, int64_t after, int limit, json_t **list, int64_t *last,
                          au_err *err)
{
    au_store *st = au_engine_reader(srv->engine);
    if (!st)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    au_rc rc = au_profile_changes(st, after, limit, list, last);
    au_engine_reader_release(srv->engine, st);
    return rc ? au_err_set(err, rc, "cannot read the change feed") : AU_OK;
}

/* --- Server-Sent Events -------------------------------------------------------------------- */

typedef struct sse {
    au_server *srv;
    au_profiles *prof;
    struct MHD_Connection *conn; /* checked each slice: the stream ends when the client left */
    int64_t last;                /* seq of the last change sent */
    au_buf out;                  /* formatted, not yet sent */
    size_t sent;                 /* bytes of out already handed to MHD */
    int64_t idle_since;
} sse;

static void sse_free(void *ctx)
{
    sse *s = ctx;
    au_buf_cleanup(&s->out);
    au_free(s);
}

static au_rc sse_fill(sse *s)
{
    json_t *list = NULL, *ch;
    size_t i;
    au_err err;
    au_err_init(&err);
    au_rc rc = read_changes(s->srv, s->last, 500, &list, &s->last, &err);
    au_err_cleanup(&err);
    if (rc)
        return rc;
    json_array_foreach(list, i, ch)
    {
        char *data = json_dumps(ch, AU_API_JSON_FLAGS);
        if (!data) {
            rc = AU_ERR_NOMEM;
            break;
        }
        rc = au_buf_printf(&s->out, "id: %s\nevent: change\ndata: %s\n\n",
                           json_string_value(json_object_get(ch, "cursor")), data);
        free(data);
        if (rc)
            break;
    }
    json_decref(list);
    return rc;
}

/* Never blocks (it runs on an event loop): with nothing to send it returns 0 and says what to
 * wait for; the server parks the stream until then, the client's departure or shutdown. */
static long sse_read(void *ctx, char *buf, size_t max, au_wait *w)
{
    sse *s = ctx;
    if (s->sent == s->out.len) {
        au_buf_reset(&s->out);
        s->sent = 0;
        if (atomic_load(&s->srv->stopping) || au_req_client_gone(s->conn))
            return -1;
        uint64_t gen = au_profiles_generation(s->prof);
        if (sse_fill(s))
            return -1;
        int64_t now = au_wall_ms();
        if (!s->out.len && now - s->idle_since >= SSE_KEEPALIVE_S * 1000 &&
            au_buf_puts(&s->out, ": keep-alive\n\n"))
            return -1;
        if (!s->out.len) {
            *w = (au_wait){gen, s->idle_since + SSE_KEEPALIVE_S * 1000};
            return 0;
        }
        s->idle_since = now;
    }
    size_t n = s->out.len - s->sent;
    if (n > max)
        n = max;
    memcpy(buf, s->out.data + s->sent, n);
    s->sent += n;
    return (long)n;
}

static int wants_sse(const au_req *req)
{
    const char *acc = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept");
    return acc && strstr(acc, "text/event-stream") != NULL;
}

static au_rc changes_sse(au_req *req, au_profiles *prof, int64_t after, au_resp *resp, au_err *err)
{
    const char *last_id = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (last_id && *last_id) {
        uint64_t v = 0;
        if (au_cursor_decode(last_id, &v, NULL) || v > INT64_MAX)
            return au_err_set(err, AU_ERR_INVALID, "Last-Event-ID: not a change-feed cursor");
        after = (int64_t)v;
    }
    sse *s = au_calloc(1, sizeof(*s));
    if (!s)
        return AU_ERR_NOMEM;
    s->srv = req->srv;
    s->prof = prof;
    s->conn = req->conn;
    s->last = after;
    s->idle_since = au_wall_ms();
    au_buf_init(&s->out, 64u << 20);
    /* The first bytes tell the client the stream is open before any change arrives. */
    if (au_buf_puts(&s->out, ": aurum change feed\nretry: 1000\n\n")) {
        au_buf_cleanup(&s->out);
        au_free(s);
        return AU_ERR_NOMEM;
    }
    resp->stream = sse_read;
    resp->stream_ctx = s;
    resp->stream_free = sse_free;
    resp->content_type = "text/event-stream";
    return AU_OK;
}

/* GET /v1/changes?after=CURSOR|0|now&wait=SECONDS&limit=N
 * -> {"changes":[...],"next":CURSOR,"next_cursor":CURSOR} (the same cursor under both names:
 * "next_cursor" is the first version's) */
au_rc au_api_changes(au_req *req, au_resp *resp, au_err *err)
{
    au_profiles *prof = au_profiles_of(req->srv->engine);
    int64_t after = 0, last = 0;
    changes_args a = {0};
    json_t *list = NULL;
    char cur[AU_CURSOR_LEN + 1];
    /* wait and limit are checked first, so a bad request does not cost a store read */
    au_rc rc = au_query_parse(req, au_api_query_changes, &a, err);
    long wait = a.wait, limit = a.limit;
    /* A waiting request is parked by the server, holding no thread, and runs again when the
     * feed moves, its deadline passes or its client leaves; the deadline and the position
     * (`after=now` resolved once) are the first run's. */
    if (!rc && req->deadline_ms)
        after = req->wait_after;
    else if (!rc)
        rc = query_after(req, a.after, &after, err);
    if (rc)
        return rc;
    if (wants_sse(req))
        return changes_sse(req, prof, after, resp, err);
    if (!req->deadline_ms) {
        req->deadline_ms = au_wall_ms() + wait * 1000;
        req->wait_after = after;
    }
    /* The generation is read before the query, so a commit in between is not missed. */
    uint64_t gen = au_profiles_generation(prof);
    if ((rc = read_changes(req->srv, after, (int)limit, &list, &last, err)))
        return rc;
    if (!json_array_size(list) && au_wall_ms() < req->deadline_ms &&
        !atomic_load(&req->srv->stopping)) {
        json_decref(list);
        /* A client that hung up is answered (and logged) now, not when the wait runs out. */
        if (au_req_client_gone(req->conn))
            return au_err_set(err, AU_ERR_UNAVAILABLE, "the client closed the connection");
        resp->waiting = 1;
        resp->wait = (au_wait){gen, req->deadline_ms};
        return AU_OK;
    }
    au_cursor_encode((uint64_t)last, cur);
    return au_resp_json(
        resp, 200, json_pack("{s:o, s:s, s:s}", "changes", list, "next", cur, "next_cursor", cur));
}
