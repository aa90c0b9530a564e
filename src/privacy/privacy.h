/*
 * Privacy: the rights of a data subject over what Aurum holds about them (docs/PRIVACY.md).
 * Erasure takes every trace of a person's personal data out of every table, the in-memory
 * indexes and the WAL, and keeps a receipt of hashed identifiers; export gathers everything held
 * about a person, with where it came from, as one document (a subject access request). A person
 * is named by a profile id or by one identifier (e-mail, phone, or a source record).
 *
 * The module's engine hook keeps deleted records free of personal data: when a record is
 * deleted, the documents of all its versions are dropped (a tombstone history remains).
 */
#ifndef AU_PRIVACY_H
#define AU_PRIVACY_H

#include <jansson.h>
#include <stdint.h>

#include "core/engine.h"
#include "lib/rc.h"

/* A data subject as a request names it: exactly one of profile, email, phone, or source with
 * record. Strings borrowed. */
typedef struct au_subject_query {
    int64_t profile;    /* profile id, 0 when not given */
    const char *email;  /* an e-mail address (any spelling: it is normalised) */
    const char *phone;  /* a phone number (any format) */
    const char *source; /* with record: a source record */
    const char *record; /* that source's own id */
} au_subject_query;

/* Fills q from a JSON object {"profile"|"email"|"phone"|"source"+"record"} (strings borrowed
 * from obj); AU_ERR_INVALID unless exactly one way of naming a person is given. */
au_rc au_subject_query_from_json(const json_t *obj, au_subject_query *q, au_err *err);

/* Options of an erasure. */
typedef struct au_erase_opts {
    const char *key_id; /* who asked: the API key id, or "cli" */
    int suppress;       /* 1: keep the hashed identifiers on the suppression list */
} au_erase_opts;

/* Erases the person: deletes their records through the normal write path (resolution, blocking
 * index, profiles, flows and the change feed follow; the remaining records are re-resolved),
 * then purges every remaining trace in one transaction and checkpoints the WAL. *receipt (new
 * reference) = {"receipt","profile","at","identifiers":[hashes],"removed":{...},
 * "wal_truncated"}. AU_ERR_NOT_FOUND for nobody, AU_ERR_CONFLICT when an identifier is held by
 * several profiles (erase by profile id then). */
au_rc au_privacy_erase(au_engine *e, const au_subject_query *q, const au_erase_opts *o,
                       json_t **receipt, au_err *err);

/* Everything held about the person, read from st (a reader): the golden record with lineage,
 * each source record with every version, the events on their timeline, the flow runs and dead
 * letters mentioning them, and the erasure receipts. *out is a new reference. */
au_rc au_privacy_export(au_engine *e, au_store *st, const au_subject_query *q, json_t **out,
                        au_err *err);

/* The hook (registered last in app/compose.c) that drops a deleted record's documents. */
extern const au_engine_hook au_privacy_hook;

#endif
