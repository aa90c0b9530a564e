/*
 * Survivorship: builds the golden profile of one cluster from its member records. Each profile
 * attribute is chosen among the members' values by a rule configured per attribute (trust order
 * of sources, most recent, most frequent, most complete, a fixed source), and every chosen value
 * carries its lineage: which source, record, version and time it came from and which rule chose
 * it. Multi-valued identifiers (e-mails, phones, addresses) are also kept as de-duplicated lists
 * with the sources that hold them.
 *
 * Values shown come from the display form (au_value.value); equality for frequency and for the
 * lists is on the comparison form (au_value.key), for addresses au_norm_address_match_key, so an
 * address in parts and the same address as one line are one. Among candidates with the winner's
 * key, a well-cased spelling of a name, city or address line is shown ("Leeds" over a newer
 * "leeds"; lineage "spelling_from"). The result does not depend on the order of the
 * members: they are sorted by (source, record id, version) before any rule runs and every rule's
 * last tie-break is that order. Address parts survive together (line1, line2, city, postcode,
 * state, country and address_full all come from the same record) so that a profile never shows a
 * street from one address with the postcode of another.
 *
 * The configuration is JSON (the `survivorship:` section of the YAML config):
 *
 *   { "*":             "trust",                         every attribute not named below
 *     "first_name":    "most_frequent",
 *     "date_of_birth": {"rule": "most_complete"},
 *     "address":       {"rule": "source_priority", "sources": ["crm", "billing"]},
 *     "email":         "fixed_source:crm",               = {"rule":"fixed_source","source":"crm"}
 *     "custom":        "most_recent" }                   unmapped (custom) attributes
 *
 * A fixed_source rule takes "fallback" (a rule name, default "trust") for clusters without a
 * record of that source. Address parts are configured together under "address".
 */
#ifndef AU_SURVIVORSHIP_H
#define AU_SURVIVORSHIP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record.h"
#include "lib/buf.h"
#include "lib/rc.h"

/* One member record of the cluster. Everything is borrowed for the duration of the call. */
typedef struct au_survive_member {
    const au_record *record; /* normalised attributes and custom fields */
    const char *source;      /* source name; NULL = record->source */
    const char *record_id;   /* the source's record id; NULL = record->record_id */
    int64_t version;         /* record version in the store */
    int64_t updated_ms;      /* when this version was written, ms since the epoch */
    const double *trust;     /* AU_ATTR_COUNT trusts 0..1 (au_source_trust); NULL = 0.5 each */
} au_survive_member;

/* The rules. */
typedef enum {
    AU_SURVIVE_TRUST,           /* highest source trust for the attribute; tie: most recent */
    AU_SURVIVE_MOST_RECENT,     /* latest updated record; tie: trust */
    AU_SURVIVE_MOST_FREQUENT,   /* value (by key) held by most records; tie: trust, recency */
    AU_SURVIVE_MOST_COMPLETE,   /* most informative value (most letters/digits); tie: recency */
    AU_SURVIVE_SOURCE_PRIORITY, /* first source of an ordered list; unlisted last; tie: trust */
    AU_SURVIVE_FIXED_SOURCE     /* always one source (its latest record), else a fallback rule */
} au_survive_rule;

/* Stable name of a rule ("most_frequent"). */
const char *au_survive_rule_name(au_survive_rule r);

typedef struct au_survive_config au_survive_config;

/* The default a user would expect: names, company and gender most_frequent (a single typo'd
 * record is outvoted; tie to the most trusted source), date_of_birth most_frequent, email and
 * phone most_recent (the whole list is kept anyway), address most_recent (a customer who moved
 * shows the new address), identifiers (national_id, passport, drivers_license) trust, custom
 * attributes most_recent. Caller frees with au_survive_config_free. */
au_rc au_survive_config_default(au_survive_config **out);
/* The reference of a rule written as an object (docs/CONFIG.md, from the rows that check it). */
au_rc au_survive_options_markdown(au_buf *out);
/* Parses a configuration (see above) on top of the default. Errors name the offending key and
 * what is wrong (unknown attribute, unknown rule, missing or empty source list...). NULL json
 * gives the default. Caller frees *out. */
au_rc au_survive_config_parse(const json_t *json, au_survive_config **out, au_err *err);
void au_survive_config_free(au_survive_config *cfg);
/* The effective rule of every attribute as a configuration object (for docs and GET config).
 * New reference, NULL on allocation failure. */
json_t *au_survive_config_to_json(const au_survive_config *cfg);

/* Builds the golden profile of members[0..n). On success *profile is a new reference:
 *
 *   { "attributes": {name: value},                       canonical attributes
 *     "custom":     {name: json value},                  unmapped source fields
 *     "emails":     [{"value", "sources": [{"source","record_id"}]}],  newest first
 *     "phones":     [...same...],
 *     "addresses":  [{"line1","line2","city","postcode","state","country","full",
 *                     "sources": [...]}],                               newest first
 *     "sources":    [{"source","record_id"}],
 *     "lineage":    {name: {"source","record_id","version","at","rule", ...}} }
 *
 * "at" is the member's updated time in ISO 8601 UTC; most_frequent lineage adds "support" (how
 * many records hold the value); a fixed_source rule that fell back says "fallback_from"; a value
 * shown in another member's better-cased spelling says "spelling_from": {"source","record_id"}.
 * Custom attributes' lineage is keyed "custom.NAME". n may be 0 (an empty profile). */
au_rc au_survive(const au_survive_member *members, size_t n, const au_survive_config *cfg,
                 json_t **profile, au_err *err);

#endif
