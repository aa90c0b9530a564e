/*
 * The API's side of the audit log and of masking (docs/SECURITY.md). http.c calls
 * au_api_run_handler instead of a route's handler: it sets the request's actor (key, client
 * address, route, the profile or record of the path) for the jobs the handler submits, so the
 * writer logs changes inside their transaction; after a successful answer on a route that reads
 * personal data it queues a read entry with the ids the answer held; and for a read:masked key
 * it masks the answer's personal values. GET /v1/audit lists the log.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/api_int.h"
#include "api/query.h"
#include "audit/audit.h"
#include "lib/alloc.h"
#include "lib/cursor.h"
#include "lib/isotime.h"

/* What a route does with personal data. */
enum {
    P_READ = 1,      /* a successful answer is a read of personal data: logged */
    P_MASK = 2,      /* the answer holds personal values: masked for read:masked keys */
    P_PROFILES = 4,  /* the answer's "profiles"[].id are the profiles read */
    P_PROFILE = 8,   /* the answer's "profile" is the profile read */
    P_QUERY_AB = 16, /* ?a=SOURCE:ID&b=SOURCE:ID name the records read */
};

/* The routes that touch personal data, by their label ("GET /v1/profiles/{id}"). Writes are
 * logged by the writer whatever the route (every job a request submits). */
static const struct {
    const char *label;
    int flags;
} personal[] = {
    {"GET /v1/profiles/{id}", P_READ | P_MASK},
    {"GET /v1/profiles", P_READ | P_MASK | P_PROFILES},
    {"GET /v1/profiles/search", P_READ | P_MASK | P_PROFILES},
    {"GET /v1/profiles/{id}/timeline", P_READ | P_MASK},
    {"GET /v1/profiles/{id}/explain", P_READ | P_MASK},
    {"GET /v1/explain", P_READ | P_MASK | P_QUERY_AB},
    {"GET /v1/sources/{source}/records/{id}", P_READ | P_MASK},
    {"GET /v1/sources/{source}/records/{id}/profile", P_READ | P_PROFILE},
    {"GET /v1/subjects/export", P_READ | P_MASK | P_PROFILE},
    /* its deletes are logged as changes; this entry names the person's profile */
    {"POST /v1/subjects/erase", P_READ | P_PROFILE},
    {"GET /v1/flows/{name}/runs", P_READ | P_MASK},
    /* a dry run answers what each step would send for a sampled stored event or profile */
    {"POST /v1/flows/{name}/test", P_READ},
    {"GET /v1/deadletters", P_READ | P_MASK},
    {"GET /v1/quality/generic", P_READ | P_MASK},
    {"GET /v1/review", P_READ | P_MASK},
    {"GET /v1/quality", P_MASK},
};

static int personal_flags(const au_route *r)
{
    size_t ml = strlen(r->method);
    for (size_t i = 0; i < sizeof(personal) / sizeof(personal[0]); i++) {
        const char *l = personal[i].label;
        if (strncmp(l, r->method, ml) == 0 && l[ml] == ' ' && strcmp(l + ml + 1, r->pattern) == 0)
            return personal[i].flags;
    }
    return 0;
}

/* The numeric address of the client, "" when unknown. */
static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(sa, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0)
        out[0] = '\0';
}

/* Key, client, route and the profile or record the path names. */
static void actor_fill(const au_req *req, au_actor *who)
{
    const au_route *r = req->route;
    memset(who, 0, sizeof(*who));
    snprintf(who->key_id, sizeof(who->key_id), "%s", req->key->id);
    snprintf(who->route, sizeof(who->route), "%s %s", r->method, r->pattern);
    client_address(req->conn, who->client, sizeof(who->client));
    const char *id = au_req_param(req, "id");
    if (id && strncmp(r->pattern, "/v1/profiles/{id}", 17) == 0) {
        char *end = NULL;
        errno = 0;
        long long v = isdigit((unsigned char)*id) ? strtoll(id, &end, 10) : 0;
        who->profile = end && !*end && !errno && v > 0 ? v : 0;
    } else if (id && strstr(r->pattern, "/records/{id}")) {
        snprintf(who->source, sizeof(who->source), "%s", au_req_param(req, "source"));
        snprintf(who->record, sizeof(who->record), "%s", id);
    }
}

/* Most ids taken from one answer into its entry. */
#define MAX_READ_IDS 512

/* Queues the read entry: the path's ids (in who) and those the answer or query held. */
static au_rc note_read(au_req *req, const au_actor *who, int flags, const json_t *body, au_err *err)
{
    int64_t profiles[MAX_READ_IDS];
    const char *sources[2] = {NULL, NULL}, *records[2] = {NULL, NULL};
    char ab[2][AU_PATH_PARAM_MAX + 1];
    size_t np = 0, nr = 0;
    const json_t *list = flags & P_PROFILES ? json_object_get(body, "profiles") : NULL;
    for (size_t i = 0; i < json_array_size(list) && np < MAX_READ_IDS; i++) {
        json_int_t id = json_integer_value(json_object_get(json_array_get(list, i), "id"));
        if (id > 0)
            profiles[np++] = id;
    }
    if (flags & P_PROFILE && np < MAX_READ_IDS &&
        json_integer_value(json_object_get(body, "profile")) > 0)
        profiles[np++] = json_integer_value(json_object_get(body, "profile"));
    for (int i = 0; flags & P_QUERY_AB && i < 2; i++) {
        const char *v = au_req_query(req, i ? "b" : "a");
        const char *colon = v ? strchr(v, ':') : NULL;
        if (!colon || strlen(v) > AU_PATH_PARAM_MAX)
            continue;
        snprintf(ab[i], sizeof(ab[i]), "%s", v);
        ab[i][colon - v] = '\0';
        sources[nr] = ab[i];
        records[nr++] = ab[i] + (colon - v) + 1;
    }
    au_audit_read r = {who, profiles, np, sources, records, nr};
    au_rc rc = au_audit_note_read(req->srv->engine, &r);
    return rc ? au_err_set(err, rc, "cannot log the read in the audit log") : AU_OK;
}

/* The canonical attribute a field of source `name` is mapped onto, or -1. */
static int field_attr(void *ctx, const char *name, const char *field)
{
    au_engine *e = ctx;
    const au_source *s = au_engine_source_acquire(e, name);
    const json_t *fields = s ? json_object_get(au_source_definition(s), "fields") : NULL;
    const char *attr;
    json_t *spec;
    int found = -1;
    json_object_foreach((json_t *)fields, attr, spec)
    {
        /* a field name, a list of them (joined into one value), or {from: name, format} */
        if (json_is_object(spec))
            spec = json_object_get(spec, "from");
        int hit = json_is_string(spec) && strcmp(json_string_value(spec), field) == 0;
        for (size_t i = 0; !hit && i < json_array_size(spec); i++)
            hit = json_is_string(json_array_get(spec, i)) &&
                  strcmp(json_string_value(json_array_get(spec, i)), field) == 0;
        if (hit && (found = au_attr_from_name(attr)) >= 0)
            break;
    }
    au_engine_source_release(e, s);
    return found;
}

/* Replaces the answer by its masked form. */
static au_rc mask_answer(au_req *req, au_resp *resp, json_t *body, au_err *err)
{
    const au_mask_policy *p = au_audit_mask_policy(req->srv->engine);
    au_rc rc = p ? au_mask_json(p, body, field_attr, req->srv->engine) : AU_ERR_INTERNAL;
    if (rc)
        return au_err_set(err, rc, "cannot mask the answer");
    au_free(resp->body);
    resp->body = NULL;
    return au_resp_json(resp, resp->status, json_incref(body));
}

au_rc au_api_run_handler(au_req *req, au_resp *resp, au_err *err)
{
    au_actor who;
    json_t *body = NULL;
    if (!req->key) /* no key, no personal data (health, console files, sessions, hooks) */
        return req->route->handler(req, resp, err);
    actor_fill(req, &who);
    au_engine_actor_set(&who);
    au_rc rc = req->route->handler(req, resp, err);
    au_engine_actor_set(NULL);
    int flags = personal_flags(req->route), masked = au_key_is_masked(req->key);
    if (rc || !flags || resp->stream || !resp->body)
        return rc;
    if ((flags & (P_PROFILES | P_PROFILE)) || (masked && (flags & P_MASK))) {
        body = json_loadb(resp->body, resp->len, 0, NULL);
        if (!body)
            return au_err_set(err, AU_ERR_NOMEM, "cannot read back the answer to log it");
    }
    if (flags & P_READ)
        rc = note_read(req, &who, flags, body, err);
    if (!rc && masked && (flags & P_MASK))
        rc = mask_answer(req, resp, body, err);
    json_decref(body);
    return rc;
}

/* --- GET /v1/audit ------------------------------------------------------------------------ */

typedef struct audit_query {
    long profile, limit;
    const char *record, *key, *route, *since, *cursor;
} audit_query;

const au_query_spec au_api_query_audit[] = {
    AU_QUERY_ROW("profile", AU_QUERY_INT, offsetof(audit_query, profile), NULL,
                 "entries touching this profile", .min = 1, .max = LONG_MAX),
    AU_QUERY_ROW("record", AU_QUERY_STR, offsetof(audit_query, record), NULL,
                 "entries touching this record: SOURCE:ID, or its number"),
    AU_QUERY_ROW("key", AU_QUERY_STR, offsetof(audit_query, key), NULL, "entries of this key id"),
    AU_QUERY_ROW("route", AU_QUERY_STR, offsetof(audit_query, route), NULL,
                 "entries of this route, as GET /v1/profiles/{id}"),
    AU_QUERY_ROW("since", AU_QUERY_STR, offsetof(audit_query, since), NULL,
                 "entries at or after this time (ISO 8601 or epoch ms)"),
    AU_QUERY_ROW("limit", AU_QUERY_INT, offsetof(audit_query, limit), "100", "entries per page",
                 .min = 1, .max = 1000),
    AU_QUERY_ROW("cursor", AU_QUERY_STR, offsetof(audit_query, cursor), NULL,
                 "next_cursor of the previous page"),
    {0},
};

static au_rc parse_since(const char *s, int64_t *ms, au_err *err)
{
    char *end = NULL;
    *ms = 0;
    if (!s)
        return AU_OK;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s && !*end && !errno && v >= 0) {
        *ms = v;
        return AU_OK;
    }
    if (au_iso8601_parse(s, strlen(s), ms))
        return au_err_set(err, AU_ERR_INVALID, "since: expected ISO 8601 or epoch ms, got '%s'", s);
    return AU_OK;
}

static au_rc build_filter(const audit_query *q, au_audit_filter *f, au_err *err)
{
    uint64_t before = 0;
    au_rc rc = parse_since(q->since, &f->since_ms, err);
    if (!rc && q->cursor && au_cursor_decode(q->cursor, &before, NULL))
        rc = au_err_set(err, AU_ERR_INVALID, "cursor: not a cursor of this list");
    f->before = (int64_t)before;
    f->profile = q->profile;
    f->key_id = q->key;
    f->route = q->route;
    f->limit = (int)q->limit;
    return rc;
}

/* GET /v1/audit?profile=&record=&key=&route=&since=&limit=&cursor=
 * -> {"entries":[{"id","at","at_ms","action","key_id","key_name","client","route","profiles",
 * "records","hash"}],"next_cursor":CURSOR|null}, newest first */
au_rc au_api_audit_list(au_req *req, au_resp *resp, au_err *err)
{
    audit_query q = {0};
    au_audit_filter f = {0};
    json_t *list = NULL;
    int64_t next = 0;
    au_store *st = NULL;
    au_rc rc = au_query_parse(req, au_api_query_audit, &q, err);
    if (!rc)
        rc = build_filter(&q, &f, err);
    if (!rc && !(st = au_engine_reader(req->srv->engine)))
        rc = au_err_set(err, AU_ERR_BUSY, "no store reader available");
    if (!rc)
        rc = au_audit_list(st, &f, q.record, &list, &next);
    if (st)
        au_engine_reader_release(req->srv->engine, st);
    if (rc)
        return rc == AU_ERR_INVALID ? au_err_set(err, rc, "record: SOURCE:ID or a record number")
                                    : au_err_set(err, rc, "cannot read the audit log");
    char cur[AU_CURSOR_LEN + 1];
    au_cursor_encode((uint64_t)next, cur);
    return au_resp_json(resp, 200,
                        json_pack("{s:o, s:o}", "entries", list, "next_cursor",
                                  next ? json_string(cur) : json_null()));
}
