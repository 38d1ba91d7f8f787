/* Read-only memory mapping of whole files for the readers. */
#define _DEFAULT_SOURCE /* madvise and MADV_DONTNEED: Linux, Android and the BSDs have them, POSIX does not */
#include "formats.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

vkattn_status vkattn__map_file(const char *path, vkattn__mapped *out) {
    out->data = NULL;
    out->size = 0;
    if (!path) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "file path is NULL");
    int fd = open(path, O_RDONLY);
    if (fd < 0) return vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: %llu bytes do not fit the address space", path,
                            (unsigned long long)sb.st_size);
    }
    if (sb.st_size > 0) {
        void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return vkattn__fail(NULL, VKATTN_ERROR_IO, "%s: cannot map %llu bytes: %s", path,
                                (unsigned long long)sb.st_size, strerror(e));
        }
        out->data = p;
        out->size = (uint64_t)sb.st_size;
    }
    close(fd); /* the mapping keeps the file */
    return VKATTN_OK;
}

void vkattn__mapped_drop(const vkattn__mapped *m, const void *p, uint64_t n) {
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), base = (uintptr_t)m->data;
    uintptr_t a = (uintptr_t)p, b = a + (uintptr_t)n;
    if (!m->data || !page || a < base || b > base + m->size || b < a) return;
    a = (a + page - 1) / page * page; /* whole pages inside the range only: neighbours may still be needed */
    b = b / page * page;
    /* a private read-only mapping: the dropped pages were never written, so nothing is lost */
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
}

void vkattn__unmap_file(vkattn__mapped *m) {
    if (m->data) munmap((void *)m->data, (size_t)m->size);
    m->data = NULL;
    m->size = 0;
}
