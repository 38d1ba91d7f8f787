/* SwiGLU and GeGLU (erf, tanh) against ref_glu: separate gate/up tensors and
 * the two halves of a packed [.., 2F] tensor as views; odd sizes; f32 and f16.
 * Tolerances: OT_TOL_F32 / OT_TOL_F16 relative to the output's scale. */
#include "opstest.h"

enum { SWIGLU, GEGLU, GEGLU_TANH, N_OPS };
static const char *names[N_OPS] = {"swiglu", "geglu", "geglu_tanh"};
static const ref_act acts[N_OPS] = {REF_SILU, REF_GELU, REF_GELU_TANH};

static vkattn_status run(vkattn_context *ctx, int op, const vkattn_tensor *g, const vkattn_tensor *u,
                         vkattn_tensor *y) {
    return op == SWIGLU ? vkattn_swiglu(ctx, g, u, y) : vkattn_geglu(ctx, g, u, y, op == GEGLU_TANH);
}

static void check_separate(vkattn_context *ctx, vkattn_dtype dt, int op) {
    int64_t shape[3] = {5, 3, 37};
    size_t n = 5 * 3 * 37;
    float *g = ot_data(n, -6, 6, dt), *u = ot_data(n, -2, 2, dt), *want = th_alloc(n);
    vkattn_tensor *tg = th_tensor(ctx, dt, 3, shape, g), *tu = th_tensor(ctx, dt, 3, shape, u);
    vkattn_tensor *ty = th_tensor(ctx, dt, 3, shape, NULL);
    CHECK_OK(ctx, run(ctx, op, tg, tu, ty));
    ref_glu(acts[op], g, u, n, want);
    char what[64];
    snprintf(what, sizeof what, "%s %s separate", names[op], vkattn_dtype_string(dt));
    ot_check(ctx, what, ty, want, ot_tol(dt));
    CHECK_OK(ctx, run(ctx, op, tg, tu, tu)); /* into up, in place */
    snprintf(what, sizeof what, "%s %s into up", names[op], vkattn_dtype_string(dt));
    ot_check(ctx, what, tu, want, ot_tol(dt));
    free(g), free(u), free(want);
    vkattn_tensor_destroy(tg), vkattn_tensor_destroy(tu), vkattn_tensor_destroy(ty);
}

/* x [7, 2F] with F = 45: gate = x[:, :F], up = x[:, F:] (views). */
static void check_packed(vkattn_context *ctx, vkattn_dtype dt, int op) {
    int64_t rows = 7, f = 45, xshape[2] = {rows, 2 * f}, vshape[2] = {rows, f}, vstride[2] = {2 * f, 1};
    size_t n = (size_t)(rows * f);
    float *x = ot_data(2 * n, -5, 5, dt), *g = th_alloc(n), *u = th_alloc(n), *want = th_alloc(n);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < f; i++) {
            g[r * f + i] = x[r * 2 * f + i];
            u[r * f + i] = x[r * 2 * f + f + i];
        }
    vkattn_tensor *tx = th_tensor(ctx, dt, 2, xshape, x), *ty = th_tensor(ctx, dt, 2, vshape, NULL), *vg, *vu;
    CHECK_OK(ctx, vkattn_tensor_view(tx, 0, 2, vshape, vstride, &vg));
    CHECK_OK(ctx, vkattn_tensor_view(tx, (uint64_t)f, 2, vshape, vstride, &vu));
    CHECK_OK(ctx, run(ctx, op, vg, vu, ty));
    ref_glu(acts[op], g, u, n, want);
    char what[64];
    snprintf(what, sizeof what, "%s %s packed halves", names[op], vkattn_dtype_string(dt));
    ot_check(ctx, what, ty, want, ot_tol(dt));
    free(x), free(g), free(u), free(want);
    vkattn_tensor_destroy(vg), vkattn_tensor_destroy(vu), vkattn_tensor_destroy(tx), vkattn_tensor_destroy(ty);
}

static void check_errors(vkattn_context *ctx) {
    int64_t s[2] = {4, 8}, s2[2] = {4, 9};
    vkattn_tensor *a = th_tensor(ctx, VKATTN_F32, 2, s, NULL), *b = th_tensor(ctx, VKATTN_F32, 2, s2, NULL);
    vkattn_tensor *a16 = th_tensor(ctx, VKATTN_F16, 2, s, NULL);
    CHECK_STATUS(ctx, vkattn_swiglu(ctx, a, b, a), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "[4, 9]") != NULL, "message: %s", vkattn_context_error(ctx));
    CHECK_STATUS(ctx, vkattn_geglu(ctx, a, a, b, 0), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_geglu(ctx, a, NULL, a, 1), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_swiglu(ctx, a16, a, a), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(a), vkattn_tensor_destroy(b), vkattn_tensor_destroy(a16);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(7);
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    for (int k = 0; k < ndt; k++)
        for (int op = 0; op < N_OPS; op++) {
            check_separate(ctx, dts[k], op);
            check_packed(ctx, dts[k], op);
        }
    check_errors(ctx);
    return th_finish(ctx);
}
