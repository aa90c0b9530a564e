/*
 * API key tests: scope parsing and checks, token generation, verification against the real
 * engine and store (with the cache honouring revocation at once), and the start-up bootstrap
 * (admin.key created exclusively with mode 0600; AURUM_ADMIN_KEY registered once).
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/engine.h"
#include "app/compose.h"
#include "core/keys.h"
#include "../both.h"

static char dir[64];
static au_config cfg;
static au_engine *eng;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void setup(void)
{
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_keys_init(), AU_OK);
    snprintf(dir, sizeof(dir), "/tmp/aurum-keys-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = dir;
    cfg.group_commit_max = 16;
    cr_assert_eq(au_app_engine_open_at(&cfg, au_both_store(dir), dir, &eng, &err), AU_OK, "%s",
                 err.message);
    au_err_cleanup(&err);
}

static void teardown(void)
{
    au_engine_close(eng);
    eng = NULL;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

AU_BOTH_SUITE(keys, setup, teardown);

AU_BOTH_TEST(keys, scopes_parse_and_check)
{
    au_key_scopes s;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_key_scopes_parse("[\"read\",\"write:crm\"]", &s, &err), AU_OK);
    cr_assert(au_key_can_read(&s));
    cr_assert(au_key_can_write(&s, "crm"));
    cr_assert_not(au_key_can_write(&s, "webshop"));
    cr_assert_not(au_key_is_admin(&s));
    au_key_scopes_cleanup(&s);
    cr_assert_eq(au_key_scopes_parse("[\"admin\"]", &s, &err), AU_OK);
    cr_assert(au_key_can_read(&s) && au_key_can_write(&s, "any") && au_key_is_admin(&s),
              "admin implies every scope");
    au_key_scopes_cleanup(&s);
    cr_assert_eq(au_key_scopes_parse("[\"write:*\"]", &s, &err), AU_OK);
    cr_assert(au_key_can_write(&s, "x") && !au_key_can_read(&s));
    au_key_scopes_cleanup(&s);
    cr_assert_eq(au_key_scopes_parse("[\"root\"]", &s, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "root"), "%s", err.message);
    cr_assert_eq(au_key_scopes_parse("\"admin\"", &s, &err), AU_ERR_INVALID);
    cr_assert_eq(au_key_scopes_parse("[\"write:\"]", &s, &err), AU_ERR_INVALID);
    au_err_cleanup(&err);
}

AU_BOTH_TEST(keys, generated_tokens_are_distinct_and_hash_to_the_stored_hash)
{
    char t1[AU_KEY_TOKEN_MAX], t2[AU_KEY_TOKEN_MAX], id1[AU_KEY_ID_MAX], id2[AU_KEY_ID_MAX];
    uint8_t h1[32], h2[32], check[32];
    au_key_generate(t1, id1, h1);
    au_key_generate(t2, id2, h2);
    cr_assert_eq(strncmp(t1, "au_", 3), 0);
    cr_assert_eq(strlen(t1), 3 + 43, "32 bytes in unpadded base64url");
    cr_assert_str_neq(t1, t2);
    cr_assert_str_neq(id1, id2);
    au_key_hash(t1, strlen(t1), check);
    cr_assert_eq(memcmp(check, h1, 32), 0);
    cr_assert_neq(memcmp(h1, h2, 32), 0);
}

AU_BOTH_TEST(keys, verify_create_and_revoke)
{
    char tok[AU_KEY_TOKEN_MAX], id[AU_KEY_ID_MAX];
    au_keys *k = NULL;
    au_key_scopes s;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_keys_new(eng, &k), AU_OK);
    cr_assert_eq(au_keys_create(eng, "[\"write:crm\"]", "shop", tok, id, &err), AU_OK, "%s",
                 err.message);
    cr_assert_eq(au_keys_verify(k, tok, &s, &err), AU_OK, "%s", err.message);
    cr_assert_str_eq(s.id, id);
    cr_assert(au_key_can_write(&s, "crm"));
    au_key_scopes_cleanup(&s);
    /* second time from the cache */
    cr_assert_eq(au_keys_verify(k, tok, &s, &err), AU_OK);
    au_key_scopes_cleanup(&s);
    cr_assert_eq(au_keys_verify(k, "au_nothing", &s, &err), AU_ERR_UNAUTHORIZED);
    cr_assert_eq(au_keys_verify(k, NULL, &s, &err), AU_ERR_UNAUTHORIZED);
    cr_assert_eq(au_keys_revoke(eng, k, id, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_keys_verify(k, tok, &s, &err), AU_ERR_UNAUTHORIZED,
                 "a revoked key must be refused at once, cache or not");
    cr_assert_eq(au_keys_create(eng, "[\"bogus\"]", NULL, tok, id, &err), AU_ERR_INVALID);
    au_keys_free(k);
    au_err_cleanup(&err);
}

AU_BOTH_TEST(keys, bootstrap_writes_admin_key_once_with_mode_0600)
{
    char path[4096], again[4096], tok[128] = {0};
    struct stat st;
    au_keys *k = NULL;
    au_key_scopes s;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_keys_bootstrap(eng, dir, NULL, path, sizeof(path), &err), AU_OK, "%s",
                 err.message);
    cr_assert_neq(path[0], '\0');
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    cr_assert(f && fgets(tok, sizeof(tok), f));
    fclose(f);
    tok[strcspn(tok, "\n")] = '\0';
    cr_assert_eq(au_keys_new(eng, &k), AU_OK);
    cr_assert_eq(au_keys_verify(k, tok, &s, &err), AU_OK, "%s", err.message);
    cr_assert(au_key_is_admin(&s));
    au_key_scopes_cleanup(&s);
    au_keys_free(k);
    /* The store now has a key: no second file. */
    cr_assert_eq(au_keys_bootstrap(eng, dir, NULL, again, sizeof(again), &err), AU_OK);
    cr_assert_eq(again[0], '\0');
    au_err_cleanup(&err);
}

AU_BOTH_TEST(keys, short_env_admin_key_is_refused_and_nothing_registered)
{
    char path[4096];
    au_keys *k = NULL;
    au_key_scopes s;
    au_err err;
    au_err_init(&err);
    const char *shortkey = "0123456789abcdef0123456789abcde"; /* 31 characters */
    cr_assert_eq(au_keys_bootstrap(eng, dir, shortkey, path, sizeof(path), &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "at least 32"), "%s", err.message);
    cr_assert_eq(au_keys_new(eng, &k), AU_OK);
    cr_assert_eq(au_keys_verify(k, shortkey, &s, &err), AU_ERR_UNAUTHORIZED);
    au_keys_free(k);
    au_err_cleanup(&err);
    au_err_init(&err);
    /* 32 characters is enough. */
    cr_assert_eq(
        au_keys_bootstrap(eng, dir, "0123456789abcdef0123456789abcdef", path, sizeof(path), &err),
        AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

AU_BOTH_TEST(keys, env_admin_key_is_registered_once)
{
    char path[4096];
    au_keys *k = NULL;
    au_key_scopes s;
    au_err err;
    au_err_init(&err);
    const char *env = "au_env_admin_token_for_tests_0123456789";
    cr_assert_eq(au_keys_bootstrap(eng, dir, env, path, sizeof(path), &err), AU_OK, "%s",
                 err.message);
    cr_assert_eq(path[0], '\0', "no admin.key when the key comes from the environment");
    cr_assert_eq(au_keys_bootstrap(eng, dir, env, path, sizeof(path), &err), AU_OK, "%s",
                 err.message);
    cr_assert_eq(au_keys_new(eng, &k), AU_OK);
    cr_assert_eq(au_keys_verify(k, env, &s, &err), AU_OK, "%s", err.message);
    cr_assert(au_key_is_admin(&s));
    au_key_scopes_cleanup(&s);
    au_keys_free(k);
    char key_file[4096];
    snprintf(key_file, sizeof(key_file), "%s/admin.key", dir);
    cr_assert_neq(access(key_file, F_OK), 0);
    au_err_cleanup(&err);
}
