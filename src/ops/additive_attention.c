/* Additive (Bahdanau) attention: records shaders/additive_attention_score.comp (scores + masked softmax into
 * alpha) and shaders/additive_attention_context.comp (c = alpha h). The projections are the caller's GEMMs
 * (vkattn_additive_attention_projected), or vkattn_linear into batch-scoped scratch tensors
 * (vkattn_additive_attention). */
#include "opsutil.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    uint32_t T, Lk, A, mask_kind;
    uint32_t hp_off, hp_sb, hp_si, hp_sa;
    uint32_t sp_off, sp_sb, sp_st, sp_sa;
    uint32_t v_off, v_sa, m_off, m_sb;
    uint32_t m_si, al_off, al_sb, al_st;
    uint32_t al_si;
} score_push; /* matches shaders/additive_attention_score.comp */

typedef struct {
    uint32_t T, Lk, Dh, pad;
    uint32_t al_off, al_sb, al_st, al_si;
    uint32_t h_off, h_sb, h_si, h_sd;
    uint32_t c_off, c_sb, c_st, c_sd;
} context_push; /* matches shaders/additive_attention_context.comp */

#define CONTEXT_ROWS 4u

static const char *OP = "additive_attention";

/* Checks t's shape (ndim dims; -1 = any) and that every element index fits the shaders' 32-bit indexing. */
static vkattn_status check_shape(vkattn_context *ctx, const vkattn_tensor *t, const char *name, uint32_t ndim,
                                 const int64_t *want, const char *layout) {
    vkattn_status st = vkattn__check_tensor(ctx, t, OP, name);
    if (st) return st;
    int ok = t->ndim == ndim;
    for (uint32_t i = 0; ok && i < ndim; i++) ok = want[i] < 0 || t->shape[i] == want[i];
    if (!ok) {
        char got[96] = "", buf[24];
        for (uint32_t i = 0; i < t->ndim; i++) {
            snprintf(buf, sizeof buf, i ? ",%lld" : "%lld", (long long)t->shape[i]);
            strncat(got, buf, sizeof got - strlen(got) - 1);
        }
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s must be %s, is [%s]", OP, name, layout, got);
    }
    uint64_t last = t->offset;
    for (uint32_t i = 0; i < t->ndim; i++) last += (uint64_t)(t->shape[i] - 1) * (uint64_t)t->strides[i];
    if (last > UINT32_MAX)
        return vkattn__fail(ctx, VKATTN_ERROR_TOO_LARGE, "%s: %s reaches element %llu, beyond 32-bit indexing", OP, name,
                            (unsigned long long)last);
    return VKATTN_OK;
}

static uint32_t pow2_ceil(uint32_t x) {
    uint32_t p = 1;
    while (p < x) p <<= 1;
    return p;
}

static uint32_t pow2_floor(uint32_t x) {
    uint32_t p = 1;
    while (p * 2 <= x) p <<= 1;
    return p;
}

vkattn_status vkattn_additive_attention_projected(vkattn_context *ctx, const vkattn_tensor *hp, const vkattn_tensor *sp,
                                                  const vkattn_tensor *v, const vkattn_tensor *h, const vkattn_tensor *mask,
                                                  vkattn_tensor *alpha, vkattn_tensor *c) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", OP);
    if ((st = vkattn__check_tensor(ctx, hp, OP, "hp")) || (st = vkattn__check_tensor(ctx, h, OP, "h"))) return st;
    if (hp->ndim != 3 || h->ndim != 3)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: hp must be [B,Lk,A] and h [B,Lk,Dh]", OP);
    int64_t B = hp->shape[0], Lk = hp->shape[1], A = hp->shape[2], Dh = h->shape[2];
    if ((st = vkattn__check_tensor(ctx, sp, OP, "sp"))) return st;
    int64_t T = sp->ndim == 3 ? sp->shape[1] : -1;
    if ((st = check_shape(ctx, hp, "hp", 3, (int64_t[]){B, Lk, A}, "[B,Lk,A]")) ||
        (st = check_shape(ctx, sp, "sp", 3, (int64_t[]){B, -1, A}, "[B,T,A] (B and A as in hp)")) ||
        (st = check_shape(ctx, v, "v", 1, (int64_t[]){A}, "[A] (A as in hp)")) ||
        (st = check_shape(ctx, h, "h", 3, (int64_t[]){B, Lk, -1}, "[B,Lk,Dh] (B and Lk as in hp)")) ||
        (mask && (st = check_shape(ctx, mask, "mask", 2, (int64_t[]){B, Lk}, "[B,Lk]"))) ||
        (st = check_shape(ctx, alpha, "alpha", 3, (int64_t[]){B, T, Lk}, "[B,T,Lk]")) ||
        (st = check_shape(ctx, c, "c", 3, (int64_t[]){B, T, Dh}, "[B,T,Dh]")))
        return st;
    vkattn_dtype dt = h->dtype;
    if (dt != VKATTN_F32 && dt != VKATTN_F16)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: h must be f32 or f16, is %s", OP, vkattn_dtype_string(dt));
    if (hp->dtype != dt || sp->dtype != dt || c->dtype != dt)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: hp, sp, h and c must share one dtype (h is %s)", OP,
                            vkattn_dtype_string(dt));
    if (v->dtype != VKATTN_F32 || alpha->dtype != VKATTN_F32)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: v and alpha must be f32", OP);
    if (mask && mask->dtype != VKATTN_I32 && mask->dtype != VKATTN_F32)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: mask must be i32 or f32 (nonzero = keep), is %s", OP,
                            vkattn_dtype_string(mask->dtype));

    /* scores: LANES threads per key over A; the workgroup no wider than the row needs */
    uint32_t maxwg = pow2_floor(ctx->info.max_workgroup_invocations < 256 ? ctx->info.max_workgroup_invocations : 256);
    uint32_t lanes = pow2_ceil((uint32_t)(A < 32 ? A : 32));
    if (lanes > maxwg) lanes = maxwg;
    uint32_t wg = pow2_ceil((uint32_t)(Lk * lanes < maxwg ? Lk * lanes : maxwg));
    if (wg < 32 && maxwg >= 32) wg = 32;
    const vkattn_tensor *m = mask ? mask : v; /* an unused binding still needs a buffer */
    score_push sp_ = {
        .T = (uint32_t)T, .Lk = (uint32_t)Lk, .A = (uint32_t)A,
        .mask_kind = !mask ? 0 : mask->dtype == VKATTN_I32 ? 1 : 2,
        .hp_off = (uint32_t)hp->offset, (uint32_t)hp->strides[0], (uint32_t)hp->strides[1], (uint32_t)hp->strides[2],
        .sp_off = (uint32_t)sp->offset, (uint32_t)sp->strides[0], (uint32_t)sp->strides[1], (uint32_t)sp->strides[2],
        .v_off = (uint32_t)v->offset, .v_sa = (uint32_t)v->strides[0],
        .m_off = mask ? (uint32_t)mask->offset : 0, .m_sb = mask ? (uint32_t)mask->strides[0] : 0,
        .m_si = mask ? (uint32_t)mask->strides[1] : 0,
        .al_off = (uint32_t)alpha->offset, (uint32_t)alpha->strides[0], (uint32_t)alpha->strides[1],
        .al_si = (uint32_t)alpha->strides[2],
    };
    char name[64];
    vkattn__dispatch ds = {
        .shader = ou_variant(ctx, name, sizeof name, "additive_attention_score", dt),
        .spec = {wg, lanes}, .n_spec = 2, .push = &sp_, .push_size = sizeof sp_,
        .args = {{hp, VKATTN__READ, 0, 0}, {sp, VKATTN__READ, 0, 0}, {v, VKATTN__READ, 0, 0}, {m, VKATTN__READ, 0, 0},
                 {alpha, VKATTN__WRITE, 0, 0}},
        .n_args = 5,
    };
    vkattn__grid_1d((uint64_t)B * (uint64_t)T, ds.groups);

    /* context: a tile of Dh per workgroup (multiple of 8 threads), CONTEXT_ROWS steps t each */
    uint32_t cwg = (uint32_t)(Dh < 64 ? (Dh + 7) / 8 * 8 : 64);
    if (cwg > ctx->info.max_workgroup_invocations) cwg = ctx->info.max_workgroup_invocations;
    context_push cp = {
        .T = (uint32_t)T, .Lk = (uint32_t)Lk, .Dh = (uint32_t)Dh,
        .al_off = (uint32_t)alpha->offset, (uint32_t)alpha->strides[0], (uint32_t)alpha->strides[1], (uint32_t)alpha->strides[2],
        .h_off = (uint32_t)h->offset, (uint32_t)h->strides[0], (uint32_t)h->strides[1], (uint32_t)h->strides[2],
        .c_off = (uint32_t)c->offset, (uint32_t)c->strides[0], (uint32_t)c->strides[1], (uint32_t)c->strides[2],
    };
    char cname[64];
    vkattn__dispatch dc = {
        .shader = ou_variant(ctx, cname, sizeof cname, "additive_attention_context", dt),
        .spec = {cwg, CONTEXT_ROWS}, .n_spec = 2, .push = &cp, .push_size = sizeof cp,
        .args = {{alpha, VKATTN__READ, 0, 0}, {h, VKATTN__READ, 0, 0}, {c, VKATTN__WRITE, 0, 0}}, .n_args = 3,
        .groups = {vkattn__div_up((uint64_t)Dh, cwg), vkattn__div_up((uint64_t)T, CONTEXT_ROWS), (uint32_t)B},
    };

    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    st = vkattn__record(ctx, &ds);
    if (!st) st = vkattn__record(ctx, &dc);
    return vkattn__op_end(ctx, implicit, st);
}

/* ---- the whole op: projections through vkattn_linear into scratch, then the two kernels ---- */

vkattn_status vkattn_additive_attention(vkattn_context *ctx, const vkattn_tensor *h, const vkattn_tensor *s,
                                        const vkattn_tensor *w_h, const vkattn_tensor *w_s, const vkattn_tensor *b,
                                        const vkattn_tensor *v, const vkattn_tensor *mask, vkattn_tensor *c,
                                        vkattn_tensor *alpha) {
    vkattn_status st;
    if (!ctx) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s: ctx is NULL", OP);
    if ((st = vkattn__check_tensor(ctx, h, OP, "h")) || (st = vkattn__check_tensor(ctx, s, OP, "s")) ||
        (st = vkattn__check_tensor(ctx, w_h, OP, "w_h")) || (st = vkattn__check_tensor(ctx, w_s, OP, "w_s")))
        return st;
    if (w_h->ndim != 2 || w_s->ndim != 2 || w_s->shape[0] != w_h->shape[0])
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: w_h must be [A,Dh] and w_s [A,Ds] with one A", OP);
    if (h->ndim != 3 || s->ndim != 3 || s->shape[0] != h->shape[0] || h->shape[2] != w_h->shape[1] ||
        s->shape[2] != w_s->shape[1])
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: h must be [B,Lk,Dh = %lld] and s [B,T,Ds = %lld]", OP,
                            (long long)w_h->shape[1], (long long)w_s->shape[1]);
    if (h->dtype != VKATTN_F32 && h->dtype != VKATTN_F16)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: h must be f32 or f16", OP);
    int64_t B = h->shape[0], Lk = h->shape[1], T = s->shape[1], A = w_h->shape[0];
    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    vkattn_tensor *hp = NULL, *sp = NULL, *al = alpha;
    if (!(st = vkattn__scratch(ctx, h->dtype, 3, (int64_t[]){B, Lk, A}, &hp)) &&
        !(st = vkattn__scratch(ctx, h->dtype, 3, (int64_t[]){B, T, A}, &sp)) &&
        !(st = alpha ? VKATTN_OK : vkattn__scratch(ctx, VKATTN_F32, 3, (int64_t[]){B, T, Lk}, &al)) &&
        !(st = vkattn_linear(ctx, h, w_h, NULL, hp)) && !(st = vkattn_linear(ctx, s, w_s, b, sp)))
        st = vkattn_additive_attention_projected(ctx, hp, sp, v, h, mask, al, c);
    return vkattn__op_end(ctx, implicit, st);
}
