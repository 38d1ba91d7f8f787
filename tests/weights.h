/* Test weights on the device in f32, f16 or a block type, shared by the layer tests. The host copy is replaced by
 * exactly what the device holds (f16-rounded or dequantized), so the references use the same numbers. Q8_0 and
 * Q4_0 come from the host quantizer; the other block types are random blocks (th_random_blocks). */
#ifndef VKATTN_TEST_WEIGHTS_H
#define VKATTN_TEST_WEIGHTS_H

#include "harness.h"
#include "vkattn_ref.h"

#include <math.h>
#include <string.h>

/* cnt values of block type dt as random blocks (ref_random_blocks, from th_uniform's sequence). */
static void th_random_blocks(vkattn_dtype dt, uint64_t cnt, uint8_t *q, float amp) {
    CHECK(vkattn_dtype_block(dt) > 1, "th_random_blocks: %s is not a block type", vkattn_dtype_string(dt));
    ref_random_blocks(dt, cnt, q, amp, th_uniform);
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
