/* LayerNorm and RMSNorm against ref_layer_norm / ref_rms_norm: odd row
 * lengths (1, 33, 300 > workgroup, 4096), with and without weight/bias, f16
 * weights on f32 activations, a transposed in-place view, f32 and f16 storage,
 * and again with subgroup arithmetic off. Tolerances: OT_TOL_F32 / OT_TOL_F16. */
#include "opstest.h"

#include <math.h>

static vkattn_status run(vkattn_context *ctx, int rms, const vkattn_tensor *x, const vkattn_tensor *w,
                         const vkattn_tensor *b, float eps, vkattn_tensor *y) {
    return rms ? vkattn_rms_norm(ctx, x, w, eps, y) : vkattn_layer_norm(ctx, x, w, b, eps, y);
}

static void reference(int rms, const float *x, const float *w, const float *b, float eps, size_t rows, size_t d,
                      float *y) {
    if (rms) ref_rms_norm(x, w, eps, rows, d, y);
    else ref_layer_norm(x, w, b, eps, rows, d, y);
}

/* One case: x of `shape` (contiguous) -> new y; params of dtype pdt. */
static void check_case(vkattn_context *ctx, vkattn_dtype dt, vkattn_dtype pdt, int rms, uint32_t ndim,
                       const int64_t *shape, int hw, int hb, float eps) {
    size_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) n *= (size_t)shape[i];
    size_t d = (size_t)shape[ndim - 1], rows = n / d;
    float *x = ot_data(n, -3, 5, dt), *w = ot_data(d, 0.5f, 1.5f, pdt), *b = ot_data(d, -1, 1, pdt),
          *want = th_alloc(n);
    int64_t pshape[1] = {(int64_t)d};
    vkattn_tensor *tx = th_tensor(ctx, dt, ndim, shape, x), *ty = th_tensor(ctx, dt, ndim, shape, NULL);
    vkattn_tensor *tw = hw ? th_tensor(ctx, pdt, 1, pshape, w) : NULL,
                  *tb = hb ? th_tensor(ctx, pdt, 1, pshape, b) : NULL;
    CHECK_OK(ctx, run(ctx, rms, tx, tw, tb, eps, ty));
    reference(rms, x, hw ? w : NULL, hb ? b : NULL, eps, rows, d, want);
    char what[128];
    snprintf(what, sizeof what, "%s %s rows=%zu d=%zu w=%d(%s) b=%d eps=%g", rms ? "rms_norm" : "layer_norm",
             vkattn_dtype_string(dt), rows, d, hw, vkattn_dtype_string(pdt), hb, eps);
    ot_check(ctx, what, ty, want, ot_tol(dt));
    free(x), free(w), free(b), free(want);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ty), vkattn_tensor_destroy(tw), vkattn_tensor_destroy(tb);
}

/* x is a transposed view ([rows, d] over storage [d, rows]: last-dim stride
 * = rows) and the op runs in place. */
static void check_view_inplace(vkattn_context *ctx, vkattn_dtype dt, int rms) {
    size_t rows = 37, d = 129, n = rows * d;
    float *x = ot_data(n, -2, 2, dt), *store = th_alloc(n), *w = ot_data(d, -1, 1, dt), *want = th_alloc(n);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < d; i++) store[i * rows + r] = x[r * d + i];
    int64_t sshape[2] = {(int64_t)d, (int64_t)rows}, vshape[2] = {(int64_t)rows, (int64_t)d},
            vstride[2] = {1, (int64_t)rows};
    int64_t pshape[1] = {(int64_t)d};
    vkattn_tensor *base = th_tensor(ctx, dt, 2, sshape, store), *tw = th_tensor(ctx, dt, 1, pshape, w), *view;
    CHECK_OK(ctx, vkattn_tensor_view(base, 0, 2, vshape, vstride, &view));
    CHECK_OK(ctx, run(ctx, rms, view, tw, tw, 1e-5f, view));
    reference(rms, x, w, w, 1e-5f, rows, d, want);
    float *got = th_download(ctx, base), *back = th_alloc(n);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < d; i++) back[r * d + i] = got[i * rows + r];
    char what[96];
    snprintf(what, sizeof what, "%s %s transposed view, in place", rms ? "rms_norm" : "layer_norm",
             vkattn_dtype_string(dt));
    th_expect_close(what, back, want, n, ot_tol(dt));
    free(x), free(store), free(w), free(want), free(got), free(back);
    vkattn_tensor_destroy(view), vkattn_tensor_destroy(base), vkattn_tensor_destroy(tw);
}

static void check_all(vkattn_context *ctx) {
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    static const int64_t s1[2] = {7, 33}, s2[2] = {3, 1}, s3[4] = {2, 3, 5, 300}, s4[2] = {2, 4096},
                         s5[3] = {150, 2, 17};
    for (int k = 0; k < ndt; k++) {
        vkattn_dtype dt = dts[k];
        for (int rms = 0; rms < 2; rms++) {
            check_case(ctx, dt, VKATTN_F32, rms, 2, s1, 1, 1, 1e-5f);
            check_case(ctx, dt, VKATTN_F32, rms, 2, s1, 0, 0, 1e-5f);
            check_case(ctx, dt, VKATTN_F32, rms, 2, s1, 1, 0, 1e-2f);
            check_case(ctx, dt, VKATTN_F32, rms, 2, s2, 1, 1, 1e-5f);
            check_case(ctx, dt, VKATTN_F32, rms, 4, s3, 1, 1, 1e-6f);
            check_case(ctx, dt, VKATTN_F32, rms, 2, s4, 1, 1, 1e-5f);
            check_case(ctx, dt, VKATTN_F32, rms, 3, s5, 0, 1, 1e-5f);
            check_view_inplace(ctx, dt, rms);
        }
    }
    /* f16 parameters with f32 activations run everywhere (packed words) */
    check_case(ctx, VKATTN_F32, VKATTN_F16, 0, 2, s1, 1, 1, 1e-5f);
    check_case(ctx, VKATTN_F32, VKATTN_F16, 1, 4, s3, 1, 0, 1e-5f);
}

static void check_errors(vkattn_context *ctx) {
    int64_t s[2] = {4, 8}, s2[2] = {4, 9}, p8[1] = {8}, p9[1] = {9}, p2[2] = {1, 8};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 2, s, NULL), *y = th_tensor(ctx, VKATTN_F32, 2, s, NULL);
    vkattn_tensor *ybad = th_tensor(ctx, VKATTN_F32, 2, s2, NULL), *w9 = th_tensor(ctx, VKATTN_F32, 1, p9, NULL);
    vkattn_tensor *w2d = th_tensor(ctx, VKATTN_F32, 2, p2, NULL), *w8 = th_tensor(ctx, VKATTN_F32, 1, p8, NULL);
    vkattn_tensor *xi, *x16 = th_tensor(ctx, VKATTN_F16, 2, s, NULL);
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, s, &xi));
    CHECK_STATUS(ctx, vkattn_layer_norm(ctx, x, w8, w8, 1e-5f, ybad), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_layer_norm(ctx, x, w9, NULL, 1e-5f, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "weight") != NULL, "message: %s", vkattn_context_error(ctx));
    CHECK_STATUS(ctx, vkattn_layer_norm(ctx, x, NULL, w2d, 1e-5f, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_rms_norm(ctx, x, w8, -1.0f, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_rms_norm(ctx, x, w8, NAN, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_rms_norm(ctx, xi, NULL, 1e-5f, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_rms_norm(ctx, NULL, NULL, 1e-5f, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_rms_norm(NULL, x, NULL, 1e-5f, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_layer_norm(ctx, x16, NULL, NULL, 1e-5f, y), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(y), vkattn_tensor_destroy(ybad), vkattn_tensor_destroy(w9);
    vkattn_tensor_destroy(w2d), vkattn_tensor_destroy(w8), vkattn_tensor_destroy(xi), vkattn_tensor_destroy(x16);
}

int main(void) { return ot_main_twice(11, check_all, check_errors); }
