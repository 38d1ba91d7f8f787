/* Host quantizers and dequantizers for GGUF's Q8_0 and Q4_0 blocks,
 * bit-compatible with ggml's reference quantizers (quantize_row_q8_0_ref /
 * quantize_row_q4_0_ref): the scale is computed in f32, the values are scaled
 * by its f32 reciprocal, and the scale is stored rounded to f16. */
#include "../core/core.h"

#include <math.h>
#include <string.h>

static vkattn_status check_args(const void *src, uint64_t n, const void *dst, const char *what) {
    if (!src || !dst) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: src or dst is NULL", what);
    if (n % 32)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: n = %llu is not a multiple of the block size 32", what,
                            (unsigned long long)n);
    return VKATTN_OK;
}

static void put_scale(uint8_t *block, float d) {
    uint16_t h = vkattn__f32_to_f16(d);
    memcpy(block, &h, 2); /* little-endian hosts only, as GGUF files */
}

static float get_scale(const uint8_t *block) {
    uint16_t h;
    memcpy(&h, block, 2);
    return vkattn__f16_to_f32(h);
}

vkattn_status vkattn_quantize_q8_0(const float *src, uint64_t n, void *dst) {
    vkattn_status st = check_args(src, n, dst, "quantize_q8_0");
    if (st) return st;
    uint8_t *out = dst;
    for (uint64_t b = 0; b < n / 32; b++, src += 32, out += 34) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(src[j]));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        put_scale(out, d);
        for (int j = 0; j < 32; j++) out[2 + j] = (uint8_t)(int8_t)roundf(src[j] * id);
    }
    return VKATTN_OK;
}

vkattn_status vkattn_quantize_q4_0(const float *src, uint64_t n, void *dst) {
    vkattn_status st = check_args(src, n, dst, "quantize_q4_0");
    if (st) return st;
    uint8_t *out = dst;
    for (uint64_t b = 0; b < n / 32; b++, src += 32, out += 18) {
        float amax = 0.0f, max = 0.0f; /* max: the value of largest magnitude, with its sign */
        for (int j = 0; j < 32; j++)
            if (amax < fabsf(src[j])) {
                amax = fabsf(src[j]);
                max = src[j];
            }
        const float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        put_scale(out, d);
        for (int j = 0; j < 16; j++) {
            /* separate statements, as in ggml: no contraction into an FMA */
            const float x0 = src[j] * id, x1 = src[16 + j] * id;
            const int8_t lo = (int8_t)(x0 + 8.5f), hi = (int8_t)(x1 + 8.5f);
            uint8_t q0 = lo < 15 ? (uint8_t)lo : 15, q1 = hi < 15 ? (uint8_t)hi : 15;
            out[2 + j] = (uint8_t)(q0 | q1 << 4);
        }
    }
    return VKATTN_OK;
}

vkattn_status vkattn_dequantize_q8_0(const void *src, uint64_t n, float *dst) {
    vkattn_status st = check_args(src, n, dst, "dequantize_q8_0");
    if (st) return st;
    const uint8_t *in = src;
    for (uint64_t b = 0; b < n / 32; b++, in += 34, dst += 32) {
        const float d = get_scale(in);
        for (int j = 0; j < 32; j++) dst[j] = d * (float)(int8_t)in[2 + j];
    }
    return VKATTN_OK;
}

vkattn_status vkattn_dequantize_q4_0(const void *src, uint64_t n, float *dst) {
    vkattn_status st = check_args(src, n, dst, "dequantize_q4_0");
    if (st) return st;
    const uint8_t *in = src;
    for (uint64_t b = 0; b < n / 32; b++, in += 18, dst += 32) {
        const float d = get_scale(in);
        for (int j = 0; j < 16; j++) {
            dst[j] = d * (float)((in[2 + j] & 15) - 8);
            dst[16 + j] = d * (float)((in[2 + j] >> 4) - 8);
        }
    }
    return VKATTN_OK;
}
