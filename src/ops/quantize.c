/* Host quantizers for GGUF's Q8_0 and Q4_0 blocks and dequantizers for every block type,
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

/* ---- every block type, as ggml's dequantize_row_* (ggml-quants.c) ---------------------------
 * Each function decodes one block at `b` into y; the arithmetic is ggml's, in the same order (f32
 * products of the f16 scale and the small integers), so the results are bit-identical. */

static float f16_at(const uint8_t *p) { return get_scale(p); }

/* The IQ4_NL / IQ4_XS code book: a 4-bit index selects one of these values (ggml's kvalues_iq4nl). */
static const int8_t iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

static void deq_q4_1(const uint8_t *b, float *y) {
    const float d = f16_at(b), m = f16_at(b + 2);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(b[4 + j] & 15) * d + m;
        y[16 + j] = (float)(b[4 + j] >> 4) * d + m;
    }
}

/* Q5_0 / Q5_1: 32 high bits in a little-endian word qh; element j's fifth bit is bit j. */
static void deq_q5(const uint8_t *b, float *y, int with_min) {
    const float d = f16_at(b), m = with_min ? f16_at(b + 2) : 0.0f;
    const uint8_t *p = b + (with_min ? 4 : 2), *qs = p + 4;
    const uint32_t qh = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    for (int j = 0; j < 16; j++) {
        const int lo = (qs[j] & 15) | (int)((qh >> j) & 1) << 4, hi = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        if (with_min) {
            y[j] = (float)lo * d + m;
            y[16 + j] = (float)hi * d + m;
        } else {
            y[j] = (float)(lo - 16) * d;
            y[16 + j] = (float)(hi - 16) * d;
        }
    }
}

/* Q2_K: scales[16] (low nibble: scale, high: min, per 16 values), qs[64], f16 d, f16 dmin. Value e
 * uses byte 32 (e / 128) + e % 32 of qs, bits 2 ((e / 32) % 4). */
static void deq_q2_K(const uint8_t *b, float *y) {
    const uint8_t *sc = b, *qs = b + 16;
    const float d = f16_at(b + 80), dmin = f16_at(b + 82);
    for (int e = 0; e < 256; e++) {
        const int s = sc[e / 16], q = (qs[e / 128 * 32 + e % 32] >> (e / 32 % 4 * 2)) & 3;
        const float dl = d * (float)(s & 15), ml = dmin * (float)(s >> 4);
        y[e] = dl * (float)q - ml;
    }
}

/* Q3_K's 6-bit scale s (0..15): low 4 bits in scales[s % 8] (high nibble for s >= 8), high 2 bits
 * in scales[8 + s % 4] at bit 2 (s / 4). */
static int q3_K_scale(const uint8_t *sc, int s) {
    const int lo = s < 8 ? sc[s] & 15 : sc[s - 8] >> 4, hi = (sc[8 + s % 4] >> (2 * (s / 4))) & 3;
    return (lo | hi << 4) - 32;
}

/* Q3_K: hmask[32], qs[64], scales[12], f16 d. Value e: 2 low bits as Q2_K, the third bit is bit
 * e / 32 of hmask[e % 32]; a clear bit subtracts 4. */
static void deq_q3_K(const uint8_t *b, float *y) {
    const uint8_t *hm = b, *qs = b + 32, *sc = b + 96;
    const float d = f16_at(b + 108);
    for (int e = 0; e < 256; e++) {
        const int q = ((qs[e / 128 * 32 + e % 32] >> (e / 32 % 4 * 2)) & 3) - ((hm[e % 32] >> (e / 32)) & 1 ? 0 : 4);
        const float dl = d * (float)q3_K_scale(sc, e / 16);
        y[e] = dl * (float)q;
    }
}

/* Q4_K / Q5_K: 8 six-bit (scale, min) pairs in 12 bytes (ggml's get_scale_min_k4). */
static void k4_scale_min(const uint8_t *sc, int j, int *s, int *m) {
    if (j < 4) {
        *s = sc[j] & 63;
        *m = sc[j + 4] & 63;
    } else {
        *s = (sc[j + 4] & 15) | (sc[j - 4] >> 6) << 4;
        *m = (sc[j + 4] >> 4) | (sc[j] >> 6) << 4;
    }
}

/* Q4_K: f16 d, f16 dmin, scales[12], qs[128]; Q5_K adds qh[32] before qs. Sub-block j (32 values)
 * is the low (j even) or high nibbles of qs[32 (j / 2) ..]; Q5_K's fifth bit is bit j of qh[e % 32]. */
static void deq_q45_K(const uint8_t *b, float *y, int five) {
    const float d = f16_at(b), dmin = f16_at(b + 2);
    const uint8_t *sc = b + 4, *qh = b + 16, *qs = b + (five ? 48 : 16);
    for (int j = 0; j < 8; j++) {
        int s, m;
        k4_scale_min(sc, j, &s, &m);
        const float dl = d * (float)s, ml = dmin * (float)m;
        for (int l = 0; l < 32; l++) {
            int q = (qs[j / 2 * 32 + l] >> (j % 2 * 4)) & 15;
            if (five) q += (qh[l] >> j) & 1 ? 16 : 0;
            y[j * 32 + l] = dl * (float)q - ml;
        }
    }
}

/* Q6_K: ql[128], qh[64], int8 scales[16], f16 d. Value e = 128 n + 32 t + l: low 4 bits in
 * ql[64 n + 32 (t % 2) + l] (high nibble for t >= 2), high 2 bits at bit 2 t of qh[32 n + l]. */
static void deq_q6_K(const uint8_t *b, float *y) {
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    const float d = f16_at(b + 208);
    for (int e = 0; e < 256; e++) {
        const int n = e / 128, t = e % 128 / 32, l = e % 32;
        const int q = (((ql[64 * n + 32 * (t % 2) + l] >> (t / 2 * 4)) & 15) | ((qh[32 * n + l] >> (2 * t)) & 3) << 4) - 32;
        y[e] = d * (float)sc[e / 16] * (float)q;
    }
}

static void deq_iq4_nl(const uint8_t *b, float *y) {
    const float d = f16_at(b);
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)iq4nl_values[b[2 + j] & 15];
        y[16 + j] = d * (float)iq4nl_values[b[2 + j] >> 4];
    }
}

/* IQ4_XS: f16 d, u16 scales_h, scales_l[4], qs[128]; sub-block j's 6-bit scale is nibble j % 2
 * of scales_l[j / 2] with bits 2 j of scales_h above it, minus 32. */
static void deq_iq4_xs(const uint8_t *b, float *y) {
    const float d = f16_at(b);
    const unsigned sh = (unsigned)b[2] | (unsigned)b[3] << 8;
    for (int j = 0; j < 8; j++) {
        const int ls = ((b[4 + j / 2] >> (j % 2 * 4)) & 15) | (int)((sh >> (2 * j)) & 3) << 4;
        const float dl = d * (float)(ls - 32);
        const uint8_t *qs = b + 8 + 16 * j;
        for (int l = 0; l < 16; l++) {
            y[32 * j + l] = dl * (float)iq4nl_values[qs[l] & 15];
            y[32 * j + 16 + l] = dl * (float)iq4nl_values[qs[l] >> 4];
        }
    }
}

vkattn_status vkattn_dequantize(vkattn_dtype dtype, const void *src, uint64_t n, float *dst) {
    const uint32_t block = vkattn_dtype_block(dtype);
    if (!src || !dst) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "dequantize: src or dst is NULL");
    if (dtype == VKATTN_I32 || (unsigned)dtype > VKATTN_IQ4_XS)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "dequantize: dtype %s (%d) holds no floats",
                            vkattn_dtype_string(dtype), (int)dtype);
    if (n % block)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "dequantize: n = %llu is not a multiple of %s's block size %u",
                            (unsigned long long)n, vkattn_dtype_string(dtype), block);
    const uint8_t *p = src;
    const uint64_t bb = vkattn_dtype_bytes(dtype, block);
    for (uint64_t i = 0; i < n / block; i++, p += bb, dst += block) {
        switch (dtype) {
        case VKATTN_F32: memcpy(dst, p, 4); break;
        case VKATTN_F16: dst[0] = f16_at(p); break;
        case VKATTN_BF16: {
            uint16_t h;
            memcpy(&h, p, 2);
            dst[0] = vkattn__bf16_to_f32(h);
            break;
        }
        case VKATTN_Q8_0: vkattn_dequantize_q8_0(p, 32, dst); break;
        case VKATTN_Q4_0: vkattn_dequantize_q4_0(p, 32, dst); break;
        case VKATTN_Q4_1: deq_q4_1(p, dst); break;
        case VKATTN_Q5_0: deq_q5(p, dst, 0); break;
        case VKATTN_Q5_1: deq_q5(p, dst, 1); break;
        case VKATTN_Q2_K: deq_q2_K(p, dst); break;
        case VKATTN_Q3_K: deq_q3_K(p, dst); break;
        case VKATTN_Q4_K: deq_q45_K(p, dst, 0); break;
        case VKATTN_Q5_K: deq_q45_K(p, dst, 1); break;
        case VKATTN_Q6_K: deq_q6_K(p, dst); break;
        case VKATTN_IQ4_NL: deq_iq4_nl(p, dst); break;
        case VKATTN_IQ4_XS: deq_iq4_xs(p, dst); break;
        case VKATTN_I32: break;
        }
    }
    return VKATTN_OK;
}
