/*
 * Redaction of credentials by their type, for everything Aurum shows or stores about what it
 * sends (flow definitions, dry runs, run history, dead letters, logs): a value is hidden when
 * its key names a credential (Authorization, Proxy-Authorization, X-API-Key, Cookie, Set-Cookie,
 * or any key containing token, secret, password, passwd or apikey), and inside any string the
 * password of a URL's user:password@, the values of credential query parameters (token, key,
 * api_key, sig, signature, secret, password, access_token...) and a conninfo's password=... are
 * replaced by "[redacted]". Placeholders of the secrets store ("[secret:NAME]") are kept, so a
 * reader still sees which secret a step uses.
 */
#ifndef AU_LIB_REDACT_H
#define AU_LIB_REDACT_H

#include <jansson.h>

/* What replaces a hidden value. */
#define AU_REDACTED "[redacted]"

/* 1 when a key (header name, option, field) names a credential. */
int au_redact_key_is_secret(const char *key);
/* text with URL passwords, credential query parameters and conninfo passwords replaced. New
 * string (au_free), or NULL when nothing was replaced (or out of memory). */
char *au_redact_text(const char *text);
/* Redacts a JSON value in place (objects and lists recursively). */
void au_redact_json(json_t *j);

#endif
