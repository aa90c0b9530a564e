/*
 * Names users give to things that end up in URLs, logs, file names and SQL rows: source and
 * flow names. One documented pattern, ^[a-z0-9][a-z0-9_.-]{0,63}$, so a name can never hold a
 * path separator, a control character, an upper-case twin of another name or 3,000 bytes.
 * Record ids are free text but bounded by AU_RECORD_ID_MAX bytes.
 */
#ifndef AU_NAMES_H
#define AU_NAMES_H

/* Longest source or flow name, in bytes. */
#define AU_NAME_MAX 64
/* Longest record id, in bytes (after the id's scalar is turned into text). */
#define AU_RECORD_ID_MAX 256
/* The pattern, as documented in errors and docs. */
#define AU_NAME_PATTERN "^[a-z0-9][a-z0-9_.-]{0,63}$"

/* 1 when s matches AU_NAME_PATTERN, else 0 (NULL is not a name). */
int au_name_valid(const char *s);

#endif
