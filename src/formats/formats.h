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
/* Drops the whole pages of [p, p + n) inside m from the process's resident set: bytes a loader has
 * copied to the device and will not read again (read from the file again if they are). Without it
 * a loaded model's file pages stay resident beside its device copy, which on unified-memory
 * devices (phones, integrated GPUs, CPU drivers) is the same RAM: twice the model. */
void vkattn__mapped_drop(const vkattn__mapped *m, const void *p, uint64_t n);
/* vkattn__mapped_drop on a GGUF file's bytes; nothing for one opened from caller memory. */
void vkattn__gguf_drop(const vkattn_gguf *g, const void *p, uint64_t n);

/* Checks a JPEG's marker segments before stb_image parses them (jpeg_check.c): 1 if every
 * segment the decoder trusts is well formed, else 0 with the reason and byte offset in `why`. */
int vkattn__jpeg_check(const uint8_t *p, size_t n, char *why, size_t why_size);

#endif
