/* Gated linear units y = act(gate) * up: SwiGLU (silu, LLaMA's MLP) and GeGLU
 * (gelu). Records shaders/glu.comp. */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], gs[4], us[4], ys[4];
    uint32_t g_off, u_off, y_off, n;
} glu_push; /* matches shaders/glu.comp */

enum { ACT_SILU = 1, ACT_GELU_ERF = 2, ACT_GELU_TANH = 3 }; /* shaders/act.glsl */

static vkattn_status glu(vkattn_context *ctx, const char *op, uint32_t act, const vkattn_tensor *gate,
                         const vkattn_tensor *up, vkattn_tensor *y) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", op);
    if ((st = ou_check_param(ctx, gate, op, "gate")) || (st = ou_check_param(ctx, up, op, "up")) ||
        (st = ou_check_param(ctx, y, op, "y")))
        return st;
    if (!ou_same_shape(gate, up) || !ou_same_shape(gate, y) || gate->dtype != up->dtype || gate->dtype != y->dtype) {
        char a[80], b[80], c[80];
        return vkattn__fail(
            ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: gate %s %s, up %s %s and y %s %s must have one shape and dtype",
            op, ou_shape_str(gate, a, sizeof a), vkattn_dtype_string(gate->dtype), ou_shape_str(up, b, sizeof b),
            vkattn_dtype_string(up->dtype), ou_shape_str(y, c, sizeof c), vkattn_dtype_string(y->dtype));
    }
    glu_push p = {.g_off = (uint32_t)gate->offset, .u_off = (uint32_t)up->offset, .y_off = (uint32_t)y->offset,
                  .n = (uint32_t)vkattn_tensor_numel(y)};
    ou_layout4(gate, p.shape, p.gs);
    ou_layout4(up, NULL, p.us);
    ou_layout4(y, NULL, p.ys);
    uint32_t wg = ou_wg(ctx, 256);
    char name[32];
    vkattn__dispatch d = {.shader = ou_variant(ctx, name, sizeof name, "glu", y->dtype), .label = op,
                          .spec = {wg, act}, .n_spec = 2, .push = &p, .push_size = sizeof p,
                          .args = {{gate, VKATTN__READ, 0, 0}, {up, VKATTN__READ, 0, 0}, {y, VKATTN__WRITE, 0, 0}},
                          .n_args = 3};
    vkattn__grid_1d(vkattn__div_up(p.n, wg), d.groups);
    return ou_run(ctx, &d);
}

vkattn_status vkattn_swiglu(vkattn_context *ctx, const vkattn_tensor *gate, const vkattn_tensor *up, vkattn_tensor *y) {
    return glu(ctx, "swiglu", ACT_SILU, gate, up, y);
}

vkattn_status vkattn_geglu(vkattn_context *ctx, const vkattn_tensor *gate, const vkattn_tensor *up, vkattn_tensor *y,
                           int approximate_tanh) {
    return glu(ctx, approximate_tanh ? "geglu_tanh" : "geglu", approximate_tanh ? ACT_GELU_TANH : ACT_GELU_ERF, gate,
               up, y);
}
