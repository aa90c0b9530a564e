/*
 * Tests of the `file` connector: a validated step appends one JSON line per send, fsync'd, to a
 * real file; expression errors in the body fail the delivery without writing; missing
 * directories are created; a path that can never be created is a permanent error naming it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "lib/alloc.h"

static au_flowdef *flow_for(const char *path, const char *body_yaml)
{
    char *y = au_asprintf("name: f\ntrigger: {event: x}\nsteps:\n  - file:\n      path: %s\n"
                          "      body:\n%s",
                          path, body_yaml);
    au_flowdef *f;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(y, strlen(y), NULL, &f, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    au_free(y);
    return f;
}

Test(out_file, appends_one_json_line_per_delivery)
{
    char dir[] = "/tmp/aurum-file-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = au_asprintf("%s/out.jsonl", dir);
    au_flowdef *f = flow_for(path, "        id: '{{ event.id }}'\n        n: '{{ event.n * 2 }}'\n"
                                   "        tag: fixed\n");
    const au_connector *c = f->steps[0].connector;
    cr_assert_eq(c, au_connector_find("file"));
    void *st = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(c->prepare(&f->steps[0], &st, &err), AU_OK, "%s", err.message);
    for (int i = 1; i <= 3; i++) {
        json_t *ctx = json_pack("{s:{s:s+,s:i}}", "event", "id", "e-", i == 1 ? "1" : "x", "n", i);
        au_delivery d;
        c->send(st, &f->steps[0], ctx, 0, &d);
        cr_assert_eq(d.status, AU_DELIVER_OK, "%s", d.message);
        json_decref(ctx);
    }
    c->close(st);
    FILE *in = fopen(path, "r");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof(line), in)) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j, "line %d is JSON: %s", n, line);
        cr_assert_eq(json_integer_value(json_object_get(j, "n")), 2 * (n + 1));
        cr_assert_str_eq(json_string_value(json_object_get(j, "tag")), "fixed");
        json_decref(j);
        n++;
    }
    fclose(in);
    cr_assert_eq(n, 3);
    unlink(path);
    rmdir(dir);
    au_free(path);
    au_flowdef_free(f);
    au_err_cleanup(&err);
}

Test(out_file, expression_errors_fail_without_writing)
{
    char dir[] = "/tmp/aurum-file-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = au_asprintf("%s/out.jsonl", dir);
    au_flowdef *f = flow_for(path, "        n: '{{ event.name * 2 }}'\n");
    const au_connector *c = f->steps[0].connector;
    void *st = NULL;
    cr_assert_eq(c->prepare(&f->steps[0], &st, NULL), AU_OK);
    json_t *ctx = json_pack("{s:{s:s}}", "event", "name", "Ann");
    au_delivery d;
    c->send(st, &f->steps[0], ctx, 0, &d);
    cr_assert_eq(d.status, AU_DELIVER_FAIL);
    cr_assert_str_eq(d.message, "body: cannot multiply string and number at 1:15");
    c->close(st);
    FILE *in = fopen(path, "r");
    cr_assert_eq(fgetc(in), EOF, "nothing written");
    fclose(in);
    json_decref(ctx);
    unlink(path);
    rmdir(dir);
    au_free(path);
    au_flowdef_free(f);
}

Test(out_file, missing_directories_are_created)
{
    char dir[] = "/tmp/aurum-file-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = au_asprintf("%s/audit/2026/orders.jsonl", dir);
    char *mid = au_asprintf("%s/audit/2026", dir), *top = au_asprintf("%s/audit", dir);
    au_flowdef *f = flow_for(path, "        a: 1\n");
    const au_connector *c = f->steps[0].connector;
    void *st = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(c->prepare(&f->steps[0], &st, &err), AU_OK, "%s", err.message);
    json_t *ctx = json_object();
    au_delivery d;
    c->send(st, &f->steps[0], ctx, 0, &d);
    cr_assert_eq(d.status, AU_DELIVER_OK, "%s", d.message);
    c->close(st);
    FILE *in = fopen(path, "r");
    char line[64] = "";
    cr_assert_not_null(in, "the file is in the created directories");
    cr_assert_not_null(fgets(line, sizeof(line), in));
    cr_assert_str_eq(line, "{\"a\":1}\n");
    fclose(in);
    json_decref(ctx);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(rmdir(mid), 0);
    cr_assert_eq(rmdir(top), 0);
    rmdir(dir);
    au_free(path);
    au_free(mid);
    au_free(top);
    au_flowdef_free(f);
    au_err_cleanup(&err);
}

/* A parent that is a file can never become a directory: a permanent error naming it (even for
 * root, who may create directories anywhere else). */
Test(out_file, uncreatable_directory_is_a_permanent_error_naming_it)
{
    char dir[] = "/tmp/aurum-file-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *blocker = au_asprintf("%s/plain-file", dir);
    char *path = au_asprintf("%s/sub/x.jsonl", blocker);
    FILE *b = fopen(blocker, "w");
    cr_assert_not_null(b);
    fclose(b);
    au_flowdef *f = flow_for(path, "        a: 1\n");
    void *st = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(f->steps[0].connector->prepare(&f->steps[0], &st, &err), AU_ERR_INVALID);
    char want[512];
    snprintf(want, sizeof(want), "%s is not a directory (path %s)", blocker, path);
    cr_assert_str_eq(err.message, want);
    cr_assert_null(st);
    au_err_cleanup(&err);
    unlink(blocker);
    rmdir(dir);
    au_free(blocker);
    au_free(path);
    au_flowdef_free(f);
}

Test(connectors, registry_lists_every_step_kind)
{
    const char *want[] = {"http", "upsert_record", "postgres", "nats", "file"};
    const au_connector *const *list = au_connector_list();
    size_t n = 0;
    while (list[n])
        n++;
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < 5; i++) {
        const au_connector *c = au_connector_find(want[i]);
        cr_assert_not_null(c, "%s", want[i]);
        cr_assert_not_null(c->options);
        cr_assert_not_null(c->help);
    }
    cr_assert_null(au_connector_find("smtp"));
}
