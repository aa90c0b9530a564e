/*
 * The secrets store: named values (API tokens, passwords) that flow steps refer to as
 * `{{ secret.NAME }}` instead of writing them into definitions. Values are encrypted at rest
 * with libsodium's secretbox (XSalsa20-Poly1305) in DATA/secrets.json; the 32-byte key comes from
 * $AURUM_SECRETS_KEY (64 hex digits), else the file named by the configuration's
 * `secrets: {key_file: PATH}`, else DATA/secret.key, generated (mode 0600) on first start.
 * Each value is sealed together with its name, so a box copied under another name does not open.
 *
 * Values leave this module only through au_secrets_context(..., reveal = 1), which the delivery
 * engine adds to a step's context just before the connector renders it; everything that is
 * shown or stored (dry runs, dead letters, run history) gets the placeholders `[secret:NAME]`.
 * Thread-safe: one mutex guards the decrypted map and the file.
 */
#ifndef AU_FLOWS_SECRETS_H
#define AU_FLOWS_SECRETS_H

#include <jansson.h>

#include "lib/buf.h"
#include "lib/rc.h"

typedef struct au_secrets au_secrets;

/* Longest secret name and value. Names are [A-Za-z0-9_], so `secret.NAME` is a path. */
#define AU_SECRET_NAME_MAX  64
#define AU_SECRET_VALUE_MAX 8192

/* The reference of the secrets: section (docs/CONFIG.md, from the rows that check it). */
au_rc au_secrets_options_markdown(au_buf *out);
/* Opens (or creates) the store of data_dir. `section` is the configuration's `secrets:` object
 * (NULL: none). AU_ERR_INVALID for a bad key or key file, AU_ERR_IO for unreadable files. */
au_rc au_secrets_open(const char *data_dir, const json_t *section, au_secrets **out, au_err *err);
void au_secrets_free(au_secrets *s);

/* 1 when name is a valid secret name. */
int au_secrets_name_ok(const char *name);
/* Stores (or replaces) a value; written durably before it returns. */
au_rc au_secrets_set(au_secrets *s, const char *name, const char *value, au_err *err);
/* AU_ERR_NOT_FOUND when absent. */
au_rc au_secrets_remove(au_secrets *s, const char *name, au_err *err);
/* [{"name","updated"}] sorted by name, never values. New reference. */
json_t *au_secrets_list(au_secrets *s);
/* {"NAME": value} with the real values (reveal = 1) or with "[secret:NAME]" (reveal = 0), for
 * the `secret` root of a run context. New reference (NULL when out of memory). */
json_t *au_secrets_context(au_secrets *s, int reveal);
/* Replaces every occurrence of a secret's value (of 4 bytes or more) in text by
 * "[secret:NAME]": for messages that may echo what was sent. New string (au_free) or NULL when
 * text holds none (or s is NULL). */
char *au_secrets_scrub(au_secrets *s, const char *text);

#endif
