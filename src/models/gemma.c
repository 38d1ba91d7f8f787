/* gemma2 and gemma3 (one family, two registered architectures):
 *   x = embed(tokens) * sqrt(n_embd)
 *   per layer:  x += post_attention_norm(attn(attn_norm(x)))       RMSNorms; RoPE NEOX; head size 256
 *               x += post_ffw_norm(down(gelu_tanh(gate(h)) * up(h))),  h = ffn_norm(x)
 *   xn = output_norm(x)                                             (logits = xn token_embd^T, tied)
 * gemma2: scores and final logits soft-capped (attn_logit_softcapping, final_logit_softcapping); sliding
 *   window (attention.sliding_window) on even layers.
 * gemma3: per-head q/k RMSNorms (attn_q_norm, attn_k_norm); 5 sliding layers : 1 global (layer l global when
 *   l % 6 == 5); sliding layers rotate with base 10000 unscaled, global ones with rope.freq_base and
 *   rope.scaling (linear); no soft-capping.
 * Norm weights: llama.cpp's converter stores Gemma's (1 + w), so every norm here is a plain RMSNorm * w.
 * Query scale: 1/sqrt(head_dim), except the 27B models (n_embd / n_head), as llama.cpp picks it. */
#include "model.h"

#include <math.h>

extern const vkattn__arch vkattn__arch_gemma3;

static vkattn_status gemma_hparams(vkattn_model *m, int gemma3) {
    vkattn__hparams *h = &m->hp;
    uint32_t window;
    vkattn_status st;
    if ((st = vkattn__hp_u32(m, "attention.sliding_window", &window, 1, 0))) return st;
    if (!gemma3 && ((st = vkattn__hp_f32(m, "attn_logit_softcapping", &h->attn_softcap, 0, 50.0f)) ||
                    (st = vkattn__hp_f32(m, "final_logit_softcapping", &h->logit_softcap, 0, 30.0f))))
        return st;
    if (!(h->attn_softcap >= 0) || !isfinite(h->attn_softcap) || !(h->logit_softcap >= 0) || !isfinite(h->logit_softcap))
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: gemma2 soft-capping values %g, %g out of range",
                            (double)h->attn_softcap, (double)h->logit_softcap);
    h->rope_theta_local = 10000.0f;
    const int big = h->n_layer == (gemma3 ? 62u : 46u); /* the 27B models: query_pre_attn_scalar = n_embd / n_head */
    h->attn_scale = 1.0f / sqrtf(big ? (float)h->n_embd / h->n_head : (float)h->head_dim);
    for (uint32_t l = 0; l < h->n_layer; l++) {
        int sliding = gemma3 ? l % 6 < 5 : l % 2 == 0;
        m->layers[l].window = sliding ? window : 0;
        m->layers[l].rope_local = gemma3 && sliding;
    }
    return VKATTN_OK;
}

static vkattn_status gemma2_hparams(vkattn_model *m) { return gemma_hparams(m, 0); }
static vkattn_status gemma3_hparams(vkattn_model *m) { return gemma_hparams(m, 1); }

/* llama's table (the output tied when absent) + post_attention_norm and post_ffw_norm; gemma3 + q/k norms. */
static vkattn_status gemma_tensors(vkattn_model *m, vkattn__wtable *t) {
    const vkattn__hparams *h = &m->hp;
    const int gemma3 = m->arch == &vkattn__arch_gemma3;
    vkattn_status st = vkattn__llama_tensors(m, t);
    for (int l = 0; l < (int)h->n_layer && !st; l++) {
        vkattn__layer *L = &m->layers[l];
        if ((st = vkattn__w_vec(m, t, &L->post_attn_norm, h->n_embd, "blk.%d.post_attention_norm.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->post_ffn_norm, h->n_embd, "blk.%d.post_ffw_norm.weight", l)))
            break;
        if (gemma3 && !(st = vkattn__w_vec(m, t, &L->attn_q_norm, h->head_dim, "blk.%d.attn_q_norm.weight", l)))
            st = vkattn__w_vec(m, t, &L->attn_k_norm, h->head_dim, "blk.%d.attn_k_norm.weight", l);
    }
    return st;
}

static vkattn_status gemma_forward(vkattn_model *m, uint32_t n) {
    vkattn_context *ctx = m->ctx;
    vkattn__acts *a = &m->a;
    const float eps = m->hp.norm_eps;
    vkattn_tensor x = vkattn__rows(a->x, 0, n), xn = vkattn__rows(a->xn, 0, n), tmp = vkattn__rows(a->tmp, 0, n);
    const int64_t F = m->hp.n_ff, sF[2] = {n, F}, tF[2] = {2 * F, 1};
    vkattn_tensor gu = vkattn__rows(a->gu, 0, n), hid = vkattn__rows(a->h, 0, n);
    vkattn_tensor gate = vkattn__view(a->gu, 0, 2, sF, tF), up = vkattn__view(a->gu, (uint64_t)F, 2, sF, tF);
    vkattn_status st = vkattn_scale(ctx, &x, sqrtf((float)m->hp.n_embd), &x); /* embeddings * sqrt(n_embd) */
    for (uint32_t l = 0; l < m->hp.n_layer && !st; l++) {
        const vkattn__layer *L = &m->layers[l];
        if ((st = vkattn_rms_norm(ctx, &x, L->attn_norm, eps, &xn)) ||        /* attn_norm */
            (st = vkattn__attention_block(m, l, n)) ||                        /* q k v, norms, rope, attention, attn_output */
            (st = vkattn_rms_norm(ctx, &tmp, L->post_attn_norm, eps, &tmp)) ||/* post_attention_norm */
            (st = vkattn_add(ctx, &x, &tmp, &x)) ||                           /* residual */
            (st = vkattn_rms_norm(ctx, &x, L->ffn_norm, eps, &xn)) ||         /* ffn_norm */
            (st = vkattn__linear_stack(ctx, &xn, &L->ffn_gate_up, NULL, &gu)) || /* ffn_gate | ffn_up */
            (st = vkattn_geglu(ctx, &gate, &up, &hid, 1)) ||                  /* gelu_tanh(gate) * up */
            (st = vkattn_linear(ctx, &hid, L->ffn_down, NULL, &tmp)) ||       /* ffn_down */
            (st = vkattn_rms_norm(ctx, &tmp, L->post_ffn_norm, eps, &tmp)) || /* post_ffw_norm */
            (st = vkattn_add(ctx, &x, &tmp, &x)))                             /* residual */
            break;
    }
    if (!st) st = vkattn_rms_norm(ctx, &x, m->out_norm, eps, &xn);            /* output_norm */
    return st;
}

const vkattn__arch vkattn__arch_gemma2 = {
    .name = "gemma2",
    .norm_eps_key = "attention.layer_norm_rms_epsilon",
    .rope_mode = VKATTN_ROPE_NEOX,
    .hparams = gemma2_hparams,
    .tensors = gemma_tensors,
    .forward = gemma_forward,
};

const vkattn__arch vkattn__arch_gemma3 = {
    .name = "gemma3",
    .norm_eps_key = "attention.layer_norm_rms_epsilon",
    .rope_mode = VKATTN_ROPE_NEOX,
    .hparams = gemma3_hparams,
    .tensors = gemma_tensors,
    .forward = gemma_forward,
};
