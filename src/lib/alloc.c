/*
 * Allocation wrappers with a per-thread failure injector. The injector costs one thread-local
 * compare per call, cheap next to malloc itself.
 */
#include "lib/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local long fail_countdown = -1;
static _Thread_local long alloc_count; /* attempts since the last au_alloc_fail_after */

static int should_fail(void)
{
    alloc_count++;
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

void au_alloc_fail_after(long n)
{
    fail_countdown = n;
    alloc_count = 0;
}

long au_alloc_count(void)
{
    return alloc_count;
}

void *au_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *au_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *au_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void au_free(void *p)
{
    free(p);
}

char *au_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = au_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *au_strdup(const char *s)
{
    return s ? au_strndup(s, strlen(s)) : NULL;
}

char *au_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = au_malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
