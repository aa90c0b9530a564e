/*
 * Sources: a named system (crm, webshop, febrl...) and how its records map onto the canonical
 * schema. A definition is JSON (from PUT /v1/sources/{name}, or from the YAML config converted to
 * JSON, one code path for both):
 *
 *   { "record_id": "rec_id",
 *     "default_country": "GB",                          default country for phones/postcodes
 *                                                       (alias: "country")
 *     "fields": {
 *        "first_name": "given_name",                    canonical attribute: source field
 *        "address_line1": ["street_number", "address_1"], joined by a space, empty ones skipped
 *        "date_of_birth": {"from": "dob", "format": "YYYYMMDD",
 *                          "on_invalid": "reject",      this field's own mode
 *                          "two_digit_year_pivot": 30} },
 *     "trust": { "email": 0.9, "*": 0.5 },               per-attribute trust 0..1 (survivorship)
 *     "two_digit_year_pivot": 30,                       yy < 30 is 20yy, else 19yy (default:
 *                                                       the latest century not in the future)
 *     "on_invalid": "quarantine" }                      the default: a value normalisation
 *                                                       refuses is kept as raw with its reason
 *                                                       (no value, no key) and the record is
 *                                                       accepted; "reject" refuses the record
 * The keys are declared once (source.c), for validation and `aurum help config`.
 *
 * Mapping a source document yields an au_record with every mapped attribute normalised; the
 * fields no mapping uses are kept as custom attributes. full_name and first/last are derived
 * from each other when only one side is mapped. Titles and generational suffixes written in a
 * name leave it for the title and name_suffix attributes (unless the source maps those).
 */
#ifndef AU_SOURCE_H
#define AU_SOURCE_H

#include <jansson.h>

#include <stdio.h>

#include "record/record.h"
#include "lib/buf.h"
#include "lib/rc.h"
#include "normalize/normalize.h"

typedef struct au_source au_source;

/* Prints the keys of a source definition with a full example (`aurum help config`). */
void au_source_print_help(FILE *f);

/* Parses and validates a definition; every error names the offending key. The definition is
 * copied. Caller frees with au_source_free. */
/* The reference of a definition's keys (docs/CONFIG.md, from the rows that check them). */
au_rc au_source_options_markdown(au_buf *out);
au_rc au_source_new(const char *name, const json_t *def, au_source **out, au_err *err);
void au_source_free(au_source *s);
const char *au_source_name(const au_source *s);
/* The definition as given (borrowed reference, lives as long as the source). */
const json_t *au_source_definition(const au_source *s);
/* 1 when the source fills attribute a: mapped from a field, or derived (full_name from the
 * name parts or the parts from full_name); the quality ledger counts it missing where absent. */
int au_source_maps(const au_source *s, au_attr a);
/* Trust of attribute a in this source, 0..1 (default 0.5). */
double au_source_trust(const au_source *s, au_attr a);
/* The source field(s) attribute a is read from, as error details name them ("dob", "a+b"), or
 * the attribute's own name when it is derived (full_name from the parts, title from a name). */
const char *au_source_label(const au_source *s, au_attr a);

/* Maps and normalises one source document (a JSON object whose values are strings, numbers,
 * booleans or null). `index` is the document's position in its batch/file, used in error
 * details. On AU_ERR_INVALID, err holds one detail per offending field and *out is untouched.
 * On success *out is a new record owned by the caller. */
au_rc au_source_map(const au_source *s, const json_t *doc, long index, au_record **out,
                    au_err *err);

#endif
