/*
 * Maps normalisation's reason texts onto the fixed vocabulary of reason.h. The texts are
 * matched by the words they are built from (au_norm_refuse in the files of src/normalize), checked
 * from the most to the least specific, and scoped by the attribute's kind so that "out of range"
 * means a date problem only for a date.
 */
#include <string.h>

#include "record/reason.h"

static const char *const codes[AU_REASON_COUNT] = {
#define AU_REASON_CODE(id, code, desc) code,
    AU_REASON_LIST(AU_REASON_CODE)
#undef AU_REASON_CODE
};

static const char *const descriptions[AU_REASON_COUNT] = {
#define AU_REASON_DESC(id, code, desc) desc,
    AU_REASON_LIST(AU_REASON_DESC)
#undef AU_REASON_DESC
};

static int has(const char *text, const char *word)
{
    return strstr(text, word) != NULL;
}

static au_reason date_reason(const char *t)
{
    if (has(t, "future"))
        return AU_REASON_DATE_FUTURE;
    if (has(t, "two-digit year"))
        return AU_REASON_DATE_TWO_DIGIT_YEAR;
    if (has(t, "ambiguous"))
        return AU_REASON_DATE_AMBIGUOUS;
    if (has(t, "year") && (has(t, "out of range") || has(t, "before 1000")))
        return AU_REASON_DATE_OUT_OF_RANGE;
    if (has(t, "out of range") || has(t, "neither"))
        return AU_REASON_DATE_IMPOSSIBLE;
    if (has(t, " format"))
        return AU_REASON_DATE_FORMAT;
    return AU_REASON_DATE_UNPARSED;
}

static au_reason phone_reason(const char *t)
{
    if (has(t, "too few digits"))
        return AU_REASON_PHONE_TOO_SHORT;
    if (has(t, "too many digits"))
        return AU_REASON_PHONE_TOO_LONG;
    if (has(t, "without a country"))
        return AU_REASON_PHONE_NO_COUNTRY;
    return AU_REASON_PHONE_INVALID;
}

au_reason au_reason_of(au_attr a, const char *text)
{
    const char *t = text ? text : "";
    if (has(t, "UTF-8"))
        return AU_REASON_ENCODING;
    if ((int)a < 0 || a >= AU_ATTR_COUNT)
        return AU_REASON_INVALID;
    switch (au_attr_kind_of(a)) {
    case AU_KIND_DATE:
        return date_reason(t);
    case AU_KIND_PHONE:
        return phone_reason(t);
    case AU_KIND_EMAIL:
        return AU_REASON_EMAIL_INVALID;
    case AU_KIND_POSTCODE:
        return AU_REASON_POSTCODE_INVALID;
    case AU_KIND_COUNTRY:
        return AU_REASON_COUNTRY_UNKNOWN;
    case AU_KIND_GENDER:
        return AU_REASON_GENDER_UNKNOWN;
    case AU_KIND_ID:
        return AU_REASON_ID_INVALID;
    default:
        return AU_REASON_INVALID;
    }
}

const char *au_reason_code(au_reason r)
{
    return (int)r >= 0 && r < AU_REASON_COUNT ? codes[r] : codes[AU_REASON_INVALID];
}

const char *au_reason_description(au_reason r)
{
    return (int)r >= 0 && r < AU_REASON_COUNT ? descriptions[r] : descriptions[AU_REASON_INVALID];
}

int au_reason_from_code(const char *code)
{
    for (int i = 0; code && i < AU_REASON_COUNT; i++)
        if (strcmp(codes[i], code) == 0)
            return i;
    return -1;
}
