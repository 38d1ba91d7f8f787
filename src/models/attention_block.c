/* The attention sublayer every decoder here shares: one stacked q|k|v projection over all the chunk's tokens,
 * then per sequence optional per-head q/k norms, RoPE (q in place, k on its way into its KV cache) and causal
 * (optionally sliding-window, soft-capped) attention over its cache through strided views, then the output
 * projection over all tokens. */
#include "model.h"

vkattn_status vkattn__attention_block(vkattn_model *m, uint32_t l, uint32_t n) {
    vkattn_context *ctx = m->ctx;
    const vkattn__layer *L = &m->layers[l];
    const vkattn__hparams *h = &m->hp;
    vkattn__acts *a = &m->a;
    const int64_t hd = h->head_dim, Hq = h->n_head, Hkv = h->n_head_kv, Q = Hq * hd, KV = Hkv * hd, W = Q + 2 * KV;
    vkattn_tensor xn = vkattn__rows(a->xn, 0, n), qkv = vkattn__rows(a->qkv, 0, n);
    vkattn_status st;
    if ((st = vkattn__linear_stack(ctx, &xn, &L->wqkv, L->bqkv, &qkv))) return st; /* qkv = xn Wqkv^T (+ b)  [n, Q+2KV] */
    for (uint32_t s = 0; s < m->n_seqs; s++) {
        const uint32_t r0 = m->seqs[s].row, ns = m->seqs[s].n, pos = m->seqs[s].pos, seq = m->seqs[s].seq;
        const uint64_t qoff = (uint64_t)r0 * W; /* the sequence's rows of qkv and att */
        /* token-major views [1, ns, H, hd] of its q, k, v columns and of its cache rows [pos, pos + ns) */
        const int64_t sq[4] = {1, ns, Hq, hd}, sk[4] = {1, ns, Hkv, hd}, tw[4] = {ns * W, W, hd, 1}, tc[4] = {ns * KV, KV, hd, 1};
        vkattn_tensor q4 = vkattn__view(a->qkv, qoff, 4, sq, tw), k4 = vkattn__view(a->qkv, qoff + Q, 4, sk, tw);
        vkattn_tensor v4 = vkattn__view(a->qkv, qoff + Q + KV, 4, sk, tw);
        vkattn_tensor kr = vkattn__kv_rows(&m->kv, l, 0, seq, pos, ns), vr = vkattn__kv_rows(&m->kv, l, 1, seq, pos, ns);
        vkattn_tensor kc = vkattn__view(&kr, 0, 4, sk, tc), vc = vkattn__view(&vr, 0, 4, sk, tc);
        /* per-head RMSNorm of q and k (qwen3, gemma3), in place before RoPE */
        if (L->attn_q_norm && ((st = vkattn_rms_norm(ctx, &q4, L->attn_q_norm, h->norm_eps, &q4)) ||
                               (st = vkattn_rms_norm(ctx, &k4, L->attn_k_norm, h->norm_eps, &k4))))
            return st;
        if (h->rope_mode >= 0) {
            const vkattn_rope_desc rd = {.mode = (vkattn_rope_mode)h->rope_mode, .layout = VKATTN_ROPE_BLHD,
                                         .rotary_dims = h->rope_dims, .offset = pos,
                                         .theta = L->rope_local ? h->rope_theta_local : h->rope_theta,
                                         .inv_freq = L->rope_local ? NULL : m->rope_freq};
            if ((st = vkattn_rope(ctx, &q4, &q4, &rd)) ||  /* rope q in place */
                (st = vkattn_rope(ctx, &k4, &kc, &rd)))    /* rope k -> K cache */
                return st;
        } else if ((st = vkattn_copy(ctx, &k4, &kc))) {    /* k -> K cache */
            return st;
        }
        if ((st = vkattn_copy(ctx, &v4, &vc))) return st; /* v -> V cache */
        /* [ns, H, hd] rows seen as [1, H, ns, hd]: no transposes */
        const int64_t sh[4] = {1, Hq, ns, hd}, tq[4] = {ns * W, hd, W, 1}, to[4] = {ns * Q, hd, Q, 1};
        vkattn_tensor qh = vkattn__view(a->qkv, qoff, 4, sh, tq), oh = vkattn__view(a->att, (uint64_t)r0 * Q, 4, sh, to);
        vkattn_tensor kh = vkattn__kv_heads(&m->kv, l, 0, seq, pos + ns, h->head_dim);
        vkattn_tensor vh = vkattn__kv_heads(&m->kv, l, 1, seq, pos + ns, h->head_dim);
        /* bottom-right aligned causal mask: the ns queries are the last positions; sliding window per layer */
        const vkattn_attention_desc ad = {.causal = 1, .scale = h->attn_scale, .window = L->window, .softcap = h->attn_softcap};
        if ((st = vkattn_attention(ctx, &qh, &kh, &vh, &oh, &ad))) return st;
    }
    vkattn_tensor att = vkattn__rows(a->att, 0, n), out = vkattn__rows(a->tmp, 0, n);
    return vkattn_linear(ctx, &att, L->wo, L->bo, &out); /* tmp = att Wo^T (+ bo)  [n, D] */
}
