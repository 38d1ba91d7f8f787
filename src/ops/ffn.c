/* Feed-forward layer: y = down(act(gate x) * (up x)) (+ residual), or the ungated
 * y = down(act(up x)) (+ residual), with optional biases. Composes vkattn_linear
 * with the elementwise ops inside one batch: a packed gate_up weight makes the two
 * input projections one GEMM; the gated activation is one pass (glu.comp) reading
 * both projections and writing h for the down GEMM; the ungated activation runs in
 * place. Intermediates are batch-scoped scratch tensors of x's dtype. */
#include "opsutil.h"

static vkattn_status check_weight(vkattn_context *ctx, const vkattn_tensor *w, int64_t rows, int64_t cols,
                                  const char *name) {
    vkattn_status st = vkattn__check_tensor(ctx, w, "ffn", name);
    if (st) return st;
    if (w->ndim != 2 || w->shape[0] != rows || w->shape[1] != cols) {
        char s[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: %s is %s, expected [%lld, %lld]", name,
                            ou_shape_str(w, s, sizeof s), (long long)rows, (long long)cols);
    }
    return VKATTN_OK;
}

/* NULL or F32 [n], as vkattn_linear takes biases: checked up front so that no
 * half-recorded layer is left in a caller's batch. */
static vkattn_status check_bias(vkattn_context *ctx, const vkattn_tensor *b, int64_t n, const char *name) {
    if (!b) return VKATTN_OK;
    vkattn_status st = vkattn__check_tensor(ctx, b, "ffn", name);
    if (st) return st;
    if (b->dtype != VKATTN_F32 || b->ndim != 1 || b->shape[0] != n || !vkattn_tensor_is_contiguous(b)) {
        char s[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: %s is %s %s, expected contiguous f32 [%lld]",
                            name, ou_shape_str(b, s, sizeof s), vkattn_dtype_string(b->dtype), (long long)n);
    }
    return VKATTN_OK;
}

/* rows x cols scratch of dtype dt, as a view shaped like x's leading dims + [cols]. */
static vkattn_status scratch_rows(vkattn_context *ctx, vkattn_dtype dt, const vkattn_tensor *x, int64_t cols,
                                  vkattn_tensor **out) {
    int64_t shape[VKATTN_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = cols;
    return vkattn__scratch(ctx, dt, x->ndim, shape, out);
}

/* Column block [c0, c0 + cols) of a contiguous [.., total] tensor, as a view on the stack. */
static vkattn_tensor column_block(const vkattn_tensor *t, int64_t c0, int64_t cols) {
    vkattn_tensor v = *t;
    v.is_view = 1;
    v.offset = t->offset + (uint64_t)c0;
    v.shape[t->ndim - 1] = cols;
    return v;
}

static vkattn_status record(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_ffn_weights *w,
                            vkattn_ffn_act act, const vkattn_tensor *residual, vkattn_tensor *y, int64_t f) {
    vkattn_status st;
    int gated = w->gate || w->gate_up;
    vkattn_tensor *h, *g = NULL;
    if (w->gate_up) {
        vkattn_tensor *gu;
        if ((st = scratch_rows(ctx, x->dtype, x, 2 * f, &gu)) ||
            (st = vkattn_linear(ctx, x, w->gate_up, w->gate_up_bias, gu)))
            return st;
        vkattn_tensor vg = column_block(gu, 0, f), vu = column_block(gu, f, f);
        if ((st = scratch_rows(ctx, x->dtype, x, f, &h))) return st;
        /* the gated product goes straight into a contiguous h, as down's GEMM wants */
        st = act == VKATTN_FFN_SILU ? vkattn_swiglu(ctx, &vg, &vu, h)
                                    : vkattn_geglu(ctx, &vg, &vu, h, act == VKATTN_FFN_GELU_TANH);
        if (st) return st;
    } else {
        if ((st = scratch_rows(ctx, x->dtype, x, f, &h)) || (st = vkattn_linear(ctx, x, w->up, w->up_bias, h)))
            return st;
        if (gated) {
            if ((st = scratch_rows(ctx, x->dtype, x, f, &g)) || (st = vkattn_linear(ctx, x, w->gate, w->gate_bias, g)))
                return st;
            st = act == VKATTN_FFN_SILU ? vkattn_swiglu(ctx, g, h, h)
                                        : vkattn_geglu(ctx, g, h, h, act == VKATTN_FFN_GELU_TANH);
        } else {
            st = act == VKATTN_FFN_RELU   ? vkattn_relu(ctx, h, h)
                 : act == VKATTN_FFN_SILU ? vkattn_silu(ctx, h, h)
                                          : vkattn_gelu(ctx, h, h, act == VKATTN_FFN_GELU_TANH);
        }
        if (st) return st;
    }
    if (!residual) return vkattn_linear(ctx, h, w->down, w->down_bias, y);
    /* a residual stored where y goes (y = x = residual) must be read before y is written */
    vkattn_tensor *o = y;
    if (ou_same_storage(residual, y) && (st = scratch_rows(ctx, y->dtype, y, y->shape[y->ndim - 1], &o))) return st;
    if ((st = vkattn_linear(ctx, h, w->down, w->down_bias, o))) return st;
    return vkattn_add(ctx, o, residual, y);
}

vkattn_status vkattn_ffn(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_ffn_weights *w, vkattn_ffn_act act,
                         const vkattn_tensor *residual, vkattn_tensor *y) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: ctx is NULL");
    if (!w) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: weights are NULL");
    if ((st = ou_check_param(ctx, x, "ffn", "x")) || (st = ou_check_param(ctx, y, "ffn", "y"))) return st;
    if ((unsigned)act > VKATTN_FFN_SILU)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: unknown activation %d", (int)act);
    if (w->gate_up && (w->gate || w->up))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: give either gate_up or gate / up, not both");
    int gated = w->gate || w->gate_up;
    if (gated && act == VKATTN_FFN_RELU)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: gated units take SiLU (SwiGLU) or GELU (GeGLU)");
    const vkattn_tensor *first = w->gate_up ? w->gate_up : w->up;
    if (!first || !w->down)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: up (or gate_up) and down weights are required");
    if ((st = vkattn__check_tensor(ctx, first, "ffn", w->gate_up ? "gate_up" : "up"))) return st;
    int64_t d = x->shape[x->ndim - 1], f = first->ndim == 2 ? first->shape[0] / (w->gate_up ? 2 : 1) : 0;
    if (f <= 0 || (w->gate_up && first->shape[0] % 2))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: %s must be [%sF, D]",
                            w->gate_up ? "gate_up" : "up", w->gate_up ? "2 " : "");
    if ((st = check_weight(ctx, first, w->gate_up ? 2 * f : f, d, w->gate_up ? "gate_up" : "up"))) return st;
    if (w->gate && (st = check_weight(ctx, w->gate, f, d, "gate"))) return st;
    int64_t n = w->down->ndim == 2 ? w->down->shape[0] : 0;
    if ((st = check_weight(ctx, w->down, n, f, "down"))) return st;
    if (y->ndim != x->ndim || memcmp(y->shape, x->shape, (x->ndim - 1) * sizeof x->shape[0]) ||
        y->shape[y->ndim - 1] != n) {
        char sx[80], sy[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: y %s must be x's leading dims + [%lld] (x is %s)",
                            ou_shape_str(y, sy, sizeof sy), (long long)n, ou_shape_str(x, sx, sizeof sx));
    }
    if ((st = check_bias(ctx, w->up_bias, f, "up_bias")) || (st = check_bias(ctx, w->gate_bias, f, "gate_bias")) ||
        (st = check_bias(ctx, w->gate_up_bias, 2 * f, "gate_up_bias")) ||
        (st = check_bias(ctx, w->down_bias, n, "down_bias")))
        return st;
    if ((w->up_bias && !w->up) || (w->gate_bias && !w->gate) || (w->gate_up_bias && !w->gate_up))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: a bias is given without its weight");
    if (residual && ((st = ou_check_param(ctx, residual, "ffn", "residual")) || !ou_same_shape(residual, y)))
        return st ? st : vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "ffn: residual must have y's shape");
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    return vkattn__op_end(ctx, implicit, record(ctx, x, w, act, residual, y, f));
}
