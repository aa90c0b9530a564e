/*
 * The outbound network policy: which hosts flow steps may connect to. Configured as
 *   outbound: {allow: [RULE...], deny: [RULE...]}
 * where a RULE is an address or CIDR (10.0.0.0/8, ::1, [fd00::]/8 ...), a named range (loopback,
 * private, link-local), a host name or *.suffix, each with an optional :PORT (":5432" alone
 * matches any host on that port). Decision, made on the ADDRESS a connection is about to use,
 * after name resolution (so a name that resolves somewhere else later cannot slip through):
 *   1. a matching deny rule refuses;
 *   2. an address in a special range (loopback, private, link-local, CGNAT, unspecified,
 *      multicast, IPv4-mapped forms of those) needs an allow rule that matches the address itself
 *      (a host-name rule does not open internal addresses: DNS can be made to point anywhere);
 *   3. otherwise a matching allow rule accepts; with no allow list every public address is
 *      accepted, with one only what it matches.
 * The daemon installs one policy at start-up (from the configuration) before any thread runs;
 * with none installed (unit tests, tools) every connection is allowed.
 */
#ifndef AU_LIB_NETPOLICY_H
#define AU_LIB_NETPOLICY_H

#include <jansson.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/rc.h"

typedef struct au_netpolicy au_netpolicy;
struct sockaddr;
struct sockaddr_storage;

/* The reference of the outbound: section (docs/CONFIG.md, from the rows that check it). */
au_rc au_netpolicy_options_markdown(au_buf *out);
/* Compiles the `outbound:` section (NULL: defaults). AU_ERR_INVALID names the bad rule. */
au_rc au_netpolicy_new(const json_t *section, au_netpolicy **out, au_err *err);
void au_netpolicy_free(au_netpolicy *p);
/* 0 when host (the name asked for, may be NULL) may be reached at sa; AU_ERR_FORBIDDEN with a
 * reason in why (e.g. "127.0.0.1:80 is a loopback address, not allowed by outbound.allow"). */
au_rc au_netpolicy_check(const au_netpolicy *p, const char *host, const struct sockaddr *sa,
                         char *why, size_t whylen);
/* Resolves host:port and checks every address; 0 and the first allowed address in *sa (for the
 * caller to connect to exactly that address), else AU_ERR_FORBIDDEN / AU_ERR_IO with why. */
au_rc au_netpolicy_resolve(const au_netpolicy *p, const char *host, int port,
                           struct sockaddr_storage *sa, char *why, size_t whylen);

/* The process's policy (start-up configuration): installed once before threads start. The
 * caller keeps ownership. NULL uninstalls. */
void au_netpolicy_install(const au_netpolicy *p);
const au_netpolicy *au_netpolicy_installed(void);

#endif
