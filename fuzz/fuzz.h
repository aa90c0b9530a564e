/*
 * Shared by the libFuzzer harnesses of fuzz/ (one per input format, each a file
 * <name>_fuzz.c built by scripts/fuzz.sh against build-fuzz/libaurum.a): the entry point's
 * prototype and a memory file for readers that take a descriptor or a path.
 */
#ifndef AU_FUZZ_H
#define AU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A memory file holding data, positioned at its start; -1 on failure. The caller closes it. */
static inline int fuzz_memfd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

#endif
