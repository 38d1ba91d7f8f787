/* Host-only base layer shared by every part of the library. Not installed.
 *
 *   error.c   status strings, the per-context / per-thread error message (vkattn__fail)
 *   dtype.c   dtype names and sizes, f16 / bf16 conversions
 *   array.c   growable arrays
 *
 * Includes no Vulkan header: formats, tokenizers, sampling, chat templates and the server's request
 * parsing include only this file, and CMake builds them (the vkattn_host object library) with an
 * include path on which <volk.h> and <vulkan/...> are #error stubs (cmake/host_only/).
 */
#ifndef VKATTN_BASE_H
#define VKATTN_BASE_H

#include "vkattn.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors (error.c) ------------------------------------------------------------------------------ */

/* Size of an error message; core's vkattn_context starts with a char[VKATTN__ERROR_SIZE] message, so that
 * this layer can write it without knowing the rest of the (Vulkan) context. */
#define VKATTN__ERROR_SIZE 1024

/* Sets ctx's message (when ctx is not NULL) and the calling thread's, and returns status. printf-style. */
vkattn_status vkattn__fail(vkattn_context *ctx, vkattn_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- dtypes (dtype.c) ------------------------------------------------------------------------------- */

uint16_t vkattn__f32_to_f16(float f);
float vkattn__f16_to_f32(uint16_t h);
uint16_t vkattn__f32_to_bf16(float f);
float vkattn__bf16_to_f32(uint16_t h);

/* ---- overflow-checked arithmetic, little-endian loads ------------------------------------------------ */

/* a * b and a + b: return 0 on overflow. */
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

/* From possibly unaligned bytes. */
static inline uint32_t vkattn__le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t vkattn__le64(const uint8_t *p) { return vkattn__le32(p) | (uint64_t)vkattn__le32(p + 4) << 32; }

/* ---- growable arrays (array.c) ----------------------------------------------------------------------- */

/* Room for n elements of elem bytes in p (capacity *cap, grown by doubling): the new array, or NULL (p
 * unchanged; the caller reports out of memory; also when n * elem would overflow). */
void *vkattn__grow(void *p, size_t *cap, size_t n, size_t elem);

typedef struct vkattn__ivec {
    int32_t *v;
    size_t n, cap;
} vkattn__ivec;

/* Appends x (VKATTN_ERROR_OUT_OF_HOST_MEMORY with a message when it cannot). */
vkattn_status vkattn__ivec_push(vkattn__ivec *a, int32_t x);

#endif
