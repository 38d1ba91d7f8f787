/* qwen3: llama's decoder (no biases) with a per-head RMSNorm of q and k before RoPE (attn_q_norm,
 * attn_k_norm [head_dim]); head size from attention.key_length (128, independent of n_embd / n_head);
 * stored unpermuted, so RoPE rotates halves (NEOX). */
#include "model.h"

static vkattn_status qwen3_tensors(vkattn_model *m, vkattn__wtable *t) {
    vkattn_status st = vkattn__llama_tensors(m, t);
    for (int l = 0; l < (int)m->hp.n_layer && !st; l++) {
        vkattn__layer *L = &m->layers[l];
        if ((st = vkattn__w_vec(m, t, &L->attn_q_norm, m->hp.head_dim, "blk.%d.attn_q_norm.weight", l))) break;
        st = vkattn__w_vec(m, t, &L->attn_k_norm, m->hp.head_dim, "blk.%d.attn_k_norm.weight", l);
    }
    return st;
}

const vkattn__arch vkattn__arch_qwen3 = {
    .name = "qwen3",
    .norm_eps_key = "attention.layer_norm_rms_epsilon",
    .rope_mode = VKATTN_ROPE_NEOX,
    .tensors = qwen3_tensors,
    .forward = vkattn__llama_forward,
};
