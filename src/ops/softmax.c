/* Softmax over the last dimension. Records shaders/softmax.comp (subgroup
 * reductions when the device has them, a shared-memory tree otherwise). */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], xs[4], ys[4];
    uint32_t x_off, y_off, rows;
    uint32_t row0;
} softmax_push; /* matches shaders/softmax.comp */

vkattn_status vkattn_softmax(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *y) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "softmax: ctx is NULL");
    if ((st = ou_check_param(ctx, x, "softmax", "x")) || (st = ou_check_param(ctx, y, "softmax", "y"))) return st;
    if (!ou_same_shape(x, y) || x->dtype != y->dtype)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "softmax: x and y must have the same shape and dtype");
    softmax_push p = {.x_off = (uint32_t)x->offset, .y_off = (uint32_t)y->offset};
    ou_layout4(x, p.shape, p.xs);
    ou_layout4(y, NULL, p.ys);
    p.rows = p.shape[0] * p.shape[1] * p.shape[2];
    char name[32];
    vkattn__dispatch d = {
        .shader = ou_shader(ctx, name, sizeof name, "softmax", x->dtype == VKATTN_F16, ctx->info.subgroup_arithmetic),
        .subgroup = ctx->info.subgroup_arithmetic ? ctx->info.subgroup_size : 0,
        .spec = {ou_row_wg(ctx, p.shape[3])}, .n_spec = 1, .push = &p, .push_size = sizeof p,
        .args = {{x, VKATTN__READ, 0, 0}, {y, VKATTN__WRITE, 0, 0}}, .n_args = 2};
    ou_rowbind rb[2] = {ou_rows_of(0, &p.x_off, x), ou_rows_of(1, &p.y_off, y)};
    return ou_run_rows(ctx, &d, p.rows, &p.row0, rb, 2);
}
