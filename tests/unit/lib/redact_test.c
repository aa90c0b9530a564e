/*
 * Unit tests for credential redaction by type (src/lib/redact.c): header and key names, URL
 * passwords, credential query parameters, conninfo passwords, and the secrets store's
 * placeholders, which stay visible.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/redact.h"

static void expect(const char *in, const char *want)
{
    char *out = au_redact_text(in);
    if (!want)
        cr_assert_null(out, "%s should be left alone, got %s", in, out);
    else
        cr_assert_str_eq(out ? out : "(unchanged)", want, "for %s", in);
    au_free(out);
}

Test(redact, key_names_that_hold_credentials)
{
    const char *yes[] = {"Authorization",
                         "authorization",
                         "X-API-Key",
                         "Cookie",
                         "Set-Cookie",
                         "crm_token",
                         "X-Auth-Token",
                         "client_secret",
                         "db_password",
                         "Proxy-Authorization",
                         NULL};
    const char *no[] = {"Content-Type", "Idempotency-Key", "X-Test", "amount", "key", NULL};
    for (int i = 0; yes[i]; i++)
        cr_assert(au_redact_key_is_secret(yes[i]), "%s", yes[i]);
    for (int i = 0; no[i]; i++)
        cr_assert(!au_redact_key_is_secret(no[i]), "%s", no[i]);
}

Test(redact, url_passwords_and_credential_parameters)
{
    expect("https://bob:hunter2@crm.example/x", "https://bob:[redacted]@crm.example/x");
    expect("postgresql://app:pw@db:5432/crm", "postgresql://app:[redacted]@db:5432/crm");
    expect("https://crm.example/x?token=abc&page=2",
           "https://crm.example/x?token=[redacted]&page=2");
    expect("https://x.example/?a=1&KEY=k1#f", "https://x.example/?a=1&KEY=[redacted]#f");
    expect("https://x.example/?sig=s&api_key=z",
           "https://x.example/?sig=[redacted]&api_key=[redacted]");
    expect("https://bob@crm.example/x?page=2", NULL);
    expect("https://crm.example/monkey?keyboard=1", NULL);
    expect("https://crm.example/x?token=[secret:crm]", NULL);
}

Test(redact, conninfo_passwords)
{
    expect("host=db user=app password=s3cret dbname=crm",
           "host=db user=app password=[redacted] dbname=crm");
    expect("password = 'two words\\' x' host=db", "password = [redacted] host=db");
    expect("host=db sslpassword=x", NULL);
    expect("the password field is required", NULL);
}

Test(redact, json_values_by_key_and_by_text)
{
    json_t *j = json_loads("{\"headers\":{\"Authorization\":\"Bearer abc\",\"X-Test\":\"ok\","
                           "\"X-Api-Key\":\"[secret:crm]\"},\"url\":\"http://u:p@h/?token=t\","
                           "\"list\":[{\"password\":12}],\"secret\":\"********\"}",
                           0, NULL);
    au_redact_json(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert_str_eq(s, "{\"headers\":{\"Authorization\":\"[redacted]\",\"X-Api-Key\":"
                        "\"[secret:crm]\",\"X-Test\":\"ok\"},\"list\":[{\"password\":"
                        "\"[redacted]\"}],\"secret\":\"********\",\"url\":"
                        "\"http://u:[redacted]@h/?token=[redacted]\"}");
    free(s);
    json_decref(j);
}

Test(redact, a_json_log_line_stays_json)
{
    const char *line = "{\"msg\":\"cannot connect\",\"error\":\"host=db password=pw\\\"x "
                       "dbname=a via https://u:p\\\\q@h/?token=t\\\"\"}";
    char *out = au_redact_text(line);
    cr_assert_not_null(out);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "still JSON: %s", out);
    const char *e = json_string_value(json_object_get(j, "error"));
    cr_assert(strstr(e, "password=[redacted]") && !strstr(e, "pw"), "%s", e);
    cr_assert(strstr(e, "token=[redacted]"), "%s", e);
    json_decref(j);
    au_free(out);
}
