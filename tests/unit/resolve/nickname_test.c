/*
 * Unit tests for the nickname table: lookups both ways, names in several groups, size.
 */
#include <criterion/criterion.h>

#include "resolve/nickname.h"

static au_nick *t;

static void setup(void)
{
    cr_assert_eq(au_nick_new(&t), AU_OK);
}

static void teardown(void)
{
    au_nick_free(t);
}

TestSuite(nickname, .init = setup, .fini = teardown);

Test(nickname, variants_match_both_ways)
{
    cr_assert(au_nick_same(t, "bob", "robert"));
    cr_assert(au_nick_same(t, "robert", "bob"));
    cr_assert(au_nick_same(t, "peggy", "margaret"));
    cr_assert(au_nick_same(t, "bill", "william"));
    cr_assert(au_nick_same(t, "bob", "rob"), "two nicknames of one name");
    cr_assert_not(au_nick_same(t, "bob", "william"));
    cr_assert_not(au_nick_same(t, "robert", "robert"), "equality is not a nickname match");
    cr_assert_not(au_nick_same(t, "zyglinski", "robert"));
}

Test(nickname, a_name_can_be_in_several_groups)
{
    cr_assert(au_nick_same(t, "al", "albert"));
    cr_assert(au_nick_same(t, "al", "alfred"));
    cr_assert(au_nick_same(t, "al", "alexander"));
    cr_assert_not(au_nick_same(t, "albert", "alfred"), "sharing a nickname is not enough");
    uint16_t g[AU_NICK_MAX_GROUPS];
    cr_assert_geq(au_nick_groups(t, "al", g, AU_NICK_MAX_GROUPS), 3);
    cr_assert_eq(au_nick_groups(t, "unknownname", g, AU_NICK_MAX_GROUPS), 0);
}

Test(nickname, table_is_large_enough)
{
    cr_assert_geq(au_nick_pair_count(t), 150);
    cr_assert_geq(au_nick_group_count(t), 100);
}
