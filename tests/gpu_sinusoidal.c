/* Sinusoidal positional encoding against ref_sinusoidal (double): written
 * (y = PE, broadcast over leading dims) and added (y = x + PE), odd D, KV-cache
 * offsets, a strided output view, f32 and f16. Tolerance relative to the
 * output's scale: OT_TOL_F32 / OT_TOL_F16 plus 3e-7 x the largest position
 * (f32 angles, see gpu_rope.c). */
#include "opstest.h"

static void check_case(vkattn_context *ctx, vkattn_dtype dt, uint32_t ndim, const int64_t *shape, int64_t offset,
                       int add) {
    size_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) n *= (size_t)shape[i];
    int64_t l = shape[ndim - 2], d = shape[ndim - 1];
    size_t per = (size_t)(l * d);
    float *x = ot_data(n, -1, 1, dt), *pe = th_alloc(per), *want = th_alloc(n);
    ref_sinusoidal(l, d, offset, pe);
    for (size_t i = 0; i < n; i++) want[i] = (add ? x[i] : 0) + pe[i % per];
    vkattn_tensor *tx = th_tensor(ctx, dt, ndim, shape, x), *ty = th_tensor(ctx, dt, ndim, shape, NULL);
    CHECK_OK(ctx, vkattn_sinusoidal(ctx, add ? tx : NULL, ty, offset));
    char what[96];
    snprintf(what, sizeof what, "sinusoidal %s L=%lld D=%lld offset=%lld add=%d", vkattn_dtype_string(dt), (long long)l,
             (long long)d, (long long)offset, add);
    ot_check(ctx, what, ty, want, ot_tol(dt) + 3e-7 * (double)(offset + l));
    free(x), free(pe), free(want);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ty);
}

/* y = columns [3, 3 + 10) of a [7, 16] tensor: PE [7, 10] lands there, the rest stays 0. */
static void check_view(vkattn_context *ctx, vkattn_dtype dt) {
    int64_t sshape[2] = {7, 16}, vshape[2] = {7, 10}, vstride[2] = {16, 1};
    float *pe = th_alloc(70), *want = th_alloc(112);
    ref_sinusoidal(7, 10, 2, pe);
    for (int r = 0; r < 7; r++)
        for (int c = 0; c < 10; c++) want[r * 16 + 3 + c] = pe[r * 10 + c];
    vkattn_tensor *t = th_tensor(ctx, dt, 2, sshape, NULL), *v;
    CHECK_OK(ctx, vkattn_fill(ctx, t, 0));
    CHECK_OK(ctx, vkattn_tensor_view(t, 3, 2, vshape, vstride, &v));
    CHECK_OK(ctx, vkattn_sinusoidal(ctx, NULL, v, 2));
    ot_check(ctx, "sinusoidal into a strided view", t, want, ot_tol(dt));
    free(pe), free(want);
    vkattn_tensor_destroy(v), vkattn_tensor_destroy(t);
}

static void check_errors(vkattn_context *ctx) {
    int64_t s[2] = {4, 8}, s1[1] = {8}, s2[2] = {4, 9};
    vkattn_tensor *y = th_tensor(ctx, VKATTN_F32, 2, s, NULL), *y1 = th_tensor(ctx, VKATTN_F32, 1, s1, NULL);
    vkattn_tensor *x2 = th_tensor(ctx, VKATTN_F32, 2, s2, NULL);
    CHECK_STATUS(ctx, vkattn_sinusoidal(ctx, NULL, y1, 0), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_sinusoidal(ctx, x2, y, 0), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_sinusoidal(ctx, NULL, y, -1), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_sinusoidal(ctx, NULL, NULL, 0), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(y), vkattn_tensor_destroy(y1), vkattn_tensor_destroy(x2);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(19);
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    static const int64_t s1[2] = {37, 64}, s2[3] = {2, 9, 33}, s3[3] = {3, 11, 20}, s4[4] = {2, 2, 5, 512};
    for (int k = 0; k < ndt; k++) {
        check_case(ctx, dts[k], 2, s1, 0, 0);
        check_case(ctx, dts[k], 3, s2, 5, 0);
        check_case(ctx, dts[k], 3, s3, 1000, 1);
        check_case(ctx, dts[k], 4, s4, 0, 1);
        check_view(ctx, dts[k]);
    }
    check_errors(ctx);
    return th_finish(ctx);
}
