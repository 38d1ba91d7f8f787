/* The subgroup kernels on partially filled subgroups: gemm_ks (forced, M = 1 and 3, f32, Q8_0
 * whole-group and Q4_0 weights) and the reductions of reduce.glsl (softmax, RMS norm, argmax
 * over rows wider than a workgroup), each once as the driver runs them and once with
 * $VKATTN_TEST_IDLE_LANES=1, which makes every odd lane sit out, as GPUs that report a
 * subgroup size but run fewer lanes do (Intel SIMD8/16, MoltenVK on AMD). A kernel that
 * strides by gl_SubgroupSize instead of the active lanes loses half its K range there.
 * Devices without subgroup arithmetic (SwiftShader, *-fallback) run the other kernels. */
#include "harness.h"
#include "vkattn_ref.h"

#include <stdlib.h>
#include <string.h>

#define TOL 1e-5

static vkattn_tensor *weight(vkattn_context *ctx, vkattn_dtype dt, int64_t N, int64_t K, float *w) {
    int64_t shape[2] = {N, K};
    if (dt == VKATTN_F32) return th_tensor(ctx, dt, 2, shape, w);
    vkattn_tensor *t = NULL;
    size_t bytes = vkattn_dtype_bytes(dt, (uint64_t)(N * K));
    void *blocks = malloc(bytes);
    CHECK(blocks != NULL, "out of memory");
    CHECK_OK(ctx, vkattn_tensor_create(ctx, dt, 2, shape, &t));
    if (dt == VKATTN_Q8_0) {
        CHECK_OK(NULL, vkattn_quantize_q8_0(w, (uint64_t)(N * K), blocks));
        CHECK_OK(NULL, vkattn_dequantize_q8_0(blocks, (uint64_t)(N * K), w));
    } else {
        CHECK_OK(NULL, vkattn_quantize_q4_0(w, (uint64_t)(N * K), blocks));
        CHECK_OK(NULL, vkattn_dequantize_q4_0(blocks, (uint64_t)(N * K), w));
    }
    CHECK_OK(ctx, vkattn_tensor_upload(t, blocks, bytes));
    free(blocks);
    return t;
}

static void linear_case(vkattn_context *ctx, const char *mode, int64_t M, int64_t N, int64_t K, vkattn_dtype wdt) {
    float *x = th_alloc((size_t)(M * K)), *w = th_alloc((size_t)(N * K)), *want = th_alloc((size_t)(M * N));
    th_fill_uniform(x, (size_t)(M * K), -1, 1);
    th_fill_uniform(w, (size_t)(N * K), -1, 1);
    int64_t xs[2] = {M, K}, ys[2] = {M, N};
    vkattn_tensor *tx = th_tensor(ctx, VKATTN_F32, 2, xs, x), *tw = weight(ctx, wdt, N, K, w),
                  *ty = th_tensor(ctx, VKATTN_F32, 2, ys, NULL);
    ref_linear(x, w, NULL, want, M, N, K);
    CHECK_OK(ctx, vkattn_linear(ctx, tx, tw, NULL, ty));
    float *got = th_download(ctx, ty);
    char what[128];
    snprintf(what, sizeof what, "%s: gemm_ks M=%lld N=%lld K=%lld w %s", mode, (long long)M, (long long)N, (long long)K,
             vkattn_dtype_string(wdt));
    th_expect_close(what, got, want, (size_t)(M * N), TOL);
    free(x), free(w), free(want), free(got);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tw), vkattn_tensor_destroy(ty);
}

/* Rows of d values: softmax, RMS norm and argmax (d > 256 so every lane of the widest
 * workgroup holds several values and every subgroup a partial). */
static void rows_case(vkattn_context *ctx, const char *mode, int64_t rows, int64_t d) {
    size_t n = (size_t)(rows * d);
    float *x = th_alloc(n), *want = th_alloc(n), *w = th_alloc((size_t)d);
    th_fill_uniform(x, n, -4, 4);
    th_fill_uniform(w, (size_t)d, 0.5f, 1.5f);
    int64_t s[2] = {rows, d}, ws[1] = {d}, is[1] = {rows};
    vkattn_tensor *tx = th_tensor(ctx, VKATTN_F32, 2, s, x), *ty = th_tensor(ctx, VKATTN_F32, 2, s, NULL),
                  *tw = th_tensor(ctx, VKATTN_F32, 1, ws, w), *ti = NULL;
    char what[128];

    ref_softmax(x, (size_t)rows, (size_t)d, want);
    CHECK_OK(ctx, vkattn_softmax(ctx, tx, ty));
    float *got = th_download(ctx, ty);
    snprintf(what, sizeof what, "%s: softmax %lld x %lld", mode, (long long)rows, (long long)d);
    th_expect_close(what, got, want, n, TOL);
    free(got);

    ref_rms_norm(x, w, 1e-5f, (size_t)rows, (size_t)d, want);
    CHECK_OK(ctx, vkattn_rms_norm(ctx, tx, tw, 1e-5f, ty));
    got = th_download(ctx, ty);
    snprintf(what, sizeof what, "%s: rms_norm %lld x %lld", mode, (long long)rows, (long long)d);
    th_expect_close(what, got, want, n, TOL);
    free(got);

    int32_t *iwant = calloc((size_t)rows, sizeof *iwant), *igot = calloc((size_t)rows, sizeof *igot);
    CHECK(iwant && igot, "out of memory");
    ref_argmax(x, (size_t)rows, (size_t)d, iwant);
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 1, is, &ti));
    CHECK_OK(ctx, vkattn_argmax(ctx, tx, ti));
    CHECK_OK(ctx, vkattn_tensor_download(ti, igot, (size_t)rows * sizeof *igot));
    for (int64_t r = 0; r < rows; r++)
        CHECK(igot[r] == iwant[r], "%s: argmax row %lld: %d, want %d", mode, (long long)r, igot[r], iwant[r]);
    /* in one batch, norm reads what softmax wrote (a barrier between; synchronization
     * validation, $VKATTN_VALIDATE_SYNC=1, checks it) */
    float *sm = th_alloc(n);
    ref_softmax(x, (size_t)rows, (size_t)d, sm);
    ref_rms_norm(sm, w, 1e-5f, (size_t)rows, (size_t)d, want);
    vkattn_tensor *tz = th_tensor(ctx, VKATTN_F32, 2, s, NULL);
    CHECK_OK(ctx, vkattn_begin(ctx));
    CHECK_OK(ctx, vkattn_softmax(ctx, tx, ty));
    CHECK_OK(ctx, vkattn_rms_norm(ctx, ty, tw, 1e-5f, tz));
    CHECK_OK(ctx, vkattn_submit(ctx));
    got = th_download(ctx, tz);
    snprintf(what, sizeof what, "%s: softmax -> rms_norm in one batch", mode);
    th_expect_close(what, got, want, n, TOL);
    free(got), free(sm);
    vkattn_tensor_destroy(tz);
    free(iwant), free(igot), free(x), free(want), free(w);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ty), vkattn_tensor_destroy(tw), vkattn_tensor_destroy(ti);
}

static void run_all(const char *mode) {
    vkattn_context *ctx = th_context();
    th_seed(15);
    CHECK(setenv("VKATTN_GEMM", "ks", 1) == 0, "setenv");
    linear_case(ctx, mode, 1, 37, 203, VKATTN_F32);  /* K tail past the vec4 loop */
    linear_case(ctx, mode, 3, 21, 96, VKATTN_F32);
    linear_case(ctx, mode, 1, 9, 1024, VKATTN_Q8_0); /* whole 4-block groups: 64-bit words */
    linear_case(ctx, mode, 2, 11, 160, VKATTN_Q4_0);
    CHECK(unsetenv("VKATTN_GEMM") == 0, "unsetenv");
    rows_case(ctx, mode, 3, 1000);
    rows_case(ctx, mode, 2, 37);
    char first[1024];
    uint32_t n = vkattn_context_validation_messages(ctx, first, sizeof first);
    CHECK(n == 0, "%s: %u validation message(s); first: %s", mode, n, first);
    vkattn_context_destroy(ctx);
}

int main(void) {
    CHECK(unsetenv("VKATTN_TEST_IDLE_LANES") == 0, "unsetenv");
    run_all("full subgroups");
    CHECK(setenv("VKATTN_TEST_IDLE_LANES", "1", 1) == 0, "setenv");
    run_all("odd lanes idle");
    return th_finish(NULL);
}
