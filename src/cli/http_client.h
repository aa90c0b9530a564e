/*
 * One HTTP request to a running daemon for the subcommands that have a --server mode
 * (quality, renormalize): bearer key, JSON in and out, bounded answer, the daemon's error body
 * turned into a message.
 */
#ifndef AU_CLI_HTTP_CLIENT_H
#define AU_CLI_HTTP_CLIENT_H

#include <jansson.h>

#include "lib/rc.h"

/* Sends METHOD server+path (path already escaped) with `body` (NULL: none) and the key (NULL:
 * $AURUM_KEY, may be unset). On a 2xx answer *out is its JSON (new reference). Any other answer
 * or a transport failure is an error whose message names the daemon's error. */
au_rc au_cli_http_json(const char *method, const char *server, const char *path, const char *key,
                       const char *body, json_t **out, au_err *err);

#endif
