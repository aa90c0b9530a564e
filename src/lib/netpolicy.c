/*
 * The outbound policy (netpolicy.h). Addresses are compared as 16 bytes: IPv4 as the
 * IPv4-mapped IPv6 form (::ffff:a.b.c.d) with its prefix + 96, so one matcher serves both
 * families and a mapped address cannot dodge an IPv4 rule.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/alloc.h"
#include "lib/netpolicy.h"
#include "lib/opts.h"

typedef enum rule_kind { RULE_NET, RULE_NAME, RULE_ANY } rule_kind;

typedef struct rule {
    rule_kind kind;        /* what it matches */
    unsigned char net[16]; /* RULE_NET: address (IPv4 mapped) */
    int prefix;            /* RULE_NET: bits that must match, 0..128 */
    char name[300];        /* RULE_NAME: lower case; "*.x" matches below x */
    int port;              /* 0: any port */
} rule;

struct au_netpolicy {
    rule *allow, *deny; /* compiled rules, owned */
    size_t nallow, ndeny;
};

/* A special range, with its name for messages. */
typedef struct range {
    const char *cidr;  /* as text */
    const char *label; /* "loopback", "private", ... */
} range;

static const range special[] = {
    {"127.0.0.0/8", "loopback"},
    {"::1/128", "loopback"},
    {"10.0.0.0/8", "private"},
    {"172.16.0.0/12", "private"},
    {"192.168.0.0/16", "private"},
    {"fc00::/7", "private"},
    {"100.64.0.0/10", "private"},
    {"169.254.0.0/16", "link-local"},
    {"fe80::/10", "link-local"},
    {"0.0.0.0/8", "unspecified"},
    {"::/128", "unspecified"},
    {"224.0.0.0/4", "multicast"},
    {"ff00::/8", "multicast"},
    {"255.255.255.255/32", "broadcast"},
    {NULL, NULL},
};

static const au_netpolicy *installed;

void au_netpolicy_install(const au_netpolicy *p)
{
    installed = p;
}

const au_netpolicy *au_netpolicy_installed(void)
{
    return installed;
}

/* "a.b.c.d" or an IPv6 address, with an optional "/prefix", into 16 bytes and bits. */
static int parse_net(const char *text, unsigned char net[16], int *prefix)
{
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    struct in_addr v4;
    int max;
    if (n == 0 || n >= sizeof(addr))
        return -1;
    memcpy(addr, text, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, &v4) == 1) {
        memset(net, 0, 10);
        net[10] = net[11] = 0xff;
        memcpy(net + 12, &v4, 4);
        max = 32;
    } else if (inet_pton(AF_INET6, addr, net) == 1) {
        max = 128;
    } else {
        return -1;
    }
    *prefix = max;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || p < 0 || p > max)
            return -1;
        *prefix = (int)p;
    }
    if (max == 32)
        *prefix += 96;
    return 0;
}

static int net_match(const unsigned char *net, int prefix, const unsigned char addr[16])
{
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(net, addr, (size_t)full))
        return 0;
    if (!rest)
        return 1;
    unsigned char m = (unsigned char)(0xff << (8 - rest));
    return (net[full] & m) == (addr[full] & m);
}

/* The label of the special range holding addr, or NULL for a public address. */
static const char *special_label(const unsigned char addr[16])
{
    for (size_t i = 0; special[i].cidr; i++) {
        unsigned char net[16];
        int prefix;
        if (!parse_net(special[i].cidr, net, &prefix) && net_match(net, prefix, addr))
            return special[i].label;
    }
    return NULL;
}

static int name_ok(const char *s)
{
    if (!strncmp(s, "*.", 2))
        s += 2;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
            return 0;
    return 1;
}

/* Appends the rules one text stands for (a named range is several) to *list. */
static au_rc compile(const char *text, const char *where, rule **list, size_t *n, au_err *err)
{
    char host[300];
    int port = 0;
    const char *colon = NULL;
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof(host))
        return au_err_set(err, AU_ERR_INVALID, "outbound.%s: empty or too long rule", where);
    if (text[0] == '[') { /* [v6]:port or [v6]/prefix:port */
        const char *close = strchr(text, ']');
        if (!close)
            return au_err_set(err, AU_ERR_INVALID, "outbound.%s: '%s': missing ]", where, text);
        snprintf(host, sizeof(host), "%.*s%s", (int)(close - text - 1), text + 1, "");
        const char *after = close + 1;
        if (*after == '/') {
            size_t pl = strcspn(after, ":");
            snprintf(host + strlen(host), sizeof(host) - strlen(host), "%.*s", (int)pl, after);
            after += pl;
        }
        colon = *after == ':' ? after : NULL;
        if (*after && !colon)
            return au_err_set(err, AU_ERR_INVALID, "outbound.%s: '%s': bad rule", where, text);
    } else {
        const char *first = strchr(text, ':'), *last = strrchr(text, ':');
        colon = first && first == last ? first : NULL; /* several colons: bare IPv6 */
        snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - text) : (int)len, text);
    }
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || p < 1 || p > 65535)
            return au_err_set(err, AU_ERR_INVALID, "outbound.%s: '%s': port must be 1..65535",
                              where, text);
        port = (int)p;
    }
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *named[4] = {NULL};
    size_t nnamed = 0;
    if (!strcmp(host, "loopback") || !strcmp(host, "private") || !strcmp(host, "link-local")) {
        for (size_t i = 0; special[i].cidr; i++)
            if (!strcmp(special[i].label, host) && nnamed < 4)
                named[nnamed++] = special[i].cidr;
    }
    size_t add = nnamed ? nnamed : 1;
    rule *grown = au_realloc(*list, (*n + add) * sizeof(rule));
    if (!grown)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    *list = grown;
    for (size_t i = 0; i < add; i++) {
        rule *r = &grown[*n + i];
        memset(r, 0, sizeof(*r));
        r->port = port;
        if (nnamed) {
            r->kind = RULE_NET;
            parse_net(named[i], r->net, &r->prefix);
        } else if (!*host || !strcmp(host, "*")) {
            r->kind = RULE_ANY;
        } else if (!parse_net(host, r->net, &r->prefix)) {
            r->kind = RULE_NET;
        } else if (name_ok(host) && !strchr(host, '/')) {
            r->kind = RULE_NAME;
            snprintf(r->name, sizeof(r->name), "%s", host);
        } else {
            return au_err_set(err, AU_ERR_INVALID,
                              "outbound.%s: '%s' is not an address, CIDR, host name or named "
                              "range (loopback, private, link-local)",
                              where, text);
        }
    }
    *n += add;
    return AU_OK;
}

static au_rc compile_list(const json_t *section, const char *key, rule **list, size_t *n,
                          au_err *err)
{
    const json_t *l = json_object_get(section, key), *v;
    size_t i;
    if (!l)
        return AU_OK;
    if (json_is_string(l))
        return compile(json_string_value(l), key, list, n, err);
    if (!json_is_array(l))
        return au_err_set(err, AU_ERR_INVALID, "outbound.%s must be a list of rules", key);
    json_array_foreach(l, i, v)
    {
        if (!json_is_string(v))
            return au_err_set(err, AU_ERR_INVALID, "outbound.%s[%zu] must be a string", key, i);
        au_rc rc = compile(json_string_value(v), key, list, n, err);
        if (rc)
            return rc;
    }
    return AU_OK;
}

/* The keys of the outbound: section, as declared options: au_opts_from_json checks the names,
 * compile_list the rules (so no field is stored); docs/CONFIG.md prints them. */
static const au_opt outbound_table[] = {
    AU_OPT_ROW("allow", AU_OPT_MAPPING, 0, "list",
               "rules a destination may match: address, CIDR, host name (*.suffix), loopback, "
               "private or link-local, each with an optional :port",
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("deny", AU_OPT_MAPPING, 0, "list", "rules refused even when allowed (deny wins)",
               .flags = AU_OPT_CONSUMER),
    {0},
};
#define NOUTBOUND_OPTS (sizeof outbound_table / sizeof outbound_table[0] - 1)

au_rc au_netpolicy_options_markdown(au_buf *out)
{
    return au_opts_markdown(outbound_table, NOUTBOUND_OPTS, out);
}

au_rc au_netpolicy_new(const json_t *section, au_netpolicy **out, au_err *err)
{
    au_netpolicy *p = au_calloc(1, sizeof(*p));
    au_rc rc = AU_OK;
    *out = NULL;
    if (!p)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    rc = au_opts_from_json(outbound_table, NOUTBOUND_OPTS, section, "outbound", NULL, 0, err);
    if (!rc)
        rc = compile_list(section, "allow", &p->allow, &p->nallow, err);
    if (!rc)
        rc = compile_list(section, "deny", &p->deny, &p->ndeny, err);
    if (rc)
        au_netpolicy_free(p);
    else
        *out = p;
    return rc;
}

void au_netpolicy_free(au_netpolicy *p)
{
    if (!p)
        return;
    au_free(p->allow);
    au_free(p->deny);
    au_free(p);
}

static int name_match(const char *rule_name, const char *host)
{
    if (!host)
        return 0;
    if (!strncmp(rule_name, "*.", 2)) {
        size_t hl = strlen(host), sl = strlen(rule_name + 1); /* ".suffix" */
        return hl > sl && !strcasecmp(host + hl - sl, rule_name + 1);
    }
    return !strcasecmp(rule_name, host);
}

/* The first rule of list matching; names only when names is set. */
static const rule *find(const rule *list, size_t n, const char *host, const unsigned char a[16],
                        int port, int names)
{
    for (size_t i = 0; i < n; i++) {
        const rule *r = &list[i];
        if (r->port && r->port != port)
            continue;
        if (r->kind == RULE_ANY || (r->kind == RULE_NET && net_match(r->net, r->prefix, a)) ||
            (names && r->kind == RULE_NAME && name_match(r->name, host)))
            return r;
    }
    return NULL;
}

au_rc au_netpolicy_check(const au_netpolicy *p, const char *host, const struct sockaddr *sa,
                         char *why, size_t whylen)
{
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN + 8];
    int port;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memset(a, 0, 10);
        a[10] = a[11] = 0xff;
        memcpy(a + 12, &in->sin_addr, 4);
        port = ntohs(in->sin_port);
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(a, &in6->sin6_addr, 16);
        port = ntohs(in6->sin6_port);
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    } else {
        snprintf(why, whylen, "outbound policy: only IPv4 and IPv6 connections are allowed");
        return AU_ERR_FORBIDDEN;
    }
    if (!p)
        return AU_OK;
    const char *label = special_label(a);
    if (find(p->deny, p->ndeny, host, a, port, 1)) {
        snprintf(why, whylen, "outbound policy: %s port %d (%s) is denied by outbound.deny", text,
                 port, host ? host : "address");
        return AU_ERR_FORBIDDEN;
    }
    if (find(p->allow, p->nallow, host, a, port, !label))
        return AU_OK;
    if (label || p->nallow) {
        snprintf(why, whylen,
                 "outbound policy: %s port %d (%s) %s%s%s not allowed by outbound.allow", text,
                 port, host ? host : "address", label ? "is a " : "is", label ? label : "",
                 label ? " address," : "");
        return AU_ERR_FORBIDDEN;
    }
    return AU_OK;
}

au_rc au_netpolicy_resolve(const au_netpolicy *p, const char *host, int port,
                           struct sockaddr_storage *sa, char *why, size_t whylen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res = NULL;
    char service[16];
    au_rc rc = AU_ERR_FORBIDDEN;
    snprintf(service, sizeof(service), "%d", port);
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai) {
        snprintf(why, whylen, "cannot resolve %s: %s", host, gai_strerror(gai));
        return AU_ERR_IO;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (au_netpolicy_check(p, host, ai->ai_addr, why, whylen) == AU_OK) {
            memcpy(sa, ai->ai_addr, ai->ai_addrlen);
            rc = AU_OK;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}
