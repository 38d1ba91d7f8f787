/* Argmax over the last dim (ties: lowest index). Records shaders/argmax.comp
 * (subgroup reductions when the device has them, a shared-memory tree otherwise). */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], xs[4];
    uint32_t x_off, i_off, rows;
    uint32_t row0;
} argmax_push; /* matches shaders/argmax.comp */

vkattn_status vkattn_argmax(vkattn_context *ctx, const vkattn_tensor *x, vkattn_tensor *indices) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "argmax: ctx is NULL");
    if ((st = ou_check_param(ctx, x, "argmax", "x"))) return st;
    argmax_push p = {.x_off = (uint32_t)x->offset};
    ou_layout4(x, p.shape, p.xs);
    p.rows = p.shape[0] * p.shape[1] * p.shape[2];
    if ((st = ou_check_rows_out(ctx, indices, VKATTN_I32, p.rows, 1, "argmax", "indices"))) return st;
    p.i_off = (uint32_t)indices->offset;
    char name[32];
    vkattn__dispatch d = {
        .shader = ou_shader(ctx, name, sizeof name, "argmax", x->dtype == VKATTN_F16, ctx->info.subgroup_arithmetic),
        .subgroup = ctx->info.subgroup_arithmetic ? ctx->info.subgroup_size : 0,
        .spec = {ou_row_wg(ctx, p.shape[3])}, .n_spec = 1, .push = &p, .push_size = sizeof p,
        .args = {{x, VKATTN__READ, 0, 0}, {indices, VKATTN__WRITE, 0, 0}}, .n_args = 2};
    ou_rowbind rb[2] = {ou_rows_of(0, &p.x_off, x), {1, &p.i_off, indices, 1, 1}};
    return ou_run_rows(ctx, &d, p.rows, &p.row0, rb, 2);
}
