/*
 * The web console in a real browser: generates Northwind data (`aurum gen --events`), starts the
 * real daemon with its mapping, loads every system through the API, creates a read-only key,
 * and runs tests/console/console.test.mjs (playwright-core driving Debian's chromium; installed
 * by scripts/deps.sh). The script signs in, searches, opens the 360° view, the "why" view,
 * splits and merges back, plays the demo story (a payment flow built by clicks closes the
 * dunning case; the advisor's timeline), dry-runs against a chosen customer and event, sees a
 * delivery and a dead letter replayed, round-trips every example flow through the builder,
 * checks the schedule preview, the webhook URL, the quality charts and the activity charts,
 * checks that a read key sees no write actions, measures the first page's compressed size,
 * scans every page with axe-core and saves screenshots next to the binary
 * (BUILD/console-screenshots). It fails when the script fails.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(console_browser, .fini = au_rt_cleanup_all, .timeout = 600);

static const char *systems[] = {"crm", "webshop", "pos", "billing", "collections", "support"};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(console_browser, the_console_story_in_chromium)
{
    const char *dir = getenv("AURUM_CONSOLE_DIR") ? getenv("AURUM_CONSOLE_DIR") : "tests/console";
    const char *bin = getenv("AURUM_BIN") ? getenv("AURUM_BIN") : "build/aurum";
    char path[512], cmd[4096], gen[] = "/tmp/aurum-console-XXXXXX", token[80], out[600];
    if (run("command -v node >/dev/null 2>&1") != 0 || access("/usr/bin/chromium", X_OK) != 0)
        cr_skip_test("node or /usr/bin/chromium missing (scripts/deps.sh installs them)");
    snprintf(path, sizeof(path), "%s/node_modules/playwright-core/package.json", dir);
    cr_assert_eq(access(path, R_OK), 0, "%s missing: run scripts/deps.sh (npm ci in %s)", path,
                 dir);
    cr_assert_not_null(mkdtemp(gen));
    snprintf(cmd, sizeof(cmd), "%s gen --people 300 --seed 42 --events --out %s/nw >/dev/null", bin,
             gen);
    cr_assert_eq(run(cmd), 0, "%s", cmd);
    snprintf(path, sizeof(path), "%s/nw/northwind.yaml", gen);
    char *config = slurp(path);

    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, config), 0);
    free(config);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, token, "read", NULL), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    for (size_t i = 0; i < sizeof(systems) / sizeof(systems[0]); i++) {
        snprintf(cmd, sizeof(cmd),
                 "%s import --server http://127.0.0.1:%d --key '%s' --config %s --source %s "
                 "%s/nw/%s.csv >/dev/null",
                 bin, d.port, d.admin_key, d.config_path, systems[i], gen, systems[i]);
        cr_assert_eq(run(cmd), 0, "%s", cmd);
    }
    snprintf(path, sizeof(path), "%s/nw/events.jsonl", gen);
    char *events = slurp(path);
    au_rt_resp r = {0};
    long st = au_rt_request(&d, "POST", "/v1/events", "application/x-ndjson", events,
                            strlen(events), d.admin_key, &r);
    cr_assert_eq(st, 200, "events: %ld %s", st, r.body);
    au_rt_resp_cleanup(&r);
    free(events);

    /* Every example flow (docs/flows: the Northwind ones; tests/console/flows: one of every
     * trigger and step kind) saved over the API: the script round-trips each through the
     * builder. Their targets are never reached: no matching event is posted for them. */
    static const char *flow_dirs[] = {"docs/flows", "tests/console/flows"};
    for (size_t k = 0; k < sizeof(flow_dirs) / sizeof(flow_dirs[0]); k++) {
        DIR *dp = opendir(flow_dirs[k]);
        struct dirent *de;
        cr_assert_not_null(dp, "cannot list %s", flow_dirs[k]);
        while ((de = readdir(dp))) {
            size_t n = strlen(de->d_name);
            if (n < 6 || strcmp(de->d_name + n - 5, ".yaml"))
                continue;
            char url[160];
            snprintf(path, sizeof(path), "%s/%s", flow_dirs[k], de->d_name);
            snprintf(url, sizeof(url), "/v1/flows/%.*s", (int)(n - 5), de->d_name);
            char *yaml = slurp(path);
            st = au_rt_request(&d, "PUT", url, "application/yaml", yaml, strlen(yaml), d.admin_key,
                               &r);
            cr_assert_eq(st, 200, "%s: %ld %s", url, st, r.body);
            au_rt_resp_cleanup(&r);
            free(yaml);
        }
        closedir(dp);
    }

    /* screenshots next to the binary under test: BUILD/console-screenshots */
    snprintf(path, sizeof(path), "%s", bin);
    snprintf(out, sizeof(out), "%s/console-screenshots", dirname(path));
    snprintf(cmd, sizeof(cmd),
             "cd %s && AURUM_URL=http://127.0.0.1:%d AURUM_ADMIN_KEY='%s' AURUM_READ_KEY='%s' "
             "AURUM_TRUTH=%s/nw/truth.csv AURUM_OUT=%s%s node console.test.mjs",
             dir, d.port, d.admin_key, token, gen, out[0] == '/' ? "" : "$OLDPWD/", out);
    int rc = run(cmd);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", gen);
    run(cmd);
    cr_assert_eq(rc, 0, "the browser test failed (exit %d); screenshots in %s", rc, out);
    cr_assert_eq(au_rt_stop(&d), 0);
}
