/*
 * Unit tests for the secrets store (src/flows/secrets.c): values survive a reopen, are never
 * in the file in clear, the key file is created 0600, a wrong key refuses to open, names are
 * checked, placeholders and scrubbing hide values.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flows/secrets.h"
#include "lib/alloc.h"

#define VALUE "s3cr3t-Value-for-crm"

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aurum-secrets-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    unsetenv("AURUM_SECRETS_KEY");
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static au_secrets *open_or_fail(void)
{
    au_err err;
    au_secrets *s = NULL;
    au_err_init(&err);
    cr_assert_eq(au_secrets_open(dir, NULL, &s, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    return s;
}

static char *file_text(const char *name)
{
    char path[128], *buf = calloc(1, 1 << 16);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(secrets, values_are_encrypted_at_rest_and_survive_a_reopen, .init = mkdir_tmp, .fini = rm_tmp)
{
    au_err err;
    au_err_init(&err);
    au_secrets *s = open_or_fail();
    cr_assert_eq(au_secrets_set(s, "crm_token", VALUE, &err), AU_OK, "%s", err.message);
    au_secrets_free(s);
    char *text = file_text("secrets.json");
    cr_assert(strstr(text, "crm_token"), "names are listed");
    cr_assert_null(strstr(text, VALUE), "the value is not in the file in clear");
    free(text);
    struct stat st;
    char path[128];
    snprintf(path, sizeof(path), "%s/secret.key", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    s = open_or_fail();
    json_t *ctx = au_secrets_context(s, 1);
    cr_assert_str_eq(json_string_value(json_object_get(ctx, "crm_token")), VALUE);
    json_decref(ctx);
    ctx = au_secrets_context(s, 0);
    cr_assert_str_eq(json_string_value(json_object_get(ctx, "crm_token")), "[secret:crm_token]");
    json_decref(ctx);
    json_t *list = au_secrets_list(s);
    char *ltxt = json_dumps(list, 0);
    cr_assert(strstr(ltxt, "crm_token") && !strstr(ltxt, VALUE), "%s", ltxt);
    free(ltxt);
    json_decref(list);
    cr_assert_eq(au_secrets_remove(s, "crm_token", &err), AU_OK);
    cr_assert_eq(au_secrets_remove(s, "crm_token", &err), AU_ERR_NOT_FOUND);
    au_secrets_free(s);
    au_err_cleanup(&err);
}

Test(secrets, another_key_does_not_open_the_store, .init = mkdir_tmp, .fini = rm_tmp)
{
    au_err err;
    au_err_init(&err);
    au_secrets *s = open_or_fail();
    cr_assert_eq(au_secrets_set(s, "pg", VALUE, &err), AU_OK);
    au_secrets_free(s);
    setenv("AURUM_SECRETS_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
           1);
    s = NULL;
    cr_assert_eq(au_secrets_open(dir, NULL, &s, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "does not open"), "%s", err.message);
    cr_assert_null(s);
    setenv("AURUM_SECRETS_KEY", "short", 1);
    cr_assert_eq(au_secrets_open(dir, NULL, &s, &err), AU_ERR_INVALID);
    unsetenv("AURUM_SECRETS_KEY");
    json_t *sec = json_pack("{s:s}", "key_file", "/nonexistent/aurum.key");
    cr_assert_eq(au_secrets_open(dir, sec, &s, &err), AU_ERR_INVALID,
                 "a named key file must exist");
    json_decref(sec);
    au_err_cleanup(&err);
}

Test(secrets, names_and_values_are_checked_and_scrubbed, .init = mkdir_tmp, .fini = rm_tmp)
{
    au_err err;
    au_err_init(&err);
    au_secrets *s = open_or_fail();
    const char *bad[] = {"", "a-b", "a.b", "../x", "x y", NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(au_secrets_set(s, bad[i], "v", &err), AU_ERR_INVALID, "%s", bad[i]);
    cr_assert_eq(au_secrets_set(s, "ok", "", &err), AU_ERR_INVALID, "empty value");
    cr_assert_eq(au_secrets_set(s, "tok", VALUE, &err), AU_OK);
    char *clean = au_secrets_scrub(s, "HTTP 401: bad token " VALUE " / " VALUE);
    cr_assert_str_eq(clean, "HTTP 401: bad token [secret:tok] / [secret:tok]");
    au_free(clean);
    cr_assert_null(au_secrets_scrub(s, "nothing here"));
    au_secrets_free(s);
    au_err_cleanup(&err);
}

/* The section's keys are declared options (src/lib/opts.h): an unknown key or a value of the
 * wrong kind is refused with the wording every option uses, before any key file is read. */
Test(secrets, the_section_is_checked_against_its_rows, .init = mkdir_tmp, .fini = rm_tmp)
{
    static const struct {
        const char *json, *message;
    } bad[] = {
        {"{\"keyfile\": \"/x\"}", "secrets.keyfile: unknown key (valid keys: key_file)"},
        {"{\"key_file\": 7}", "secrets.key_file: expected a string, got an integer"},
        {"[\"/x\"]", "secrets: expected an object of key_file, got an array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        au_err err;
        au_secrets *s = NULL;
        json_t *j = json_loads(bad[i].json, JSON_DECODE_ANY, NULL);
        au_err_init(&err);
        cr_assert_eq(au_secrets_open(dir, j, &s, &err), AU_ERR_INVALID, "%s", bad[i].json);
        cr_assert_str_eq(err.message, bad[i].message);
        cr_assert_null(s);
        json_decref(j);
        au_err_cleanup(&err);
    }
}
