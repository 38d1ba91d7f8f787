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

#endif
