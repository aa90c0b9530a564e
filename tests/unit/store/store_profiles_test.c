/*
 * Store tests of the profile slots (store_sqlite_profiles.c, store_pg_profiles.c), each run as
 * store_profiles/<name> on SQLite and store_profiles_pg/<name> on PostgreSQL (pgsuite.h), with
 * the same assertions: the record identifier index
 * (exact and prefix finds, clearing a record), record reads by number, event references and the
 * timeline order, paging and filters, the record-to-profile read of assignments, and the count
 * per source of events that no live record holds the customer reference of.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "store/store.h"

#include "pgsuite.h"

AU_STORE_BOTH(store_profiles);

/* One body, two tests: store_profiles/<name> (SQLite), store_profiles_pg/<name> (PostgreSQL). */
#define CASE(name) AU_STORE_CASE(store_profiles, name)

static int64_t put_record(const char *id, const char *doc)
{
    au_record_row row = {"crm", id, doc, (uint64_t)strlen(doc) * 31u + (uint64_t)id[0], "t", 1000};
    au_put_outcome o;
    int64_t v, no = 0;
    cr_assert_eq(au_store_record_put(st, &row, &o, &v), AU_OK);
    cr_assert_eq(au_store_record_no(st, "crm", id, &no), AU_OK);
    return no;
}

typedef struct found {
    int64_t recs[16];
    char keys[16][32];
    int n;
} found;

static int on_found(void *ctx, int64_t rec, const char *key)
{
    found *f = ctx;
    if (f->n < 16) {
        f->recs[f->n] = rec;
        snprintf(f->keys[f->n], sizeof(f->keys[0]), "%s", key ? key : "");
        f->n++;
    }
    return 0;
}

CASE(ident_exact_prefix_and_clear)
{
    int64_t a = put_record("A", "{}"), b = put_record("B", "{\"x\":1}");
    cr_assert_eq(au_store_ident_put(st, AU_IDENT_NAME, "smith", a), AU_OK);
    cr_assert_eq(au_store_ident_put(st, AU_IDENT_NAME, "smithers", b), AU_OK);
    cr_assert_eq(au_store_ident_put(st, AU_IDENT_NAME, "smith", a), AU_OK, "repeats are ignored");
    cr_assert_eq(au_store_ident_put(st, AU_IDENT_EMAIL, "smith", b), AU_OK);
    found f = {0};
    cr_assert_eq(au_store_ident_find(st, AU_IDENT_NAME, "smith", 0, 10, on_found, &f), AU_OK);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.recs[0], a);
    memset(&f, 0, sizeof(f));
    cr_assert_eq(au_store_ident_find(st, AU_IDENT_NAME, "smi", 1, 10, on_found, &f), AU_OK);
    cr_assert_eq(f.n, 2);
    cr_assert_str_eq(f.keys[0], "smith");
    cr_assert_str_eq(f.keys[1], "smithers");
    memset(&f, 0, sizeof(f));
    cr_assert_eq(au_store_ident_find(st, AU_IDENT_NAME, "smi", 1, 1, on_found, &f), AU_OK);
    cr_assert_eq(f.n, 1, "limit honoured");
    cr_assert_eq(au_store_ident_clear(st, a), AU_OK);
    memset(&f, 0, sizeof(f));
    cr_assert_eq(au_store_ident_find(st, AU_IDENT_NAME, "smi", 1, 10, on_found, &f), AU_OK);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.recs[0], b);
}

CASE(record_by_no_and_unassigned_profile)
{
    int64_t a = put_record("A", "{\"k\":2}");
    au_record_out r = {0};
    cr_assert_eq(au_store_record_by_no(st, a, &r), AU_OK);
    cr_assert_str_eq(r.record_id, "A");
    cr_assert_str_eq(r.doc, "{\"k\":2}");
    cr_assert_eq(r.version, 1);
    au_record_out_cleanup(&r);
    cr_assert_eq(au_store_record_by_no(st, a + 100, &r), AU_ERR_NOT_FOUND);
    int64_t p = -1;
    cr_assert_eq(au_store_record_profile(st, a, &p), AU_OK);
    cr_assert_eq(p, 0);
    cr_assert_eq(au_store_assign_put(st, a, 7), AU_OK);
    cr_assert_eq(au_store_record_profile(st, a, &p), AU_OK);
    cr_assert_eq(p, 7);
}

static void event(const char *id, const char *type, int64_t at)
{
    au_event_row ev = {"crm", id, type, at, at, "{}", "{}", "t"};
    au_put_outcome o;
    cr_assert_eq(au_store_event_put(st, &ev, &o), AU_OK);
}

static int on_event(void *ctx, const au_event_out *e)
{
    found *f = ctx;
    if (f->n < 16) {
        f->recs[f->n] = e->seq;
        snprintf(f->keys[f->n], sizeof(f->keys[0]), "%s", e->event_id);
        f->n++;
    }
    return 0;
}

CASE(timeline_newest_first_with_paging_and_filters)
{
    event("e1", "order", 3000);
    event("e2", "ticket", 1000); /* arrived later, happened earlier */
    event("e3", "order", 2000);
    event("e4", "order", 9000);
    cr_assert_eq(au_store_event_ref_put(st, "r:a", "crm", "e1"), AU_OK);
    cr_assert_eq(au_store_event_ref_put(st, "e:x", "crm", "e2"), AU_OK);
    cr_assert_eq(au_store_event_ref_put(st, "r:a", "crm", "e3"), AU_OK);
    cr_assert_eq(au_store_event_ref_put(st, "r:other", "crm", "e4"), AU_OK);
    const char *refs = "[\"r:a\",\"e:x\"]";
    found f = {0};
    cr_assert_eq(au_store_timeline(st, refs, 0, NULL, NULL, 10, on_event, &f), AU_OK);
    cr_assert_eq(f.n, 3);
    cr_assert_str_eq(f.keys[0], "e1");
    cr_assert_str_eq(f.keys[1], "e3");
    cr_assert_str_eq(f.keys[2], "e2");
    int64_t after_first = f.recs[0];
    memset(&f, 0, sizeof(f));
    cr_assert_eq(au_store_timeline(st, refs, after_first, NULL, NULL, 10, on_event, &f), AU_OK);
    cr_assert_eq(f.n, 2);
    cr_assert_str_eq(f.keys[0], "e3");
    memset(&f, 0, sizeof(f));
    cr_assert_eq(au_store_timeline(st, refs, 0, "ticket", "crm", 10, on_event, &f), AU_OK);
    cr_assert_eq(f.n, 1);
    cr_assert_str_eq(f.keys[0], "e2");
    memset(&f, 0, sizeof(f));
    cr_assert_eq(au_store_timeline(st, refs, 0, NULL, "shop", 10, on_event, &f), AU_OK);
    cr_assert_eq(f.n, 0);
}

typedef struct counts {
    char sources[8][16];
    int64_t n[8];
    int k;
} counts;

static int on_unlinked(void *ctx, const char *source, int64_t count)
{
    counts *c = ctx;
    cr_assert_lt(c->k, 8);
    snprintf(c->sources[c->k], sizeof(c->sources[0]), "%s", source);
    c->n[c->k++] = count;
    return 0;
}

static counts unlinked_counts(void)
{
    counts c = {0};
    cr_assert_eq(au_store_events_unlinked(st, on_unlinked, &c), AU_OK);
    return c;
}

CASE(events_unlinked_until_a_record_holds_their_reference)
{
    au_put_outcome o;
    au_event_row shop = {"shop", "s1", "order", 1, 1, "{}", "{}", "t"};
    cr_assert_eq(au_store_event_put(st, &shop, &o), AU_OK);
    event("e1", "order", 1); /* crm record C1, not there yet */
    event("e2", "order", 2); /* e-mail key a@b.c, nobody has it */
    event("e3", "order", 3); /* phone +447700900123, nobody has it */
    event("e4", "order", 4); /* no reference at all (the customer could not be read) */
    event("e5", "order", 5); /* e-mail key b@c.d, later held only as a phone key */
    cr_assert_eq(au_store_event_ref_put(st, "e:b@c.d", "crm", "e5"), AU_OK);
    cr_assert_eq(au_store_event_ref_put(st, "shop:x", "shop", "s1"), AU_OK); /* unknown form */
    cr_assert_eq(au_store_event_ref_put(st,
                                        "r:crm\x1f"
                                        "C1",
                                        "crm", "e1"),
                 AU_OK);
    cr_assert_eq(au_store_event_ref_put(st, "e:a@b.c", "crm", "e2"), AU_OK);
    cr_assert_eq(au_store_event_ref_put(st, "p:+447700900123", "crm", "e3"), AU_OK);
    counts c = unlinked_counts();
    cr_assert_eq(c.k, 2);
    cr_assert_str_eq(c.sources[0], "crm");
    cr_assert_eq(c.n[0], 5);
    cr_assert_str_eq(c.sources[1], "shop");
    cr_assert_eq(c.n[1], 1);

    /* the records arrive: C1 itself, another record with the e-mail, one with the phone */
    put_record("C1", "{}");
    int64_t mail = put_record("C2", "{}"), tel = put_record("C3", "{}");
    cr_assert_eq(au_store_ident_put(st, AU_IDENT_EMAIL, "a@b.c", mail), AU_OK);
    cr_assert_eq(au_store_ident_put(st, AU_IDENT_PHONE, "+447700900123", tel), AU_OK);
    /* a key of another kind does not link: "b@c.d" in the phone index is not an e-mail */
    cr_assert_eq(au_store_ident_put(st, AU_IDENT_PHONE, "b@c.d", tel), AU_OK);
    c = unlinked_counts();
    cr_assert_eq(c.k, 2);
    cr_assert_eq(c.n[0], 2, "e4 (no reference) and e5 (an e-mail only a phone key matches)");
    cr_assert_eq(c.n[1], 1);

    /* a deleted record (and a cleared index) no longer holds the reference */
    cr_assert_eq(au_store_record_delete(st, "crm", "C1", "t", 2000), AU_OK);
    cr_assert_eq(au_store_ident_clear(st, mail), AU_OK);
    c = unlinked_counts();
    cr_assert_eq(c.n[0], 4, "e1 and e2 are unlinked again");
}
