/*
 * Tests of the process initialisation: once done, allocations inside SQLite, Jansson and libcurl
 * go through au_malloc, so the fault injector makes them fail (what fault-injection tests of
 * store and flow code rely on), and they work again when it is off.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "lib/alloc.h"
#include "lib/runtime.h"

Test(runtime, routes_library_allocations_through_au_alloc)
{
    cr_assert_eq(au_runtime_init(), AU_OK);
    cr_assert_eq(au_runtime_init(), AU_OK, "a second call is harmless");

    au_alloc_fail_after(0);
    json_t *j = json_object();
    void *m = sqlite3_malloc(64);
    char *esc = curl_easy_escape(NULL, "a b", 0);
    au_alloc_fail_after(-1);
    cr_assert_null(j, "Jansson allocates through au_malloc");
    cr_assert_null(m, "SQLite allocates through au_malloc");
    cr_assert_null(esc, "libcurl allocates through au_malloc");

    j = json_pack("{s:i}", "a", 1);
    m = sqlite3_malloc(64);
    esc = curl_easy_escape(NULL, "a b", 0);
    cr_assert_not_null(j);
    cr_assert_not_null(m);
    cr_assert_str_eq(esc, "a%20b");
    cr_assert_eq(sqlite3_msize(m), 64);
    m = sqlite3_realloc(m, 4096);
    cr_assert_eq(sqlite3_msize(m), 4096);
    json_decref(j);
    sqlite3_free(m);
    curl_free(esc);
}

Test(runtime, sqlite_open_fails_cleanly_under_injection)
{
    cr_assert_eq(au_runtime_init(), AU_OK);
    sqlite3 *db = NULL;
    au_alloc_fail_after(0);
    int rc = sqlite3_open(":memory:", &db);
    au_alloc_fail_after(-1);
    cr_assert_eq(rc, SQLITE_NOMEM);
    sqlite3_close(db);
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_close(db);
}
