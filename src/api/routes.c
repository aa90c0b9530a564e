/*
 * The route table: the single place where the API is declared. The router, the scope checks,
 * the metrics labels, `aurum help api` and docs/API.md are all derived from AU_ROUTE_LIST, so a
 * route cannot exist without being documented and counted.
 */
#include <string.h>

#include "api/api_int.h"
#include "api/query.h"
#include "lib/alloc.h"

/* X(method, pattern, handler, scope, summary, body/query) */
#define AU_ROUTE_LIST(X)                                                                           \
    X("GET", "/healthz", au_api_health, AU_NEED_NONE, "Liveness check: {\"status\":\"ok\"}.",      \
      NULL)                                                                                        \
    /* --- console: the web console's files and sessions ---------------------------------- */     \
    X("GET", "/", au_api_console_index, AU_NEED_NONE,                                              \
      "The web console (docs/CONSOLE.md); strict Content-Security-Policy, ETag revalidation.",     \
      NULL)                                                                                        \
    X("GET", "/console/{file}", au_api_console_asset, AU_NEED_NONE,                                \
      "One file of the console (scripts, styles), embedded in the binary; If-None-Match -> 304.",  \
      NULL)                                                                                        \
    X("POST", "/v1/session", au_api_session_post, AU_NEED_NONE,                                    \
      "Signs in: an API key for a session cookie (HttpOnly, SameSite=Strict) and a CSRF token "    \
      "that every write made with the cookie must send as X-CSRF-Token; scopes are the key's.",    \
      "{\"key\": API key}")                                                                        \
    X("GET", "/v1/session", au_api_session_get, AU_NEED_NONE,                                      \
      "The signed-in session: {\"key_id\",\"scopes\",\"csrf_token\",\"expires_at_ms\"}; 401 "      \
      "without one.",                                                                              \
      NULL)                                                                                        \
    X("DELETE", "/v1/session", au_api_session_delete, AU_NEED_NONE,                                \
      "Signs out (needs X-CSRF-Token); the cookie is cleared.", NULL)                              \
    /* (end of the console routes) */                                                              \
    X("GET", "/metrics", au_api_metrics, AU_NEED_READ,                                             \
      "Prometheus text exposition: requests, latency, records and events ingested, events "        \
      "unlinked (aurum_events_unlinked_total{source,reason}), engine.",                            \
      NULL)                                                                                        \
    X("GET", "/v1/sources", au_api_source_list, AU_NEED_READ,                                      \
      "Lists the registered sources with their definitions.", NULL)                                \
    X("PUT", "/v1/sources/{source}", au_api_source_put, AU_NEED_ADMIN,                             \
      "Registers or replaces a source: field mapping onto the canonical schema, trust, and an "    \
      "optional inbound connector (docs/CONNECTORS.md), checked first and (re)started once the "   \
      "definition is stored.",                                                                     \
      "source definition object (see src/core/source.h), \"inbound\":{\"kind\",...}")              \
    X("GET", "/v1/sources/{source}", au_api_source_get, AU_NEED_READ,                              \
      "The definition of one source.", NULL)                                                       \
    X("POST", "/v1/sources/{source}/sync", au_api_sync_post, AU_NEED_ADMIN,                        \
      "Runs the source's inbound connector now (docs/CONNECTORS.md); answers its state as GET "    \
      "does, with \"completed\": true when the run ended within ?wait. 404 without a connector.",  \
      NULL)                                                                                        \
    X("GET", "/v1/sources/{source}/sync", au_api_sync_get, AU_NEED_READ,                           \
      "The inbound connector of the source: {\"state\",\"mode\",\"schedule\",\"running\","         \
      "\"cursor\",\"lag_ms\",\"next_run_ms\",\"failures\",\"last_run\":{\"started_ms\","           \
      "\"finished_ms\",\"ok\",\"error\",\"counts\"},\"totals\",\"current\"}; counts are read, "    \
      "inserted, updated, unchanged, quarantined, refused, deleted.",                              \
      NULL)                                                                                        \
    X("POST", "/v1/sources/{source}/records", au_api_records_post, AU_NEED_WRITE_SOURCE,           \
      "Upserts a batch of source documents, all or nothing; idempotent on (source, record id). "   \
      "Answers {\"inserted\",\"updated\",\"unchanged\",\"warnings\",\"warnings_total\","           \
      "\"records_with_warnings\"}: dirty values are quarantined and listed, not refused.",         \
      "JSON array of documents, or JSON lines with Content-Type application/x-ndjson")             \
    X("GET", "/v1/sources/{source}/records/{id}", au_api_record_get, AU_NEED_READ,                 \
      "The current version of a record: attributes (raw, value, key, status, reason), custom "     \
      "fields, input.",                                                                            \
      NULL)                                                                                        \
    X("DELETE", "/v1/sources/{source}/records/{id}", au_api_record_delete, AU_NEED_WRITE_SOURCE,   \
      "Deletes a record (a tombstone version is kept); 404 when absent.", NULL)                    \
    X("POST", "/v1/events", au_api_events_post, AU_NEED_WRITE_BODY,                                \
      "Stores business events (one object or an array), all or nothing; idempotent on "            \
      "(source, event_id). Needs write:<source> for each event's source.",                         \
      "{\"source\",\"event_id\",\"type\",\"at\" (ISO 8601 or epoch ms),\"customer\":{\"source\","  \
      "\"record\"}|{\"email\"}|{\"phone\"},\"properties\":{}}; an event for an unknown customer "  \
      "or from an undeclared source is kept and answered with \"warnings\"")                       \
    X("GET", "/v1/events/unlinked", au_api_events_unlinked, AU_NEED_READ,                          \
      "Events linked to no customer yet (no record holds the customer they name), per source: "    \
      "{\"sources\":[{\"source\",\"unlinked\"}],\"total\"}. Such an event joins a timeline when "  \
      "its customer's record is written.",                                                         \
      NULL)                                                                                        \
    /* --- resolution: explain, overrides ---------------------------------------------- */        \
    X("GET", "/v1/profiles/{id}/explain", au_api_profile_explain, AU_NEED_READ,                    \
      "Why the records of a profile belong together: per record its best link inside the "         \
      "profile (rule or comparison levels, weights, total) and its mean weight.",                  \
      NULL)                                                                                        \
    X("GET", "/v1/explain", au_api_explain, AU_NEED_READ,                                          \
      "Why two records are (not) one person: rule, each comparison's level and match weight, "     \
      "prior, total, probability, decision.",                                                      \
      NULL)                                                                                        \
    X("GET", "/v1/sources/{source}/records/{id}/profile", au_api_record_profile, AU_NEED_READ,     \
      "The profile a record belongs to: {\"source\",\"record_id\",\"profile\"}.", NULL)            \
    X("POST", "/v1/profiles/{id}/merge", au_api_profile_merge, AU_NEED_ADMIN,                      \
      "Merges another profile (or a record's profile) into this one; kept as a must-link that "    \
      "wins in every later re-evaluation; do-not-link rules between the two profiles' records "    \
      "(a split's) are forgotten.",                                                                \
      "{\"with\": profile id | {\"source\",\"record\"}}")                                          \
    X("POST", "/v1/profiles/{id}/split", au_api_profile_split, AU_NEED_ADMIN,                      \
      "Splits the listed records off the profile; kept as cannot-links between them and the "      \
      "rest.",                                                                                     \
      "{\"records\": [{\"source\",\"record\"}, ...]}")                                             \
    X("POST", "/v1/overrides", au_api_override_post, AU_NEED_ADMIN,                                \
      "A manual decision on two records: must_link, cannot_link (do not link) or none (forget).",  \
      "{\"a\":{\"source\",\"record\"},\"b\":{...},\"kind\":\"must_link|cannot_link|none\"}")       \
    X("GET", "/v1/review", au_api_review, AU_NEED_READ,                                            \
      "Possible matches queued for review (between possible_weight and match_weight), "            \
      "strongest first.",                                                                          \
      NULL)                                                                                        \
    X("GET", "/v1/quality/generic", au_api_quality_generic, AU_NEED_READ,                          \
      "Generic values: e-mails, phones, national ids and addresses held by several clearly "       \
      "different people or known placeholders, no longer used as evidence or blocking keys "       \
      "(override with matching.generic.never / always).",                                          \
      NULL)                                                                                        \
    /* (end of the resolution routes) */                                                           \
    /* --- profiles: profile reads, search, timeline, changes, Segment intake -------------- */    \
    X("GET", "/v1/profiles/search", au_api_profile_search, AU_NEED_READ,                           \
      "Name search for the console: every word matched exactly, by prefix or within one or two "   \
      "edits; profiles ranked by score.",                                                          \
      NULL)                                                                                        \
    X("GET", "/v1/profiles", au_api_profile_lookup, AU_NEED_READ,                                  \
      "Profiles holding an identifier: {\"profiles\":[golden records]}; 404 when none.", NULL)     \
    X("GET", "/v1/profiles/{id}", au_api_profile_get, AU_NEED_READ,                                \
      "The golden record of a profile; a merged-away id answers with the surviving profile and "   \
      "\"merged_into\".",                                                                          \
      NULL)                                                                                        \
    X("GET", "/v1/profiles/{id}/timeline", au_api_profile_timeline, AU_NEED_READ,                  \
      "Events of every record of the profile, newest first, cursor-paginated.", NULL)              \
    X("GET", "/v1/changes", au_api_changes, AU_NEED_READ,                                          \
      "Change feed of profiles after a cursor (after=now: only changes from now on; after=0 or "   \
      "none: from the beginning); answers the cursor to resume from as \"next\"; long-polls with " \
      "wait; Server-Sent Events with Accept: text/event-stream (Last-Event-ID honoured).",         \
      NULL)                                                                                        \
    X("GET", "/v1/bus", au_api_bus_get, AU_NEED_READ,                                              \
      "The NATS JetStream publisher of profile changes and events (docs/BUS.md): per feed the "    \
      "acknowledged watermark, the newest stored position and the lag; connection, duplicates "    \
      "the stream dropped, errors and the last one.",                                              \
      NULL)                                                                                        \
    X("POST", "/v1/identify", au_api_segment, AU_NEED_SEGMENT,                                     \
      "Segment identify: a record of source segment; dirty traits are quarantined and listed in "  \
      "warnings.",                                                                                 \
      "Segment message; write key as Basic user")                                                  \
    X("POST", "/v1/track", au_api_segment, AU_NEED_SEGMENT, "Segment track: an event.",            \
      "Segment message")                                                                           \
    X("POST", "/v1/page", au_api_segment, AU_NEED_SEGMENT, "Segment page: an event.",              \
      "Segment message")                                                                           \
    X("POST", "/v1/screen", au_api_segment, AU_NEED_SEGMENT, "Segment screen: an event.",          \
      "Segment message")                                                                           \
    X("POST", "/v1/group", au_api_segment, AU_NEED_SEGMENT, "Segment group: an event.",            \
      "Segment message")                                                                           \
    X("POST", "/v1/alias", au_api_segment, AU_NEED_SEGMENT,                                        \
      "Segment alias: links previousId to userId.", "Segment message")                             \
    X("POST", "/v1/batch", au_api_segment, AU_NEED_SEGMENT,                                        \
      "Segment batch (what the SDKs send), all or nothing; warnings as for identify.",             \
      "{\"batch\":[messages]}")                                                                    \
    X("POST", "/v1/import", au_api_segment, AU_NEED_SEGMENT, "Alias of /v1/batch.",                \
      "{\"batch\":[messages]}")                                                                    \
    /* (end of the profile routes) */                                                              \
    /* --- flows: flows, runs, dead letters, hooks ------------------------------------------ */   \
    X("GET", "/v1/flows", au_api_flow_list, AU_NEED_READ,                                          \
      "Lists the flows (secrets redacted), where each is defined (config or api) and how its "     \
      "runs stand: last_run (status, error), runs by status, failures, open dead_letters, "        \
      "retrying deliveries and the last retry error.",                                             \
      NULL)                                                                                        \
    X("PUT", "/v1/flows/{name}", au_api_flow_put, AU_NEED_ADMIN,                                   \
      "Validates (every error with its line and column) and saves a flow; it runs at once. "       \
      "Placeholders of hidden values read from GET (\"********\", \"[redacted]\") keep the "       \
      "stored values; anywhere else they are refused.",                                            \
      "flow definition, YAML or JSON (docs/FLOWS.md)")                                             \
    X("GET", "/v1/flows/{name}", au_api_flow_get, AU_NEED_READ,                                    \
      "One flow's normalised definition (secrets redacted) and how its runs stand.", NULL)         \
    X("DELETE", "/v1/flows/{name}", au_api_flow_delete, AU_NEED_ADMIN,                             \
      "Deletes a flow saved over the API; pending deliveries of it go to the dead letters.", NULL) \
    X("GET", "/v1/flows/{name}/runs", au_api_flow_runs, AU_NEED_READ,                              \
      "Run history, newest first: trigger, condition, status, error (why a run failed), each "     \
      "step's outcome, attempts, latency; input with the profile as its id unless context=1.",     \
      NULL)                                                                                        \
    X("POST", "/v1/flows/{name}/test", au_api_flow_test, AU_NEED_ADMIN,                            \
      "Dry run: evaluates the flow against the given context, or with none samples the newest "    \
      "matching stored event or profile change (says which in \"sampled\"), returns what each "    \
      "step would send. Sends and writes nothing.",                                                \
      "the run context: {\"event\":{...}} | {\"profile\":{...}} | {\"webhook\":{...}}; empty, {} " \
      "or {\"sample\":true} to sample; {\"sample\":{\"profile\":ID}} or "                          \
      "{\"sample\":{\"source\":S,\"event\":ID}} for a chosen customer or event")                   \
    X("POST", "/v1/hooks/{flow}", au_api_flow_hook, AU_NEED_NONE,                                  \
      "Webhook trigger: starts a run with {\"webhook\": body}. No API key: X-Aurum-Timestamp "     \
      "(Unix s) and X-Aurum-Signature: sha256=HMAC(secret, \"ts.body\") (or X-Aurum-Secret); "     \
      "stale, replayed, wrong or unknown flow: the same 401 (docs/SECRETS.md).",                   \
      "any JSON; Idempotency-Key header makes repeats start no second run")                        \
    X("GET", "/v1/deadletters", au_api_deadletter_list, AU_NEED_READ,                              \
      "Dead letters, newest first, with the request, the response and the reason.", NULL)          \
    X("POST", "/v1/deadletters/replay", au_api_deadletter_replay_all, AU_NEED_ADMIN,               \
      "Replays every open dead letter (of one flow) once the target is fixed.",                    \
      "{\"flow\": NAME} (optional)")                                                               \
    X("POST", "/v1/deadletters/{id}/replay", au_api_deadletter_replay, AU_NEED_ADMIN,              \
      "Puts one dead letter's delivery back in the outbox (attempts reset).", NULL)                \
    X("GET", "/v1/secrets", au_api_secret_list, AU_NEED_ADMIN,                                     \
      "Names of the stored secrets with when each was set; never their values (docs/SECRETS.md).", \
      NULL)                                                                                        \
    X("PUT", "/v1/secrets/{name}", au_api_secret_put, AU_NEED_ADMIN,                               \
      "Stores or replaces a secret, encrypted at rest; steps use it as {{ secret.NAME }}. The "    \
      "answer never holds the value.",                                                             \
      "{\"value\": \"...\"}; names are 1-64 letters, digits or _")                                 \
    X("DELETE", "/v1/secrets/{name}", au_api_secret_delete, AU_NEED_ADMIN,                         \
      "Removes a secret; 404 when absent.", NULL)                                                  \
    /* (end of the flow routes) */                                                                 \
    /* --- data quality --------------------------------------------------------------- */         \
    X("GET", "/v1/quality", au_api_quality, AU_NEED_READ,                                          \
      "The data-quality ledger: per source and attribute the valid, quarantined and missing "      \
      "counts, the top reasons with example record ids, a per-day series, and per inbound "        \
      "connector its refused documents and failed syncs with the last reasons (docs/QUALITY.md).", \
      NULL)                                                                                        \
    X("POST", "/v1/sources/{source}/renormalize", au_api_renormalize, AU_NEED_ADMIN,               \
      "Maps the stored input of every current record of the source through its current "           \
      "definition again, as updates (resolution, profiles, flows and the ledger follow). Answers " \
      "{\"records\",\"changed\",\"unchanged\",\"quarantined\",\"failed\"}.",                       \
      NULL)                                                                                        \
    /* (end of the data-quality routes) */                                                         \
    /* --- data subjects: erasure and export (docs/PRIVACY.md) -------------------------- */       \
    X("POST", "/v1/subjects/erase", au_api_subject_erase, AU_NEED_ADMIN,                           \
      "Erases a person: their records are deleted (remaining records re-resolved), then every "    \
      "trace leaves every table and the WAL; answers the receipt (hashed identifiers, counts).",   \
      "{\"profile\":ID} | {\"email\"} | {\"phone\"} | {\"source\",\"record\"}, "                   \
      "\"suppress\": true keeps the hashes on the suppression list")                               \
    X("GET", "/v1/subjects/export", au_api_subject_export, AU_NEED_ADMIN,                          \
      "Everything held about a person with where it came from: golden record with lineage, "       \
      "every version of their records, events, flow runs and dead letters mentioning them.",       \
      NULL)                                                                                        \
    /* (end of the data-subject routes) */                                                         \
    /* --- audit log (docs/SECURITY.md) ------------------------------------------------ */        \
    X("GET", "/v1/audit", au_api_audit_list, AU_NEED_ADMIN,                                        \
      "The audit log of reads and changes of personal data, newest first: key, client, route, "    \
      "profiles and record numbers touched, time, chain hash; cursor-paginated "                   \
      "({\"entries\",\"next_cursor\"}). `aurum audit verify` checks the chain.",                   \
      NULL)                                                                                        \
    /* (end of the audit routes) */

const au_route au_routes[] = {
#define AU_ROUTE_ROW(m, p, h, n, s, b) {m, p, h, n, s, b},
    AU_ROUTE_LIST(AU_ROUTE_ROW)
#undef AU_ROUTE_ROW
};
const size_t au_nroutes = sizeof(au_routes) / sizeof(au_routes[0]);

const char *const au_route_labels[] = {
#define AU_ROUTE_LABEL(m, p, h, n, s, b) m " " p,
    AU_ROUTE_LIST(AU_ROUTE_LABEL)
#undef AU_ROUTE_LABEL
};

/* A decoded path parameter is refused when it holds a NUL (which would cut the name: PUT
 * /v1/sources/crm%00evil must not replace crm), any other control character, or more than
 * AU_PATH_PARAM_MAX bytes. */
static int param_ok(const char *p, size_t decoded_len)
{
    if (decoded_len != strlen(p) || decoded_len > AU_PATH_PARAM_MAX)
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* Matches one path against one pattern; on success the parameters are stored in req and
 * *bad is set when one of them breaks param_ok. */
static int match_pattern(const char *pattern, const char *path, au_req *req, int *bad)
{
    const char *p = pattern, *u = path;
    size_t n = 0;
    while (*p && *u) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            const char *ue = strchr(u, '/');
            if (!ue)
                ue = u + strlen(u);
            if (!pe || ue == u || n >= AU_ROUTE_MAX_PARAMS)
                goto fail;
            if (req) {
                /* Decoded per segment, so an id may contain an escaped '/' (%2F). */
                if (!(req->params[n] = au_strndup(u, (size_t)(ue - u))))
                    goto fail;
                size_t dl = MHD_http_unescape(req->params[n]);
                if (!param_ok(req->params[n], dl))
                    *bad = 1;
            }
            n++;
            p = pe + 1;
            u = ue;
        } else if (*p++ != *u++) {
            goto fail;
        }
    }
    if (*p || *u)
        goto fail;
    if (req)
        req->nparams = n;
    return 1;
fail:
    if (req) {
        for (size_t i = 0; i < n && i < AU_ROUTE_MAX_PARAMS; i++) {
            au_free(req->params[i]);
            req->params[i] = NULL;
        }
        req->nparams = 0;
    }
    return 0;
}

const au_route *au_route_match(const char *method, const char *path, au_req *req, au_rc *rc)
{
    int path_known = 0, bad = 0;
    for (size_t i = 0; i < au_nroutes; i++) {
        const au_route *r = &au_routes[i];
        if (strcmp(r->method, method) != 0) {
            path_known |= match_pattern(r->pattern, path, NULL, &bad);
            continue;
        }
        if (match_pattern(r->pattern, path, req, &bad)) {
            if (req)
                req->route = r;
            *rc = bad ? AU_ERR_INVALID : AU_OK;
            return r;
        }
    }
    *rc = path_known ? AU_ERR_METHOD : AU_ERR_NOT_FOUND;
    return NULL;
}

const char *au_req_param(const au_req *req, const char *name)
{
    /* The k-th "{...}" of the pattern is the k-th parameter. */
    size_t k = 0, len = strlen(name);
    for (const char *p = req->route->pattern; (p = strchr(p, '{')); p++, k++)
        if (strncmp(p + 1, name, len) == 0 && p[1 + len] == '}')
            return k < req->nparams ? req->params[k] : NULL;
    return NULL;
}

void au_req_cleanup(au_req *req)
{
    for (size_t i = 0; i < req->nparams; i++) {
        au_free(req->params[i]);
        req->params[i] = NULL;
    }
    req->nparams = 0;
    for (size_t i = 0; i < req->ndecoded; i++) {
        au_free(req->decoded[i]);
        req->decoded[i] = NULL;
    }
    req->ndecoded = 0;
}

static const char *need_name(au_need n)
{
    switch (n) {
    case AU_NEED_NONE:
        return "none";
    case AU_NEED_READ:
        return "read";
    case AU_NEED_ADMIN:
        return "admin";
    case AU_NEED_WRITE_SOURCE:
        return "write:{source}";
    case AU_NEED_WRITE_BODY:
        return "write:<source of each item>";
    case AU_NEED_SEGMENT:
        return "write:segment (Basic user)";
    }
    return "?";
}

/* A table cell: '|' would end the cell early in markdown. */
static void md_cell(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, f);
}

/* The declared query parameters of the routes that take any: the reference prints them from
 * the rows the handlers parse with, so it cannot drift from what is accepted. */
static const struct {
    au_handler handler;         /* the route's handler */
    const au_query_spec *query; /* its table (api/query.h) */
} route_queries[] = {
    {au_api_record_get, au_api_query_record_get},
    {au_api_explain, au_api_query_explain},
    {au_api_review, au_api_query_review},
    {au_api_quality_generic, au_api_query_quality_generic},
    {au_api_profile_search, au_api_query_profile_search},
    {au_api_profile_lookup, au_api_query_profile_lookup},
    {au_api_profile_get, au_api_query_profile_get},
    {au_api_profile_timeline, au_api_query_profile_timeline},
    {au_api_changes, au_api_query_changes},
    {au_api_flow_runs, au_api_query_flow_runs},
    {au_api_deadletter_list, au_api_query_deadletters},
    {au_api_quality, au_api_query_quality},
    {au_api_subject_export, au_api_query_subject_export},
    {au_api_sync_post, au_api_query_sync},
    {au_api_audit_list, au_api_query_audit},
};

/* The route's input for the reference: its body text, then its query parameters. NULL: none.
 * Caller frees with au_free. */
static char *route_input(const au_route *r, const char *sep)
{
    au_buf b;
    au_buf_init(&b, 1 << 16);
    au_rc rc = r->body ? au_buf_printf(&b, "%s%s", r->body, sep) : AU_OK;
    for (size_t i = 0; i < sizeof(route_queries) / sizeof(route_queries[0]) && !rc; i++)
        if (route_queries[i].handler == r->handler)
            rc = au_query_describe_line(route_queries[i].query, sep, &b);
    if (!rc && b.len >= strlen(sep))
        b.len -= strlen(sep); /* no separator after the last item */
    char *out = !rc && b.len ? au_strndup(b.data, b.len) : NULL;
    au_buf_cleanup(&b);
    return out;
}

void au_api_print_routes(FILE *f, int markdown)
{
    if (markdown)
        fprintf(f, "| Method | Path | Scope | What it does | Body / query |\n"
                   "|---|---|---|---|---|\n");
    for (size_t i = 0; i < au_nroutes; i++) {
        const au_route *r = &au_routes[i];
        char *in = route_input(r, markdown ? "<br>" : "\n              ");
        if (markdown) {
            fprintf(f, "| %s | `%s` | %s | ", r->method, r->pattern, need_name(r->need));
            md_cell(f, r->summary);
            fputs(" | ", f);
            md_cell(f, in);
            fputs(" |\n", f);
        } else
            fprintf(f, "%-6s %-36s scope: %s\n       %s\n%s%s%s", r->method, r->pattern,
                    need_name(r->need), r->summary, in ? "       input: " : "", in ? in : "",
                    in ? "\n" : "");
        au_free(in);
    }
    if (!markdown)
        fputs("\nBodies may be sent compressed: Content-Encoding gzip or deflate (zlib or raw);\n"
              "max_body_bytes bounds the decoded size (413), other encodings are 415 (docs/API.md)."
              "\n",
              f);
}
