/*
 * Masking for keys with the read:masked scope (data minimisation, docs/SECURITY.md): personal
 * values in an answer are replaced by a partial or full mask according to a policy per canonical
 * attribute, set under `masking:` in the configuration (attribute -> full | partial | none).
 *
 * partial, by kind: e-mail j***@example.com; phone ***0958 (last four digits); names the
 * initial (J.; a full name J. S.); date of birth the year; address lines, postcode and state
 * ***; identifiers ***<last two>; city and country as they are (an address is reduced to its
 * city and country). full: *** whatever the value. none: shown.
 *
 * The walker masks a JSON answer in place by the names of its members: a canonical attribute
 * name, a common source field name (given_name, surname, dob, street, zip...) or a name
 * containing one (customer_email, ship_to_address); under such a member every string is masked,
 * except the metadata beside a value (status, reason, sources, lineage); a "value" labelled by
 * its "column" (generic values) is masked as that attribute. A record's raw input
 * is masked through its source's field mapping. JSON held in a string (a dead letter's request)
 * is parsed and masked; text that is not JSON under request, response or body is masked whole.
 */
#ifndef AU_MASK_H
#define AU_MASK_H

#include <jansson.h>

#include "core/config.h"
#include "lib/rc.h"
#include "record/record.h"

typedef enum { AU_MASK_NONE = 0, AU_MASK_PARTIAL = 1, AU_MASK_FULL = 2 } au_mask_level;

/* The level of every canonical attribute. */
typedef struct au_mask_policy {
    unsigned char level[AU_ATTR_COUNT]; /* au_mask_level */
} au_mask_policy;

/* Reads `masking:` of the configuration over the defaults (documented above); errors name the
 * attribute or the level. */
AU_MUST_USE au_rc au_mask_policy_parse(const au_config *cfg, au_mask_policy *p, au_err *err);
/* The mask of one value of attribute a at level lvl (new string, au_free); NULL when out of
 * memory. */
char *au_mask_value(au_attr a, au_mask_level lvl, const char *value);

/* Which attribute a source field holds: the source's mapping, given to the walker by its
 * caller; -1 when the field maps to none. */
typedef int (*au_mask_field_fn)(void *ctx, const char *source, const char *field);
/* Masks every personal value of doc in place. AU_ERR_NOMEM leaves doc partly masked: the
 * caller must not send it. */
AU_MUST_USE au_rc au_mask_json(const au_mask_policy *p, json_t *doc, au_mask_field_fn field,
                               void *ctx);
/* Masks a JSON text (parse, walk, dump); *out is a new string (free()) of the masked text. A
 * text that is not JSON is AU_ERR_PARSE. */
AU_MUST_USE au_rc au_mask_text(const au_mask_policy *p, const char *text, size_t len,
                               au_mask_field_fn field, void *ctx, char **out, size_t *out_len);

#endif
