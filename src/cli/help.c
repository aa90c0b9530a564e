/*
 * The help topics of `aurum help TOPIC` beyond the commands: `config` (the option reference
 * generated from the config table, then a complete source definition and a complete flow as
 * examples) and `flows` (the flow reference; each step kind's options come from its
 * connector's declared option table, so they cannot drift from what the validator accepts).
 */
#include <stdio.h>

#include "bus/bus.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/source.h"
#include "flows/flows.h"
#include "flows/secrets.h"
#include "inbound/inbound.h"
#include "lib/netpolicy.h"
#include "profile/survivorship.h"
#include "resolve/model.h"

static const char source_example[] =
    "sources:\n"
    "  crm:                                  # the source name used by import and the API\n"
    "    record_id: customer_no              # required: the field holding the record's id\n"
    "    country: GB                         # default country of phones and postcodes\n"
    "    on_invalid: quarantine              # the default: a value normalisation refuses is\n"
    "                                        # kept raw with its reason; reject refuses it\n"
    "    fields:                             # canonical attribute: source field(s)\n"
    "      first_name: forename\n"
    "      last_name: surname\n"
    "      email: email_address\n"
    "      phone: [phone_home, phone_mobile] # several fields are joined by a space\n"
    "      address_line1: [house_no, street]\n"
    "      city: town\n"
    "      postcode: post_code\n"
    "      date_of_birth: {from: dob, format: DMY}  # format (date_of_birth only): auto,\n"
    "                                        # YYYYMMDD, YYYY-MM-DD, DMY or MDY\n"
    "    trust: {email: 0.9, '*': 0.5}       # survivorship trust per attribute, 0..1\n"
    "\n"
    "Keys of a source: record_id, fields, country, trust, on_invalid, inbound (a connector\n"
    "pulling the source from its system: 'aurum help connectors').\n"
    "Canonical attributes: first_name, middle_name, last_name, full_name, company, gender,\n"
    "email, phone, date_of_birth, address_full, address_line1, address_line2, city, postcode,\n"
    "state, country, national_id, passport, drivers_license. Fields no mapping uses are kept\n"
    "as custom attributes. The same definition (as JSON) can be sent to PUT /v1/sources/NAME.\n";

static const char flow_example[] =
    "flows:\n"
    "  - name: payment-closes-dunning       # required; letters, digits, _ - . (max 64)\n"
    "    description: a payment in billing closes the dunning case in collections\n"
    "    enabled: true\n"
    "    trigger:                           # exactly one: event, profile, schedule, webhook\n"
    "      event: {type: payment, source: billing}\n"
    "    condition: event.properties.amount > 0   # optional expression\n"
    "    steps:                             # 1 to 32, run in order\n"
    "      - id: close-case\n"
    "        http:\n"
    "          method: POST\n"
    "          url: \"http://collections.example/cases/{{ profile.id }}/close\"\n"
    "          secret: \"a-shared-signing-key\"  # adds X-Aurum-Signature (HMAC-SHA256)\n"
    "          idempotency_key: \"payment-{{ event.id }}\"\n"
    "          body:\n"
    "            reason: payment_received\n"
    "            amount: \"{{ event.properties.amount }}\"\n"
    "    retry: {max_attempts: 10, backoff_ms: 500, max_backoff_ms: 60000}\n"
    "    concurrency: 1\n"
    "\n"
    "More flows: docs/flows/*.yaml; the reference: 'aurum help flows' and docs/FLOWS.md.\n";

static void config_topic(FILE *f)
{
    au_config_print_help(f);
    fprintf(f, "\nA complete source definition (docs/IMPORT.md):\n\n%s", source_example);
    fprintf(f, "\nA complete flow:\n\n%s", flow_example);
    fprintf(f, "\nmatching: and survivorship: are described in docs/MATCHING.md and "
               "docs/PROFILES.md.\n");
}

static void audit_topic(FILE *f)
{
    fputs(
        "Audit log: every read and change of personal data is logged with the API key's id, the\n"
        "client address, the route, the profile ids and record numbers touched and the time;\n"
        "never a value. Changes are logged in their own transaction; reads are queued and\n"
        "appended within about a second (and at shutdown). Each entry's hash covers the previous\n"
        "hash and its content, so an edited, removed or reordered entry breaks the chain.\n"
        "  GET /v1/audit?profile=&record=SOURCE:ID&key=&route=&since=&limit=&cursor=  (admin)\n"
        "  aurum audit verify --data DIR    'ok: N entries', or the first broken link (exit 1)\n"
        "  aurum audit sweep --data DIR     apply retention now (the daemon does it hourly)\n"
        "\n"
        "Retention (configuration):\n"
        "  retention:\n"
        "    runs: 30d        # flow runs with nothing left to deliver, their dead letters\n"
        "    audit: 365d      # audit entries; the chain still verifies from the anchor left\n"
        "    interval: 1h     # how often the daemon sweeps; durations: s, m, h, d, 0 = forever\n"
        "\n"
        "Masked reads: a key created with --scope read:masked reads everything a read key does,\n"
        "with personal values masked (e-mail j***@example.com, phone ***0958, names J., date of\n"
        "birth 1980, addresses reduced to city and country) on every route that returns them;\n"
        "it may not export. The policy per canonical attribute (full | partial | none):\n"
        "  masking:\n"
        "    email: partial\n"
        "    phone: full\n"
        "    city: none\n"
        "Details: docs/SECURITY.md.\n",
        f);
}

void au_cli_config_markdown(FILE *f)
{
    au_buf b;
    au_buf_init(&b, 1 << 20);
    au_rc rc = au_buf_printf(
        &b,
        "# Configuration reference\n\n"
        "Generated by `scripts/opts-doc.sh` from the declared option tables that parse the\n"
        "configuration file (`src/core/config.c`), its sections (sources, matching,\n"
        "survivorship, secrets, outbound: also the bodies the API takes for them) and flow\n"
        "steps (`src/flows/out_*.c`); do not edit. `aurum help config` prints the same options\n"
        "with examples. Numbers must be written as numbers (a quoted '12' is text), booleans as\n"
        "true/false, yes/no, on/off.\n\n"
        "## Options (`aurum serve --config FILE`)\n\n");
    if (!rc)
        rc = au_config_markdown(&b);
    if (!rc)
        rc = au_buf_printf(&b, "\n## Sources (`sources: NAME` and PUT /v1/sources/NAME)\n\n"
                               "`trust` and `inbound` are described in `aurum help config` and "
                               "docs/CONNECTORS.md.\n\n");
    if (!rc)
        rc = au_source_options_markdown(&b);
    if (!rc)
        rc = au_buf_printf(
            &b, "\n## Matching (`matching:`)\n\n"
                "Absent keys keep the built-in model's values; `aurum train` estimates them.\n\n");
    if (!rc)
        rc = au_model_options_markdown(&b);
    if (!rc)
        rc = au_buf_printf(
            &b, "\n## Survivorship (`survivorship:`)\n\n"
                "Each canonical attribute (address parts together as `address`), `*` for the "
                "others and `custom`\nfor unmapped attributes takes a rule name, "
                "`fixed_source:SOURCE`, or an object:\n\n");
    if (!rc)
        rc = au_survive_options_markdown(&b);
    if (!rc)
        rc = au_buf_printf(&b, "\n## Secrets (`secrets:`)\n\n");
    if (!rc)
        rc = au_secrets_options_markdown(&b);
    if (!rc)
        rc = au_buf_printf(&b, "\n## Outbound connections (`outbound:`)\n\n"
                               "Which hosts flow steps may connect to; docs/SECRETS.md has the "
                               "decision order.\n\n");
    if (!rc)
        rc = au_netpolicy_options_markdown(&b);
    if (!rc)
        rc = au_buf_printf(&b, "\n## Bus (`bus:`)\n\n"
                               "Publishing of profile changes and events to NATS JetStream; "
                               "docs/BUS.md.\n\n");
    if (!rc)
        rc = au_bus_options_markdown(&b);
    if (!rc)
        rc = au_buf_printf(&b, "\n## Flow options (`flows:` and PUT /v1/flows/NAME)\n");
    if (!rc)
        rc = au_flows_options_markdown(&b);
    if (rc)
        fprintf(stderr, "aurum: %s\n", au_rc_message(rc));
    else
        fwrite(b.data, 1, b.len, f);
    au_buf_cleanup(&b);
}

/* The reference lives with the flows module, beside the connector tables it prints. */
static void flows_topic(FILE *f)
{
    au_flows_print_help(f);
}

static void console_topic(FILE *f)
{
    fputs("The web console is served by `aurum serve` on its own port: open http://ADDR:PORT/\n"
          "and sign in with an API key; the console acts with that key's scopes (a read key\n"
          "sees no write actions). A link http://ADDR:PORT/#key=TOKEN signs in at once (the\n"
          "fragment is never sent to the server); `make demo` prints one.\n"
          "\n"
          "Pages: Customers (search by name, e-mail, phone or system:id; the 360-degree view\n"
          "with lineage, records side by side, timeline, why, split/merge/do-not-link),\n"
          "Review queue, Flows (runs, dead letters, replay; the flow builder with dry run),\n"
          "Sources and quality, Activity (live change feed, metrics).\n"
          "\n"
          "Sessions: POST /v1/session {\"key\"} sets an HttpOnly SameSite=Strict cookie; writes\n"
          "made with it need the X-CSRF-Token header. Everything else: docs/CONSOLE.md.\n",
          f);
}

const au_cli_topic au_cli_topics[] = {
    {"console", "the web console: where it is, signing in, its pages", console_topic},
    {"config", "the configuration file: options, sections, a source and a flow", config_topic},
    {"flows", "the flow reference: triggers, context, step kinds and their options", flows_topic},
    {"connectors", "inbound connectors: file drop, PostgreSQL, HTTP API; schedules, sync",
     au_inbound_print_help},
    {"privacy", "the audit log, retention and the read:masked scope", audit_topic},
    {"bus", "NATS JetStream: profile changes and events published as subjects", au_bus_print_help},
    {NULL, NULL, NULL},
};
