/* Sinusoidal positional encoding (Vaswani et al.): y = PE or y = x + PE for
 * positions offset .. offset + L - 1 along dim -2. Records shaders/sinusoidal.comp. */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], xs[4], ys[4];
    uint32_t x_off, y_off, n, has_x;
    int32_t offset;
    float c_hi, c_lo;
} sinusoidal_push; /* matches shaders/sinusoidal.comp */

vkattn_status vkattn_sinusoidal(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y, int64_t offset) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "sinusoidal: ctx is NULL");
    if ((st = ou_check_param(ctx, y, "sinusoidal", "y")) || (x && (st = ou_check_param(ctx, x, "sinusoidal", "x"))))
        return st;
    if (x && (!ou_same_shape(x, y) || x->dtype != y->dtype))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "sinusoidal: x and y must have the same shape and dtype");
    if (y->ndim < 2) {
        char s[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "sinusoidal: y %s must be [..., L, D]",
                            ou_shape_str(y, s, sizeof s));
    }
    sinusoidal_push p = {.y_off = (uint32_t)y->offset, .n = (uint32_t)vkattn_tensor_numel(y), .has_x = x != NULL};
    ou_layout4(y, p.shape, p.ys);
    if (x) {
        ou_layout4(x, NULL, p.xs);
        p.x_off = (uint32_t)x->offset;
    }
    if (offset < 0 || offset + p.shape[2] > (int64_t)INT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "sinusoidal: offset %lld must be in [0, 2^31 - L)",
                            (long long)offset);
    p.offset = (int32_t)offset;
    ou_freq_split(10000.0, p.shape[3], &p.c_hi, &p.c_lo);
    uint32_t wg = ou_wg(ctx, 256);
    char name[32];
    vkattn__dispatch d = {.shader = ou_variant(ctx, name, sizeof name, "sinusoidal", y->dtype), .spec = {wg},
                          .n_spec = 1, .push = &p, .push_size = sizeof p,
                          .args = {{x ? x : y, VKATTN__READ, 0, 0}, {y, VKATTN__WRITE, 0, 0}}, .n_args = 2};
    vkattn__grid_1d(vkattn__div_up(p.n, wg), d.groups);
    return ou_run(ctx, &d);
}
