/*
 * The store contract split by domain: every slot of every domain table of the SQLite back-end
 * is set (the contract says every slot is required; a NULL one would crash its forwarder), the
 * walk over each domain comes from the same X-macro list that declares the slots, and a
 * forwarder reaches its domain's slot through the au_store handle.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_pg_int.h"
#include "store/store_sqlite_int.h"

#define CHECK_SLOT(ret, name, params, args)                                                        \
    cr_assert_not_null((const void *)tab->name, "slot %s of %s", #name, domain);                   \
    n++;

/* Every slot of every domain of `ops` is set; returns how many there are. */
static int count_slots(const au_store_ops *ops)
{
    const char *domain;
    int n = 0;
    {
        const struct au_store_records_ops *tab = ops->records;
        domain = "records";
        cr_assert_not_null(tab);
        AU_STORE_RECORDS(CHECK_SLOT)
    }
    {
        const struct au_store_keys_ops *tab = ops->keys;
        domain = "keys";
        cr_assert_not_null(tab);
        AU_STORE_KEYS(CHECK_SLOT)
    }
    {
        const struct au_store_resolution_ops *tab = ops->resolution;
        domain = "resolution";
        cr_assert_not_null(tab);
        AU_STORE_RESOLUTION(CHECK_SLOT)
    }
    {
        const struct au_store_profiles_ops *tab = ops->profiles;
        domain = "profiles";
        cr_assert_not_null(tab);
        AU_STORE_PROFILES(CHECK_SLOT)
    }
    {
        const struct au_store_flows_ops *tab = ops->flows;
        domain = "flows";
        cr_assert_not_null(tab);
        AU_STORE_FLOWS(CHECK_SLOT)
    }
    {
        const struct au_store_quality_ops *tab = ops->quality;
        domain = "quality";
        cr_assert_not_null(tab);
        AU_STORE_QUALITY(CHECK_SLOT)
    }
    /* 61 slots of the former single table, plus the three resolution slots several nodes on
     * one store need (resolve_lock, resolve_changed, profile_claim) and the flows domain's 4
     * claim slots, and the profiles domain's ident_rec_index (bulk load) */
    cr_assert_eq(n, 69, "the six domains hold the 61 slots of the former single table and 8 more");
    {
        const struct au_store_inbound_ops *tab = ops->inbound;
        domain = "inbound";
        cr_assert_not_null(tab);
        AU_STORE_INBOUND(CHECK_SLOT)
    }
    cr_assert_eq(n, 74, "inbound adds its 5 slots");
    {
        const struct au_store_audit_ops *tab = ops->audit;
        domain = "audit";
        cr_assert_not_null(tab);
        AU_STORE_AUDIT(CHECK_SLOT)
    }
    {
        const struct au_store_bus_ops *tab = ops->bus;
        domain = "bus";
        cr_assert_not_null(tab);
        AU_STORE_BUS(CHECK_SLOT)
    }
    return n;
}

Test(store_ops, every_slot_of_every_domain_is_implemented)
{
    cr_assert_str_eq(au_store_sqlite_ops.name, "sqlite");
    cr_assert_null(au_store_sqlite_ops.missing, "SQLite implements every domain");
    count_slots(&au_store_sqlite_ops);
}

/* PostgreSQL fills every slot of every domain too (a NULL slot would crash its forwarder). */
Test(store_ops, postgres_fills_every_slot_of_every_domain)
{
    const au_store_ops *both[] = {&au_store_pg_ops, &au_store_postgresql_ops};
    for (int i = 0; i < 2; i++) {
        count_slots(both[i]);
        cr_assert_null(both[i]->missing, "PostgreSQL implements every domain");
        cr_assert_eq(both[i]->records, both[0]->records, "one back-end under two schemes");
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

Test(store_ops, forwarders_reach_each_domain)
{
    char dir[64];
    au_store *s = NULL;
    au_err err;
    int64_t n = -1, seq = -1, max = -1;
    uint8_t hash[32] = {0};
    au_key_out key = {0};
    snprintf(dir, sizeof(dir), "/tmp/aurum-storeops-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    au_err_init(&err);
    cr_assert_eq(au_store_open(dir, AU_STORE_RW, &s, &err), AU_OK, "%s", err.message);
    cr_assert_eq(au_store_record_count(s, NULL, &n), AU_OK); /* records */
    cr_assert_eq(n, 0);
    cr_assert_eq(au_store_key_find(s, hash, &key), AU_ERR_NOT_FOUND); /* keys */
    cr_assert_eq(au_store_profile_max(s, &max), AU_OK);               /* resolution */
    cr_assert_eq(max, 0);
    cr_assert_eq(au_store_change_last(s, &seq), AU_OK); /* profiles */
    cr_assert_eq(au_store_change_max(s, &seq), AU_OK);  /* flows */
    cr_assert_eq(seq, 0);
    au_store_close(s);
    au_err_cleanup(&err);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
