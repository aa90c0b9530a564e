/*
 * The values a write quarantined, as the API answer and the importer report them: a dirty value
 * in a well-formed record is kept (raw + reason) instead of refusing the record, and the caller
 * is told which. The list is bounded (the first `max` values with index, record id, source field,
 * raw value and reason) while the totals count everything, so a huge dirty batch cannot make a
 * huge answer.
 */
#ifndef AU_WARNINGS_H
#define AU_WARNINGS_H

#include <jansson.h>

#include "record/record.h"
#include "core/source.h"
#include "lib/rc.h"

/* Values listed in an API answer; the rest are only counted. */
#define AU_WARNINGS_MAX 100

/* Caller-allocated: au_warnings_init / au_warnings_cleanup. */
typedef struct au_warnings {
    json_t *list; /* [{index, record_id, field, attribute, value, reason}], NULL until one */
    size_t max;   /* entries kept in list */
    long total;   /* quarantined values seen */
    long records; /* records with at least one */
} au_warnings;

void au_warnings_init(au_warnings *w, size_t max);
void au_warnings_cleanup(au_warnings *w);
/* Notes the quarantined values of record r (the index-th of its batch), mapped by source s
 * (for the source field names). AU_ERR_NOMEM only; a record without any costs one pass over
 * its attributes. */
au_rc au_warnings_add(au_warnings *w, const au_source *s, long index, const au_record *r);
/* Sets "warnings" (the list, [] when none) and "warnings_total" and "records_with_warnings" in
 * the answer object. AU_ERR_NOMEM only. */
au_rc au_warnings_put(const au_warnings *w, json_t *answer);

#endif
