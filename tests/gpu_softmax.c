/* Softmax over the last dim against ref_softmax: row lengths 1, 33, 300 (over
 * the workgroup), 32000 and 152000 (vocabularies); -inf entries and fully -inf
 * rows (zeros); large offsets (stability); a transposed view in place; f32 and
 * f16; again with subgroup arithmetic off. Tolerances: OT_TOL_F32 / OT_TOL_F16
 * relative to the output's scale. */
#include "opstest.h"

#include <math.h>

static void check_case(vkattn_context *ctx, vkattn_dtype dt, uint32_t ndim, const int64_t *shape, float offset,
                       int masked) {
    size_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) n *= (size_t)shape[i];
    size_t d = (size_t)shape[ndim - 1], rows = n / d;
    float *x = ot_data(n, -6, 6, dt), *want = th_alloc(n);
    for (size_t i = 0; i < n; i++) x[i] += offset;
    if (dt == VKATTN_F16) th_round_f16(x, n);
    if (masked) {
        for (size_t i = 0; i < n; i += 3) x[i] = -INFINITY; /* every third entry */
        for (size_t i = 0; i < d; i++) x[(rows / 2) * d + i] = -INFINITY; /* one whole row */
    }
    vkattn_tensor *tx = th_tensor(ctx, dt, ndim, shape, x), *ty = th_tensor(ctx, dt, ndim, shape, NULL);
    CHECK_OK(ctx, vkattn_softmax(ctx, tx, ty));
    ref_softmax(x, rows, d, want);
    char what[96];
    snprintf(what, sizeof what, "softmax %s rows=%zu d=%zu offset=%g masked=%d", vkattn_dtype_string(dt), rows, d,
             offset, masked);
    float *got = th_download(ctx, ty);
    th_expect_close(what, got, want, n, ot_tol(dt));
    if (masked) { /* exact zeros where masked, no NaN */
        int bad = 0;
        for (size_t i = 0; i < n; i++) bad += (x[i] == -INFINITY && got[i] != 0) || isnan(got[i]);
        CHECK(bad == 0, "%s: %d masked entries not exactly 0", what, bad);
    }
    free(got), free(x), free(want);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ty);
}

/* softmax over dim 0 of a [d, rows] storage: the view [rows, d] has last-dim stride rows. */
static void check_view_inplace(vkattn_context *ctx, vkattn_dtype dt) {
    size_t rows = 19, d = 301, n = rows * d;
    float *x = ot_data(n, -5, 5, dt), *store = th_alloc(n), *want = th_alloc(n), *back = th_alloc(n);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < d; i++) store[i * rows + r] = x[r * d + i];
    int64_t sshape[2] = {(int64_t)d, (int64_t)rows}, vshape[2] = {(int64_t)rows, (int64_t)d},
            vstride[2] = {1, (int64_t)rows};
    vkattn_tensor *base = th_tensor(ctx, dt, 2, sshape, store), *view;
    CHECK_OK(ctx, vkattn_tensor_view(base, 0, 2, vshape, vstride, &view));
    CHECK_OK(ctx, vkattn_softmax(ctx, view, view));
    ref_softmax(x, rows, d, want);
    float *got = th_download(ctx, base);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < d; i++) back[r * d + i] = got[i * rows + r];
    th_expect_close("softmax transposed view in place", back, want, n, ot_tol(dt));
    free(x), free(store), free(want), free(back), free(got);
    vkattn_tensor_destroy(view), vkattn_tensor_destroy(base);
}

static void check_all(vkattn_context *ctx) {
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    static const int64_t s1[2] = {3, 1}, s2[2] = {7, 33}, s3[4] = {2, 3, 5, 300}, s4[2] = {2, 32000},
                         s5[2] = {1, 152000};
    for (int k = 0; k < ndt; k++) {
        vkattn_dtype dt = dts[k];
        check_case(ctx, dt, 2, s1, 0, 0);
        check_case(ctx, dt, 2, s2, 0, 0);
        check_case(ctx, dt, 2, s2, 0, 1);
        check_case(ctx, dt, 4, s3, 0, 1);
        check_case(ctx, dt, 2, s4, 0, 0);
        check_case(ctx, dt, 2, s5, 0, 0);
        check_case(ctx, dt, 2, s2, dt == VKATTN_F16 ? 3e4f : 1e6f, 0); /* exp(x) alone would overflow */
        check_view_inplace(ctx, dt);
    }
}

static void check_errors(vkattn_context *ctx) {
    int64_t s[2] = {4, 8}, s2[2] = {4, 9};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 2, s, NULL), *y = th_tensor(ctx, VKATTN_F32, 2, s2, NULL);
    vkattn_tensor *x16 = th_tensor(ctx, VKATTN_F16, 2, s, NULL), *xi;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, s, &xi));
    CHECK_STATUS(ctx, vkattn_softmax(ctx, x, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_softmax(ctx, xi, xi), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_softmax(ctx, x, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_softmax(ctx, x16, x), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(y), vkattn_tensor_destroy(x16), vkattn_tensor_destroy(xi);
}

int main(void) { return ot_main_twice(13, check_all, check_errors); }
