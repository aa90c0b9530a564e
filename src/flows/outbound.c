/*
 * Outbound policy checks for libpq and libnats (outbound.h). Unix-domain sockets (a libpq host
 * that is a directory) are local services: they are checked as 127.0.0.1 on the port, so they
 * need `loopback` (or 127.0.0.1) in outbound.allow like any other local target.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/outbound.h"
#include "lib/alloc.h"
#include "lib/netpolicy.h"

/* Checks host:port (a name, an address, or a socket directory); the checked numeric address in
 * addr ("" for a socket directory). 0 when allowed, else -1 with why. */
static int check_host(const au_netpolicy *p, const char *host, int port, char *addr, size_t cap,
                      char *why, size_t whylen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    addr[0] = '\0';
    if (!*host || host[0] == '/') {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return au_netpolicy_check(p, "localhost", (struct sockaddr *)&ss, why, whylen) ? -1 : 0;
    }
    if (au_netpolicy_resolve(p, host, port, &ss, why, whylen))
        return -1;
    const void *a = ss.ss_family == AF_INET
                        ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                        : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    inet_ntop(ss.ss_family, a, addr, (socklen_t)cap);
    return 0;
}

PGconn *au_outbound_pg_connect(const char *conninfo, au_delivery *out)
{
    const au_netpolicy *p = au_netpolicy_installed();
    PQconninfoOption *opts = NULL;
    const char **keys = NULL, **vals = NULL;
    const char *host = "", *hostaddr = NULL, *port = NULL;
    char addr[64], why[256];
    PGconn *conn = NULL;
    size_t n = 0, k = 0;
    if (!p)
        return PQconnectdb(conninfo);
    if (!(opts = PQconninfoParse(conninfo, NULL))) {
        au_delivery_set(out, AU_DELIVER_FAIL, "conninfo cannot be parsed");
        return NULL;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++, n++) {
        if (!o->val)
            continue;
        host = !strcmp(o->keyword, "host") ? o->val : host;
        hostaddr = !strcmp(o->keyword, "hostaddr") ? o->val : hostaddr;
        port = !strcmp(o->keyword, "port") ? o->val : port;
    }
    const char *target = hostaddr && *hostaddr ? hostaddr : host;
    if (strchr(target, ',') || (port && strchr(port, ','))) {
        au_delivery_set(out, AU_DELIVER_FAIL,
                        "outbound policy: a conninfo with several hosts is not supported");
        goto out;
    }
    if (check_host(p, target, port && *port ? atoi(port) : 5432, addr, sizeof(addr), why,
                   sizeof(why))) {
        au_delivery_set(out, AU_DELIVER_FAIL, "%s", why);
        goto out;
    }
    keys = au_calloc(n + 2, sizeof(*keys));
    vals = au_calloc(n + 2, sizeof(*vals));
    if (!keys || !vals) {
        au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
        goto out;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !strcmp(o->keyword, "hostaddr"))
            continue;
        keys[k] = o->keyword;
        vals[k++] = o->val;
    }
    if (*addr) { /* connect to exactly the address checked; host stays for TLS and messages */
        keys[k] = "hostaddr";
        vals[k++] = addr;
    }
    conn = PQconnectdbParams(keys, vals, 0);
out:
    au_free(keys);
    au_free(vals);
    PQconninfoFree(opts);
    return conn;
}

/* One server of a NATS URL list: [scheme://][user[:pass]@]host[:port]. */
static int check_nats_server(const au_netpolicy *p, const char *s, size_t len, au_delivery *out)
{
    char buf[512], addr[64], why[256];
    if (len >= sizeof(buf)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "outbound policy: NATS URL too long");
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *h = strstr(buf, "://") ? strstr(buf, "://") + 3 : buf, *at = strrchr(h, '@');
    h = at ? at + 1 : h;
    h[strcspn(h, "/")] = '\0';
    int port = 4222;
    char *colon = h[0] == '[' ? strstr(h, "]:") : strrchr(h, ':');
    if (h[0] == '[') {
        h++;
        h[strcspn(h, "]")] = '\0';
        if (colon)
            port = atoi(colon + 2);
    } else if (colon) {
        *colon = '\0';
        port = atoi(colon + 1);
    }
    if (check_host(p, h, port, addr, sizeof(addr), why, sizeof(why))) {
        au_delivery_set(out, AU_DELIVER_FAIL, "%s", why);
        return -1;
    }
    return 0;
}

int au_outbound_nats_check(const char *urls, au_delivery *out)
{
    const au_netpolicy *p = au_netpolicy_installed();
    if (!p)
        return 0;
    for (const char *s = urls; *s;) {
        size_t len = strcspn(s, ",");
        while (len && *s == ' ')
            s++, len--;
        if (len && check_nats_server(p, s, len, out))
            return -1;
        s += len + (s[len] == ',');
    }
    return 0;
}
