/* Residual add / multiply with a broadcast operand, and learned position
 * embeddings as an add of a row range of the table. Records shaders/add.comp. */
#include "opsutil.h"

typedef struct {
    uint32_t shape[4], as[4], bs[4], ys[4];
    uint32_t a_off, b_off, y_off, n;
    uint32_t flags;
} add_push; /* matches shaders/add.comp */

static vkattn_status binary(vkattn_context *ctx, const char *op, int mul, const vkattn_tensor *a,
                            const vkattn_tensor *b, vkattn_tensor *y) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", op);
    if ((st = ou_check_param(ctx, a, op, "a")) || (st = ou_check_param(ctx, b, op, "b")) ||
        (st = ou_check_param(ctx, y, op, "y")))
        return st;
    if (!ou_same_shape(a, y) || a->dtype != y->dtype)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: a and y must have the same shape and dtype", op);
    /* b's dims align with a's trailing dims; each is a's size or 1 (broadcast) */
    char sa[80], sb[80];
    int bad = b->ndim > a->ndim;
    add_push p = {.a_off = (uint32_t)a->offset, .b_off = (uint32_t)b->offset, .y_off = (uint32_t)y->offset,
                  .n = (uint32_t)vkattn_tensor_numel(a), .flags = (b->dtype == VKATTN_F16 ? 1u : 0u) | (mul ? 2u : 0u)};
    for (uint32_t j = 0; !bad && j < b->ndim; j++) {
        uint32_t ad = a->ndim - b->ndim + j; /* a's dim */
        if (b->shape[j] != a->shape[ad] && b->shape[j] != 1) bad = 1;
        else p.bs[4 - a->ndim + ad] = b->shape[j] == 1 ? 0 : (uint32_t)b->strides[j];
    }
    if (bad)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: b %s does not broadcast to a %s (b's dims match a's trailing dims, each equal or 1)",
                            op, ou_shape_str(b, sb, sizeof sb), ou_shape_str(a, sa, sizeof sa));
    ou_layout4(a, p.shape, p.as);
    ou_layout4(y, NULL, p.ys);
    uint32_t wg = ou_wg(ctx, 256);
    char name[32];
    vkattn__dispatch d = {.shader = ou_variant(ctx, name, sizeof name, "add", a->dtype), .label = op,
                          .spec = {wg}, .n_spec = 1, .push = &p, .push_size = sizeof p,
                          .args = {{a, VKATTN__READ, 0, 0}, {b, VKATTN__READ, 0, 0}, {y, VKATTN__WRITE, 0, 0}},
                          .n_args = 3};
    vkattn__grid_1d(vkattn__div_up(p.n, wg), d.groups);
    return ou_run(ctx, &d);
}

vkattn_status vkattn_add(vkattn_context *ctx, const vkattn_tensor *a, const vkattn_tensor *b, vkattn_tensor *y) {
    return binary(ctx, "add", 0, a, b, y);
}

vkattn_status vkattn_mul(vkattn_context *ctx, const vkattn_tensor *a, const vkattn_tensor *b, vkattn_tensor *y) {
    return binary(ctx, "mul", 1, a, b, y);
}

vkattn_status vkattn_position_embedding(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_tensor *table,
                                        int64_t offset, vkattn_tensor *y) {
    const char *op = "position_embedding";
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", op);
    if ((st = ou_check_param(ctx, x, op, "x")) || (st = ou_check_param(ctx, table, op, "table"))) return st;
    if (x->ndim < 2 || table->ndim != 2 || table->shape[1] != x->shape[x->ndim - 1]) {
        char sx[80], st2[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: x %s must be [..., L, D] and table %s [Lmax, D]",
                            op, ou_shape_str(x, sx, sizeof sx), ou_shape_str(table, st2, sizeof st2));
    }
    int64_t l = x->shape[x->ndim - 2];
    if (offset < 0 || offset + l > table->shape[0])
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: positions [%lld, %lld) are outside the table's %lld rows", op, (long long)offset,
                            (long long)(offset + l), (long long)table->shape[0]);
    /* rows [offset, offset + L) of the table, as a view on the stack */
    vkattn_tensor rows = *table;
    rows.is_view = 1;
    rows.offset = table->offset + (uint64_t)offset * (uint64_t)table->strides[0];
    rows.shape[0] = l;
    return binary(ctx, op, 0, x, &rows, y);
}
