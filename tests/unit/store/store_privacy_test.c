/*
 * Store tests of the privacy slots (store_sqlite_privacy.c, store_pg_privacy.c), each run as
 * store_privacy/<name> on SQLite and store_privacy_pg/<name> on PostgreSQL (pgsuite.h), with
 * the same assertions: a purge removes the person's versions, events, runs and dead letters,
 * leaves a tombstone and a receipt and touches nobody else; the suppression list; the search
 * of runs and dead letters by needle; the scrub of a deleted record; the checkpoint.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#include "pgsuite.h"

AU_STORE_BOTH(store_privacy);

/* One body, two tests: store_privacy/<name> (SQLite), store_privacy_pg/<name> (PostgreSQL). */
#define CASE(name) AU_STORE_CASE(store_privacy, name)

static int64_t put(const char *id, const char *doc, uint64_t hash)
{
    au_record_row row = {"crm", id, doc, hash, "test", 1000};
    au_put_outcome o;
    int64_t v, no = 0;
    cr_assert_eq(au_store_record_put(st, &row, &o, &v), AU_OK);
    cr_assert_eq(au_store_record_no(st, "crm", id, &no), AU_OK);
    return no;
}

static void event(const char *id, const char *customer, const char *ref)
{
    au_event_row e = {"shop", id, "order", 1000, 1000, customer, "{}", "test"};
    au_put_outcome o;
    cr_assert_eq(au_store_event_put(st, &e, &o), AU_OK);
    cr_assert_eq(au_store_event_ref_put(st, ref, "shop", id), AU_OK);
}

static int64_t run_with(const char *input)
{
    au_run_row r = {.flow = "f",
                    .trigger = "event:x/1",
                    .input = input,
                    .condition = "true",
                    .steps = "{}",
                    .status = "failed",
                    .started_ms = 1000};
    int64_t id = 0;
    cr_assert_eq(au_store_run_add(st, &r, &id), AU_OK);
    au_dead_row d = {.outbox_id = 1,
                     .run_id = id,
                     .flow = "f",
                     .step_id = "s",
                     .request = input,
                     .reason = "x",
                     .created_ms = 1100};
    int64_t did = 0;
    cr_assert_eq(au_store_dead_add(st, &d, &did), AU_OK);
    return id;
}

typedef struct seen {
    int runs, dead;
    int64_t run_id;
} seen;

static int on_run(void *ctx, const au_run_row *r)
{
    seen *s = ctx;
    s->runs++;
    s->run_id = r->id;
    return 0;
}

static int on_dead(void *ctx, const au_dead_row *d)
{
    seen *s = ctx;
    s->dead++;
    cr_assert_eq(d->run_id, s->run_id);
    return 0;
}

CASE(purge_removes_the_person_and_leaves_a_receipt)
{
    cr_assert_eq(au_store_begin(st), AU_OK);
    int64_t ann = put("ann", "{\"email\":\"ann@x.io\"}", 1);
    put("ann", "{\"email\":\"ann@y.io\"}", 2);
    int64_t bob = put("bob", "{\"email\":\"bob@x.io\"}", 3);
    event("e1", "{\"email\":\"ann@x.io\"}", "r:crm/ann");
    event("e2", "{\"email\":\"bob@x.io\"}", "r:crm/bob");
    int64_t mine = run_with("{\"email\":\"ann@x.io\"}");
    run_with("{\"email\":\"bob@x.io\"}");
    cr_assert_eq(au_store_assign_put(st, ann, 7), AU_OK);
    au_change_row c = {
        .profile = 7, .kind = "created", .source = "crm", .record_id = "ann", .at_ms = 1000};
    cr_assert_eq(au_store_change_add(st, &c), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);

    seen s = {0};
    cr_assert_eq(au_store_subject_runs(st, "[\"ann@x.io\"]", 10, on_run, on_dead, &s), AU_OK);
    cr_assert(s.runs == 1 && s.dead == 1 && s.run_id == mine, "export finds their run");

    char members[96];
    snprintf(members, sizeof(members), "[{\"no\":%lld,\"s\":\"crm\",\"r\":\"ann\"}]",
             (long long)ann);
    au_subject_purge p = {.members = members,
                          .refs = "[\"r:crm/ann\"]",
                          .needles = "[\"ann@x.io\"]",
                          .at_ms = 5000,
                          .key_id = "cli",
                          .hashes = "[\"aa11\"]",
                          .profile = 7,
                          .suppress = 1};
    au_purge_counts n;
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_subject_purge(st, &p, &n), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
    cr_assert_eq(n.records, 1);
    cr_assert_eq(n.versions, 2);
    cr_assert_eq(n.events, 1);
    cr_assert_eq(n.runs, 1);
    cr_assert_eq(n.dead_letters, 1);
    cr_assert_eq(n.changes, 1);
    cr_assert_gt(n.receipt, 0);

    au_record_out r = {0};
    cr_assert_eq(au_store_record_by_no(st, ann, &r), AU_OK);
    cr_assert(r.deleted && r.doc == NULL, "a tombstone without the document");
    cr_assert_str_eq(r.origin, "erasure");
    au_record_out_cleanup(&r);
    cr_assert_eq(au_store_record_by_no(st, bob, &r), AU_OK);
    cr_assert_str_eq(r.doc, "{\"email\":\"bob@x.io\"}", "nobody else is touched");
    au_record_out_cleanup(&r);
    memset(&s, 0, sizeof(s));
    cr_assert_eq(au_store_subject_runs(st, "[\"ann@x.io\"]", 10, on_run, on_dead, &s), AU_OK);
    cr_assert(s.runs == 0 && s.dead == 0);
    cr_assert_eq(au_store_subject_runs(st, "[\"bob@x.io\"]", 10, on_run, on_dead, &s), AU_OK);
    cr_assert(s.runs == 1 && s.dead == 1, "bob's run stays");

    int yes = -1;
    cr_assert_eq(au_store_suppressed(st, "[\"aa11\",\"zz\"]", &yes), AU_OK);
    cr_assert_eq(yes, 1);
    cr_assert_eq(au_store_suppressed(st, "[\"bb22\"]", &yes), AU_OK);
    cr_assert_eq(yes, 0);
    cr_assert_eq(au_store_suppressed(st, NULL, &yes), AU_OK);
    cr_assert_eq(yes, 1, "the list has an entry");
}

CASE(suppression_list_starts_empty_and_purge_without_suppress_adds_none)
{
    int yes = -1;
    cr_assert_eq(au_store_suppressed(st, NULL, &yes), AU_OK);
    cr_assert_eq(yes, 0);
    au_subject_purge p = {.at_ms = 1, .hashes = "[\"cc\"]", .profile = 1};
    au_purge_counts n;
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_subject_purge(st, &p, &n), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
    cr_assert(n.records == 0 && n.receipt > 0, "a receipt even when nothing matched");
    cr_assert_eq(au_store_suppressed(st, NULL, &yes), AU_OK);
    cr_assert_eq(yes, 0);
}

CASE(scrub_drops_the_documents_and_checkpoint_runs)
{
    int64_t no = put("cy", "{\"name\":\"Cy\"}", 9);
    cr_assert_eq(au_store_record_delete(st, "crm", "cy", "test", 2000), AU_OK);
    cr_assert_eq(au_store_record_scrub(st, no), AU_OK);
    au_record_out r = {0};
    cr_assert_eq(au_store_record_get(st, "crm", "cy", 1, &r), AU_OK);
    cr_assert_null(r.doc, "the first version keeps its number, not its document");
    cr_assert_eq(r.hash, 9);
    au_record_out_cleanup(&r);
    int done = -1;
    cr_assert_eq(au_store_checkpoint(st, &done), AU_OK);
    cr_assert(done == 0 || done == 1);
}
