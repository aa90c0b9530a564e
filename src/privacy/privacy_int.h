/*
 * Internals of src/privacy: a found data subject (its profile, records, event references, the
 * strings that mark flow runs as theirs and the hashes kept in receipts), shared by erase.c and
 * export.c.
 */
#ifndef AU_PRIVACY_INT_H
#define AU_PRIVACY_INT_H

#include "privacy/privacy.h"
#include "store/store.h"

/* A person as found in the store. Every member is owned (au_subject_cleanup). */
typedef struct au_subject {
    int64_t profile; /* the live profile */
    json_t *members; /* [{"no","s","r"}]: its records */
    json_t *refs;    /* event customer references of every version ("r:..", "e:..", "p:..") */
    json_t *needles; /* strings whose presence in a run or dead letter makes it theirs */
    json_t *hashes;  /* hex BLAKE2b of each identifier ("email:KEY", "phone:KEY", "record:..") */
} au_subject;

/* Finds the person q names, reading st. */
au_rc au_subject_find(au_engine *e, au_store *st, const au_subject_query *q, au_subject *out,
                      au_err *err);
void au_subject_cleanup(au_subject *s);
/* Hex BLAKE2b-256 of kind ":" value (out: 65 bytes). */
void au_subject_hash(const char *kind, const char *value, char out[65]);

/* Tells the privacy hook's state (au_engine_hook_state(e, "privacy")) that the suppression list
 * now has entries (writer thread). NULL is ignored. */
void au_privacy_hook_suppressing(void *state);

#endif
