/*
 * Unit tests for phone numbers to E.164 (src/normalize/phone.c): international and national
 * forms per default country, trunk prefixes, extensions, and refusals with their reasons.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "normalize/normalize.h"

Test(phone, numbers_to_e164)
{
    static const struct {
        const char *in, *country, *e164;
    } cases[] = {
        {"+44 20 7946 0958", "GB", "+442079460958"},
        {"020 79460958", "GB", "+442079460958"},
        {"+44 (0)20 7946 0958", "GB", "+442079460958"},
        {"0044 20 7946 0958", "US", "+442079460958"},
        {"+44 20 7946 0958", "", "+442079460958"},
        {"+44 20 7946 0958", NULL, "+442079460958"},
        {"07700 900123", "GB", "+447700900123"},
        {"(415) 555-2671", "US", "+14155552671"},
        {"415.555.2671", "US", "+14155552671"},
        {"1-415-555-2671", "US", "+14155552671"},
        {"+1 415 555 2671", "GB", "+14155552671"},
        {"011 44 20 7946 0958", "US", "+442079460958"},
        {"(415) 555-2671 x123", "US", "+14155552671"},
        {"(415) 555-2671 ext. 12", "US", "+14155552671"},
        {"020 7946 0958 extension 4", "GB", "+442079460958"},
        {"020 7946 0958 #12", "GB", "+442079460958"},
        {"020 7946 0958, ext. 12", "GB", "+442079460958"},
        {"+1 415 555 2671;ext=99", "", "+14155552671"},
        {"(02) 9374 4000", "AU", "+61293744000"},
        {"0412 345 678", "AU", "+61412345678"},
        {"030 123456", "DE", "+4930123456"},
        {"01 23 45 67 89", "FR", "+33123456789"},
        {"06 12345678", "NL", "+31612345678"},
        {"06 6982 1234", "IT", "+390669821234"},
        {"+39 06 6982 1234", "", "+390669821234"},
        {"912 345 678", "ES", "+34912345678"},
        {"01 234 5678", "IE", "+35312345678"},
        {"09-123 4567", "NZ", "+6491234567"},
        {"044 668 18 00", "CH", "+41446681800"},
        {"22 12 34 56", "DK", "+4522123456"},
        {"03-1234-5678", "JP", "+81312345678"},
        {"011 123 4567", "ZA", "+27111234567"},
        {"098765 43210", "IN", "+919876543210"},
        {"tel:+44-20-7946-0958", "", "+442079460958"},
        {"\xef\xbc\x90\xef\xbc\x92\xef\xbc\x90 7946 0958", "GB", "+442079460958"}, /* full-width */
        {"+264 61 123 4567", "", "+264611234567"}, /* Namibia: not in table, E.164 limits only */
        {"020 7946 0958", "gb", "+442079460958"},  /* lower-case country */
        {"+1 (415) 555-2671", "", "+14155552671"},
        {"00 49 30 123456", "GB", "+4930123456"},
        {"011 44 20 7946 0958", "CA", "+442079460958"},
        {"(415) 555-2671", "GB", "+14155552671"},  /* fails GB, unmistakably NANP */
        {"(115) 555-2671", "GB", "+441155552671"}, /* valid in GB (0115 Nottingham): GB */
        {"1 (415) 555-2671", "FR", "+14155552671"},
        {"415-555-2671", "FR", "+14155552671"},
        {"8 (495) 123-45-67", "RU", "+74951234567"},
        {"010 1234 5678", "CN", "+861012345678"},
        {"138 0013 8000", "CN", "+8613800138000"},
        {"010-1234-5678", "KR", "+821012345678"},
        {"0532 123 45 67", "TR", "+905321234567"},
        {"06 1 234 5678", "HU", "+3612345678"},
        {"050-123-4567", "IL", "+972501234567"},
        {"055 123 4567", "AE", "+971551234567"},
        {"0812-3456-789", "ID", "+628123456789"},
        {"(11) 91234-5678", "BR", "+5511912345678"},
        {"55 1234 5678", "MX", "+525512345678"},
        {"0917 123 4567", "PH", "+639171234567"},
        {"012-345 6789", "MY", "+60123456789"},
        {"081 234 5678", "TH", "+66812345678"},
        {"0803 123 4567", "NG", "+2348031234567"},
        {"0712 345678", "KE", "+254712345678"},
        {"300 1234567", "CO", "+573001234567"},
        {"9 8765 4321", "CL", "+56987654321"},
        {"0300 1234567", "PK", "+923001234567"},
        {"0912 345 678", "TW", "+886912345678"},
        {"612 345 678", "ES", "+34612345678"},
        {"0721 123 456", "RO", "+40721123456"},
        {"091 234 5678", "VN", "+84912345678"},
        {"+7 495 123 45 67", "", "+74951234567"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = NULL;
        au_norm_why why = {{0}};
        cr_assert_eq(au_norm_phone(cases[i].in, cases[i].country, &o, &why), AU_OK,
                     "case %zu (%s): %s", i, cases[i].in, why.reason);
        cr_expect_str_eq(o, cases[i].e164, "case %zu: %s", i, cases[i].in);
        au_free(o);
    }
}

Test(phone, refusals_say_why)
{
    static const struct {
        const char *in, *country, *reason;
    } cases[] = {
        {"call me", "GB", "not a phone number: contains letters"},
        {"0800 FLOWERS", "US", "not a phone number: contains letters"},
        {"020 7946 0958", "",
         "national phone number without a country, write it with + or set "
         "a default country"},
        {"020 7946 0958", "XX",
         "no phone numbering plan known for country XX, write the number "
         "with +"},
        {"020 7946", "GB", "too few digits for a GB phone number (9 to 10 expected)"},
        {"020 7946 0958 123", "GB", "too many digits for a GB phone number (9 to 10 expected)"},
        {"555-2671", "US", "too few digits for a US phone number (10 to 10 expected)"},
        {"+44 20", "", "too few digits for a GB phone number (9 to 10 expected)"},
        {"+264 61", "", "too few digits for an international phone number"},
        {"+999 1234 5678 9012 34", "", "too many digits for a phone number (E.164 allows 15)"},
        {"+", "", "not a phone number: no digits"},
        {"---", "GB", "not a phone number: no digits"},
        {"12+34", "GB", "not a phone number: '+' not at the start"},
        {"+0 123 456 789", "", "not a phone number: country code cannot start with 0"},
        {"020*7946*0958", "GB", "not a phone number: invalid character '*'"},
        {"1234567890123456789012345", "GB", "not a phone number: too many digits"},
        {"4155 552671", "GB", "no GB phone number starts with 4"}, /* not written 3-3-4 */
        {"412 345 678", "ES", "no ES phone number starts with 4"},
        {"(415) 155-2671", "DK", "too many digits for a DK phone number (8 to 8 expected)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *o = (char *)0x1;
        au_norm_why why = {{0}};
        cr_expect_eq(au_norm_phone(cases[i].in, cases[i].country, &o, &why), AU_ERR_INVALID,
                     "case %zu (%s)", i, cases[i].in);
        cr_expect_str_eq(why.reason, cases[i].reason, "case %zu: %s", i, cases[i].in);
        cr_expect_eq(o, (char *)0x1);
    }
}

Test(phone, invalid_utf8_and_long_input)
{
    char *o = NULL;
    au_norm_why why = {{0}};
    cr_expect_eq(au_norm_phone("020\xff", "GB", &o, &why), AU_ERR_ENCODING);
    char s[4096];
    memset(s, '1', sizeof(s) - 1);
    s[sizeof(s) - 1] = '\0';
    cr_expect_eq(au_norm_phone(s, "GB", &o, &why), AU_ERR_INVALID);
    memset(s, ' ', sizeof(s) - 1);
    cr_expect_eq(au_norm_phone(s, "GB", &o, &why), AU_ERR_INVALID);
}
