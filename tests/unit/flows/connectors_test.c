/*
 * The connector option tables are declared options (lib/opts.h): every default converts under
 * its own row (the flow validator fills defaults from them), every bounded integer has sane
 * bounds, and names are unique within a step kind; and a step's options are validated with the
 * declared options' wording.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "flows/connector.h"
#include "flows/flowdef.h"

Test(connectors, every_declared_default_converts_under_its_row)
{
    for (const au_connector *const *c = au_connector_list(); *c; c++) {
        const au_connector_option *o = (*c)->options;
        cr_assert_not_null(o, "%s", (*c)->name);
        for (size_t i = 0; o[i].name; i++) {
            if (o[i].type == AU_OPT_INT)
                cr_assert_lt(o[i].min, o[i].max, "%s.%s: bounds", (*c)->name, o[i].name);
            for (size_t k = 0; k < i; k++)
                cr_assert_str_neq(o[k].name, o[i].name, "%s: duplicate option", (*c)->name);
            if (!o[i].def)
                continue;
            au_opt_val v;
            au_err err;
            au_err_init(&err);
            cr_assert_eq(au_opt_convert(&o[i], o[i].def, &v, &err), AU_OK, "%s.%s: %s", (*c)->name,
                         o[i].name, err.message);
            au_err_cleanup(&err);
        }
    }
}

Test(connectors, step_options_are_refused_with_the_declared_wording)
{
    const char *y = "name: f\ntrigger: {event: x}\n"
                    "steps:\n  - http: {url: 'http://127.0.0.1/', timeout_ms: 5x}\n";
    au_flowdef *f = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(y, strlen(y), NULL, &f, &err), AU_ERR_INVALID);
    cr_assert_str_eq(err.message, "flow \"f\": line 4, column 50: steps[0].http.timeout_ms: "
                                  "expected an integer from 1 to 300000, got '5x'");
    au_err_cleanup(&err);
    const char *ok = "name: f\ntrigger: {event: x}\nsteps:\n  - http: {url: 'http://127.0.0.1/'}\n";
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(ok, strlen(ok), NULL, &f, &err), AU_OK, "%s", err.message);
    const json_t *cfg = f->steps[0].config;
    cr_assert_str_eq(json_string_value(json_object_get(cfg, "method")), "POST", "default");
    cr_assert_eq(json_integer_value(json_object_get(cfg, "timeout_ms")), 10000, "default");
    au_flowdef_free(f);
    au_err_cleanup(&err);
}
