/*
 * Data-driven API cases: every .case file of tests/cases/api (format in tests/cases/README.md) is
 * replayed, in name order, against one real daemon. Each exchange is a request (method, path,
 * key, headers, body) and expectations (status, substrings, JSON fields). Failures name the
 * file and line of the expectation.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(cases, .fini = au_rt_cleanup_all);

#define MAX_LINE 8192
#define MAX_BODY (1 << 20)

/* The keys a case may name with `> key: NAME`. */
typedef struct keyring {
    char admin[80], read[80], write_crm[80], write_all[80];
} keyring;

typedef struct exchange {
    char method[16], path[1024], ctype[128], key[32];
    char *body;
    size_t body_len;
    long pad; /* spaces appended to the body (to exceed size limits) */
} exchange;

static const char *key_for(const keyring *k, const char *name)
{
    if (strcmp(name, "none") == 0)
        return NULL;
    if (strcmp(name, "read") == 0)
        return k->read;
    if (strcmp(name, "write:crm") == 0)
        return k->write_crm;
    if (strcmp(name, "write:*") == 0)
        return k->write_all;
    if (strcmp(name, "forged") == 0)
        return "au_forgedforgedforgedforgedforgedforgedforged";
    return k->admin;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends a body line, decoding \xHH escapes so cases can hold invalid UTF-8. */
static void body_add_line(exchange *x, const char *line)
{
    size_t n = strlen(line);
    if (x->body_len + n + 2 > MAX_BODY)
        return;
    if (x->body_len)
        x->body[x->body_len++] = '\n';
    for (size_t i = 0; i < n; i++) {
        if (line[i] == '\\' && line[i + 1] == 'x' && hexval(line[i + 2]) >= 0 &&
            hexval(line[i + 3]) >= 0) {
            x->body[x->body_len++] = (char)(hexval(line[i + 2]) * 16 + hexval(line[i + 3]));
            i += 3;
        } else {
            x->body[x->body_len++] = line[i];
        }
    }
    x->body[x->body_len] = '\0';
}

/* Value at a dotted path ("error.details.0.field"); NULL when absent. */
static json_t *json_at(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *seg = strtok_r(buf, ".", &save); seg && j; seg = strtok_r(NULL, ".", &save)) {
        char *end;
        long idx = strtol(seg, &end, 10);
        j = json_is_array(j) && *end == '\0' ? json_array_get(j, (size_t)idx)
                                             : json_object_get(j, seg);
    }
    return j;
}

typedef struct run_state {
    au_rt_daemon *d;
    const keyring *keys;
    const char *file;
    au_rt_resp resp;
    int have_resp;
    int failures, exchanges;
} run_state;

static void fail(run_state *st, int line, const char *fmt, const char *a, const char *b)
{
    char msg[2048];
    snprintf(msg, sizeof(msg), fmt, a, b);
    cr_log_error("%s:%d: %s\n  response: %.1500s", st->file, line, msg,
                 st->resp.body ? st->resp.body : "");
    st->failures++;
}

static void send(run_state *st, exchange *x)
{
    au_rt_resp_cleanup(&st->resp);
    for (long i = 0; i < x->pad && x->body_len + 1 < MAX_BODY; i++)
        x->body[x->body_len++] = ' ';
    x->body[x->body_len] = '\0';
    int has_body = x->body_len > 0;
    au_rt_request(st->d, x->method, x->path, x->ctype[0] ? x->ctype : NULL,
                  has_body ? x->body : NULL, x->body_len, key_for(st->keys, x->key), &st->resp);
    st->have_resp = 1;
    st->exchanges++;
}

static void check(run_state *st, const char *exp, int line)
{
    char status[16];
    if (strncmp(exp, "contains: ", 10) == 0) {
        if (!strstr(st->resp.body, exp + 10))
            fail(st, line, "body does not contain '%s'%s", exp + 10, "");
    } else if (strncmp(exp, "json: ", 6) == 0) {
        char path[256];
        const char *eq = strstr(exp + 6, " = ");
        if (!eq || (size_t)(eq - exp - 6) >= sizeof(path)) {
            fail(st, line, "bad json expectation '%s'%s", exp, "");
            return;
        }
        snprintf(path, sizeof(path), "%.*s", (int)(eq - exp - 6), exp + 6);
        json_t *want = json_loads(eq + 3, JSON_DECODE_ANY, NULL);
        json_t *body = au_rt_json(&st->resp);
        json_t *got = json_at(body, path);
        if (!want || !got || !json_equal(want, got))
            fail(st, line, "json %s is not %s", path, eq + 3);
        json_decref(want);
        json_decref(body);
    } else {
        snprintf(status, sizeof(status), "%ld", st->resp.status);
        if (strcmp(status, exp) != 0)
            fail(st, line, "status %s, expected %s", status, exp);
    }
}

static void header(exchange *x, const char *h)
{
    if (strncasecmp(h, "key: ", 5) == 0)
        snprintf(x->key, sizeof(x->key), "%s", h + 5);
    else if (strncasecmp(h, "Content-Type: ", 14) == 0)
        snprintf(x->ctype, sizeof(x->ctype), "%s", h + 14);
    else if (strncasecmp(h, "body-pad: ", 10) == 0)
        x->pad = atol(h + 10);
    else
        sscanf(h, "%15s %1023s", x->method, x->path);
}

static void run_file(run_state *st, const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char *line = malloc(MAX_LINE);
    exchange x = {.body = malloc(MAX_BODY + 1)};
    int lineno = 0, in_request = 0;
    st->file = path;
    while (fgets(line, MAX_LINE, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' && !in_request)
            continue;
        if (strncmp(line, "> ", 2) == 0) {
            if (!in_request) { /* a new exchange */
                memset(x.method, 0, sizeof(x.method));
                x.ctype[0] = '\0';
                snprintf(x.key, sizeof(x.key), "admin");
                x.body_len = 0;
                x.body[0] = '\0';
                x.pad = 0;
                in_request = 1;
            }
            header(&x, line + 2);
        } else if (strncmp(line, "< ", 2) == 0) {
            if (in_request) {
                send(st, &x);
                in_request = 0;
            }
            check(st, line + 2, lineno);
        } else if (in_request && (line[0] || x.body_len)) {
            body_add_line(&x, line);
        }
    }
    if (in_request)
        send(st, &x);
    free(x.body);
    free(line);
    fclose(f);
}

static int case_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && strcmp(e->d_name + n - 5, ".case") == 0;
}

Test(cases, api_case_files, .timeout = 600)
{
    const char *dir = getenv("AURUM_CASES_DIR") ? getenv("AURUM_CASES_DIR") : "tests/cases/api";
    au_rt_daemon d;
    keyring k;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, case_file, alphasort);
    cr_assert_gt(n, 0, "no .case files in %s (run from the repository root)", dir);
    cr_assert_eq(au_rt_start(&d, "max_body_bytes: 4096\n"), 0);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, k.read, "read", NULL), 0);
    cr_assert_eq(au_rt_create_key(&d, k.write_crm, "write:crm", NULL), 0);
    cr_assert_eq(au_rt_create_key(&d, k.write_all, "write:*", NULL), 0);
    snprintf(k.admin, sizeof(k.admin), "%s", d.admin_key);
    cr_assert_eq(au_rt_restart(&d), 0);
    run_state st = {.d = &d, .keys = &k};
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        run_file(&st, path);
        free(list[i]);
    }
    free(list);
    au_rt_resp_cleanup(&st.resp);
    cr_log_info("%d case files, %d exchanges, %d failed expectations", n, st.exchanges,
                st.failures);
    cr_assert_eq(st.failures, 0, "%d failed expectations (see the log above)", st.failures);
    cr_assert_eq(au_rt_stop(&d), 0, "daemon did not exit cleanly after the cases");
    au_rt_cleanup(&d);
}
