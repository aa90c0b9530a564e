/*
 * Unit tests for the name rule (lib/names.c): the documented pattern, its length bound, and
 * the names the tests, the demo and the Segment intake use.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/names.h"

Test(names, the_pattern_admits_the_names_in_use)
{
    const char *ok[] = {"crm", "shop", "webshop", "segment", "rudderstack",   "billing",
                        "a",   "0",    "crm_v2",  "erp.de",  "welcome-email", "x-1"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_assert(au_name_valid(ok[i]), "%s", ok[i]);
}

Test(names, path_tricks_control_characters_case_and_length_are_refused)
{
    const char *bad[] = {"",        "../../evil", "a/b",  "CRM",   "-crm",        "_x",
                         ".hidden", "a b",        "a\nb", "a\x7f", "caf\xc3\xa9", "a%00b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_not(au_name_valid(bad[i]), "%s", bad[i]);
    cr_assert_not(au_name_valid(NULL));
    char name[AU_NAME_MAX + 2];
    memset(name, 'a', sizeof(name));
    name[AU_NAME_MAX] = '\0';
    cr_assert(au_name_valid(name), "%d characters", AU_NAME_MAX);
    name[AU_NAME_MAX] = 'a';
    name[AU_NAME_MAX + 1] = '\0';
    cr_assert_not(au_name_valid(name), "%d characters", AU_NAME_MAX + 1);
}
