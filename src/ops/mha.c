/* Multi-head attention layer (PyTorch nn.MultiheadAttention, batch_first=True, plus grouped-query heads):
 * Q/K/V projections through vkattn_linear (one fused [3E,E] GEMM for self-attention with the in_proj format),
 * vkattn_attention on strided [B,H,L,hd] views of the [B,L,H*hd] projections (no copies), out_proj.
 * Intermediates are batch-scoped scratch tensors, so a forward records into the caller's batch. */
#include "../core/core.h"

#include <stdlib.h>
#include <string.h>

struct vkattn_mha {
    vkattn_context *ctx;
    vkattn_mha_desc d;             /* weights borrowed; sizes with defaults filled in */
    uint32_t hd, ekv;              /* head dim; Hkv * hd */
    /* in_proj format: row blocks of in_proj_weight (views) for cross-attention, and the bias blocks as
     * contiguous copies (vkattn_linear takes a bias at element offset 0) */
    vkattn_tensor *w_rows[3], *b_parts[3];
};

static const char *OP = "mha";

/* Rows [row0, row0 + rows) of a contiguous 2-D weight. Built here rather than by vkattn_tensor_view
 * because block-quantized weights are allowed too: whole rows are whole blocks. */
static vkattn_status weight_rows(vkattn_context *ctx, const vkattn_tensor *w, int64_t row0, int64_t rows,
                                 vkattn_tensor **out) {
    vkattn_tensor *t = calloc(1, sizeof *t);
    if (!t) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    *t = *w;
    t->is_view = 1;
    t->shape[0] = rows;
    t->offset = w->offset + (uint64_t)(row0 * w->shape[1]);
    *out = t;
    return VKATTN_OK;
}

/* A weight must be 2-D [n, k], contiguous; a bias f32 [n] (or NULL when optional). */
static vkattn_status check_weight(vkattn_context *ctx, const vkattn_tensor *w, const char *name, int64_t n, int64_t k) {
    vkattn_status st = vkattn__check_tensor(ctx, w, OP, name);
    if (st) return st;
    if (w->ndim != 2 || w->shape[0] != n || w->shape[1] != k || !vkattn_tensor_is_contiguous(w))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s must be a contiguous [%lld,%lld] weight", OP, name,
                            (long long)n, (long long)k);
    return VKATTN_OK;
}

static vkattn_status check_bias(vkattn_context *ctx, const vkattn_tensor *b, const char *name, int64_t n) {
    if (b && (b->ctx != ctx || b->dtype != VKATTN_F32 || b->ndim != 1 || b->shape[0] != n || b->strides[0] != 1))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s must be a contiguous f32 [%lld] tensor or NULL", OP,
                            name, (long long)n);
    return VKATTN_OK;
}

static vkattn_status check_desc(vkattn_context *ctx, vkattn_mha_desc *d) {
    vkattn_status st;
    if (!d->num_kv_heads) d->num_kv_heads = d->num_heads;
    if (!d->kdim) d->kdim = d->embed_dim;
    if (!d->vdim) d->vdim = d->embed_dim;
    uint32_t E = d->embed_dim, H = d->num_heads, Hkv = d->num_kv_heads;
    if (!E || !H || E % H || H % Hkv || E / H > 256)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                            "%s: need embed_dim (%u) divisible by num_heads (%u), num_heads divisible by num_kv_heads (%u) "
                            "and a head dim of at most 256", OP, E, H, Hkv);
    int64_t ekv = (int64_t)Hkv * (E / H);
    if (d->in_proj_weight) {
        if (Hkv != H || d->kdim != E || d->vdim != E)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT,
                                "%s: in_proj_weight needs num_kv_heads == num_heads and kdim == vdim == embed_dim; "
                                "give q/k/v_proj_weight instead", OP);
        if (d->q_proj_weight || d->k_proj_weight || d->v_proj_weight || d->q_proj_bias || d->k_proj_bias || d->v_proj_bias)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: give in_proj_* or q/k/v_proj_*, not both", OP);
        if ((st = check_weight(ctx, d->in_proj_weight, "in_proj_weight", 3 * (int64_t)E, E)) ||
            (st = check_bias(ctx, d->in_proj_bias, "in_proj_bias", 3 * (int64_t)E)))
            return st;
    } else {
        if (d->in_proj_bias)
            return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: in_proj_bias given without in_proj_weight", OP);
        if ((st = check_weight(ctx, d->q_proj_weight, "q_proj_weight", E, E)) ||
            (st = check_weight(ctx, d->k_proj_weight, "k_proj_weight", ekv, d->kdim)) ||
            (st = check_weight(ctx, d->v_proj_weight, "v_proj_weight", ekv, d->vdim)) ||
            (st = check_bias(ctx, d->q_proj_bias, "q_proj_bias", E)) || (st = check_bias(ctx, d->k_proj_bias, "k_proj_bias", ekv)) ||
            (st = check_bias(ctx, d->v_proj_bias, "v_proj_bias", ekv)))
            return st;
    }
    if ((st = check_weight(ctx, d->out_proj_weight, "out_proj_weight", E, E)) ||
        (st = check_bias(ctx, d->out_proj_bias, "out_proj_bias", E)))
        return st;
    return VKATTN_OK;
}

vkattn_status vkattn_mha_create(vkattn_context *ctx, const vkattn_mha_desc *desc, vkattn_mha **out) {
    if (!out) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s_create: out is NULL", OP);
    *out = NULL;
    if (!ctx || !desc) return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s_create: ctx or desc is NULL", OP);
    vkattn_mha *m = calloc(1, sizeof *m);
    if (!m) return vkattn__fail(ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "out of host memory");
    m->ctx = ctx;
    m->d = *desc;
    vkattn_status st = check_desc(ctx, &m->d);
    m->hd = m->d.embed_dim / (m->d.num_heads ? m->d.num_heads : 1);
    m->ekv = m->d.num_kv_heads * m->hd;
    const int64_t E = m->d.embed_dim;
    for (int i = 0; !st && m->d.in_proj_weight && i < 3; i++) {
        st = weight_rows(ctx, m->d.in_proj_weight, i * E, E, &m->w_rows[i]);
        if (!st && m->d.in_proj_bias) {
            vkattn_tensor *part = NULL;
            if (!(st = vkattn_tensor_view((vkattn_tensor *)m->d.in_proj_bias, (uint64_t)(i * E), 1, &E, (int64_t[]){1}, &part)) &&
                !(st = vkattn_tensor_create(ctx, VKATTN_F32, 1, &E, &m->b_parts[i])))
                st = vkattn_copy(ctx, part, m->b_parts[i]);
            vkattn_tensor_destroy(part);
        }
    }
    if (st) {
        vkattn_mha_destroy(m);
        return st;
    }
    *out = m;
    return VKATTN_OK;
}

void vkattn_mha_destroy(vkattn_mha *m) {
    if (!m) return;
    for (int i = 0; i < 3; i++) vkattn_tensor_destroy(m->w_rows[i]), vkattn_tensor_destroy(m->b_parts[i]);
    free(m);
}

/* [B,L,H*hd] buffer (at element column col0 of rows `width` wide) viewed as [B,H,L,hd]. */
static vkattn_status heads_view(vkattn_tensor *buf, int64_t B, int64_t L, int64_t H, int64_t hd, int64_t width,
                                int64_t col0, vkattn_tensor **out) {
    int64_t shape[4] = {B, H, L, hd}, strides[4] = {L * width, hd, width, 1};
    return vkattn_tensor_view(buf, (uint64_t)col0, 4, shape, strides, out);
}

static int is_float(const vkattn_tensor *t) { return t->dtype == VKATTN_F32 || t->dtype == VKATTN_F16; }

static vkattn_status check_input(vkattn_context *ctx, const vkattn_tensor *x, const char *name, int64_t B, int64_t width) {
    vkattn_status st = vkattn__check_tensor(ctx, x, OP, name);
    if (st) return st;
    if (x->ndim != 3 || (B >= 0 && x->shape[0] != B) || x->shape[2] != width || !is_float(x))
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: %s must be f32 or f16 [B,L,%lld]%s", OP, name,
                            (long long)width, B >= 0 ? " with query's B" : "");
    return VKATTN_OK;
}

vkattn_status vkattn_mha_forward(vkattn_mha *m, const vkattn_tensor *query, const vkattn_tensor *key,
                                 const vkattn_tensor *value, vkattn_tensor *out, const vkattn_attention_desc *attn) {
    if (!m) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "%s_forward: mha is NULL", OP);
    vkattn_context *ctx = m->ctx;
    const vkattn_mha_desc *d = &m->d;
    if (!key) key = query;
    if (!value) value = key;
    const int64_t E = d->embed_dim, H = d->num_heads, Hkv = d->num_kv_heads, hd = m->hd, ekv = m->ekv;
    vkattn_status st;
    if ((st = check_input(ctx, query, "query", -1, E))) return st;
    const int64_t B = query->shape[0], Lq = query->shape[1];
    if ((st = check_input(ctx, key, "key", B, d->kdim)) || (st = check_input(ctx, value, "value", B, d->vdim)) ||
        (st = check_input(ctx, out, "out", B, E)))
        return st;
    const int64_t Lk = key->shape[1];
    if (value->shape[1] != Lk || out->shape[1] != Lq)
        return vkattn__fail(ctx, VKATTN_ERROR_INVALID_ARGUMENT, "%s: value must have key's length and out query's", OP);
    /* one fused GEMM when the three inputs are the same tensor */
    const int fused = d->in_proj_weight && key == query && value == query;
    const vkattn_dtype dt = query->dtype; /* the projections' and the attention's storage type */

    int implicit;
    if ((st = vkattn__op_begin(ctx, &implicit))) return st;
    vkattn_tensor *qkv = NULL, *qp = NULL, *kp = NULL, *vp = NULL, *ao = NULL;
    vkattn_tensor *q = NULL, *k = NULL, *v = NULL, *o = NULL;
    if (fused) {
        if (!(st = vkattn__scratch(ctx, dt, 3, (int64_t[]){B, Lq, 3 * E}, &qkv)) &&
            !(st = vkattn_linear(ctx, query, d->in_proj_weight, d->in_proj_bias, qkv)) &&
            !(st = heads_view(qkv, B, Lq, H, hd, 3 * E, 0, &q)) && !(st = heads_view(qkv, B, Lq, H, hd, 3 * E, E, &k)))
            st = heads_view(qkv, B, Lq, H, hd, 3 * E, 2 * E, &v);
    } else {
        const vkattn_tensor *wq = d->in_proj_weight ? m->w_rows[0] : d->q_proj_weight;
        const vkattn_tensor *wk = d->in_proj_weight ? m->w_rows[1] : d->k_proj_weight;
        const vkattn_tensor *wv = d->in_proj_weight ? m->w_rows[2] : d->v_proj_weight;
        const vkattn_tensor *bq = d->in_proj_weight ? m->b_parts[0] : d->q_proj_bias;
        const vkattn_tensor *bk = d->in_proj_weight ? m->b_parts[1] : d->k_proj_bias;
        const vkattn_tensor *bv = d->in_proj_weight ? m->b_parts[2] : d->v_proj_bias;
        if (!(st = vkattn__scratch(ctx, dt, 3, (int64_t[]){B, Lq, E}, &qp)) &&
            !(st = vkattn__scratch(ctx, dt, 3, (int64_t[]){B, Lk, ekv}, &kp)) &&
            !(st = vkattn__scratch(ctx, dt, 3, (int64_t[]){B, Lk, ekv}, &vp)) && !(st = vkattn_linear(ctx, query, wq, bq, qp)) &&
            !(st = vkattn_linear(ctx, key, wk, bk, kp)) && !(st = vkattn_linear(ctx, value, wv, bv, vp)) &&
            !(st = heads_view(qp, B, Lq, H, hd, E, 0, &q)) && !(st = heads_view(kp, B, Lk, Hkv, hd, ekv, 0, &k)))
            st = heads_view(vp, B, Lk, Hkv, hd, ekv, 0, &v);
    }
    /* attention writes its heads straight into [B,Lq,E] rows, the layout out_proj reads */
    if (!st && !(st = vkattn__scratch(ctx, dt, 3, (int64_t[]){B, Lq, E}, &ao)) && !(st = heads_view(ao, B, Lq, H, hd, E, 0, &o)) &&
        !(st = vkattn_attention(ctx, q, k, v, o, attn)))
        st = vkattn_linear(ctx, ao, d->out_proj_weight, d->out_proj_bias, out);
    vkattn_tensor_destroy(q), vkattn_tensor_destroy(k), vkattn_tensor_destroy(v), vkattn_tensor_destroy(o);
    return vkattn__op_end(ctx, implicit, st);
}
