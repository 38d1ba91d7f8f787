/* dtype names and sizes; half / bfloat16 conversions (round to nearest even). */
#include "base.h"

#include <math.h>

const char *vkattn_dtype_string(vkattn_dtype d) {
    switch (d) {
    case VKATTN_F32: return "f32";
    case VKATTN_F16: return "f16";
    case VKATTN_BF16: return "bf16";
    case VKATTN_I32: return "i32";
    case VKATTN_Q8_0: return "q8_0";
    case VKATTN_Q4_0: return "q4_0";
    case VKATTN_Q4_1: return "q4_1";
    case VKATTN_Q5_0: return "q5_0";
    case VKATTN_Q5_1: return "q5_1";
    case VKATTN_Q2_K: return "q2_K";
    case VKATTN_Q3_K: return "q3_K";
    case VKATTN_Q4_K: return "q4_K";
    case VKATTN_Q5_K: return "q5_K";
    case VKATTN_Q6_K: return "q6_K";
    case VKATTN_IQ4_NL: return "iq4_nl";
    case VKATTN_IQ4_XS: return "iq4_xs";
    }
    return "?";
}

/* Bytes of one block (ggml's sizeof(block_<type>)); elements per block in vkattn_dtype_block. */
static uint32_t block_bytes(vkattn_dtype d) {
    switch (d) {
    case VKATTN_F32:
    case VKATTN_I32: return 4;
    case VKATTN_F16:
    case VKATTN_BF16: return 2;
    case VKATTN_Q8_0: return 34;
    case VKATTN_Q4_0: return 18;
    case VKATTN_Q4_1: return 20;
    case VKATTN_Q5_0: return 22;
    case VKATTN_Q5_1: return 24;
    case VKATTN_Q2_K: return 84;
    case VKATTN_Q3_K: return 110;
    case VKATTN_Q4_K: return 144;
    case VKATTN_Q5_K: return 176;
    case VKATTN_Q6_K: return 210;
    case VKATTN_IQ4_NL: return 18;
    case VKATTN_IQ4_XS: return 136;
    }
    return 0;
}

uint32_t vkattn_dtype_block(vkattn_dtype d) {
    switch (d) {
    case VKATTN_Q2_K:
    case VKATTN_Q3_K:
    case VKATTN_Q4_K:
    case VKATTN_Q5_K:
    case VKATTN_Q6_K:
    case VKATTN_IQ4_XS: return 256;
    case VKATTN_Q8_0:
    case VKATTN_Q4_0:
    case VKATTN_Q4_1:
    case VKATTN_Q5_0:
    case VKATTN_Q5_1:
    case VKATTN_IQ4_NL: return 32;
    default: return 1;
    }
}

uint64_t vkattn_dtype_bytes(vkattn_dtype d, uint64_t n) { return n / vkattn_dtype_block(d) * block_bytes(d); }

uint16_t vkattn__f32_to_f16(float f) {
    union { float f; uint32_t u; } c = {f};
    uint32_t x = c.u, sign = (x >> 16) & 0x8000u;
    uint32_t mant = x & 0x7fffffu;
    int32_t exp = (int32_t)((x >> 23) & 0xff);
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0)); /* inf / nan */
    exp = exp - 127 + 15;
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u);                           /* overflow: inf */
    if (exp <= 0) {                                                              /* subnormal */
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t h = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++; /* round to nearest even; may carry into exp */
    return (uint16_t)(sign | h);
}

float vkattn__f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
    if (exp == 0) {
        if (mant == 0) x = sign;
        else { /* subnormal */
            float v = ldexpf((float)mant, -24);
            return sign ? -v : v;
        }
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp + 112) << 23) | (mant << 13);
    }
    union { uint32_t u; float f; } c = {x};
    return c.f;
}

uint16_t vkattn__f32_to_bf16(float f) {
    union { float f; uint32_t u; } c = {f};
    if ((c.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((c.u >> 16) | 0x40); /* quiet nan */
    uint32_t round = 0x7fffu + ((c.u >> 16) & 1);
    return (uint16_t)((c.u + round) >> 16);
}

float vkattn__bf16_to_f32(uint16_t h) {
    union { uint32_t u; float f; } c = {(uint32_t)h << 16};
    return c.f;
}

