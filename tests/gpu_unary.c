/* ReLU, SiLU, GELU (erf and tanh forms), scale and softcap against ref_activation / tanh:
 * odd sizes, a transposed view into a contiguous output, in place, extreme
 * inputs (no NaN from exp overflow), f32 and f16. Tolerances relative to the
 * output's scale: f32 1e-5 (a one-element output in the far tail is its own
 * scale, and Vulkan allows exp 3 + 2|x| ulp), f16 OT_TOL_F16; extremes 1e-5 of
 * each value. */
#include "opstest.h"

#include <math.h>

enum { RELU, SILU, GELU, GELU_TANH, SCALE, SOFTCAP, N_OPS };
static const char *names[N_OPS] = {"relu", "silu", "gelu", "gelu_tanh", "scale", "softcap"};
static const float ALPHA = -0.3125f, CAP = 3.0f;

static double tol(vkattn_dtype dt) { return dt == VKATTN_F16 ? OT_TOL_F16 : 1e-5; }

static vkattn_status run(vkattn_context *ctx, int op, const vkattn_tensor *x, vkattn_tensor *y) {
    switch (op) {
    case RELU: return vkattn_relu(ctx, x, y);
    case SILU: return vkattn_silu(ctx, x, y);
    case GELU: return vkattn_gelu(ctx, x, y, 0);
    case GELU_TANH: return vkattn_gelu(ctx, x, y, 1);
    case SOFTCAP: return vkattn_softcap(ctx, x, CAP, y);
    default: return vkattn_scale(ctx, x, ALPHA, y);
    }
}

static void reference(int op, const float *x, size_t n, float *y) {
    static const ref_act acts[] = {REF_RELU, REF_SILU, REF_GELU, REF_GELU_TANH};
    if (op == SCALE)
        for (size_t i = 0; i < n; i++) y[i] = ALPHA * x[i];
    else if (op == SOFTCAP)
        for (size_t i = 0; i < n; i++) y[i] = (float)(CAP * tanh(x[i] / (double)CAP));
    else ref_unary(acts[op], x, n, y);
}

static void check_case(vkattn_context *ctx, vkattn_dtype dt, int op, uint32_t ndim, const int64_t *shape) {
    size_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) n *= (size_t)shape[i];
    float *x = ot_data(n, -8, 8, dt), *want = th_alloc(n);
    vkattn_tensor *tx = th_tensor(ctx, dt, ndim, shape, x), *ty = th_tensor(ctx, dt, ndim, shape, NULL);
    CHECK_OK(ctx, run(ctx, op, tx, ty));
    reference(op, x, n, want);
    char what[96];
    snprintf(what, sizeof what, "%s %s n=%zu", names[op], vkattn_dtype_string(dt), n);
    ot_check(ctx, what, ty, want, tol(dt));
    /* in place */
    CHECK_OK(ctx, run(ctx, op, tx, tx));
    snprintf(what, sizeof what, "%s %s n=%zu in place", names[op], vkattn_dtype_string(dt), n);
    ot_check(ctx, what, tx, want, tol(dt));
    free(x), free(want);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ty);
}

/* x: [13, 29] view of storage [29, 13] (strides 1, 13) -> contiguous y. */
static void check_view(vkattn_context *ctx, vkattn_dtype dt, int op) {
    size_t r = 13, c = 29, n = r * c;
    float *store = ot_data(n, -6, 6, dt), *x = th_alloc(n), *want = th_alloc(n);
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++) x[i * c + j] = store[j * r + i];
    int64_t sshape[2] = {(int64_t)c, (int64_t)r}, vshape[2] = {(int64_t)r, (int64_t)c}, vstride[2] = {1, (int64_t)r};
    vkattn_tensor *base = th_tensor(ctx, dt, 2, sshape, store), *ty = th_tensor(ctx, dt, 2, vshape, NULL), *view;
    CHECK_OK(ctx, vkattn_tensor_view(base, 0, 2, vshape, vstride, &view));
    CHECK_OK(ctx, run(ctx, op, view, ty));
    reference(op, x, n, want);
    char what[96];
    snprintf(what, sizeof what, "%s %s transposed view", names[op], vkattn_dtype_string(dt));
    ot_check(ctx, what, ty, want, tol(dt));
    free(store), free(x), free(want);
    vkattn_tensor_destroy(view), vkattn_tensor_destroy(base), vkattn_tensor_destroy(ty);
}

/* Large |x|: finite results, each within 1e-5 of its own value (Vulkan allows exp
 * 3 + 2|x| ulp, so the far tails are less exact than 1 ulp). */
static void check_extremes(vkattn_context *ctx, int op) {
    float x[] = {-1e30f, -1e4f, -100, -30, -5, -1e-3f, 0, 1e-3f, 5, 30, 100, 1e4f, 1e30f};
    size_t n = sizeof x / sizeof x[0];
    float want[sizeof x / sizeof x[0]];
    int64_t shape[1] = {(int64_t)n};
    vkattn_tensor *t = th_tensor(ctx, VKATTN_F32, 1, shape, x);
    CHECK_OK(ctx, run(ctx, op, t, t));
    reference(op, x, n, want);
    float *got = th_download(ctx, t);
    for (size_t i = 0; i < n; i++)
        CHECK(isfinite(got[i]) && fabs((double)got[i] - want[i]) <= 1e-5 * fabs(want[i]) + 1e-30,
              "%s(%g) = %g, want %g", names[op], x[i], got[i], want[i]);
    free(got);
    vkattn_tensor_destroy(t);
}

static void check_errors(vkattn_context *ctx) {
    int64_t s[2] = {4, 8}, s2[2] = {8, 4};
    vkattn_tensor *x = th_tensor(ctx, VKATTN_F32, 2, s, NULL), *y = th_tensor(ctx, VKATTN_F32, 2, s2, NULL);
    vkattn_tensor *x16 = th_tensor(ctx, VKATTN_F16, 2, s, NULL), *xi;
    CHECK_OK(ctx, vkattn_tensor_create(ctx, VKATTN_I32, 2, s, &xi));
    CHECK_STATUS(ctx, vkattn_silu(ctx, x, y), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_gelu(ctx, xi, xi, 0), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_relu(ctx, NULL, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_scale(ctx, x, 2, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_softcap(ctx, x, 0, x), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_relu(ctx, x16, x), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(x), vkattn_tensor_destroy(y), vkattn_tensor_destroy(x16), vkattn_tensor_destroy(xi);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(5);
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    static const int64_t s1[1] = {1}, s2[4] = {3, 5, 7, 11}, s3[2] = {3, 20001};
    for (int k = 0; k < ndt; k++)
        for (int op = 0; op < N_OPS; op++) {
            check_case(ctx, dts[k], op, 1, s1);
            check_case(ctx, dts[k], op, 4, s2);
            check_case(ctx, dts[k], op, 2, s3);
            check_view(ctx, dts[k], op);
        }
    for (int op = 0; op < N_OPS; op++) check_extremes(ctx, op);
    check_errors(ctx);
    return th_finish(ctx);
}
