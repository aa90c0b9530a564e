/*
 * RudderStack's own Node SDK (@rudderstack/rudder-sdk-node, installed by scripts/deps.sh into
 * tests/rudderstack) sends identify, track, page, screen, group and alias to the real daemon,
 * gzip-compressed as it does by default, pointed at it with its `dataPlaneUrl` option and a
 * write key that is an Aurum API key with the write:segment scope (sent as the Basic user to
 * /v1/batch). The test checks in the daemon's access log that the batches arrived gzipped, then
 * over the profile API that the customer and its events are there.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(rudderstack_sdk, .fini = au_rt_cleanup_all);

static json_t *get_json(au_rt_daemon *d, const char *path)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, "GET", path, NULL, &r);
    cr_assert_eq(st, 200, "GET %s: %ld %s", path, st, r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    return j;
}

/* Access-log lines of successful gzip-compressed POSTs to /v1/batch. */
static int gzip_batches(au_rt_daemon *d)
{
    char *log = au_rt_log(d);
    int n = 0;
    for (char *line = log, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        if ((nl = strchr(line, '\n')))
            *nl = '\0';
        n += strstr(line, "\"route\":\"/v1/batch\"") && strstr(line, "\"status\":\"200\"") &&
             strstr(line, "\"encoding\":\"gzip\"");
    }
    free(log);
    return n;
}

Test(rudderstack_sdk, rudder_sdk_node_sends_gzip_to_aurum_unchanged)
{
    const char *dir =
        getenv("AURUM_RUDDERSTACK_DIR") ? getenv("AURUM_RUDDERSTACK_DIR") : "tests/rudderstack";
    char path[512], cmd[1024], token[80];
    if (system("command -v node >/dev/null 2>&1") != 0)
        cr_skip_test("node is not installed (scripts/deps.sh installs nodejs and npm)");
    snprintf(path, sizeof(path), "%s/node_modules/@rudderstack/rudder-sdk-node/package.json", dir);
    cr_assert_eq(access(path, R_OK), 0,
                 "%s missing: run scripts/deps.sh (npm ci in tests/rudderstack)", path);
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, token, "write:segment", NULL), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    snprintf(cmd, sizeof(cmd), "AURUM_URL=http://127.0.0.1:%d AURUM_WRITE_KEY='%s' node %s/send.js",
             d.port, token, dir);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the SDK script failed (status %d)", st);
    cr_assert_geq(gzip_batches(&d), 6, "one gzip batch per message (flushAt 1)");

    json_t *j = get_json(&d, "/v1/profiles?source=segment&record=rs-user-1&lineage=1");
    json_t *p = json_array_get(json_object_get(j, "profiles"), 0);
    json_t *attrs = json_object_get(p, "attributes");
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "email")), "idris.okafor@rs.example");
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "last_name")), "Okafor");
    cr_assert_str_eq(json_string_value(json_object_get(attrs, "city")), "York");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "custom"), "tier")),
                     "silver");
    long id = (long)json_integer_value(json_object_get(p, "id"));
    json_decref(j);

    snprintf(path, sizeof(path), "/v1/profiles/%ld/timeline", id);
    j = get_json(&d, path);
    int track = 0, page = 0, screen = 0, group = 0, alias = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(j, "events"), i, ev)
    {
        const char *type = json_string_value(json_object_get(ev, "type"));
        json_t *props = json_object_get(ev, "properties");
        const char *name = json_string_value(json_object_get(props, "name"));
        track |= strcmp(type, "Order Completed") == 0 &&
                 json_real_value(json_object_get(props, "total")) == 19.99;
        page |= strcmp(type, "page") == 0 && name && strcmp(name, "Basket") == 0;
        screen |= strcmp(type, "screen") == 0 && name && strcmp(name, "Order Status") == 0;
        group |= strcmp(type, "group") == 0;
        alias |= strcmp(type, "alias") == 0;
    }
    char *dump = json_dumps(j, 0);
    cr_assert(track && page && screen && group && alias,
              "timeline lacks an event (track %d page %d screen %d group %d alias %d): %s", track,
              page, screen, group, alias, dump);
    free(dump);
    json_decref(j);
    au_rt_cleanup(&d);
}
