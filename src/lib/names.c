/*
 * The name rule of names.h, checked by hand rather than with a regex engine: it is one
 * character class and a length.
 */
#include "lib/names.h"

#include <string.h>

static int name_char(char c, int first)
{
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return !first && (c == '_' || c == '.' || c == '-');
}

int au_name_valid(const char *s)
{
    if (!s || !*s || strlen(s) > AU_NAME_MAX)
        return 0;
    for (const char *p = s; *p; p++)
        if (!name_char(*p, p == s))
            return 0;
    return 1;
}
