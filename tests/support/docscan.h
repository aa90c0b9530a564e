/*
 * Scans of a store's raw file bytes for personal values, for the erasure tests. The SQLite store
 * keeps record documents deflated (src/store/store_sqlite_doc.c), so a plain byte search would
 * miss a value that is still there; these scans also inflate every packed document they find in
 * the bytes (by its zlib header and dictionary id, wherever it lies: live rows, free pages, WAL
 * frames), so "not found" means gone.
 */
#ifndef AU_TEST_DOCSCAN_H
#define AU_TEST_DOCSCAN_H

#include <stddef.h>

/* Whether buf[0..n) holds `needle` (ASCII case-insensitive) as plain bytes or inside a packed
 * document, complete or cut off. */
int au_test_bytes_hold(const unsigned char *buf, size_t n, const char *needle);
/* The same for a file's whole content; a missing file holds nothing. */
int au_test_file_holds(const char *path, const char *needle);
/* How many packed documents start in buf[0..n) (tests of the scan itself). */
size_t au_test_packed_docs(const unsigned char *buf, size_t n);

#endif
