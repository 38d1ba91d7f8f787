/* qwen2: llama's decoder with Q/K/V biases; stored unpermuted, so RoPE rotates halves (NEOX). */
#include "model.h"

static vkattn_status qwen2_tensors(vkattn_model *m, vkattn__wtable *t) {
    const vkattn__hparams *h = &m->hp;
    const int64_t Q = (int64_t)h->n_head * h->head_dim, KV = (int64_t)h->n_head_kv * h->head_dim;
    vkattn_status st = vkattn__llama_tensors(m, t);
    for (int l = 0; l < (int)h->n_layer && !st; l++) {
        vkattn__layer *L = &m->layers[l];
        if ((st = vkattn__w_vec(m, t, &L->bqkv, Q, "blk.%d.attn_q.bias", l)) ||
            (st = vkattn__w_vec(m, t, &L->bqkv, KV, "blk.%d.attn_k.bias", l)) ||
            (st = vkattn__w_vec(m, t, &L->bqkv, KV, "blk.%d.attn_v.bias", l)))
            break;
        vkattn__w_stack(t, 3, &L->bqkv, NULL); /* attn_q.bias | attn_k.bias | attn_v.bias */
    }
    return st;
}

const vkattn__arch vkattn__arch_qwen2 = {
    .name = "qwen2",
    .norm_eps_key = "attention.layer_norm_rms_epsilon",
    .rope_mode = VKATTN_ROPE_NEOX,
    .tensors = qwen2_tensors,
    .forward = vkattn__llama_forward,
};
