/* gpt2 forward pass:
 *   x = embed(tokens) + position_embd[pos ..]
 *   per layer:  x += attn(layer_norm(x))                  fused attn_qkv split into q/k/v at load; no RoPE
 *               x += down(gelu(up(layer_norm(x))))        tanh GELU (GPT-2's gelu_new, ggml_gelu)
 *   xn = layer_norm(x)                                    (logits = xn output^T, in model.c) */
#include "model.h"

vkattn_status vkattn__gpt2_forward(vkattn_model *m, uint32_t n) {
    vkattn_context *ctx = m->ctx;
    vkattn__acts *a = &m->a;
    const float eps = m->hp.norm_eps;
    vkattn_tensor x = vkattn__rows(a->x, 0, n), xn = vkattn__rows(a->xn, 0, n), tmp = vkattn__rows(a->tmp, 0, n);
    vkattn_tensor h1 = vkattn__rows(a->h, 0, n);
    vkattn_status st = VKATTN_OK;
    for (uint32_t s = 0; s < m->n_seqs && !st; s++) { /* position_embd, per sequence from its position */
        vkattn_tensor xs = vkattn__rows(a->x, m->seqs[s].row, m->seqs[s].n);
        st = vkattn_position_embedding(ctx, &xs, m->pos_embd, m->seqs[s].pos, &xs);
    }
    for (uint32_t l = 0; l < m->hp.n_layer && !st; l++) {
        const vkattn__layer *L = &m->layers[l];
        if ((st = vkattn_layer_norm(ctx, &x, L->attn_norm, L->attn_norm_b, eps, &xn)) ||  /* attn_norm */
            (st = vkattn__attention_block(m, l, n, -1)) ||                                /* qkv, attention, attn_output */
            (st = vkattn_add(ctx, &x, &tmp, &x)) ||                                       /* residual */
            (st = vkattn_layer_norm(ctx, &x, L->ffn_norm, L->ffn_norm_b, eps, &xn)) ||    /* ffn_norm */
            (st = vkattn_linear(ctx, &xn, L->ffn_up, L->ffn_up_b, &h1)) ||                /* ffn_up */
            (st = vkattn_gelu(ctx, &h1, &h1, 1)) ||                                       /* gelu (tanh) */
            (st = vkattn_linear(ctx, &h1, L->ffn_down, L->ffn_down_b, &tmp)) ||           /* ffn_down */
            (st = vkattn_add(ctx, &x, &tmp, &x)))                                         /* residual */
            break;
    }
    if (!st) st = vkattn_layer_norm(ctx, &x, m->out_norm, m->out_norm_b, eps, &xn);      /* output_norm */
    return st;
}
