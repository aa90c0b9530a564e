/*
 * What keeps flows' credentials and callers honest: the secrets store of the engine
 * (secrets.h), the outbound policy of the configuration (src/lib/netpolicy.h, installed for
 * the process at start-up), and the webhook check. A webhook call carries X-Aurum-Timestamp
 * (Unix seconds) and X-Aurum-Signature: sha256=<hex HMAC-SHA256(secret, "TIMESTAMP.BODY")>, as
 * Stripe does: a timestamp outside the window (default 300 s either way, `webhooks:
 * {max_age_s: N}`) is refused, and the signature is remembered until it leaves the window, so
 * the same call cannot be played again. Comparisons are constant-time (sodium_memcmp), and an
 * unknown or disabled flow is checked against a random key, so it fails the same way, with the
 * same status and body, as a wrong secret: callers cannot probe which flows exist.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flows/flows_int.h"
#include "flows/secrets.h"
#include "lib/netpolicy.h"
#include "lib/opts.h"
#include "lib/replay.h"
#include "lib/clock.h"

#define WINDOW_DEFAULT_S "300"
#define WINDOW_MAX_S     86400
#define REPLAY_SLOTS     (1 << 16) /* signatures remembered at once (2.6 MB) */

/* The policy compiled from the configuration; installed for the process (start-up config). */
static au_netpolicy *policy;

/* The `webhooks:` section, declared (lib/opts.h): the same converter and messages as every
 * option, with the line and column in the configuration file. */
static const au_opt webhook_opts[] = {
    AU_OPT_ROW("max_age_s", AU_OPT_INT, offsetof(au_flows, webhook_window_s), "SECONDS",
               "accepted age of X-Aurum-Timestamp, either way", .def = WINDOW_DEFAULT_S, .min = 1,
               .max = WINDOW_MAX_S),
    {0}};

static au_rc webhook_section(au_flows *f, const au_config *cfg, au_err *err)
{
    unsigned line = 0, col = 0;
    au_rc rc = au_opts_defaults(webhook_opts, 1, f, 0, err);
    if (!rc)
        rc = au_opts_from_yaml(webhook_opts, 1, au_config_node(cfg, "webhooks"), "webhooks", f, 0,
                               &line, &col, err);
    if (rc && rc != AU_ERR_NOMEM) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        au_err_set(err, rc, "%s:%u:%u: %s", au_config_path(cfg), line, col, msg);
    }
    return rc;
}

au_rc au_flows_security_open(au_flows *f, const au_config *cfg, au_err *err)
{
    const json_t *doc = cfg ? cfg->doc : NULL;
    au_rc rc;
    if (sodium_init() < 0)
        return au_err_set(err, AU_ERR_INTERNAL, "libsodium failed to initialise");
    randombytes_buf(f->hook_dummy, sizeof(f->hook_dummy));
    rc = webhook_section(f, cfg, err);
    if (!rc && !(f->replay = au_replay_new(REPLAY_SLOTS)))
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = au_secrets_open(au_engine_data_dir(f->engine), json_object_get(doc, "secrets"),
                             &f->secrets, err);
    if (!rc && !au_netpolicy_installed()) {
        rc = au_netpolicy_new(json_object_get(doc, "outbound"), &policy, err);
        if (!rc)
            au_netpolicy_install(policy);
    }
    return rc;
}

void au_flows_security_close(au_flows *f)
{
    au_secrets_free(f->secrets);
    f->secrets = NULL;
    au_replay_free(f->replay);
    f->replay = NULL;
    if (policy && au_netpolicy_installed() == policy) {
        au_netpolicy_install(NULL);
        au_netpolicy_free(policy);
        policy = NULL;
    }
}

/* HMAC-SHA256(key, ts "." body). */
static void sign(const char *key, size_t klen, const char *ts, const char *body, size_t len,
                 unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state hs;
    crypto_auth_hmacsha256_init(&hs, (const unsigned char *)key, klen);
    crypto_auth_hmacsha256_update(&hs, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&hs, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&hs, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&hs, mac);
}

/* Constant-time equality of two strings of any lengths (compares their hashes). */
static int same_text(const char *a, const char *b)
{
    unsigned char ha[32], hb[32];
    crypto_generichash(ha, sizeof(ha), (const unsigned char *)a, strlen(a), NULL, 0);
    crypto_generichash(hb, sizeof(hb), (const unsigned char *)b, strlen(b), NULL, 0);
    return sodium_memcmp(ha, hb, sizeof(ha)) == 0;
}

au_rc au_flows_webhook_verify(au_flows *f, const flow_entry *e, const char *ts, const char *secret,
                              const char *signature, const char *body, size_t len, au_err *err)
{
    unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES] = {0};
    char *end = NULL;
    long long t = ts ? strtoll(ts, &end, 10) : 0;
    int64_t now = au_wall_ms() / 1000;
    size_t glen = 0;
    if (!ts || !*ts || *end || llabs(t - (long long)now) > f->webhook_window_s)
        return au_err_set(err, AU_ERR_UNAUTHORIZED,
                          "X-Aurum-Timestamp missing or outside the %ld s window (sign "
                          "\"TIMESTAMP.BODY\" with the current Unix time)",
                          f->webhook_window_s);
    const char *key = e ? e->def->trigger.secret : (const char *)f->hook_dummy;
    size_t klen = e ? strlen(key) : sizeof(f->hook_dummy);
    sign(key, klen, ts, body, len, want);
    if (signature && !strncmp(signature, "sha256=", 7))
        sodium_hex2bin(got, sizeof(got), signature + 7, strlen(signature + 7), NULL, &glen, NULL);
    int ok = glen == sizeof(got) && sodium_memcmp(got, want, sizeof(want)) == 0;
    if (!signature && secret)
        ok = same_text(secret, e ? key : "") && e;
    if (!ok)
        return au_err_set(err, AU_ERR_UNAUTHORIZED, "wrong or missing webhook signature");
    /* The expected signature names this exact call (timestamp and body) for either form. */
    int seen = au_replay_seen(f->replay, want, now, (int64_t)t + f->webhook_window_s + 1);
    if (seen > 0)
        return au_err_set(err, AU_ERR_UNAUTHORIZED,
                          "replayed webhook call: this timestamp and signature were seen before");
    if (seen < 0)
        return au_err_set(err, AU_ERR_BUSY, "too many webhook calls in the window, retry later");
    return AU_OK;
}

struct au_secrets *au_flows_secrets(au_flows *f)
{
    return f ? f->secrets : NULL;
}
