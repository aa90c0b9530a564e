/*
 * Segment's own Node SDK (@segment/analytics-node, installed by scripts/deps.sh into
 * tests/segment) sends identify, track, page and alias to the real daemon, pointed at it with
 * its `host` option and a write key that is an Aurum API key with the write:segment scope; the
 * test then checks over the profile API that the customer and its events are there.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(segment_sdk, .fini = au_rt_cleanup_all);

static json_t *get_json(au_rt_daemon *d, const char *path)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, "GET", path, NULL, &r);
    cr_assert_eq(st, 200, "GET %s: %ld %s", path, st, r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    return j;
}

Test(segment_sdk, analytics_node_sends_to_aurum_unchanged)
{
    const char *dir = getenv("AURUM_SEGMENT_DIR") ? getenv("AURUM_SEGMENT_DIR") : "tests/segment";
    char path[512], cmd[1024], token[80];
    if (system("command -v node >/dev/null 2>&1") != 0)
        cr_skip_test("node is not installed (scripts/deps.sh installs nodejs and npm)");
    snprintf(path, sizeof(path), "%s/node_modules/@segment/analytics-node/package.json", dir);
    cr_assert_eq(access(path, R_OK), 0, "%s missing: run scripts/deps.sh (npm ci in tests/segment)",
                 path);
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, token, "write:segment", NULL), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    snprintf(cmd, sizeof(cmd), "AURUM_URL=http://127.0.0.1:%d AURUM_WRITE_KEY='%s' node %s/send.js",
             d.port, token, dir);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the SDK script failed (status %d)", st);

    json_t *j = get_json(&d, "/v1/profiles?source=segment&record=sdk-user-1&lineage=1");
    json_t *p = json_array_get(json_object_get(j, "profiles"), 0);
    json_t *attrs = json_object_get(p, "attributes");
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "email")), "sadie.kaur@sdk.example");
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "first_name")), "Sadie");
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "city")), "Leeds");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "custom"), "plan")),
                     "gold");
    long id = (long)json_integer_value(json_object_get(p, "id"));
    json_decref(j);
    /* the same customer by the e-mail the SDK sent, in another spelling */
    j = get_json(&d, "/v1/profiles?email=SADIE.KAUR%40sdk.example");
    cr_assert_eq(json_integer_value(
                     json_object_get(json_array_get(json_object_get(j, "profiles"), 0), "id")),
                 id);
    json_decref(j);

    snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline", id);
    j = get_json(&d, path);
    int track = 0, page = 0, alias = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(j, "events"), i, ev)
    {
        const char *type = json_string_value(json_object_get(ev, "type"));
        json_t *props = json_object_get(ev, "properties");
        if (strcmp(type, "Order Completed") == 0 &&
            json_real_value(json_object_get(props, "total")) == 42.5)
            track = 1;
        if (strcmp(type, "page") == 0 &&
            strcmp(json_string_value(json_object_get(props, "name")), "Checkout") == 0)
            page = 1;
        if (strcmp(type, "alias") == 0)
            alias = 1;
    }
    cr_assert(track && page && alias, "timeline lacks track/page/alias: %s", json_dumps(j, 0));
    json_decref(j);
    au_rt_cleanup(&d);
}
