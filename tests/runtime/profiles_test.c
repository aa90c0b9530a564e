/*
 * Black-box tests of the single customer view against the real daemon: golden records with
 * lineage from several sources, lookups by e-mail, phone and source record, ranked name search,
 * merged-away ids, timelines (pagination, filters, following a merge), the change feed (resume
 * from a cursor under concurrent writers, long-poll wake-up, after=now and the next cursor,
 * Server-Sent Events, bad cursors) and the Segment endpoints with Basic authentication.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

TestSuite(profiles, .fini = au_rt_cleanup_all);

static const char src_def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"phone\":\"phone\",\"city\":\"city\"},"
    "\"trust\":{\"*\":%s}}";

static void start(au_rt_daemon *d)
{
    int rc = au_rt_start(d, NULL);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");
}

static void put_source(au_rt_daemon *d, const char *name, const char *trust)
{
    au_rt_resp r = {0};
    char path[128], def[512];
    snprintf(path, sizeof(path), "/v1/sources/%s", name);
    snprintf(def, sizeof(def), src_def, trust);
    cr_assert_eq(au_rt_admin(d, "PUT", path, def, &r), 200, "PUT source: %s", r.body);
    au_rt_resp_cleanup(&r);
}

static void post_ok(au_rt_daemon *d, const char *path, const char *body)
{
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "POST", path, body, &r), 200, "POST %s: %s", path, r.body);
    au_rt_resp_cleanup(&r);
}

/* GET with the admin key, expecting `status`; returns the parsed body (caller decrefs). */
static json_t *get_json(au_rt_daemon *d, const char *path, long status)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, "GET", path, NULL, &r);
    cr_assert_eq(st, status, "GET %s: %ld %s", path, st, r.body);
    json_t *j = au_rt_json(&r);
    cr_assert(j, "GET %s: not JSON: %s", path, r.body);
    au_rt_resp_cleanup(&r);
    return j;
}

static const char *error_code(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "code"));
}

/* The id of the single profile found by a lookup. */
static long lookup_id(au_rt_daemon *d, const char *query)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/profiles?%s", query);
    json_t *j = get_json(d, path, 200);
    json_t *list = json_object_get(j, "profiles");
    cr_assert_eq(json_array_size(list), 1, "%s: expected one profile", query);
    long id = (long)json_integer_value(json_object_get(json_array_get(list, 0), "id"));
    json_decref(j);
    return id;
}

static void seed_bob(au_rt_daemon *d)
{
    put_source(d, "crm", "0.9");
    put_source(d, "shop", "0.4");
    post_ok(d, "/v1/sources/crm/records",
            "[{\"id\":\"C1\",\"first\":\"Robert\",\"last\":\"Smith\",\"email\":"
            "\"Bob.Smith@Example.com\",\"phone\":\"020 7946 0958\",\"city\":\"London\"}]");
    post_ok(d, "/v1/sources/shop/records",
            "[{\"id\":\"S1\",\"first\":\"Robert\",\"last\":\"Smith\",\"email\":"
            "\"bob.smith@example.com\",\"phone\":\"07700 900123\",\"city\":\"Leeds\"}]");
}

Test(profiles, golden_record_with_lineage_from_two_sources)
{
    au_rt_daemon d;
    start(&d);
    seed_bob(&d);
    long id = lookup_id(&d, "email=bob.smith%40example.com");
    char path[128];
    snprintf(path, sizeof(path), "/v1/profiles/%ld?lineage=1", id);
    json_t *p = get_json(&d, path, 200);
    json_t *attrs = json_object_get(p, "attributes"), *lin = json_object_get(p, "lineage");
    cr_assert_eq(json_integer_value(json_object_get(p, "records")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "first_name")), "Robert");
    /* city is most_recent by default: the shop record was written last */
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "city")), "Leeds");
    json_t *cl = json_object_get(lin, "city");
    cr_assert_str_eq(json_string_value(json_object_get(cl, "source")), "shop");
    cr_assert_str_eq(json_string_value(json_object_get(cl, "record_id")), "S1");
    cr_assert_str_eq(json_string_value(json_object_get(cl, "rule")), "most_recent");
    cr_assert_eq(json_integer_value(json_object_get(cl, "version")), 1);
    cr_assert(json_is_string(json_object_get(cl, "at")));
    /* both phones kept, one e-mail held by both records */
    cr_assert_eq(json_array_size(json_object_get(p, "phones")), 2);
    json_t *emails = json_object_get(p, "emails");
    cr_assert_eq(json_array_size(emails), 1);
    cr_assert_eq(json_array_size(json_object_get(json_array_get(emails, 0), "sources")), 2);
    json_decref(p);
    /* without lineage=1 the member is left out */
    snprintf(path, sizeof(path), "/v1/profiles/%ld", id);
    p = get_json(&d, path, 200);
    cr_assert_null(json_object_get(p, "lineage"));
    json_decref(p);
    /* an update is visible at once, in both forms (read twice: the second may be cached) */
    post_ok(&d, "/v1/sources/shop/records",
            "[{\"id\":\"S1\",\"first\":\"Robert\",\"last\":\"Smith\",\"email\":"
            "\"bob.smith@example.com\",\"phone\":\"07700 900123\",\"city\":\"York\"}]");
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof(path), "/v1/profiles/%ld%s", id, k % 2 ? "?lineage=1" : "");
        p = get_json(&d, path, 200);
        cr_assert_str_eq(
            json_string_value(json_object_get(json_object_get(p, "attributes"), "city")), "York");
        json_decref(p);
    }
    /* the content-only update is in the change feed as the last row */
    json_t *ch = get_json(&d, "/v1/changes?limit=1000", 200);
    json_t *list = json_object_get(ch, "changes");
    json_t *last = json_array_get(list, json_array_size(list) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(last, "kind")), "updated");
    cr_assert_str_eq(json_string_value(json_object_get(last, "record_id")), "S1");
    cr_assert_eq(json_integer_value(json_object_get(last, "profile")), id);
    json_decref(ch);
    au_rt_cleanup(&d);
}

Test(profiles, lookup_by_email_phone_and_source_record)
{
    au_rt_daemon d;
    start(&d);
    seed_bob(&d);
    long id = lookup_id(&d, "email=BOB.SMITH%40example.com");
    cr_assert_eq(lookup_id(&d, "phone=%2B44%2020%207946%200958"), id);
    cr_assert_eq(lookup_id(&d, "phone=07700900123"), id);
    cr_assert_eq(lookup_id(&d, "source=shop&record=S1"), id);
    cr_assert_eq(lookup_id(&d, "source=crm&record=C1"), id);
    json_t *j = get_json(&d, "/v1/profiles?email=nobody%40example.com", 404);
    cr_assert_str_eq(error_code(j), "not_found");
    json_decref(j);
    j = get_json(&d, "/v1/profiles?source=crm&record=NOPE", 404);
    json_decref(j);
    j = get_json(&d, "/v1/profiles?source=crm", 400);
    cr_assert_str_eq(error_code(j), "invalid_input");
    json_decref(j);
    j = get_json(&d, "/v1/profiles/999999", 404);
    cr_assert_str_eq(error_code(j), "not_found");
    json_decref(j);
    j = get_json(&d, "/v1/profiles/abc", 404);
    json_decref(j);
    j = get_json(&d, "/v1/profiles/999999/timeline", 404);
    json_decref(j);
    au_rt_cleanup(&d);
}

Test(profiles, search_ranks_exact_above_prefix_and_typos)
{
    au_rt_daemon d;
    start(&d);
    put_source(&d, "crm", "0.5");
    post_ok(&d, "/v1/sources/crm/records",
            "[{\"id\":\"1\",\"first\":\"Roberta\",\"last\":\"Clark\",\"email\":\"rc@a.example\"},"
            "{\"id\":\"2\",\"first\":\"Robert\",\"last\":\"Smith\",\"email\":\"r@b.example\"},"
            "{\"id\":\"3\",\"first\":\"Alice\",\"last\":\"Jones\",\"email\":\"aj@c.example\"}]");
    long robert = lookup_id(&d, "source=crm&record=2");
    long roberta = lookup_id(&d, "source=crm&record=1");
    json_t *j = get_json(&d, "/v1/profiles/search?q=Robert%20Smith", 200);
    json_t *list = json_object_get(j, "profiles");
    cr_assert_eq(json_array_size(list), 2, "Alice must not match");
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(list, 0), "id")), robert);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(list, 1), "id")), roberta);
    cr_assert_gt(json_integer_value(json_object_get(json_array_get(list, 0), "score")),
                 json_integer_value(json_object_get(json_array_get(list, 1), "score")));
    json_decref(j);
    /* a typo still finds her; a prefix finds him */
    j = get_json(&d, "/v1/profiles/search?q=jnoes", 200);
    list = json_object_get(j, "profiles");
    cr_assert_eq(json_array_size(list), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "name")),
                     "Alice Jones");
    json_decref(j);
    j = get_json(&d, "/v1/profiles/search?q=rob&limit=1", 200);
    cr_assert_eq(json_array_size(json_object_get(j, "profiles")), 1);
    json_decref(j);
    /* One letter is matched exactly, not as a prefix of every name (bounded work). */
    j = get_json(&d, "/v1/profiles/search?q=r", 200);
    cr_assert_eq(json_array_size(json_object_get(j, "profiles")), 0);
    json_decref(j);
    j = get_json(&d, "/v1/profiles/search", 400);
    json_decref(j);
    au_rt_cleanup(&d);
}

/* Basic auth with the admin key as the Segment write key. */
static long segment(au_rt_daemon *d, const char *path, const char *body, au_rt_resp *r)
{
    return au_rt_request(d, "POST", path, NULL, body, strlen(body), NULL, r);
}

static long segment_basic(au_rt_daemon *d, const char *path, const char *body)
{
    char cmd[2048];
    /* The harness sends Bearer keys; Segment SDKs send Basic: use curl(1) for that header. */
    snprintf(cmd, sizeof(cmd),
             "curl -s -o /dev/null -w '%%{http_code}' -u '%s:' -H 'Content-Type: application/json' "
             "-d '%s' http://127.0.0.1:%d%s",
             d->admin_key, body, d->port, path);
    FILE *f = popen(cmd, "r");
    char out[16] = {0};
    cr_assert(f);
    cr_assert(fgets(out, sizeof(out), f));
    pclose(f);
    return strtol(out, NULL, 10);
}

static void merge_two(au_rt_daemon *d, long *a, long *b)
{
    cr_assert_eq(segment_basic(d, "/v1/identify",
                               "{\"userId\":\"u1\",\"traits\":{\"firstName\":\"Ann\",\"lastName\":"
                               "\"Archer\",\"email\":\"ann@one.example\"}}"),
                 200);
    cr_assert_eq(segment_basic(d, "/v1/identify",
                               "{\"userId\":\"u2\",\"traits\":{\"firstName\":\"Zoe\",\"lastName\":"
                               "\"Zimmer\",\"email\":\"zoe@two.example\"}}"),
                 200);
    *a = lookup_id(d, "source=segment&record=u1");
    *b = lookup_id(d, "source=segment&record=u2");
    cr_assert_neq(*a, *b, "different people start as different profiles");
}

Test(profiles, segment_needs_a_write_key_as_basic_user)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d);
    cr_assert_eq(segment(&d, "/v1/track", "{\"userId\":\"x\",\"event\":\"E\"}", &r), 401);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(segment_basic(&d, "/v1/track", "{\"userId\":\"x\"}"), 400);
    cr_assert_eq(segment_basic(&d, "/v1/batch",
                               "{\"batch\":[{\"type\":\"identify\",\"userId\":\"b1\",\"traits\":{"
                               "\"email\":\"b1@x.example\"}},{\"type\":\"track\",\"userId\":\"b1\","
                               "\"event\":\"Signed Up\",\"messageId\":\"m1\"}]}"),
                 200);
    long id = lookup_id(&d, "email=b1%40x.example");
    char path[128];
    snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline", id);
    json_t *t = get_json(&d, path, 200);
    json_t *ev = json_array_get(json_object_get(t, "events"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "type")), "Signed Up");
    json_decref(t);
    au_rt_cleanup(&d);
}

Test(profiles, merged_away_id_answers_with_the_survivor_and_the_timeline_follows_merge_and_split)
{
    au_rt_daemon d;
    long a, b;
    char path[128];
    start(&d);
    merge_two(&d, &a, &b);
    cr_assert_eq(segment_basic(&d, "/v1/track",
                               "{\"userId\":\"u1\",\"event\":\"Order\",\"messageId\":\"o1\","
                               "\"timestamp\":\"2024-01-01T00:00:00Z\"}"),
                 200);
    cr_assert_eq(segment_basic(&d, "/v1/track",
                               "{\"userId\":\"u2\",\"event\":\"Ticket\",\"messageId\":\"t1\","
                               "\"timestamp\":\"2024-02-01T00:00:00Z\"}"),
                 200);
    /* alias = must-link: the two profiles merge */
    cr_assert_eq(segment_basic(&d, "/v1/alias", "{\"userId\":\"u2\",\"previousId\":\"u1\"}"), 200);
    long live = lookup_id(&d, "source=segment&record=u1");
    cr_assert_eq(lookup_id(&d, "source=segment&record=u2"), live);
    long gone = live == a ? b : a;
    snprintf(path, sizeof(path), "/v1/profiles/%ld", gone);
    json_t *p = get_json(&d, path, 200);
    cr_assert_eq(json_integer_value(json_object_get(p, "merged_into")), live);
    cr_assert_eq(json_integer_value(json_object_get(p, "id")), live);
    cr_assert_eq(json_integer_value(json_object_get(p, "requested_id")), gone);
    json_decref(p);
    /* the survivor's timeline has both records' events, newest first; so has the old id */
    snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline?source=segment", gone);
    json_t *t = get_json(&d, path, 200);
    json_t *evs = json_object_get(t, "events");
    size_t i;
    json_t *ev;
    int order = -1, ticket = -1;
    json_array_foreach(evs, i, ev)
    {
        const char *ty = json_string_value(json_object_get(ev, "type"));
        if (strcmp(ty, "Order") == 0)
            order = (int)i;
        if (strcmp(ty, "Ticket") == 0)
            ticket = (int)i;
    }
    cr_assert(order >= 0 && ticket >= 0 && ticket < order, "timeline: %s", json_dumps(t, 0));
    json_decref(t);
    /* the change feed says which profile went where */
    json_t *ch = get_json(&d, "/v1/changes?limit=1000", 200);
    int merged = 0;
    json_array_foreach(json_object_get(ch, "changes"), i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "kind")), "merged") == 0 &&
            json_integer_value(json_object_get(ev, "profile")) == gone)
            merged = 1;
    }
    cr_assert(merged, "no merged change for %ld: %s", gone, json_dumps(ch, 0));
    json_decref(ch);
    /* split u2 off again: each part's timeline has only its own records' events */
    snprintf(path, sizeof(path), "/v1/profiles/%ld/split", live);
    post_ok(&d, path, "{\"records\":[{\"source\":\"segment\",\"record\":\"u2\"}]}");
    long p1 = lookup_id(&d, "source=segment&record=u1");
    long p2 = lookup_id(&d, "source=segment&record=u2");
    cr_assert_neq(p1, p2);
    const long ids[2] = {p1, p2};
    const char *want[2] = {"Order", "Ticket"}, *not [2] = {"Ticket", "Order"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline?type=%s", ids[k], want[k]);
        t = get_json(&d, path, 200);
        cr_assert_eq(json_array_size(json_object_get(t, "events")), 1, "%s", json_dumps(t, 0));
        json_decref(t);
        snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline?type=%s", ids[k], not [k]);
        t = get_json(&d, path, 200);
        cr_assert_eq(json_array_size(json_object_get(t, "events")), 0, "%s", json_dumps(t, 0));
        json_decref(t);
    }
    au_rt_cleanup(&d);
}

Test(profiles, timeline_pages_by_cursor_and_filters)
{
    au_rt_daemon d;
    char path[256];
    start(&d);
    seed_bob(&d);
    long id = lookup_id(&d, "source=crm&record=C1");
    /* five events: by source record of either member, and by e-mail */
    post_ok(&d, "/v1/events",
            "[{\"source\":\"crm\",\"event_id\":\"e1\",\"type\":\"order\",\"at\":"
            "\"2024-01-01T00:00:00Z\",\"customer\":{\"source\":\"crm\",\"record\":\"C1\"}},"
            "{\"source\":\"shop\",\"event_id\":\"e2\",\"type\":\"order\",\"at\":"
            "\"2024-01-02T00:00:00Z\",\"customer\":{\"source\":\"shop\",\"record\":\"S1\"}},"
            "{\"source\":\"crm\",\"event_id\":\"e3\",\"type\":\"ticket\",\"at\":"
            "\"2024-01-03T00:00:00Z\",\"customer\":{\"email\":\"BOB.SMITH@example.com\"}},"
            "{\"source\":\"shop\",\"event_id\":\"e4\",\"type\":\"payment\",\"at\":"
            "\"2024-01-04T00:00:00Z\",\"customer\":{\"phone\":\"07700 900123\"}},"
            "{\"source\":\"crm\",\"event_id\":\"e5\",\"type\":\"order\",\"at\":"
            "\"2024-01-05T00:00:00Z\",\"customer\":{\"source\":\"crm\",\"record\":\"C1\"}},"
            "{\"source\":\"crm\",\"event_id\":\"other\",\"type\":\"order\",\"at\":"
            "\"2024-01-06T00:00:00Z\",\"customer\":{\"source\":\"crm\",\"record\":\"C9\"}}]");
    const char *expect[] = {"e5", "e4", "e3", "e2", "e1"};
    char cursor[64] = "";
    size_t seen = 0;
    for (int page = 0; page < 10; page++) {
        snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline?limit=2%s%s", id,
                 cursor[0] ? "&cursor=" : "", cursor);
        json_t *t = get_json(&d, path, 200);
        size_t i;
        json_t *ev;
        json_array_foreach(json_object_get(t, "events"), i, ev)
        {
            cr_assert_lt(seen, 5);
            cr_assert_str_eq(json_string_value(json_object_get(ev, "event_id")), expect[seen]);
            seen++;
        }
        json_t *next = json_object_get(t, "next_cursor");
        if (!json_is_string(next)) {
            json_decref(t);
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
        json_decref(t);
    }
    cr_assert_eq(seen, 5);
    snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline?type=order&source=crm", id);
    json_t *t = get_json(&d, path, 200);
    json_t *evs = json_object_get(t, "events");
    cr_assert_eq(json_array_size(evs), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(evs, 0), "event_id")), "e5");
    json_decref(t);
    snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline?cursor=c_zzz", id);
    t = get_json(&d, path, 400);
    cr_assert_str_eq(error_code(t), "invalid_input");
    json_decref(t);
    au_rt_cleanup(&d);
}

/* --- change feed -------------------------------------------------------------------------- */

typedef struct writer_arg {
    au_rt_daemon *d;
    int which, n;
} writer_arg;

static void *writer(void *v)
{
    writer_arg *w = v;
    for (int i = 0; i < w->n; i++) {
        char body[256];
        au_rt_resp r = {0};
        snprintf(body, sizeof(body),
                 "[{\"id\":\"W%d-%d\",\"first\":\"Name%d\",\"last\":\"Writer%d\",\"email\":"
                 "\"w%d.%d@feed.example\"}]",
                 w->which, i, i, w->which, w->which, i);
        au_rt_admin(w->d, "POST", "/v1/sources/crm/records", body, &r);
        au_rt_resp_cleanup(&r);
    }
    return NULL;
}

/* Reads one page after `cursor`, appends its seqs to seqs[], updates cursor. */
static size_t read_page(au_rt_daemon *d, char cursor[64], long *seqs, size_t n, size_t cap)
{
    char path[160];
    snprintf(path, sizeof(path), "/v1/changes?limit=7&after=%s", cursor);
    json_t *j = get_json(d, path, 200);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(j, "changes"), i, c)
    {
        cr_assert_lt(n, cap);
        seqs[n++] = (long)json_integer_value(json_object_get(c, "seq"));
    }
    snprintf(cursor, 64, "%s", json_string_value(json_object_get(j, "next_cursor")));
    json_decref(j);
    return n;
}

Test(profiles, change_feed_resumes_without_gaps_or_duplicates_under_concurrent_writers)
{
    au_rt_daemon d;
    pthread_t th[3];
    writer_arg wa[3];
    static long seqs[4096];
    size_t n = 0;
    char cursor[64] = "c_000000000000000";
    start(&d);
    put_source(&d, "crm", "0.5");
    for (int i = 0; i < 3; i++) {
        wa[i] = (writer_arg){&d, i, 40};
        pthread_create(&th[i], NULL, writer, &wa[i]);
    }
    /* the consumer resumes from its cursor while the writers run */
    for (int k = 0; k < 30; k++)
        n = read_page(&d, cursor, seqs, n, 4096);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    size_t before;
    do {
        before = n;
        n = read_page(&d, cursor, seqs, n, 4096);
    } while (n != before);
    for (size_t i = 1; i < n; i++)
        cr_assert_gt(seqs[i], seqs[i - 1], "seq %ld after %ld: duplicate or out of order", seqs[i],
                     seqs[i - 1]);
    /* a fresh read from the beginning sees exactly the same positions */
    json_t *all = get_json(&d, "/v1/changes?limit=1000", 200);
    json_t *list = json_object_get(all, "changes");
    cr_assert_eq(json_array_size(list), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(json_integer_value(json_object_get(json_array_get(list, i), "seq")), seqs[i]);
    cr_assert_geq(n, 120, "every created profile is in the feed");
    json_decref(all);
    au_rt_cleanup(&d);
}

typedef struct delayed {
    au_rt_daemon *d;
    _Atomic int answered; /* the long-poll has returned (then nobody is waiting any more) */
} delayed;

/* 1 when /metrics shows a change-feed long-poll parked, waiting for a commit. */
static int poll_waiting(au_rt_daemon *d)
{
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "GET", "/metrics", NULL, &r), 200);
    const char *g = strstr(r.body, "\naurum_http_parked ");
    int n = g ? atoi(g + strlen("\naurum_http_parked ")) : -1;
    au_rt_resp_cleanup(&r);
    cr_assert_geq(n, 0, "the gauge is there");
    return n > 0;
}

/* Writes once the long-poll is seen waiting (not after a guessed delay), so the write is what
 * ends the wait. */
static void *late_write(void *v)
{
    delayed *w = v;
    while (!atomic_load(&w->answered) && !poll_waiting(w->d))
        ;
    post_ok(w->d, "/v1/sources/crm/records",
            "[{\"id\":\"LATE\",\"first\":\"Late\",\"last\":\"Comer\"}]");
    return NULL;
}

Test(profiles, long_poll_wakes_on_a_write_and_bad_input_is_400)
{
    au_rt_daemon d;
    pthread_t th;
    start(&d);
    put_source(&d, "crm", "0.5");
    json_t *j = get_json(&d, "/v1/changes?wait=0", 200);
    cr_assert_eq(json_array_size(json_object_get(j, "changes")), 0);
    char cursor[64];
    snprintf(cursor, sizeof(cursor), "%s", json_string_value(json_object_get(j, "next_cursor")));
    json_decref(j);
    delayed w = {&d, 0};
    pthread_create(&th, NULL, late_write, &w);
    char path[160];
    /* an over-long wait is capped, not refused; the write ends the wait */
    snprintf(path, sizeof(path), "/v1/changes?wait=100000&after=%s", cursor);
    j = get_json(&d, path, 200);
    atomic_store(&w.answered, 1);
    pthread_join(th, NULL);
    json_t *c = json_array_get(json_object_get(j, "changes"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(c, "record_id")), "LATE");
    cr_assert_str_eq(json_string_value(json_object_get(c, "kind")), "created");
    json_decref(j);
    const char *bad[] = {"/v1/changes?after=bogus",
                         "/v1/changes?after=c_00000000000021s",
                         "/v1/changes?after=C_00000000000021R",
                         "/v1/changes?wait=-1",
                         "/v1/changes?wait=x",
                         "/v1/changes?limit=0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = get_json(&d, bad[i], 400);
        cr_assert_str_eq(error_code(j), "invalid_input", "%s", bad[i]);
        json_decref(j);
    }
    au_rt_cleanup(&d);
}

/* Writes records F0, F1, ... one at a time until *done is set (or 500 writes): the long-poll
 * below cannot tell when the daemon has taken its "now", so writes continue until it answers. */
typedef struct feeder {
    au_rt_daemon *d;
    _Atomic int done;
    int written;
} feeder;

static void *feed_until_done(void *v)
{
    feeder *f = v;
    for (int i = 0; i < 500 && !atomic_load(&f->done); i++) {
        char body[128];
        snprintf(body, sizeof(body), "[{\"id\":\"F%d\",\"first\":\"Feed%d\",\"last\":\"Later\"}]",
                 i, i);
        post_ok(f->d, "/v1/sources/crm/records", body);
        f->written = i + 1;
    }
    return NULL;
}

Test(profiles, change_feed_after_now_answers_only_new_changes_and_the_next_cursor)
{
    au_rt_daemon d;
    pthread_t th;
    start(&d);
    put_source(&d, "crm", "0.5");
    for (int i = 0; i < 3; i++) {
        char body[128];
        snprintf(body, sizeof(body), "[{\"id\":\"OLD%d\",\"first\":\"Old%d\",\"last\":\"Row\"}]", i,
                 i);
        post_ok(&d, "/v1/sources/crm/records", body);
    }
    /* after=0 and no after: the beginning; next names the last change shown */
    json_t *all = get_json(&d, "/v1/changes?after=0", 200);
    json_t *old = json_object_get(all, "changes");
    cr_assert_eq(json_array_size(old), 3);
    const char *last_cur = json_string_value(json_object_get(json_array_get(old, 2), "cursor"));
    cr_assert_str_eq(json_string_value(json_object_get(all, "next")), last_cur);
    cr_assert_str_eq(json_string_value(json_object_get(all, "next_cursor")), last_cur);
    json_t *none = get_json(&d, "/v1/changes", 200);
    cr_assert(json_equal(json_object_get(none, "changes"), old));
    json_decref(none);
    long old_last = (long)json_integer_value(json_object_get(json_array_get(old, 2), "seq"));

    /* after=now without waiting: nothing, and next is the newest position */
    json_t *now = get_json(&d, "/v1/changes?after=now&wait=0", 200);
    cr_assert_eq(json_array_size(json_object_get(now, "changes")), 0);
    cr_assert_str_eq(json_string_value(json_object_get(now, "next")), last_cur);
    json_decref(now);

    /* after=now with a long-poll: waits, then answers only changes written after the call */
    feeder f = {&d, 0, 0};
    pthread_create(&th, NULL, feed_until_done, &f);
    json_t *j = get_json(&d, "/v1/changes?after=now&wait=60", 200);
    atomic_store(&f.done, 1);
    pthread_join(th, NULL);
    json_t *list = json_object_get(j, "changes"), *c;
    size_t i;
    cr_assert_gt(json_array_size(list), 0, "the long-poll ended without a change");
    json_array_foreach(list, i, c)
    {
        cr_assert_gt(json_integer_value(json_object_get(c, "seq")), old_last,
                     "after=now answered an old change");
        cr_assert_eq(strncmp(json_string_value(json_object_get(c, "record_id")), "F", 1), 0);
    }
    c = json_array_get(list, json_array_size(list) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(j, "next")),
                     json_string_value(json_object_get(c, "cursor")));
    /* following next misses none of the later writes: what after=now answered plus what follows
     * its next is every change from the first one it answered on (some writes may have committed
     * before the daemon took "now"; those are rightly not answered) */
    char path[160];
    snprintf(path, sizeof(path), "/v1/changes?limit=1000&after=%s",
             json_string_value(json_object_get(j, "next")));
    json_t *rest = get_json(&d, path, 200);
    snprintf(path, sizeof(path), "/v1/changes?limit=1000&after=%s", last_cur);
    json_t *later = get_json(&d, path, 200);
    json_t *lv = json_object_get(later, "changes");
    cr_assert_eq(json_array_size(lv), (size_t)f.written, "one change per write");
    long first = (long)json_integer_value(json_object_get(json_array_get(list, 0), "seq"));
    size_t from = 0;
    while (from < json_array_size(lv) &&
           json_integer_value(json_object_get(json_array_get(lv, from), "seq")) != first)
        from++;
    cr_assert_lt(from, json_array_size(lv));
    cr_assert_eq(json_array_size(list) + json_array_size(json_object_get(rest, "changes")),
                 json_array_size(lv) - from, "a gap or a duplicate after now");
    json_decref(later);
    json_decref(rest);
    json_decref(j);
    json_decref(all);
    au_rt_cleanup(&d);
}

/* Opens an SSE stream with a raw socket (the harness waits for whole bodies). */
static int sse_open_at(const au_rt_daemon *d, const char *query, const char *last_id)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)d->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /v1/changes%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Accept: text/event-stream\r\n%s%s%s\r\n",
                     query, d->admin_key, last_id ? "Last-Event-ID: " : "", last_id ? last_id : "",
                     last_id ? "\r\n" : "");
    cr_assert_eq(write(fd, req, (size_t)n), n);
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Reads until `needle` appears in the stream; returns what was read (static buffer). */
static int sse_open(const au_rt_daemon *d, const char *last_id)
{
    return sse_open_at(d, "", last_id);
}

static const char *sse_until(int fd, const char *needle)
{
    static char buf[65536];
    size_t len = 0;
    buf[0] = '\0';
    while (!strstr(buf, needle) && len < sizeof(buf) - 1) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        cr_assert_gt(n, 0, "stream ended before '%s'; got:\n%s", needle, buf);
        len += (size_t)n;
        buf[len] = '\0';
    }
    return buf;
}

Test(profiles, server_sent_events_deliver_changes_as_they_commit)
{
    au_rt_daemon d;
    start(&d);
    put_source(&d, "crm", "0.5");
    post_ok(&d, "/v1/sources/crm/records", "[{\"id\":\"A\",\"first\":\"Amy\",\"last\":\"Ant\"}]");
    int fd = sse_open(&d, NULL);
    const char *got = sse_until(fd, "\"record_id\":\"A\"");
    cr_assert(strstr(got, "text/event-stream"), "%s", got);
    cr_assert(strstr(got, "id: c_"), "%s", got);
    /* a change committed while the stream is open arrives on it */
    post_ok(&d, "/v1/sources/crm/records", "[{\"id\":\"B\",\"first\":\"Ben\",\"last\":\"Bee\"}]");
    got = sse_until(fd, "\"record_id\":\"B\"");
    close(fd);
    /* Last-Event-ID resumes after that event: A is not sent again */
    json_t *j = get_json(&d, "/v1/changes", 200);
    const char *first = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "changes"), 0), "cursor"));
    fd = sse_open(&d, first);
    got = sse_until(fd, "\"record_id\":\"B\"");
    cr_assert_null(strstr(got, "\"record_id\":\"A\""), "%s", got);
    close(fd);
    json_decref(j);
    /* after=now: the stream opens (its first bytes are sent once "now" is taken) without the
     * old changes, then carries the next one */
    fd = sse_open_at(&d, "?after=now", NULL);
    got = sse_until(fd, ": aurum change feed");
    cr_assert_null(strstr(got, "record_id"), "%s", got);
    post_ok(&d, "/v1/sources/crm/records", "[{\"id\":\"C\",\"first\":\"Cal\",\"last\":\"Cod\"}]");
    got = sse_until(fd, "\"record_id\":\"C\"");
    cr_assert_null(strstr(got, "\"record_id\":\"A\""), "%s", got);
    cr_assert_null(strstr(got, "\"record_id\":\"B\""), "%s", got);
    close(fd);
    au_rt_cleanup(&d);
}
