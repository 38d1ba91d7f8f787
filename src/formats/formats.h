/* Internal helpers shared by the file readers (safetensors.c, gguf.c). */
#ifndef VKATTN_FORMATS_H
#define VKATTN_FORMATS_H

#include "../core/core.h"

/* A read-only memory mapping of a whole file. */
typedef struct vkattn__mapped {
    const uint8_t *data; /* NULL for an empty file */
    uint64_t size;
} vkattn__mapped;

/* Maps `path` read-only; VKATTN_ERROR_IO (message naming the file) if it cannot. */
vkattn_status vkattn__map_file(const char *path, vkattn__mapped *out);
void vkattn__unmap_file(vkattn__mapped *m);

/* Overflow-checked a * b and a + b: return 0 on overflow. */
static inline int vkattn__mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (a && b > UINT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}
static inline int vkattn__add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (b > UINT64_MAX - a) return 0;
    *out = a + b;
    return 1;
}

/* Little-endian loads from possibly unaligned bytes. */
static inline uint32_t vkattn__le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t vkattn__le64(const uint8_t *p) { return vkattn__le32(p) | (uint64_t)vkattn__le32(p + 4) << 32; }

/* Checks a JPEG's marker segments before stb_image parses them (jpeg_check.c): 1 if every
 * segment the decoder trusts is well formed, else 0 with the reason and byte offset in `why`. */
int vkattn__jpeg_check(const uint8_t *p, size_t n, char *why, size_t why_size);

#endif
