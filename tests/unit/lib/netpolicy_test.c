/*
 * Unit tests for the outbound policy (src/lib/netpolicy.c): special ranges denied unless an
 * address rule allows them, host-name rules never opening internal addresses, ports, deny
 * before allow, IPv4-mapped IPv6, and errors naming the bad rule.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "lib/netpolicy.h"

static au_netpolicy *policy(const char *json)
{
    au_err err;
    au_netpolicy *p = NULL;
    json_t *j = json ? json_loads(json, 0, NULL) : NULL;
    au_err_init(&err);
    cr_assert_eq(au_netpolicy_new(j, &p, &err), AU_OK, "%s", err.message);
    json_decref(j);
    au_err_cleanup(&err);
    return p;
}

/* 1 when host may reach ip:port. */
static int ok(const au_netpolicy *p, const char *host, const char *ip, int port)
{
    struct sockaddr_storage ss;
    char why[256] = "";
    memset(&ss, 0, sizeof(ss));
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        cr_assert_eq(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        cr_assert_eq(inet_pton(AF_INET, ip, &a->sin_addr), 1);
    }
    au_rc rc = au_netpolicy_check(p, host, (struct sockaddr *)&ss, why, sizeof(why));
    cr_assert(rc == AU_OK || (rc == AU_ERR_FORBIDDEN && strstr(why, "outbound")), "%s", why);
    return rc == AU_OK;
}

Test(netpolicy, defaults_deny_internal_ranges_and_allow_public_ones)
{
    au_netpolicy *p = policy(NULL);
    const char *internal[] = {
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",      "169.254.169.254", "::1",
        "fe80::1",   "fd00::1",  "0.0.0.0",    "::ffff:127.0.0.1", "100.64.0.1",      NULL};
    for (int i = 0; internal[i]; i++)
        cr_assert(!ok(p, "x.example", internal[i], 80), "%s", internal[i]);
    cr_assert(ok(p, "x.example", "93.184.216.34", 443));
    cr_assert(ok(p, "x.example", "2606:2800:220:1::1", 443));
    cr_assert(ok(p, "x.example", "172.32.0.1", 80), "just outside 172.16/12");
    au_netpolicy_free(p);
}

Test(netpolicy, allow_rules_by_address_name_and_port)
{
    au_netpolicy *p = policy("{\"allow\": [\"loopback\", \"10.0.0.0/8:5432\", \"*.corp.example\","
                             " \"api.example:443\"]}");
    cr_assert(ok(p, NULL, "127.0.0.1", 8080));
    cr_assert(ok(p, NULL, "::1", 8080));
    cr_assert(ok(p, NULL, "10.9.9.9", 5432));
    cr_assert(!ok(p, NULL, "10.9.9.9", 80), "port not allowed");
    cr_assert(ok(p, "crm.corp.example", "93.184.216.34", 80));
    cr_assert(!ok(p, "crm.corp.example", "192.168.1.1", 80),
              "a host-name rule does not open an internal address (DNS rebinding)");
    cr_assert(ok(p, "api.example", "93.184.216.34", 443));
    cr_assert(!ok(p, "api.example", "93.184.216.34", 80));
    cr_assert(!ok(p, "other.example", "93.184.216.34", 443), "with an allow list, only it");
    au_netpolicy_free(p);
}

Test(netpolicy, deny_wins_over_allow)
{
    au_netpolicy *p = policy("{\"allow\": [\"10.0.0.0/8\"], \"deny\": [\"10.0.0.5\", \":25\"]}");
    cr_assert(ok(p, NULL, "10.0.0.4", 80));
    cr_assert(!ok(p, NULL, "10.0.0.5", 80));
    cr_assert(!ok(p, NULL, "10.0.0.4", 25));
    au_netpolicy_free(p);
}

Test(netpolicy, bad_rules_are_named)
{
    const char *bad[] = {"{\"allow\": [\"10.0.0.0/33\"]}",
                         "{\"allow\": [\"host:0\"]}",
                         "{\"allow\": [\"bad host\"]}",
                         "{\"deny\": [7]}",
                         "{\"permit\": []}",
                         "{\"allow\": [\"[::1\"]}",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        au_err err;
        au_netpolicy *p = NULL;
        json_t *j = json_loads(bad[i], 0, NULL);
        au_err_init(&err);
        cr_assert_eq(au_netpolicy_new(j, &p, &err), AU_ERR_INVALID, "%s", bad[i]);
        cr_assert(strstr(err.message, "outbound"), "%s", err.message);
        cr_assert_null(p);
        json_decref(j);
        au_err_cleanup(&err);
    }
    /* the section's keys are declared options: the shared wording of an unknown key */
    au_err err;
    au_netpolicy *p = NULL;
    json_t *j = json_loads("{\"allow\": [], \"permit\": []}", 0, NULL);
    au_err_init(&err);
    cr_assert_eq(au_netpolicy_new(j, &p, &err), AU_ERR_INVALID);
    cr_assert_str_eq(err.message, "outbound.permit: unknown key (valid keys: allow, deny)");
    json_decref(j);
    au_err_cleanup(&err);
}
