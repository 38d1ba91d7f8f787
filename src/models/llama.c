/* llama: the decoder the others here vary.
 *   x = embed(tokens)
 *   per layer:  x += attn(rms_norm(x) * attn_norm)        RoPE on q, k; grouped-query heads
 *               x += down(silu(gate(h)) * up(h)),  h = rms_norm(x) * ffn_norm
 *   xn = rms_norm(x) * output_norm                        (logits = xn output^T, in model.c)
 * RoPE: llama.cpp's converter permutes llama's Q/K rows so the GGUF weights rotate adjacent pairs (its
 * NORM mode = GPT-J form). Llama 3.1 / 3.2: rope_freqs.weight holds the per-pair frequency factors the
 * converter derives from rope_scaling "llama3" (rope_freq.c applies them); Mistral-Nemo: head size from
 * attention.key_length (128 while n_embd / n_head = 160). */
#include "model.h"

vkattn_status vkattn__rms_globals(vkattn_model *m, vkattn__wtable *t) {
    const int64_t D = m->hp.n_embd, V = m->hp.n_vocab;
    vkattn_status st;
    if ((st = vkattn__w_mat(m, t, &m->tok_embd, V, D, "token_embd.weight", 0)) ||
        (st = vkattn__w_vec(m, t, &m->out_norm, D, "output_norm.weight", 0)))
        return st;
    return vkattn__w_opt_mat(m, t, &m->output, V, D, "output.weight", 0);
}

/* The globals, and per layer attn_norm, attn_q | attn_k | attn_v, attn_output, ffn_norm, ffn_gate | ffn_up,
 * ffn_down. */
vkattn_status vkattn__llama_tensors(vkattn_model *m, vkattn__wtable *t) {
    const vkattn__hparams *h = &m->hp;
    const int64_t D = h->n_embd, F = h->n_ff, Q = (int64_t)h->n_head * h->head_dim, KV = (int64_t)h->n_head_kv * h->head_dim;
    vkattn_status st;
    if ((st = vkattn__rms_globals(m, t))) return st;
    for (int l = 0; l < (int)h->n_layer; l++) {
        vkattn__layer *L = &m->layers[l];
        if ((st = vkattn__w_vec(m, t, &L->attn_norm, D, "blk.%d.attn_norm.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->wqkv.w, Q, D, "blk.%d.attn_q.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->wqkv.w, KV, D, "blk.%d.attn_k.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->wqkv.w, KV, D, "blk.%d.attn_v.weight", l)))
            return st;
        vkattn__w_stack(t, 3, &L->wqkv.w, L->wqkv.part);
        if ((st = vkattn__w_mat(m, t, &L->wo, D, Q, "blk.%d.attn_output.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->ffn_norm, D, "blk.%d.ffn_norm.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->ffn_gate_up.w, F, D, "blk.%d.ffn_gate.weight", l)) ||
            (st = vkattn__w_mat(m, t, &L->ffn_gate_up.w, F, D, "blk.%d.ffn_up.weight", l)))
            return st;
        vkattn__w_stack(t, 2, &L->ffn_gate_up.w, L->ffn_gate_up.part);
        if ((st = vkattn__w_mat(m, t, &L->ffn_down, D, F, "blk.%d.ffn_down.weight", l))) return st;
    }
    return VKATTN_OK;
}

vkattn_status vkattn__llama_forward(vkattn_model *m, uint32_t n) {
    vkattn_context *ctx = m->ctx;
    vkattn__acts *a = &m->a;
    const float eps = m->hp.norm_eps;
    vkattn_tensor x = vkattn__rows(a->x, 0, n), xn = vkattn__rows(a->xn, 0, n), tmp = vkattn__rows(a->tmp, 0, n);
    const int64_t F = m->hp.n_ff, sF[2] = {n, F}, tF[2] = {2 * F, 1};
    vkattn_tensor gu = vkattn__rows(a->gu, 0, n), hid = vkattn__rows(a->h, 0, n);
    vkattn_tensor gate = vkattn__view(a->gu, 0, 2, sF, tF), up = vkattn__view(a->gu, (uint64_t)F, 2, sF, tF);
    vkattn_status st = VKATTN_OK;
    for (uint32_t l = 0; l < m->hp.n_layer && !st; l++) {
        const vkattn__layer *L = &m->layers[l];
        if ((st = vkattn_rms_norm(ctx, &x, L->attn_norm, eps, &xn)) ||  /* attn_norm */
            (st = vkattn__attention_block(m, l, n)) ||                  /* q k v, rope, attention, attn_output */
            (st = vkattn_add(ctx, &x, &tmp, &x)) ||                     /* residual */
            (st = vkattn_rms_norm(ctx, &x, L->ffn_norm, eps, &xn)) ||   /* ffn_norm */
            (st = vkattn__linear_stack(ctx, &xn, &L->ffn_gate_up, NULL, &gu)) || /* ffn_gate | ffn_up */
            (st = vkattn_swiglu(ctx, &gate, &up, &hid)) ||              /* silu(gate) * up */
            (st = vkattn_linear(ctx, &hid, L->ffn_down, NULL, &tmp)) || /* ffn_down */
            (st = vkattn_add(ctx, &x, &tmp, &x)))                       /* residual */
            break;
    }
    if (!st) st = vkattn_rms_norm(ctx, &x, m->out_norm, eps, &xn);      /* output_norm */
    return st;
}

static vkattn_status llama_hparams(vkattn_model *m) {
    m->hp.rope_factors = "rope_freqs.weight";
    return VKATTN_OK;
}

const vkattn__arch vkattn__arch_llama = {
    .name = "llama",
    .norm_eps_key = "attention.layer_norm_rms_epsilon",
    .rope_mode = VKATTN_ROPE_GPTJ,
    .hparams = llama_hparams,
    .tensors = vkattn__llama_tensors,
    .forward = vkattn__llama_forward,
};
