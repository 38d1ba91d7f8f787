/* Plain-C reference implementations (double accumulation) used by the tests
 * and benchmarks. Deliberately simple: readable loops, no vectorization, so
 * they are easy to trust. Each op's reference lives in ref/<op>_ref.c. */
#ifndef VKATTN_REF_H
#define VKATTN_REF_H

#include "vkattn.h"

#include <stddef.h>
#include <stdint.h>

/* dst[i] = src[i] over a 4-D index space with element strides (shape outermost first). */
void ref_copy_strided(const float *src, const int64_t shape[4], const int64_t src_stride[4], float *dst,
                      const int64_t dst_stride[4]);

/* ---- Ops: elementwise, norms, positions, selection (ops helper) ----------
 * Contiguous row-major arrays; "rows x d" means rows rows of d values. */

/* LayerNorm / RMSNorm over each row; w, b may be NULL (1 / 0). */
void ref_layer_norm(const float *x, const float *w, const float *b, float eps, size_t rows, size_t d, float *y);
void ref_rms_norm(const float *x, const float *w, float eps, size_t rows, size_t d, float *y);

typedef enum { REF_RELU, REF_SILU, REF_GELU, REF_GELU_TANH } ref_act;
/* The activation in double: gelu = x Phi(x) via erf; gelu_tanh is PyTorch's approximate='tanh'. */
double ref_activation(ref_act act, double x);
void ref_unary(ref_act act, const float *x, size_t n, float *y);
/* y = act(gate) * up */
void ref_glu(ref_act act, const float *gate, const float *up, size_t n, float *y);
/* y = a (+ or *) b over a 4-D shape; b has shape bshape (each dim equal to ashape's or 1). */
void ref_broadcast(const float *a, const int64_t ashape[4], const float *b, const int64_t bshape[4], int mul, float *y);
/* Softmax over each row; rows of only -inf give zeros. */
void ref_softmax(const float *x, size_t rows, size_t d, float *y);
/* RoPE on a contiguous x [B, S1, S2, D]; tokens along dim 1 (seq_dim 1) or 2;
 * gptj: interleaved pairs, else half split; rd rotary dims; inv_freq NULL =
 * theta^(-2i/rd); pos NULL = offset + l, else offset + pos[b * pos_bstride + l]. */
void ref_rope(const float *x, const int64_t shape[4], int seq_dim, int gptj, int rd, double theta, const float *inv_freq,
              int64_t offset, const int32_t *pos, int64_t pos_bstride, float *y);
/* Sinusoidal encoding PE [L, D] for positions offset .. offset + L - 1. */
void ref_sinusoidal(int64_t l, int64_t d, int64_t offset, float *pe);
/* Feed-forward layer on rows x d: gate NULL = ungated; biases and residual may be
 * NULL; residual is [rows, n] (n = down's rows). act as ref_act. */
void ref_ffn(const float *x, size_t rows, size_t d, size_t f, size_t n, const float *up, const float *bu,
             const float *gate, const float *bg, const float *down, const float *bd, ref_act act, const float *residual,
             float *y);
/* GRU / LSTM (PyTorch equations and gate orders) over x [B, T, I]; weights
 * [G*H, I] / [G*H, H]; biases, h0 and c0 may be NULL (zeros); y [B, T, H];
 * hn / cn [B, H] may be NULL. */
void ref_gru(const float *x, size_t b, size_t t, size_t i, size_t h, const float *wih, const float *whh, const float *bih,
             const float *bhh, const float *h0, float *y, float *hn);
void ref_lstm(const float *x, size_t b, size_t t, size_t i, size_t h, const float *wih, const float *whh, const float *bih,
              const float *bhh, const float *h0, const float *c0, float *y, float *hn, float *cn);
/* Row-wise argmax / top-k of rows x v (ties: lower index; NaN ranks highest);
 * topk writes k values and indices per row, sorted descending. */
void ref_argmax(const float *x, size_t rows, size_t v, int32_t *idx);
void ref_topk(const float *x, size_t rows, size_t v, size_t k, float *values, int32_t *idx);

/* ---- linear algebra (gemm helper) ---------------------------------------- */

/* y[M, N] = x[M, K] w[N, K]^T (+ bias[N] when non-NULL), row-major. */
void ref_linear(const float *x, const float *w, const float *bias, float *y, int64_t M, int64_t N, int64_t K);

/* cnt values (a multiple of the block) of block type dt as random blocks at q: random bytes, then every
 * f16 field (scales, mins; ggml's block_<type> offsets) set to a value of magnitude up to amp / div, div
 * about the largest |quant x sub-scale| of the type, so the values fall roughly into [-amp, amp] (a small
 * amp gives f16 subnormal scales). uniform(lo, hi) draws the random numbers. Non-block types: nothing. */
void ref_random_blocks(vkattn_dtype dt, uint64_t cnt, uint8_t *q, float amp, float (*uniform)(float lo, float hi));

/* ---- token embedding (ref/embedding_ref.c) ---------------------------------- */

/* y[i, :] = table[ids[i], :] for i < n (table [V, D]); ids outside [0, V) give zero rows. */
void ref_embedding(const float *table, int64_t V, int64_t D, const int32_t *ids, size_t n, float *y);

/* ---- attention (ref/attention_ref.c) ---------------------------------------------------------- */

typedef struct ref_attention_args {
    int64_t B, Hq, Hkv, Lq, Lk, D, Dv;
    float scale;                 /* 0 = 1/sqrt(D) */
    int causal;                  /* bottom-right aligned: query i sees keys j <= i + Lk - Lq */
    const float *mask;           /* additive, element (b,h,i,j) at b*s[0] + h*s[1] + i*s[2] + j*s[3]; NULL = none */
    int64_t mask_stride[4];      /* 0 broadcasts a dimension */
    const int32_t *kv_len;       /* [B]: keys j >= kv_len[b] masked; NULL = none */
    int64_t window;              /* > 0: keys j <= i + Lk - Lq - window masked (sliding window) */
    double softcap;              /* > 0: scaled scores s -> softcap * tanh(s / softcap) before the mask */
} ref_attention_args;

/* O = softmax(Q K^T * scale + M) V over dense row-major q [B,Hq,Lq,D], k [B,Hkv,Lk,D],
 * v [B,Hkv,Lk,Dv] -> o [B,Hq,Lq,Dv]; probs [B,Hq,Lq,Lk] (may be NULL). Double accumulation;
 * a row with every key masked gives zeros (and zero probabilities). */
void ref_attention(const ref_attention_args *a, const float *q, const float *k, const float *v, float *o, float *probs);

/* ---- Additive (Bahdanau) attention ------------------------------------------------------------ */

/* e[b,t,i] = v . tanh(hp[b,i,:] + sp[b,t,:]); alpha[b,t,:] = masked softmax_i(e[b,t,:]);
 * c[b,t,:] = sum_i alpha[b,t,i] h[b,i,:]. All contiguous: hp [B,Lk,A], sp [B,T,A] (bias included),
 * v [A], h [B,Lk,Dh], mask [B,Lk] (nonzero = keep) or NULL; outputs alpha [B,T,Lk], c [B,T,Dh].
 * A row whose keys are all masked gets alpha = 0 and c = 0. */
void ref_additive_attention_projected(const float *hp, const float *sp, const float *v, const float *h,
                                      const int32_t *mask, int64_t B, int64_t T, int64_t Lk, int64_t A, int64_t Dh,
                                      float *alpha, float *c);
/* The whole op: hp = h W_h^T, sp = s W_s^T + b (s [B,T,Ds], W_h [A,Dh], W_s [A,Ds], b [A] or NULL),
 * then ref_additive_attention_projected. alpha may be NULL. */
void ref_additive_attention(const float *h, const float *s, const float *w_h, const float *w_s, const float *b,
                            const float *v, const int32_t *mask, int64_t B, int64_t T, int64_t Lk, int64_t Dh,
                            int64_t Ds, int64_t A, float *c, float *alpha);

/* ---- Multi-head attention layer (ref/mha_ref.c) ----------------------------------------------- */

/* PyTorch nn.MultiheadAttention (batch_first) with grouped-query heads, composed of ref_linear and
 * ref_attention. Weights row-major: wq [E,E], wk [Hkv*hd,kdim], wv [Hkv*hd,vdim], wo [E,E] (for PyTorch's
 * in_proj_weight pass its three row blocks); biases may be NULL. attn: scale, causal, mask (+ strides),
 * kv_len; its sizes are filled in. query [B,Lq,E], key [B,Lk,kdim], value [B,Lk,vdim] -> out [B,Lq,E]. */
typedef struct ref_mha_args {
    int64_t B, Lq, Lk, E, H, Hkv, kdim, vdim;
    const float *wq, *wk, *wv, *wo, *bq, *bk, *bv, *bo;
    ref_attention_args attn;
} ref_mha_args;
void ref_mha(const ref_mha_args *a, const float *query, const float *key, const float *value, float *out);

#endif
