/* LayerNorm and RMSNorm over the last dimension. Records shaders/norm.comp
 * (subgroup reductions when the device has them, a shared-memory tree otherwise). */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], xs[4], ys[4];
    uint32_t x_off, y_off, w_off, b_off;
    uint32_t w_stride, b_stride, flags, rows;
    float eps;
    uint32_t row0;
} norm_push; /* matches shaders/norm.comp */

/* weight/bias: NULL or a 1-D [D] f32/f16 tensor (any stride). */
static vkattn_status check_vec(vkattn_context *ctx, const vkattn_tensor *v, int64_t d, const char *op,
                               const char *name) {
    vkattn_status st = ou_check_param(ctx, v, op, name);
    if (st) return st;
    if (v->ndim != 1 || v->shape[0] != d) {
        char s[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: %s has shape %s; expected [%lld] (the last dim of x)", op, name,
                            ou_shape_str(v, s, sizeof s), (long long)d);
    }
    return VKATTN_OK;
}

static vkattn_status norm(vkattn_context *ctx, const char *op, int rms, const vkattn_tensor *x, const vkattn_tensor *w,
                          const vkattn_tensor *b, float eps, vkattn_tensor *y) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", op);
    /* f16 on any device: packed words without 16-bit storage (the "_pk" variants) */
    if ((st = ou_check_param(ctx, x, op, "x")) || (st = ou_check_param(ctx, y, op, "y"))) return st;
    if (!ou_same_shape(x, y) || x->dtype != y->dtype)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: x and y must have the same shape and dtype", op);
    int64_t d = x->shape[x->ndim - 1];
    if (w && (st = check_vec(ctx, w, d, op, "weight"))) return st;
    if (b && (st = check_vec(ctx, b, d, op, "bias"))) return st;
    if (!(eps >= 0) || !isfinite(eps))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: eps must be finite and >= 0 (is %g)", op, eps);

    norm_push p = {.x_off = (uint32_t)x->offset, .y_off = (uint32_t)y->offset, .eps = eps};
    if (w) {
        p.flags |= 1u | (w->dtype == VKATTN_F16 ? 4u : 0u);
        p.w_off = (uint32_t)w->offset;
        p.w_stride = (uint32_t)w->strides[0];
    }
    if (b) {
        p.flags |= 2u | (b->dtype == VKATTN_F16 ? 8u : 0u);
        p.b_off = (uint32_t)b->offset;
        p.b_stride = (uint32_t)b->strides[0];
    }
    ou_layout4(x, p.shape, p.xs);
    ou_layout4(y, NULL, p.ys);
    p.rows = p.shape[0] * p.shape[1] * p.shape[2];
    char name[32];
    vkattn__dispatch dp = {
        .shader = ou_shader(ctx, name, sizeof name, "norm", x->dtype == VKATTN_F16, ctx->info.subgroup_arithmetic),
        .subgroup = ctx->info.subgroup_arithmetic ? ctx->info.subgroup_size : 0,
        .label = op,
        .spec = {ou_row_wg(ctx, (uint64_t)d), (uint32_t)rms},
        .n_spec = 2, .push = &p, .push_size = sizeof p,
        /* absent weight/bias bind x: never read */
        .args = {{x, VKATTN__READ, 0, 0}, {y, VKATTN__WRITE, 0, 0}, {w ? w : x, VKATTN__READ, 0, 0},
                 {b ? b : x, VKATTN__READ, 0, 0}},
        .n_args = 4,
    };
    ou_rowbind rb[4] = {ou_rows_of(0, &p.x_off, x), ou_rows_of(1, &p.y_off, y)};
    uint32_t n = 2;
    if (!w) rb[n++] = ou_rows_of(2, NULL, x);
    if (!b) rb[n++] = ou_rows_of(3, NULL, x);
    return ou_run_rows(ctx, &dp, p.rows, &p.row0, rb, n);
}

vkattn_status vkattn_layer_norm(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *weight,
                                const vkattn_tensor *bias, float eps, vkattn_tensor *y) {
    return norm(ctx, "layer_norm", 0, x, weight, bias, eps, y);
}

vkattn_status vkattn_rms_norm(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *weight, float eps,
                              vkattn_tensor *y) {
    return norm(ctx, "rms_norm", 1, x, weight, NULL, eps, y);
}
