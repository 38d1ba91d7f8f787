/* llama and qwen2 forward pass (qwen2 = llama + Q/K/V biases, which the weights carry):
 *   x = embed(tokens)
 *   per layer:  x += attn(rms_norm(x) * attn_norm)        RoPE on q, k; grouped-query heads
 *               x += down(silu(gate(h)) * up(h)),  h = rms_norm(x) * ffn_norm
 *   xn = rms_norm(x) * output_norm                        (logits = xn output^T, in model.c)
 * RoPE: llama.cpp's converter permutes llama's Q/K rows so the GGUF weights rotate adjacent pairs (its
 * NORM mode = GPT-J form); qwen2 is stored unpermuted and rotates halves (NEOX). */
#include "model.h"

vkattn_status vkattn__llama_forward(vkattn_model *m, uint32_t n) {
    vkattn_context *ctx = m->ctx;
    vkattn__acts *a = &m->a;
    const float eps = m->hp.norm_eps;
    const int rope = m->arch == ARCH_QWEN2 ? VKATTN_ROPE_NEOX : VKATTN_ROPE_GPTJ;
    vkattn_tensor x = vkattn__rows(a->x, 0, n), xn = vkattn__rows(a->xn, 0, n), tmp = vkattn__rows(a->tmp, 0, n);
    const int64_t F = m->hp.n_ff, sF[2] = {n, F}, tF[2] = {2 * F, 1};
    vkattn_tensor gu = vkattn__rows(a->gu, 0, n), hid = vkattn__rows(a->h, 0, n);
    vkattn_tensor gate = vkattn__view(a->gu, 0, 2, sF, tF), up = vkattn__view(a->gu, (uint64_t)F, 2, sF, tF);
    vkattn_status st = VKATTN_OK;
    for (uint32_t l = 0; l < m->hp.n_layer && !st; l++) {
        const vkattn__layer *L = &m->layers[l];
        if ((st = vkattn_rms_norm(ctx, &x, L->attn_norm, eps, &xn)) ||  /* attn_norm */
            (st = vkattn__attention_block(m, l, n, rope)) ||            /* q k v, rope, attention, attn_output */
            (st = vkattn_add(ctx, &x, &tmp, &x)) ||                     /* residual */
            (st = vkattn_rms_norm(ctx, &x, L->ffn_norm, eps, &xn)) ||   /* ffn_norm */
            (st = vkattn_linear(ctx, &xn, L->ffn_gate_up, NULL, &gu)) ||/* ffn_gate | ffn_up */
            (st = vkattn_swiglu(ctx, &gate, &up, &hid)) ||              /* silu(gate) * up */
            (st = vkattn_linear(ctx, &hid, L->ffn_down, NULL, &tmp)) || /* ffn_down */
            (st = vkattn_add(ctx, &x, &tmp, &x)))                       /* residual */
            break;
    }
    if (!st) st = vkattn_rms_norm(ctx, &x, m->out_norm, eps, &xn);      /* output_norm */
    return st;
}
