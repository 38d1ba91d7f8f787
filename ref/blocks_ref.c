/* Random GGUF blocks for tests and the self-test: weights of every block type without a host quantizer. */
#include "vkattn_ref.h"

#include <string.h>

/* f16 bits of x, round to nearest even (|x| <= 65504; subnormals kept). */
static uint16_t f16_bits(float x) {
    union { float f; uint32_t u; } c = {x};
    const uint32_t sign = (c.u >> 16) & 0x8000u, a = c.u & 0x7fffffffu;
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7bffu); /* clamp to the largest finite f16 */
    if (a < 0x38800000u) {                                 /* f16 subnormal or zero: units of 2^-24 */
        union { uint32_t u; float f; } v = {a};
        float q = v.f * 16777216.0f; /* exact: a power-of-two scale */
        uint32_t n = (uint32_t)q;
        float r = q - (float)n;
        if (r > 0.5f || (r == 0.5f && (n & 1u))) n++;
        return (uint16_t)(sign | n);
    }
    uint32_t m = a + 0xfffu + ((a >> 13) & 1u); /* round the 13 dropped mantissa bits to even */
    return (uint16_t)(sign | ((m - 0x38000000u) >> 13));
}

void ref_random_blocks(vkattn_dtype dt, uint64_t cnt, uint8_t *q, float amp, float (*uniform)(float lo, float hi)) {
    static const struct {
        vkattn_dtype dt;
        uint8_t nf;
        uint8_t off[2];
        float div;
    } types[] = {
        {VKATTN_Q8_0, 1, {0}, 127},        {VKATTN_Q4_0, 1, {0}, 8},          {VKATTN_Q4_1, 2, {0, 2}, 16},
        {VKATTN_Q5_0, 1, {0}, 16},         {VKATTN_Q5_1, 2, {0, 2}, 32},      {VKATTN_Q2_K, 2, {80, 82}, 45},
        {VKATTN_Q3_K, 1, {108}, 128},      {VKATTN_Q4_K, 2, {0, 2}, 945},     {VKATTN_Q5_K, 2, {0, 2}, 1953},
        {VKATTN_Q6_K, 1, {208}, 4064},     {VKATTN_IQ4_NL, 1, {0}, 127},      {VKATTN_IQ4_XS, 1, {0}, 4064},
    };
    const uint64_t bytes = vkattn_dtype_bytes(dt, cnt), bb = vkattn_dtype_bytes(dt, vkattn_dtype_block(dt));
    for (uint64_t i = 0; i < bytes; i++) q[i] = (uint8_t)((uint32_t)uniform(0, 256) & 255u);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (types[t].dt != dt) continue;
        for (uint64_t b = 0; b < bytes; b += bb)
            for (int f = 0; f < types[t].nf; f++) {
                uint16_t h = f16_bits(uniform(-amp, amp) / types[t].div);
                memcpy(q + b + types[t].off[f], &h, 2);
            }
        return;
    }
}
