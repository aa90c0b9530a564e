/*
 * One fuzz input through the flow building blocks, shared by the libFuzzer target
 * (fuzz/expr_fuzz.c) and the corpus replay unit test (tests/unit/flows/fuzz_corpus_test.c) so
 * every input the fuzzer ever found interesting is re-checked by `make test`.
 * The first byte selects the parser: 0 expression (parse + evaluate), 1 template (parse +
 * render), 2 cron (parse + next fire, time zone chosen by the second byte), 3 flow definition.
 */
#ifndef AU_FLOWS_FUZZ_H
#define AU_FLOWS_FUZZ_H

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "flows/cron.h"
#include "flows/expr.h"
#include "flows/flowdef.h"
#include "lib/alloc.h"

static const char flows_fuzz_ctx[] =
    "{\"profile\":{\"id\":\"p\",\"email\":\"A@B.C\",\"n\":3,\"tags\":[\"a\",\"b\"],"
    "\"timeline\":[{\"type\":\"order\",\"at\":\"2026-01-01T00:00:00Z\",\"amount\":2},"
    "{\"type\":\"payment\",\"at\":\"2026-02-01\",\"amount\":1.5}]},"
    "\"event\":{\"type\":\"payment\",\"properties\":{\"amount\":10,\"s\":\"x y\"}},"
    "\"record\":{}}";

static void flows_fuzz_one(const uint8_t *data, size_t size)
{
    static const char *const zones[] = {"UTC", "Europe/London", "America/New_York",
                                        "Australia/Lord_Howe"};
    if (size < 1)
        return;
    int mode = data[0] % 4;
    char *text = au_strndup((const char *)data + 1, size - 1);
    if (!text)
        return;
    json_t *ctx = json_loads(flows_fuzz_ctx, 0, NULL);
    if (mode == 0) {
        au_expr *e;
        au_expr_error err;
        if (au_expr_parse(text, &e, &err) == AU_OK) {
            json_t *r;
            if (au_expr_eval(e, ctx, 1795435200000LL, &r, &err) == AU_OK)
                json_decref(r);
            au_expr_free(e);
        }
    } else if (mode == 1) {
        char *out;
        au_expr_error err;
        if (au_expr_render_template(text, ctx, 0, AU_TMPL_URLENCODE, &out, &err) == AU_OK)
            au_free(out);
    } else if (mode == 2) {
        au_cron *c;
        const char *tz = zones[size > 1 ? data[1] % 4 : 0];
        if (au_cron_parse(size > 1 ? text + 1 : text, tz, &c, NULL) == AU_OK) {
            int64_t t = 1795435200, next;
            for (int i = 0; i < 3 && au_cron_next(c, t, &next) == AU_OK; i++)
                t = next;
            au_cron_free(c);
        }
    } else {
        au_flowdef *f;
        au_err err;
        au_err_init(&err);
        if (au_flowdef_parse(text, size - 1, NULL, &f, &err) == AU_OK) {
            json_t *j = au_flowdef_to_json(f, 1);
            json_decref(j);
            au_flowdef_free(f);
        }
        au_err_cleanup(&err);
    }
    json_decref(ctx);
    au_free(text);
}

#endif
