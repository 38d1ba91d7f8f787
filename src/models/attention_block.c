/* The attention sublayer every decoder here shares: projections straight into the KV cache, RoPE in
 * place, causal attention over the cache through strided views, output projection. */
#include "model.h"

vkattn_status vkattn__attention_block(vkattn_model *m, uint32_t l, uint32_t n, uint32_t pos, int rope_mode) {
    vkattn_context *ctx = m->ctx;
    const vkattn__layer *L = &m->layers[l];
    const vkattn__hparams *h = &m->hp;
    vkattn__acts *a = &m->a;
    const int64_t hd = h->head_dim, Hq = h->n_head, Hkv = h->n_head_kv, Q = Hq * hd, KV = Hkv * hd;
    vkattn_tensor xn = vkattn__rows(a->xn, 0, n), q = vkattn__rows(a->q, 0, n);
    vkattn_tensor k = vkattn__kv_rows(&m->kv, l, 0, pos, n), v = vkattn__kv_rows(&m->kv, l, 1, pos, n);
    vkattn_status st;
    if ((st = vkattn_linear(ctx, &xn, L->wq, L->bq, &q)) ||   /* q = xn Wq^T (+ bq)          [n, Hq*hd] */
        (st = vkattn_linear(ctx, &xn, L->wk, L->bk, &k)) ||   /* k -> cache rows [pos, pos+n) [n, Hkv*hd] */
        (st = vkattn_linear(ctx, &xn, L->wv, L->bv, &v)))     /* v -> cache rows              [n, Hkv*hd] */
        return st;
    if (rope_mode >= 0) {
        const vkattn_rope_desc rd = {.mode = (vkattn_rope_mode)rope_mode, .layout = VKATTN_ROPE_BLHD,
                                     .rotary_dims = h->rope_dims, .theta = h->rope_theta, .offset = pos};
        const int64_t sq[4] = {1, n, Hq, hd}, tq[4] = {n * Q, Q, hd, 1};
        const int64_t sk[4] = {1, n, Hkv, hd}, tk[4] = {n * KV, KV, hd, 1};
        vkattn_tensor q4 = vkattn__view(&q, 0, 4, sq, tq), k4 = vkattn__view(&k, 0, 4, sk, tk);
        if ((st = vkattn_rope(ctx, &q4, &q4, &rd)) || (st = vkattn_rope(ctx, &k4, &k4, &rd))) return st;
    }
    /* [n, H, hd] rows seen as [1, H, n, hd]: no transposes */
    const int64_t sh[4] = {1, Hq, n, hd}, th[4] = {n * Q, hd, Q, 1};
    vkattn_tensor qh = vkattn__view(a->q, 0, 4, sh, th), oh = vkattn__view(a->att, 0, 4, sh, th);
    vkattn_tensor kh = vkattn__kv_heads(&m->kv, l, 0, pos + n, h->head_dim);
    vkattn_tensor vh = vkattn__kv_heads(&m->kv, l, 1, pos + n, h->head_dim);
    const vkattn_attention_desc ad = {.causal = 1}; /* bottom-right aligned: the n queries are the last positions */
    if ((st = vkattn_attention(ctx, &qh, &kh, &vh, &oh, &ad))) return st;
    vkattn_tensor att = vkattn__rows(a->att, 0, n), out = vkattn__rows(a->tmp, 0, n);
    return vkattn_linear(ctx, &att, L->wo, L->bo, &out);      /* tmp = att Wo^T (+ bo)        [n, D] */
}
