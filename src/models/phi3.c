/* phi3: llama's decoder with fused projections: attn_qkv [Q + 2 KV, D] (q | k | v rows) and ffn_up [2F, D]
 * holding gate | up (HF's gate_up_proj), so both load as the stacked weights the llama forward takes.
 * RoPE NEOX with LongRoPE (Phi-3 128k / 3.5): per-pair factors rope_factors_long.weight when the context
 * exceeds rope.scaling.original_context_length, else rope_factors_short.weight (llama.cpp's choice), and
 * rope.scaling.attn_factor on q and k (rope_freq.c). Sliding window (attention.sliding_window) on every
 * layer. */
#include "model.h"

static vkattn_status phi3_hparams(vkattn_model *m) {
    uint32_t n_orig, window;
    vkattn_status st;
    if ((st = vkattn__hp_u32(m, "rope.scaling.original_context_length", &n_orig, 0, m->hp.n_ctx_train)) ||
        (st = vkattn__hp_u32(m, "attention.sliding_window", &window, 0, 0)))
        return st;
    m->hp.rope_factors = m->n_ctx > n_orig ? "rope_factors_long.weight" : "rope_factors_short.weight";
    for (uint32_t l = 0; l < m->hp.n_layer; l++) m->layers[l].window = window;
    return VKATTN_OK;
}

static vkattn_status phi3_tensors(vkattn_model *m, vkattn__wtable *t) {
    const vkattn__hparams *h = &m->hp;
    const int64_t D = h->n_embd, F = h->n_ff, Q = (int64_t)h->n_head * h->head_dim, KV = (int64_t)h->n_head_kv * h->head_dim;
    vkattn_status st;
    if ((st = vkattn__rms_globals(m, t))) return st;
    for (int l = 0; l < (int)h->n_layer; l++) {
        vkattn__layer *L = &m->layers[l];
        if ((st = vkattn__w_vec(m, t, &L->attn_norm, D, "blk.%d.attn_norm.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->wqkv.w, Q + 2 * KV, D, "blk.%d.attn_qkv.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->wo, D, Q, "blk.%d.attn_output.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->ffn_norm, D, "blk.%d.ffn_norm.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->ffn_gate_up.w, 2 * F, D, "blk.%d.ffn_up.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->ffn_down, D, F, "blk.%d.ffn_down.weight", l)))
            return st;
    }
    return VKATTN_OK;
}

const vkattn__arch vkattn__arch_phi3 = {
    .name = "phi3",
    .norm_eps_key = "attention.layer_norm_rms_epsilon",
    .rope_mode = VKATTN_ROPE_NEOX,
    .hparams = phi3_hparams,
    .tensors = phi3_tensors,
    .forward = vkattn__llama_forward,
};
