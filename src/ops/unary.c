/* Elementwise activations and scale: ReLU, SiLU, GELU (erf / tanh), y = alpha x, soft-capping.
 * Records shaders/unary.comp (the activation is a specialization constant). */
#include "opsutil.h"

#include <math.h>

typedef struct {
    uint32_t shape[4], xs[4], ys[4];
    uint32_t x_off, y_off, n;
    float alpha;
} unary_push; /* matches shaders/unary.comp */

enum { ACT_RELU, ACT_SILU, ACT_GELU_ERF, ACT_GELU_TANH, ACT_SCALE, ACT_SOFTCAP }; /* shaders/act.glsl */

static vkattn_status unary(vkattn_context *ctx, const char *op, uint32_t act, const vkattn_tensor *x, float alpha,
                           vkattn_tensor *y) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", op);
    if ((st = ou_check_param(ctx, x, op, "x")) || (st = ou_check_param(ctx, y, op, "y"))) return st;
    if (!ou_same_shape(x, y) || x->dtype != y->dtype)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: x and y must have the same shape and dtype", op);
    unary_push p = {.x_off = (uint32_t)x->offset, .y_off = (uint32_t)y->offset, .n = (uint32_t)vkattn_tensor_numel(x),
                    .alpha = alpha};
    ou_layout4(x, p.shape, p.xs);
    ou_layout4(y, NULL, p.ys);
    uint32_t wg = ou_wg(ctx, 256);
    char name[32];
    vkattn__dispatch d = {.shader = ou_variant(ctx, name, sizeof name, "unary", x->dtype), .label = op,
                          .spec = {wg, act}, .n_spec = 2, .push = &p, .push_size = sizeof p,
                          .args = {{x, VKATTN__READ, 0, 0}, {y, VKATTN__WRITE, 0, 0}}, .n_args = 2};
    vkattn__grid_1d(vkattn__div_up(p.n, wg), d.groups);
    return ou_run(ctx, &d);
}

vkattn_status vkattn_relu(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y) {
    return unary(ctx, "relu", ACT_RELU, x, 1, y);
}

vkattn_status vkattn_silu(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y) {
    return unary(ctx, "silu", ACT_SILU, x, 1, y);
}

vkattn_status vkattn_gelu(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y, int approximate_tanh) {
    return unary(ctx, approximate_tanh ? "gelu_tanh" : "gelu", approximate_tanh ? ACT_GELU_TANH : ACT_GELU_ERF, x, 1,
                 y);
}

vkattn_status vkattn_scale(vkattn_context *ctx, const vkattn_tensor *x, float alpha, vkattn_tensor *y) {
    return unary(ctx, "scale", ACT_SCALE, x, alpha, y);
}

vkattn_status vkattn_softcap(vkattn_context *ctx, const vkattn_tensor *x, float cap, vkattn_tensor *y) {
    if (!(cap > 0) || !isfinite(cap)) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "softcap: cap %g must be finite and > 0", (double)cap);
    return unary(ctx, "softcap", ACT_SOFTCAP, x, cap, y);
}
