/* Test weights on the device in f32, f16 or a block type, shared by the layer tests. The host copy is replaced by
 * exactly what the device holds (f16-rounded or dequantized), so the references use the same numbers. Q8_0 and
 * Q4_0 come from the host quantizer; the other block types are random blocks (th_random_blocks). */
#ifndef VKATTN_TEST_WEIGHTS_H
#define VKATTN_TEST_WEIGHTS_H

#include "harness.h"

#include <math.h>
#include <string.h>

/* cnt values of block type dt as random blocks: random bytes, then every f16 field (scales, mins)
 * set to a finite random value of magnitude up to amp / div, div being about the largest
 * |quant x sub-scale| of the type, so that values fall roughly into [-amp, amp] (a small amp gives
 * f16 subnormal scales). Field offsets: ggml's block_<type>. */
static void th_random_blocks(vkattn_dtype dt, uint64_t cnt, uint8_t *q, float amp) {
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
    for (uint64_t i = 0; i < bytes; i++) q[i] = (uint8_t)((uint32_t)th_uniform(0, 256) & 255u);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (types[t].dt != dt) continue;
        for (uint64_t b = 0; b < bytes; b += bb)
            for (int f = 0; f < types[t].nf; f++) {
                uint16_t h = th_f16_bits(th_uniform(-amp, amp) / types[t].div);
                memcpy(q + b + types[t].off[f], &h, 2);
            }
        return;
    }
    CHECK(0, "th_random_blocks: %s is not a block type", vkattn_dtype_string(dt));
}

static vkattn_tensor *th_weight(vkattn_context *ctx, vkattn_dtype wdt, int64_t n, int64_t k, float *w) {
    int64_t dims[2] = {n, k};
    if (vkattn_dtype_block(wdt) == 1) {
        if (wdt == VKATTN_F16) th_round_f16(w, (size_t)(n * k));
        return th_tensor(ctx, wdt, 2, dims, w);
    }
    vkattn_tensor *t = NULL;
    size_t bytes = vkattn_dtype_bytes(wdt, (uint64_t)(n * k));
    uint8_t *q = malloc(bytes);
    CHECK(q != NULL, "out of memory");
    uint64_t cnt = (uint64_t)(n * k);
    if (wdt == VKATTN_Q8_0) CHECK_OK(NULL, vkattn_quantize_q8_0(w, cnt, q));
    else if (wdt == VKATTN_Q4_0) CHECK_OK(NULL, vkattn_quantize_q4_0(w, cnt, q));
    else { /* amplitude of w's values */
        float amp = 0;
        for (uint64_t i = 0; i < cnt; i++) amp = fmaxf(amp, fabsf(w[i]));
        th_random_blocks(wdt, cnt, q, amp);
    }
    CHECK_OK(NULL, vkattn_dequantize(wdt, q, cnt, w));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, wdt, 2, dims, &t));
    CHECK_OK(ctx, vkattn_tensor_upload(t, q, bytes));
    free(q);
    return t;
}

#endif
