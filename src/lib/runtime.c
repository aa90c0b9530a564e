/*
 * Process initialisation (see runtime.h). SQLite's allocator must report each block's size,
 * so every block it asks for carries its size in an 8-byte header (16 keeps the alignment
 * malloc gives).
 */
#include "lib/runtime.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "lib/alloc.h"

#define HDR 16 /* bytes before each SQLite block: its size, keeping 16-byte alignment */

static void *sq_malloc(int n)
{
    unsigned char *p = au_malloc((size_t)n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return p + HDR;
}

static void sq_free(void *p)
{
    if (p)
        au_free((unsigned char *)p - HDR);
}

static int sq_size(void *p)
{
    int n = 0;
    if (p)
        memcpy(&n, (unsigned char *)p - HDR, sizeof(n));
    return n;
}

static void *sq_realloc(void *p, int n)
{
    if (!p)
        return sq_malloc(n);
    unsigned char *q = au_realloc((unsigned char *)p - HDR, (size_t)n + HDR);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof(n));
    return q + HDR;
}

static int sq_roundup(int n)
{
    return (n + 7) & ~7;
}

static int sq_init(void *ctx)
{
    (void)ctx;
    return SQLITE_OK;
}

static void sq_shutdown(void *ctx)
{
    (void)ctx;
}

static void *j_malloc(size_t n)
{
    return au_malloc(n);
}

static void *cu_calloc(size_t count, size_t size)
{
    return au_calloc(count, size);
}

static char *cu_strdup(const char *s)
{
    return au_strdup(s);
}

static au_rc init_rc = AU_OK;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
    static const sqlite3_mem_methods mem = {sq_malloc,  sq_free, sq_realloc,  sq_size,
                                            sq_roundup, sq_init, sq_shutdown, NULL};
    json_set_alloc_funcs(j_malloc, au_free);
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, j_malloc, au_free, au_realloc, cu_strdup,
                             cu_calloc) != CURLE_OK ||
        sodium_init() < 0)
        init_rc = AU_ERR_INTERNAL;
    /* SQLITE_MISUSE: SQLite is already in use; its own allocator stays, which is still correct. */
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK)
        init_rc = AU_ERR_INTERNAL;
}

au_rc au_runtime_init(void)
{
    pthread_once(&once, init_once);
    return init_rc;
}
