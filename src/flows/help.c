/*
 * `aurum help flows`: the flow reference a user needs at the terminal while writing a flow by
 * hand — the shape of a definition, the triggers, the run context, every step kind with its
 * options, and how to see what runs did. The step options come from the connectors' declared
 * option tables (the same tables that validate definitions), so this text cannot drift from
 * what the daemon accepts; the rest points into docs/FLOWS.md for the details.
 */
#include <stdio.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "flows/flows.h"

static void print_steps(FILE *f)
{
    for (const au_connector *const *c = au_connector_list(); *c; c++) {
        fprintf(f, "  %s: %s\n", (*c)->name, (*c)->help);
        for (const au_connector_option *o = (*c)->options; o && o->name; o++) {
            char type[64];
            au_opt_type_text(o, type, sizeof type);
            fprintf(f, "    %-16s %-8s %-9s %s%s%s\n", o->name, type, o->required ? "required" : "",
                    o->help, o->def ? "; default " : "", o->def ? o->def : "");
        }
    }
}

au_rc au_flows_options_markdown(au_buf *out)
{
    au_rc rc = au_buf_printf(out, "\n### the flow itself\n\n");
    if (!rc)
        rc = au_opts_markdown(au_flowdef_options(), au_opts_count(au_flowdef_options()), out);
    if (!rc)
        rc = au_buf_printf(out, "\n### `retry:`\n\n");
    if (!rc)
        rc = au_opts_markdown(au_flowdef_retry_options(), au_opts_count(au_flowdef_retry_options()),
                              out);
    for (const au_connector *const *c = au_connector_list(); *c && !rc; c++) {
        rc = au_buf_printf(out, "\n### step `%s`: %s\n\n", (*c)->name, (*c)->help);
        if (!rc)
            rc = au_opts_markdown((*c)->options, au_opts_count((*c)->options), out);
    }
    return rc;
}

void au_flows_print_help(FILE *f)
{
    fputs("Flows: when something happens (trigger) and a condition holds, run steps that map\n"
          "fields and deliver them. Saved with PUT /v1/flows/NAME (YAML or JSON body) or listed\n"
          "under `flows:` in the configuration (file paths or inline definitions).\n\n"
          "  name: address-to-warehouse\n"
          "  trigger: {profile: updated, attributes: [address_line1, postcode, city]}\n"
          "  condition: change.source != \"warehouse\"      # optional expression\n"
          "  steps:\n"
          "    - id: notify                                # optional; when: EXPR skips if falsy\n"
          "      http:\n"
          "        url: \"https://warehouse.example/customers/{{ profile.id }}\"\n"
          "        body: {old: \"{{ change.before.postcode }}\", new: \"{{ record.postcode }}\"}\n"
          "  retry: {max_attempts: 5, backoff_ms: 1000, max_backoff_ms: 300000}\n\n"
          "Triggers (exactly one):\n"
          "  profile: updated | [created, updated, merged, split, deleted, erased]\n"
          "           optional attributes: [..]: an update fires when one of them changed value\n"
          "  event: TYPE | {type: TYPE, source: SYSTEM}\n"
          "  schedule: \"CRON\" | {cron: \"0 7 * * MON\", timezone: Europe/London}\n"
          "  webhook: {secret: \"16+ characters\"}   -> POST /v1/hooks/NAME with\n"
          "           X-Aurum-Timestamp: UNIX-SECONDS and X-Aurum-Signature: sha256=HEX of\n"
          "           HMAC-SHA256(secret, \"TIMESTAMP.BODY\"); 300 s window, replays refused\n\n"
          "Run context (roots of expressions and {{ templates }}):\n"
          "  profile  the golden record: attributes (profile.email), id, records, timeline\n"
          "  record   profile triggers: the source record after the change (record.email)\n"
          "  change   profile triggers: kind, source, record_id, changed (names), before (the\n"
          "           record before the change: change.before.email), version, origin\n"
          "  event    event triggers: id, type, source, at, properties, customer\n"
          "  webhook  the posted JSON body;  schedule: at, timezone;  delivery: key, attempt\n"
          "  secret   in steps only: secret.NAME from `aurum secrets set NAME` (shown as\n"
          "           [secret:NAME] everywhere; hosts reachable: config outbound, SECRETS.md)\n\n"
          "Steps (one kind each; strings of templates and mappings may hold {{ expr }}):\n",
          f);
    print_steps(f);
    fputs("\nTry and watch:\n"
          "  POST /v1/flows/NAME/test                 dry run on a sampled stored context, or\n"
          "                                           the body as context; sends nothing\n"
          "  GET  /v1/flows                           each flow's last_run, runs by status,\n"
          "                                           failures, open dead_letters, retrying\n"
          "                                           deliveries and the last retry error\n"
          "  GET  /v1/flows/NAME/runs?status=failed   also delivered|skipped|error|pending|dead;\n"
          "                                           a failed run's `error` says why;\n"
          "                                           ?context=1 adds the whole profile\n"
          "  GET  /v1/deadletters?flow=NAME           POST /v1/deadletters/ID/replay once fixed\n\n"
          "Expressions, functions, schedules, delivery guarantees: docs/FLOWS.md.\n",
          f);
}
