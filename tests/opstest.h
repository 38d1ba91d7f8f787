/* Shared by the ops tests (gpu_norm.c, gpu_unary.c, ...): dtypes to cover on
 * this device, inputs rounded like their storage, a context with subgroup
 * arithmetic switched off, and the standard tolerances. */
#ifndef VKATTN_OPSTEST_H
#define VKATTN_OPSTEST_H

#include "harness.h"
#include "vkattn_ref.h"

#include <string.h>

/* Tolerances relative to the output's scale (max |ref|). f32: f32 arithmetic
 * against a double reference. f16: inputs are rounded to f16 before the
 * reference runs, so the error is the output's f16 rounding (2^-11 of a value)
 * plus f32 arithmetic. */
#define OT_TOL_F32 2e-6
#define OT_TOL_F16 1e-3

static inline double ot_tol(vkattn_dtype dt) { return dt == VKATTN_F16 ? OT_TOL_F16 : OT_TOL_F32; }

/* Random data in [lo, hi), rounded to f16 when the tensor will be f16. */
static inline float *ot_data(size_t n, float lo, float hi, vkattn_dtype dt) {
    float *x = th_alloc(n);
    th_fill_uniform(x, n, lo, hi);
    if (dt == VKATTN_F16) th_round_f16(x, n);
    return x;
}

/* Downloads y and compares with want (n values). */
static inline int ot_check(vkattn_context *ctx, const char *what, const vkattn_tensor *y, const float *want,
                           double tol) {
    size_t n = vkattn_tensor_numel(y);
    float *got = th_download(ctx, y);
    int ok = th_expect_close(what, got, want, n, tol);
    free(got);
    return ok;
}

/* The dtypes ops with packed-f16 kernels run on every device: F32 and F16 (float16_t with
 * 16-bit storage, packed words without). */
static inline int ot_dtypes(vkattn_context *ctx, vkattn_dtype dts[2]) {
    (void)ctx;
    dts[0] = VKATTN_F32;
    dts[1] = VKATTN_F16;
    return 2;
}


/* A second context with VKATTN_DISABLE_SUBGROUP=1, so the shared-memory
 * reduction paths run too; NULL (with a note) when the device has no subgroup
 * arithmetic anyway, i.e. the first context already ran the fallback. */
static inline vkattn_context *ot_context_without_subgroups(vkattn_context *ctx) {
    if (!vkattn_context_device(ctx)->subgroup_arithmetic) {
        printf("note: no subgroup arithmetic: only the shared-memory reductions ran\n");
        return NULL;
    }
    setenv("VKATTN_DISABLE_SUBGROUP", "1", 1);
    vkattn_context *c2 = th_context();
    unsetenv("VKATTN_DISABLE_SUBGROUP");
    CHECK(!vkattn_context_device(c2)->subgroup_arithmetic, "VKATTN_DISABLE_SUBGROUP=1 left subgroup arithmetic on");
    printf("second pass: subgroup arithmetic off (shared-memory reductions)\n");
    return c2;
}

/* Finishes a secondary context: validation-clean, destroyed. */
static inline void ot_finish_secondary(vkattn_context *c2) {
    if (!c2) return;
    char first[1024];
    uint32_t n = vkattn_context_validation_messages(c2, first, sizeof first);
    CHECK(n == 0, "%u validation message(s) on the second context; first: %s", n, first);
    vkattn_context_destroy(c2);
}

/* main() of a test whose numerics should also run without subgroup
 * arithmetic: all(ctx), errors(ctx), then all() on a second context. */
static inline int ot_main_twice(uint64_t seed, void (*all)(vkattn_context *), void (*errors)(vkattn_context *)) {
    vkattn_context *ctx = th_context();
    th_seed(seed);
    all(ctx);
    errors(ctx);
    vkattn_context *c2 = ot_context_without_subgroups(ctx);
    if (c2) all(c2);
    ot_finish_secondary(c2);
    return th_finish(ctx);
}

#endif
