/*
 * Store write throughput, back-end against back-end: `build/bench/store_put LOCATION N BATCH`
 * writes N new records (~400-byte documents) in transactions of BATCH through au_store_*
 * (no engine, no HTTP), then N updates of the same keys, and prints records per second for
 * each. LOCATION is a directory (SQLite) or postgres://... (docs/POSTGRES.md for figures).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes n records in transactions of batch; pass 0 inserts, pass 1 updates. */
static int load(au_store *s, long n, long batch, int pass)
{
    char id[32], doc[512];
    for (long i = 0; i < n; i++) {
        au_put_outcome o;
        if (i % batch == 0 && au_store_begin(s))
            return 1;
        snprintf(id, sizeof(id), "r%08ld", i);
        snprintf(doc, sizeof(doc),
                 "{\"attrs\":{\"email\":\"person%ld@example.com\",\"first_name\":\"Ada\","
                 "\"last_name\":\"Lovelace-%ld\",\"phone\":\"+4420794600%02ld\",\"postcode\":"
                 "\"SW1A 1AA\",\"city\":\"London\"},\"custom\":{\"tier\":\"gold\",\"pass\":%d},"
                 "\"input\":{\"id\":\"%s\",\"note\":\"a document of typical size for a CRM "
                 "contact, with a few fields more than the attributes\"}}",
                 i, i, i % 100, pass, id);
        au_record_row row = {"crm", id, doc, (uint64_t)(i * 2 + pass + 1), "bench", 1};
        if (au_store_record_put(s, &row, &o, NULL))
            return 1;
        if ((i % batch == batch - 1 || i == n - 1) && au_store_commit(s))
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    au_store *s = NULL;
    au_err err;
    if (argc != 4) {
        fprintf(stderr, "usage: store_put LOCATION N BATCH\n");
        return 2;
    }
    long n = atol(argv[2]), batch = atol(argv[3]);
    au_err_init(&err);
    if (n <= 0 || batch <= 0 || au_store_open(argv[1], AU_STORE_RW, &s, &err)) {
        fprintf(stderr, "store_put: %s\n", err.message);
        return 1;
    }
    for (int pass = 0; pass < 2; pass++) {
        double t0 = now_s();
        if (load(s, n, batch, pass)) {
            fprintf(stderr, "store_put: write failed\n");
            au_store_close(s);
            return 1;
        }
        double dt = now_s() - t0;
        printf("%s %s: %ld records in %.2f s = %.0f records/s (batch %ld)\n", au_store_backend(s),
               pass ? "update" : "insert", n, dt, (double)n / dt, batch);
    }
    au_store_close(s);
    au_err_cleanup(&err);
    return 0;
}
