/*
 * Tests of `aurum help flows` (src/flows/help.c): the example definition it prints is a valid
 * flow (parsed by the real definition parser, so the example cannot drift from what the daemon
 * accepts), and every step kind and every declared option is listed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "flows/flows.h"
#include "lib/alloc.h"

/* The help text (caller frees with free()). */
static char *help_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    au_flows_print_help(f);
    fclose(f);
    return buf;
}

Test(flows_help, the_example_is_a_valid_flow)
{
    char *text = help_text();
    /* The example: the lines from "  name:" up to the next blank line, less two spaces. */
    const char *start = strstr(text, "\n  name: ");
    cr_assert_not_null(start);
    start++;
    const char *end = strstr(start, "\n\n");
    cr_assert_not_null(end);
    char *yaml = au_calloc(1, (size_t)(end - start) + 2);
    size_t n = 0;
    for (const char *line = start; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        cr_assert(!strncmp(line, "  ", 2), "example lines are indented: %.40s", line);
        memcpy(yaml + n, line + 2, (size_t)(stop - line - 2));
        n += (size_t)(stop - line - 2);
        yaml[n++] = '\n';
        line = stop + 1;
    }
    au_flowdef *def = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flowdef_parse(yaml, n, NULL, &def, &err), AU_OK, "%s\n%s", err.message, yaml);
    cr_assert_str_eq(def->name, "address-to-warehouse");
    cr_assert_eq(def->trigger.kind, AU_TRIGGER_PROFILE);
    cr_assert_eq(def->trigger.nattributes, 3);
    cr_assert_eq(def->nsteps, 1);
    au_flowdef_free(def);
    au_err_cleanup(&err);
    au_free(yaml);
    free(text);
}

Test(flows_help, every_step_kind_and_option_is_listed)
{
    char *text = help_text();
    for (const au_connector *const *c = au_connector_list(); *c; c++) {
        char head[64];
        snprintf(head, sizeof(head), "\n  %s: ", (*c)->name);
        const char *at = strstr(text, head);
        cr_assert_not_null(at, "step kind %s", (*c)->name);
        for (const au_connector_option *o = (*c)->options; o->name; o++) {
            char opt[64];
            snprintf(opt, sizeof(opt), "\n    %-16s ", o->name);
            cr_assert_not_null(strstr(at, opt), "%s.%s", (*c)->name, o->name);
        }
    }
    cr_assert_not_null(strstr(text, "change.before"), "the before values are documented");
    cr_assert_not_null(strstr(text, "?status=failed"), "how to find failed runs");
    free(text);
}
