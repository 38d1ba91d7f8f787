/* Top-k over the last dim, sorted descending, ties to the lower index (k <= 256;
 * rows of any length). Records shaders/topk.comp. */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], xs[4];
    uint32_t x_off, v_off, i_off, rows;
    uint32_t k, has_vals;
    uint32_t row0;
} topk_push; /* matches shaders/topk.comp */

vkattn_status vkattn_topk(vkattn_context *ctx, const vkattn_tensor *x, uint32_t k, vkattn_tensor *values,
                          vkattn_tensor *indices) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "topk: ctx is NULL");
    if ((st = ou_check_param(ctx, x, "topk", "x"))) return st; /* f16: packed words without 16-bit storage */
    topk_push p = {.x_off = (uint32_t)x->offset, .k = k, .has_vals = values != NULL};
    ou_layout4(x, p.shape, p.xs);
    p.rows = p.shape[0] * p.shape[1] * p.shape[2];
    if (k == 0 || k > VKATTN_TOPK_MAX || k > p.shape[3])
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "topk: k = %u must be in 1 .. min(%d, row length %u)",
                            k, VKATTN_TOPK_MAX, p.shape[3]);
    if ((st = ou_check_rows_out(ctx, indices, VKATTN_I32, p.rows, k, "topk", "indices"))) return st;
    if (values && (st = ou_check_rows_out(ctx, values, x->dtype, p.rows, k, "topk", "values"))) return st;
    p.i_off = (uint32_t)indices->offset;
    p.v_off = values ? (uint32_t)values->offset : 0;
    /* the sort needs SORT >= k slots; the gather's prefix sum runs over the workgroup */
    uint32_t wg = ou_wg(ctx, 256);
    char name[32];
    vkattn__dispatch d = {.shader = ou_variant(ctx, name, sizeof name, "topk", x->dtype), .spec = {wg, ou_pow2_ceil(k)},
                          .n_spec = 2, .push = &p, .push_size = sizeof p,
                          .args = {{x, VKATTN__READ, 0, 0}, {values ? values : indices, VKATTN__WRITE, 0, 0},
                                   {indices, VKATTN__WRITE, 0, 0}},
                          .n_args = 3};
    ou_rowbind rb[3] = {ou_rows_of(0, &p.x_off, x), {2, &p.i_off, indices, k, k},
                        {1, values ? &p.v_off : NULL, values ? values : indices, k, k}};
    return ou_run_rows(ctx, &d, p.rows, &p.row0, rb, 3);
}
