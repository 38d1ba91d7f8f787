/* add / mul with broadcasting and learned position embeddings against
 * ref_broadcast: b of [D], [L, D], [H, 1, D], [B, 1, 1, 1], [1] and full shape;
 * f16 b on f32 a (any device); in place; a strided view; f32 and f16.
 * Tolerances: OT_TOL_F32 / OT_TOL_F16 relative to the output's scale. */
#include "opstest.h"

static const int64_t ASHAPE[4] = {2, 3, 5, 7};

/* b given by its own ndim/shape; bs4 is the same right-aligned into 4 dims. */
static void check_case(vkattn_context *ctx, vkattn_dtype dt, vkattn_dtype bdt, int mul, uint32_t bnd,
                       const int64_t *bshape) {
    size_t n = 2 * 3 * 5 * 7, nb = 1;
    int64_t bs4[4] = {1, 1, 1, 1};
    for (uint32_t i = 0; i < bnd; i++) {
        nb *= (size_t)bshape[i];
        bs4[4 - bnd + i] = bshape[i];
    }
    float *a = ot_data(n, -4, 4, dt), *b = ot_data(nb, -2, 2, bdt), *want = th_alloc(n);
    vkattn_tensor *ta = th_tensor(ctx, dt, 4, ASHAPE, a), *tb = th_tensor(ctx, bdt, bnd, bshape, b);
    vkattn_tensor *ty = th_tensor(ctx, dt, 4, ASHAPE, NULL);
    CHECK_OK(ctx, mul ? vkattn_mul(ctx, ta, tb, ty) : vkattn_add(ctx, ta, tb, ty));
    ref_broadcast(a, ASHAPE, b, bs4, mul, want);
    char what[96];
    snprintf(what, sizeof what, "%s %s b%s ndim %u [.., %lld]", mul ? "mul" : "add", vkattn_dtype_string(dt),
             vkattn_dtype_string(bdt), bnd, (long long)bshape[bnd - 1]);
    ot_check(ctx, what, ty, want, ot_tol(dt));
    CHECK_OK(ctx, mul ? vkattn_mul(ctx, ta, tb, ta) : vkattn_add(ctx, ta, tb, ta)); /* in place */
    ot_check(ctx, what, ta, want, ot_tol(dt));
    free(a), free(b), free(want);
    vkattn_tensor_destroy(ta), vkattn_tensor_destroy(tb), vkattn_tensor_destroy(ty);
}

/* a = columns 2..8 of a [9, 11] storage (a strided view), b [7]. */
static void check_view(vkattn_context *ctx, vkattn_dtype dt) {
    int64_t sshape[2] = {9, 11}, vshape[2] = {9, 7}, vstride[2] = {11, 1}, bshape[1] = {7}, a4[4] = {1, 1, 9, 7},
            b4[4] = {1, 1, 1, 7};
    float *store = ot_data(99, -3, 3, dt), *a = th_alloc(63), *b = ot_data(7, -1, 1, dt), *want = th_alloc(63);
    for (int r = 0; r < 9; r++)
        for (int c = 0; c < 7; c++) a[r * 7 + c] = store[r * 11 + 2 + c];
    vkattn_tensor *base = th_tensor(ctx, dt, 2, sshape, store), *tb = th_tensor(ctx, dt, 1, bshape, b);
    vkattn_tensor *ty = th_tensor(ctx, dt, 2, vshape, NULL), *view;
    CHECK_OK(ctx, vkattn_tensor_view(base, 2, 2, vshape, vstride, &view));
    CHECK_OK(ctx, vkattn_add(ctx, view, tb, ty));
    ref_broadcast(a, a4, b, b4, 0, want);
    ot_check(ctx, "add strided view", ty, want, ot_tol(dt));
    free(store), free(a), free(b), free(want);
    vkattn_tensor_destroy(view), vkattn_tensor_destroy(base), vkattn_tensor_destroy(tb), vkattn_tensor_destroy(ty);
}

/* x [3, 5, 7] + table[9 .. 14) of a [20, 7] table. */
static void check_positions(vkattn_context *ctx, vkattn_dtype dt, vkattn_dtype tdt) {
    int64_t xshape[3] = {3, 5, 7}, tshape[2] = {20, 7}, x4[4] = {1, 3, 5, 7}, r4[4] = {1, 1, 5, 7};
    float *x = ot_data(105, -2, 2, dt), *table = ot_data(140, -1, 1, tdt), *want = th_alloc(105);
    vkattn_tensor *tx = th_tensor(ctx, dt, 3, xshape, x), *tt = th_tensor(ctx, tdt, 2, tshape, table);
    vkattn_tensor *ty = th_tensor(ctx, dt, 3, xshape, NULL);
    CHECK_OK(ctx, vkattn_position_embedding(ctx, tx, tt, 9, ty));
    ref_broadcast(x, x4, table + 9 * 7, r4, 0, want);
    char what[64];
    snprintf(what, sizeof what, "position_embedding %s table %s", vkattn_dtype_string(dt), vkattn_dtype_string(tdt));
    ot_check(ctx, what, ty, want, ot_tol(dt));
    /* offset at the end of the table */
    CHECK_OK(ctx, vkattn_position_embedding(ctx, tx, tt, 15, ty));
    ref_broadcast(x, x4, table + 15 * 7, r4, 0, want);
    ot_check(ctx, what, ty, want, ot_tol(dt));
    CHECK_STATUS(ctx, vkattn_position_embedding(ctx, tx, tt, 16, ty), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_position_embedding(ctx, tx, tt, -1, ty), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_position_embedding(ctx, tx, tx, 0, ty), VKATTN_ERROR_INVALID_ARGUMENT);
    free(x), free(table), free(want);
    vkattn_tensor_destroy(tx), vkattn_tensor_destroy(tt), vkattn_tensor_destroy(ty);
}

static void check_errors(vkattn_context *ctx) {
    int64_t s[2] = {4, 8}, b6[1] = {6}, b3[3] = {1, 4, 8};
    vkattn_tensor *a = th_tensor(ctx, VKATTN_F32, 2, s, NULL), *bad = th_tensor(ctx, VKATTN_F32, 1, b6, NULL);
    vkattn_tensor *deep = th_tensor(ctx, VKATTN_F32, 3, b3, NULL);
    CHECK_STATUS(ctx, vkattn_add(ctx, a, bad, a), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(ctx), "broadcast") != NULL, "message: %s", vkattn_context_error(ctx));
    CHECK_STATUS(ctx, vkattn_add(ctx, a, deep, a), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_mul(ctx, a, NULL, a), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(ctx, vkattn_add(ctx, a, a, deep), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tensor_destroy(a), vkattn_tensor_destroy(bad), vkattn_tensor_destroy(deep);
}

int main(void) {
    vkattn_context *ctx = th_context();
    th_seed(3);
    vkattn_dtype dts[2];
    int ndt = ot_dtypes(ctx, dts);
    static const int64_t b1[1] = {7}, b2[2] = {5, 7}, b3[3] = {3, 1, 7}, b4[4] = {2, 1, 1, 1}, b5[1] = {1},
                         b6[4] = {2, 3, 5, 7};
    for (int k = 0; k < ndt; k++)
        for (int mul = 0; mul < 2; mul++) {
            check_case(ctx, dts[k], dts[k], mul, 1, b1);
            check_case(ctx, dts[k], dts[k], mul, 2, b2);
            check_case(ctx, dts[k], dts[k], mul, 3, b3);
            check_case(ctx, dts[k], dts[k], mul, 4, b4);
            check_case(ctx, dts[k], dts[k], mul, 1, b5);
            check_case(ctx, dts[k], dts[k], mul, 4, b6);
        }
    for (int k = 0; k < ndt; k++) {
        check_view(ctx, dts[k]);
        check_positions(ctx, dts[k], VKATTN_F32);
    }
    /* f16 parameters with f32 activations: every device */
    check_case(ctx, VKATTN_F32, VKATTN_F16, 0, 2, b2);
    check_positions(ctx, VKATTN_F32, VKATTN_F16);
    check_errors(ctx);
    return th_finish(ctx);
}
