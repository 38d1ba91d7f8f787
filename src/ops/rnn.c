/* GRU and LSTM layers (single layer, unidirectional, batch_first) with PyTorch's
 * weight layouts and gate orders: the input projections of all time steps as one
 * vkattn_linear GEMM into scratch, W_hh transposed once into f32 scratch (so the
 * step kernel's neighbouring invocations read neighbouring weights), then one
 * shaders/rnn.comp dispatch per time step, all in one batch (the hazard tracker
 * puts a barrier between steps); hn is copied from y's last step. */
#include "opsutil.h"

typedef struct {
    uint32_t h, hs_off, hs_bstride, y_off;
    uint32_t y_bstride, gi_off, gi_bstride, w_off;
    uint32_t b_off, c0_off, cn_off, flags;
} rnn_push; /* matches shaders/rnn.comp */

enum { HAS_H = 1, C_FROM_C0 = 2, C_FROM_STATE = 4, HAS_CN = 16, B16 = 64, HAS_B = 128 };

typedef struct {
    const char *op;
    int lstm;
    uint32_t gates;
    int64_t b, t, i, h;
} rnn_dims;

/* NULL or a contiguous [B, H] / [1, B, H] state of x's dtype. */
static vkattn_status check_state(vkattn_context *ctx, const rnn_dims *d, const vkattn_tensor *s, vkattn_dtype dt,
                                 const char *name) {
    if (!s) return VKATTN_OK;
    vkattn_status st = ou_check_param(ctx, s, d->op, name);
    if (st) return st;
    int ok = s->dtype == dt && vkattn_tensor_is_contiguous(s) &&
             ((s->ndim == 2 && s->shape[0] == d->b && s->shape[1] == d->h) ||
              (s->ndim == 3 && s->shape[0] == 1 && s->shape[1] == d->b && s->shape[2] == d->h));
    if (!ok) {
        char sh[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: %s %s %s must be contiguous %s [%lld, %lld] or [1, %lld, %lld]", d->op, name,
                            ou_shape_str(s, sh, sizeof sh), vkattn_dtype_string(s->dtype), vkattn_dtype_string(dt),
                            (long long)d->b, (long long)d->h, (long long)d->b, (long long)d->h);
    }
    return VKATTN_OK;
}

/* A 2-D / 1-D tensor of the given shape (cols = 0: 1-D [rows]). */
static vkattn_status check_shape(vkattn_context *ctx, const rnn_dims *d, const vkattn_tensor *t, int64_t rows,
                                 int64_t cols, const char *name) {
    vkattn_status st = vkattn__check_tensor(ctx, t, d->op, name);
    if (st) return st;
    int ok = cols ? t->ndim == 2 && t->shape[0] == rows && t->shape[1] == cols : t->ndim == 1 && t->shape[0] == rows;
    if (!ok) {
        char sh[80], want[64];
        if (cols) snprintf(want, sizeof want, "[%lld, %lld]", (long long)rows, (long long)cols);
        else snprintf(want, sizeof want, "[%lld]", (long long)rows);
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s is %s, expected %s (%u gates x hidden %lld)",
                            d->op, name, ou_shape_str(t, sh, sizeof sh), want, d->gates, (long long)d->h);
    }
    return VKATTN_OK;
}

static vkattn_status check(vkattn_context *ctx, rnn_dims *d, const vkattn_tensor *x, const vkattn_rnn_weights *w,
                           const vkattn_tensor *h0, const vkattn_tensor *c0, const vkattn_tensor *y,
                           const vkattn_tensor *hn, const vkattn_tensor *cn) {
    vkattn_status st;
    if (!w) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: weights are NULL", d->op);
    /* f16 on any device: packed words without 16-bit storage (the "_pk" variant) */
    if ((st = ou_check_param(ctx, x, d->op, "x")) || (st = ou_check_param(ctx, y, d->op, "y"))) return st;
    if (x->ndim != 3 || !vkattn_tensor_is_contiguous(x)) {
        char sh[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: x %s must be contiguous [B, T, input_size] (batch_first)", d->op,
                            ou_shape_str(x, sh, sizeof sh));
    }
    d->b = x->shape[0], d->t = x->shape[1], d->i = x->shape[2];
    if ((st = vkattn__check_tensor(ctx, w->weight_ih, d->op, "weight_ih_l0"))) return st;
    if (w->weight_ih->ndim != 2 || w->weight_ih->shape[0] % d->gates)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: weight_ih_l0 must be [%u * hidden_size, input_size]", d->op, d->gates);
    d->h = w->weight_ih->shape[0] / d->gates;
    int64_t gh = d->gates * d->h;
    if ((st = check_shape(ctx, d, w->weight_ih, gh, d->i, "weight_ih_l0")) ||
        (st = check_shape(ctx, d, w->weight_hh, gh, d->h, "weight_hh_l0")) ||
        (st = ou_check_param(ctx, w->weight_hh, d->op, "weight_hh_l0")))
        return st;
    if (w->bias_ih && ((st = check_shape(ctx, d, w->bias_ih, gh, 0, "bias_ih_l0")) || w->bias_ih->dtype != VKATTN_F32))
        return st ? st : vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: bias_ih_l0 must be f32", d->op);
    if (w->bias_hh && ((st = check_shape(ctx, d, w->bias_hh, gh, 0, "bias_hh_l0")) ||
                       (st = ou_check_param(ctx, w->bias_hh, d->op, "bias_hh_l0"))))
        return st;
    if (!vkattn_tensor_is_contiguous(w->weight_hh) || (w->bias_hh && !vkattn_tensor_is_contiguous(w->bias_hh)) ||
        (w->bias_ih && !vkattn_tensor_is_contiguous(w->bias_ih)))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: weights and biases must be contiguous", d->op);
    if (y->dtype != x->dtype || !vkattn_tensor_is_contiguous(y) || y->ndim != 3 || y->shape[0] != d->b ||
        y->shape[1] != d->t || y->shape[2] != d->h) {
        char sh[80];
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: y %s must be contiguous %s [%lld, %lld, %lld]",
                            d->op, ou_shape_str(y, sh, sizeof sh), vkattn_dtype_string(x->dtype), (long long)d->b,
                            (long long)d->t, (long long)d->h);
    }
    if ((st = check_state(ctx, d, h0, x->dtype, "h0")) || (st = check_state(ctx, d, hn, x->dtype, "hn")) ||
        (st = check_state(ctx, d, c0, x->dtype, "c0")) || (st = check_state(ctx, d, cn, x->dtype, "cn")))
        return st;
    /* step 0 reads all of h0[b] in every workgroup while writing y[b, 0] */
    if (h0 && ou_same_storage(h0, y))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: h0 must not share y's memory", d->op);
    if (d->b * d->h >= UINT32_MAX || d->b * d->t * gh >= UINT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "%s: B * T * gates * hidden exceeds 2^32; split the batch",
                            d->op);
    if ((uint64_t)d->b > ctx->info.max_workgroup_count[1])
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "%s: batch %lld exceeds the device's %u workgroups in y",
                            d->op, (long long)d->b, ctx->info.max_workgroup_count[1]);
    return VKATTN_OK;
}

/* The bindings of shaders/rnn.comp; absent tensors bind stand-ins that the flags
 * keep unread / unwritten. */
static void bind(vkattn__dispatch *dp, const vkattn_tensor *gi, const vkattn_rnn_weights *w, const vkattn_tensor *hsrc,
                 const vkattn_tensor *y, const vkattn_tensor *cst, const vkattn_tensor *c0, const vkattn_tensor *cn,
                 const vkattn_tensor *wt, uint32_t wt_access) {
    const vkattn__arg args[9] = {{gi, VKATTN__READ, 0, 0},
                                 {w->weight_hh, VKATTN__READ, 0, 0},
                                 {w->bias_hh ? w->bias_hh : w->weight_hh, VKATTN__READ, 0, 0},
                                 {hsrc, VKATTN__READ, 0, 0},
                                 {y, VKATTN__WRITE, 0, 0},
                                 {cst ? cst : gi, cst ? VKATTN__RW : VKATTN__READ, 0, 0},
                                 {c0 ? c0 : hsrc, VKATTN__READ, 0, 0},
                                 {cn ? cn : y, VKATTN__WRITE, 0, 0},
                                 {wt, wt_access, 0, 0}};
    memcpy(dp->args, args, sizeof args);
    dp->n_args = 9;
}

static vkattn_status record(vkattn_context *ctx, const rnn_dims *d, const vkattn_tensor *x, const vkattn_rnn_weights *w,
                            const vkattn_tensor *h0, const vkattn_tensor *c0, vkattn_tensor *y, vkattn_tensor *hn,
                            vkattn_tensor *cn) {
    vkattn_status st;
    int64_t gh = d->gates * d->h, gshape[3] = {d->b, d->t, gh}, cshape[2] = {d->b, d->h}, wshape[2] = {d->h, gh};
    vkattn_tensor *gi, *wt, *cst = NULL;
    if ((st = vkattn__scratch(ctx, VKATTN_F32, 3, gshape, &gi))) return st;
    if ((st = vkattn_linear(ctx, x, w->weight_ih, w->bias_ih, gi))) return st; /* every step's x W_ih^T + b_ih */
    if (d->lstm && (st = vkattn__scratch(ctx, VKATTN_F32, 2, cshape, &cst))) return st;
    if ((st = vkattn__scratch(ctx, VKATTN_F32, 2, wshape, &wt))) return st;
    uint32_t wg = ou_row_wg(ctx, (uint64_t)d->h), H = (uint32_t)d->h, T = (uint32_t)d->t;
    uint32_t w16 = w->weight_hh->dtype == VKATTN_F16;
    char shader[32];
    ou_variant(ctx, shader, sizeof shader, "rnn", x->dtype);

    /* pass 1: W_hh -> f32 W_hh^T */
    rnn_push tp = {.h = H, .w_off = (uint32_t)w->weight_hh->offset};
    uint32_t twg = ou_wg(ctx, 256);
    vkattn__dispatch dt = {.shader = shader, .label = d->op, .spec = {twg, (uint32_t)d->lstm, w16, 1}, .n_spec = 4,
                           .push = &tp, .push_size = sizeof tp};
    bind(&dt, gi, w, x, y, cst, NULL, NULL, wt, VKATTN__WRITE);
    vkattn__grid_1d(vkattn__div_up((uint64_t)gh * (uint64_t)H, twg), dt.groups);
    if ((st = vkattn__record(ctx, &dt))) return st;

    for (uint32_t t = 0; t < T; t++) {
        int last = t + 1 == T;
        const vkattn_tensor *hsrc = t ? y : h0 ? h0 : y;
        rnn_push p = {.h = H,
                      .hs_off = (uint32_t)(t ? y->offset + (t - 1) * H : h0 ? h0->offset : 0),
                      .hs_bstride = t ? T * H : H,
                      .y_off = (uint32_t)(y->offset + t * H),
                      .y_bstride = T * H,
                      .gi_off = t * (uint32_t)gh,
                      .gi_bstride = T * (uint32_t)gh,
                      .b_off = w->bias_hh ? (uint32_t)w->bias_hh->offset : 0,
                      .c0_off = c0 ? (uint32_t)c0->offset : 0,
                      .cn_off = cn ? (uint32_t)cn->offset : 0};
        p.flags = (t || h0 ? HAS_H : 0) | (!t && c0 ? C_FROM_C0 : 0) | (t ? C_FROM_STATE : 0) |
                  (last && cn ? HAS_CN : 0) | (w->bias_hh ? HAS_B | (w->bias_hh->dtype == VKATTN_F16 ? B16 : 0) : 0);
        vkattn__dispatch dp = {.shader = shader, .label = d->op, .spec = {wg, (uint32_t)d->lstm, w16, 0}, .n_spec = 4,
                               .push = &p, .push_size = sizeof p,
                               .groups = {vkattn__div_up((uint64_t)d->h, wg), (uint32_t)d->b, 1}};
        bind(&dp, gi, w, hsrc, y, cst, !t ? c0 : NULL, last ? cn : NULL, wt, VKATTN__READ);
        if ((st = vkattn__record(ctx, &dp))) return st;
    }
    if (!hn) return VKATTN_OK;
    /* hn = y[:, T-1] as a copy after the last step, so hn may be h0 (a state updated in place) */
    vkattn_tensor last = *y;
    last.is_view = 1;
    last.ndim = hn->ndim;
    last.offset = y->offset + (T - 1) * (uint64_t)H;
    int64_t lead = hn->ndim == 3 ? 1 : 0;
    last.shape[0] = 1, last.strides[0] = (int64_t)d->b * T * H; /* the [1, ...] dim, if any */
    last.shape[lead] = d->b, last.strides[lead] = (int64_t)T * H;
    last.shape[lead + 1] = d->h, last.strides[lead + 1] = 1;
    return vkattn_copy(ctx, &last, hn);
}

static vkattn_status rnn(vkattn_context *ctx, const char *op, int lstm, const vkattn_tensor *x,
                         const vkattn_rnn_weights *w, const vkattn_tensor *h0, const vkattn_tensor *c0,
                         vkattn_tensor *y, vkattn_tensor *hn, vkattn_tensor *cn) {
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", op);
    rnn_dims d = {.op = op, .lstm = lstm, .gates = lstm ? 4 : 3};
    vkattn_status st = check(ctx, &d, x, w, h0, c0, y, hn, cn);
    if (st) return st;
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    return vkattn__op_end(ctx, implicit, record(ctx, &d, x, w, h0, c0, y, hn, cn));
}

vkattn_status vkattn_gru(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_rnn_weights *w,
                         const vkattn_tensor *h0, vkattn_tensor *y, vkattn_tensor *hn) {
    return rnn(ctx, "gru", 0, x, w, h0, NULL, y, hn, NULL);
}

vkattn_status vkattn_lstm(vkattn_context *ctx, const vkattn_tensor *x, const vkattn_rnn_weights *w,
                          const vkattn_tensor *h0, const vkattn_tensor *c0, vkattn_tensor *y, vkattn_tensor *hn,
                          vkattn_tensor *cn) {
    return rnn(ctx, "lstm", 1, x, w, h0, c0, y, hn, cn);
}
