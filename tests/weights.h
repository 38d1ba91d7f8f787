/* Test weights on the device in f32, f16, q8_0 or q4_0, shared by the layer tests. The host copy is replaced by
 * exactly what the device holds (f16-rounded or dequantized), so the references use the same numbers. */
#ifndef VKATTN_TEST_WEIGHTS_H
#define VKATTN_TEST_WEIGHTS_H

#include "harness.h"

static vkattn_tensor *th_weight(vkattn_context *ctx, vkattn_dtype wdt, int64_t n, int64_t k, float *w) {
    int64_t dims[2] = {n, k};
    if (wdt != VKATTN_Q8_0 && wdt != VKATTN_Q4_0) {
        if (wdt == VKATTN_F16) th_round_f16(w, (size_t)(n * k));
        return th_tensor(ctx, wdt, 2, dims, w);
    }
    vkattn_tensor *t = NULL;
    size_t bytes = vkattn_dtype_bytes(wdt, (uint64_t)(n * k));
    void *q = malloc(bytes);
    CHECK(q != NULL, "out of memory");
    uint64_t cnt = (uint64_t)(n * k);
    CHECK_OK(NULL, wdt == VKATTN_Q8_0 ? vkattn_quantize_q8_0(w, cnt, q) : vkattn_quantize_q4_0(w, cnt, q));
    CHECK_OK(NULL, wdt == VKATTN_Q8_0 ? vkattn_dequantize_q8_0(q, cnt, w) : vkattn_dequantize_q4_0(q, cnt, w));
    CHECK_OK(ctx, vkattn_tensor_create(ctx, wdt, 2, dims, &t));
    CHECK_OK(ctx, vkattn_tensor_upload(t, q, bytes));
    free(q);
    return t;
}

#endif
