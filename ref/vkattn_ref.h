/* Plain-C reference implementations (double accumulation) used by the tests
 * and benchmarks. Deliberately simple: readable loops, no vectorization, so
 * they are easy to trust. Each op's reference lives in ref/<op>_ref.c. */
#ifndef VKATTN_REF_H
#define VKATTN_REF_H

#include <stddef.h>
#include <stdint.h>

/* dst[i] = src[i] over a 4-D index space with element strides (shape outermost first). */
void ref_copy_strided(const float *src, const int64_t shape[4], const int64_t src_stride[4], float *dst,
                      const int64_t dst_stride[4]);

/* ---- linear algebra (gemm helper) ---------------------------------------- */

/* y[M, N] = x[M, K] w[N, K]^T (+ bias[N] when non-NULL), row-major. */
void ref_linear(const float *x, const float *w, const float *bias, float *y, int64_t M, int64_t N, int64_t K);

/* ---- attention (ref/attention_ref.c) ---------------------------------------------------------- */

typedef struct ref_attention_args {
    int64_t B, Hq, Hkv, Lq, Lk, D, Dv;
    float scale;                 /* 0 = 1/sqrt(D) */
    int causal;                  /* bottom-right aligned: query i sees keys j <= i + Lk - Lq */
    const float *mask;           /* additive, element (b,h,i,j) at b*s[0] + h*s[1] + i*s[2] + j*s[3]; NULL = none */
    int64_t mask_stride[4];      /* 0 broadcasts a dimension */
    const int32_t *kv_len;       /* [B]: keys j >= kv_len[b] masked; NULL = none */
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
