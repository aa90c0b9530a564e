/*
 * Tests of the help topics (src/cli/help.c, compiled in: the CLI is not part of libaurum): the
 * source definition and the flow that `aurum help config` shows as examples are valid - the
 * source loads through the configuration loader, the flow through the flow validator - so the
 * examples cannot rot; `aurum help flows` lists every step kind with every declared option.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/help.c"
#include "flows/flowdef.h"

/* The YAML part of an example: the text before `end`. New string (free()). */
static char *yaml_part(const char *example, const char *end)
{
    const char *e = strstr(example, end);
    cr_assert_not_null(e, "the example has no '%s'", end);
    return strndup(example, (size_t)(e - example));
}

Test(cli_help, the_source_example_loads_as_a_configuration)
{
    char *yaml = yaml_part(source_example, "\nKeys of a source");
    char path[] = "/tmp/aurum-help-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    au_config *c = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_config_load(path, &c, &err), AU_OK, "%s", err.message);
    const json_t *crm = json_object_get(c->sources, "crm");
    cr_assert_not_null(crm);
    cr_assert_eq(json_object_size(json_object_get(crm, "fields")), 8);
    au_config_free(c);
    au_err_cleanup(&err);
    unlink(path);
    free(yaml);
}

Test(cli_help, the_flow_example_passes_the_flow_validator)
{
    char *yaml = yaml_part(flow_example, "\nMore flows");
    json_t *doc = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_yaml_to_json(yaml, strlen(yaml), &doc, &err), AU_OK, "%s", err.message);
    json_t *flow = json_array_get(json_object_get(doc, "flows"), 0);
    cr_assert_not_null(flow, "flows: is a list of flows");
    char *text = json_dumps(flow, JSON_COMPACT);
    au_flowdef *def = NULL;
    cr_assert_eq(au_flowdef_parse(text, strlen(text), NULL, &def, &err), AU_OK, "%s", err.message);
    cr_assert_str_eq(def->name, "payment-closes-dunning");
    au_flowdef_free(def);
    free(text);
    json_decref(doc);
    au_err_cleanup(&err);
    free(yaml);
}

Test(cli_help, flows_topic_lists_every_step_kind_and_option)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    flows_topic(f);
    fclose(f);
    char want[128];
    for (const au_connector *const *c = au_connector_list(); *c; c++) {
        snprintf(want, sizeof want, "\n  %s: ", (*c)->name);
        cr_assert(strstr(text, want), "no step kind %s in:\n%s", (*c)->name, text);
        for (const au_connector_option *o = (*c)->options; o && o->name; o++) {
            snprintf(want, sizeof want, "\n    %-16s ", o->name);
            cr_assert(strstr(text, want), "no option %s.%s", (*c)->name, o->name);
        }
    }
    free(text);
}
