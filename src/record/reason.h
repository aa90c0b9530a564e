/*
 * Reason codes of quarantined values: a small fixed vocabulary (date_impossible, phone_invalid,
 * ...) derived from the free-text reason normalisation gives ("month 13 out of range"). The text
 * stays in the stored record for people; the code is what the data-quality ledger counts and
 * what /metrics uses as a label, so label cardinality stays bounded however the texts evolve.
 * This file is the one place where a text becomes a code: a new kind of refusal in
 * src/normalize/ gets its code here (and a line in docs/QUALITY.md).
 */
#ifndef AU_REASON_H
#define AU_REASON_H

#include "record/record.h"

/* X(enum suffix, code, description) */
#define AU_REASON_LIST(X)                                                                          \
    X(INVALID, "invalid", "refused for a reason without a more precise code")                      \
    X(ENCODING, "encoding_invalid", "not valid UTF-8")                                             \
    X(DATE_UNPARSED, "date_unparsed", "not readable as a date")                                    \
    X(DATE_FORMAT, "date_format_mismatch", "a date, but not in the format the source declares")    \
    X(DATE_IMPOSSIBLE, "date_impossible", "no such day (month 13, 30 February)")                   \
    X(DATE_OUT_OF_RANGE, "date_out_of_range", "year outside the accepted range")                   \
    X(DATE_FUTURE, "date_future", "a date of birth in the future")                                 \
    X(DATE_AMBIGUOUS, "date_ambiguous", "day and month order cannot be told apart")                \
    X(DATE_TWO_DIGIT_YEAR, "date_two_digit_year", "a two-digit year that cannot be placed")        \
    X(EMAIL_INVALID, "email_invalid", "not an e-mail address")                                     \
    X(PHONE_INVALID, "phone_invalid", "not a phone number")                                        \
    X(PHONE_TOO_SHORT, "phone_too_short", "too few digits for the phone number's country")         \
    X(PHONE_TOO_LONG, "phone_too_long", "too many digits for a phone number")                      \
    X(PHONE_NO_COUNTRY, "phone_no_country", "a national phone number and no default country")      \
    X(POSTCODE_INVALID, "postcode_invalid", "not a postcode")                                      \
    X(COUNTRY_UNKNOWN, "country_unknown", "not a known country")                                   \
    X(GENDER_UNKNOWN, "gender_unknown", "not a known gender value")                                \
    X(ID_INVALID, "id_invalid", "an identifier without letters or digits")

typedef enum {
#define AU_REASON_ENUM(id, code, desc) AU_REASON_##id,
    AU_REASON_LIST(AU_REASON_ENUM)
#undef AU_REASON_ENUM
        AU_REASON_COUNT
} au_reason;

/* The code of the reason text `text` that normalisation gave for a value of attribute `a`
 * (AU_REASON_INVALID when nothing more precise applies; never fails). */
au_reason au_reason_of(au_attr a, const char *text);
/* "date_impossible"; "invalid" for an out-of-range value. */
const char *au_reason_code(au_reason r);
/* One line for people: "no such day (month 13, 30 February)". */
const char *au_reason_description(au_reason r);
/* The reason called `code`, or -1. */
int au_reason_from_code(const char *code);

#endif
