/* gpt2:
 *   x = embed(tokens) + position_embd[pos ..]
 *   per layer:  x += attn(layer_norm(x))                  fused attn_qkv [3D, D]; no RoPE
 *               x += down(gelu(up(layer_norm(x))))        tanh GELU (GPT-2's gelu_new, ggml_gelu)
 *   xn = layer_norm(x)                                    (logits = xn output^T, in model.c) */
#include "model.h"

/* token_embd, position_embd, output_norm (+ bias), output (absent: tied), and per layer attn_norm (+ bias),
 * attn_qkv (+ bias), attn_output (+ bias), ffn_norm (+ bias), ffn_up (+ bias), ffn_down (+ bias). */
static vkattn_status gpt2_tensors(vkattn_model *m, vkattn__wtable *t) {
    const vkattn__hparams *h = &m->hp;
    const int64_t D = h->n_embd, V = h->n_vocab, F = h->n_ff;
    vkattn_status st;
    if ((st = vkattn__w_mat(m, t, &m->tok_embd, V, D, "token_embd.weight", 0)) ||
        (st = vkattn__w_mat(m, t, &m->pos_embd, h->n_ctx_train, D, "position_embd.weight", 0)))
        return st;
    vkattn__w_param(t); /* read by vkattn_position_embedding */
    if ((st = vkattn__w_vec(m, t, &m->out_norm, D, "output_norm.weight", 0)) ||
        (st = vkattn__w_vec(m, t, &m->out_norm_b, D, "output_norm.bias", 0)) ||
        (st = vkattn__w_opt_mat(m, t, &m->output, V, D, "output.weight", 0)))
        return st;
    for (int l = 0; l < (int)h->n_layer; l++) {
        vkattn__layer *L = &m->layers[l];
        if ((st = vkattn__w_vec(m, t, &L->attn_norm, D, "blk.%d.attn_norm.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->attn_norm_b, D, "blk.%d.attn_norm.bias", l)) ||
            (st = vkattn__w_mat(m, t, &L->wqkv.w, 3 * D, D, "blk.%d.attn_qkv.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->bqkv, 3 * D, "blk.%d.attn_qkv.bias", l)) ||
            (st = vkattn__w_mat(m, t, &L->wo, D, D, "blk.%d.attn_output.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->bo, D, "blk.%d.attn_output.bias", l)) ||
            (st = vkattn__w_vec(m, t, &L->ffn_norm, D, "blk.%d.ffn_norm.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->ffn_norm_b, D, "blk.%d.ffn_norm.bias", l)) ||
            (st = vkattn__w_mat(m, t, &L->ffn_up, F, D, "blk.%d.ffn_up.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->ffn_up_b, F, "blk.%d.ffn_up.bias", l)) ||
            (st = vkattn__w_mat(m, t, &L->ffn_down, D, F, "blk.%d.ffn_down.weight", l)) ||
            (st = vkattn__w_vec(m, t, &L->ffn_down_b, D, "blk.%d.ffn_down.bias", l)))
            return st;
    }
    return VKATTN_OK;
}

static vkattn_status gpt2_forward(vkattn_model *m, uint32_t n) {
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
            (st = vkattn__attention_block(m, l, n)) ||                                    /* qkv, attention, attn_output */
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

const vkattn__arch vkattn__arch_gpt2 = {
    .name = "gpt2",
    .norm_eps_key = "attention.layer_norm_epsilon",
    .rope_mode = -1,
    .learned_positions = 1,
    .tensors = gpt2_tensors,
    .forward = gpt2_forward,
};
