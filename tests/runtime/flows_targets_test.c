/*
 * Flow steps against real target systems started by the test in temporary directories on
 * free loopback ports (tests/support: pgserver for the postgres step, natsserver with
 * JetStream for the nats step). A test is skipped, with the reason, only when its server
 * binary is not installed (scripts/deps.sh installs both).
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <nats/nats.h>
#include <stdio.h>
#include <string.h>

#include "../support/natsserver.h"
#include "../support/pgserver.h"
#include "../support/spawn.h"
#include "harness.h"

/* What a failed assertion leaves behind: daemons and servers. */
static void suite_fini(void)
{
    au_rt_cleanup_all();
    au_pgserver_cleanup_all();
    au_natsserver_cleanup_all();
}

TestSuite(flows_targets, .fini = suite_fini);

static void put_flow(au_rt_daemon *d, const char *name, const char *yaml)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s", name);
    long st =
        au_rt_request(d, "PUT", path, "application/yaml", yaml, strlen(yaml), d->admin_key, &r);
    cr_assert_eq(st, 200, "PUT %s: %ld %s", path, st, r.body);
    au_rt_resp_cleanup(&r);
}

static void post_event(au_rt_daemon *d, const char *id, const char *cust, int amount)
{
    char body[512];
    au_rt_resp r = {0};
    snprintf(body, sizeof(body),
             "{\"source\":\"billing\",\"event_id\":\"%s\",\"type\":\"payment\",\"customer\":{"
             "\"source\":\"billing\",\"record\":\"%s\"},\"properties\":{\"amount\":%d}}",
             id, cust, amount);
    cr_assert_eq(au_rt_admin(d, "POST", "/v1/events", body, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
}

/* --- PostgreSQL -------------------------------------------------------------------------- */

static PGresult *pg_exec(const au_pgserver *p, const char *sql)
{
    PGresult *r = au_pgserver_exec(p, sql);
    cr_assert_not_null(r, "%s failed (see stderr)", sql);
    return r;
}

Test(flows_targets, postgres_row_is_upserted, .timeout = 120)
{
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL server not installed (" AU_PG_BIN "); run scripts/deps.sh");
    au_pgserver p;
    au_rt_daemon d;
    char yaml[2048];
    cr_assert_eq(au_pgserver_start(&p), 0, "cannot start PostgreSQL (see %s)", p.log);
    PQclear(pg_exec(&p, "CREATE TABLE payments (customer text PRIMARY KEY, "
                        "last_payment text, amount numeric, meta jsonb)"));
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    snprintf(yaml, sizeof(yaml),
             "trigger: {event: {type: payment}}\n"
             "steps:\n  - postgres:\n      conninfo: \"%s\"\n      table: payments\n"
             "      key: [customer]\n      columns:\n"
             "        customer: \"{{ event.customer.record }}\"\n"
             "        last_payment: \"{{ event.id }}\"\n"
             "        amount: \"{{ event.properties.amount }}\"\n"
             "        meta: {source: \"{{ event.source }}\"}\n",
             p.conninfo);
    put_flow(&d, "to-pg", yaml);
    post_event(&d, "p1", "B1", 10);
    post_event(&d, "p2", "B1", 25); /* same customer: the row is updated, not duplicated */
    post_event(&d, "p3", "B2", 7);
    PGresult *r = NULL;
    for (int i = 0; i < 200; i++) {
        PQclear(r);
        r = pg_exec(&p, "SELECT customer, last_payment, amount::text, meta->>'source' "
                        "FROM payments ORDER BY customer");
        if (PQntuples(r) == 2 && !strcmp(PQgetvalue(r, 0, 1), "p2"))
            break;
        au_test_sleep_ms(100);
    }
    cr_assert_eq(PQntuples(r), 2);
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "B1");
    cr_assert_str_eq(PQgetvalue(r, 0, 1), "p2");
    cr_assert_str_eq(PQgetvalue(r, 0, 2), "25");
    cr_assert_str_eq(PQgetvalue(r, 0, 3), "billing");
    cr_assert_str_eq(PQgetvalue(r, 1, 0), "B2");
    PQclear(r);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    au_pgserver_stop(&p);
}

/* --- NATS JetStream ---------------------------------------------------------------------- */

Test(flows_targets, nats_message_is_published, .timeout = 120)
{
    if (!au_natsserver_bin())
        cr_skip_test("nats-server not installed; run scripts/deps.sh");
    au_natsserver n;
    char yaml[1024];
    cr_assert_eq(au_natsserver_start(&n), 0, "nats-server did not start (see %s)", n.log);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    cr_assert_eq(natsConnection_ConnectTo(&nc, n.url), NATS_OK);
    cr_assert_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[] = {"payments.>"};
    sc.Name = "PAYMENTS";
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    jsErrCode jerr = 0;
    jsStreamInfo *si = NULL;
    cr_assert_eq(js_AddStream(&si, js, &sc, NULL, &jerr), NATS_OK, "add stream: %d", jerr);
    jsStreamInfo_Destroy(si);

    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    snprintf(
        yaml, sizeof(yaml),
        "trigger: {event: {type: payment}}\n"
        "steps:\n  - nats:\n      url: \"%s\"\n"
        "      subject: \"payments.{{ event.customer.record }}\"\n"
        "      body: {payment: \"{{ event.id }}\", amount: \"{{ event.properties.amount }}\"}\n",
        n.url);
    put_flow(&d, "to-nats", yaml);
    post_event(&d, "n1", "B9", 33);
    natsMsg *m = NULL;
    for (int i = 0; i < 200; i++) {
        if (js_GetMsg(&m, js, "PAYMENTS", 1, NULL, &jerr) == NATS_OK)
            break;
        au_test_sleep_ms(100);
    }
    cr_assert_not_null(m, "no message in the stream");
    cr_assert_str_eq(natsMsg_GetSubject(m), "payments.B9");
    json_t *j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(j, "payment")), "n1");
    cr_assert_eq(json_integer_value(json_object_get(j, "amount")), 33);
    json_decref(j);
    const char *msgid = NULL;
    cr_assert_eq(natsMsgHeader_Get(m, "Nats-Msg-Id", &msgid), NATS_OK);
    cr_assert_str_eq(msgid, "to-nats/event:billing/n1/step1");
    natsMsg_Destroy(m);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    au_natsserver_stop(&n);
}
