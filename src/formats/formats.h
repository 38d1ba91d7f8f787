/* Internal helpers shared by the file readers (safetensors.c, gguf.c). */
#ifndef VKATTN_FORMATS_H
#define VKATTN_FORMATS_H

#include "base/base.h"

/* A read-only memory mapping of a whole file. */
typedef struct vkattn__mapped {
    const uint8_t *data; /* NULL for an empty file */
    uint64_t size;
} vkattn__mapped;

/* Maps `path` read-only; VKATTN_ERROR_IO (message naming the file) if it cannot. */
vkattn_status vkattn__map_file(const char *path, vkattn__mapped *out);
void vkattn__unmap_file(vkattn__mapped *m);

/* Checks a JPEG's marker segments before stb_image parses them (jpeg_check.c): 1 if every
 * segment the decoder trusts is well formed, else 0 with the reason and byte offset in `why`. */
int vkattn__jpeg_check(const uint8_t *p, size_t n, char *why, size_t why_size);

#endif
