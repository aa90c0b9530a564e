/*
 * Reason code tests: the texts normalisation really produces (obtained by calling it, so a
 * reworded text that would fall into the wrong code fails here) map onto the fixed vocabulary,
 * and every code round-trips through its name.
 */
#include <criterion/criterion.h>

#include "record/reason.h"
#include "lib/alloc.h"
#include "normalize/normalize.h"

static au_reason date_code(const char *in, au_date_format fmt)
{
    char *iso = NULL;
    au_norm_why why = {{0}};
    cr_assert_eq(au_norm_date(in, fmt, &iso, &why), AU_ERR_INVALID, "%s was accepted", in);
    return au_reason_of(AU_ATTR_DATE_OF_BIRTH, why.reason);
}

static au_reason phone_code(const char *in, const char *country)
{
    char *e164 = NULL;
    au_norm_why why = {{0}};
    cr_assert_eq(au_norm_phone(in, country, &e164, &why), AU_ERR_INVALID, "%s was accepted", in);
    return au_reason_of(AU_ATTR_PHONE, why.reason);
}

Test(reason, dates)
{
    cr_assert_eq(date_code("1981-13-01", AU_DATE_ISO), AU_REASON_DATE_IMPOSSIBLE);
    cr_assert_eq(date_code("1981-02-30", AU_DATE_ISO), AU_REASON_DATE_IMPOSSIBLE);
    cr_assert_eq(date_code("23/09/1981", AU_DATE_YYYYMMDD), AU_REASON_DATE_FORMAT);
    cr_assert_eq(date_code("banana", AU_DATE_AUTO), AU_REASON_DATE_UNPARSED);
    cr_assert_eq(date_code("0900-01-01", AU_DATE_ISO), AU_REASON_DATE_OUT_OF_RANGE);
    cr_assert_eq(date_code("03/04/1981", AU_DATE_AUTO), AU_REASON_DATE_AMBIGUOUS);
    cr_assert_eq(au_reason_of(AU_ATTR_DATE_OF_BIRTH, "date of birth in the future"),
                 AU_REASON_DATE_FUTURE);
}

Test(reason, phones_and_other_kinds)
{
    cr_assert_eq(phone_code("12", "GB"), AU_REASON_PHONE_TOO_SHORT);
    cr_assert_eq(phone_code("call me", "GB"), AU_REASON_PHONE_INVALID);
    cr_assert_eq(phone_code("020 7946 0958", ""), AU_REASON_PHONE_NO_COUNTRY);
    cr_assert_eq(au_reason_of(AU_ATTR_EMAIL, "not an e-mail address: missing @"),
                 AU_REASON_EMAIL_INVALID);
    cr_assert_eq(au_reason_of(AU_ATTR_COUNTRY, "unknown country 'Atlantis'"),
                 AU_REASON_COUNTRY_UNKNOWN);
    cr_assert_eq(au_reason_of(AU_ATTR_FIRST_NAME, "not valid UTF-8"), AU_REASON_ENCODING);
    cr_assert_eq(au_reason_of(AU_ATTR_CITY, "something new"), AU_REASON_INVALID);
    cr_assert_eq(au_reason_of(AU_ATTR_CITY, NULL), AU_REASON_INVALID);
}

Test(reason, codes_round_trip)
{
    for (int r = 0; r < AU_REASON_COUNT; r++) {
        cr_assert_eq(au_reason_from_code(au_reason_code((au_reason)r)), r);
        cr_assert_gt(strlen(au_reason_description((au_reason)r)), 0);
    }
    cr_assert_eq(au_reason_from_code("nope"), -1);
    cr_assert_str_eq(au_reason_code(AU_REASON_COUNT), "invalid");
}
