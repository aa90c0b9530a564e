/*
 * Every allocation goes through these wrappers so tests can make the Nth allocation fail
 * (au_alloc_fail_after) and check that each caller reports AU_ERR_NOMEM and leaks nothing.
 * Semantics are those of the libc functions they wrap; au_free(NULL) is a no-op.
 */
#ifndef AU_ALLOC_H
#define AU_ALLOC_H

#include <stddef.h>

void *au_malloc(size_t n);
void *au_calloc(size_t count, size_t size);
void *au_realloc(void *p, size_t n);
void au_free(void *p);
/* Copy of s (NULL if s is NULL or on failure); the caller frees it with au_free. */
char *au_strdup(const char *s);
/* Copy of the first n bytes of s, NUL-terminated; the caller frees it. */
char *au_strndup(const char *s, size_t n);
/* printf into a new string; the caller frees it. NULL on failure. */
char *au_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Test hook: after `n` more successful allocations every allocation fails; n < 0 disables.
 * Counts are per thread so a test does not break the threads of the code it drives. */
void au_alloc_fail_after(long n);
/* Test hook: allocation attempts of this thread since the last au_alloc_fail_after call. */
long au_alloc_count(void);

#endif
