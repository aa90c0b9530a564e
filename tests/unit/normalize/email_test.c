/*
 * Unit tests for e-mail normalisation (src/normalize/email.c): display value, provider-aware
 * key, and every refusal with its reason.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

Test(email, values_and_keys)
{
    static const struct {
        const char *in, *value, *key;
    } cases[] = {
        {"  John.Smith+news@GoogleMail.com ", "john.smith+news@googlemail.com",
         "johnsmith@gmail.com"},
        {"J.O.H.N@gmail.com", "j.o.h.n@gmail.com", "john@gmail.com"},
        {"john@GMAIL.COM", "john@gmail.com", "john@gmail.com"},
        {"Anna.Berg+shop@outlook.com", "anna.berg+shop@outlook.com", "anna.berg@outlook.com"},
        {"anna.berg@example.co.uk", "anna.berg@example.co.uk", "anna.berg@example.co.uk"},
        {"o'brien@example.ie", "o'brien@example.ie", "o'brien@example.ie"},
        {"mailto:Bob@Example.com", "bob@example.com", "bob@example.com"},
        {"<bob@example.com>", "bob@example.com", "bob@example.com"},
        {"\"Bob Smith\" <Bob@X.com>", "bob@x.com", "bob@x.com"},
        {"Bob Smith <bob@x.com>", "bob@x.com", "bob@x.com"},
        {"Smith, Bob <bob@x.com>", "bob@x.com", "bob@x.com"},
        {"<mailto:bob@x.com>", "bob@x.com", "bob@x.com"},
        {"mailto:bob@x.com?subject=Hello", "bob@x.com", "bob@x.com"},
        {" <bob@x.com ", "bob@x.com", "bob@x.com"},
        {"bob@x.com.", "bob@x.com", "bob@x.com"},
        {"'bob@x.com',", "bob@x.com", "bob@x.com"},
        {"+tag@example.com", "+tag@example.com", "+tag@example.com"},
        {"a_b-c@sub.domain-x.org", "a_b-c@sub.domain-x.org", "a_b-c@sub.domain-x.org"},
        {"\xef\xbd\x8a\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e@example.com", "john@example.com",
         "john@example.com"}, /* full-width letters via NFKC */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *v = NULL, *k = NULL;
        au_norm_why why = {{0}};
        cr_assert_eq(au_norm_email(cases[i].in, &v, &k, &why), AU_OK, "case %zu: %s", i,
                     why.reason);
        cr_expect_str_eq(v, cases[i].value, "case %zu", i);
        cr_expect_str_eq(k, cases[i].key, "case %zu", i);
        au_free(v);
        au_free(k);
    }
}

Test(email, refusals_say_why)
{
    static const struct {
        const char *in, *reason;
    } cases[] = {
        {"john.smith", "not an e-mail address: missing @"},
        {"john@@example.com", "not an e-mail address: more than one @"},
        {"a@b@example.com", "not an e-mail address: more than one @"},
        {"@example.com", "not an e-mail address: empty local part"},
        {"john@", "not an e-mail address: missing domain"},
        {"john@gmail", "not an e-mail address: domain has no dot"},
        {"john@gmail.", "not an e-mail address: domain has no dot"},
        {"Bob Smith <>", "not an e-mail address: empty"},
        {"Bob <bob smith@x.com>", "not an e-mail address: space in local part"},
        {"john@.gmail.com", "not an e-mail address: empty label in domain"},
        {"john@gmail..com", "not an e-mail address: empty label in domain"},
        {"john@gmail.c", "not an e-mail address: top-level domain too short"},
        {"john@-gmail.com", "not an e-mail address: domain label starts or ends with a hyphen"},
        {"john smith@example.com", "not an e-mail address: space in local part"},
        {"john@exa mple.com", "not an e-mail address: space in domain"},
        {"john(x)@example.com", "not an e-mail address: invalid character '(' in local part"},
        {"john@exa_mple.com", "not an e-mail address: invalid character '_' in domain"},
        {".john@example.com", "not an e-mail address: local part starts or ends with a dot"},
        {"jo..hn@example.com", "not an e-mail address: consecutive dots in local part"},
        {"   ", "not an e-mail address: empty"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
         "not an e-mail address: local part longer than 64 characters"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *v = (char *)0x1, *k = (char *)0x1;
        au_norm_why why = {{0}};
        cr_expect_eq(au_norm_email(cases[i].in, &v, &k, &why), AU_ERR_INVALID, "case %zu", i);
        cr_expect_str_eq(why.reason, cases[i].reason, "case %zu: %s", i, cases[i].in);
        cr_expect(v == (char *)0x1 && k == (char *)0x1, "outs untouched on error");
    }
}

Test(email, invalid_utf8_and_long_input)
{
    char *v = NULL, *k = NULL;
    au_norm_why why = {{0}};
    cr_expect_eq(au_norm_email("j\xffohn@example.com", &v, &k, &why), AU_ERR_ENCODING);
    size_t n = 100000;
    char *s = au_malloc(n + 1);
    memset(s, 'a', n);
    s[n] = '\0';
    s[n / 2] = '@';
    cr_expect_eq(au_norm_email(s, &v, &k, &why), AU_ERR_INVALID);
    au_free(s);
}

Test(email, key_is_optional)
{
    char *v = NULL;
    cr_assert_eq(au_norm_email("A@B.CO", &v, NULL, NULL), AU_OK);
    cr_expect_str_eq(v, "a@b.co");
    au_free(v);
}
